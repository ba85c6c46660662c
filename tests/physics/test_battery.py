"""physics.battery (parity sectors, batched settings, fast charging) against dense references.

Every number is checked against something computed another way, to 1e-10 unless a comment says
why not:

- the dense path of :mod:`physics.spinchain` (one setting: ``thermal_state`` of the sparse chain
  made dense, then ``ergotropy``, ``capacity``, ``l1_coherence``, ``ergotropy_split``,
  ``concurrence``), itself tested against Kronecker products in test_spinchain.py;
- Kronecker-product operators (``site_op``, ``dense_chain``) for the parity sectors, partial traces
  and Bloch vectors, and ``scipy.linalg.expm`` for the time evolution;
- closed forms: the two-site spectrum per sector, pure and passive states, a free spin under a
  resonant drive, the gauge that removes the DM coupling from an XXZ chain.

Sections: helpers; sectors and spectra; thermal quantities vs the dense path; batches; closed
forms and inequalities; concurrence; reduced states; charging; field profiles; bad input.
"""
from functools import lru_cache

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.linalg import expm

from physics import battery as bt
from physics import spinchain as sc
from tests.physics.test_spinchain import SX, SY, SZ, dense_chain, site_op

TOL = 1e-10
#: Everything thermal_quantities computes for any number of sites (concurrence needs two).
MANY = tuple(q for q in bt.QUANTITIES if q != "concurrence")
#: Zero (non-degenerate ground state checked where it matters), small, one, large.
TEMPERATURES = (0.0, 0.05, 1.0, 50.0)


# ----------------------------------------------------------------------------------------------
# helpers: independent dense references
# ----------------------------------------------------------------------------------------------

def random_setting(rng, n):
    """Couplings of order one and fields of both signs (none zero, so H_B is not degenerate by
    accident at the ends of its spectrum)."""
    Jx, Jy, Jz, D, K = rng.normal(size=5)
    fields = rng.choice([-1, 1], size=n) * rng.uniform(0.3, 1.5, size=n)
    return dict(Jx=Jx, Jy=Jy, Jz=Jz, D=D, K=K, fields=fields)


def dense_figures(n, s, T):
    """All figures of merit of the Gibbs state from the dense path of physics.spinchain."""
    H = sc.hamiltonian(n, s["Jx"], s["Jy"], s["Jz"], s["D"], s["K"], s["fields"])
    HB = sc.battery_hamiltonian(s["fields"])
    rho = sc.thermal_state(H, T)
    HBd = HB.toarray()
    inc, coh = sc.ergotropy_split(rho, HB)
    out = {
        "rho": rho,
        "stored": float(np.real(np.trace(rho @ HBd))) - np.linalg.eigvalsh(HBd)[0],
        "ergotropy": sc.ergotropy(rho, HB),
        "capacity": sc.capacity(rho, HB),
        "incoherent": inc,
        "coherent": coh,
        "coherence": sc.l1_coherence(rho),
    }
    return out


def expectation(rho, op):
    """Tr(rho op) without a d^3 product: sum_ij rho_ij op_ji."""
    return complex(np.sum(rho * op.T))


@lru_cache(maxsize=None)
def product_basis(n, keep):
    """For each bit string a on the sites ``keep`` (a tuple), the (2^(n - len(keep)), 2^n) array
    of the product basis vectors |a, j> (np.kron of single-site basis vectors), j the bits elsewhere."""
    rest = [k for k in range(n) if k not in keep]
    e = np.eye(2)

    def vectors(a):
        bits_a = [(a >> (len(keep) - 1 - m)) & 1 for m in range(len(keep))]
        rows = []
        for j in range(2 ** len(rest)):
            bits = dict(zip(keep, bits_a))
            bits.update({k: (j >> (len(rest) - 1 - m)) & 1 for m, k in enumerate(rest)})
            v = np.ones(1)
            for k in range(n):
                v = np.kron(v, e[bits[k]])
            rows.append(v)
        return np.array(rows)

    return tuple(vectors(a) for a in range(2 ** len(keep)))


def kron_partial_trace(rho, n, keep):
    """The reduced state of the sites ``keep`` (in that order), tracing out the others, by
    sandwiching rho between product basis vectors: (rho_A)_{aa'} = sum_j <a, j| rho |a', j>."""
    basis = product_basis(n, tuple(keep))
    return np.array([[np.sum((u @ rho) * w) for w in basis] for u in basis])


def bloch_vector(rho, i, n):
    """(<sx_i>, <sy_i>, <sz_i>) as dense traces with Kronecker-product site operators."""
    return np.array([expectation(rho, site_op(P, i, n)).real for P in (SX, SY, SZ)])


def bloch_state(r):
    """The qubit state (1 + r . sigma) / 2."""
    return (np.eye(2) + r[0] * SX + r[1] * SY + r[2] * SZ) / 2


def x_state_concurrence(rho):
    """Wootters' concurrence of a two-qubit X state (only 00-11 and 01-10 coherences)."""
    a = abs(rho[0, 3]) - np.sqrt(rho[1, 1].real * rho[2, 2].real)
    b = abs(rho[1, 2]) - np.sqrt(rho[0, 0].real * rho[3, 3].real)
    return 2 * max(0.0, a, b)


