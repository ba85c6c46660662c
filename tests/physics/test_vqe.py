"""VQE numerics against dense Kronecker-product circuits, literal noisy circuits and closed forms."""
import gc
import pathlib
import subprocess
import sys
import textwrap
import threading
import time
from itertools import islice

import numpy as np
import pytest
from scipy.optimize import minimize

from physics import spinchain as sc
from physics import vqe
from physics._backend import HAVE_NUMBA

I2 = np.eye(2, dtype=complex)
SX = np.array([[0, 1], [1, 0]], complex)
SY = np.array([[0, -1j], [1j, 0]])
SZ = np.diag([1.0 + 0j, -1.0])
PAULI = {"I": I2, "X": SX, "Y": SY, "Z": SZ}


# ---- an independent dense reference: every gate a full 2^n x 2^n matrix ----------------------

def ry(theta):
    c, s = np.cos(theta / 2), np.sin(theta / 2)
    return np.array([[c, -s], [s, c]], complex)


def rz(phi):
    return np.diag([np.exp(-0.5j * phi), np.exp(0.5j * phi)])


def on(op, q, n):
    """op on qubit q of n (qubit 0 the leftmost Kronecker factor)."""
    out = np.eye(1)
    for k in range(n):
        out = np.kron(out, op if k == q else I2)
    return out


def cnot(c, t, n):
    """CNOT(c -> t) from its definition on basis states: |b> -> |b with bit t flipped if bit c is 1>."""
    dim = 2**n
    M = np.zeros((dim, dim))
    for b in range(dim):
        bits = [(b >> (n - 1 - q)) & 1 for q in range(n)]
        if bits[c]:
            bits[t] ^= 1
        M[int("".join(map(str, bits)), 2), b] = 1.0
    return M


def dense_gates(n, params):
    """The circuit as a list of ('1q' | 'cnot', matrix, pair) in order."""
    gates = []
    layers = params.shape[0] - 1
    for layer in range(layers + 1):
        for q in range(n):
            gates.append(("1q", on(ry(params[layer, q, 0]), q, n), None))
            gates.append(("1q", on(rz(params[layer, q, 1]), q, n), None))
        if layer < layers:
            for q in range(n - 1):
                gates.append(("cnot", cnot(q, q + 1, n), (q, q + 1)))
    return gates


def dense_state(n, params):
    psi = np.zeros(2**n, complex)
    psi[0] = 1.0
    for _, G, _ in dense_gates(n, params):
        psi = G @ psi
    return psi


LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGH"


def traced_out(rho, n, a, b):
    """Tr_ab rho as a tensor with the 2(n - 2) remaining row and column axes."""
    rows, cols = list(LETTERS[:n]), list(LETTERS[n:2 * n])
    cols[a], cols[b] = rows[a], rows[b]
    keep = [q for q in range(n) if q not in (a, b)]
    out = "".join(rows[q] for q in keep) + "".join(cols[q] for q in keep)
    return np.einsum("".join(rows + cols) + "->" + out, rho.reshape((2,) * (2 * n)))


def depolarize(rho, n, a, b, p):
    """(1 - p) rho + p (Tr_ab rho) (x) I_ab / 4, the identity placed back on qubits a, b."""
    rows, cols = LETTERS[:n], LETTERS[n:2 * n]
    keep = [q for q in range(n) if q not in (a, b)]
    reduced = "".join(rows[q] for q in keep) + "".join(cols[q] for q in keep)
    spec = f"{reduced},{rows[a]}{cols[a]},{rows[b]}{cols[b]}->{rows}{cols}"
    mixed = np.einsum(spec, traced_out(rho, n, a, b), I2, I2).reshape(rho.shape) / 4
    return (1 - p) * rho + p * mixed


def literal_noisy_state(n, params, p, scale):
    """Every CNOT folded into ``scale`` CNOTs, each followed by the channel."""
    rho = np.zeros((2**n, 2**n), complex)
    rho[0, 0] = 1.0
    for kind, G, pair in dense_gates(n, params):
        if kind == "1q":
            rho = G @ rho @ G.conj().T
            continue
        for _ in range(scale):
            rho = G @ rho @ G.conj().T
            rho = depolarize(rho, n, *pair, p)
    return rho


