"""Transmission: closed form against a direct boundary-value solve, transfer matrix against both."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from physics import potentials, scattering


def matched_rectangular_T(E, V0, a):
    """T of a rectangular barrier by solving the four matching conditions directly (independent)."""
    k = np.sqrt(2 * E + 0j)
    if E == V0:  # psi = A + B x inside
        M = np.array([[1, 0, -1, 0],                     # 1 + r = A
                      [-1j * k, 0, 0, -1],               # ik(1 - r) = B  ->  -ik r - B = -ik
                      [0, -np.exp(1j * k * a), 1, a],     # A + B a = t e^{ika}
                      [0, -1j * k * np.exp(1j * k * a), 0, 1]], dtype=complex)
        rhs = np.array([-1, -1j * k, 0, 0], dtype=complex)
        r, t, A, B = np.linalg.solve(M, rhs)
        return abs(t) ** 2
    q = np.sqrt(2 * (E - V0) + 0j)
    eq, emq, ek = np.exp(1j * q * a), np.exp(-1j * q * a), np.exp(1j * k * a)
    # unknowns r, A, B, t
    M = np.array([[1, -1, -1, 0],
                  [-1j * k, -1j * q, 1j * q, 0],
                  [0, eq, emq, -ek],
                  [0, 1j * q * eq, -1j * q * emq, -1j * k * ek]], dtype=complex)
    rhs = np.array([-1, -1j * k, 0, 0], dtype=complex)
    r, A, B, t = np.linalg.solve(M, rhs)
    return abs(t) ** 2


CASES = [(E, V0, a) for V0 in (0.5, 1.0, 3.0) for a in (0.3, 1.0, 2.5)
         for E in (0.05, 0.4 * V0, 0.9 * V0, V0, 1.1 * V0, 2.0 * V0, 4.0)]


@pytest.mark.parametrize("E,V0,a", CASES)
def test_rectangular_closed_form_matches_direct_solve(E, V0, a):
    assert scattering.rectangular_transmission(E, V0, a) == pytest.approx(matched_rectangular_T(E, V0, a), rel=1e-9, abs=1e-14)


def test_rectangular_continuous_through_the_barrier_top():
    V0, a = 1.3, 1.7
    at = scattering.rectangular_transmission(V0, V0, a)
    assert at == pytest.approx(1 / (1 + V0 * a ** 2 / 2), rel=1e-14)
    near = scattering.rectangular_transmission(np.array([V0 - 1e-7, V0 + 1e-7]), V0, a)
    assert np.allclose(near, at, rtol=1e-6)


def test_rectangular_resonances_and_limits():
    V0, a = 1.0, 2.0
    n = np.arange(1, 4)
    E_res = V0 + (n * np.pi / a) ** 2 / 2          # q a = n pi: perfect transmission
    assert np.allclose(scattering.rectangular_transmission(E_res, V0, a), 1.0, atol=1e-12)
    assert scattering.rectangular_transmission(0.0, V0, a) == 0.0
    assert scattering.rectangular_transmission(-1.0, V0, a) == 0.0
    thick = scattering.rectangular_transmission(0.5, 5.0, 200.0)   # sinh overflows: T -> 0, no NaN
    assert thick == 0.0 and np.isfinite(thick)


def test_transfer_matrix_matches_closed_form_on_snapped_barrier():
    x = np.linspace(-50, 50, 2000, endpoint=False)
    E = np.concatenate([np.linspace(0.01, 6, 500), [1.0, 2.0]])
    for height, width, pos in [(1.0, 1.5, 0.0), (2.0, 0.37, 3.3), (0.5, 4.0, -7.1), (3.0, 1.0, 0.0)]:
        V = potentials.rectangular(x, height, width, pos)
        w = potentials.snapped_width(x, width, pos)
        assert np.count_nonzero(V) * (x[1] - x[0]) == pytest.approx(w)
        exact = scattering.rectangular_transmission(E, height, w)
        assert np.max(np.abs(scattering.transmission(x, V, E) - exact)) < 1e-10


def test_transfer_matrix_thick_barrier_is_tiny_not_nan():
    x = np.linspace(-100, 100, 4096, endpoint=False)
    V = potentials.rectangular(x, 5.0, 120.0, 0.0)
    T = scattering.transmission(x, V, np.array([0.5, 1.0, 6.0]))
    assert np.all(np.isfinite(T))
    assert T[0] < 1e-200 and T[1] < 1e-200 and 0 < T[2] <= 1


def test_step_transmission_matches_closed_form():
    x = np.linspace(-20, 20, 800, endpoint=False)
    h = 0.8
    V = potentials.step(x, h, position=0.0)
    E = np.linspace(0.85, 5, 50)
    k1, k2 = np.sqrt(2 * E), np.sqrt(2 * (E - h))
    T = scattering.transmission(x, V, E, outside=(0.0, h))
    assert np.max(np.abs(T - 4 * k1 * k2 / (k1 + k2) ** 2)) < 1e-10
    assert np.all(scattering.transmission(x, V, np.array([0.3, 0.79]), outside=(0.0, h)) == 0)


def ode_transmission(E, height, width, L=10.0):
    """T of the smooth Gaussian barrier by integrating psi'' = 2 (V - E) psi with SciPy (independent)."""
    k = np.sqrt(2 * E)
    V = lambda x: height * np.exp(-4 * np.log(2) * (x / width) ** 2)

    def rhs(x, y):
        psi = y[0] + 1j * y[1]
        dpsi = y[2] + 1j * y[3]
        d2 = 2 * (V(x) - E) * psi
        return [dpsi.real, dpsi.imag, d2.real, d2.imag]

    psiR = np.exp(1j * k * L)
    y0 = [psiR.real, psiR.imag, (1j * k * psiR).real, (1j * k * psiR).imag]
    sol = solve_ivp(rhs, (L, -L), y0, rtol=1e-12, atol=1e-14, method="DOP853")
    psi = sol.y[0, -1] + 1j * sol.y[1, -1]
    dpsi = sol.y[2, -1] + 1j * sol.y[3, -1]
    incident = 0.5 * (psi + dpsi / (1j * k)) * np.exp(1j * k * L)   # coefficient of e^{ikx} at x = -L
    return 1.0 / abs(incident) ** 2


def test_gaussian_barrier_transfer_matrix_converges_to_ode_solution():
    height, width = 1.0, 2.0
    E = np.array([0.3, 0.8, 1.0, 1.4, 2.5])
    exact = np.array([ode_transmission(e, height, width) for e in E])
    errors = []
    for n in (400, 800, 1600, 3200):
        x = np.linspace(-10, 10, n, endpoint=False) + 10 / n      # cell centres, symmetric grid
        V = potentials.gaussian(x, height, width, 0.0)
        errors.append(np.max(np.abs(scattering.transmission(x, V, E) - exact)))
    errors = np.array(errors)
    assert errors[-1] < 4e-6
    ratios = errors[:-1] / errors[1:]
    assert np.all(ratios > 3.5) and np.all(ratios < 4.5), ratios   # second order in dx


def test_delta_limit_of_thin_barrier():
    alpha = 0.8
    E = np.linspace(0.1, 3, 30)
    x = np.linspace(-5, 5, 20000, endpoint=False) + 0.25e-3
    width = 4 * (x[1] - x[0])
    V = potentials.thin(x, alpha / width, width, 0.0)
    w = np.count_nonzero(V) * (x[1] - x[0])
    V = np.where(V > 0, alpha / w, 0.0)          # keep alpha exact after snapping
    assert np.max(np.abs(scattering.transmission(x, V, E) - scattering.delta_transmission(E, alpha))) < 2e-3


def test_packet_transmission_is_weighted_average():
    x = np.linspace(-100, 100, 4096, endpoint=False)
    V = potentials.rectangular(x, 1.0, 1.5, 0.0)
    w = potentials.snapped_width(x, 1.5)
    k0, sigma = 1.4, 6.0
    sk = 1 / (2 * sigma)
    # independent quadrature: Gauss-Hermite over k (all k > 0 here to ~1e-30)
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    k = k0 + sk * nodes
    expected = np.sum(weights * scattering.rectangular_transmission(k ** 2 / 2, 1.0, w)) / np.sqrt(2 * np.pi)
    assert scattering.packet_transmission(x, V, -40, sigma, k0) == pytest.approx(expected, abs=1e-7)
    # a very wide packet sees T(E0)
    wide = scattering.packet_transmission(x, V, -40, 400.0, k0)
    assert wide == pytest.approx(scattering.rectangular_transmission(k0 ** 2 / 2, 1.0, w), abs=2e-4)