def random_density_matrix(rng, d):
    A = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    rho = A @ A.conj().T
    return rho / np.trace(rho).real


# ----------------------------------------------------------------------------------------------
# parity sectors and spectra
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_sectors_partition_the_basis_by_parity_and_block_the_chain(n):
    even, odd = bt.sectors(n)
    d = 2**n
    assert even.size == odd.size == d // 2
    np.testing.assert_array_equal(np.sort(np.concatenate([even, odd])), np.arange(d))
    # parity P = prod_i sz_i (Kronecker products): +1 on an even number of down spins
    P = np.real(np.diag(np.linalg.multi_dot([site_op(SZ, i, n) for i in range(n)])))
    np.testing.assert_array_equal(P[even], 1.0)
    np.testing.assert_array_equal(P[odd], -1.0)
    rng = np.random.default_rng(100 + n)
    s = random_setting(rng, n)
    H = sc.hamiltonian(n, s["Jx"], s["Jy"], s["Jz"], s["D"], s["K"], s["fields"]).toarray()
    assert np.count_nonzero(H[np.ix_(even, odd)]) == 0 and np.count_nonzero(H[np.ix_(odd, even)]) == 0
    # ... while each block does couple its states (the test would see a wrong split)
    for idx in (even, odd):
        block = H[np.ix_(idx, idx)]
        assert np.count_nonzero(block - np.diag(np.diag(block))) > 0


@pytest.mark.parametrize("n", [2, 3, 5, 8])
def test_chain_spectra_diagonalise_each_sector(n):
    rng = np.random.default_rng(200 + n)
    s = random_setting(rng, n)
    Hd = dense_chain(n, s["Jx"], s["Jy"], s["Jz"], s["D"], s["K"], s["fields"])
    spectra = bt.chain_spectra(n, s["Jx"], s["Jy"], s["Jz"], s["D"], s["K"], s["fields"])
    assert len(spectra) == 2
    for (w, v), idx in zip(spectra, bt.sectors(n)):
        assert w.shape == (1, 2 ** (n - 1)) and v.shape == (1, 2 ** (n - 1), 2 ** (n - 1))
        block = Hd[np.ix_(idx, idx)]
        np.testing.assert_allclose(block @ v[0], v[0] * w[0], atol=TOL)
        np.testing.assert_allclose(v[0].conj().T @ v[0], np.eye(idx.size), atol=TOL)
    w_all = np.sort(np.concatenate([w[0] for w, _ in spectra]))
    np.testing.assert_allclose(w_all, np.linalg.eigvalsh(Hd), atol=TOL)


# ----------------------------------------------------------------------------------------------
# thermal quantities vs the dense reference path
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 8])
def test_thermal_quantities_and_battery_state_match_the_dense_path(n):
    rng = np.random.default_rng(n)
    s = random_setting(rng, n)
    args = (n, s["Jx"], s["Jy"], s["Jz"], s["D"], s["K"], s["fields"])
    # T = 0 must be a pure ground state here (the degenerate case has its own test)
    w = np.linalg.eigvalsh(sc.hamiltonian(*args).toarray())
    assert w[1] - w[0] > 1e-3
    names = MANY + (("concurrence",) if n == 2 else ())
    q = bt.thermal_quantities(*args, T=np.array(TEMPERATURES), quantities=names)
    HBd = sc.battery_hamiltonian(s["fields"]).toarray()
    for k, T in enumerate(TEMPERATURES):
        ref = dense_figures(n, s, T)
        for name in MANY:
            assert q[name][k] == pytest.approx(ref[name], abs=TOL), (name, T)
        st = bt.battery_state(*args, T=T)
        np.testing.assert_allclose(st.rho, ref["rho"], atol=TOL)
        np.testing.assert_allclose(st.h, np.real(np.diag(HBd)), atol=0)
        np.testing.assert_allclose(st.populations, np.real(np.diag(ref["rho"])), atol=TOL)
        np.testing.assert_allclose(st.spectrum, np.linalg.eigvalsh(ref["rho"])[::-1], atol=TOL)
        np.testing.assert_allclose(st.energies, w, atol=TOL)
        for name in MANY:
            assert getattr(st, name) == pytest.approx(ref[name], abs=TOL), (name, T)
        # concurrence of sites 0 and 1: both sides are Wootters' sqrt of eigenvalues of a
        # non-Hermitian matrix, whose near-zero eigenvalues carry ~1e-16 errors -> ~1e-8 after sqrt
        c_ref = sc.concurrence(kron_partial_trace(ref["rho"], n, [0, 1]) if n > 2 else ref["rho"])
        assert st.concurrence == pytest.approx(c_ref, abs=1e-7)
        if n == 2:
            assert q["concurrence"][k] == pytest.approx(c_ref, abs=1e-7)
    # the test is not vacuous: the figures change with temperature and are not all zero
    assert q["ergotropy"][0] > 1e-2 and q["coherence"][1] > 1e-2
    assert abs(q["ergotropy"][0] - q["ergotropy"][-1]) > 1e-2


