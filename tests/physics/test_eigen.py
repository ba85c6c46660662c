"""Bound states against closed forms: square wells (transcendental equations solved with SciPy),
harmonic oscillator, triangular well (Airy zeros), Morse and Poeschl-Teller; plus orthonormality,
convergence with the grid, the double-well splitting, and the superposition/measurement helpers."""
import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import ai_zeros

from physics import eigen, potentials as P

X = np.linspace(-6, 6, 961)          # the lesson's default grid, dx = 0.0125
DX = X[1] - X[0]


def roots(f, lo, hi, n=20000):
    """All sign changes of f on (lo, hi) refined with brentq (skips the poles of tan/cot)."""
    grid = np.linspace(lo, hi, n)
    vals = f(grid)
    out = []
    for a, b, fa, fb in zip(grid[:-1], grid[1:], vals[:-1], vals[1:]):
        if np.isfinite(fa) and np.isfinite(fb) and fa * fb < 0:
            r = brentq(f, a, b, xtol=1e-15, rtol=1e-15)
            if abs(f(r)) < 1e-6 * (1 + abs(fa) + abs(fb)):      # a root, not a pole
                out.append(r)
    return np.array(out)


def finite_well_exact(width, depth, L):
    """Levels of V = 0 (|x| < a), depth (a < |x| < L), hard walls at +-L: exact matching equations."""
    a = width / 2

    def even(E):
        k, q = np.sqrt(2 * E), np.sqrt(2 * (depth - E))
        return k * np.sin(k * a) * np.tanh(q * (L - a)) - q * np.cos(k * a)

    def odd(E):
        k, q = np.sqrt(2 * E), np.sqrt(2 * (depth - E))
        return -k * np.cos(k * a) * np.tanh(q * (L - a)) - q * np.sin(k * a)

    return np.sort(np.concatenate([roots(even, 1e-12, depth - 1e-12), roots(odd, 1e-12, depth - 1e-12)]))


@pytest.mark.parametrize("width,depth", [(3.0, 10.0), (1.0, 50.0), (2.5, 4.0), (4.2, 1.5), (2.0, 30.0)])
def test_finite_well_matches_transcendental_equation(width, depth):
    V = P.finite_well(X, width, depth)
    exact = finite_well_exact(width, depth, X[-1])
    assert exact.size >= 1
    E, psi = eigen.bound_states(X, V, exact.size)
    np.testing.assert_allclose(E, exact, rtol=1e-6)


def test_finite_well_without_box_is_the_open_well():
    """Deep levels do not feel the far walls: the open-well equations k tan(ka) = q, -k cot(ka) = q."""
    width, depth = 2.0, 8.0
    a = width / 2
    even = roots(lambda E: np.sqrt(2 * E) * np.tan(np.sqrt(2 * E) * a) - np.sqrt(2 * (depth - E)), 1e-9, depth)
    E, _ = eigen.bound_states(X, P.finite_well(X, width, depth), 1)
    assert E[0] == pytest.approx(even[0], rel=1e-6)


@pytest.mark.parametrize("width", [4.0, 2.0, 7.5])
def test_infinite_well(width):
    n = np.arange(1, 9)
    E, psi = eigen.bound_states(X, P.infinite_well(X, width), n.size)
    np.testing.assert_allclose(E, n**2 * np.pi**2 / (2 * width**2), rtol=1e-6)
    inside = np.abs(X) < width / 2
    assert np.all(psi[:, ~inside] == 0)
    # Same shape as the exact sin(n pi (x + w/2) / w) to O(dx^2).
    exact = np.sqrt(2 / width) * np.sin(n[:, None] * np.pi * (X + width / 2) / width) * inside
    np.testing.assert_allclose(psi, exact, atol=2e-4)


@pytest.mark.parametrize("omega", [0.8, 1.0, 3.0])
def test_harmonic_oscillator(omega):
    n = np.arange(6)
    E, _ = eigen.bound_states(X, P.harmonic(X, omega), n.size)
    np.testing.assert_allclose(E, omega * (n + 0.5), rtol=1e-6)


@pytest.mark.parametrize("field", [0.7, 1.0, 4.0])
def test_triangular_well_airy_zeros(field):
    E, _ = eigen.bound_states(X, P.triangular_well(X, field), 5)
    np.testing.assert_allclose(E, (field**2 / 2) ** (1 / 3) * -ai_zeros(5)[0], rtol=1e-6)


