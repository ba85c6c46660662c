"""The Bound-states lesson model with no UI: levels, superposition, measurement, predict/reveal, PINN."""
import numpy as np
import pytest

from physics import eigen, potentials
from lessons.bound_states.model import (N_BASIS, POSITION_RESOLUTION, SHAPE_PRESETS, BoundStatesModel)


@pytest.fixture
def model():
    return BoundStatesModel(seed=7)


def test_default_levels_are_the_physics_back_end(model):
    E, psi = eigen.bound_states(model.x, potentials.finite_well(model.x, 3.0, 10.0), N_BASIS)
    np.testing.assert_array_equal(model.energies, E)
    # |c1| = |c2| = 1 by default: an equal mixture of the two lowest levels
    assert np.linalg.norm(model.coefficients) == pytest.approx(1.0)
    assert model.mean_energy() == pytest.approx((E[0] + E[1]) / 2)
    assert model.energy_spread() == pytest.approx((E[1] - E[0]) / 2)
    assert model.bohr_period() == pytest.approx(2 * np.pi / (E[1] - E[0]))
    assert model.rim() == 10.0


def test_shape_change_applies_its_preset_but_a_link_keeps_its_values():
    m = BoundStatesModel()
    m.shape = "array"
    assert (m.count, m.width, m.spacing) == (4, 1.0, 1.6)
    V = m.potential()
    assert np.count_nonzero(np.diff((V == 0).astype(int)) == 1) == 4
    linked = BoundStatesModel.from_query({"shape": "infinite", "width": "2.0"})
    assert linked.width == 2.0 and linked.notices == []
    assert linked.energies[0] == pytest.approx(np.pi**2 / 8, rel=1e-6)
    assert set(SHAPE_PRESETS) == set(potentials.WELLS)


def test_superposition_sloshes_with_the_bohr_period(model):
    T = model.bohr_period()
    x0, xh = model.mean_x(0.0), model.mean_x(T / 2)
    assert abs(x0 - xh) > 0.5                                    # it moves ...
    assert model.mean_x(T) == pytest.approx(x0, abs=1e-9)        # ... and comes back
    np.testing.assert_allclose(np.abs(model.psi_at(T)) ** 2, np.abs(model.psi_at(0.0)) ** 2, atol=1e-9)
    assert np.sum(np.abs(model.psi_at(0.37 * T)) ** 2) * model.dx == pytest.approx(1.0, abs=1e-12)


def test_coefficients_follow_the_sliders_and_zero_means_ground_state(model):
    model.param.update(a0=0.0, a1=0.6, a2=0.8, p2=90.0)
    c = model.coefficients
    np.testing.assert_allclose(c[:3], [0, 0.6, 0.8j], atol=1e-12)
    model.param.update(a1=0.0, a2=0.0)
    np.testing.assert_allclose(model.coefficients[:2], [1, 0])


def test_energy_measurement_collapses_and_repeats(model):
    t = 3.3
    n = model.measure_energy(t)
    assert n in (0, 1)
    assert model.mean_energy() == pytest.approx(model.energies[n])
    assert model.t_ref == t and f"E{n + 1}" in model.collapsed
    for _ in range(5):                                          # the same answer every time now
        assert model.measure_energy(t + 1.0) == n
    model.prepare()
    assert model.collapsed is None and model.energy_outcomes == []


def test_position_measurement_leaves_a_narrow_packet_there(model):
    found = model.measure_position(1.0)
    assert -1.6 < found < 1.6                    # where the two lowest states live
    assert model.mean_x(1.0) == pytest.approx(found, abs=0.05)
    psi = model.psi_at(1.0)
    assert np.sum(np.abs(psi) ** 2) * model.dx == pytest.approx(1.0, abs=1e-9)
    width = np.sqrt(np.sum((model.x - found) ** 2 * np.abs(psi) ** 2) * model.dx)
    assert width == pytest.approx(POSITION_RESOLUTION, rel=0.15)


def test_ensemble_outcomes_follow_the_born_rule(model):
    model.param.update(a0=0.5, a1=1.0, a2=0.5)
    w = np.abs(model.coefficients[:3]) ** 2
    out = model.measure_ensemble("energy", 2.0, shots=6000)
    freq = np.bincount(out, minlength=3)[:3] / out.size
    np.testing.assert_allclose(freq, w, atol=4 * np.sqrt(w * (1 - w) / out.size).max())
    n, observed, predicted = model.energy_histogram()
    np.testing.assert_allclose(predicted[:3], w)
    np.testing.assert_allclose(observed[:3], freq)
    # position outcomes follow |psi(x, t)|^2 at the time asked
    xs = model.measure_ensemble("position", 2.0, shots=6000)
    p = np.abs(model.psi_at(2.0)) ** 2
    mean = np.sum(model.x * p) * model.dx
    sd = np.sqrt(np.sum((model.x - mean) ** 2 * p) * model.dx)
    assert np.mean(xs) == pytest.approx(mean, abs=4 * sd / np.sqrt(xs.size))
    edges, density, _ = model.position_histogram(2.0)
    assert np.sum(density) * (edges[1] - edges[0]) == pytest.approx(1.0)
    # ensemble measurements leave the state alone
    assert model.collapsed is None