def test_zero_temperature_with_a_degenerate_ground_space_is_the_uniform_mixture():
    # no couplings, fields (1, 0): H = sz_0, ground space |10>, |11> (indices 2, 3)
    st = bt.battery_state(2, 0, 0, 0, 0, 0, [1.0, 0.0], T=0.0)
    np.testing.assert_allclose(st.rho, np.diag([0, 0, 0.5, 0.5]), atol=1e-14)
    assert st.ergotropy == pytest.approx(0.0, abs=1e-14)
    assert st.capacity == pytest.approx(2.0, abs=1e-14)       # (1/2 + 1/2) * 1 - (-1)
    q = bt.thermal_quantities(2, 0, 0, 0, 0, 0, [1.0, 0.0], T=0.0)
    assert q["capacity"] == pytest.approx(2.0, abs=1e-14) and q["ergotropy"] == pytest.approx(0.0, abs=1e-14)
    ref = sc.thermal_state(sc.hamiltonian(2, 0, 0, 0, 0, 0, [1.0, 0.0]), 0.0)
    np.testing.assert_allclose(st.rho, ref, atol=1e-14)


@pytest.mark.parametrize("seed", [0, 2, 3, 4])
def test_zero_temperature_doublet_split_across_the_sectors(seed):
    # three sites, K = 0, fields (B, 0, -B): flipping every spin and mirroring the chain maps H to
    # itself and the even sector onto the odd one, so every level is a doublet whose two halves
    # come out of different sector diagonalisations, equal only up to rounding (~1e-15).  T = 0
    # must still give the mixture of both (rank 2), as the dense path does.
    rng = np.random.default_rng(seed)
    Jx, Jy, Jz, D = rng.normal(size=4)
    B = rng.uniform(0.5, 1.5)
    s = dict(Jx=Jx, Jy=Jy, Jz=Jz, D=D, K=0.0, fields=np.array([B, 0.0, -B]))
    args = (3, Jx, Jy, Jz, D, 0.0, s["fields"])
    st = bt.battery_state(*args, T=0.0)
    ref = dense_figures(3, s, 0.0)
    assert np.linalg.matrix_rank(ref["rho"], tol=1e-8) == 2
    np.testing.assert_allclose(st.rho, ref["rho"], atol=TOL)
    q = bt.thermal_quantities(*args, T=0.0, quantities=MANY)
    for name in MANY:
        assert q[name] == pytest.approx(ref[name], abs=TOL), name
        assert getattr(st, name) == pytest.approx(ref[name], abs=TOL), name


# ----------------------------------------------------------------------------------------------
# batches: shapes, element by element, spectra reuse
# ----------------------------------------------------------------------------------------------

def test_batched_two_site_settings_broadcast_with_temperatures():
    rng = np.random.default_rng(7)
    D = rng.normal(size=(5, 1))
    Jz = rng.normal(size=4)
    fields = rng.normal(size=(1, 4, 2))
    T = np.array([0.0, 0.4, 2.0])
    Jx, Jy, K = 0.8, -0.3, 0.25
    q = bt.thermal_quantities(2, Jx, Jy, Jz, D, K, fields, T, quantities=bt.QUANTITIES)
    assert set(q) == set(bt.QUANTITIES)
    for name in bt.QUANTITIES:
        assert q[name].shape == (5, 4, 3)
    for i in range(5):
        for j in range(4):
            one = bt.thermal_quantities(2, Jx, Jy, Jz[j], D[i, 0], K, fields[0, j], T, quantities=bt.QUANTITIES)
            for name in bt.QUANTITIES:
                np.testing.assert_allclose(q[name][i, j], one[name], atol=TOL, err_msg=name)
    # a scalar T drops the last axis
    q0 = bt.thermal_quantities(2, Jx, Jy, Jz, D, K, fields, 0.4)
    assert q0["ergotropy"].shape == (5, 4)
    np.testing.assert_allclose(q0["ergotropy"], q["ergotropy"][..., 1], atol=TOL)
    # the elements really differ (a broadcast that repeated one setting would fail above or here)
    assert np.ptp(q["ergotropy"][..., 1]) > 1e-2


@pytest.mark.parametrize("n, shape", [(3, (2, 3)), (8, (2,))])
def test_batched_chains_match_single_settings(n, shape):
    # n = 3 takes the dense-template path, n = 8 the one-setting-at-a-time sparse path
    rng = np.random.default_rng(300 + n)
    K = rng.normal(size=shape[:1] + (1,) * (len(shape) - 1))
    fields = rng.normal(size=shape[1:] + (n,))
    Jx, Jy, Jz, D = rng.normal(size=4)
    T = np.array([0.2, 1.5])
    q = bt.thermal_quantities(n, Jx, Jy, Jz, D, K, fields, T, quantities=MANY)
    for name in MANY:
        assert q[name].shape == shape + (2,)
    for idx in np.ndindex(*shape):
        k = K[idx[0]].item()
        f = fields[idx[1:]] if len(shape) > 1 else fields
        one = bt.thermal_quantities(n, Jx, Jy, Jz, D, k, f, T, quantities=MANY)
        for name in MANY:
            np.testing.assert_allclose(q[name][idx], one[name], atol=TOL, err_msg=name)
    # and one element against the dense path
    idx = (shape[0] - 1,) + (0,) * (len(shape) - 1)
    f = fields[idx[1:]] if len(shape) > 1 else fields
    ref = dense_figures(n, dict(Jx=Jx, Jy=Jy, Jz=Jz, D=D, K=K[idx[0]].item(), fields=f), 1.5)
    for name in MANY:
        assert q[name][idx + (1,)] == pytest.approx(ref[name], abs=TOL), name