def random_params(rng, n, layers):
    return rng.uniform(-np.pi, np.pi, size=vqe.params_shape(n, layers))


BACKENDS = ["numpy"] + (["numba"] if HAVE_NUMBA else [])


# ---- the ansatz --------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [2, 3, 4, 5])
@pytest.mark.parametrize("backend", BACKENDS)
def test_hea_state_matches_dense_kronecker_circuit(n, backend):
    rng = np.random.default_rng(10 + n)
    for layers in range(4):
        params = random_params(rng, n, layers)
        psi = vqe.hea_state(n, params, backend=backend)
        assert psi.shape == (2**n,) and psi.dtype == complex
        np.testing.assert_allclose(psi, dense_state(n, params), atol=1e-12)
        assert np.linalg.norm(psi) == pytest.approx(1.0, abs=1e-13)
    # the flat form of the same numbers gives the same state
    np.testing.assert_array_equal(vqe.hea_state(n, params.ravel(), backend=backend), psi)


def test_parameter_helpers_and_conventions():
    assert vqe.n_params(6, 4) == 60 and vqe.params_shape(6, 4) == (5, 6, 2)
    assert vqe.n_params(1, 0) == 2
    # RY(pi) on qubit 0 only: |10>, basis index 2 (qubit 0 is the leftmost factor)
    params = np.zeros((1, 2, 2))
    params[0, 0, 0] = np.pi
    assert np.argmax(np.abs(vqe.hea_state(2, params))) == 2
    # then a CNOT ladder: |10> -> |11>
    params = np.zeros((2, 2, 2))
    params[0, 0, 0] = np.pi
    assert np.argmax(np.abs(vqe.hea_state(2, params))) == 3
    with pytest.raises(ValueError, match="shape"):
        vqe.hea_state(3, np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="shape"):
        vqe.hea_state(3, np.zeros(7))
    with pytest.raises(ValueError):
        vqe.params_shape(0, 1)
    with pytest.raises(ValueError, match="backend"):
        vqe.hea_state(2, np.zeros((1, 2, 2)), backend="cuda")


# ---- noise -------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, layers", [(2, 1), (2, 3), (3, 2), (4, 1)])
@pytest.mark.parametrize("scale", [1, 3, 5])
def test_noisy_state_matches_literal_folded_circuit(n, layers, scale):
    rng = np.random.default_rng(100 * n + 10 * layers + scale)
    params = random_params(rng, n, layers)
    p = 0.07
    ref = literal_noisy_state(n, params, p, scale)
    H = sc.hamiltonian(n, *rng.normal(size=5), fields=rng.normal(size=n))
    for backend in BACKENDS:
        rho = vqe.noisy_state(n, params, p, scale, backend=backend)
        np.testing.assert_allclose(rho, ref, atol=1e-12)
        E = vqe.noisy_energy(n, params, H, p, scale, backend=backend)
        assert E == pytest.approx(np.real(np.trace(ref @ H.toarray())), abs=1e-12)
        assert vqe.noisy_energy(n, params, H.toarray(), p, scale, backend=backend) == pytest.approx(E, abs=1e-12)


def test_channel_alone_matches_partial_trace_definition():
    # the literal channel of the test against a closed form: on a product rho_A (x) rho_B (x) rho_C,
    # depolarising (B, C) gives (1 - p) rho + p rho_A (x) I/4
    rng = np.random.default_rng(3)
    states = []
    for _ in range(3):
        A = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
        states.append(A @ A.conj().T / np.trace(A @ A.conj().T))
    rho = np.kron(np.kron(states[0], states[1]), states[2])
    out = depolarize(rho, 3, 1, 2, 0.3)
    np.testing.assert_allclose(out, 0.7 * rho + 0.3 * np.kron(states[0], np.eye(4) / 4), atol=1e-14)


