"""The VQE view without a browser: what the player is sent, pulling, the cards and the extrapolation.

Outside a server the view's debouncing runs at once, so setting a widget or the model starts a new
run before the next line; a :class:`Recorder` stands in for the page.
"""
import numpy as np
import pytest

from lessons.vqe.model import VQEModel
from lessons.vqe.view import CARDS, FIRST_CHUNK, VQEView
from tests.lessons.helpers import Recorder, read_cards

CARD_KEYS = tuple(key for key, _, _ in CARDS)


@pytest.fixture
def view():
    v = VQEView(VQEModel(iterations=60))
    yield v
    v.stop()


def play_to_the_end(view, page: Recorder) -> None:
    """Ask for frames as the page does until the run is done, then say it ended."""
    run = view.model.run
    while not run.done:
        view.player._handle_msg({"kind": "more", "run": run.run_id, "upto": run.frames + 50})
    view.player._handle_msg({"kind": "ended", "run": run.run_id})


def test_a_new_session_sends_the_setup_and_the_first_iterates(view):
    page = Recorder(view.player)
    setup = page.last("setup")
    pb = view.model.problem()
    assert setup["n"] == 4 and setup["layers"] == 2 and setup["iterations"] == 60
    assert setup["E0"] == pytest.approx(pb.E0) and setup["floor"] is None
    np.testing.assert_allclose(setup["ground"], pb.ground_probabilities(), atol=1e-6)
    chunk = page.last("chunk")
    assert chunk["start"] == 0 and 0 < chunk["end"] <= FIRST_CHUNK
    n_params = 3 * 4 * 2
    assert len(chunk["params"]) == (chunk["end"] - chunk["start"]) * n_params
    assert len(chunk["probs"]) == (chunk["end"] - chunk["start"]) * 16
    np.testing.assert_allclose(chunk["exact"], view.model.run.records["exact"][:chunk["end"]], rtol=1e-6)
    cards = read_cards(view.cards.object, CARD_KEYS)
    assert cards["E0"] == f"{pb.E0:.4f}" and cards["measured"] == "–" and cards["richardson"] == "–"


def test_the_page_pulls_the_rest_and_the_end_shows_the_results(view):
    page = Recorder(view.player)
    play_to_the_end(view, page)
    run = view.model.run
    chunks = [m for m in page.sent if m["kind"] == "chunk"]
    assert chunks[-1]["done"] and chunks[-1]["end"] == 61
    s, z = run.summary(), run.zne()
    cards = read_cards(view.cards.object, CARD_KEYS)
    assert cards["exact"] == f"{s['exact']:.4f}" and cards["fidelity"] == f"{s['fidelity']:.3f}"
    assert cards["richardson"].startswith(f"{z['richardson']:.4f}") and cards["nn"].startswith(f"{z['nn']:.4f}")
    assert list(view.zne_points.data["x"]) == [1.0, 3.0, 5.0]
    assert view.target_span.location == pytest.approx(s["exact"])


def test_a_change_starts_a_new_run_and_a_stale_request_computes_nothing(view):
    page = Recorder(view.player)
    first = view.model.run
    view.layers.value = 3
    assert view.model.run is not first and view.model.run.run_id == first.run_id + 1
    assert page.last("setup")["layers"] == 3
    frames = first.frames
    view.player._handle_msg({"kind": "more", "run": first.run_id, "upto": 60})
    assert first.frames == frames
    # the results of the old run are gone from the cards
    assert read_cards(view.cards.object, CARD_KEYS)["exact"] == "–"


def test_noise_sends_the_floor_and_a_note_when_a_run_is_capped(view):
    page = Recorder(view.player)
    view.p.value = 0.02
    floor = view.model.noise_floor()
    # the floor takes a noiseless optimisation: the run starts at once and the floor follows
    assert page.last("setup")["floor"] is None and "noise floor" not in view.status.object
    run = view.model.run
    view.player._handle_msg({"kind": "more", "run": run.run_id, "upto": run.frames + 10})
    chunk = page.last("chunk")
    assert chunk["floor"] == pytest.approx(floor["floor"]) and chunk["best"] == pytest.approx(floor["best"])
    assert "noise floor" in view.status.object
    view.model.param.update(n_qubits=8, iterations=300)
    assert page.last("setup")["p"] == 0.02 and page.last("setup")["iterations"] < 300
    assert view.notes.visible and "stops after" in view.notes.object


def test_stop_closes_the_run(view):
    view.stop()
    assert view.model.run is None