def test_spectra_reuse_gives_identical_results():
    rng = np.random.default_rng(11)
    D = np.linspace(-1, 1, 6)[:, None]
    fields = bt.site_fields(3, 1.0, np.linspace(0, 0.8, 4), "gradient")          # (4, 3)
    spectra = bt.chain_spectra(3, 0.7, 0.4, -0.2, D, 0.1, fields)
    for T in (0.0, 0.3, np.array([0.5, 2.0])):
        fresh = bt.thermal_quantities(3, 0.7, 0.4, -0.2, D, 0.1, fields, T, quantities=MANY)
        again = bt.thermal_quantities(3, 0.7, 0.4, -0.2, D, 0.1, fields, T, quantities=MANY, spectra=spectra)
        for name in MANY:
            np.testing.assert_array_equal(again[name], fresh[name])
    s = random_setting(rng, 4)
    args = (4, s["Jx"], s["Jy"], s["Jz"], s["D"], s["K"], s["fields"])
    one = bt.chain_spectra(*args)
    a, b = bt.battery_state(*args, T=0.7), bt.battery_state(*args, T=0.7, spectra=one)
    np.testing.assert_array_equal(a.rho, b.rho)
    assert (a.ergotropy, a.capacity, a.coherence) == (b.ergotropy, b.capacity, b.coherence)


# ----------------------------------------------------------------------------------------------
# closed forms and inequalities
# ----------------------------------------------------------------------------------------------

def test_two_site_energies_in_closed_form_per_sector():
    rng = np.random.default_rng(12)
    Jx, Jy, Jz, D, K = rng.normal(size=(5, 20))
    B1, B2 = rng.normal(size=(2, 20))
    a = np.sqrt((B1 + B2) ** 2 + (Jx - Jy) ** 2 + 4 * K**2)
    b = np.sqrt((B1 - B2) ** 2 + (Jx + Jy) ** 2 + 4 * D**2)
    (w_even, _), (w_odd, _) = bt.chain_spectra(2, Jx, Jy, Jz, D, K, np.stack([B1, B2], axis=-1))
    np.testing.assert_allclose(w_even, np.stack([Jz - a, Jz + a], axis=1), atol=TOL)
    np.testing.assert_allclose(w_odd, np.stack([-Jz - b, -Jz + b], axis=1), atol=TOL)
    for m in range(20):
        st = bt.battery_state(2, Jx[m], Jy[m], Jz[m], D[m], K[m], (B1[m], B2[m]), T=1.0)
        np.testing.assert_allclose(st.energies, np.sort([Jz[m] + a[m], Jz[m] - a[m], -Jz[m] + b[m], -Jz[m] - b[m]]),
                                   atol=TOL)


@pytest.mark.parametrize("n", [2, 3, 4, 6])
def test_zero_temperature_ergotropy_is_that_of_the_pure_ground_state(n):
    rng = np.random.default_rng(400 + n)
    s = random_setting(rng, n)
    Hd = dense_chain(n, s["Jx"], s["Jy"], s["Jz"], s["D"], s["K"], s["fields"])
    w, v = np.linalg.eigh(Hd)
    assert w[1] - w[0] > 1e-3                                   # non-degenerate ground state
    gs = v[:, 0]
    h = np.real(np.diag(sc.battery_hamiltonian(s["fields"]).toarray()))
    expected = float(np.abs(gs) ** 2 @ h - h.min())
    q = bt.thermal_quantities(n, s["Jx"], s["Jy"], s["Jz"], s["D"], s["K"], s["fields"], 0.0, quantities=MANY)
    # a pure state's passive state is the ground state of H_B: W = stored = <H_B> - e_min
    assert q["ergotropy"] == pytest.approx(expected, abs=TOL)
    assert q["stored"] == pytest.approx(expected, abs=TOL)
    # and its capacity is the whole width of H_B, 2 sum_i |B_i|
    assert q["capacity"] == pytest.approx(2 * np.abs(s["fields"]).sum(), abs=TOL)
    assert expected > 1e-2


@pytest.mark.parametrize("n", [2, 3, 5])
def test_gibbs_state_of_the_battery_alone_is_passive(n):
    fields = np.array([0.7, -1.1, 0.4, 0.9, -0.5])[:n]
    T = np.array([0.0, 0.1, 1.0, 10.0])
    q = bt.thermal_quantities(n, 0, 0, 0, 0, 0, fields, T, quantities=MANY)
    np.testing.assert_allclose(q["ergotropy"], 0.0, atol=1e-12)
    np.testing.assert_allclose(q["coherent"], 0.0, atol=1e-12)
    np.testing.assert_allclose(q["coherence"], 0.0, atol=1e-12)
    # a product of free spins: <sz_i> = -tanh(B_i / T), so E = sum_i |B_i| (1 - tanh(|B_i| / T))
    with np.errstate(divide="ignore"):
        tanh = np.tanh(np.abs(fields)[None, :] / T[:, None])
    np.testing.assert_allclose(q["stored"], (np.abs(fields) * (1 - tanh)).sum(axis=1), atol=TOL)
    assert np.all(q["capacity"][:3] > 0.1)                     # not passive in the other direction


