"""The Spin-battery lesson in a headless Chromium: read-out cards, sliders, map marker, charging, URL.

Hooks: the read-out cards (``div.ql-card[data-q=...] b``), the Bokeh document in the page (the
map's marker is the only ColumnDataSource whose data are exactly one point ``x``, ``y``), the
charging player's ``data-*`` attributes (``run``, ``playing``, ``time``) and its DOM read-outs
(``.ql-E``, ``.ql-W``, ``.ql-Wloc``, ``.ql-P``), the alerts and the address bar.  Every expected
number comes from :class:`lessons.spin_battery.model.SpinBatteryModel`, computed here the way the
server does.
"""
from __future__ import annotations

import functools
import re
import time
from urllib.parse import urlsplit

import numpy as np
import pytest
from playwright.sync_api import Locator, Page, expect

from lessons.spin_battery.model import SpinBatteryModel
from tests.ui.conftest import PlayerPage, open_pages

pytestmark = pytest.mark.browser

NUMBER = r"(-?\d+(?:\.\d+)?)"
CARD_KEYS = ("ergotropy", "capacity", "stored", "coherent", "coherence", "concurrence")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}

#: The map's marker: the one ColumnDataSource holding exactly x and y, one point.  Also reports how
#: many there are, so a second one (which would make this hook ambiguous) fails the test.
MARKER_JS = """() => {
  const found = []
  for (const doc of Bokeh.documents) {
    const models = doc._all_models instanceof Map ? [...doc._all_models.values()] : [...doc.all_models]
    for (const m of models) {
      if (m.type !== 'ColumnDataSource') continue
      const d = m.data, keys = d instanceof Map ? [...d.keys()] : Object.keys(d)
      const get = k => d instanceof Map ? d.get(k) : d[k]
      if (keys.length === 2 && keys.includes('x') && keys.includes('y') && get('x').length === 1)
        found.push([Number(get('x')[0]), Number(get('y')[0])])
    }
  }
  return found
}"""

#: The map's image array in the page: tag it, or read the tag back (a recomputed map is a new array).
MAP_IMAGE_JS = """(tag) => {
  for (const doc of Bokeh.documents) {
    const models = doc._all_models instanceof Map ? [...doc._all_models.values()] : [...doc.all_models]
    for (const m of models) {
      if (m.type !== 'ColumnDataSource') continue
      const d = m.data, image = d instanceof Map ? d.get('image') : d.image
      if (!image) continue
      if (tag) image[0].__qlTag = tag
      return {tag: image[0].__qlTag ?? null, size: image[0].length}
    }
  }
  return null
}"""


@functools.lru_cache(maxsize=None)
def model_for(query: tuple[tuple[str, str], ...] = ()) -> SpinBatteryModel:
    """The model a session opened with ``query`` holds."""
    return SpinBatteryModel.from_query(dict(query))


def card_text(value: float) -> str:
    return f"{value:.4f}"


class BatteryPage(PlayerPage):
    """The Spin-battery lesson in one browser page: locators and read-outs used by the tests."""

    def __init__(self, page: Page):
        super().__init__(page, "div.ql-charge")
        self.play_button = self.player.locator("button.ql-play")
        self.restart_button = self.player.locator("button.ql-restart")
        self.speed = self.player.locator("select.ql-speed")
        self.notice = page.locator("div.alert-warning")
        self.map_note = page.locator("div.alert-info")
        self.preset_select = page.locator("select").filter(
            has=page.locator("option", has_text="XYZ antiferromagnet"))

    def open(self, query: str = "") -> "BatteryPage":
        self.page.goto("/spin_battery" + query)
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        """The cards show numbers and the text tabs have been added (after the player said ready)."""
        expect(self.card("ergotropy")).to_have_text(re.compile("^" + NUMBER + "$"))
        expect(self.tab("Lesson")).to_be_visible()

    def tab(self, name: str) -> Locator:
        return self.page.locator(".bk-tab").filter(has_text=re.compile("^" + re.escape(name) + "$"))

    # -- server read-outs (the cards: PlayerPage.card) --
    def cards(self) -> dict[str, str]:
        return {key: self.card(key).inner_text().strip() for key in CARD_KEYS}

    def wait_cards(self, model: SpinBatteryModel, what: str) -> None:
        r = model.readouts()
        expected = {key: card_text(r[key]) for key in CARD_KEYS}
        self.wait_until(lambda: self.cards() == expected, f"the cards show {expected} ({what})")

    # -- the map, from the Bokeh document in the page --
    def marker(self) -> tuple[float, float]:
        found = self.page.evaluate(MARKER_JS)
        assert len(found) == 1, f"expected one marker source, found {found}"
        return tuple(found[0])

    def tag_map(self, tag: str) -> dict:
        return self.page.evaluate(MAP_IMAGE_JS, tag)

    def map_tag(self) -> str | None:
        info = self.page.evaluate(MAP_IMAGE_JS, None)
        assert info is not None, "no map image source in the page"
        return info["tag"]

    # -- the player --
    def time(self) -> float:
        return float(self.data("time"))

    def readouts(self) -> dict[str, str]:
        """The player's read-outs and its time, read in one JS task."""
        return self.player.evaluate(
            "d => ({time: d.dataset.time, E: d.querySelector('b.ql-E').textContent,"
            " W: d.querySelector('b.ql-W').textContent, Wloc: d.querySelector('b.ql-Wloc').textContent,"
            " P: d.querySelector('b.ql-P').textContent, playing: d.dataset.playing})")

    # -- widgets --
    def preset_label(self) -> str:
        return self.preset_select.evaluate("s => s.options[s.selectedIndex].text")


