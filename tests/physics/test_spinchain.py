"""Spin-chain battery physics against dense NumPy linear algebra and closed forms (to 1e-10)."""
import numpy as np
import pytest
from scipy.linalg import expm
from scipy.stats import unitary_group

from physics import spinchain as sc

I2 = np.eye(2)
SX = np.array([[0, 1], [1, 0]], complex)
SY = np.array([[0, -1j], [1j, 0]])
SZ = np.diag([1.0 + 0j, -1.0])


def site_op(op, i, n):
    """op on site i of n (site 0 the leftmost Kronecker factor)."""
    out = np.eye(1)
    for k in range(n):
        out = np.kron(out, op if k == i else I2)
    return out


def dense_chain(n, Jx, Jy, Jz, D, K, B):
    H = sum(B[i] * site_op(SZ, i, n) for i in range(n))
    for i in range(n - 1):
        a = {name: site_op(op, i, n) for name, op in (("x", SX), ("y", SY), ("z", SZ))}
        b = {name: site_op(op, i + 1, n) for name, op in (("x", SX), ("y", SY), ("z", SZ))}
        H = H + Jx * a["x"] @ b["x"] + Jy * a["y"] @ b["y"] + Jz * a["z"] @ b["z"]
        H = H + D * (a["x"] @ b["y"] - a["y"] @ b["x"]) + K * (a["x"] @ b["y"] + a["y"] @ b["x"])
    return H


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_chain_matches_kronecker_products(n):
    rng = np.random.default_rng(n)
    Jx, Jy, Jz, D, K = rng.normal(size=5)
    B = rng.normal(size=n)
    H = sc.hamiltonian(n, Jx, Jy, Jz, D, K, B).toarray()
    np.testing.assert_allclose(H, dense_chain(n, Jx, Jy, Jz, D, K, B), atol=1e-12)
    np.testing.assert_allclose(H, H.conj().T, atol=0)
    np.testing.assert_allclose(sc.battery_hamiltonian(B).toarray(), dense_chain(n, 0, 0, 0, 0, 0, B), atol=0)


def test_conventions_site_zero_is_leftmost_and_zero_is_up():
    H = sc.battery_hamiltonian([1.0, 0.0, 0.0]).toarray()
    # |011> (site 0 up, sites 1, 2 down) is basis index 3: sz_0 = +1 there
    assert H[3, 3] == 1.0 and H[4, 4] == -1.0


def test_two_site_spectrum_in_closed_form():
    Jx, Jy, Jz, D, K, B1, B2 = 0.7, -0.3, 0.4, 0.9, 0.25, 1.3, 0.2
    w = np.linalg.eigvalsh(sc.hamiltonian(2, Jx, Jy, Jz, D, K, (B1, B2)).toarray())
    a = np.sqrt((B1 + B2) ** 2 + (Jx - Jy) ** 2 + 4 * K**2)
    b = np.sqrt((B1 - B2) ** 2 + (Jx + Jy) ** 2 + 4 * D**2)
    np.testing.assert_allclose(w, np.sort([Jz + a, Jz - a, -Jz + b, -Jz - b]), atol=1e-12)


def test_xxx_ground_energies():
    # two sites: singlet -3J, triplet +J; four sites (open): -(3 + 2 sqrt 3) J in sigma units
    w2 = np.linalg.eigvalsh(sc.hamiltonian(2, 1, 1, 1).toarray())
    np.testing.assert_allclose(w2, [-3, 1, 1, 1], atol=1e-12)
    w4 = np.linalg.eigvalsh(sc.hamiltonian(4, 1, 1, 1).toarray())
    assert w4[0] == pytest.approx(-(3 + 2 * np.sqrt(3)), abs=1e-10)


def test_thermal_state_is_gibbs_and_stable():
    H = sc.hamiltonian(3, 1.0, 0.5, -0.3, 0.2, 0.1, [0.5, 1.0, -0.2])
    Hd = H.toarray()
    for T in (0.3, 1.0, 10.0):
        ref = expm(-Hd / T)
        np.testing.assert_allclose(sc.thermal_state(H, T), ref / np.trace(ref), atol=1e-12)
    cold = sc.thermal_state(H * 1e4, 1e-3)                     # beta * gap ~ 1e7: no overflow
    w, v = np.linalg.eigh(Hd)
    np.testing.assert_allclose(cold, np.outer(v[:, 0], v[:, 0].conj()), atol=1e-10)
    zero = sc.thermal_state(sc.hamiltonian(2, 0, 0, 0), 0.0)   # all degenerate: the uniform mixture
    np.testing.assert_allclose(zero, np.eye(4) / 4, atol=1e-12)


