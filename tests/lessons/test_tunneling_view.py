"""The Tunnelling view without a browser: controls drive the model, runs restart, sessions stop."""
import numpy as np
import pytest

from lessons.tunneling.model import TunnelingModel
from lessons.tunneling.view import TunnelingView
from tests.lessons.helpers import Recorder


@pytest.fixture
def view():
    """A view of a default model, stopped afterwards like a destroyed session."""
    v = TunnelingView(TunnelingModel())
    yield v
    v.stop()


def test_width_slider_restarts_run_and_updates_prediction(view):
    model = view.model
    before = (model.run.run_id, view.predicted, view.readout.object)
    view.width.value = 3.0                      # what a slider release does
    assert model.width == 3.0
    assert model.run.run_id == before[0] + 1
    assert view.predicted < before[1]           # a wider barrier transmits less
    assert f"simulated width is **{model.simulated_width():.3f}**" in view.readout.object   # 31 cells
    assert view.readout.object != before[2]
    xs = np.array(view.t_source.data["E"])
    assert xs.size > 100 and np.all(np.diff(xs) > 0)


def test_player_replays_current_run_when_page_reports_ready(view):
    model = view.model
    rec = Recorder(view.player, ready=False)
    view._pump()
    assert rec.sent == []                       # nothing goes out before the page is ready
    view.player._handle_msg({"kind": "ready"})
    kinds = [m["kind"] for m in rec.sent]
    assert kinds[0] == "setup" and kinds.count("chunk") == 2
    assert all(m["run"] == model.run.run_id for m in rec.sent)
    first = rec.sent[1]
    assert first["re"].dtype == np.float32 and first["start"] == 0
    view._pump()
    assert rec.sent[-1]["kind"] == "chunk" and rec.sent[-1]["start"] == rec.sent[-2]["start"] + len(rec.sent[-2]["t"])


def test_measured_T_is_revealed_only_after_the_animation_ends(view):
    model = view.model
    while not model.run.done:
        view._pump()
    assert "Simulation:" not in view.readout.object
    assert not view._callback.running           # finished runs stop computing
    view.player._handle_msg({"kind": "ended", "run": model.run.run_id})
    assert f'T = <b class="ql-T">{model.run.transmitted:.4f}</b>' in view.readout.object
    assert view.marks.data["T"] == [view.predicted, model.run.transmitted]
    assert "T + R + inside" in view.health.object


def test_stop_frees_the_session():
    model = TunnelingModel()
    view = TunnelingView(model)
    view.stop()
    assert not view._callback.running and model.run is None
    view._pump()                                     # a late tick after stop does nothing