@pytest.mark.parametrize("backend", BACKENDS)
def test_noise_free_density_matrix_is_the_pure_state(backend):
    rng = np.random.default_rng(4)
    n, params = 4, random_params(rng, 4, 3)
    psi = vqe.hea_state(n, params, backend=backend)
    rho = vqe.noisy_state(n, params, 0.0, backend=backend)
    np.testing.assert_allclose(rho, np.outer(psi, psi.conj()), atol=1e-13)
    H = sc.hamiltonian(n, 1.0, 0.7, 0.4, 0.3, 0.2, [0.5, -0.1, 0.2, 0.9])
    assert vqe.noisy_energy(n, params, H, 0.0, backend=backend) == pytest.approx(vqe.energy(psi, H), abs=1e-12)
    assert vqe.energy(rho, H) == pytest.approx(vqe.energy(psi, H), abs=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_noisy_state_is_a_density_matrix(backend):
    rng = np.random.default_rng(5)
    for n, layers, p, scale in ((3, 2, 0.3, 3), (4, 3, 0.05, 5), (5, 2, 1.0, 1), (2, 4, 0.9, 3)):
        rho = vqe.noisy_state(n, random_params(rng, n, layers), p, scale, backend=backend)
        assert np.trace(rho).real == pytest.approx(1.0, abs=1e-12)
        np.testing.assert_allclose(rho, rho.conj().T, atol=1e-14)
        assert np.linalg.eigvalsh(rho).min() >= -1e-12


@pytest.mark.parametrize("backend", BACKENDS)
def test_full_depolarisation_after_one_cnot_is_maximally_mixed(backend):
    rng = np.random.default_rng(6)
    for _ in range(3):
        rho = vqe.noisy_state(2, random_params(rng, 2, 1), 1.0, backend=backend)
        np.testing.assert_allclose(rho, np.eye(4) / 4, atol=1e-14)


def test_noise_arguments_are_checked():
    params = np.zeros((2, 2, 2))
    for bad in (2, 0, -1, 1.5):
        with pytest.raises(ValueError, match="odd"):
            vqe.noisy_state(2, params, 0.1, scale=bad)
    with pytest.raises(ValueError, match="between 0 and 1"):
        vqe.noisy_state(2, params, 1.5)


# ---- the 2-qubit XXX antiferromagnet: exact VQE optimum ----------------------------------------

def best_energy(n, layers, H, starts, seed):
    rng = np.random.default_rng(seed)
    shape = vqe.params_shape(n, layers)

    def f(x):
        return vqe.energy(vqe.hea_state(n, x.reshape(shape)), H)

    results = [minimize(f, rng.uniform(-np.pi, np.pi, size=np.prod(shape)), method="BFGS", options={"gtol": 1e-10})
               for _ in range(starts)]
    return min(results, key=lambda r: r.fun)


def test_one_layer_reaches_the_singlet_and_product_states_reach_minus_one():
    H = sc.hamiltonian(2, 1.0, 1.0, 1.0)
    E0, ground = vqe.ground_state(H)
    assert E0 == pytest.approx(-3.0, abs=1e-12) and ground.shape == (4, 1)
    singlet = np.array([0, 1, -1, 0]) / np.sqrt(2)
    assert vqe.ground_fidelity(singlet, ground) == pytest.approx(1.0, abs=1e-12)
    best = best_energy(2, 1, H, starts=4, seed=1)
    assert best.fun == pytest.approx(-3.0, abs=1e-6)
    psi = vqe.hea_state(2, best.x.reshape(2, 2, 2))
    assert vqe.ground_fidelity(psi, ground) == pytest.approx(1.0, abs=1e-6)
    # no CNOT: product states, <XX + YY + ZZ> = r_1 . r_2 (Bloch vectors) >= -1, reached by
    # opposite spins
    product = best_energy(2, 0, H, starts=6, seed=2)
    assert product.fun == pytest.approx(-1.0, abs=1e-6)
    rng = np.random.default_rng(3)
    for _ in range(50):
        assert vqe.energy(vqe.hea_state(2, random_params(rng, 2, 0)), H) >= -1.0 - 1e-12


def test_ground_state_keeps_a_degenerate_ground_space():
    H = sc.hamiltonian(2, -1.0, -1.0, -1.0)               # ferromagnet: the triplet, E0 = -1, 3-fold
    E0, ground = vqe.ground_state(H)
    assert E0 == pytest.approx(-1.0, abs=1e-12) and ground.shape == (4, 3)
    np.testing.assert_allclose(ground.conj().T @ ground, np.eye(3), atol=1e-12)
    assert vqe.ground_fidelity(np.array([1, 0, 0, 0]), ground) == pytest.approx(1.0, abs=1e-12)
    assert vqe.ground_fidelity(np.array([0, 1, -1, 0]) / np.sqrt(2), ground) == pytest.approx(0.0, abs=1e-12)


# ---- zero-noise extrapolation ------------------------------------------------------------------

def test_richardson_is_the_least_squares_polynomial_at_zero():
    rng = np.random.default_rng(7)
    for scales, order in (([1, 3, 5], 1), ([1, 2, 3, 4, 5], 2), ([1, 3, 5, 7], 1), ([1, 3, 5], 2),
                          ([1, 2], 1), ([0.01, 0.02, 0.03], 2)):
        scales = np.array(scales, float)
        for _ in range(3):
            values = rng.normal(size=scales.size)
            expected = np.polyval(np.polyfit(scales, values, order), 0.0)
            assert vqe.richardson(scales, values, order) == pytest.approx(expected, abs=1e-10)
            c = vqe.richardson_weights(scales, order)
            assert c @ values == pytest.approx(vqe.richardson(scales, values, order), abs=1e-13)
    # exact fit: a quadratic through three points comes back exactly, and the weights sum to 1
    assert vqe.richardson([1, 3, 5], [2 - 0.3 + 0.05, 2 - 0.9 + 0.45, 2 - 1.5 + 1.25], 2) == pytest.approx(2.0, abs=1e-12)
    np.testing.assert_allclose(vqe.richardson_weights([1, 3, 5], 2), [15 / 8, -10 / 8, 3 / 8], atol=1e-13)
    with pytest.raises(ValueError, match="distinct"):
        vqe.richardson_weights([1, 1, 3], 2)


def test_nn_extrapolation():
    levels = np.arange(1.0, 6.0)
    e, spread = vqe.nn_extrapolate(levels, -3.0 + 0.4 * levels)
    assert e == pytest.approx(-3.0, rel=1e-2) and 0 <= spread < 0.01
    assert vqe.nn_extrapolate(levels, -3.0 + 0.4 * levels) == (e, spread)         # deterministic
    assert vqe.nn_extrapolate(levels, -3.0 + 0.4 * levels, seed=5)[0] != e
    # a decay a + b exp(-c s): closer to a + b than the straight-line fit (measured; a quadratic
    # fit does better still)
    for a, b, c in ((-3.0, 2.0, 0.3), (-3.0, 2.0, 0.6), (-5.0, 3.0, 0.15)):
        values = a + b * np.exp(-c * levels)
        nn = vqe.nn_extrapolate(levels, values)[0]
        linear = vqe.richardson(levels, values, 1)
        assert abs(nn - (a + b)) < 0.7 * abs(linear - (a + b))
    assert vqe.nn_extrapolate([1, 2, 3], [0.5, 0.5, 0.5]) == (0.5, 0.0)
    with pytest.raises(ValueError, match="equal"):
        vqe.nn_extrapolate([2, 2, 2], [1, 2, 3])


# ---- Pauli terms and measurement ---------------------------------------------------------------

@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_pauli_terms_sum_to_the_chain(n):
    rng = np.random.default_rng(20 + n)
    Jx, Jy, Jz, D, K = rng.normal(size=5)
    B = rng.normal(size=n)
    terms = vqe.pauli_terms(n, Jx, Jy, Jz, D, K, B)
    assert len(terms) == 5 * (n - 1) + n
    dense = sum(c * kron_string(s) for c, s in terms)
    H = sc.hamiltonian(n, Jx, Jy, Jz, D, K, B).toarray()
    np.testing.assert_allclose(dense, H, atol=1e-12)
    np.testing.assert_allclose(sum(c * vqe.pauli_matrix(s) for c, s in terms), H, atol=1e-12)
    np.testing.assert_allclose(vqe.terms_matrix(terms, n).toarray(), H, atol=1e-12)
    # zero weights are left out; one uniform field
    assert vqe.pauli_terms(3, 1.0, 0.0, 0.5, fields=0.2) == [
        (1.0, "XXI"), (0.5, "ZZI"), (1.0, "IXX"), (0.5, "IZZ"), (0.2, "ZII"), (0.2, "IZI"), (0.2, "IIZ")]
    assert vqe.pauli_terms(2, 0, 0, 0, D=0.5) == [(0.5, "XY"), (-0.5, "YX")]


def kron_string(s):
    out = np.eye(1)
    for ch in s:
        out = np.kron(out, PAULI[ch])
    return out


def test_terms_matrix_handles_identity_and_every_pauli():
    rng = np.random.default_rng(8)
    terms = [(float(rng.normal()), "".join(rng.choice(list("IXYZ"), size=3))) for _ in range(12)] + [(0.7, "III")]
    np.testing.assert_allclose(vqe.terms_matrix(terms, 3).toarray(), sum(c * kron_string(s) for c, s in terms),
                               atol=1e-13)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 7])
