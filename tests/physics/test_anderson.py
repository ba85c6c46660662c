"""Anderson chain: Chebyshev propagation against Bessel functions and exact diagonalisation, the
moving-lattice integrator's order, absorbing ends, transfer-matrix localization lengths against
the weak-disorder laws, and the NumPy twins against the Numba kernels."""
import math
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.linalg import expm
from scipy.special import jv

from physics import anderson as an
from physics._backend import HAVE_NUMBA

BACKENDS = ["numpy"] + (["numba"] if HAVE_NUMBA else [])


def dense_propagator(eps, J, t):
    """exp(-i H t) from numpy.linalg.eigh of the dense chain (an independent construction)."""
    N = len(eps)
    H = np.diag(np.asarray(eps, float)) - J * (np.eye(N, k=1) + np.eye(N, k=-1))
    lam, V = np.linalg.eigh(H)
    return (V * np.exp(-1j * lam * t)) @ V.T


# ---- chains, states, measurements ------------------------------------------------------------------

def test_box_disorder_is_reproducible_uniform_and_a_prefix_of_longer_chains():
    eps = an.box_disorder(100_000, 3.0, seed=5)
    assert eps.min() >= -1.5 and eps.max() <= 1.5
    assert eps.mean() == pytest.approx(0.0, abs=0.02)
    assert eps.var() == pytest.approx(3.0 ** 2 / 12, rel=0.02)
    np.testing.assert_array_equal(an.box_disorder(100, 3.0, seed=5), eps[:100])
    np.testing.assert_array_equal(an.box_disorder(10, 0.0), np.zeros(10))
    with pytest.raises(ValueError):
        an.box_disorder(10, -1.0)


def test_hamiltonian_and_eigenstates_against_dense_eigh():
    eps = an.box_disorder(40, 2.5, seed=1)
    J = 0.8
    H = an.hamiltonian(eps, J)
    dense = np.diag(eps) - J * (np.eye(40, k=1) + np.eye(40, k=-1))
    np.testing.assert_array_equal(H.toarray(), dense)
    lam, V = np.linalg.eigh(dense)
    E, vecs = an.eigenstates(eps, J)
    np.testing.assert_allclose(E, lam, atol=1e-12)
    assert vecs.shape == (40, 40)
    # same vectors up to sign (the spectrum of a chain is simple)
    signs = np.sign(np.sum(vecs * V, axis=0))
    np.testing.assert_allclose(vecs * signs, V, atol=1e-10)
    np.testing.assert_allclose(dense @ vecs, vecs * E, atol=1e-12)
    # an index range (inclusive) and an energy window (emin, emax]
    E_i, V_i = an.eigenstates(eps, J, select=(3, 7))
    np.testing.assert_allclose(E_i, lam[3:8], atol=1e-12)
    assert V_i.shape == (40, 5)
    E_v, _ = an.eigenstates(eps, J, select=(-0.5, 1.0))
    np.testing.assert_allclose(E_v, lam[(lam > -0.5) & (lam <= 1.0)], atol=1e-12)
    # one site
    E1, V1 = an.eigenstates([0.3])
    assert E1.tolist() == [0.3] and V1.tolist() == [[1.0]]


def test_packets_and_measurements():
    psi = an.site_packet(9, 6)
    assert psi.dtype == complex and np.sum(np.abs(psi) ** 2) == 1.0
    assert an.mean_position(psi) == 6.0 and an.msd(psi, 4) == 4.0 and an.participation_ratio(psi) == 1.0
    assert an.participation_ratio(np.full(50, 0.3)) == pytest.approx(50.0, rel=1e-14)
    g = an.gaussian_packet(400, 180.5, 12.0, k0=0.9)
    p = np.abs(g) ** 2
    assert np.sum(p) == pytest.approx(1.0, abs=1e-14)
    assert an.mean_position(g) == pytest.approx(180.5, abs=1e-10)
    assert math.sqrt(an.msd(g, 180.5)) == pytest.approx(12.0, rel=1e-10)
    # the phase advances by k0 per site
    np.testing.assert_allclose(np.angle(g[1:] / g[:-1]), 0.9, atol=1e-12)
    # vectorised over leading axes, independent of the normalisation
    many = np.stack([psi, 3 * psi, an.site_packet(9, 0)])
    np.testing.assert_allclose(an.msd(many, 4), [4.0, 4.0, 16.0])
    np.testing.assert_allclose(an.mean_position(many), [6.0, 6.0, 0.0])
    np.testing.assert_allclose(an.participation_ratio(many.reshape(3, 1, 9)), [[1.0], [1.0], [1.0]])
    with pytest.raises(ValueError):
        an.site_packet(5, 5)
    with pytest.raises(ValueError):
        an.gaussian_packet(10, 5, 0.0)