@pytest.mark.parametrize("depth,a", [(10.0, 1.0), (20.0, 1.5)])
def test_morse(depth, a):
    w = a * np.sqrt(2 * depth)
    n = np.arange(3)                                          # deep levels: the far walls are invisible
    E, _ = eigen.bound_states(X, P.morse(X, depth, a), n.size)
    np.testing.assert_allclose(E, w * (n + 0.5) - (w * (n + 0.5)) ** 2 / (4 * depth), rtol=1e-6)


@pytest.mark.parametrize("depth,a", [(10.0, 1.0), (6.0, 2.0)])
def test_poschl_teller(depth, a):
    lam = (-1 + np.sqrt(1 + 8 * depth / a**2)) / 2
    n = np.arange(int(np.ceil(lam)) - 1)                       # levels well below the rim
    E, _ = eigen.bound_states(X, P.poschl_teller(X, depth, a), n.size)
    np.testing.assert_allclose(E, depth - a**2 * (lam - n) ** 2 / 2, rtol=1e-6)


def test_asymmetric_well():
    width, left, right = 2.0, 12.0, 5.0
    f = lambda E, n: (np.sqrt(2 * E) * width - n * np.pi + np.arcsin(np.sqrt(E / left))
                      + np.arcsin(np.sqrt(E / right)))
    exact = []
    for n in range(1, 10):
        if f(1e-12, n) < 0 < f(right - 1e-12, n):
            exact.append(brentq(f, 1e-12, right - 1e-12, args=(n,), xtol=1e-15))
    E, _ = eigen.bound_states(X, P.asymmetric_well(X, width, left, right), len(exact))
    # Open-well formula: only the shallow right tail feels the box, so compare the deep levels tightly.
    np.testing.assert_allclose(E[:2], exact[:2], rtol=1e-6)
    np.testing.assert_allclose(E, exact, rtol=1e-4)


def test_box_barrier_matches_its_matching_equations():
    width, height, bw = 4.0, 10.0, 0.5
    L, b = width / 2, bw / 2

    def even(E):
        k, q = np.sqrt(2 * E), np.sqrt(2 * (height - E))
        return q * np.tanh(q * b) * np.sin(k * (L - b)) + k * np.cos(k * (L - b))

    def odd(E):
        k, q = np.sqrt(2 * E), np.sqrt(2 * (height - E))
        return q * np.sin(k * (L - b)) + k * np.tanh(q * b) * np.cos(k * (L - b))

    exact = np.sort(np.concatenate([roots(even, 1e-9, height - 1e-9), roots(odd, 1e-9, height - 1e-9)]))
    E, _ = eigen.bound_states(X, P.box_barrier(X, width, height, bw), exact.size)
    np.testing.assert_allclose(E, exact, rtol=1e-6)


def test_double_well_splitting_falls_with_barrier_height():
    splits = []
    for height in (2.0, 4.0, 8.0, 16.0):
        E, psi = eigen.bound_states(X, P.double_well(X, 3.0, height), 2)
        splits.append(E[1] - E[0])
        assert np.all(psi[0] >= -1e-12)                                          # ground state nodeless
        assert np.allclose(psi[0], psi[0][::-1], atol=1e-9)                      # even
        assert np.allclose(psi[1], -psi[1][::-1], atol=1e-9)                     # odd
    splits = np.array(splits)
    assert np.all(splits > 0) and np.all(np.diff(splits) < 0)
    assert splits[-1] < 1e-2 * splits[0]                       # exponential, not merely decreasing


@pytest.mark.parametrize("shape", sorted(P.WELLS))
def test_states_are_orthonormal_and_real_eigenvectors(shape):
    values = dict(width=3.0, depth=10.0, height=10.0, barrier_width=0.5, omega=1.0, separation=3.0,
                  right=5.0, field=1.0, range=1.0, count=4, spacing=1.5)
    if shape == "array":
        values["width"] = 1.0
    V = P.make_well(shape, X, **values)
    E, psi = eigen.bound_states(X, V, 12)
    assert E.size == 12 and np.all(np.diff(E) > 0)
    np.testing.assert_allclose(psi @ psi.T * DX, np.eye(12), atol=1e-9)
    # Each state solves the three-point equation it came from (walls and inf points excluded).
    free = np.isfinite(V)
    free[[0, -1]] = False
    Hpsi = -0.5 * (np.roll(psi, -1, 1) - 2 * psi + np.roll(psi, 1, 1)) / DX**2 + np.where(free, V, 0) * psi
    E3 = np.sum(psi * Hpsi * free, axis=1) * DX
    assert np.max(np.abs((Hpsi - E3[:, None] * psi)[:, free])) < 1e-6 * (1 + np.abs(E3).max()) / DX


