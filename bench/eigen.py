"""Time of ``physics.eigen.bound_states`` against grid size, as ratios measured in one run.

For each grid size N (points on [-6, 6], the finite well of the Bound-states lesson) it measures,
single-threaded, the best of several calls of:

- ours:   ``bound_states(x, V, 40)``: three tridiagonal solves (grid, 2nd and 4th points) for the
          40 lowest levels and the fine grid's eigenvectors, plus the Richardson combination;
- plain:  one ``scipy.linalg.eigh_tridiagonal`` for the same 40 levels and vectors (the floor);
- dense:  ``numpy.linalg.eigh`` of the same matrix as a dense array (what a naive solver does),
          only up to N = 2000.

and the error of E1..E5 against the transcendental equations, so the cost of the extrapolation is
seen next to what it buys.  Contenders alternate round by round so a busy neighbour slows them alike.

Run: ``python bench/eigen.py``.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from scipy.linalg import eigh_tridiagonal  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "physics"))
from physics import eigen, potentials  # noqa: E402
from test_eigen import finite_well_exact  # noqa: E402  (the transcendental equations, solved)


def best_times(contenders: dict, rounds: int = 7) -> dict:
    best = {name: np.inf for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def main() -> None:
    exact = finite_well_exact(3.0, 10.0, 6.0)[:5]
    print(f"{'N':>6} {'ours ms':>9} {'plain ms':>9} {'dense ms':>9} {'ours/plain':>10} {'dense/ours':>10}"
          f" {'err plain':>10} {'err ours':>10}")
    for n in (241, 481, 961, 1921, 3841, 7681):
        x = np.linspace(-6, 6, n)
        V = potentials.finite_well(x, 3.0, 10.0)
        dx = x[1] - x[0]
        d, e = 1 / dx**2 + V[1:-1], np.full(n - 3, -0.5 / dx**2)
        contenders = {
            "ours": lambda: eigen.bound_states(x, V, 40),
            "plain": lambda: eigh_tridiagonal(d, e, select="i", select_range=(0, 39)),
        }
        if n <= 2000:
            dense = np.diag(d) + np.diag(e, 1) + np.diag(e, -1)
            contenders["dense"] = lambda: np.linalg.eigh(dense)
        t = best_times(contenders)
        err_ours = np.abs(eigen.bound_states(x, V, 5)[0] / exact - 1).max()
        err_plain = np.abs(eigen.solve(x, V, 5, extrapolate=False).energies / exact - 1).max()
        dense_ratio = f"{t['dense'] / t['ours']:10.1f}" if "dense" in t else f"{'-':>10}"
        dense_ms = f"{t['dense'] * 1e3:9.2f}" if "dense" in t else f"{'-':>9}"
        print(f"{n:6d} {t['ours'] * 1e3:9.2f} {t['plain'] * 1e3:9.2f} {dense_ms} {t['ours'] / t['plain']:10.2f}"
              f" {dense_ratio} {err_plain:10.1e} {err_ours:10.1e}")
    print("\nours/plain: cost of the two extra coarse solves (eigenvalues only) and the combination;"
          "\nthe errors are max |E/E_exact - 1| over E1..E5 (finite well, width 3, depth 10).")


if __name__ == "__main__":
    main()