def test_inequalities_on_a_random_grid():
    rng = np.random.default_rng(13)
    for n, shape in ((2, (6, 6, 6)), (4, (40,))):
        Jx, Jy, Jz, D, K = (rng.normal(size=shape) for _ in range(5))
        fields = rng.normal(size=shape + (n,))
        T = np.array([0.0, 0.1, 0.5, 2.0, 20.0])
        q = bt.thermal_quantities(n, Jx, Jy, Jz, D, K, fields, T, quantities=MANY)
        W = q["ergotropy"]
        assert np.all(W >= 0) and np.all(q["incoherent"] >= 0)
        assert np.all(W <= q["capacity"] + 1e-12)
        assert np.all(W <= q["stored"] + 1e-12)                 # passive energy >= e_min
        # the populations are majorised by the eigenvalues (Schur): dephasing cannot add ergotropy
        assert np.all(q["coherent"] >= -1e-12)
        np.testing.assert_allclose(q["incoherent"] + q["coherent"], W, atol=1e-12)
        assert np.mean(q["coherent"] > 1e-3) > 0.2 and np.mean(W < q["capacity"] - 1e-3) > 0.5


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_dm_coupling_of_an_xxz_chain_is_a_gauge(n):
    # Jx = Jy = J, K = 0: U = prod_i exp(-i phi_i sz_i / 2) (diagonal, so it commutes with H_B)
    # maps the chain with D to the XXZ chain with J' = sqrt(J^2 + D^2) and no D.  Every figure of
    # merit of the Gibbs state is invariant under such a U; the capacity depends on D only there.
    fields = np.array([1.1, -0.4, 0.7, 0.2, -0.9])[:n]
    T = np.array([0.0, 0.3, 1.0, 5.0])
    J, Jz, D = 0.6, 0.3, 0.8
    with_d = bt.thermal_quantities(n, J, J, Jz, D, 0.0, fields, T, quantities=MANY)
    gauged = bt.thermal_quantities(n, np.hypot(J, D), np.hypot(J, D), Jz, 0.0, 0.0, fields, T, quantities=MANY)
    without = bt.thermal_quantities(n, J, J, Jz, 0.0, 0.0, fields, T, quantities=MANY)
    for name in MANY:
        np.testing.assert_allclose(with_d[name], gauged[name], atol=TOL, err_msg=name)
    # control: D does change the figures (so the equality above is not trivial)
    assert np.abs(with_d["capacity"] - without["capacity"]).max() > 1e-2
    assert np.abs(with_d["ergotropy"] - without["ergotropy"]).max() > 1e-2


def test_two_site_figures_depend_on_d_and_k_only_through_the_sector_amplitudes():
    # two sites: the odd block couples |01>, |10> with |Jx + Jy - 2iD|, the even one |00>, |11>
    # with |Jx - Jy + 2iK|; the phases are a gauge, so only (Jx + Jy)^2 + 4D^2 and
    # (Jx - Jy)^2 + 4K^2 matter, for every figure including the concurrence
    Jx, Jy, Jz, D, K = 0.9, 0.2, -0.4, 0.5, 0.35
    T = np.array([0.0, 0.2, 1.0, 4.0])
    B = [1.3, 0.4]
    a = bt.thermal_quantities(2, Jx, Jy, Jz, D, K, B, T, quantities=bt.QUANTITIES)
    plus, minus = np.hypot(Jx + Jy, 2 * D), np.hypot(Jx - Jy, 2 * K)
    b = bt.thermal_quantities(2, (plus + minus) / 2, (plus - minus) / 2, Jz, 0.0, 0.0, B, T,
                              quantities=bt.QUANTITIES)
    c = bt.thermal_quantities(2, Jx, Jy, Jz, 0.0, 0.0, B, T, quantities=bt.QUANTITIES)
    for name in bt.QUANTITIES:
        np.testing.assert_allclose(a[name], b[name], atol=TOL, err_msg=name)
    assert np.abs(a["ergotropy"] - c["ergotropy"]).max() > 1e-2


# ----------------------------------------------------------------------------------------------
# concurrence
# ----------------------------------------------------------------------------------------------

def test_two_site_concurrence_against_wootters_and_the_x_state_formula():
    rng = np.random.default_rng(14)
    Jx, Jy, Jz, D, K = rng.normal(size=(5, 40))
    fields = rng.normal(size=(40, 2))
    T = np.array([0.0, 0.02, 0.3, 1.0, 5.0])
    c = bt.thermal_quantities(2, Jx, Jy, Jz, D, K, fields, T, quantities=("concurrence",))["concurrence"]
    assert c.shape == (40, 5)
    x_pattern = np.array([[1, 0, 0, 1], [0, 1, 1, 0], [0, 1, 1, 0], [1, 0, 0, 1]], bool)
    for m in range(40):
        H = sc.hamiltonian(2, Jx[m], Jy[m], Jz[m], D[m], K[m], fields[m])
        for k, temp in enumerate(T):
            rho = sc.thermal_state(H, temp)
            assert np.abs(rho[~x_pattern]).max() < 1e-14        # the Gibbs state is an X state
            assert c[m, k] == pytest.approx(x_state_concurrence(rho), abs=TOL)
            # Wootters' general formula: sqrt of the eigenvalues of the non-Hermitian
            # rho (sy sy) rho* (sy sy); eigenvalues near zero carry errors ~1e-16, ~1e-8 after sqrt
            assert c[m, k] == pytest.approx(sc.concurrence(rho), abs=1e-7)
    assert np.mean(c > 0.1) > 0.3 and np.mean(c == 0) > 0.05  # entangled and separable cases


