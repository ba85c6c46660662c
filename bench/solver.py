"""Split-operator solver speed, as ratios measured in one run (not a timed test).

For each grid size N it measures, single-threaded and after warm-up:

- ours:     ``physics.wavepacket.Simulation.step`` on the compiled (Numba) path, steps/s;
- 2 FFTs:   a compiled loop doing nothing but a forward and an inverse FFT per step (the same
            pocketfft/DUCC0 calls through rocket-fft): the ceiling for any FFT split-step solver;
- numpy:    our pure-NumPy path (what Pyodide runs);
- qt1d:     the reference solver 1d-qt-ideal-solver (``qt1d_ideal``), one thread, fixed dt, if
            installed (``pip install -e '.[bench]'``).

It prints steps/s and the ratios ours / 2 FFTs and ours / qt1d, then the server CPU time one
Tunnelling session costs per second of animation (computing its frames and encoding them for the
websocket, as the server does once per setting; playback itself runs in the browser).

Run: ``make bench`` or ``python bench/solver.py [--quick]``.
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

from physics import potentials, wavepacket  # noqa: E402
from physics._backend import HAVE_NUMBA  # noqa: E402
from timing import seconds_per_call  # noqa: E402  (bench/timing.py)


def rates(contenders: dict, budget: float = 0.3, rounds: int = 5) -> dict:
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
    def two_ffts(psi, work, n):
        """The ceiling: n steps of a forward + inverse FFT (like fft, ifft) and nothing else."""
        axes = np.zeros(1, dtype=np.int64)
        inv = 1.0 / psi.size     # keeps psi bounded, as ifft does
        for _ in range(n):
            c2c(psi, work, axes, True, 1.0, 1)
            c2c(work, psi, axes, False, inv, 1)


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
                      "numpy": (lambda: npsim.step(np_steps), np_steps)}
        if HAVE_NUMBA:
            psi, work = psi0.copy(), np.empty_like(psi0)
            contenders["2fft"] = (lambda: two_ffts(psi, work, steps), steps)
        if have_qt1d:
            contenders["qt1d"] = qt1d_contender(x, V, psi0)
        rows.append({"N": n, **rates(contenders)})
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
    print(f"backend: {'numba + rocket-fft' if HAVE_NUMBA else 'numpy only'}; one thread; best of repeats")
    rows, have_qt1d = bench_sizes(sizes, steps=200, with_qt1d=not args.no_qt1d)
    head = f"{'N':>6} {'ours/s':>10} {'2 FFTs/s':>10} {'numpy/s':>9} {'qt1d/s':>8} {'ours/2FFT':>10} {'numpy/2FFT':>11} {'ours/qt1d':>10}"
    print(head)
    for r in rows:
        two = r.get("2fft", float("nan"))
        qt = r.get("qt1d", float("nan"))
        print(f"{r['N']:>6} {r['ours']:>10.0f} {two:>10.0f} {r['numpy']:>9.0f} {qt:>8.0f} "
              f"{r['ours'] / two:>10.2f} {r['numpy'] / two:>11.2f} {r['ours'] / qt:>10.1f}")
    if not have_qt1d and not args.no_qt1d:
        print("(1d-qt-ideal-solver not installed: pip install -e '.[bench]')")
    cpu, frames, seconds, encoded = session_cost()
    print(f"\nTunnelling session, default settings: {frames} frames = {seconds:.1f} s of animation at 30 fps; "
          f"server CPU {cpu * 1000:.0f} ms (compute + encode) = {cpu / seconds * 1000:.1f} ms per second "
          f"of animation; {encoded / 1e6:.2f} MB of float32 frames sent once")


if __name__ == "__main__":
    main()