@pytest.fixture
def battery_factory(new_context):
    """``battery_factory(query="", **context_args)``: a new browser context with the lesson open."""
    yield from open_pages(new_context, BatteryPage)


@pytest.fixture
def battery(battery_factory) -> BatteryPage:
    return battery_factory("")


# ---- the tests ------------------------------------------------------------------------------

def test_loads_clean_with_the_model_numbers_and_nothing_from_other_hosts(battery):
    model = model_for()
    r = model.readouts()
    assert card_text(r["ergotropy"]) == "1.8108"
    assert battery.cards() == {key: card_text(r[key]) for key in CARD_KEYS}
    expect(battery.notice).to_be_hidden()
    assert battery.slider_value("DM coupling D") == 0.5
    assert battery.slider_value("Temperature T") == 0.5
    assert battery.slider_value("Number of spins N") == 2
    assert battery.preset_label() == "XXX antiferromagnet (J = 1, 1, 1)"

    # the lesson text and the teacher notes arrive after the first paint, as tabs that open
    for name in ("Lesson", "Teacher notes"):
        battery.tab(name).click()
        expect(battery.tab(name)).to_have_class(re.compile(r"\bbk-active\b"))
    expect(battery.page.locator(".bk-tab")).to_have_count(5)
    battery.page.wait_for_load_state("networkidle")

    watch = battery.watch
    requests = watch.requests + watch.websockets
    assert any("/spin_battery" in url for url in requests)
    assert any(url.startswith("ws") for url in watch.websockets), watch.websockets
    foreign = sorted({url for url in requests if urlsplit(url).scheme not in ("blob", "data")
                      and urlsplit(url).hostname not in LOCAL_HOSTS})
    assert foreign == [], f"requests to other hosts: {foreign}"
    assert watch.bad_responses == [], f"failed requests: {watch.bad_responses}"
    watch.assert_no_errors()


def test_keyboard_on_the_D_slider_changes_ergotropy_and_moves_the_marker(battery):
    before = battery.cards()["ergotropy"]
    battery.tab("Maps and curves").click()
    battery.wait_until(lambda: battery.marker() == (0.5, 0.5), "the marker sits at D = 0.5, T = 0.5")
    battery.wait_until(lambda: battery.page.evaluate(MAP_IMAGE_JS, None)["size"] >= 100 * 100, "the map is drawn")
    battery.tag_map("first")

    battery.press_on_slider("DM coupling D", "ArrowRight", 10)       # 10 steps of 0.05
    battery.wait_until(lambda: battery.slider_value("DM coupling D") == pytest.approx(1.0),
                       "the slider reads 1.00")
    battery.wait_until(lambda: battery.query_number("D") == pytest.approx(1.0), "the URL has D=1")
    expected = model_for((("D", "1.0"),))
    battery.wait_cards(expected, "D = 1")
    assert battery.cards()["ergotropy"] != before
    battery.wait_until(lambda: battery.marker() == pytest.approx((1.0, 0.5), abs=1e-9),
                       "the marker moved to D = 1")
    # a move along the map's own axis moves the marker only: the same map array in the page
    assert battery.map_tag() == "first", "the map was sent again for a move along its axis"

    # K is on no axis of the D x T map: a new map arrives
    battery.press_on_slider("KSEA coupling K", "ArrowRight", 4)
    battery.wait_until(lambda: battery.query_number("K") == pytest.approx(0.4), "the URL has K=0.4")
    battery.wait_until(lambda: battery.map_tag() is None, "a new map is drawn for the new K")
    battery.wait_cards(model_for((("D", "1.0"), ("K", "0.4"))), "D = 1, K = 0.4")
    assert battery.marker() == pytest.approx((1.0, 0.5), abs=1e-9)
    battery.watch.assert_no_errors()


