"""Speed of ``physics.battery`` (parity sectors, batched settings) against the dense reference path.

Everything is measured in the same run, single-threaded, after a warm-up call (best of a few
calls, or one call when a call takes over a second).  The dense reference is what a plain loop
over settings does with ``physics.spinchain``: build the chain, ``thermal_state`` (a full dense
eigh), then ``ergotropy`` (and ``capacity``, ``l1_coherence``, ``concurrence``) of that state.
It prints:

- a 100 x 100 two-site map over the field B and the inhomogeneity b (fields B + b, B - b) with
  ``thermal_quantities``: ergotropy alone, and ergotropy + capacity + coherence + concurrence,
  against the goal of <= 0.5 s and against the dense loop (timed on 200 of the points and
  extrapolated to 10^4; the two are also compared on those points);
- a 100 x 100 two-site map over D x T (one diagonalisation per D value, all T from it);
- the thermal ergotropy of one setting against the number of sites N = 2..12 (``thermal_quantities``)
  next to the dense reference for N <= 10 (N = 11, 12 dense would take minutes) and their ratio;
- charging, ``charging`` over 241 times: a mixed (Gibbs) initial state for N = 4, 6, 8 (eigenbasis
  path) and a pure one for N = 10 (sparse H, uniform times: the Krylov expm_multiply path).

Run: ``PYTHONPATH=. python bench/spin_battery.py [--quick]`` (``--quick`` stops the N scan at 10),
or ``make bench``.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from physics import battery as bt  # noqa: E402
from physics import spinchain as sc  # noqa: E402
from timing import seconds_per_call  # noqa: E402  (bench/timing.py)

GOAL = 0.5                      # seconds for a 100 x 100 two-site map (the lesson's slider budget)
COUPLINGS = (1.0, 0.6, 0.4, 0.3, 0.2)     # Jx, Jy, Jz, D, K
T_MAP = 0.5
ALL_FOUR = ("ergotropy", "capacity", "coherence", "concurrence")


def best_time(fn, repeats: int = 5, budget: float = 0.3) -> tuple[float, bool]:
    """(seconds per call, single): the best of ``repeats`` rounds of ``seconds_per_call`` after a
    warm-up call, or just the warm-up call when it takes over a second (single = True)."""
    start = time.perf_counter()
    fn()                                                   # warm-up (templates, caches)
    first = time.perf_counter() - start
    if first > 1.0:
        return first, True
    return min(seconds_per_call(fn, budget) for _ in range(repeats)), False


def dense_point(fields, T, quantities):
    """One setting by the dense reference path: a dict of the figures asked for."""
    H = sc.hamiltonian(len(fields), *COUPLINGS, fields=fields)
    HB = sc.battery_hamiltonian(fields)
    rho = sc.thermal_state(H, T)
    out = {"ergotropy": sc.ergotropy(rho, HB)}
    if "capacity" in quantities:
        out["capacity"] = sc.capacity(rho, HB)
    if "coherence" in quantities:
        out["coherence"] = sc.l1_coherence(rho)
    if "concurrence" in quantities:
        out["concurrence"] = sc.concurrence(rho)
    return out


def bench_field_map() -> None:
    B = np.linspace(0.0, 3.0, 100)
    b = np.linspace(-1.5, 1.5, 100)
    fields = bt.site_fields(2, B[:, None], b[None, :])                 # (100, 100, 2)
    flat = fields.reshape(-1, 2)
    subset = np.arange(0, flat.shape[0], flat.shape[0] // 200)[:200]
    print(f"100 x 100 map over B x b, two sites, T = {T_MAP}, (Jx, Jy, Jz, D, K) = {COUPLINGS}; goal <= {GOAL} s")
    print(f"{'quantities':<46} {'ours s':>8} {'goal/ours':>9} {'dense s*':>9} {'dense/ours':>10} {'max |diff|':>10}")
    for names in (("ergotropy",), ALL_FOUR):
        def ours():
            return bt.thermal_quantities(2, *COUPLINGS, fields, T_MAP, quantities=names)

        t_ours, _ = best_time(ours)
        maps = ours()

        def loop():
            return [dense_point(flat[i], T_MAP, names) for i in subset]

        start = time.perf_counter()
        ref = loop()
        t_dense = (time.perf_counter() - start) / subset.size * flat.shape[0]
        diff = max(abs(maps[k].reshape(-1)[i] - r[k]) for i, r in zip(subset, ref) for k in names)
        print(f"{' + '.join(names):<46} {t_ours:8.4f} {GOAL / t_ours:9.1f} {t_dense:9.2f} {t_dense / t_ours:10.0f}"
              f" {diff:10.1e}")
    print(f"* dense: a loop of spinchain.hamiltonian + thermal_state + the figures, timed on {subset.size} of"
          " the 10^4 points and extrapolated; max |diff| compares the two on those points"
          " (the concurrence's Wootters formula is good to ~1e-8)")


def bench_dt_map() -> None:
    D = np.linspace(-2.0, 2.0, 100)
    T = np.linspace(0.0, 3.0, 100)
    Jx, Jy, Jz, _, K = COUPLINGS

    def ours():
        return bt.thermal_quantities(2, Jx, Jy, Jz, D, K, (1.3, 0.7), T, quantities=("ergotropy", "capacity"))

    t_ours, _ = best_time(ours)
    shape = ours()["ergotropy"].shape
    print(f"\n100 x 100 map over D x T (ergotropy + capacity, result {shape}; one diagonalisation per D):"
          f" {t_ours:.4f} s = goal / {GOAL / t_ours:.0f}")


def bench_sites(max_n: int) -> None:
    print(f"\nthermal ergotropy of one setting (alternating fields B = 1, b = 0.3; T = {T_MAP}) against N")
    print(f"{'N':>3} {'d':>5} {'ours ms':>10} {'dense ms':>10} {'dense/ours':>10} {'|diff|':>8}")
    for n in range(2, max_n + 1):
        fields = bt.site_fields(n, 1.0, 0.3)
        args = (n, *COUPLINGS, fields)

        def ours():
            return bt.thermal_quantities(*args, T_MAP, quantities=("ergotropy",))["ergotropy"]

        t_ours, single = best_time(ours)
        mark = " (one call)" if single else ""
        if n <= 10:
            def dense():
                H = sc.hamiltonian(*args)
                return sc.ergotropy(sc.thermal_state(H, T_MAP), sc.battery_hamiltonian(fields))

            t_dense, single = best_time(dense)
            mark += " (dense: one call)" if single else ""
            diff = abs(float(ours()) - dense())
            print(f"{n:3d} {2**n:5d} {t_ours * 1e3:10.2f} {t_dense * 1e3:10.2f} {t_dense / t_ours:10.1f}"
                  f" {diff:8.1e}{mark}")
        else:
            print(f"{n:3d} {2**n:5d} {t_ours * 1e3:10.0f} {'-':>10} {'-':>10} {'-':>8}{mark}")
    print("dense: spinchain.hamiltonian + thermal_state (full eigh) + ergotropy, skipped for N = 11, 12"
          " (minutes); |diff|: |W ours - W dense|")
    if max_n < 12:
        print(f"(--quick: N stops at {max_n})")


def bench_charging() -> None:
    times = np.linspace(0.0, 12.0, 241)
    print(f"\ncharging over {times.size} times: H = XYZ chain {COUPLINGS} (no field) + transverse drive 0.5;"
          " H_B alternating fields B = 1, b = 0.3")
    print(f"{'N':>3} {'initial state':<26} {'path':<24} {'ms':>9} {'ms / time':>9}")
    for n, pure in ((4, False), (6, False), (8, False), (10, True)):
        fields = bt.site_fields(n, 1.0, 0.3)
        H = sc.hamiltonian(n, *COUPLINGS) + bt.transverse_drive(n, 0.5)       # sparse
        if pure:
            psi = np.zeros(2**n)
            psi[np.argmin(np.real(sc.battery_hamiltonian(fields).diagonal()))] = 1.0   # H_B's ground state
            rho0, label, path = np.outer(psi, psi), "pure (empty battery)", "Krylov (expm_multiply)"
        else:
            rho0 = sc.thermal_state(sc.battery_hamiltonian(fields), 0.5)
            label, path = "Gibbs of H_B at T = 0.5", "eigenbasis, mixed"
        t, single = best_time(lambda: bt.charging(rho0, H, fields, times), repeats=3)
        print(f"{n:3d} {label:<26} {path:<24} {t * 1e3:9.1f} {t / times.size * 1e3:9.3f}"
              f"{' (one call)' if single else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N scan up to 10 only (N = 11, 12 take a minute)")
    args = parser.parse_args()
    print("numpy/scipy, one thread; best of 5 rounds after a warm-up call ('one call': the warm-up call"
          " alone, when it takes over 1 s)")
    bench_field_map()
    bench_dt_map()
    bench_sites(10 if args.quick else 12)
    bench_charging()


if __name__ == "__main__":
    main()