def test_accuracy_improves_with_grid():
    errs, plain = [], []
    for n in (241, 481, 961, 1921):
        x = np.linspace(-6, 6, n)
        V = P.finite_well(x, 3.0, 10.0)
        exact = finite_well_exact(3.0, 10.0, 6.0)[:3]
        errs.append(np.abs(eigen.bound_states(x, V, 3)[0] / exact - 1).max())
        plain.append(np.abs(eigen.solve(x, V, 3, extrapolate=False).energies / exact - 1).max())
    assert np.all(np.diff(errs) < 0) and np.all(np.diff(plain) < 0)
    assert plain[-2] / plain[-1] == pytest.approx(4, rel=0.05)     # three-point: second order
    assert errs[-2] / errs[-1] > 10                                  # extrapolated: fourth order
    assert errs[2] < 1e-6 < plain[2]


def test_even_grid_falls_back_to_plain_three_point():
    x = np.linspace(-6, 6, 960)
    r = eigen.solve(x, P.harmonic(x, 1.0), 3)
    assert r.extrapolated == 0
    np.testing.assert_allclose(r.energies, [0.5, 1.5, 2.5], rtol=1e-4)
    assert eigen.solve(X, P.harmonic(X, 1.0), 3).extrapolated == 2
    assert eigen.solve(X[:-2], P.harmonic(X[:-2], 1.0), 3).extrapolated == 1


@pytest.mark.parametrize("bad", [np.nan, -np.inf])
def test_bad_potential_is_refused(bad):
    V = np.zeros_like(X)
    V[100] = bad
    with pytest.raises(ValueError, match="NaN or -inf"):
        eigen.bound_states(X, V, 2)
    with pytest.raises(ValueError, match="uniform"):
        eigen.bound_states(X[np.r_[0:10, 11:20]], np.zeros(19), 2)


def test_superposition_dynamics_and_measurement():
    E, psi = eigen.bound_states(X, P.infinite_well(X, 4.0), 40)
    c = np.zeros(40, complex)
    c[:2] = [1 / np.sqrt(2), 1j / np.sqrt(2)]
    # Norm is conserved and <x>(t) oscillates at the Bohr frequency E1 - E0.
    Xm = eigen.position_matrix(X, psi)
    T = 2 * np.pi / (E[1] - E[0])
    for t in (0.0, 0.3 * T, T):
        ct = eigen.evolve(c, E, t)
        p = eigen.superpose(c, E, psi, t)
        assert np.sum(np.abs(p) ** 2) * DX == pytest.approx(1.0, abs=1e-12)
        assert np.real(ct.conj() @ Xm @ ct) == pytest.approx(np.sum(X * np.abs(p) ** 2) * DX, abs=1e-12)
    x0 = np.real(c.conj() @ Xm @ c)
    xT = np.real(eigen.evolve(c, E, T).conj() @ Xm @ eigen.evolve(c, E, T))
    assert xT == pytest.approx(x0, abs=1e-12)
    # Energy outcomes follow |c|^2; position outcomes follow |psi|^2 (compare means and spreads).
    rng = np.random.default_rng(1)
    shots = eigen.measure_energy(c, rng, 20000)
    assert set(np.unique(shots)) == {0, 1}
    assert np.mean(shots == 1) == pytest.approx(0.5, abs=0.02)
    p = eigen.superpose(c, E, psi, 0.0)
    xs = eigen.measure_position(X, p, rng, 20000)
    mean = np.sum(X * np.abs(p) ** 2) * DX
    sd = np.sqrt(np.sum((X - mean) ** 2 * np.abs(p) ** 2) * DX)
    assert np.mean(xs) == pytest.approx(mean, abs=4 * sd / np.sqrt(20000))
    assert np.std(xs) == pytest.approx(sd, rel=0.03)
    # Collapse: a narrow packet at the found place, normalised, mean position there.
    cc = eigen.collapse_position(X, psi, 0.7, 0.15)
    assert np.linalg.norm(cc) == pytest.approx(1.0)
    assert np.real(cc.conj() @ Xm @ cc) == pytest.approx(0.7, abs=0.02)
