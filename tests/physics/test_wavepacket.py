"""Split-operator solver: conservation, convergence order, free spreading, packet T, both backends."""
import numpy as np
import pytest
import scipy.fft

from physics import potentials, scattering, wavepacket
from physics._backend import HAVE_NUMBA, fftw_library

#: The compiled kernel's transforms available in this run.
COMPILED_FFTS = (["pocketfft"] + (["fftw"] if fftw_library() is not None else [])) if HAVE_NUMBA else []


def test_gaussian_is_normalised_with_right_moments():
    x = np.linspace(-60, 60, 4096, endpoint=False)
    psi = wavepacket.gaussian(x, -5.0, 3.0, 1.2)
    dx = x[1] - x[0]
    p = np.abs(psi) ** 2
    assert np.sum(p) * dx == pytest.approx(1.0, abs=1e-14)
    mean = np.sum(x * p) * dx
    assert mean == pytest.approx(-5.0, abs=1e-12)
    assert np.sqrt(np.sum((x - mean) ** 2 * p) * dx) == pytest.approx(3.0, rel=1e-12)


def free_sim(x0=-20.0, sigma=2.0, k0=1.5, n=8192, L=500.0, dt=0.05):
    x = np.linspace(-L / 2, L / 2, n, endpoint=False)
    return wavepacket.Simulation(x, np.zeros_like(x), wavepacket.gaussian(x, x0, sigma, k0), dt)


def test_free_packet_moves_and_spreads_as_closed_form():
    sim = free_sim()
    x = sim.x
    assert sim.energy() == pytest.approx(1.5 ** 2 / 2 + 1 / (8 * 2.0 ** 2), rel=1e-10)
    for _ in range(4):
        sim.step(400)                     # t = 20, 40, 60, 80 (the tails stay clear of the edges)
        p = sim.density()
        mean = sim.expectation_x()
        width = np.sqrt(np.sum((x - mean) ** 2 * p) / np.sum(p))
        assert mean == pytest.approx(-20.0 + 1.5 * sim.t, abs=1e-8)
        assert width == pytest.approx(wavepacket.free_width(sim.t, 2.0), rel=1e-9)
        assert sim.expectation_p() == pytest.approx(1.5, abs=1e-10)


def test_norm_conserved_over_10000_steps_without_absorber():
    x = np.linspace(-100, 100, 2048, endpoint=False)
    V = potentials.rectangular(x, 1.0, 1.5, 0.0)
    sim = wavepacket.Simulation(x, V, wavepacket.gaussian(x, -30, 5, 1.4), 0.025)
    sim.step(10_000)
    assert abs(sim.norm() - 1.0) < 1e-10
    assert sim.transmitted == 0.0 and sim.reflected == 0.0


def test_second_order_in_dt():
    x = np.linspace(-60, 60, 1024, endpoint=False)
    V = potentials.gaussian(x, 1.0, 2.0, 0.0)
    psi0 = wavepacket.gaussian(x, -12, 3, 1.3)
    t_end = 8.0

    def run(dt):
        sim = wavepacket.Simulation(x, V, psi0, dt)
        sim.step(int(round(t_end / dt)))
        return sim.psi

    ref = run(0.0025)
    errors = [np.sqrt(np.sum(np.abs(run(dt) - ref) ** 2) * (x[1] - x[0])) for dt in (0.08, 0.04, 0.02)]
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    assert np.all((ratios > 3.6) & (ratios < 4.4)), (errors, ratios)


def test_step_calls_compose():
    """Splitting n steps over several calls gives the same state (half steps are merged correctly)."""
    x = np.linspace(-50, 50, 512, endpoint=False)
    V = potentials.rectangular(x, 1.0, 2.0, 0.0)
    a = wavepacket.Simulation(x, V, wavepacket.gaussian(x, -10, 3, 1.2), 0.03, absorber_width=10)
    b = wavepacket.Simulation(x, V, wavepacket.gaussian(x, -10, 3, 1.2), 0.03, absorber_width=10)
    a.step(300)
    for n in (1, 99, 50, 150):
        b.step(n)
    assert np.max(np.abs(a.psi - b.psi)) < 1e-12
    assert a.transmitted == pytest.approx(b.transmitted, abs=1e-14)
    assert a.t == pytest.approx(b.t)


def run_to_end(x, V, x0, sigma, k0, dt=0.025, outside=(0.0, 0.0)):
    sim = wavepacket.Simulation(x, V, wavepacket.gaussian(x, x0, sigma, k0), dt, absorber_width=20)
    while sim.norm() > 1e-7 and sim.t < 500:
        sim.step(400)
    return sim