# ---- static evolution ------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("J", [1.0, 0.7])
def test_clean_chain_from_one_site_is_bessel(backend, J):
    # psi_n(t) = i^|n| J_|n|(2 J t) on the infinite chain; the ends are 300 sites away and the front
    # (at 2 J t <= 120) has not reached them: the open chain agrees to rounding
    N, start = 601, 300
    times = np.array([0.0, 0.5, 3.0, 17.0, 42.0, 60.0])
    out = an.evolve(np.zeros(N), an.site_packet(N, start), times, hopping=J, backend=backend)
    n = np.abs(np.arange(N) - start)
    exact = (1j ** n)[None, :] * jv(n[None, :], 2 * J * times[:, None])
    assert np.max(np.abs(out - exact)) < 1e-12
    np.testing.assert_allclose(np.abs(out) ** 2, np.abs(exact) ** 2, rtol=0, atol=1e-13)
    # a constant site energy only adds the phase exp(-i e0 t)
    shifted = an.evolve(np.full(N, 0.4), an.site_packet(N, start), times, hopping=J, backend=backend)
    np.testing.assert_allclose(shifted, out * np.exp(-0.4j * times)[:, None], atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_evolve_equals_exact_diagonalisation(backend):
    rng = np.random.default_rng(3)
    eps = an.box_disorder(40, 3.0, seed=2)
    psi0 = rng.normal(size=40) + 1j * rng.normal(size=40)
    psi0 /= np.linalg.norm(psi0)
    J = 0.8
    times = np.array([0.0, 0.0, 0.3, 1.0, 1.0, 7.5, 60.0, 200.0])   # repeated times, a long interval
    out = an.evolve(eps, psi0, times, hopping=J, backend=backend)
    assert out.shape == (8, 40) and out.dtype == complex
    np.testing.assert_array_equal(out[0], psi0)
    for t, psi in zip(times, out):
        assert np.max(np.abs(psi - dense_propagator(eps, J, t) @ psi0)) < 1e-10
    # measured: ~2e-14 up to t = 10, ~1e-13 at t = 200 (the dense reference's own phase error)
    assert np.max(np.abs(out[5] - dense_propagator(eps, J, 7.5) @ psi0)) < 1e-13
    # negative hopping: the same |psi| (gauge psi_n -> (-1)^n psi_n), checked against the dense form too
    neg = an.evolve(eps, psi0, [5.0], hopping=-J, backend=backend)[0]
    assert np.max(np.abs(neg - dense_propagator(eps, -J, 5.0) @ psi0)) < 1e-12


@pytest.mark.parametrize("backend", BACKENDS)
def test_norm_conserved_over_a_long_run(backend):
    eps = an.box_disorder(300, 2.0, seed=4)
    out = an.evolve(eps, an.gaussian_packet(300, 150, 8, 1.0), np.linspace(0, 500, 51), backend=backend)
    assert np.max(np.abs(np.linalg.norm(out, axis=1) - 1.0)) < 1e-12


@pytest.mark.parametrize("backend", BACKENDS)
def test_ballistic_spreading_on_the_clean_chain(backend):
    # sum_n n^2 J_n(x)^2 = x^2 / 2: msd = 2 J^2 t^2 exactly on the infinite chain
    N, start, J = 801, 400, 0.9
    times = np.linspace(0, 150, 16)            # front at 2 J t = 270 < 400
    out = an.evolve(np.zeros(N), an.site_packet(N, start), times, hopping=J, backend=backend)
    np.testing.assert_allclose(an.msd(out, start), 2 * J**2 * times**2, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(an.mean_position(out), start, atol=1e-9)
    x = 2 * J * 150.0
    n = np.arange(-N, N + 1)
    assert np.sum(n**2 * jv(n, x) ** 2) == pytest.approx(x**2 / 2, rel=1e-12)


def test_time_arguments():
    eps = np.zeros(5)
    psi0 = an.site_packet(5, 2)
    assert an.evolve(eps, psi0, []).shape == (0, 5)
    np.testing.assert_array_equal(an.evolve(eps, psi0, 0.0), psi0[None, :])
    for bad in ([1.0, 0.5], [-1.0], [np.nan]):
        with pytest.raises(ValueError, match="times"):
            an.evolve(eps, psi0, bad)
    with pytest.raises(ValueError, match="psi0"):
        an.evolve(eps, np.ones(4), [1.0])
    with pytest.raises(ValueError, match="backend"):
        an.evolve(eps, psi0, [1.0], backend="cuda")
    # the caller's psi0 is not modified
    before = psi0.copy()
    an.evolve(eps, psi0, [3.0])
    np.testing.assert_array_equal(psi0, before)


# ---- absorbing ends --------------------------------------------------------------------------------

def test_absorber_profile():
    g = an.absorber_profile(100, 20)
    assert g[0] == g[-1] == pytest.approx(8.0 / 20)
    assert np.all(g[20:80] == 0) and np.all(g[:20] > 0) and np.all(np.diff(g[:21]) < 0)
    np.testing.assert_allclose(g, g[::-1])
    assert np.all(an.absorber_profile(10, 0) == 0)
    with pytest.raises(ValueError):
        an.absorber_profile(10, 6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_absorber_removes_a_packet_and_reflects_little(backend):
    N, w = 600, 40
    for k0 in (np.pi / 2, np.pi / 4):              # group velocity 2 sin k0 = 2 and 1.41
        v = 2 * np.sin(k0)
        psi0 = an.gaussian_packet(N, 300, 15, k0)
        # reached the end (distance 300), and the time the reflection needs to come back to 300
        times = [1.5 * 300 / v, 2 * 300 / v]
        out = an.evolve(np.zeros(N), psi0, times, absorber=w, backend=backend)
        norms = np.linalg.norm(out, axis=1) ** 2
        assert norms[0] < 1e-3 and norms[1] < 1e-3
        # what is left came back off the absorber, and moves left: measured 2.3e-4 at k0 = pi/2
        # (the fast part of the packet survives the round trip through the layer, exp(-8)) and
        # 7e-6 at pi/4, as the stationary reflection coefficient of the layer at k0
        back = np.abs(out[1]) ** 2
        assert np.sum(back[: N - w]) / np.sum(back) > 0.99
        assert an.mean_position(out[1]) < 320
    # without the absorber all of it comes back
    plain = an.evolve(np.zeros(N), psi0, times, backend=backend)
    assert np.linalg.norm(plain[-1]) == pytest.approx(1.0, abs=1e-12)
    # the width and the profile array are the same absorber
    profile = an.absorber_profile(N, w)
    same = an.evolve(np.zeros(N), psi0, times, absorber=profile, backend=backend)
    np.testing.assert_allclose(same, out, atol=1e-15)


@pytest.mark.parametrize("backend", BACKENDS)
def test_absorber_splitting_is_second_order(backend):
    # Strang splitting against the dense exp(-i (H - i Gamma) t)
    N = 60
    eps = an.box_disorder(N, 1.0, seed=8)
    gamma = an.absorber_profile(N, 10)
    psi0 = an.gaussian_packet(N, 30, 4, 1.2)
    H = an.hamiltonian(eps).toarray() - 1j * np.diag(gamma)
    t = 12.0
    exact = expm(-1j * H * t) @ psi0
    errors = [np.linalg.norm(an.evolve(eps, psi0, [t], absorber=10, dt=dt, backend=backend)[0] - exact)
              for dt in (0.4, 0.2, 0.1)]
    orders = np.log2(np.array(errors[:-1]) / errors[1:])
    assert np.all((orders > 1.8) & (orders < 2.2)), errors
    assert errors[-1] < 1e-3


# ---- the vibrating lattice -------------------------------------------------------------------------

def test_vibration_field_statistics_and_dispersion():
    f = an.VibrationField(0.7, 1.3, modes=32, seed=2)
    q = f.wavenumbers
    assert q.shape == (32,) and np.all((q > -np.pi) & (q <= np.pi))
    # one wavenumber in each of the 32 bins of (-pi, pi]: waves running both ways
    np.testing.assert_array_equal(np.ceil((q + np.pi) / (2 * np.pi / 32)) - 1, np.arange(32))
    np.testing.assert_allclose(f.frequencies, 1.3 * np.abs(q))
    np.testing.assert_allclose(f.amplitudes, 0.7 * np.sqrt(2 / 32))
    assert f.bound == pytest.approx(0.7 * 8.0)
    # the standard deviation over sites is the amplitude
    for seed in range(3):
        field = an.VibrationField(0.7, 1.3, seed=seed).at(50_000, [0.0, 17.0])
        np.testing.assert_allclose(field.std(axis=1), 0.7, rtol=0.05)
        assert np.max(np.abs(field)) <= f.bound
    # omega = c |q|: the right-moving part (q > 0) moves one site to the right in 1 / c, the
    # left-moving part one site to the left
    i = np.arange(300)

    def part(t, sign):
        keep = np.sign(q) == sign
        return np.sum(f.amplitudes[keep, None] * np.cos(np.outer(q[keep], i) - f.frequencies[keep, None] * t
                                                        + f.phases[keep, None]), axis=0)
    np.testing.assert_allclose(part(4.0 + 1 / 1.3, 1)[1:], part(4.0, 1)[:-1], atol=1e-12)
    np.testing.assert_allclose(part(4.0 + 1 / 1.3, -1)[:-1], part(4.0, -1)[1:], atol=1e-12)
    now = f.at(300, [4.0, 5.0])[0]
    # several times at once = one at a time; the direct sum of cosines = its two parts
    direct = np.sum(f.amplitudes[:, None] * np.cos(np.outer(q, i) - f.frequencies[:, None] * 4.0
                                                   + f.phases[:, None]), axis=0)
    np.testing.assert_allclose(part(4.0, 1) + part(4.0, -1), direct, atol=1e-12)
    np.testing.assert_allclose(f.at(300, 4.0), direct, atol=1e-12)
    np.testing.assert_allclose(now, direct, atol=1e-12)
    # speed 0: a frozen lattice; the seed fixes everything, and differs from the static disorder's stream
    frozen = an.VibrationField(0.7, 0.0, seed=2)
    np.testing.assert_array_equal(frozen.at(100, 0.0), frozen.at(100, 55.0))
    np.testing.assert_array_equal(frozen.wavenumbers, q)
    assert frozen == an.VibrationField(0.7, 0.0, seed=2) and frozen != f
    with pytest.raises(ValueError):
        an.VibrationField(-1.0, 1.0)
    with pytest.raises(ValueError):
        an.VibrationField(1.0, 1.0, modes=0)


def moving_setup(N=200):
    eps = an.box_disorder(N, 2.0, seed=3)
    psi0 = an.gaussian_packet(N, N / 2, 5, 1.0)
    return eps, psi0


@pytest.mark.parametrize("backend", BACKENDS)
def test_moving_with_speed_zero_is_the_static_evolution_of_the_frozen_field(backend):
    eps, psi0 = moving_setup()
    field = an.VibrationField(1.0, 0.0, seed=4)
    times = np.array([0.0, 0.7, 3.0, 20.0])
    moving = an.evolve_moving(eps, field, psi0, times, backend=backend)
    static = an.evolve(eps + field.at(eps.size, 0.0), psi0, times, backend=backend)
    assert np.max(np.abs(moving - static)) < 1e-10          # measured ~5e-15


@pytest.mark.parametrize("backend", BACKENDS)
def test_moving_with_amplitude_zero_is_evolve(backend):
    eps, psi0 = moving_setup()
    times = np.linspace(0, 20, 5)
    moving = an.evolve_moving(eps, an.VibrationField(0.0, 2.0), psi0, times, backend=backend)
    assert np.max(np.abs(moving - an.evolve(eps, psi0, times, backend=backend))) < 1e-10


@pytest.mark.parametrize("backend", BACKENDS)
def test_moving_integrator_is_fourth_order(backend):
    eps, psi0 = moving_setup()
    field = an.VibrationField(1.0, 1.0, seed=4)
    times = [2.5, 5.0]
    reference = an.evolve_moving(eps, field, psi0, times, dt=0.2 / 32, backend=backend)[-1]
    errors = np.array([np.linalg.norm(an.evolve_moving(eps, field, psi0, times, dt=dt, backend=backend)[-1]
                                      - reference) for dt in (0.2, 0.1, 0.05)])
    orders = np.log2(errors[:-1] / errors[1:])
    assert np.all((orders > 3.7) & (orders < 4.3)), (errors, orders)
    assert errors[-1] < 1e-6                                 # measured 1.3e-7 at the default dt = 0.05


@pytest.mark.parametrize("backend", BACKENDS)
def test_moving_run_continues_piece_by_piece(backend):
    # psi0 at t0: a lesson can advance frame by frame on the field's absolute clock
    eps, psi0 = moving_setup()
    field = an.VibrationField(1.0, 1.5, seed=2)
    whole = an.evolve_moving(eps, field, psi0, [3.0, 7.5], absorber=20, backend=backend)
    first = an.evolve_moving(eps, field, psi0, [3.0], absorber=20, backend=backend)[0]
    second = an.evolve_moving(eps, field, first, [7.5], t0=3.0, absorber=20, backend=backend)[0]
    np.testing.assert_allclose(first, whole[0], atol=1e-14)
    np.testing.assert_allclose(second, whole[1], atol=1e-13)
    # not the same as restarting the clock at 0 (the field has moved on)
    restarted = an.evolve_moving(eps, field, first, [4.5], absorber=20, backend=backend)[0]
    assert np.max(np.abs(restarted - whole[1])) > 1e-3
    with pytest.raises(ValueError, match="times"):
        an.evolve_moving(eps, field, first, [2.0], t0=3.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_moving_conserves_the_norm(backend):
    eps, psi0 = moving_setup()
    field = an.VibrationField(1.5, 2.0, seed=1)
    out = an.evolve_moving(eps, field, psi0, np.linspace(0, 100, 11), backend=backend)
    assert np.max(np.abs(np.linalg.norm(out, axis=1) - 1.0)) < 1e-12


@pytest.mark.parametrize("backend", BACKENDS)
def test_moving_with_absorber(backend):
    N = 400
    psi0 = an.gaussian_packet(N, 200, 15, np.pi / 2)
    times = [60.0, 150.0]
    # no field: the same Strang steps as evolve's with the same dt
    still = an.evolve_moving(np.zeros(N), an.VibrationField(0.0, 1.0), psi0, times, dt=0.05, absorber=30,
                             backend=backend)
    plain = an.evolve(np.zeros(N), psi0, times, dt=0.05, absorber=30, backend=backend)
    np.testing.assert_allclose(still, plain, atol=1e-12)
    # a weak moving field: the packet (v = 2) still runs out and is absorbed.  (A moving field scatters
    # a fast packet much more than a static one of the same strength -- it can give and take energy
    # c q -- so the field must be weak: amplitude 0.05 already sends back 20 % by t = 150.)
    field = an.VibrationField(0.005, 1.0, seed=5)
    out = an.evolve_moving(np.zeros(N), field, psi0, times, absorber=30, backend=backend)
    assert np.linalg.norm(out[-1]) ** 2 < 0.01
    with pytest.raises(TypeError):
        an.evolve_moving(np.zeros(N), 0.3, psi0, [1.0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_moving_against_a_general_ode_solver(backend):
    # i dpsi/dt = (H0 + diag f(t)) psi by SciPy's DOP853 at tight tolerances: an independent check of
    # the field's sign and timing inside the integrator
    N = 50
    eps = an.box_disorder(N, 1.5, seed=11)
    field = an.VibrationField(0.8, 2.0, modes=8, seed=3)
    psi0 = an.gaussian_packet(N, 25, 3, 0.6)
    H0 = an.hamiltonian(eps, 0.9).toarray()

    def rhs(t, y):
        return -1j * (H0 @ y + field.at(N, t) * y)

    times = [1.0, 4.0]
    sol = solve_ivp(rhs, (0, 4.0), psi0.astype(complex), method="DOP853", t_eval=times, rtol=1e-12, atol=1e-13)
    ours = an.evolve_moving(eps, field, psi0, times, hopping=0.9, dt=0.005, backend=backend)
    assert np.max(np.abs(ours - sol.y.T)) < 1e-9            # measured 4e-11 (dt = 0.05: 4e-7)


# ---- localization lengths --------------------------------------------------------------------------

def direct_lyapunov(eps, E):
    """The -J chain's recursion psi_(n+1) = (eps_n - E) psi_n - psi_(n-1) in a Python loop, psi
    renormalised each site (psi_(-1) = 0, psi_0 = 1): log|psi_N| / N."""
    prev, cur, log_norm = 0.0, 1.0, 0.0
    for e in eps:
        prev, cur = cur, (e - E) * cur - prev
        scale = abs(cur)
        prev, cur = prev / scale, cur / scale
        log_norm += math.log(scale)
    return log_norm / len(eps)


@pytest.mark.parametrize("backend", BACKENDS)
def test_lyapunov_exponent_against_a_direct_loop(backend):
    for W, E, seed in ((1.0, 0.5, 0), (4.0, -1.3, 1), (12.0, 0.0, 2), (0.5, 2.5, 3)):
        eps = an.box_disorder(3001, W, seed=seed)
        expected = direct_lyapunov(eps, E)
        assert an.lyapunov_exponent(eps, E, backend=backend) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_localization_length_streams_box_disorder_in_chunks(backend, monkeypatch):
    monkeypatch.setattr(an, "_CHUNK", 1000)         # 5 chunks, the last one short
    xi = an.localization_length(2.0, 0.3, sites=4321, seed=9, backend=backend)
    gamma = an.lyapunov_exponent(an.box_disorder(4321, 2.0, seed=9), 0.3, backend=backend)
    assert xi == pytest.approx(1.0 / gamma, rel=1e-12)
    monkeypatch.undo()
    eps = an.box_disorder(4321, 2.0, seed=9)
    assert an.lyapunov_exponent(eps, 0.3, backend=backend) == pytest.approx(gamma, rel=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_localization_length_follows_the_weak_disorder_laws(backend):
    # statistical error of gamma from N sites: sqrt(gamma / N), 0.3 % here; the laws' own
    # corrections at these W are ~1 % (measured with 4 x 10^7 sites each: E = 0.5: 89.1 / W^2 at
    # W = 1, 89.7 at 1.5; E = 0: 104.2 at W = 1, 104.6 at W = 0.5)
    sites = 10_000_000
    for W in (1.0, 1.5):
        xi = an.localization_length(W, 0.5, sites=sites, seed=1, backend=backend)
        assert xi == pytest.approx(an.perturbative_length(W, 0.5), rel=0.03)
    xi0 = an.localization_length(1.0, 0.0, sites=sites, seed=1, backend=backend)
    assert xi0 == pytest.approx(an.band_centre_length(1.0), rel=0.02)
    assert xi0 > 1.05 * an.perturbative_length(1.0, 0.0)
    assert abs(xi0 - an.band_centre_length(1.0)) < 0.25 * abs(xi0 - an.perturbative_length(1.0, 0.0))


@pytest.mark.parametrize("backend", BACKENDS)
def test_clean_chain_lyapunov(backend):
    # W = 0: extended inside the band, exp(-kappa n) outside, cosh kappa = |E| / 2
    assert an.localization_length(0.0, 0.0) == math.inf
    assert an.localization_length(0.0, 1.9) == math.inf
    assert an.localization_length(0.0, 3.0) == pytest.approx(1 / math.acosh(1.5), rel=1e-15)
    assert an.localization_length(0.0, -3.0) == pytest.approx(1 / math.acosh(1.5), rel=1e-15)
    # and the transfer matrices themselves: psi_N = sinh((N + 1) kappa) / sinh(kappa)
    n = 100_000
    kappa = math.acosh(1.5)
    expected = ((n + 1) * kappa - math.log(2 * math.sinh(kappa))) / n
    assert an.lyapunov_exponent(np.zeros(n), 3.0, backend=backend) == pytest.approx(expected, rel=1e-12)
    assert abs(an.lyapunov_exponent(np.zeros(n), 0.0, backend=backend)) < 1e-12      # exact zeros at E = 0
    assert abs(an.lyapunov_exponent(np.zeros(n), 0.7, backend=backend)) < 1e-4       # bounded psi: O(1/N)
    # strong disorder outside the band is still finite and positive
    assert 0 < an.localization_length(5.0, 4.0, sites=10_000, backend=backend) < 10


def test_weak_disorder_formulas():
    assert an.perturbative_length(1.0, 0.0) == 96.0
    assert an.perturbative_length(2.0, 1.0) == pytest.approx(24 * 3 / 4)
    assert an.perturbative_length(0.0) == math.inf
    # Kappus-Wegner: 12 (Gamma(1/4) / Gamma(3/4))^2 = 105.045..., 9.4 % above 96
    assert an.band_centre_length(1.0) == pytest.approx(105.045, abs=1e-3)
    assert an.band_centre_length(0.5) == pytest.approx(4 * 105.045, abs=4e-3)
    with pytest.raises(ValueError):
        an.perturbative_length(1.0, 2.0)
    # arrays (a lesson's curve over W)
    Ws = np.array([0.0, 0.5, 1.0, 2.0])
    np.testing.assert_allclose(an.perturbative_length(Ws, 0.5), [np.inf, 360.0, 90.0, 22.5])
    np.testing.assert_allclose(an.band_centre_length(Ws)[1:], 105.045 / Ws[1:] ** 2, rtol=1e-5)
    assert an.band_centre_length(Ws)[0] == np.inf
    assert isinstance(an.perturbative_length(1.0, 0.5), float) and isinstance(an.band_centre_length(2.0), float)


@pytest.mark.skipif(not HAVE_NUMBA, reason="Numba path not available in this run")
def test_numpy_twins_agree_with_numba_kernels():
    eps = an.box_disorder(500, 2.0, seed=6)
    psi0 = an.gaussian_packet(500, 250, 10, 0.8)
    times = np.linspace(0, 80, 9)
    for absorber in (0, 25):
        a = an.evolve(eps, psi0, times, absorber=absorber, backend="numba")
        b = an.evolve(eps, psi0, times, absorber=absorber, backend="numpy")
        assert np.max(np.abs(a - b)) < 1e-12
        field = an.VibrationField(1.0, 1.5, seed=7)
        a = an.evolve_moving(eps, field, psi0, times, absorber=absorber, backend="numba")
        b = an.evolve_moving(eps, field, psi0, times, absorber=absorber, backend="numpy")
        assert np.max(np.abs(a - b)) < 1e-12
    for W, E in ((1.0, 0.5), (3.0, 0.0), (8.0, 2.5)):
        eps = an.box_disorder(200_000, W, seed=1)
        a = an.lyapunov_exponent(eps, E, backend="numba")
        assert an.lyapunov_exponent(eps, E, backend="numpy") == pytest.approx(a, rel=1e-9)


# ---- diffusion -------------------------------------------------------------------------------------

def test_diffusion_constant_from_synthetic_msd():
    t = np.linspace(0, 100, 201)
    rng = np.random.default_rng(0)
    # ballistic start, then diffusive with D = 0.7
    msd = np.where(t < 10, 2 * t**2, 2 * 0.7 * t + 200 - 14) + rng.normal(0, 0.5, t.size)
    D, b = an.diffusion_constant(t, msd, return_intercept=True)          # fit over t >= 50
    assert D == pytest.approx(0.7, rel=0.01) and b == pytest.approx(186, abs=2)
    assert an.diffusion_constant(t, msd, fit_from=20) == pytest.approx(0.7, rel=0.01)
    assert an.diffusion_constant(t, msd, fit_from=0) > 0.8                # the ballistic part biases it
    exact = 2 * 0.3 * t + 5
    assert an.diffusion_constant(t, exact) == pytest.approx(0.3, rel=1e-12)
    both = an.diffusion_constant(t, np.stack([exact, 2 * exact], axis=1))
    np.testing.assert_allclose(both, [0.3, 0.6], rtol=1e-12)
    with pytest.raises(ValueError):
        an.diffusion_constant(t, msd, fit_from=200)


# ---- import ----------------------------------------------------------------------------------------

def test_runs_without_numba_and_imports_no_ui_library():
    # as in Pyodide: importing numba fails, the NumPy twins run
    code = textwrap.dedent("""
        import sys
        sys.modules['numba'] = None
        import numpy as np
        from physics import _backend, anderson
        assert _backend.BACKEND == 'numpy' and not anderson.HAVE_NUMBA
        psi = anderson.evolve(np.zeros(5), anderson.site_packet(5, 2), [0.0])
        print(round(float(np.abs(psi[0, 2])), 12),
              sorted(m for m in ('panel', 'bokeh', 'holoviews', 'numba') if sys.modules.get(m)))
    """)
    root = pathlib.Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1.0", "[]"]