def test_two_site_ground_state_concurrence_of_the_xx_chain_is_one():
    # XX chain, no field: the ground state (|01> - |10>)/sqrt 2-like is maximally entangled
    q = bt.thermal_quantities(2, 1.0, 1.0, 0.0, 0.0, 0.0, [0.0, 0.0], 0.0, quantities=("concurrence",))
    assert q["concurrence"] == pytest.approx(1.0, abs=TOL)
    # infinite temperature limit: large T gives a nearly maximally mixed state, separable
    q = bt.thermal_quantities(2, 1.0, 1.0, 0.0, 0.0, 0.0, [0.0, 0.0], 100.0, quantities=("concurrence",))
    assert q["concurrence"] == 0.0


# ----------------------------------------------------------------------------------------------
# reduced states
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [2, 3, 4])
def test_reduced_state_is_the_partial_trace(n):
    rng = np.random.default_rng(500 + n)
    rho = random_density_matrix(rng, 2**n)
    for keep in range(1, n + 1):
        red = bt.reduced_state(rho, n, keep)
        np.testing.assert_allclose(red, kron_partial_trace(rho, n, list(range(keep))), atol=1e-13)
        assert np.trace(red) == pytest.approx(1.0, abs=1e-13)
    # a product state: keeping the first factor returns it
    a, b = random_density_matrix(rng, 2), random_density_matrix(rng, 2 ** (n - 1))
    np.testing.assert_allclose(bt.reduced_state(np.kron(a, b), n, 1), a, atol=1e-13)


# ----------------------------------------------------------------------------------------------
# charging
# ----------------------------------------------------------------------------------------------

def dense_charging(rho0, H, fields, times):
    """rho(t) by scipy.linalg.expm, then every output of bt.charging from dense traces."""
    n = len(fields)
    HB = sc.battery_hamiltonian(fields)
    HBd = HB.toarray()
    e_min = np.linalg.eigvalsh(HBd)[0]
    Hd = H.toarray() if sp.issparse(H) else H
    out = {k: [] for k in ("stored", "ergotropy", "local", "sx", "sy", "sz")}
    for t in times:
        U = expm(-1j * Hd * t)
        rho = U @ rho0 @ U.conj().T
        r = np.array([bloch_vector(rho, i, n) for i in range(n)])        # (n, 3)
        out["sx"].append(r[:, 0])
        out["sy"].append(r[:, 1])
        out["sz"].append(r[:, 2])
        out["stored"].append(expectation(rho, HBd).real - e_min)
        out["ergotropy"].append(sc.ergotropy(rho, HB))
        # local: single-site ergotropies of the reduced states from the Kronecker partial trace
        sites = [kron_partial_trace(rho, n, [i]) for i in range(n)]
        np.testing.assert_allclose(sites, [bloch_state(v) for v in r], atol=1e-13)
        out["local"].append(sum(sc.ergotropy(s, B * SZ) for s, B in zip(sites, fields)))
    return {k: np.array(v) for k, v in out.items()}


def assert_charging_matches(got, ref, times):
    np.testing.assert_array_equal(got["times"], times)
    for name in ("stored", "ergotropy", "local", "sx", "sy", "sz"):
        assert got[name].shape == ref[name].shape, name
        np.testing.assert_allclose(got[name], ref[name], atol=TOL, err_msg=name)


@pytest.fixture
def krylov_calls(monkeypatch):
    """Counts the calls of expm_multiply made by bt.charging (the Krylov path)."""
    calls = []
    original = bt.expm_multiply

    def spy(*args, **kw):
        calls.append(kw)
        return original(*args, **kw)

    monkeypatch.setattr(bt, "expm_multiply", spy)
    return calls


def test_charging_a_mixed_state(krylov_calls):
    rng = np.random.default_rng(15)
    n = 3
    fields = np.array([1.0, 0.6, -0.8])
    H = sc.hamiltonian(n, 0.9, 0.5, 0.3, 0.4, 0.2, [0.2, -0.3, 0.5])
    rho0 = random_density_matrix(rng, 2**n)                  # full rank, with coherences
    assert np.linalg.eigvalsh(rho0)[-1] < 0.9
    times = np.array([0.0, 0.3, 1.7, 4.0])
    got = bt.charging(rho0, H, fields, times)
    ref = dense_charging(rho0, H, fields, times)
    assert_charging_matches(got, ref, times)
    assert not krylov_calls
    assert np.ptp(ref["stored"]) > 1e-2 and np.abs(ref["sy"]).max() > 1e-2
    # the same evolution with a dense H and a Gibbs initial state (diagonal, mixed)
    rho0 = sc.thermal_state(sc.battery_hamiltonian(fields), 0.5)
    got = bt.charging(rho0, H.toarray(), fields, times)
    assert_charging_matches(got, dense_charging(rho0, H, fields, times), times)