@pytest.mark.parametrize("shape,height,width,k0", [
    ("rectangular", 1.0, 1.5, 1.4),
    ("gaussian", 1.0, 2.0, 1.3),
    ("double", 1.0, 0.6, 1.2),
    ("triangular", 1.5, 4.0, 1.4),
])
def test_packet_T_matches_averaged_exact_T(shape, height, width, k0):
    x = np.linspace(-100, 100, 4096, endpoint=False)
    V = potentials.make(shape, x, height, width, 0.0, separation=3.0)
    sim = run_to_end(x, V, -40.0, 6.0, k0)
    predicted = scattering.packet_transmission(x, V, -40.0, 6.0, k0)
    assert sim.norm() < 1e-6
    assert abs(sim.transmitted - predicted) < 2e-3
    assert abs(sim.reflected - (1 - predicted)) < 2e-3
    assert abs(sim.transmitted + sim.reflected + sim.norm() - 1) < 1e-10


def test_absorber_counts_sides_separately_while_moving():
    """A free packet heading right: all of it is counted as transmitted, nothing as reflected."""
    x = np.linspace(-100, 100, 2048, endpoint=False)
    sim = wavepacket.Simulation(x, np.zeros_like(x), wavepacket.gaussian(x, -30, 5, 1.5), 0.025,
                                absorber_width=20)
    sim.step(3200)            # t = 80: the packet's centre is in the right absorber
    assert 0.2 < sim.transmitted < 0.95
    assert sim.reflected < 1e-6
    assert sim.transmitted + sim.reflected + sim.norm() == pytest.approx(1.0, abs=1e-12)
    while sim.norm() > 1e-8:
        sim.step(1000)
    assert sim.transmitted == pytest.approx(1.0, abs=1e-6)


def test_invalid_arguments_raise_clearly():
    x = np.linspace(-10, 10, 64, endpoint=False)
    psi = wavepacket.gaussian(x, 0, 1, 1)
    with pytest.raises(ValueError, match="dt"):
        wavepacket.Simulation(x, 0 * x, psi, dt=float("nan"))
    with pytest.raises(ValueError, match="same length"):
        wavepacket.Simulation(x, 0 * x, psi[:10], dt=0.1)
    with pytest.raises(ValueError, match="norm"):
        wavepacket.gaussian(x, 1e6, 1.0, 1.0)


def packet_case(n_pts, potential):
    x = np.linspace(-100, 100, n_pts, endpoint=False)
    V = {"double": potentials.double_barrier(x, 1.0, 0.6, 0.0, 3.0),   # V != 0 on a short span
         "free": np.zeros_like(x),                                   # only the absorber acts
         "slope": 0.004 * (x + 100.0)}[potential]                    # V != 0 on every cell
    return x, V, wavepacket.gaussian(x, -40, 5, 1.3)


@pytest.mark.skipif(not HAVE_NUMBA, reason="Numba path not available in this run")
@pytest.mark.parametrize("fft", COMPILED_FFTS)
@pytest.mark.parametrize("n_pts,absorber,potential", [
    (512, 20.0, "double"), (1024, 0.0, "free"), (2048, 20.0, "double"), (2048, 0.0, "double"),
    (2048, 20.0, "free"), (8192, 20.0, "slope"), (8192, 0.0, "slope"),
])
def test_numpy_path_agrees_with_numba_path(fft, n_pts, absorber, potential):
    x, V, psi0 = packet_case(n_pts, potential)
    a = wavepacket.Simulation(x, V, psi0, 0.025, absorber_width=absorber, backend="numba", fft=fft)
    b = wavepacket.Simulation(x, V, psi0, 0.025, absorber_width=absorber, backend="numpy")
    assert (a.fft, b.fft) == (fft, "scipy")
    for n in (1, 500, 2500, 4000):
        a.step(n)
        b.step(n)
    assert np.max(np.abs(a.psi - b.psi)) < 1e-12
    assert abs(a.transmitted - b.transmitted) < 1e-12
    assert abs(a.reflected - b.reflected) < 1e-12
    if absorber and potential == "double":
        assert a.transmitted > 0.01 and a.reflected > 0.01     # both absorbers were exercised


@pytest.mark.parametrize("n_pts,absorber,potential", [(1024, 20.0, "double"), (2048, 0.0, "slope"),
                                                      (2048, 20.0, "free")])
