"""Speed of ``physics.kleingordon``: steps/s against two bare FFTs (the floor) and against amangkurat.

Everything is measured in the same run, single-threaded, after a warm-up call; contenders take
turns round by round (best steps/s of a few rounds of ``seconds_per_call``), so a busy neighbour
on the shared machine slows them all alike and the printed ratios stay meaningful.  Timings are
printed, never asserted.

For each grid size N (a box of length N * 0.1, dx = 0.1, dt = 0.01) and two scenes, a sine-Gordon
breather at rest (omega = 0.5) and a phi^4 kink-antikink pair (v = 0.3, at -+10):

- ours:       ``Simulation.step(200)`` on the compiled path (Numba: one r2c and one c2r per step,
              FFTW's plans or rocket-fft's, whichever the solver timed faster at that N; the
              ``fft`` column says which), steps/s, including step()'s per-call copies and finite
              check;
- numpy path: ``_steps_numpy`` called directly, 50 steps a call (what Pyodide runs);
- the floor:  nothing but a real FFT of a size-N field and the inverse real FFT of its spectrum per
              step (one r2c + one c2r, out of place, from a fixed field, so the values stay bounded
              without a scaling pass), by every implementation found here: rocket-fft's r2c/c2r in a
              compiled Numba loop (as our kernel calls them), FFTW's r2c/c2r plans in a compiled
              Numba loop (``fftw-numba``: ``physics._backend``'s plans and calls, as our kernel makes
              them, where pyFFTW is installed), numpy.fft rfft/irfft (with ``out=``),
              scipy.fft rfft/irfft (workers=1, overwrite_x on the inverse's input) and, if
              ``import pyfftw`` works, pre-planned ``pyfftw.FFTW`` objects (FFTW_MEASURE, 1 thread,
              r2c and c2r, ``execute()`` from a Python loop).  The fastest is the floor, per N;
- amangkurat: the seed's solver (``pip install amangkurat==0.0.1``), ``KGSolver(nx=N, x_min, x_max
              = the last point of our grid, verbose=False, n_cores=1, adaptive_dt=False).solve(phi0,
              pi0, dt, t_final=(500 - 1/2) dt, model, n_snapshots=1)``: exactly 500 steps a call of
              its two-level Störmer-Verlet (complex np.fft.fft/ifft per step, its force in a
              parallel=True Numba kernel on one thread).  solve() writes no file and plots nothing;
              the timing includes its per-call set-up (one extra Laplacian, 1/500 of the call) and
              its two stored snapshots.  Its grid (linspace with the endpoint, dx = (x_max - x_min) /
              (N - 1)) is then ours, and its field after the steps is printed against ours
              (|ours - amk|, ~1e-12: the same problem).  dt = 0.01 lies below its clamp 0.5 / k_max.

Then the lesson's cost: one phi^4 ``collision_outcome(v)`` at the lesson's settings (dt = 0.02,
points = 1024, v = 0.25) in ms, and a scan of 101 speeds from 0.15 to 0.40 in s, on the compiled
path (the whole scan; ``--quick``: 11 of them, extrapolated by their step counts) and on the NumPy
path (``kleingordon.HAVE_NUMBA`` switched off for the call; one point, extrapolated by the scan's
step count).

It prints the floor's implementations, then per scene steps/s and the ratios ours / floor,
numpy / floor, ours / the two bare FFTs of the library it uses at that N (``ours/own``: our
kernel's own overhead), ours / rocket-fft's two FFTs, ours / pyFFTW's, ours / amangkurat and
numpy / amangkurat.

Run: ``make bench`` or ``PYTHONPATH=. python bench/solitons.py [--quick]`` (under a minute; quick
under 10 s).
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import importlib.metadata  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import scipy.fft as sfft  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from physics import kleingordon as kg  # noqa: E402
from physics._backend import HAVE_NUMBA, PLAN_LOCK, aligned_empty, fftw_library, fftw_plans  # noqa: E402
from timing import seconds_per_call  # noqa: E402  (bench/timing.py)

DX, DT = 0.1, 0.01
OURS_STEPS, NUMPY_STEPS, FLOOR_STEPS, AMK_STEPS = 200, 50, 200, 500
SCENES = {"sine_gordon": "breather w = 0.5", "phi4": "kink-antikink v = 0.3"}
LESSON = {"dt": 0.02, "points": 1024}
SCAN = np.linspace(0.15, 0.40, 101)

try:
    import pyfftw
except ImportError:
    pyfftw = None

if HAVE_NUMBA:
    import numba
    from rocket_fft import c2r, r2c

    numba.set_num_threads(1)

    @numba.njit(cache=True, nogil=True)
    def rocket_two_ffts(a, spec, out, n):
        """The floor in compiled code: n times one r2c and one c2r (unscaled, out of place)."""
        axes = np.zeros(1, dtype=np.int64)
        for _ in range(n):
            r2c(a, spec, axes, True, 1.0, 1)
            c2r(spec, out, axes, False, 1.0, 1)


def rates(contenders: dict, budget: float, rounds: int) -> dict:
    """Best steps/s of each contender ``name -> (fn, steps_per_call)``, measured round-robin."""
    for fn, _ in contenders.values():
        fn()  # warm-up (JIT compilation, FFT plans, caches)
    best = dict.fromkeys(contenders, 0.0)
    for _ in range(rounds):
        for name, (fn, steps) in contenders.items():
            best[name] = max(best[name], steps / seconds_per_call(fn, budget))
    return best


def grid(n: int) -> np.ndarray:
    half = 0.5 * n * DX
    return np.linspace(-half, half, n, endpoint=False)


def scene(x: np.ndarray, model: str):
    if model == "sine_gordon":
        return kg.sg_breather(x, 0.5)
    return kg.phi4_collision(x, 0.3, 10.0)


# ---- the floor: two bare real FFTs per step ----------------------------------------------------------
def floor_contenders(n: int) -> dict:
    field = kg.sg_breather(grid(n), 0.5)[0]
    half = n // 2 + 1
    out = {}
    if HAVE_NUMBA:
        a, spec, res = field.copy(), np.empty(half, complex), np.empty(n)
        out["rocket-fft"] = (lambda: rocket_two_ffts(a, spec, res, FLOOR_STEPS), FLOOR_STEPS)
    if HAVE_NUMBA and fftw_library() is not None:
        from physics._backend import _r2c_pairs

        with PLAN_LOCK:
            plans = fftw_plans("r2c", n)
        fa, fs, fr = aligned_empty(n, np.float64), aligned_empty(half), aligned_empty(n, np.float64)
        fa[:] = field
        out["fftw-numba"] = (lambda: _r2c_pairs(fa, fs, fr, plans, FLOOR_STEPS), FLOOR_STEPS)

    na, nspec, nres = field.copy(), np.empty(half, complex), np.empty(n)

    def numpy_fft():
        for _ in range(FLOOR_STEPS):
            np.fft.rfft(na, out=nspec)
            np.fft.irfft(nspec, n=n, out=nres)

    out["numpy.fft"] = (numpy_fft, FLOOR_STEPS)
    sa = field.copy()

    def scipy_fft():
        for _ in range(FLOOR_STEPS):
            sfft.irfft(sfft.rfft(sa, workers=1), n=n, workers=1, overwrite_x=True)

    out["scipy.fft"] = (scipy_fft, FLOOR_STEPS)
    if pyfftw is not None:
        fa = pyfftw.empty_aligned(n, dtype="float64")
        fspec = pyfftw.empty_aligned(half, dtype="complex128")
        fres = pyfftw.empty_aligned(n, dtype="float64")
        fwd = pyfftw.FFTW(fa, fspec, direction="FFTW_FORWARD", flags=("FFTW_MEASURE",), threads=1)
        inv = pyfftw.FFTW(fspec, fres, direction="FFTW_BACKWARD", flags=("FFTW_MEASURE",), threads=1)
        fa[:] = field            # (planning with FFTW_MEASURE overwrites the arrays)
        forward, backward = fwd.execute, inv.execute

        def fftw():
            for _ in range(FLOOR_STEPS):
                forward()
                backward()

        out["pyfftw"] = (fftw, FLOOR_STEPS)
    return out


# ---- the solvers ----------------------------------------------------------------------------------------
def ours_contenders(n: int, model: str) -> tuple[dict, str]:
    """The contenders, and the FFT our compiled solver chose at this N ("-" without Numba)."""
    x = grid(n)
    phi0, pi0 = scene(x, model)
    out = {}
    fft = "-"
    if HAVE_NUMBA:
        sim = kg.Simulation(x, phi0, pi0, model, DT)
        fft = sim.fft
        out["ours"] = (lambda: sim.step(OURS_STEPS), OURS_STEPS)
    ref = kg.Simulation(x, phi0, pi0, model, DT)
    u, pi, acc = ref._u.copy(), ref._pi.copy(), ref._acc.copy()
    args = (ref.ramp, ref._k2, NUMPY_STEPS, DT, kg._CODE[model], ref.mass ** 2)
    out["numpy"] = (lambda: kg._steps_numpy(u, pi, acc, *args), NUMPY_STEPS)
    return out, fft


def amangkurat_contender(n: int, model: str):
    """(fn, steps) timing amangkurat's KGSolver.solve, and max |its field - ours| after the steps."""
    from amangkurat import KGSolver

    x = grid(n)
    phi0, pi0 = scene(x, model)
    solver = KGSolver(nx=n, x_min=float(x[0]), x_max=float(x[-1]), verbose=False, n_cores=1,
                      adaptive_dt=False)
    if not np.allclose(solver.x, x, rtol=0.0, atol=1e-9):
        raise RuntimeError("its grid is not ours")

    def run():
        for key in ("timestep_history", "cfl_history", "warnings"):
            solver.diagnostics[key].clear()       # (they grow by a step's entry per step otherwise)
        return solver.solve(phi0, pi0, DT, (AMK_STEPS - 0.5) * DT, model, n_snapshots=1)

    res = run()
    if res["params"]["n_steps"] != AMK_STEPS or res["params"]["dt_final"] != DT:
        raise RuntimeError(f"it ran {res['params']['n_steps']} steps of {res['params']['dt_final']}")
    # its last snapshot is the field before the last step
    sim = kg.Simulation(x, phi0, pi0, model, DT)
    sim.step(int(round(res["t"][-1] / DT)))
    return (run, AMK_STEPS), float(np.max(np.abs(sim.phi - res["phi"][-1])))


