"""Timing helper shared by the benchmarks (each prints ratios measured in the same run)."""
from __future__ import annotations

import time


def seconds_per_call(fn, budget: float) -> float:
    """Mean seconds per call of ``fn`` over as many calls as fit in ``budget`` seconds (at least one)."""
    calls, start = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed > budget:
            return elapsed / calls