def test_measurement_groups_of_the_chain(n):
    rng = np.random.default_rng(30 + n)
    terms = vqe.pauli_terms(n, *rng.normal(size=5), fields=rng.normal(size=n)) + [(1.5, "I" * n)]
    for order in (np.arange(len(terms)), rng.permutation(len(terms)), rng.permutation(len(terms))):
        shuffled = [terms[i] for i in order]
        groups = vqe.measurement_groups(shuffled)
        assert len(groups) <= 5
        assert groups == vqe.measurement_groups(shuffled)                  # deterministic
        seen = sorted(i for _, idx in groups for i in idx)
        identity = [i for i, (_, s) in enumerate(shuffled) if s == "I" * n]
        assert seen == sorted(set(range(len(shuffled))) - set(identity))   # each term exactly once
        for basis, idx in groups:
            assert len(basis) == n and set(basis) <= set("XYZ")
            for i in idx:
                assert all(ch == "I" or ch == basis[q] for q, ch in enumerate(shuffled[i][1]))
    bases = {basis for basis, _ in vqe.measurement_groups(terms)}
    alternating = ("XY" * n)[:n], ("YX" * n)[:n]
    assert bases == {"X" * n, "Y" * n, "Z" * n, *alternating}
    assert {b for b, _ in vqe.measurement_groups(vqe.pauli_terms(n, 1, 1, 1, fields=0.5))} == {"X" * n, "Y" * n, "Z" * n}