def test_dragging_the_temperature_slider_moves_the_marker(battery):
    battery.tab("Maps and curves").click()
    battery.wait_until(lambda: battery.marker() == (0.5, 0.5), "the marker sits at D = 0.5, T = 0.5")
    battery.drag_slider("Temperature T", 2.0, bounds=(0.0, 5.0))
    T = battery.wait_until(lambda: (v := battery.slider_value("Temperature T")) > 1.5 and v,
                           "the slider moved to about 2")
    assert T == pytest.approx(2.0, abs=0.15)
    battery.wait_until(lambda: battery.query_number("T") == pytest.approx(T), f"the URL has T={T}")
    battery.wait_until(lambda: battery.marker() == pytest.approx((0.5, T), abs=1e-6),
                       f"the marker moved to T = {T}")
    battery.wait_cards(model_for((("T", str(T)),)), f"T = {T}")
    battery.watch.assert_no_errors()


def test_charging_plays_pauses_and_shows_the_model_numbers(battery):
    run = model_for().charging()
    battery.tab("Charging").click()
    battery.wait_player("+d.dataset.run >= 1")
    expect(battery.player).to_have_attribute("data-playing", "1")         # it plays by itself
    expect(battery.play_button).to_contain_text("Pause")

    # a keyboard user: focus the animation, r restarts (and plays), space pauses
    battery.player.focus()
    battery.page.keyboard.press("r")
    expect(battery.player).to_have_attribute("data-playing", "1")
    battery.wait_player("+d.dataset.time > 0.3")
    battery.page.keyboard.press(" ")
    expect(battery.player).to_have_attribute("data-playing", "0", timeout=3_000)
    expect(battery.play_button).to_contain_text("Play")
    paused = battery.readouts()
    battery.page.wait_for_timeout(1000)
    assert battery.readouts() == paused, "the animation moved while paused"

    # the read-outs are the model's run at the time shown (3 decimals; data-time has 3 too)
    t = float(paused["time"])
    assert 0.3 < t < run["times"][-1], paused
    for key, series in (("E", "stored"), ("W", "ergotropy"), ("Wloc", "local"), ("P", "power")):
        assert re.fullmatch(NUMBER, paused[key]), paused
        expected = np.interp(t, run["times"], run[series])
        assert float(paused[key]) == pytest.approx(expected, abs=0.004), (key, paused, expected)

    # space plays again
    battery.page.keyboard.press(" ")
    expect(battery.player).to_have_attribute("data-playing", "1", timeout=3_000)
    battery.wait_player(f"+d.dataset.time > {t + 0.2}")

    # the Pause / Play button
    battery.play_button.click()
    expect(battery.player).to_have_attribute("data-playing", "0", timeout=3_000)
    t_paused = battery.time()
    battery.play_button.click()
    expect(battery.player).to_have_attribute("data-playing", "1")
    battery.wait_player(f"+d.dataset.time > {t_paused + 0.2}")

    # Restart goes back to t = 0 (read in the same JS task as the click) and plays
    after = battery.player.evaluate(
        "d => { d.querySelector('button.ql-restart').click(); return [d.dataset.time,"
        " d.querySelector('b.ql-E').textContent, d.querySelector('b.ql-P').textContent] }")
    assert after[0] == "0.000" and after[2] == "–", after
    assert float(after[1]) == pytest.approx(run["stored"][0], abs=6e-4), after
    expect(battery.player).to_have_attribute("data-playing", "1")
    battery.watch.assert_no_errors()


def test_the_run_stops_at_its_end_on_its_last_values(battery):
    run = model_for().charging()
    battery.tab("Charging").click()
    battery.wait_player("+d.dataset.run >= 1")
    battery.speed.select_option("2")
    battery.wait_player(f"d.dataset.playing === '0' && +d.dataset.time === {run['times'][-1]}", timeout=20_000)
    expect(battery.play_button).to_contain_text("Play")
    battery.watch.assert_no_errors()
    end = battery.readouts()
    assert battery.player.locator(".ql-clock").inner_text() == f"t = {run['times'][-1]:.2f}"
    assert float(end["E"]) == pytest.approx(run["stored"][-1], abs=6e-4), end
    assert float(end["W"]) == pytest.approx(run["ergotropy"][-1], abs=6e-4), end