def test_ergotropy_and_capacity_properties():
    rng = np.random.default_rng(2)
    HB = sc.battery_hamiltonian([1.2, 0.8])
    e = np.linalg.eigvalsh(HB.toarray())
    for _ in range(5):
        A = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
        rho = A @ A.conj().T
        rho /= np.trace(rho)
        W, C = sc.ergotropy(rho, HB), sc.capacity(rho, HB)
        assert -1e-12 <= W <= C + 1e-12
        # capacity depends on the spectrum only: invariant under any unitary
        U = unitary_group.rvs(4, random_state=rng)
        assert sc.capacity(U @ rho @ U.conj().T, HB) == pytest.approx(C, abs=1e-10)
        # dense reference: sorted eigenvalues on sorted energies
        r = np.sort(np.linalg.eigvalsh(rho))[::-1]
        energy = np.real(np.trace(rho @ HB.toarray()))
        assert W == pytest.approx(energy - r @ e, abs=1e-10)
        assert C == pytest.approx(r @ e[::-1] - r @ e, abs=1e-10)
        inc, coh = sc.ergotropy_split(rho, HB)
        assert inc + coh == pytest.approx(W, abs=1e-12) and inc >= 0
    # a pure state: W = <H_B> - E_min; a passive state: W = 0
    psi = rng.normal(size=4) + 1j * rng.normal(size=4)
    psi /= np.linalg.norm(psi)
    pure = np.outer(psi, psi.conj())
    assert sc.ergotropy(pure, HB) == pytest.approx(np.real(psi.conj() @ HB.toarray() @ psi) - e[0], abs=1e-10)
    passive = np.diag(np.sort([0.1, 0.2, 0.3, 0.4]))           # H_B's diagonal order is -2.0 last
    order = np.argsort(np.real(np.diag(HB.toarray())))
    p = np.zeros((4, 4))
    p[order, order] = [0.4, 0.3, 0.2, 0.1]
    assert sc.ergotropy(p, HB) == pytest.approx(0.0, abs=1e-14)
    assert sc.capacity(p, HB) > 0 and np.trace(passive) == pytest.approx(1.0)
    # a thermal state of H_B alone is passive
    assert sc.ergotropy(sc.thermal_state(HB, 0.7), HB) == pytest.approx(0.0, abs=1e-12)


def test_coherence_and_concurrence():
    bell = np.zeros(4)
    bell[[1, 2]] = 1 / np.sqrt(2)
    rho = np.outer(bell, bell)
    assert sc.concurrence(rho) == pytest.approx(1.0, abs=1e-10)
    assert sc.l1_coherence(rho) == pytest.approx(1.0, abs=1e-12)
    product = np.kron(np.diag([0.7, 0.3]), np.diag([0.4, 0.6]))
    assert sc.concurrence(product) == pytest.approx(0.0, abs=1e-12)
    assert sc.l1_coherence(product) == 0.0
    # Werner state p |bell><bell| + (1 - p) I/4: C = max(0, (3p - 1)/2)
    for p in (0.2, 0.5, 0.9):
        w = p * rho + (1 - p) * np.eye(4) / 4
        assert sc.concurrence(w) == pytest.approx(max(0.0, (3 * p - 1) / 2), abs=1e-10)


def test_charge_is_exact_unitary_evolution():
    H = sc.hamiltonian(3, 1.0, 0.6, 0.2, 0.3, 0.0, [0.4, -0.4, 0.1])
    rho0 = sc.thermal_state(sc.battery_hamiltonian([1.0, 1.0, 1.0]), 0.5)
    times = np.array([0.0, 0.37, 2.5])
    states = sc.charge(rho0, H, times)
    assert states.shape == (3, 8, 8)
    for t, rho in zip(times, states):
        U = expm(-1j * H.toarray() * t)
        np.testing.assert_allclose(rho, U @ rho0 @ U.conj().T, atol=1e-12)
        assert np.trace(rho) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("bad", [1, 13])
def test_sizes_outside_the_range_are_refused(bad):
    with pytest.raises(ValueError, match="n_sites"):
        sc.hamiltonian(bad, 1, 1, 1)
    with pytest.raises(ValueError, match="one per site"):
        sc.hamiltonian(3, 1, 1, 1, fields=[1.0, 2.0])
