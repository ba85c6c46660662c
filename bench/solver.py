"""Split-operator solver speed, as ratios to the fastest bare FFT in the same run (not a timed test).

For each grid size N it measures steps/s, single-threaded and after warm-up:

- ours:     ``physics.wavepacket.Simulation.step`` on the compiled (Numba) path, with the transforms
            it picks at that N (FFTW or rocket-fft: printed as "fft");
- numpy:    our pure-NumPy path (what Pyodide runs: SciPy's in-place transforms);
- the floor candidates, one forward and one inverse FFT of N complex128 points per step and
  nothing else (the ceiling for any FFT split-step solver):
    FFTW     FFTW's plans (pyFFTW's library, FFTW_MEASURE, one thread) run from a compiled loop,
             the faster of out of place and in place;
    pyFFTW   the same transforms through pyFFTW's ``FFTW.execute()`` from Python;
    rocket   pocketfft/DUCC0 through rocket-fft from a compiled loop, the faster of out of place
             and in place;
    scipy    ``scipy.fft.fft`` / ``ifft`` with ``overwrite_x`` (in place);
    np.fft   ``numpy.fft.fft`` / ``ifft`` with ``out=`` (in place);
  the compiled candidates run unscaled on zeros (unscaled transforms of other data overflow; FFT
  time does not depend on the values: measured equal for zeros, random data and inf/NaN);
- qt1d:     the reference solver 1d-qt-ideal-solver (``qt1d_ideal``), one thread, fixed dt.

FFTW (pyFFTW) and qt1d come with ``pip install -e '.[bench]'``; without them their columns are nan.
It prints steps/s, the floor (the fastest candidate) and the ratios ours / floor, numpy / floor
and ours / qt1d, then the server CPU time one Tunnelling session costs per second of animation
(computing its frames and encoding them for the websocket, as the server does once per setting;
playback itself runs in the browser).

Run: ``make bench`` or ``python bench/solver.py [--quick] [--no-qt1d]``.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import io  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import scipy.fft  # noqa: E402

from physics import potentials, wavepacket  # noqa: E402
from physics._backend import HAVE_NUMBA, fftw_library  # noqa: E402
from timing import seconds_per_call  # noqa: E402  (bench/timing.py)

#: The floor candidates, in the order printed.
FLOORS = ("FFTW", "pyFFTW", "rocket", "scipy", "np.fft")


def rates(contenders: dict, budget: float = 0.2, rounds: int = 5) -> dict:
    """Best steps/s of each contender ``name -> (fn, steps_per_call)``.

    Contenders take turns round by round, so a busy neighbour on the shared machine slows them
    all alike and the ratios stay meaningful.
    """
    for fn, _ in contenders.values():
        fn()  # warm-up (JIT compilation, caches)
    best = dict.fromkeys(contenders, 0.0)
    for _ in range(rounds):
        for name, (fn, steps) in contenders.items():
            best[name] = max(best[name], steps / seconds_per_call(fn, budget))
    return best


def setup(n: int):
    x = np.linspace(-100, 100, n, endpoint=False)
    V = potentials.rectangular(x, 1.0, 1.5, 0.0)
    psi0 = wavepacket.gaussian(x, -40, 5, 1.4)
    return x, V, psi0


if HAVE_NUMBA:
    import numba
    from rocket_fft import c2c

    numba.set_num_threads(1)

    @numba.njit(cache=True, nogil=True)
    def rocket_pairs(a, b, n):
        """n steps of an unscaled forward FFT a -> b and inverse b -> a (in place when a is b)."""
        axes = np.zeros(1, dtype=np.int64)
        for _ in range(n):
            c2c(a, b, axes, True, 1.0, 1)
            c2c(b, a, axes, False, 1.0, 1)

    @numba.njit(cache=True, nogil=True)
    def fftw_pairs(execute, forward, backward, a, b, n):
        """n steps of FFTW's planned forward a -> b and inverse b -> a (unscaled)."""
        for _ in range(n):
            wavepacket._fftw_execute_dft(execute, forward, a, b)
            wavepacket._fftw_execute_dft(execute, backward, b, a)


