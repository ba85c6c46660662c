"""The Solitons view without a browser: the controls per scene, what the player is sent, pulling,
the cards at the end of a run, and the φ⁴ scan."""
import math
import types

import numpy as np
import panel as pn
import pytest
from panel.io.state import set_curdoc

from lessons.solitons import view as view_module
from lessons.solitons.model import FRAMES, SCAN_SPEEDS, SolitonsModel, scan_point
from lessons.solitons.view import FIRST_CHUNK, SCENE_CARDS, SolitonsView
from tests.lessons.helpers import Recorder, read_cards, shown_run


@pytest.fixture
def view():
    v = SolitonsView(SolitonsModel())
    yield v
    v.stop()


def number(text: str) -> float:
    """A card's number as written: 0.0002, 2.1·10⁻⁴ (the drift)."""
    mantissa, _, exponent = text.partition("·10")
    power = exponent.translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789"))
    return float(mantissa) * 10 ** int(power or 0)


def kind(message) -> tuple:
    return message["kind"], message["run"], message.get("start"), message.get("end")


def test_each_scene_shows_its_own_controls(view):
    shown = {"collision": {"potential", "v"}, "kink": {"potential", "boost"}, "breather": {"omega"},
             "packet": {"mass", "k0", "sigma"}}
    names = set().union(*shown.values())
    for scene, visible in shown.items():
        view.model.scene = scene
        assert {n for n in names if getattr(view, n).visible} == visible, scene
        assert view.t_max.visible and view.exact.visible and view.scan_box.visible
    assert view.scene.options == {"Kink meets antikink": "collision", "One moving kink": "kink",
                                  "Sine-Gordon breather": "breather", "Linear waves disperse": "packet"}
    assert list(view.potential.options.values()) == ["phi4", "sine_gordon"]
    sidebar = view.sidebar()
    for name in ("scene", "potential", "v", "boost", "omega", "mass", "k0", "sigma", "t_max", "exact"):
        assert any(w is getattr(view, name) for w in sidebar), name


def test_a_new_session_sends_the_setup_and_the_first_frames(view):
    page = Recorder(view.player)
    run = view.model.run
    setup = page.last("setup")
    assert setup["run"] == run.run_id == view.player.run_id
    assert setup["field"] == "phi4" and setup["scene"] == "collision" and setup["frames"] == FRAMES + 1
    assert setup["vacua"] == [-1.0, 1.0] and setup["xmin"] == -60.0 and setup["xmax"] == 60.0
    assert setup["phi_lo"] < -1.9 and setup["phi_hi"] > 1.0 and not setup["has_exact"]
    assert setup["energy0"] == pytest.approx(view.model.expected_energy(), rel=1e-6)
    assert setup["expected"] == pytest.approx(view.model.expected_energy())
    np.testing.assert_allclose(setup["x"], run.x_shown, atol=1e-5)
    chunks = [m for m in page.sent if m["kind"] == "chunk"]
    assert chunks[0]["start"] == 0 and all(a["end"] == b["start"] for a, b in zip(chunks, chunks[1:]))
    assert 1 < chunks[-1]["end"] <= 1 + FIRST_CHUNK
    assert all("exact" not in c for c in chunks)                          # the phi^4 collision has none
    held = shown_run(view.player)
    assert held["run"] == run.run_id
    cards = read_cards(view.cards.object, SCENE_CARDS["collision"])
    assert cards["expected"] == f"{view.model.expected_energy():.4g}" and cards["outcome"] == "–"
    assert "φ⁴ kinks" in view.status.object


def test_a_setting_starts_a_new_run_and_the_player_gets_its_setup_and_chunks(view):
    page = Recorder(view.player)
    old = view.model.run
    view.v.value = 0.3
    run = view.model.run
    assert run is not old and run.run_id == old.run_id + 1 and run.s.v == 0.3
    replay = view.player._replay()
    assert [m["kind"] for m in replay] == ["setup", "chunk", "chunk"]
    assert all(m["run"] == run.run_id for m in replay)
    assert kind(replay[1]) == ("chunk", run.run_id, 0, 1) and replay[2]["start"] == 1
    assert replay[2]["end"] == run.frames <= 1 + FIRST_CHUNK
    assert page.last("setup")["run"] == run.run_id
    np.testing.assert_allclose(replay[2]["energy"], run.records["energy"][1:run.frames], rtol=1e-6)
    n = run.x_shown.size
    assert replay[2]["phi"].size == (replay[2]["end"] - replay[2]["start"]) * n
    # the page pulls the rest; a request for an older run computes nothing
    frames = run.frames
    view.player._handle_msg({"kind": "more", "run": run.run_id, "upto": run.frames + 50})
    assert page.last("chunk")["start"] == frames and page.last("chunk")["end"] == run.frames > frames
    frames = run.frames
    view.player._handle_msg({"kind": "more", "run": old.run_id, "upto": 300})
    assert run.frames == frames
    # a scene with a closed form sends it along
    view.model.param.update(scene="kink", potential="sine_gordon")
    run = view.model.run
    setup, *chunks = view.player._replay()
    assert setup["scene"] == "kink" and setup["field"] == "sine_gordon" and setup["has_exact"]
    assert setup["rest_dx"] is not None and setup["t_end"] == pytest.approx(run.t_end)
    assert run.t_end < view.model.t_max
    np.testing.assert_allclose(chunks[0]["exact"], run.records["exact"][0], atol=1e-5)
    assert "Lorentz contracted" in view.status.object and "The run stops at t = 58.3" in view.status.object


