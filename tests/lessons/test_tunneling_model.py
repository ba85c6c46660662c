"""The Tunnelling lesson's model, run with no UI: settings in, frames and numbers out."""
import numpy as np
import pytest

from physics import potentials, scattering
from physics.wavepacket import gaussian
from lessons.tunneling.model import DISPLAY_STRIDE, QUERY_NAMES, TunnelingModel


def test_default_run_agrees_with_prediction_and_stays_healthy():
    model = TunnelingModel()
    run = model.run_to_end()
    assert run.done and run.error is None
    predicted = model.predicted_transmission()
    assert 0.3 < predicted < 0.7
    assert abs(run.transmitted - predicted) < 2e-3
    assert run.health_sum < 1e-6
    assert run.energy_drift < 5e-3
    assert run.sim.norm() < 1e-3


def test_chunks_are_contiguous_float32_frames():
    model = TunnelingModel()
    run = model.new_run()
    first = run.next_chunk(8)
    second = run.next_chunk(20)
    assert first.start == 0 and second.start == 8
    assert first.re.dtype == np.float32 and first.re.shape == (8, model.x.size // DISPLAY_STRIDE)
    assert first.t[0] == 0.0 and np.all(np.diff(np.concatenate([first.t, second.t])) > 0)
    # frame 0 is the initial packet itself
    init = gaussian(model.x, model.x0, model.sigma, model.k0)[::DISPLAY_STRIDE]
    assert np.allclose(first.re[0], init.real, atol=1e-6) and np.allclose(first.im[0], init.imag, atol=1e-6)
    total = first.transmitted + first.reflected + first.inside
    assert np.allclose(total, 1.0, atol=1e-10)


def test_new_run_replaces_the_old_one():
    model = TunnelingModel()
    a = model.new_run()
    model.width = 3.0
    b = model.new_run()
    assert b.run_id == a.run_id + 1 and model.run is b


def test_exact_curve_is_the_closed_form_for_the_simulated_width():
    model = TunnelingModel(height=1.2, width=2.0)
    E, T = model.exact_curve()
    w = model.simulated_width()
    assert abs(w - 2.0) <= (model.x[1] - model.x[0]) / 2
    assert np.max(np.abs(T - scattering.rectangular_transmission(E, 1.2, w))) < 1e-10


def test_step_uses_the_right_outside_level():
    model = TunnelingModel(shape="step", height=0.8, energy=1.5)
    E, T = model.exact_curve()
    k1, k2 = np.sqrt(2 * E), np.sqrt(2 * np.clip(E - 0.8, 0, None))
    expected = np.where(E > 0.8, 4 * k1 * k2 / (k1 + k2) ** 2, 0.0)
    assert np.max(np.abs(T - expected)) < 1e-10


@pytest.mark.parametrize("shape", list(potentials.SHAPES))
def test_every_shape_runs_finite(shape):
    model = TunnelingModel(shape=shape, height=1.2, width=1.0, energy=1.0)
    run = model.new_run()
    for _ in range(5):
        chunk = run.next_chunk(40)
        assert np.all(np.isfinite(chunk.re)) and np.all(np.isfinite(chunk.inside))
    assert 0.0 <= model.predicted_transmission() <= 1.0
    assert run.health_sum < 1e-6


@pytest.mark.parametrize("values", [
    dict(height=5.0, width=10.0, energy=0.1, sigma=1.5),
    dict(height=0.0, width=0.1, energy=4.5, sigma=12.0, x0=-60.0),
    dict(shape="double", height=5.0, width=0.1, separation=0.5, energy=4.5, position=40.0),
    dict(shape="thin", height=5.0, width=0.1, energy=0.1, sigma=1.5, x0=-10.0, position=-20.0),
])
def test_extreme_settings_stay_finite(values):
    model = TunnelingModel(**values)
    run = model.new_run()
    for _ in range(4):
        chunk = run.next_chunk(60)
        if chunk is None:
            break
        assert np.all(np.isfinite(chunk.re)) and np.all(np.isfinite(chunk.transmitted))
    assert run.health_sum < 1e-6
    assert np.isfinite(model.predicted_transmission())


def test_overlap_warning_when_packet_starts_on_barrier():
    assert TunnelingModel().overlap_warning() is None
    assert "on the barrier" in TunnelingModel(x0=-10.0, position=-20.0, sigma=5.0).overlap_warning()


def test_from_query_clamps_with_notices():
    model = TunnelingModel.from_query({"width": [b"abc"], "height": [b"1e308"], "shape": [b"double"],
                                       "energy": ["nan"], "sigma": ["-inf"], "speed": ["2"]})
    assert (model.width, model.height, model.shape, model.energy, model.sigma, model.speed) == \
        (1.5, 5.0, "double", 1.0, 1.5, 2.0)
    assert len(model.notices) == 4
    assert set(QUERY_NAMES) == {"shape", "height", "width", "position", "separation", "energy", "sigma",
                                "x0", "speed"}


def test_frame_spacing_follows_packet_speed():
    slow, fast = TunnelingModel(energy=0.1), TunnelingModel(energy=4.5)
    assert slow.frame_interval() > fast.frame_interval() >= 1


def test_passed_shows_transmission_before_the_absorber_counts_it():
    model = TunnelingModel()
    run = model.new_run()
    chunks = []
    while (c := run.next_chunk(64)) is not None:
        chunks.append(c)
    passed = np.concatenate([c.passed for c in chunks])
    T = np.concatenate([c.transmitted for c in chunks])
    inside = np.concatenate([c.inside for c in chunks])
    predicted = model.predicted_transmission()
    assert passed[0] < 1e-12                          # the packet starts left of the barrier
    assert np.all(passed >= T - 1e-15)
    # once the packet has split, and before the absorber took anything, "passed" already shows T
    split = np.flatnonzero((T < 1e-3) & (passed > 0.5 * predicted))
    assert split.size and abs(passed[split[-1]] - predicted) < 0.01
    assert passed[-1] == pytest.approx(T[-1] + 0.0, abs=inside[-1] + 1e-9)


def test_energy_drift_unmeasurable_when_packet_starts_in_absorber():
    wide = TunnelingModel(sigma=12.0, x0=-40.0).run_to_end()
    assert wide.energy_drift is None
    assert TunnelingModel().run_to_end().energy_drift < 5e-3
