"""Speed of ``physics.anderson``: Chebyshev propagation, the moving-lattice integrator, Lyapunov exponents.

Everything is measured in the same run, single-threaded, after a warm-up call (best of a few rounds
of ``seconds_per_call``).  "numba" is the default path (the compiled kernels), "numpy" their NumPy
twins called explicitly (``backend="numpy"``, what the browser build runs).  It prints:

(a) ``evolve`` on a 2000-site chain (box disorder W = 2, a Gaussian packet, sigma = 10, k0 = 1),
    200 output times evenly over [0, 200], against ``scipy.sparse.linalg.expm_multiply(-iH, psi0,
    0, 200, 200, endpoint=True)`` (Al-Mohy & Higham; its default tolerance, double precision);
    errors against exact diagonalisation (``eigh_tridiagonal``); goal: ours >= 10x faster;
(b) a Lyapunov exponent of 10^6 sites (W = 1, E = 0.5): ``lyapunov_exponent`` on given site
    energies, and ``localization_length`` including drawing them; goal < 0.2 s;
(c) ``evolve_moving`` on 2000 sites to t = 200 (amplitude 1, sound speed 1, 32 modes) at dt = 0.2,
    0.1 and the default 0.05, errors against dt = 0.0125 (a quarter of the default);
(d) what a lesson can afford per slider move: 120 frames (t = 0, 1, ..., 119) of a 1000-site chain,
    static and moving, against the 150 ms within which a new animation must start.

Run: ``PYTHONPATH=. python bench/anderson.py`` (about half a minute).
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from scipy.linalg import eigh_tridiagonal  # noqa: E402
from scipy.sparse.linalg import expm_multiply  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from physics import anderson as an  # noqa: E402
from physics._backend import BACKEND  # noqa: E402
from timing import seconds_per_call  # noqa: E402  (bench/timing.py)

GOAL_RATIO = 10.0
GOAL_LYAPUNOV = 0.2
BUDGET_MS = 150.0
BACKENDS = ("numba", "numpy") if an.HAVE_NUMBA else ("numpy",)


def best_time(fn, repeats: int = 3, budget: float = 0.2) -> float:
    """Seconds per call: the best of ``repeats`` rounds of ``seconds_per_call`` after a warm-up call
    (just the warm-up call when it takes over a second)."""
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    if first > 1.0:
        return first
    return min(seconds_per_call(fn, budget) for _ in range(repeats))


def worst_error(a, b) -> float:
    """Largest 2-norm of the difference over the output times."""
    return float(np.max(np.linalg.norm(a - b, axis=-1)))


def bench_static(N=2000, W=2.0, t_end=200.0, count=200) -> None:
    eps = an.box_disorder(N, W, seed=0)
    psi0 = an.gaussian_packet(N, N / 2, 10.0, 1.0)
    times = np.linspace(0.0, t_end, count)
    lam, V = eigh_tridiagonal(eps, -np.ones(N - 1))
    exact = (np.exp(-1j * np.outer(times, lam)) * (V.T @ psi0)) @ V.T
    H = an.hamiltonian(eps)

    def scipy_run():
        return expm_multiply(-1j * H, psi0, start=0.0, stop=t_end, num=count, endpoint=True)

    t_scipy = best_time(scipy_run, repeats=2, budget=0.0)
    err_scipy = worst_error(scipy_run(), exact)
    print(f"(a) evolve: {N} sites, W = {W:g}, Gaussian packet, {count} times over [0, {t_end:g}];"
          f" goal >= {GOAL_RATIO:.0f}x expm_multiply")
    print(f"    {'path':<15} {'ms':>8} {'ratio':>7} {'max |psi - exact|':>18}")
    print(f"    {'expm_multiply':<15} {t_scipy * 1e3:8.1f} {1.0:7.1f} {err_scipy:18.1e}")
    for backend in BACKENDS:
        def ours():
            return an.evolve(eps, psi0, times, backend=backend)

        t = best_time(ours)
        print(f"    {backend:<15} {t * 1e3:8.1f} {t_scipy / t:7.1f} {worst_error(ours(), exact):18.1e}")
    print("    (the exact reference: eigh_tridiagonal, whose own error is ~1e-13 here)")


def bench_lyapunov(sites=1_000_000, W=1.0, E=0.5) -> None:
    eps = an.box_disorder(sites, W, seed=0)
    print(f"\n(b) Lyapunov exponent, {sites:,} sites, W = {W:g}, E = {E:g}; goal < {GOAL_LYAPUNOV} s"
          f" (perturbative xi = {an.perturbative_length(W, E):.1f})")
    for backend in BACKENDS:
        t_gamma = best_time(lambda: an.lyapunov_exponent(eps, E, backend=backend))
        t_xi = best_time(lambda: an.localization_length(W, E, sites=sites, backend=backend))
        xi = an.localization_length(W, E, sites=sites, backend=backend)
        print(f"    {backend:<6} lyapunov_exponent {t_gamma * 1e3:6.1f} ms, localization_length (with drawing"
              f" the energies) {t_xi * 1e3:6.1f} ms: xi = {xi:.1f} +- {xi * np.sqrt(xi / sites):.1f}")


def bench_moving(N=2000, t_end=200.0, dts=(0.2, 0.1, 0.05)) -> None:
    eps = an.box_disorder(N, 2.0, seed=0)
    psi0 = an.gaussian_packet(N, N / 2, 10.0, 1.0)
    field = an.VibrationField(1.0, 1.0, seed=0)
    times = np.linspace(0.0, t_end, 201)
    reference = an.evolve_moving(eps, field, psi0, times, dt=min(dts) / 4)
    print(f"\n(c) evolve_moving: {N} sites, W = 2, field amplitude 1, speed 1, {field.modes} modes,"
          f" to t = {t_end:g}"
          f" (201 outputs); error against dt = {min(dts) / 4:g}")
    print(f"    {'dt':>6} {'steps':>6} " + "".join(f"{b + ' s':>10}" for b in BACKENDS)
          + f" {'max |psi - ref|':>16} {'|norm - 1|':>11}")
    for dt in dts:
        cells = []
        for backend in BACKENDS:
            t = best_time(lambda: an.evolve_moving(eps, field, psi0, times, dt=dt, backend=backend),
                          repeats=2, budget=0.0)
            cells.append(f"{t:10.3f}")
        out = an.evolve_moving(eps, field, psi0, times, dt=dt)
        drift = float(np.max(np.abs(np.linalg.norm(out, axis=1) - 1.0)))
        print(f"    {dt:6.3f} {int(round(t_end / dt)):6d} " + "".join(cells)
              + f" {worst_error(out, reference):16.1e} {drift:11.1e}")


def bench_lesson(N=1000, frames=120) -> None:
    eps = an.box_disorder(N, 2.0, seed=1)
    psi0 = an.site_packet(N, N // 2)
    times = np.arange(frames, dtype=float)
    field = an.VibrationField(1.0, 1.0, seed=1)
    print(f"\n(d) a lesson's slider move: {frames} frames (t = 0 ... {frames - 1}), {N} sites, one-site start;"
          f" budget {BUDGET_MS:.0f} ms")
    runs = [("static", lambda b: an.evolve(eps, psi0, times, backend=b)),
            ("static, absorber 40", lambda b: an.evolve(eps, psi0, times, absorber=40, backend=b)),
            ("moving, dt 0.05", lambda b: an.evolve_moving(eps, field, psi0, times, backend=b)),
            ("moving, dt 0.1", lambda b: an.evolve_moving(eps, field, psi0, times, dt=0.1, backend=b)),
            ("moving, dt 0.2", lambda b: an.evolve_moving(eps, field, psi0, times, dt=0.2, backend=b))]
    print(f"    {'run':<20}" + "".join(f"{b + ' ms':>11}" for b in BACKENDS))
    for label, run in runs:
        cells = [f"{best_time(lambda: run(b), repeats=2, budget=0.3) * 1e3:11.1f}" for b in BACKENDS]
        print(f"    {label:<20}" + "".join(cells))


def main() -> None:
    print(f"physics.anderson, one thread, default path: {BACKEND}; best of 2-3 rounds after a warm-up call")
    bench_static()
    bench_lyapunov()
    bench_moving()
    bench_lesson()


if __name__ == "__main__":
    main()