def have_amangkurat() -> bool:
    try:
        import amangkurat  # noqa: F401
    except Exception as exc:       # not installed, or a dependency of it broken
        print("amangkurat: not installed (pip install amangkurat==0.0.1)"
              + ("" if isinstance(exc, ModuleNotFoundError) else f": {exc!r}"))
        return False
    return True


def bench_sizes(sizes, budget: float, rounds: int, with_amk: bool):
    """Per N: the floor implementations' steps/s, per model ours / numpy / amangkurat, and the
    FFT ours uses."""
    rows = []
    for n in sizes:
        contenders = dict(floor_contenders(n))
        agree, ffts = {}, {}
        for model in SCENES:
            ours, ffts[model] = ours_contenders(n, model)
            for name, c in ours.items():
                contenders[(model, name)] = c
            if with_amk:
                contenders[(model, "amk")], agree[model] = amangkurat_contender(n, model)
        rows.append((n, rates(contenders, budget, rounds), agree, ffts))
    return rows


#: the floor implementation that times our kernel's own transforms, by Simulation.fft
OWN_FLOOR = {"fftw": "fftw-numba", "pocketfft": "rocket-fft"}


def print_tables(rows, with_amk: bool) -> None:
    names = [k for k in rows[0][1] if isinstance(k, str)]
    print("\nThe floor: one r2c + one c2r of size N per step, steps/s (* = the fastest, the floor)")
    print(f"{'N':>6}" + "".join(f"{name:>13}" for name in names))
    floors = {}
    for n, r, _, _ in rows:
        best = max(names, key=lambda k: r[k])
        floors[n] = (best, r[best])
        print(f"{n:>6}" + "".join(f"{r[k]:>12.0f}{'*' if k == best else ' '}" for k in names))
    for model, label in SCENES.items():
        print(f"\n{model} ({label}), dx = {DX}, dt = {DT}: steps/s and ratios")
        print(f"{'N':>6} {'floor':>21} {'ours':>9} {'fft':>10} {'numpy':>9} {'amk':>9} {'ours/floor':>11}"
              f" {'numpy/floor':>12} {'ours/own':>9} {'ours/rfft':>10} {'ours/pyfftw':>12} {'ours/amk':>9}"
              f" {'numpy/amk':>10} {'|ours-amk|':>11}")
        for n, r, agree, ffts in rows:
            fname, fl = floors[n]
            ours = r.get((model, "ours"), math.nan)
            npy = r[(model, "numpy")]
            amk = r.get((model, "amk"), math.nan)
            rfft = r.get("rocket-fft", math.nan)
            pyf = r.get("pyfftw", math.nan)
            own = r.get(OWN_FLOOR.get(ffts[model], ""), math.nan)
            diff = f"{agree[model]:11.1e}" if model in agree else f"{'-':>11}"
            print(f"{n:>6} {fname:>12} {fl:>8.0f} {ours:>9.0f} {ffts[model]:>10} {npy:>9.0f} {amk:>9.0f}"
                  f" {ours / fl:>11.2f} {npy / fl:>12.2f} {ours / own:>9.2f} {ours / rfft:>10.2f}"
                  f" {ours / pyf:>12.2f} {ours / amk:>9.1f} {npy / amk:>10.1f} {diff}")
    print("(fft: the transforms our solver chose at that N, timed once per process; ours/own: ours against"
          " the two bare FFTs of that library from a compiled loop (fftw-numba or rocket-fft); ours/rfft,"
          " ours/pyfftw: against rocket-fft's and pyFFTW's)")
    if not with_amk:
        print("(amk: amangkurat not installed: pip install amangkurat==0.0.1)")