@pytest.mark.parametrize("p, scale", [(0.0, 1), (0.05, 3)])
def test_measure_energy_exact_path(p, scale):
    rng = np.random.default_rng(9)
    n = 4
    terms = vqe.pauli_terms(n, 1.0, 0.6, 0.3, 0.4, -0.2, rng.normal(size=n)) + [(0.25, "IIII")]
    H = vqe.terms_matrix(terms, n)
    params = random_params(rng, n, 2)
    for shots in (None, 0):
        e, err = vqe.measure_energy(n, params, terms, shots, rng, p=p, scale=scale)
        exact = vqe.noisy_energy(n, params, H, p, scale) if p else vqe.energy(vqe.hea_state(n, params), H)
        assert e == pytest.approx(exact, abs=1e-12) and err == 0.0


def test_single_qubit_basis_rotations_read_x_and_y():
    # RZ(-pi/2) RY(theta)|0> is RX(theta)|0> up to a phase: <Y> = -sin(theta), <X> = 0;
    # RY(theta)|0> has <X> = sin(theta)
    for theta in (0.4, 1.3, -2.2):
        rx = np.array([[[theta, -np.pi / 2]]])
        assert vqe.measure_energy(1, rx, [(1.0, "Y")], None, None)[0] == pytest.approx(-np.sin(theta), abs=1e-14)
        assert vqe.measure_energy(1, rx, [(1.0, "X")], None, None)[0] == pytest.approx(0.0, abs=1e-14)
        assert vqe.measure_energy(1, rx, [(1.0, "Z")], None, None)[0] == pytest.approx(np.cos(theta), abs=1e-14)
        ry_only = np.array([[[theta, 0.0]]])
        assert vqe.measure_energy(1, ry_only, [(1.0, "X")], None, None)[0] == pytest.approx(np.sin(theta), abs=1e-14)
    # sampled: 20000 shots of <Y> = -sin(1.3)
    e, err = vqe.measure_energy(1, np.array([[[1.3, -np.pi / 2]]]), [(1.0, "Y")], 20000, np.random.default_rng(0))
    assert err == pytest.approx(np.cos(1.3) / np.sqrt(20000), rel=0.05)
    assert abs(e + np.sin(1.3)) < 4 * err


