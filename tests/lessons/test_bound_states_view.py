"""The Bound-states view without a browser: what the player is sent, measurement clicks, PINN slices."""
import numpy as np
import pytest

from lessons.bound_states.model import N_BASIS, BoundStatesModel
from lessons.bound_states.view import DISPLAY_STRIDE, BoundStatesView
from tests.lessons.helpers import Recorder


@pytest.fixture
def view():
    v = BoundStatesView(BoundStatesModel(seed=3))
    v.load_secondary()
    yield v
    v.stop()


def test_ready_replays_setup_and_state(view):
    rec = Recorder(view.player)
    assert [m["kind"] for m in rec.sent] == ["setup", "chunk"]         # the well, then its state
    setup, state = rec.sent
    npts = view.model.x[::DISPLAY_STRIDE].size
    assert setup["x"].size == npts and setup["states"].size == N_BASIS * npts
    np.testing.assert_allclose(setup["E"], view.model.energies)
    assert setup["V"].dtype == np.float32 and np.all(np.isfinite(setup["V"]))
    np.testing.assert_allclose(state["re"][:2], [2 ** -0.5] * 2, rtol=1e-6)
    assert state["mean_E"] == pytest.approx(view.model.mean_energy())


def test_shape_change_sends_new_levels_and_shows_its_sliders(view):
    rec = Recorder(view.player)
    view.shape.value = "harmonic"
    setup = rec.last("setup")
    np.testing.assert_allclose(setup["E"][:3], [0.5, 1.5, 2.5], rtol=1e-6)
    assert view.sliders["omega"].visible and not view.sliders["width"].visible
    view.shape.value = "asymmetric"
    assert view.sliders["depth"].label == "Left wall height"
    assert rec.last("chunk")["mean_E"] == pytest.approx(view.model.mean_energy())


def test_measure_messages_collapse_and_fill_histograms(view):
    rec = Recorder(view.player)
    model = view.model
    view.player._handle_msg({"kind": "action", "name": "measure", "what": "energy", "shots": 100, "t": 1.5,
                             "state": model.state_id})
    assert sum(view.e_hist.data["observed"]) == pytest.approx(1.0)
    assert "100 energy" in view.measure_count.object
    assert not view.collapse_note.visible
    view.player._handle_msg({"kind": "action", "name": "measure", "what": "position", "shots": 1, "t": 2.0,
                             "state": model.state_id})
    assert view.collapse_note.visible and "Position measured" in view.collapse_note.object
    state = rec.last("chunk")
    assert state["t0"] == 2.0 and state["state"] == model.state_id
    # stale clicks (from a state that has since changed) and malformed messages are ignored
    before = model.outcomes
    for bad in ({"state": -5}, {"shots": 7}, {"t": "soon"}, {"t": float("nan")}, {"shots": True},
                {"what": "momentum"}, {"name": "measure!" * 10}):
        view.player._handle_msg({"kind": "action", "name": "measure", "what": "energy", "shots": 1, "t": 2.0,
                                 "state": model.state_id, **bad})
    view.player._handle_msg({"kind": "measure", "what": "energy", "shots": 1, "t": 2.0, "state": model.state_id})
    assert model.outcomes == before


def test_predict_hides_levels_everywhere(view):
    view.model.predict = True
    assert not view.player.show_levels and view.guess.visible
    assert "hidden" in view.readout.object
    view.reveal.clicks += 1
    assert view.player.show_levels and "exact E₁" in view.reveal_text.object


def test_secondary_tabs_make_their_figures_when_first_opened(view):
    assert view.tabs._names == ["Measurements", "Neural network (PINN)", "Lesson", "Teacher notes"]
    assert view.tabs.built("Measurements") and not view.tabs.built("Neural network (PINN)")
    assert not hasattr(view, "loss_fig")          # a class that never opens the PINN tab never pays for it
    view.model.shape = "harmonic"
    view.tabs.active = 1
    assert view.tabs.built("Neural network (PINN)")
    E1 = view.model.energies[0]
    assert view.e_exact.location == pytest.approx(E1)       # drawn for the well of now
    np.testing.assert_allclose(view.psi_src.data["x"], view.model.x[::DISPLAY_STRIDE])


def test_pinn_slice_trains_and_reports(view):
    view.tabs.active = 1                  # the PINN tab, where its buttons are
    view.model.shape = "infinite"
    view.start_training()                 # outside a server: one slice at once
    m = view.model
    assert m.pinn is not None and m.pinn.steps > 0
    assert f"Step **{m.pinn.steps}**" in view.pinn_status.object
    assert len(view.loss_src.data["loss"]) == m.pinn.steps
    assert np.all(np.asarray(view.loss_src.data["loss"]) > 0)
    view.reset.clicks += 1
    assert m.pinn is None and view.loss_src.data["loss"] == []