def test_charging_a_mixed_state_across_time_chunks():
    # d = 256: rho(t) is formed 2^22 / d^2 = 64 times at a time; 66 times make two chunks
    n = 8
    rng = np.random.default_rng(18)
    fields = rng.normal(size=n)
    H = sc.hamiltonian(n, 0.7, 0.4, 0.2, 0.3, 0.1, rng.normal(size=n))
    rho0 = sc.thermal_state(sc.battery_hamiltonian(fields), 0.8)
    times = np.linspace(0.0, 2.0, 66)
    got = bt.charging(rho0, H, fields, times)
    pick = [63, 64, 65]                                          # both sides of the chunk boundary
    ref = dense_charging(rho0, H, fields, times[pick])
    for name in ("stored", "ergotropy", "local", "sx", "sy", "sz"):
        np.testing.assert_allclose(got[name][pick], ref[name], atol=TOL, err_msg=name)
    assert got["stored"].shape == (66,) and got["sx"].shape == (66, n)


@pytest.mark.parametrize("n", [2, 4])
def test_charging_a_pure_state(n, krylov_calls):
    rng = np.random.default_rng(600 + n)
    s = random_setting(rng, n)
    H = sc.hamiltonian(n, s["Jx"], s["Jy"], s["Jz"], s["D"], s["K"], s["fields"])
    fields = rng.normal(size=n)
    psi = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    psi /= np.linalg.norm(psi)
    rho0 = np.outer(psi, psi.conj())
    times = np.array([0.0, 0.25, 1.0, 3.3])                   # not uniform either
    got = bt.charging(rho0, H, fields, times)
    assert_charging_matches(got, dense_charging(rho0, H, fields, times), times)
    assert not krylov_calls
    # a pure state keeps W = stored (its passive state is H_B's ground state)
    np.testing.assert_allclose(got["ergotropy"], got["stored"], atol=TOL)


def test_charging_a_pure_state_of_nine_sites_on_the_krylov_path(krylov_calls):
    n = 9
    rng = np.random.default_rng(16)
    s = random_setting(rng, n)
    H = sc.hamiltonian(n, s["Jx"], s["Jy"], s["Jz"], s["D"], s["K"], s["fields"])
    fields = rng.normal(size=n)
    psi0 = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    psi0 /= np.linalg.norm(psi0)
    times = np.linspace(0.25, 1.0, 4)
    got = bt.charging(np.outer(psi0, psi0.conj()), H, fields, times)
    assert len(krylov_calls) == 1                             # pure, d = 512 > 256, sparse, uniform
    # reference: psi(t0) = expm(-i H t0) psi0, then repeated expm(-i H dt); dense traces of
    # site operators on |psi><psi| (kept as a vector: Tr(|psi><psi| A) = <psi|A|psi>)
    Hd = H.toarray()
    HB = sc.battery_hamiltonian(fields)
    h = np.real(HB.diagonal())
    psi = expm(-1j * Hd * times[0]) @ psi0
    step = expm(-1j * Hd * (times[1] - times[0]))
    ops = [[site_op(P, i, n) for i in range(n)] for P in (SX, SY, SZ)]
    for k, t in enumerate(times):
        if k:
            psi = step @ psi
        bloch = np.array([[np.real(psi.conj() @ op @ psi) for op in row] for row in ops])   # (3, n)
        np.testing.assert_allclose(got["sx"][k], bloch[0], atol=TOL)
        np.testing.assert_allclose(got["sy"][k], bloch[1], atol=TOL)
        np.testing.assert_allclose(got["sz"][k], bloch[2], atol=TOL)
        stored = float(np.abs(psi) ** 2 @ h - h.min())
        assert got["stored"][k] == pytest.approx(stored, abs=TOL)
        # single-site states from the Bloch vectors (a 512 x 512 partial trace per site is slow)
        local = sum(sc.ergotropy(bloch_state(bloch[:, i]), fields[i] * SZ) for i in range(n))
        assert got["local"][k] == pytest.approx(local, abs=TOL)
        if k in (0, len(times) - 1):                          # two 512 x 512 dense ergotropies suffice
            assert got["ergotropy"][k] == pytest.approx(sc.ergotropy(np.outer(psi, psi.conj()), HB), abs=TOL)
    assert np.ptp(got["stored"]) > 1e-2


def test_charging_on_a_decreasing_uniform_time_grid():
    n = 9
    rng = np.random.default_rng(17)
    H = sc.hamiltonian(n, 0.8, 0.5, 0.2, 0.3, 0.1, rng.normal(size=n))
    fields = rng.normal(size=n)
    psi0 = np.zeros(2**n, complex)
    psi0[0] = 1.0
    rho0 = np.outer(psi0, psi0)
    times = np.linspace(1.0, 0.0, 3)                            # uniform, but decreasing
    got = bt.charging(rho0, H, fields, times)                   # sparse H: Krylov path
    ref = bt.charging(rho0, H.toarray(), fields, times)         # dense H: eigenbasis path
    np.testing.assert_allclose(got["stored"], ref["stored"], atol=TOL)


