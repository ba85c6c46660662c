"""The Anderson view without a browser: what the player is sent, pulling, the figures and the cards."""
import numpy as np
import pytest

from lessons.anderson.model import AndersonModel
from lessons.anderson.view import CARDS, FIRST_CHUNK, AndersonView
from tests.lessons.helpers import Recorder, read_cards

CARD_KEYS = tuple(key for key, _, _ in CARDS)


@pytest.fixture
def view():
    v = AndersonView(AndersonModel(sites=400, t_max=60.0))
    yield v
    v.stop()


def test_a_new_session_sends_the_chain_and_the_first_frames(view):
    page = Recorder(view.player)
    setup = page.last("setup")
    assert setup["sites"] == 400 and setup["origin"] == 200 and not setup["moving"]
    np.testing.assert_allclose(setup["eps"], view.model.static_energies(), atol=1e-6)
    chunk = page.last("chunk")
    assert chunk["start"] == 0 and 0 < chunk["end"] <= FIRST_CHUNK
    assert len(chunk["density"]) == (chunk["end"] - chunk["start"]) * 400
    np.testing.assert_allclose(chunk["msd"], view.model.run.records["msd"][:chunk["end"]], rtol=1e-6)
    cards = read_cards(view.cards.object, CARD_KEYS)
    assert cards["xi"] != "–" and cards["exponent"] == "–"


def test_the_figures_follow_the_disorder(view):
    view.main()
    view.load_secondary()
    x = view.model.xi()
    np.testing.assert_allclose(view.xi_src.data["xi"], x["xi"])
    assert view.now_src.data["W"] == [2.0]
    view.W.value = 1.0
    assert view.now_src.data["W"] == [1.0]
    assert view.now_src.data["xi"][0] == pytest.approx(view.model.xi()["now"])
    s = view.model.eigenstates_near()
    np.testing.assert_allclose(view.state_src[0].data["y"], s["density"][0])


def test_the_end_of_a_run_fills_the_cards_and_a_stale_request_computes_nothing(view):
    page = Recorder(view.player)
    run = view.model.run
    while not run.done:
        view.player._handle_msg({"kind": "more", "run": run.run_id, "upto": run.frames + 80})
    view.player._handle_msg({"kind": "ended", "run": run.run_id})
    cards = read_cards(view.cards.object, CARD_KEYS)
    assert cards["exponent"] == f"{run.exponent():.2g}" and cards["pr"] == f"{run.records['pr'][-1]:.3g}"
    view.model.scene = "vibrating"
    assert view.model.run is not run and page.last("setup")["moving"]
    frames = run.frames
    view.player._handle_msg({"kind": "more", "run": run.run_id, "upto": frames + 50})
    assert run.frames == frames
    assert "eps" in page.last("chunk")


def test_the_axis_choice_reaches_the_player(view):
    view.scale.value = "log"
    assert view.player.scale == "log" and view.model.scale == "log"


def test_a_vanishing_disorder_from_a_link_shows_infinite_lengths():
    """Found by the fuzz: ``?W=5e-324`` passed the W > 0 check, and W ** 2 underflowed to 0."""
    from tests.lessons.helpers import read_cards as cards_of

    v = AndersonView(AndersonModel.from_query({"W": "5e-324", "n": "200", "t": "20"}))
    try:
        cards = cards_of(v.cards.object, CARD_KEYS)
        assert cards["xi"] == "∞" and cards["xi_pert"] == "∞"
    finally:
        v.stop()