# ---- the lesson's cost -------------------------------------------------------------------------------
@contextlib.contextmanager
def numpy_path():
    """kleingordon's Simulation.step on its NumPy twin for the duration (what Pyodide runs)."""
    saved = kg.HAVE_NUMBA
    kg.HAVE_NUMBA = False
    try:
        yield
    finally:
        kg.HAVE_NUMBA = saved


def lesson_steps(v: float) -> int:
    """The steps collision_outcome takes at speed v with its defaults x0 = 10, after = 120."""
    return int(round((10.0 / v + 120.0) / LESSON["dt"]))


def best_seconds(fn, repeats: int) -> float:
    fn()  # warm-up
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def bench_lesson(quick: bool) -> None:
    v = 0.25
    print(f"\nThe lesson's cost: phi^4 collision_outcome(v, dt = {LESSON['dt']}, points = {LESSON['points']});"
          f" the scan: {SCAN.size} speeds from {SCAN[0]:.2f} to {SCAN[-1]:.2f}")
    total = sum(lesson_steps(s) for s in SCAN)
    paths = (["compiled"] if HAVE_NUMBA else []) + ["numpy"]
    outcome = {}
    for path in paths:
        ctx = numpy_path() if path == "numpy" else contextlib.nullcontext()
        with ctx:
            one = best_seconds(lambda: outcome.__setitem__(path, kg.collision_outcome(v, **LESSON)),
                               repeats=1 if path == "numpy" or quick else 3)
            if path == "compiled":
                speeds = SCAN[::10] if quick else SCAN
                start = time.perf_counter()
                results = [kg.collision_outcome(s, **LESSON) for s in speeds]
                scan = time.perf_counter() - start
                ran = sum(lesson_steps(s) for s in speeds)
                how = (f"{speeds.size} of them run ({scan:.2f} s), x {total / ran:.2f} by steps"
                       if speeds.size < SCAN.size else f"the whole scan run; {sum(r['escaped'] for r in results)}"
                       f" of {SCAN.size} escaped")
                scan *= total / ran
            else:
                scan = one * total / lesson_steps(v)
                how = f"one point run, x {total / lesson_steps(v):.1f} by steps"
        print(f"  {path:<9} one (v = {v}, {lesson_steps(v)} steps) {one * 1e3:7.0f} ms;"
              f" scan {scan:6.1f} s ({how})")
    if len(outcome) == 2:
        a, b = outcome["compiled"], outcome["numpy"]
        print(f"  (v = {v}: v_out {a['v_out']:.4f} compiled, {b['v_out']:.4f} numpy; bounces {a['bounces']},"
              f" {b['bounces']})")


def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes, shorter timings")
    args = parser.parse_args()
    sizes = [512, 2048, 8192] if args.quick else [512, 1024, 2048, 4096, 8192]
    budget, rounds = (0.05, 2) if args.quick else (0.2, 4)
    path = ("numba + FFTW or rocket-fft (the faster per N)" if HAVE_NUMBA and fftw_library() is not None
            else "numba + rocket-fft" if HAVE_NUMBA else "numpy only")
    print(f"physics.kleingordon, one thread; path: {path};"
          f" best of {rounds} round-robin rounds after a warm-up call")
    print(f"numpy {np.__version__}, scipy {version('scipy')}, rocket-fft {version('rocket-fft')},"
          f" pyFFTW {version('pyFFTW')}, amangkurat {version('amangkurat')}")
    if pyfftw is None:
        print("pyfftw: not importable here, left out of the floor")
    if not HAVE_NUMBA:
        print("numba/rocket-fft unusable: no compiled path, the 'ours' column is empty")
    with_amk = have_amangkurat()
    rows = bench_sizes(sizes, budget, rounds, with_amk)
    print_tables(rows, with_amk)
    bench_lesson(args.quick)


if __name__ == "__main__":
    main()