@pytest.mark.parametrize("t", [float("nan"), -1.0, float("inf")])
def test_bad_measurement_time_is_refused(model, t):
    with pytest.raises(ValueError, match="time"):
        model.measure_energy(t)
    with pytest.raises(ValueError, match="measure"):
        model.measure_ensemble("spin", 1.0)


def test_predict_then_reveal(model):
    model.predict = True
    assert not model.levels_visible
    text = model.reveal()
    assert model.levels_visible and f"{model.energies[0]:.4g}" in text
    model.width = 2.0                          # a new well: hidden again
    assert not model.levels_visible


def test_bad_link_is_clamped_with_notices():
    m = BoundStatesModel.from_query({"shape": "<b>x</b>", "depth": "1e308", "a0": "nan", "count": "3.7",
                                     "pinn_lr": "-1"})
    assert (m.shape, m.depth, m.a0, m.count, m.pinn_lr) == ("finite", 50.0, 1.0, 4, 1e-4)
    assert len(m.notices) == 4                  # count=3.7 is rounded, not a notice
    assert np.all(np.isfinite(m.energies))


def test_pinn_trains_resets_and_compares_with_the_exact_state():
    m = BoundStatesModel(shape="infinite", width=4.0)
    curves = m.pinn_curves()
    assert "psi" not in curves and curves["E_exact"] == pytest.approx(np.pi**2 / 32, rel=1e-6)
    m.pinn_train(150)
    first = m.pinn.history["loss"][0]
    m.pinn_train(150)
    c = m.pinn_curves()
    assert c["steps"] == 300 and m.pinn.history["loss"][-1] < first
    assert np.sum(c["psi"] * c["exact"]) > 0                   # same sign as the exact state
    np.testing.assert_allclose(c["error"], c["psi"] - c["exact"])
    m.pinn_state = 1
    assert m.pinn is None                                      # a new question: a new network
    m.pinn_train(10)
    assert m.pinn.state == 1 and c["E_exact"] < m.pinn_curves()["E_exact"]


def test_pinn_domain_cuts_only_the_outer_flanks():
    m = BoundStatesModel(shape="box_barrier", height=40.0)
    V = m.pinn_potential()
    assert np.array_equal(np.isfinite(V), np.isfinite(m.potential()))     # the tall inner barrier stays
    h = BoundStatesModel(shape="harmonic", omega=2.0)     # V = 2x^2 reaches the cut-off 30 at |x| = 3.9
    Vh = h.pinn_potential()
    inside = h.x[np.isfinite(Vh)]
    assert 3.0 < inside.max() < 6.0 and inside.min() == pytest.approx(-inside.max(), abs=h.dx)


@pytest.mark.parametrize("demo,check", [
    ("normal", lambda p: p.norm_weight == 1.0 and p.warmup > 0 and p.edge_positions.size == 2),
    ("no_norm", lambda p: p.norm_weight == 0.0),
    ("no_warmup", lambda p: p.warmup == 0 and p.phase == "pinn"),
    ("no_edges", lambda p: p.edge_positions.size == 0),
])
def test_pinn_demos_build_the_network_they_name(demo, check):
    m = BoundStatesModel(pinn_demo=demo)           # the finite well: two edges at +-1.5
    m.pinn_train(1)
    assert check(m.pinn)
    if demo == "normal":
        np.testing.assert_allclose(m.pinn.edge_positions, [-1.5, 1.5])


def test_pinn_high_start_begins_at_the_next_level():
    m = BoundStatesModel(shape="infinite", pinn_demo="high_start")
    m.pinn_train(m._new_pinn().warmup + 1)           # through the warm-up into the PINN phase
    assert m.pinn.history["energy"][-1] == pytest.approx(m.energies[1])


def test_the_narrowest_infinite_well_has_fewer_states_and_still_works():
    # 0.5 wide on a grid of 0.0125: 39 interior points, so 39 states, not N_BASIS (found by feeding
    # every slider its extreme values, tests/lessons/test_page_input.py)
    m = BoundStatesModel(shape="infinite", width=0.5, seed=1)
    n = m.energies.size
    assert n == round(0.5 / m.dx) - 1 < N_BASIS
    assert m.coefficients.shape == (n,)
    L = 0.5
    assert m.energies[0] == pytest.approx(np.pi**2 / (2 * L**2), rel=1e-3)     # E1 = pi^2 / 2L^2
    assert m.mean_energy() == pytest.approx(np.sum(np.abs(m.coefficients) ** 2 * m.energies))
    level = m.measure_energy(0.3)
    assert m.coefficients.shape == (n,) and m.coefficients[level] == 1.0
    m.measure_position(0.1)
    assert m.coefficients.shape == (n,)
    levels, observed, predicted = m.energy_histogram()
    assert levels.size == predicted.size <= n
    m.width = 3.0                        # back to a well with the full basis
    assert m.energies.size == m.coefficients.size == N_BASIS
