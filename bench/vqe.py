"""Speed of ``physics.vqe`` (in-place circuit kernels) against a dense Kronecker-product circuit.

Everything is measured in the same run, single-threaded, after a warm-up call (best of a few
rounds of ``seconds_per_call``).  "numba" is the default path (the compiled kernels), "numpy" their
NumPy twins called explicitly (``backend="numpy"``, what the browser build runs).  It prints:

(a) one exact-expectation energy of the 6-qubit, 4-layer ansatz (``hea_state`` + ``energy`` with
    a precomputed sparse H) against the dense construction: every rotation a full 2^n x 2^n
    ``np.kron`` matrix built for the call, the CNOTs dense matrices (built once, which favours the
    dense path), matrix-vector products; goal: ours >= 20x faster;
(b) a 200-iteration SPSA run on it (400 energies); goal < 1 s;
(c) one noisy energy (density matrix, depolarising channel after each CNOT) for n = 2..8 at 4 and
    8 layers, and at 6 qubits / 4 layers for the noise scales 1, 3, 5;
(d) ``measure_energy`` with 1000 shots per basis (5 bases), 6 qubits / 4 layers, without and with
    noise.

Run: ``PYTHONPATH=. python bench/vqe.py`` (about half a minute).
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import sys  # noqa: E402
import time  # noqa: E402
from itertools import islice  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from physics import spinchain as sc  # noqa: E402
from physics import vqe  # noqa: E402
from physics._backend import BACKEND  # noqa: E402
from timing import seconds_per_call  # noqa: E402  (bench/timing.py)

COUPLINGS = (1.0, 1.0, 0.5, 0.3, 0.2)      # Jx, Jy, Jz, D, K: the DM/KSEA terms need all 5 bases
FIELD = 0.4
P_NOISE = 0.01
GOAL_RATIO = 20.0
GOAL_SPSA = 1.0
BACKENDS = ("numba", "numpy") if vqe.HAVE_NUMBA else ("numpy",)


def best_time(fn, repeats: int = 5, budget: float = 0.2) -> float:
    """Seconds per call: the best of ``repeats`` rounds of ``seconds_per_call`` after a warm-up call
    (just the warm-up call when it takes over a second)."""
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    if first > 1.0:
        return first
    return min(seconds_per_call(fn, budget) for _ in range(repeats))


# ---- the dense reference ---------------------------------------------------------------------

I2 = np.eye(2, dtype=complex)


def _on(op, q, n):
    out = np.eye(1, dtype=complex)
    for k in range(n):
        out = np.kron(out, op if k == q else I2)
    return out


def _cnot(c, t, n):
    dim = 2**n
    M = np.zeros((dim, dim), dtype=complex)
    for b in range(dim):
        target = b ^ (1 << (n - 1 - t)) if (b >> (n - 1 - c)) & 1 else b
        M[target, b] = 1.0
    return M


def dense_energy_factory(n, H):
    ladder = [_cnot(q, q + 1, n) for q in range(n - 1)]

    def dense_energy(params):
        psi = np.zeros(2**n, dtype=complex)
        psi[0] = 1.0
        layers = params.shape[0] - 1
        for layer in range(layers + 1):
            for q in range(n):
                theta, phi = params[layer, q]
                c, s = np.cos(theta / 2), np.sin(theta / 2)
                psi = _on(np.array([[c, -s], [s, c]], dtype=complex), q, n) @ psi
                psi = _on(np.diag([np.exp(-0.5j * phi), np.exp(0.5j * phi)]), q, n) @ psi
            if layer < layers:
                for G in ladder:
                    psi = G @ psi
        return float(np.real(np.vdot(psi, H @ psi)))

    return dense_energy


# ---- the benchmarks --------------------------------------------------------------------------

def bench_exact(n=6, layers=4) -> None:
    H = sc.hamiltonian(n, *COUPLINGS, fields=FIELD)
    params = np.random.default_rng(0).uniform(-np.pi, np.pi, vqe.params_shape(n, layers))
    dense = dense_energy_factory(n, H)
    t_dense = best_time(lambda: dense(params))
    print(f"(a) exact energy, {n} qubits, {layers} layers ({vqe.n_params(n, layers)} angles): hea_state + energy,"
          f" sparse H; goal >= {GOAL_RATIO:.0f}x the dense Kronecker circuit")
    print(f"    {'path':<8} {'us/energy':>10} {'dense/ours':>10} {'|E - E_dense|':>14}")
    print(f"    {'dense':<8} {t_dense * 1e6:10.1f} {1.0:10.1f} {0.0:14.1e}")
    for backend in BACKENDS:
        def ours():
            return vqe.energy(vqe.hea_state(n, params, backend=backend), H)

        t = best_time(ours)
        print(f"    {backend:<8} {t * 1e6:10.1f} {t_dense / t:10.1f} {abs(ours() - dense(params)):14.1e}")


def bench_spsa(n=6, layers=4, iterations=200) -> None:
    H = sc.hamiltonian(n, *COUPLINGS, fields=FIELD)
    x0 = np.random.default_rng(1).normal(scale=0.3, size=vqe.n_params(n, layers))
    E0 = vqe.ground_state(H)[0]
    print(f"\n(b) SPSA, {iterations} iterations ({2 * iterations} energies), {n} qubits, {layers} layers, exact"
          f" expectation; goal < {GOAL_SPSA} s")
    for backend in BACKENDS:
        def f(x):
            return vqe.energy(vqe.hea_state(n, x, backend=backend), H)

        def run():
            *_, (x, calls) = islice(vqe.spsa(f, x0, np.random.default_rng(2), step=0.5), iterations + 1)
            return x, calls

        t = best_time(run, repeats=3, budget=0.0)
        x, calls = run()
        print(f"    {backend:<8} {t:7.3f} s  ({calls} calls; E - E0 from {f(x0) - E0:.2f} to {f(x) - E0:.3f},"
              f" step 0.5)")


def bench_noisy(layer_list=(4, 8), sizes=range(2, 9)) -> None:
    print(f"\n(c) noisy energy (density matrix, p = {P_NOISE} after each CNOT), ms per energy")
    header = "".join(f" {f'{b} L={L}':>13}" for L in layer_list for b in BACKENDS)
    print(f"    {'n':>3}{header}")
    rng = np.random.default_rng(3)
    for n in sizes:
        H = sc.hamiltonian(n, *COUPLINGS, fields=FIELD)
        row = []
        for layers in layer_list:
            params = rng.uniform(-np.pi, np.pi, vqe.params_shape(n, layers))
            for backend in BACKENDS:
                t = best_time(lambda: vqe.noisy_energy(n, params, H, P_NOISE, backend=backend), repeats=3)
                row.append(f" {t * 1e3:13.3f}")
        print(f"    {n:3d}{''.join(row)}")
    n, layers = 6, 4
    H = sc.hamiltonian(n, *COUPLINGS, fields=FIELD)
    params = rng.uniform(-np.pi, np.pi, vqe.params_shape(n, layers))
    print(f"    {n} qubits, {layers} layers by noise scale (folded CNOTs = one CNOT + channel with 1 - (1 - p)^s):")
    for scale in (1, 3, 5):
        cells = []
        for backend in BACKENDS:
            t = best_time(lambda: vqe.noisy_energy(n, params, H, P_NOISE, scale, backend=backend), repeats=3)
            cells.append(f"{backend} {t * 1e3:.3f} ms")
        E = vqe.noisy_energy(n, params, H, P_NOISE, scale)
        print(f"      scale {scale}: {', '.join(cells)}   (E = {E:+.4f})")


def bench_shots(n=6, layers=4, shots=1000) -> None:
    terms = vqe.pauli_terms(n, *COUPLINGS, fields=FIELD)
    groups = vqe.measurement_groups(terms)
    params = np.random.default_rng(4).uniform(-np.pi, np.pi, vqe.params_shape(n, layers))
    rng = np.random.default_rng(5)
    print(f"\n(d) measure_energy, {shots} shots x {len(groups)} bases {[b for b, _ in groups]},"
          f" {n} qubits, {layers} layers ({BACKEND} path)")
    for p in (0.0, P_NOISE):
        t = best_time(lambda: vqe.measure_energy(n, params, terms, shots, rng, p=p, groups=groups))
        exact = vqe.measure_energy(n, params, terms, None, rng, p=p, groups=groups)[0]
        e, err = vqe.measure_energy(n, params, terms, shots, rng, p=p, groups=groups)
        label = "noiseless" if p == 0 else f"p = {p}"
        print(f"    {label:<10} {t * 1e3:7.3f} ms   one draw: {e:+.4f} +- {err:.4f} (exact {exact:+.4f})")


def main() -> None:
    print(f"physics.vqe, one thread, default path: {BACKEND}; best of 3-5 rounds after a warm-up call")
    bench_exact()
    bench_spsa()
    bench_noisy()
    bench_shots()


if __name__ == "__main__":
    main()
