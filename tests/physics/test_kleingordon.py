"""physics.kleingordon against exact solutions: sine-Gordon breather, kink–antikink and moving kinks,
phi^4 kinks, the Klein–Gordon dispersion relation; energy without drift; spectral convergence in x,
second order in t; the phi^4 collision thresholds from the literature; the NumPy twin; the choice
of FFT (FFTW or rocket-fft) of the compiled kernel."""
import inspect
import math

import numpy as np
import pytest

from physics import _backend
from physics import kleingordon as kg
from physics._backend import HAVE_NUMBA, fftw_library

#: The compiled kernel's transforms available in this run.
COMPILED_FFTS = (["pocketfft"] + (["fftw"] if fftw_library() is not None else [])) if HAVE_NUMBA else []
needs_fftw = pytest.mark.skipif("fftw" not in COMPILED_FFTS, reason="FFTW not usable here (needs Numba and pyFFTW)")


def grid(length, n):
    return np.linspace(-length / 2, length / 2, n, endpoint=False)


# ---- closed forms ------------------------------------------------------------------------------------
@pytest.mark.parametrize("omega", [0.3, 0.7, 0.95])
def test_breather_follows_the_exact_solution(omega):
    x = grid(60.0, 512)
    sim = kg.Simulation(x, *kg.sg_breather(x, omega), "sine_gordon", 0.0025)
    sim.step(int(round(2 * math.pi / omega / 0.0025)))         # one whole period
    phi, phi_t = kg.sg_breather(x, omega, sim.t)
    assert np.max(np.abs(sim.phi - phi)) < 2e-3
    assert np.max(np.abs(sim.pi - phi_t)) < 2e-3
    assert sim.energy() == pytest.approx(kg.breather_energy(omega), rel=1e-4)