@pytest.mark.parametrize("p", [0.0, 0.08])
def test_measure_energy_statistics(p):
    n, shots, runs = 3, 400, 400
    terms = vqe.pauli_terms(n, 1.0, 0.5, 0.8, 0.3, 0.2, [0.4, -0.3, 0.6])
    params = random_params(np.random.default_rng(11), n, 2)
    groups = vqe.measurement_groups(terms)
    exact = vqe.measure_energy(n, params, terms, None, None, p=p, scale=3, groups=groups)[0]
    rng = np.random.default_rng(12)
    draws = np.array([vqe.measure_energy(n, params, terms, shots, rng, p=p, scale=3, groups=groups)
                      for _ in range(runs)])
    estimates, errors = draws[:, 0], draws[:, 1]
    spread = estimates.std(ddof=1)
    assert abs(estimates.mean() - exact) < 4 * spread / np.sqrt(runs)
    assert errors.mean() == pytest.approx(spread, rel=0.2)
    # the error bar falls as 1 / sqrt(shots)
    big = vqe.measure_energy(n, params, terms, 100 * shots, rng, p=p, scale=3, groups=groups)[1]
    assert big == pytest.approx(errors.mean() / 10, rel=0.1)


# ---- optimisers --------------------------------------------------------------------------------

def xxz_problem(layers=2):
    n = 3
    H = sc.hamiltonian(n, 1.0, 1.0, 0.5)
    shape = vqe.params_shape(n, layers)
    calls = []

    def f(x):
        calls.append(1)
        return vqe.energy(vqe.hea_state(n, x.reshape(shape)), H)

    x0 = np.random.default_rng(13).normal(scale=0.5, size=np.prod(shape))
    return f, x0, vqe.ground_state(H)[0], calls


def test_parameter_shift_gradient_is_exact():
    f, x0, _, _ = xxz_problem()
    grad = vqe.parameter_shift_gradient(f, x0)
    h = 1e-5
    fd = np.array([(f(x0 + h * e) - f(x0 - h * e)) / (2 * h) for e in np.eye(x0.size)])
    np.testing.assert_allclose(grad, fd, atol=1e-8)


def test_spsa_lowers_the_energy():
    f, x0, E0, calls = xxz_problem()
    assert E0 == pytest.approx(-(1 + np.sqrt(33)) / 2, abs=1e-12)   # 3-site XXZ, Jz = 0.5 (sigma units)
    # step 0.5: with the default 0.2, 500 iterations from some starts still sit ~0.5 above E0
    run = list(islice(vqe.spsa(f, x0, np.random.default_rng(14), step=0.5), 301))
    assert run[0][1] == 0 and np.array_equal(run[0][0], x0)
    assert [k for _, k in run[:4]] == [0, 2, 4, 6] and run[-1][1] == 600 == len(calls)
    start, end = f(x0), f(run[-1][0])
    assert start > E0 + 3.0 and end < E0 + 0.02, (start, end)       # measured: 3.84 and 0.002 above
    assert run[1][0] is not run[2][0] and not np.array_equal(run[1][0], run[2][0])


def test_parameter_shift_descent_lowers_the_energy():
    f, x0, E0, calls = xxz_problem()
    run = list(islice(vqe.parameter_shift_descent(f, x0, step=0.1), 201))
    assert [k for _, k in run[:3]] == [0, 2 * x0.size, 4 * x0.size] and run[-1][1] == 200 * 2 * x0.size == len(calls)
    assert f(run[-1][0]) < E0 + 0.002                               # measured: 1e-4 above