def test_bad_link_is_clamped_shown_as_text_and_rewritten(battery_factory):
    payload = "<script>alert(1)</script>"
    battery = battery_factory(f"?D=abc&N=99&T=-1&preset={payload}")
    expect(battery.notice).to_be_visible()
    expect(battery.notice).to_contain_text("Some settings in the link were corrected")
    expect(battery.notice).to_contain_text("'D=abc' is not a number: using 0.5.")
    expect(battery.notice).to_contain_text("'N=99' is above the largest allowed value: clamped to 10.")
    expect(battery.notice).to_contain_text("'T=-1' is below the smallest allowed value: clamped to 0.")
    expect(battery.notice).to_contain_text("'preset=<script>alert(1)</scr...' is not one of")
    expect(battery.notice.locator("script")).to_have_count(0)
    battery.page.wait_for_timeout(500)
    assert battery.watch.dialogs == [], "a script from the link ran"

    assert battery.slider_value("DM coupling D") == 0.5
    assert battery.slider_value("Number of spins N") == 10
    assert battery.slider_value("Temperature T") == 0
    # the address bar is rewritten to the values in use
    battery.wait_until(lambda: battery.query_number("D") == 0.5 and battery.query_number("N") == 10
                       and battery.query_number("T") == 0 and battery.query().get("preset") == ["xxx_afm"],
                       "the URL is cleaned")
    assert "abc" not in battery.page.url and "script" not in battery.page.url

    # and the physics uses them: ten spins at T = 0
    model = model_for((("D", "abc"), ("N", "99"), ("T", "-1"), ("preset", payload)))
    assert (model.n_sites, model.T, model.D) == (10, 0.0, 0.5)
    battery.wait_cards(model, "N = 10, T = 0")
    # no maps for ten spins: a note says so
    battery.tab("Maps and curves").click()
    expect(battery.map_note).to_be_visible()
    expect(battery.map_note).to_contain_text("N = 8")
    battery.watch.assert_no_errors()


def test_a_preset_in_the_link_opens_its_couplings(battery_factory):
    battery = battery_factory("?preset=xyz_fm")
    model = model_for((("preset", "xyz_fm"),))
    assert (model.Jx, model.Jy, model.Jz) == (-1.0, -0.6, -0.3)
    assert [battery.slider_value(J) for J in ("Jx", "Jy", "Jz")] == [-1.0, -0.6, -0.3]
    assert battery.preset_label() == "XYZ ferromagnet (−1, −0.6, −0.3)"
    expect(battery.notice).to_be_hidden()
    battery.wait_cards(model, "the XYZ ferromagnet")
    battery.watch.assert_no_errors()


def test_a_link_with_several_settings_opens_them_all(battery_factory):
    query = (("D", "1.5"), ("K", "0.7"), ("T", "0.3"), ("N", "3"), ("b", "-0.4"), ("map", "B_b"),
             ("map_q", "capacity"), ("charger", "field"), ("omega", "2"))
    battery = battery_factory("?" + "&".join(f"{k}={v}" for k, v in query))
    model = model_for(query)
    assert model.notices == [] and model.n_sites == 3
    expect(battery.notice).to_be_hidden()
    battery.wait_cards(model, "the link's settings")
    assert battery.slider_value("DM coupling D") == 1.5 and battery.slider_value("Number of spins N") == 3
    battery.tab("Maps and curves").click()
    battery.wait_until(lambda: battery.marker() == pytest.approx((1.0, -0.4), abs=1e-9),
                       "the marker sits at B = 1, b = -0.4 on the B x b map")
    battery.tab("Charging").click()
    battery.wait_player("+d.dataset.run >= 1")
    expect(battery.player.locator("span.ql-note")).to_have_text("")
    # the address bar still holds the link's settings
    for name, value in query:
        if re.fullmatch(NUMBER, value):
            assert battery.query_number(name) == float(value), (name, battery.page.url)
        else:
            assert battery.query().get(name) == [value], (name, battery.page.url)
    battery.watch.assert_no_errors()


def test_choosing_a_preset_sets_the_sliders_cards_and_link(battery):
    battery.preset_select.select_option(label="XYZ antiferromagnet (1, 0.6, 0.3)")
    battery.wait_until(lambda: battery.query().get("preset") == ["xyz_afm"], "the URL has preset=xyz_afm")
    battery.wait_until(lambda: (battery.slider_value("Jx"), battery.slider_value("Jy"), battery.slider_value("Jz"))
                       == (1.0, 0.6, 0.3), "the J sliders show the preset")
    battery.wait_cards(model_for((("preset", "xyz_afm"),)), "the XYZ antiferromagnet")
    battery.watch.assert_no_errors()