def test_the_closed_form_checkbox_reaches_the_player(view):
    assert view.player.exact
    view.exact.value = False
    assert view.player.exact is False and view.model.exact is False
    run = view.model.run
    view.exact.value = True
    assert view.model.run is run                                         # no new run for the drawing


def test_the_end_of_a_collision_fills_the_cards(view):
    page = Recorder(view.player)
    run = view.model.run
    while not run.done:
        view.player._handle_msg({"kind": "more", "run": run.run_id, "upto": run.frames + 120})
    assert page.last("chunk")["done"] and page.last("chunk")["end"] == FRAMES + 1
    view.player._handle_msg({"kind": "ended", "run": run.run_id})
    cards = read_cards(view.cards.object, SCENE_CARDS["collision"])
    m = view.model
    assert cards["expected"] == f"{m.expected_energy():.4g}" == "1.933"
    assert cards["energy"] == f"{run.energy0:.4g}"
    assert number(cards["drift"]) == pytest.approx(run.energy_drift(), rel=0.05) and 1e-5 < run.energy_drift() < 1e-3
    assert cards["outcome"] == "stuck together: a bion" and cards["v_out"] == "0"
    view.model.v = 0.21                                                  # a bion that dips below -1 at the end
    view._show_cards(view.model.run.finish())
    assert read_cards(view.cards.object, SCENE_CARDS["collision"])["outcome"] == "stuck together: a bion"
    view.model.v = 0.3
    run = view.model.run.finish()
    view._show_cards(run)
    cards = read_cards(view.cards.object, SCENE_CARDS["collision"])
    assert cards["outcome"] == "bounced apart" and cards["v_out"] == f"{run.outgoing()['v_out']:.3g}"
    assert 0.13 < float(cards["v_out"]) < 0.15
    view.model.param.update(potential="sine_gordon", v=0.5, t_max=60.0)
    run = view.model.run.finish()
    view._show_cards(run)
    cards = read_cards(view.cards.object, SCENE_CARDS["collision"])
    assert cards["outcome"] == "passed through each other" and cards["v_out"] == "0.5"
    view.model.param.update(potential="phi4", v=0.22, t_max=20.0)
    view._show_cards(view.model.run.finish())
    assert read_cards(view.cards.object, SCENE_CARDS["collision"])["outcome"] == "not met yet: make the run longer"


def test_the_cards_of_the_other_scenes(view):
    m = view.model
    m.param.update(scene="kink", potential="phi4", boost=0.6)
    run = m.run.finish()
    view._show_cards(run)
    cards = read_cards(view.cards.object, SCENE_CARDS["kink"])
    assert cards["speed"] == f"{run.kink_speed():.4g}" and float(cards["speed"]) == pytest.approx(0.6, rel=0.01)
    assert float(cards["length"]) == pytest.approx(0.8, rel=0.01)
    assert cards["expected"] == f"{1.25 * 2 * math.sqrt(2) / 3:.4g}"
    assert "relativity says 1/γ = 0.8" in view.cards.object

    m.param.update(scene="breather", omega=0.5)
    run = m.run.finish()
    view._show_cards(run)
    cards = read_cards(view.cards.object, SCENE_CARDS["breather"])
    assert float(cards["period"]) == pytest.approx(4 * math.pi, rel=1e-3) and cards["expected"] == "13.86"
    assert "2π/ω = 12.57" in view.cards.object

    m.param.update(scene="packet", k0=1.0, mass=1.0)
    run = m.run.finish()
    view._show_cards(run)
    cards = read_cards(view.cards.object, SCENE_CARDS["packet"])
    assert float(cards["v_group"]) == pytest.approx(1 / math.sqrt(2), rel=0.01)
    assert cards["v_phase"] == f"{math.sqrt(2):.4g}"
    assert number(cards["drift"]) == pytest.approx(run.energy_drift(), rel=0.05)
    m.k0 = 0.0
    view._show_cards(None)
    assert read_cards(view.cards.object, SCENE_CARDS["packet"])["v_phase"] == "∞"