def test_sine_gordon_kinks_pass_through_each_other_as_the_exact_solution_says():
    x = grid(80.0, 512)
    v, t0 = 0.5, -25.0
    sim = kg.Simulation(x, *kg.sg_kink_antikink(x, v, t0), "sine_gordon", 0.005)
    sim.step(10_000)                                            # to t = +25: through the collision
    phi, _ = kg.sg_kink_antikink(x, v, t0 + sim.t)
    assert np.max(np.abs(sim.phi - phi)) < 1e-3
    # between them the field went from -2 pi to +2 pi: they passed through
    assert sim.phi[x.size // 2] == pytest.approx(2 * math.pi, abs=1e-3)
    assert sim.energy() == pytest.approx(2 * 8 * kg.lorentz_gamma(v), rel=1e-5)


@pytest.mark.parametrize("model,exact", [("sine_gordon", kg.sg_kink), ("phi4", kg.phi4_kink)])
@pytest.mark.parametrize("v", [0.0, 0.6, -0.9])
def test_a_moving_kink_keeps_its_contracted_shape_and_energy(model, exact, v):
    x = grid(80.0, 1024)
    sim = kg.Simulation(x, *exact(x, -3.0, v), model, 0.004)
    assert sim.twist == pytest.approx(kg.VACUUM_STEP[model])
    sim.step(2500)                                              # t = 10
    phi, phi_t = exact(x, -3.0, v, sim.t)
    g = kg.lorentz_gamma(v)
    assert np.max(np.abs(sim.phi - phi)) < 1e-4 * g * g         # (contracted by gamma: fewer points across it)
    assert np.max(np.abs(sim.pi - phi_t)) < 1e-3 * g * g
    assert sim.energy() == pytest.approx(g * kg.kink_mass(model), rel=1e-6)
    assert sim.momentum() == pytest.approx(g * kg.kink_mass(model) * v, abs=1e-6)


def test_kink_masses_are_the_integrals_of_their_energy_density():
    x = grid(60.0, 2048)
    for model, exact in (("sine_gordon", kg.sg_kink), ("phi4", kg.phi4_kink)):
        sim = kg.Simulation(x, *exact(x), model, 0.001)
        assert sim.energy() == pytest.approx(kg.kink_mass(model), rel=1e-10)
    assert kg.kink_mass("phi4") == pytest.approx(2 * math.sqrt(2) / 3)


@pytest.mark.parametrize("mass,mode", [(1.0, 3), (0.5, 10), (2.0, 1)])
def test_linear_modes_oscillate_at_the_verlet_frequency_of_omega2_eq_k2_plus_m2(mass, mode):
    x = grid(2 * math.pi * 4, 128)
    k = 2 * math.pi * mode / (x.size * (x[1] - x[0]))
    dt = 0.01
    sim = kg.Simulation(x, np.cos(k * x), np.zeros_like(x), "linear", dt, mass=mass)
    sim.step(1000)
    # leapfrog's exact discrete solution: cos(k x) cos(w~ t) with sin(w~ dt/2) = w dt/2
    w_tilde = kg.verlet_frequency(k, mass, dt)
    assert np.max(np.abs(sim.phi - np.cos(k * x) * math.cos(w_tilde * sim.t))) < 1e-9
    # ... which is the continuum omega = sqrt(k^2 + m^2) to O(dt^2)
    assert w_tilde == pytest.approx(math.sqrt(k * k + mass * mass), rel=(k * k + mass * mass) * dt * dt / 20)


def test_a_linear_packet_moves_at_the_group_velocity_and_spreads():
    x = grid(200.0, 2048)
    k0, m, sigma = 2.0, 1.0, 4.0
    sim = kg.Simulation(x, *kg.linear_packet(x, -40.0, sigma, k0, m), "linear", 0.02, mass=m)

    def centre_and_width():
        e = sim.energy_density()
        c = float(np.sum(x * e) / np.sum(e))
        return c, math.sqrt(float(np.sum((x - c) ** 2 * e) / np.sum(e)))

    x_start, _ = centre_and_width()
    w0 = math.sqrt(k0 * k0 + m * m)
    v_group, w2 = k0 / w0, m * m / w0 ** 3                       # omega'(k0), omega''(k0)
    for _ in range(3):
        sim.step(2000)                                              # t = 40, 80, 120
        centre, width = centre_and_width()
        assert (centre - x_start) / sim.t == pytest.approx(v_group, rel=0.005)
        # a Gaussian of |psi|^2-width sigma / sqrt 2 spreads as with a Schroedinger mass 1 / omega''
        assert width == pytest.approx(math.sqrt(sigma ** 2 / 2 + (w2 * sim.t) ** 2 / (2 * sigma ** 2)), rel=0.01)
    assert v_group < 1.0 < w0 / k0                                  # group below c, phase above


# ---- the integrator ----------------------------------------------------------------------------------
def test_energy_does_not_drift_over_long_runs():
    x = grid(40.0, 256)
    sim = kg.Simulation(x, *kg.sg_breather(x, 0.6), "sine_gordon", 0.02)
    energies = []
    for _ in range(100):                                        # 50 000 steps, t = 1000 (about 100 periods)
        sim.step(500)
        energies.append(sim.energy())
    energies = np.array(energies)
    e0 = kg.breather_energy(0.6)
    # the modified-energy oscillation is O(dt^2); the first and last tenth agree far better than that
    assert np.max(np.abs(energies / e0 - 1)) < 2e-3
    assert abs(energies[-10:].mean() - energies[:10].mean()) / e0 < 2e-5


def test_second_order_in_time():
    x = grid(40.0, 256)
    errors = []
    for dt in (0.04, 0.02, 0.01):
        sim = kg.Simulation(x, *kg.sg_breather(x, 0.5), "sine_gordon", dt)
        sim.step(int(round(10 / dt)))
        errors.append(np.max(np.abs(sim.phi - kg.sg_breather(x, 0.5, 10.0)[0])))
    ratios = [errors[0] / errors[1], errors[1] / errors[2]]
    assert ratios == [pytest.approx(4.0, rel=0.05)] * 2


def test_spectral_convergence_in_space():
    # the same dt on every grid, each a subset of the finest: the difference is the spatial error alone
    fine = grid(40.0, 384)
    fields = {}
    for n in (384, 48, 64, 96, 128):
        x = fine[:: 384 // n]
        sim = kg.Simulation(x, *kg.sg_breather(x, 0.5), "sine_gordon", 0.005)
        sim.step(400)
        fields[n] = sim.phi
    errors = {n: np.max(np.abs(fields[n] - fields[384][:: 384 // n])) for n in (48, 64, 96, 128)}
    # exponential: each step of the grid wins far more than any power of dx would
    assert errors[64] < errors[48] / 10 and errors[96] < errors[64] / 30 and errors[128] < errors[96] / 30
    assert errors[128] < 1e-8


# ---- the phi^4 collision ------------------------------------------------------------------------------
def test_phi4_collisions_cross_the_literature_thresholds():
    # Campbell, Schonfeld & Wingate (1983): one bounce frees the kinks above v_c = 0.2598, and the
    # first two-bounce window is 0.1926 < v < 0.2029; below it and after it they are trapped in a bion
    def run(v):
        return kg.collision_outcome(v, dt=0.02)
    for v in (0.185, 0.21, 0.2175):
        assert not run(v)["escaped"] and run(v)["v_out"] == 0.0
    for v in (0.1975, 0.2, 0.2025):
        assert run(v)["escaped"] and run(v)["bounces"] == 2
    below = [run(v) for v in np.arange(0.2, 0.2585, 0.0045)]
    assert not any(r["escaped"] and r["bounces"] == 1 for r in below)
    above = [run(v) for v in (0.2625, 0.3, 0.35)]
    assert all(r["escaped"] and r["bounces"] == 1 for r in above)
    # inelastic: the kinks' shape mode keeps some of the energy, less so the faster they come
    assert 0 < above[0]["v_out"] < above[1]["v_out"] < above[2]["v_out"] < 0.35
    assert above[2]["v_out"] / 0.35 > above[0]["v_out"] / 0.2625


def test_sine_gordon_collisions_always_come_out_at_the_speed_they_came_in():
    out = kg.collision_outcome(0.22, model="sine_gordon", dt=0.02)
    assert out["escaped"] and out["v_out"] == pytest.approx(0.22, rel=0.01)


# ---- input and failure -----------------------------------------------------------------------------------
def test_bad_input_is_refused_with_a_clear_message():
    x = grid(20.0, 64)
    z = np.zeros_like(x)
    with pytest.raises(ValueError, match="stability limit"):
        kg.Simulation(x, z, z, "phi4", 1.0)
    with pytest.raises(ValueError, match="model must be one of"):
        kg.Simulation(x, z, z, "phi6", 0.01)
    with pytest.raises(ValueError, match="shape of x"):
        kg.Simulation(x, z[:-1], z, "phi4", 0.01)
    with pytest.raises(ValueError, match="finite"):
        kg.Simulation(x, z + np.nan, z, "phi4", 0.01)
    with pytest.raises(ValueError, match="uniform"):
        kg.Simulation(x ** 3, z, z, "phi4", 0.01)
    with pytest.raises(ValueError, match="speed of light"):
        kg.sg_kink(x, v=1.0)
    with pytest.raises(ValueError, match="frequency"):
        kg.sg_breather(x, 1.2)


def test_a_blow_up_stops_with_an_error_and_keeps_the_last_good_field():
    x = grid(20.0, 64)
    # phi^4 with a huge field: V' = phi^3 grows past any stability limit
    sim = kg.Simulation(x, np.full_like(x, 1e3), np.zeros_like(x), "phi4", 0.05, twist=0.0)
    before = sim.phi
    with pytest.raises(FloatingPointError, match="not a finite number"):
        with np.errstate(all="ignore"):
            sim.step(200)
    assert np.array_equal(sim.phi, before) and sim.t == 0.0
    assert sim._u.ctypes.data % 64 == 0                         # restored in place: still aligned for FFTW


def test_crossings_interpolate_between_grid_points():
    x = np.arange(5.0)
    assert kg.crossings(x, np.array([-1.0, -0.5, 0.5, 1.0, -1.0]), 0.0).tolist() == [1.5, 3.5]


@pytest.mark.skipif(not HAVE_NUMBA, reason="the compiled kernel needs Numba")
@pytest.mark.parametrize("fft", ["pocketfft", "fftw"])
@pytest.mark.parametrize("model,mass", [("linear", 1.3), ("phi4", 1.0), ("sine_gordon", 1.0)])
@pytest.mark.parametrize("n", [256, 1024])
def test_the_numpy_twin_gives_the_compiled_field_to_1e12(model, mass, n, fft):
    if fft not in COMPILED_FFTS:
        pytest.skip("FFTW not usable here (needs Numba and pyFFTW)")
    x = grid(60.0, n)
    phi0, pi0 = (kg.phi4_collision(x, 0.3, 8.0) if model == "phi4" else
                 kg.sg_kink_antikink(x, 0.4, -15.0) if model == "sine_gordon" else
                 kg.linear_packet(x, -10.0, 3.0, 1.5, mass))
    sim = kg.Simulation(x, phi0, pi0, model, 0.02, mass=mass, fft=fft)
    assert sim.fft == fft
    u = _backend.aligned_empty(n, np.float64)             # FFTW's plans need u aligned as planned
    states = []
    for kernel, k2, extra in ((kg._steps_numba, sim._k2_unscaled, (sim._fftw, sim._spec, sim._lap)),
                              (kg._steps_numpy, sim._k2, ())):
        u[:] = sim._u
        pi, acc = sim._pi.copy(), sim._acc.copy()
        kernel(u, pi, acc, sim.ramp, k2, 2000, sim.dt, kg._CODE[model], mass * mass, *extra)
        states.append((u.copy(), pi))
    assert np.max(np.abs(states[0][0] - states[1][0])) < 1e-12 * max(1.0, np.max(np.abs(states[1][0])))
    assert np.max(np.abs(states[0][1] - states[1][1])) < 1e-11


# ---- the FFT of the compiled kernel ----------------------------------------------------------------------
def test_the_fft_argument_is_keyword_only_and_checked(monkeypatch):
    params = inspect.signature(kg.Simulation).parameters
    assert list(params) == ["x", "phi0", "pi0", "model", "dt", "mass", "twist", "fft"]
    assert params["fft"].kind is inspect.Parameter.KEYWORD_ONLY and params["fft"].default is None
    x = grid(20.0, 64)
    z = np.zeros_like(x)
    with pytest.raises(TypeError):
        kg.Simulation(x, z, z, "phi4", 0.01, 1.0, 0.0, "fftw")
    with pytest.raises(ValueError, match="fft must be"):
        kg.Simulation(x, z, z, "phi4", 0.01, fft="fftpack")
    monkeypatch.setattr(kg, "fftw_library", lambda: None)     # as without pyFFTW
    with pytest.raises(RuntimeError, match="FFTW is not available"):
        kg.Simulation(x, z, z, "phi4", 0.01, fft="fftw")
    assert kg.Simulation(x, z, z, "phi4", 0.01, fft="pocketfft").fft == ("pocketfft" if HAVE_NUMBA else "numpy")


def test_the_fft_in_use_is_told_and_the_timed_choice_is_made_once_per_n():
    x = grid(40.0, 384)
    sim = kg.Simulation(x, *kg.sg_breather(x, 0.5), "sine_gordon", 0.01)
    assert sim.fft in (COMPILED_FFTS or ["numpy"])
    assert sim._u.ctypes.data % 64 == 0 and sim._u.dtype == np.float64
    if HAVE_NUMBA:
        chosen = _backend.fft_transforms("r2c", 384, None)
        assert chosen is sim._fftw and _backend.fft_transforms("r2c", 384, None) is chosen
        assert sim.fft == ("fftw" if chosen[0] else "pocketfft")
        assert _backend.fft_transforms("r2c", 384, "pocketfft") is _backend.POCKETFFT
        assert kg.Simulation(x, *kg.sg_breather(x, 0.5), "sine_gordon", 0.01, fft="pocketfft").fft == "pocketfft"


@needs_fftw
def test_fftw_and_rocket_fft_give_the_same_field():
    x = grid(60.0, 512)
    fields = []
    for fft in ("fftw", "pocketfft"):
        sim = kg.Simulation(x, *kg.phi4_collision(x, 0.3, 8.0), "phi4", 0.02, fft=fft)
        sim.step(1000)
        sim.step(1500)
        fields.append((sim.phi, sim.pi, sim.energy()))
    assert np.max(np.abs(fields[0][0] - fields[1][0])) < 1e-12
    assert np.max(np.abs(fields[0][1] - fields[1][1])) < 1e-11
    assert fields[0][2] == pytest.approx(fields[1][2], rel=1e-13)


@needs_fftw
@pytest.mark.parametrize("n", [64, 1000, 4096])
def test_fftw_real_plans_keep_their_input_and_are_made_once(n):
    with _backend.PLAN_LOCK:
        plans = _backend.fftw_plans("r2c", n)
        assert _backend.fftw_plans("r2c", n) is plans and np.all(plans != 0)
    assert _backend.fft_transforms("r2c", n, "fftw") is plans
    rng = np.random.default_rng(n)
    a, b = _backend.aligned_empty(n, np.float64), _backend.aligned_empty(n, np.float64)
    spectrum = _backend.aligned_empty(n // 2 + 1)
    a[:] = rng.standard_normal(n)
    kept = a.copy()
    _backend._r2c_pairs(a, spectrum, b, plans, 1)               # r2c, then c2r of the spectrum (unscaled)
    assert np.array_equal(a, kept)                          # the r2c input is left as it was
    np.testing.assert_allclose(b / n, a, atol=1e-13)
    _backend._fft_r2c(a, spectrum, plans, np.zeros(1, dtype=np.int64))
    np.testing.assert_allclose(spectrum, np.fft.rfft(a), atol=1e-12 * n)


@needs_fftw
def test_the_kernel_refuses_arrays_fftw_did_not_plan_for():
    x = grid(20.0, 64)
    sim = kg.Simulation(x, *kg.sg_breather(x, 0.5), "sine_gordon", 0.01, fft="fftw")
    u = _backend.aligned_empty(65, np.float64)[1:]              # 8 bytes off the 64-byte boundary
    u[:] = sim._u
    with pytest.raises(ValueError, match="aligned"):
        kg._steps_numba(u, sim._pi, sim._acc, sim.ramp, sim._k2_unscaled, 1, sim.dt, 2, 1.0,
                        sim._fftw, sim._spec, sim._lap)