def test_a_resonant_drive_flips_every_spin():
    n, omega = 3, 0.7
    drive = bt.transverse_drive(n, omega)
    np.testing.assert_allclose(drive.toarray(), omega * sum(site_op(SX, i, n) for i in range(n)), atol=0)
    fields = np.array([0.5, 1.0, 2.0])
    ground = np.zeros(2**n)
    ground[-1] = 1.0                                           # all spins down: H_B's ground state
    times = np.linspace(0, np.pi / omega, 9)
    got = bt.charging(np.outer(ground, ground), drive, fields, times)
    # free spins: psi_i(t) = cos(omega t)|1> - i sin(omega t)|0>, so <sz_i> = -cos(2 omega t),
    # <sy_i> = sin(2 omega t), <sx_i> = 0 and E(t) = sum_i B_i (1 - cos(2 omega t))
    np.testing.assert_allclose(got["stored"], fields.sum() * (1 - np.cos(2 * omega * times)), atol=TOL)
    np.testing.assert_allclose(got["sz"], -np.cos(2 * omega * times)[:, None] * np.ones(n), atol=TOL)
    np.testing.assert_allclose(got["sy"], np.sin(2 * omega * times)[:, None] * np.ones(n), atol=TOL)
    np.testing.assert_allclose(got["sx"], 0.0, atol=TOL)
    # a product of pure spins: all the ergotropy can be taken spin by spin
    np.testing.assert_allclose(got["local"], got["ergotropy"], atol=TOL)
    assert got["stored"][4] == pytest.approx(2 * fields.sum(), abs=TOL)   # t = pi / (2 omega): full


# ----------------------------------------------------------------------------------------------
# field profiles
# ----------------------------------------------------------------------------------------------

def test_site_fields_profiles():
    np.testing.assert_allclose(bt.site_fields(5, 1.0, 0.5, "alternating"), [1.5, 0.5, 1.5, 0.5, 1.5], atol=0)
    np.testing.assert_allclose(bt.site_fields(5, 1.0, 0.5, "gradient"), [1.5, 1.25, 1.0, 0.75, 0.5], atol=1e-15)
    assert bt.site_fields(4, 2.0, 0.3).tolist() == pytest.approx([2.3, 1.7, 2.3, 1.7])   # default alternating
    for profile in bt.FIELD_PROFILES:
        np.testing.assert_allclose(bt.site_fields(2, 0.8, 0.3, profile), [1.1, 0.5], atol=1e-15)
    B, b = np.array([[0.0], [1.0], [2.0]]), np.array([0.1, 0.2, 0.3, 0.4])
    for profile in bt.FIELD_PROFILES:
        grid = bt.site_fields(4, B, b, profile)
        assert grid.shape == (3, 4, 4)
        for i in range(3):
            for j in range(4):
                np.testing.assert_allclose(grid[i, j], bt.site_fields(4, B[i, 0], b[j], profile), atol=0)
        two = bt.site_fields(2, B, b, profile)
        np.testing.assert_allclose(two[..., 0], B + b, atol=1e-15)
        np.testing.assert_allclose(two[..., 1], B - b, atol=1e-15)


# ----------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 13])
def test_sizes_outside_the_range_are_refused(n):
    with pytest.raises(ValueError, match="n_sites must be between 2 and 12"):
        bt.thermal_quantities(n, 1, 1, 1, fields=np.ones(max(n, 1)))
    with pytest.raises(ValueError, match="n_sites"):
        bt.battery_state(n, 1, 1, 1, fields=np.ones(max(n, 1)))


def test_bad_input_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="one per site"):
        bt.thermal_quantities(3, 1, 1, 1, fields=[1.0, 2.0])
    with pytest.raises(ValueError, match="one per site"):
        bt.thermal_quantities(2, 1, 1, 1, fields=np.ones((4, 3)))
    with pytest.raises(ValueError, match="one per site"):
        bt.battery_state(3, 1, 1, 1, fields=[1.0, 2.0])
    for T in (-0.1, np.nan, np.inf, [0.5, -1.0], [[0.5]]):
        with pytest.raises(ValueError, match="T must be finite, >= 0"):
            bt.thermal_quantities(2, 1, 1, 1, fields=[1.0, 0.5], T=T)
    with pytest.raises(ValueError, match=r"unknown quantities \['work'\]"):
        bt.thermal_quantities(2, 1, 1, 1, fields=[1.0, 0.5], quantities=("ergotropy", "work"))
    with pytest.raises(ValueError, match="concurrence is computed for two sites"):
        bt.thermal_quantities(3, 1, 1, 1, fields=[1.0, 0.5, 0.2], quantities=("concurrence",))
    with pytest.raises(ValueError, match="profile must be one of"):
        bt.site_fields(3, 1.0, 0.2, "random")
    with pytest.raises(ValueError, match="n_sites"):
        bt.transverse_drive(13, 1.0)


@pytest.mark.parametrize("T", [-0.5, np.nan, np.inf])
def test_battery_state_refuses_a_bad_temperature(T):
    with pytest.raises(ValueError, match="T must"):
        bt.battery_state(2, 1, 1, 1, fields=[1.0, 0.5], T=T)


def test_battery_gibbs_is_the_diagonal_of_the_dense_gibbs_state():
    fields = [1.3, -0.4, 0.0, 0.7]
    for T in (0.0, 0.3, 2.0):
        dense = sc.thermal_state(sc.battery_hamiltonian(fields), T)
        np.testing.assert_allclose(np.diag(bt.battery_gibbs(fields, T)), dense, atol=1e-14)