def test_matches_a_plain_split_step_loop(n_pts, absorber, potential):
    """Against Strang's steps written out in full (every cell multiplied, norms summed over the
    whole grid): skipping the cells whose factor is 1 and the merged half steps change nothing."""
    x, V, psi0 = packet_case(n_pts, potential)
    dt, steps = 0.025, 3000
    sim = wavepacket.Simulation(x, V, psi0, dt, absorber_width=absorber)
    sim.step(steps)
    k = 2 * np.pi * np.fft.fftfreq(x.size, x[1] - x[0])
    kinetic = np.exp(-0.5j * k ** 2 * dt)
    W = wavepacket.absorber_profile(x, absorber, 100.0 / absorber if absorber else 0.0)
    half = np.exp((-1j * V - W) * dt / 2)
    absorbed = np.zeros(x.size)              # per cell: what the absorbing potential removed there

    def potential_half_step(psi):
        absorbed[:] += np.abs(psi) ** 2 * (1 - np.abs(half) ** 2) * (x[1] - x[0])
        return half * psi

    psi = psi0.astype(complex)
    for _ in range(steps):
        psi = potential_half_step(np.fft.ifft(kinetic * np.fft.fft(potential_half_step(psi))))
    assert np.max(np.abs(sim.psi - psi)) < 1e-12
    assert sim.reflected == pytest.approx(np.sum(absorbed[x < 0]), abs=1e-12)
    assert sim.transmitted == pytest.approx(np.sum(absorbed[x > 0]), abs=1e-12)


def test_numpy_path_copies_back_when_scipy_does_not_transform_in_place(monkeypatch):
    """overwrite_x allows SciPy to work in place but does not promise it: the state must still move."""
    x, V, psi0 = packet_case(512, "double")
    a = wavepacket.Simulation(x, V, psi0, 0.025, absorber_width=20.0, backend="numpy")
    a.step(300)
    monkeypatch.setattr(scipy.fft, "fft", lambda psi, overwrite_x=False: np.fft.fft(psi))
    monkeypatch.setattr(scipy.fft, "ifft", lambda phi, overwrite_x=False: np.fft.ifft(phi))
    b = wavepacket.Simulation(x, V, psi0, 0.025, absorber_width=20.0, backend="numpy")
    b.step(300)
    assert np.max(np.abs(a.psi - b.psi)) < 1e-12
    assert b.transmitted == pytest.approx(a.transmitted, abs=1e-12)


def test_state_is_aligned_and_written_in_place():
    x, V, psi0 = packet_case(1024, "double")
    sim = wavepacket.Simulation(x, V, psi0, 0.025, absorber_width=20.0)
    assert sim.psi.ctypes.data % 64 == 0 and sim.psi.dtype == np.complex128
    assert sim.fft in (COMPILED_FFTS or ["scipy"])
    with pytest.raises(AttributeError):
        sim.psi = psi0                      # a new array would lose the alignment FFTW's plans need
    sim.psi[:] = 0.0
    sim.step(10)
    assert sim.norm() == 0.0
    for n in (1, 7, 100):
        assert wavepacket._aligned_empty(n).ctypes.data % 64 == 0


def test_fft_choice_is_checked():
    x, V, psi0 = packet_case(256, "double")
    with pytest.raises(ValueError, match="fft"):
        wavepacket.Simulation(x, V, psi0, 0.025, fft="fftpack")
    with pytest.raises(RuntimeError, match="FFTW"):
        wavepacket.Simulation(x, V, psi0, 0.025, backend="numpy", fft="fftw")


@pytest.mark.skipif("fftw" not in COMPILED_FFTS, reason="FFTW not usable here (needs Numba and pyFFTW)")
def test_fftw_plans_and_the_timed_choice_are_made_once():
    plans = wavepacket._transforms(4096, "fftw")
    assert np.all(plans != 0) and wavepacket._transforms(4096, "fftw") is plans
    chosen = wavepacket._transforms(4096, None)
    assert chosen is plans or chosen is wavepacket._POCKETFFT
    assert wavepacket._transforms(4096, None) is chosen
    assert wavepacket._transforms(4096, "pocketfft") is wavepacket._POCKETFFT


def test_free_density_is_the_exactly_propagated_gaussian():
    # independent reference: the packet evolved with the free propagator exp(-i k^2 t / 2) in k-space
    x = np.linspace(-60.0, 60.0, 4096, endpoint=False)
    dx = x[1] - x[0]
    k = 2 * np.pi * np.fft.fftfreq(x.size, dx)
    sigma, k0, x0 = 0.7, 1.3, -4.0
    psi0 = wavepacket.gaussian(x, x0, sigma, k0)
    times = np.array([0.0, 2.5, 9.0])
    rho = wavepacket.free_density(x, times, sigma, k0, x0)
    for row, t in zip(rho, times):
        psi_t = np.fft.ifft(np.fft.fft(psi0) * np.exp(-0.5j * k ** 2 * t))
        np.testing.assert_allclose(row, np.abs(psi_t) ** 2, atol=1e-10)
        assert np.sum(row) * dx == pytest.approx(1.0, abs=1e-10)
    np.testing.assert_allclose(wavepacket.free_density(x, 2.5, sigma, k0, x0), rho[1])
    with pytest.raises(ValueError, match="sigma"):
        wavepacket.free_density(x, 1.0, 0.0, k0)
