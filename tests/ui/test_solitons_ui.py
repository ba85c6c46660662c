"""The Solitons lesson in a headless Chromium: a run plays to its end and fills the cards, a slider
and a scene start new runs and keep the link, a bad link is clamped, the scan fills its figure.

Hooks: the player's ``data-*`` attributes (``run``, ``frame``, ``frames``, ``done``, ``playing``), its
read-outs (``b.ql-energy``, ``b.ql-drift``), the cards (``div.ql-card[data-q=...] b``), the scan's
button and progress line, the scan figure's ColumnDataSources (``v``, ``out``), the alerts and the
address bar.  Expected numbers come from :class:`lessons.solitons.model.SolitonsModel` computed here
the way the server does (runs are deterministic for their settings).
"""
from __future__ import annotations

import functools
import math
import re

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from lessons.solitons.model import FRAMES, SCAN_SPEEDS, SolitonsModel
from tests.ui.conftest import PlayerPage, open_pages

pytestmark = pytest.mark.browser

SHORT = "?t=20"

#: The scan figure's points: per ColumnDataSource holding exactly ``v`` and ``out``, its length.
SCAN_JS = """() => {
  const found = []
  for (const doc of Bokeh.documents) {
    const models = doc._all_models instanceof Map ? [...doc._all_models.values()] : [...doc.all_models]
    for (const m of models) {
      if (m.type !== 'ColumnDataSource') continue
      const d = m.data, keys = d instanceof Map ? [...d.keys()] : Object.keys(d)
      const get = k => d instanceof Map ? d.get(k) : d[k]
      if (keys.length === 2 && keys.includes('v') && keys.includes('out')) found.push(get('v').length)
    }
  }
  return found
}"""


@functools.lru_cache(maxsize=None)
def finished(query: tuple[tuple[str, str], ...]):
    model = SolitonsModel.from_query(dict(query))
    return model, model.full_run()


def fixed(value: float, digits: int = 4) -> str:
    """A player read-out: the float32 it was sent, with ``digits`` decimals (fmt in lessons/common/pieces.js)."""
    return f"{float(np.float32(value)):.{digits}f}"


class SolitonsPage(PlayerPage):
    def __init__(self, page: Page):
        super().__init__(page, "div.ql-field")
        self.notice = page.locator("div.alert-warning")

    def open(self, query: str = "") -> "SolitonsPage":
        self.page.goto("/solitons" + query)
        expect(self.card("energy")).to_have_text(re.compile(r"^\d+\.\d+$"))
        self.wait_player("Number(d.dataset.frames || 0) > 0")
        return self

    def wait_end(self) -> None:
        self.player.locator("select.ql-speed").select_option("2")
        self.wait_pulled_run_end(timeout=90_000)


@pytest.fixture
def solitons_factory(new_context):
    yield from open_pages(new_context, SolitonsPage)


def test_a_run_plays_to_its_end_and_fills_the_cards(solitons_factory):
    lesson = solitons_factory(SHORT)
    model, run = finished((("t", "20"),))
    assert lesson.data("playing") == "1"
    lesson.wait_end()
    assert int(lesson.data("frames")) == run.frames == FRAMES + 1
    lesson.wait_until(lambda: lesson.readout("energy") == fixed(run.records["energy"][-1]),
                      "the last frame's energy is shown")
    assert lesson.readout("drift") != "–"
    expect(lesson.card("expected")).to_have_text(f"{model.expected_energy():.4g}")
    expect(lesson.card("energy")).to_have_text(f"{run.energy0:.4g}")
    # at t = 20 the kinks (10 apart from the middle, at 0.22 each) have not met yet
    expect(lesson.card("outcome")).to_have_text("not met yet: make the run longer", timeout=60_000)
    expect(lesson.card("drift")).not_to_have_text("–")
    assert lesson.card("v_out").inner_text() == "–"
    lesson.watch.assert_no_errors()


def test_a_moving_kink_run_fills_its_speed_and_contraction(solitons_factory):
    lesson = solitons_factory("?scene=kink&V=sine_gordon&boost=0.8&t=20")
    model, run = finished((("scene", "kink"), ("V", "sine_gordon"), ("boost", "0.8"), ("t", "20")))
    lesson.wait_end()
    speed = lesson.card("speed")
    expect(speed).to_have_text(f"{run.kink_speed():.4g}", timeout=60_000)
    assert float(speed.inner_text()) == pytest.approx(0.8, rel=0.01)
    length = float(lesson.card("length").inner_text())
    assert length == pytest.approx(math.sqrt(1 - 0.8 ** 2), rel=0.01)
    expect(lesson.card("expected")).to_have_text(f"{8 / 0.6:.4g}")
    lesson.watch.assert_no_errors()