def zeros(n):
    """n complex zeros, aligned as the solver's arrays (FFTW runs its plans on such arrays only)."""
    a = wavepacket._aligned_empty(n)
    a[:] = 0.0
    return a


def floor_contenders(n: int, steps: int) -> dict:
    """Bare forward + inverse transforms of n points, ``name -> (fn, steps_per_call)``; a name
    "floor@variant" is one more way of running that floor's transforms (the faster one counts)."""
    py_steps = max(steps // 10, 10)
    sp, nf = zeros(n), zeros(n)
    out = {"scipy": (lambda: [scipy.fft.ifft(scipy.fft.fft(sp, overwrite_x=True), overwrite_x=True)
                              for _ in range(py_steps)], py_steps),
           "np.fft": (lambda: [np.fft.ifft(np.fft.fft(nf, out=nf), out=nf) for _ in range(py_steps)],
                      py_steps)}
    if not HAVE_NUMBA:
        return out
    r1, r2, r3 = zeros(n), zeros(n), zeros(n)
    out["rocket"] = (lambda: rocket_pairs(r1, r2, steps), steps)
    out["rocket@in-place"] = (lambda: rocket_pairs(r3, r3, steps), steps)
    lib = fftw_library()
    if lib is None:
        return out
    import ctypes

    import pyfftw

    p1, p2 = zeros(n), zeros(n)
    fw = pyfftw.FFTW(p1, p2, direction="FFTW_FORWARD", flags=("FFTW_MEASURE",), threads=1)
    bw = pyfftw.FFTW(p2, p1, direction="FFTW_BACKWARD", flags=("FFTW_MEASURE",), threads=1)

    def pyfftw_run():
        for _ in range(py_steps):
            fw.execute()
            bw.execute()

    out["pyFFTW"] = (pyfftw_run, py_steps)
    execute = ctypes.cast(lib.fftw_execute_dft, ctypes.c_void_p).value
    f1, f2, f3 = zeros(n), zeros(n), zeros(n)
    measure = 0     # FFTW_MEASURE, as pyFFTW's above (the same library, so the same wisdom)
    plans = [lib.fftw_plan_dft_1d(n, src.ctypes.data, dst.ctypes.data, sign, measure)
             for src, dst, sign in ((f1, f2, -1), (f2, f1, +1), (f3, f3, -1), (f3, f3, +1))]
    for arr in (p1, p2, f1, f2, f3):
        arr[:] = 0.0   # planning with FFTW_MEASURE overwrites the arrays
    out["FFTW"] = (lambda: fftw_pairs(execute, plans[0], plans[1], f1, f2, steps), steps)
    out["FFTW@in-place"] = (lambda: fftw_pairs(execute, plans[2], plans[3], f3, f3, steps), steps)
    return out


def bench_sizes(sizes, steps, with_qt1d):
    rows = []
    try:
        import qt1d_ideal  # noqa: F401
        have_qt1d = with_qt1d
    except ImportError:
        have_qt1d = False
    for n in sizes:
        x, V, psi0 = setup(n)
        sim = wavepacket.Simulation(x, V, psi0, 0.01, absorber_width=20,
                                    backend="numba" if HAVE_NUMBA else "numpy")
        npsim = wavepacket.Simulation(x, V, psi0, 0.01, absorber_width=20, backend="numpy")
        np_steps = max(steps // 10, 10)
        contenders = {"ours": (lambda: sim.step(steps), steps),
                      "numpy": (lambda: npsim.step(np_steps), np_steps),
                      **floor_contenders(n, steps)}
        if have_qt1d:
            contenders["qt1d"] = qt1d_contender(x, V, psi0)
        best = rates(contenders)
        row = {"N": n, "fft": sim.fft}
        for name, rate in best.items():
            key = name.split("@")[0]
            row[key] = max(row.get(key, 0.0), rate)
        rows.append(row)
    return rows, have_qt1d


def qt1d_contender(x, V, psi0):
    """1d-qt-ideal-solver's QuantumTunneling1D.solve with one thread and a fixed dt."""
    from qt1d_ideal import QuantumTunneling1D

    dt = 0.01
    with contextlib.redirect_stdout(io.StringIO()):
        solver = QuantumTunneling1D(nx=x.size, x_min=float(x[0]), x_max=float(x[-1]), adaptive_dt=False,
                                    verbose=False, n_cores=1, boundary_width=20.0)
    n_steps = 1000   # long calls, so its per-call set-up does not count against it

    def run():
        with contextlib.redirect_stdout(io.StringIO()):
            solver.solve(psi0, V, t_final=n_steps * dt, dt_initial=dt, dt_min=dt, dt_max=dt,
                         n_snapshots=2, show_progress=False)

    return run, n_steps


def session_cost():
    """Server CPU seconds per second of animation for one Tunnelling session (default settings)."""
    from bokeh.core.serialization import Serializer

    from lessons.common import protocol
    from lessons.tunneling.model import TunnelingModel
    from lessons.tunneling.player import frames_message

    model = TunnelingModel()
    model.run_to_end()  # warm-up
    start = time.process_time()
    run = model.new_run()
    encoded = 0
    while (chunk := run.next_chunk(48)) is not None:
        rep = Serializer(deferred=True).serialize(protocol.chunk(run.run_id, chunk.start, chunk.start + len(chunk.t),
                                                                 chunk.done, **frames_message(chunk)))
        encoded += sum(len(b.to_bytes()) for b in rep.buffers or [])
    cpu = time.process_time() - start
    seconds = run.frames / 30.0
    return cpu, run.frames, seconds, encoded


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes, shorter timings")
    parser.add_argument("--no-qt1d", action="store_true", help="skip 1d-qt-ideal-solver")
    args = parser.parse_args()
    sizes = [1024, 4096] if args.quick else [1024, 2048, 4096, 8192, 16384]
    fftw = "pyFFTW's" if fftw_library() is not None else "none (no pyFFTW, or QL_NO_FFTW=1)"
    print(f"backend: {'numba' if HAVE_NUMBA else 'numpy only'}; FFTW: {fftw}; one thread; best of repeats")
    rows, have_qt1d = bench_sizes(sizes, steps=200, with_qt1d=not args.no_qt1d)
    nan = float("nan")
    print(f"{'N':>6} {'ours/s':>8} {'fft':>9} {'numpy/s':>8} " + " ".join(f"{f + '/s':>9}" for f in FLOORS)
          + f" {'qt1d/s':>7} {'floor':>7} {'ours/floor':>10} {'numpy/floor':>11} {'ours/qt1d':>9}")
    for r in rows:
        floor = max((f for f in FLOORS if f in r), key=r.get)
        qt = r.get("qt1d", nan)
        print(f"{r['N']:>6} {r['ours']:>8.0f} {r['fft']:>9} {r['numpy']:>8.0f} "
              + " ".join(f"{r.get(f, nan):>9.0f}" for f in FLOORS)
              + f" {qt:>7.0f} {floor:>7} {r['ours'] / r[floor]:>10.2f} {r['numpy'] / r[floor]:>11.3f}"
                f" {r['ours'] / qt:>9.1f}")
    if fftw_library() is None or (not have_qt1d and not args.no_qt1d):
        print("(FFTW or 1d-qt-ideal-solver not installed: pip install -e '.[bench]')")
    cpu, frames, seconds, encoded = session_cost()
    print(f"\nTunnelling session, default settings: {frames} frames = {seconds:.1f} s of animation at 30 fps; "
          f"server CPU {cpu * 1000:.0f} ms (compute + encode) = {cpu / seconds * 1000:.1f} ms per second "
          f"of animation; {encoded / 1e6:.2f} MB of float32 frames sent once")


if __name__ == "__main__":
    main()