def test_a_run_that_blows_up_tells_the_page(view):
    page = Recorder(view.player)
    run = view.model.run
    run.sim._u[:] = np.nan
    view.player._handle_msg({"kind": "more", "run": run.run_id, "upto": run.frames + 50})
    assert run.done and run.error
    error = page.last("error")
    assert error["run"] == run.run_id and error["text"] == run.error
    assert page.last("chunk")["done"]


def canned_outcome(v: float) -> dict:
    """A stand-in for scan_point with every kind of outcome (the real scan takes ~20 s on the NumPy path)."""
    if 0.19 <= v < 0.2:
        return {"v_in": v, "v_out": v / 2, "escaped": True, "bounces": 2, "t_end": 100.0}
    if 0.2 <= v < 0.21:
        return {"v_in": v, "v_out": v / 3, "escaped": True, "bounces": 4, "t_end": 100.0}
    if v >= 0.26:
        return {"v_in": v, "v_out": v - 0.2, "escaped": True, "bounces": 1, "t_end": 100.0}
    return {"v_in": v, "v_out": 0.0, "escaped": False, "bounces": 9, "t_end": 100.0}


def test_the_scan_fills_its_101_points_sorted_by_outcome(view, monkeypatch):
    monkeypatch.setattr(view_module, "scan_point", canned_outcome)
    view.main()
    view.load_secondary()
    assert any(o is view.scan_box for o in view.layout)
    assert view.now_span.location == 0.22
    view.model.v = 0.3
    assert view.now_span.location == 0.3
    assert not view.scan_slice(0.0) and view._scanned == 1                # one point at a time, at least
    assert view.scan_progress.object == "1 of 101 collisions"
    view.start_scan()                                                     # outside a server: all at once
    assert view.scan_button.disabled and view._scanned == len(SCAN_SPEEDS) == 101
    assert view.scan_progress.object == "All 101 collisions computed."
    data = {key: src.data for key, src in view.scan_src.items()}
    assert sorted(v for d in data.values() for v in d["v"]) == sorted(SCAN_SPEEDS)
    speeds = np.array(SCAN_SPEEDS)
    expected = {"one": speeds[speeds >= 0.26], "two": speeds[(speeds >= 0.19) & (speeds < 0.2)],
                "more": speeds[(speeds >= 0.2) & (speeds < 0.21)],
                "trapped": speeds[(speeds < 0.19) | ((speeds >= 0.21) & (speeds < 0.26))]}
    for key, d in data.items():
        np.testing.assert_array_equal(d["v"], expected[key], err_msg=key)
        np.testing.assert_array_equal(d["out"], [canned_outcome(v)["v_out"] for v in expected[key]])
    assert sum(map(len, expected.values())) == 101 and all(len(e) for e in expected.values())


def test_the_scan_sorts_real_collisions(view):
    """A few real points of the scan (scan_point, the physics' collision_outcome) go where they belong."""
    where = {0.2: "two", 0.205: "more", 0.21: "trapped", 0.3: "one"}
    for v in where:
        view._scanned = int(np.argmin(np.abs(np.array(SCAN_SPEEDS) - v)))
        view.scan_slice(0.0)
    for v, key in where.items():
        data = view.scan_src[key].data
        assert list(data["v"]) == pytest.approx([v]), key
        assert data["out"][0] == scan_point(v)["v_out"]
    assert data["out"][0] == pytest.approx(0.1387, abs=2e-3)            # v = 0.3: one bounce, slower out
    assert view.scan_src["trapped"].data["out"] == [0.0]


class FakeCallback:
    """Stands in for the periodic callback a served session gets."""

    def __init__(self):
        self.running = False

    def start(self):
        self.running = True

    def stop(self):
        self.running = False


def test_a_served_scan_goes_a_slice_at_a_time_and_stop_stops_it(view, monkeypatch):
    made = []

    def add_periodic_callback(callback, period, start=True):
        assert callback == view._scan_tick and period > 0 and not start
        made.append(FakeCallback())
        return made[-1]

    monkeypatch.setattr(pn.state, "add_periodic_callback", add_periodic_callback)
    monkeypatch.setattr(view_module, "SCAN_SLICE_S", 0.0)                # one point a tick
    monkeypatch.setattr(view_module, "scan_point", canned_outcome)
    with set_curdoc(types.SimpleNamespace(session_context=object())):     # as in a served page
        view.start_scan()
    assert len(made) == 1 and made[0].running and view._scanned == 0 and view.scan_button.disabled
    view._scan_tick()
    view._scan_tick()
    assert view._scanned == 2 and made[0].running
    assert view.scan_progress.object == "2 of 101 collisions"
    view.stop()
    assert not made[0].running and view.model.run is None
    assert view._scanned == 2                                            # nothing more is computed
    with set_curdoc(types.SimpleNamespace(session_context=object())):
        view.start_scan()                                                # again: the same callback goes on
    assert len(made) == 1 and made[0].running
    while made[0].running:
        view._scan_tick()
    assert view._scanned == 101 and view.scan_progress.object == "All 101 collisions computed."
