"""PINN speed and time to the energy goal, as ratios measured in one run (not a timed test).

For the three wells of the bound-states lesson (infinite well, finite well, barrier in a box, on
``np.linspace(-6, 6, 961)``) with default settings it prints:

- the steps and seconds (variational warm-up included) until the trained E first stays within
  0.1 % of ``physics.eigen.bound_states`` for the rest of the run, or the best error reached;
  the finite well also with ``edges=False`` (no edge features: the smooth network's trouble at
  the jumps of V);
- time per training step, and as ratios: one step / one forward pass of the network on the same
  points, and one step / one ``bound_states`` call on the same grid (the exact answer).

Run: ``python bench/pinn.py [--quick]`` (one thread).
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from physics import eigen, potentials  # noqa: E402
from physics.pinn import PINN, _split, _views, forward  # noqa: E402
from timing import seconds_per_call  # noqa: E402  (bench/timing.py)

GOAL = 1e-3


def best_time(fn, repeats: int = 5, budget: float = 0.2) -> float:
    """Best seconds per call of ``fn`` over a few rounds (a busy neighbour only slows a round)."""
    fn()
    return min(seconds_per_call(fn, budget) for _ in range(repeats))


def time_to_goal(x, V, steps: int, chunk: int = 250, **kw):
    """(steps to the goal or None, seconds to it, seconds of warm-up, best error, final error, PINN).

    ``steps`` PINN steps after the warm-up; the goal is reached at the first step (warm-up steps
    counted, where E is the Rayleigh quotient) after which |E/E_exact - 1| stays below GOAL.
    """
    E = eigen.bound_states(x, V, 1)[0][0]
    start = time.perf_counter()
    p = PINN(x, V, **kw)
    elapsed = time.perf_counter() - start
    while p.steps < p.warmup + steps:
        t0 = time.perf_counter()
        p.train(chunk)
        elapsed += time.perf_counter() - t0
    err = np.abs(p.history["energy"] / E - 1.0)
    outside = np.flatnonzero(err >= GOAL)
    reached = None
    if outside.size < err.size:
        reached = 0 if outside.size == 0 else int(outside[-1]) + 1
    per_step = elapsed / p.steps
    seconds = None if reached is None else reached * per_step
    return reached, seconds, p.warmup * per_step, float(err.min()), float(err[-1]), p


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps")
    args = parser.parse_args()
    steps = 1500 if args.quick else 4000
    x = np.linspace(-6, 6, 961)
    finite = potentials.finite_well(x, 3.0, 10.0)
    cases = {
        "infinite well (w=4)": (potentials.infinite_well(x, 4.0), {}),
        "finite well (w=3, V0=10)": (finite, {}),
        "  same, edges=False": (finite, {"edges": False}),
        "barrier in a box (4, 10, 0.5)": (potentials.box_barrier(x, 4.0, 10.0, 0.5), {}),
    }
    print(f"numpy only, one thread; goal |E/E_exact - 1| < {GOAL:g} from then on; warm-up + {steps} PINN steps;"
          " 'steps' counts the warm-up")
    print(f"{'case':<30} {'warm-up s':>9} {'steps':>6} {'s to goal':>9} {'best err':>9} {'final err':>9}")
    last = None
    for name, (V, kw) in cases.items():
        reached, seconds, warm, best, final, last = time_to_goal(x, V, steps, **kw)
        r = "-" if reached is None else str(reached)
        s = "missed" if seconds is None else f"{seconds:.1f}"
        print(f"{name:<30} {warm:>9.1f} {r:>6} {s:>9} {best:>9.1e} {final:>9.1e}")

    V = cases["barrier in a box (4, 10, 0.5)"][0]
    p = last
    Ws, bs, U = _split(_views(p.theta, p.blocks))
    step = best_time(lambda: p.train(10)) / 10
    fwd = best_time(lambda: forward(Ws, bs, p._P, p._work, U, p._K))
    exact = best_time(lambda: eigen.bound_states(x, V, 1))
    print(f"\none training step ({p.m} collocation points, hidden={p.hidden}, "
          f"{p.edge_positions.size} edge features): {step * 1e3:.2f} ms; "
          f"= {step / fwd:.1f} forward passes; = {step / exact:.2f} x bound_states on the same grid "
          f"({exact * 1e3:.2f} ms)")


if __name__ == "__main__":
    main()