def test_cobyla_reaches_the_dimer_ground_energy():
    H = sc.hamiltonian(2, 1.0, 1.0, 1.0)
    calls = []

    def f(x):
        calls.append(1)
        return vqe.energy(vqe.hea_state(2, x), H)

    x0 = np.random.default_rng(15).normal(scale=0.5, size=vqe.n_params(2, 1))
    before = threading.active_count()
    run = list(vqe.cobyla(f, x0, step=0.5))
    assert run[0][1] == 0 and np.array_equal(run[0][0], x0)
    assert [k for _, k in run] == list(range(len(run))) and len(calls) == len(run) - 1
    assert min(f(x) for x, _ in run) == pytest.approx(-3.0, abs=1e-6)
    assert threading.active_count() == before


def test_cobyla_closed_early_or_dropped_leaves_no_thread():
    f, x0, _, calls = xxz_problem()
    before = threading.active_count()
    gen = vqe.cobyla(f, x0)
    taken = list(islice(gen, 6))
    assert [k for _, k in taken] == [0, 1, 2, 3, 4, 5] and len(calls) == 5   # one call per next()
    assert threading.active_count() == before + 1
    gen.close()
    assert threading.active_count() == before
    gen = vqe.cobyla(f, x0)
    next(gen), next(gen), next(gen)
    del gen
    gc.collect()
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before


def test_cobyla_passes_errors_on_and_runs_without_threads(monkeypatch):
    before = threading.active_count()

    def broken(x):
        raise ZeroDivisionError("f failed")

    gen = vqe.cobyla(broken, np.zeros(4))
    next(gen)
    with pytest.raises(ZeroDivisionError):
        next(gen)
    assert threading.active_count() == before
    f, x0, _, calls = xxz_problem(layers=1)
    threaded = [x for x, _ in islice(vqe.cobyla(f, x0, maxiter=60), 61)]

    def no_threads(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", no_threads)
    eager = list(vqe.cobyla(f, x0, maxiter=60))
    assert [k for _, k in eager] == list(range(61))
    np.testing.assert_array_equal(np.array([x for x, _ in eager]), np.array(threaded))


# ---- back-ends ---------------------------------------------------------------------------------

@pytest.mark.skipif(not HAVE_NUMBA, reason="Numba path not available in this run")
def test_numpy_twins_agree_with_numba_kernels():
    rng = np.random.default_rng(16)
    for n, layers in ((1, 2), (2, 3), (5, 3), (7, 2)):
        params = random_params(rng, n, layers)
        a = vqe.hea_state(n, params, backend="numba")
        b = vqe.hea_state(n, params, backend="numpy")
        assert np.max(np.abs(a - b)) < 1e-12
        for p, scale in ((0.0, 1), (0.1, 3), (1.0, 1)):
            a = vqe.noisy_state(n, params, p, scale, backend="numba")
            b = vqe.noisy_state(n, params, p, scale, backend="numpy")
            assert np.max(np.abs(a - b)) < 1e-12


def test_runs_without_numba_and_imports_no_ui_library():
    # as in Pyodide: importing numba fails, the NumPy twins run
    code = textwrap.dedent("""
        import sys
        sys.modules['numba'] = None
        import numpy as np
        from physics import _backend, spinchain, vqe
        assert _backend.BACKEND == 'numpy' and not vqe.HAVE_NUMBA
        H = spinchain.hamiltonian(2, 1, 1, 1)
        print(round(vqe.noisy_energy(2, np.zeros((2, 2, 2)), H, 1.0), 12),
              sorted(m for m in ('panel', 'bokeh', 'holoviews', 'numba') if sys.modules.get(m)))
    """)
    root = pathlib.Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0.0", "[]"]


def test_the_adjoint_gradient_is_the_parameter_shift_gradient():
    H = sc.hamiltonian(4, 1.0, 0.6, 0.3, 0.4, 0.2, [0.3, -0.2, 0.5, 0.1])
    x = np.random.default_rng(7).uniform(-np.pi, np.pi, vqe.params_shape(4, 3))
    f = lambda z: vqe.energy(vqe.hea_state(4, z.reshape(x.shape)), H)  # noqa: E731
    E, grad = vqe.energy_gradient(4, x, H)
    assert E == pytest.approx(f(x.ravel()), abs=1e-12)
    np.testing.assert_allclose(grad.ravel(), vqe.parameter_shift_gradient(f, x.ravel()), atol=1e-10)
