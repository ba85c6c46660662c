"""The Tunnelling view without a browser: controls drive the model, runs restart, sessions stop."""
import numpy as np
import pytest

from lessons.tunneling.model import TunnelingModel
from lessons.tunneling.view import MAX_CHUNK, TunnelingView
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


def test_a_new_run_goes_out_before_the_figures_and_text_change(view):
    """The page handles messages in order: the run a student waits for is not queued behind the
    figures' patch and the read-out's Markdown (measured: that made the new frame ~15 ms later)."""
    order, sent = [], []
    Recorder(view.player)                       # the page is ready
    view.player._send_msg = lambda msg: (sent.append(msg), order.append(msg["kind"]))
    view.t_source.on_change("data", lambda _attr, _old, _new: order.append("figure"))
    view.readout.param.watch(lambda _e: order.append("readout"), "object")
    view.height.value = 0.8
    assert order[:2] == ["setup", "chunk"] and {"figure", "readout"} <= set(order[2:]), order
    assert sent[0]["run"] == view.model.run.run_id
    assert f"{view.predicted:.4f}" in view.readout.object


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
    assert first["re"].dtype == np.float32 and first["start"] == 0 and first["end"] == len(first["t"])
    view._pump()
    assert rec.sent[-1]["kind"] == "chunk" and rec.sent[-1]["start"] == rec.sent[-2]["end"]


def test_frames_are_computed_only_when_the_page_asks(view):
    """The page pulls: a run starts with a few frames and grows only by what the page requests."""
    model = view.model
    rec = Recorder(view.player)
    rec.sent.clear()                            # the replay after "ready"
    run = model.run
    first = run.frames
    assert 0 < first <= 8                       # the first chunk only, no background computing
    view.player._handle_msg({"kind": "more", "run": run.run_id, "upto": 50})
    assert run.frames == 50 and rec.sent[-1]["start"] == first and rec.sent[-1]["end"] == 50
    view.player._handle_msg({"kind": "more", "run": run.run_id, "upto": 40})     # already there
    view.player._handle_msg({"kind": "more", "run": run.run_id - 1, "upto": 400})  # an old run
    view.player._handle_msg({"kind": "more", "run": True, "upto": 400})           # malformed
    view.player._handle_msg({"kind": "more", "run": run.run_id, "upto": "all"})   # malformed
    assert run.frames == 50 and len(rec.sent) == 1
    view.player._handle_msg({"kind": "more", "run": run.run_id, "upto": 10**9})   # the CSV's "rest"
    assert run.frames == 50 + MAX_CHUNK         # at most one chunk per request
    while not run.done:
        view.player._handle_msg({"kind": "more", "run": run.run_id, "upto": 10**9})
    assert rec.sent[-1]["done"] and rec.sent[-1]["end"] == run.frames


def test_measured_T_is_revealed_only_after_the_animation_ends(view):
    model = view.model
    while not model.run.done:
        view._pump()
    assert "Simulation:" not in view.readout.object
    view.player._handle_msg({"kind": "ended", "run": model.run.run_id})
    assert f'T = <b class="ql-T">{model.run.transmitted:.4f}</b>' in view.readout.object
    assert view.marks.data["T"] == [view.predicted, model.run.transmitted]
    assert "T + R + inside" in view.health.object


def test_stop_frees_the_session():
    model = TunnelingModel()
    view = TunnelingView(model)
    run_id = model.run.run_id
    view.stop()
    assert model.run is None
    view._pump()                                     # a late request after stop does nothing
    view.player._handle_msg({"kind": "more", "run": run_id, "upto": 100})
    assert model.run is None


def test_a_run_that_fails_before_its_first_frame_still_ends_and_says_why(view, monkeypatch):
    model = view.model
    rec = Recorder(view.player)
    rec.sent.clear()
    real_new_run = model.new_run

    def broken_run():
        run = real_new_run()
        run.sim.psi[:] = np.nan                 # what an overflow in the solver would leave
        return run

    monkeypatch.setattr(model, "new_run", broken_run)
    view.height.value = 1.25
    kinds = [m["kind"] for m in rec.sent]
    assert kinds == ["setup", "chunk"]
    last = rec.sent[-1]
    assert last["done"] and last["start"] == last["end"] == 0 and last["re"].size == 0
    assert model.run.error and model.run.error in view.readout.object
    assert model.run.next_chunk(8) is None      # nothing more to send