def test_a_slider_and_a_scene_start_new_runs_and_the_link_follows(solitons_factory):
    lesson = solitons_factory(SHORT)
    run_id = int(lesson.data("run"))
    assert lesson.slider_value("Speed of each kink v") == 0.22
    lesson.press_on_slider("Speed of each kink v", "ArrowRight", 4)
    lesson.wait_player(f"Number(d.dataset.run) > {run_id} && Number(d.dataset.frames) > 0")
    lesson.wait_until(lambda: lesson.query_number("v") == pytest.approx(0.23), "the link has v=0.23")
    gamma = 1 / math.sqrt(1 - 0.23 ** 2)
    expect(lesson.card("expected")).to_have_text(f"{2 * gamma * 2 * math.sqrt(2) / 3:.4g}")
    run_id = int(lesson.data("run"))
    scene = lesson.page.locator("select").filter(has=lesson.page.locator("option", has_text="One moving kink"))
    scene.select_option(label="One moving kink")
    lesson.wait_until(lambda: lesson.query().get("scene") == ["kink"], "the link has scene=kink")
    lesson.wait_player(f"Number(d.dataset.run) > {run_id} && Number(d.dataset.frames) > 0")
    expect(lesson.slider("Kink speed v")).to_be_visible()
    expect(lesson.slider("Speed of each kink v")).to_be_hidden()
    assert lesson.slider_value("Kink speed v") == 0.6
    expect(lesson.card("speed")).to_be_attached()
    lesson.watch.assert_no_errors()


def test_a_bad_link_is_clamped_with_a_notice(solitons_factory):
    lesson = solitons_factory("?t=20&v=5&scene=warp&omega=abc")
    expect(lesson.notice).to_be_visible()
    expect(lesson.notice).to_contain_text("v=5")
    expect(lesson.notice).to_contain_text("scene=warp")
    assert lesson.slider_value("Speed of each kink v") == 0.9
    gamma = 1 / math.sqrt(1 - 0.9 ** 2)
    expect(lesson.card("expected")).to_have_text(f"{2 * gamma * 2 * math.sqrt(2) / 3:.4g}")
    lesson.wait_until(lambda: lesson.query_number("v") == pytest.approx(0.9), "the link has the clamped v=0.9")
    lesson.watch.assert_no_errors()


def test_the_scan_button_fills_the_scan_figure(solitons_factory):
    lesson = solitons_factory(SHORT)
    button = lesson.page.get_by_role("button", name="Scan the speeds")
    button.scroll_into_view_if_needed(timeout=60_000)
    assert sum(lesson.page.evaluate(SCAN_JS)) == 0
    button.click()
    expect(lesson.page.get_by_text("All 101 collisions computed.")).to_be_visible(timeout=180_000)
    lesson.wait_until(lambda: sum(lesson.page.evaluate(SCAN_JS)) == len(SCAN_SPEEDS), "the scan's 101 points are drawn",
                      timeout=30_000)
    sizes = lesson.page.evaluate(SCAN_JS)
    assert len(sizes) == 4 and sum(1 for n in sizes if n) >= 3          # one bounce, two bounces, trapped (at least)
    expect(button).to_be_disabled()
    lesson.watch.assert_no_errors()


def test_gallery_card_shows_the_picture_and_opens_the_lesson(solitons_factory):
    lesson = solitons_factory(None)
    page = lesson.page
    page.goto("/")
    card = page.locator("a.ql-card").filter(has_text="Solitons: kinks that move like particles")
    expect(card).to_have_count(1)
    assert card.get_attribute("href") == "./solitons"
    image = card.locator("img")
    assert image.get_attribute("src") == "./assets/solitons.svg"
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    response = page.request.get("/assets/solitons.svg")
    assert response.status == 200 and "svg" in response.headers.get("content-type", ""), response.headers
    # after anderson (order 25), before the spin battery (30)
    hrefs = [a.get_attribute("href") for a in page.locator("a.ql-card").all()]
    assert hrefs.index("./anderson") + 1 == hrefs.index("./solitons") == hrefs.index("./spin_battery") - 1
    assert lesson.watch.bad_responses == [], lesson.watch.bad_responses
    lesson.settle()
    card.click()
    expect(page).to_have_url(re.compile(r"/solitons(\?.*)?$"))
    lesson.wait_player("Number(d.dataset.frames || 0) > 0")
    lesson.watch.assert_no_errors()
