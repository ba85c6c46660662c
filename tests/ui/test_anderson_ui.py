"""The Anderson lesson in a headless Chromium: a run plays to its end and fills the cards, a slider
and a scene start new runs and keep the link, the log axis redraws, a bad link is clamped.

Hooks: the player's ``data-*`` attributes (``run``, ``frame``, ``frames``, ``done``, ``playing``), its
read-outs (``b.ql-spread``, ``b.ql-pr``, ``b.ql-norm``), the cards (``div.ql-card[data-q=...] b``), the
alerts and the address bar.  Expected numbers come from :class:`lessons.anderson.model.AndersonModel`
computed here the way the server does (runs are deterministic for their settings).
"""
from __future__ import annotations

import functools
import math
import re

import pytest
from playwright.sync_api import Page, expect

from lessons.anderson.model import AndersonModel
from tests.ui.conftest import PlayerPage, open_pages

pytestmark = pytest.mark.browser

SHORT = "?t=20&n=300"


@functools.lru_cache(maxsize=None)
def finished(query: tuple[tuple[str, str], ...]):
    return AndersonModel.from_query(dict(query)).full_run()


class AndersonPage(PlayerPage):
    def __init__(self, page: Page):
        super().__init__(page, "div.ql-lattice")
        self.notice = page.locator("div.alert-warning")

    def open(self, query: str = "") -> "AndersonPage":
        self.page.goto("/anderson" + query)
        expect(self.card("xi")).to_have_text(re.compile(r"^[\d.e+∞]+$"))
        self.wait_player("Number(d.dataset.frames || 0) > 0")
        return self

    def wait_end(self) -> None:
        self.player.locator("select.ql-speed").select_option("2")
        self.wait_pulled_run_end()


@pytest.fixture
def anderson_factory(new_context):
    yield from open_pages(new_context, AndersonPage)


def test_a_run_plays_to_its_end_and_fills_the_cards(anderson_factory):
    lesson = anderson_factory(SHORT)
    run = finished((("t", "20"), ("n", "300")))
    assert lesson.data("playing") == "1"
    lesson.wait_end()
    assert int(lesson.data("frames")) == run.frames
    spread = math.sqrt(run.records["msd"][-1])
    lesson.wait_until(lambda: lesson.readout("spread") == f"{spread:.1f}", "the last frame's spread is shown")
    assert lesson.readout("pr") == f"{run.records['pr'][-1]:.1f}"
    lesson.wait_until(lambda: lesson.card("exponent").inner_text() == f"{run.exponent():.2g}", "the exponent card")
    lesson.watch.assert_no_errors()


def test_a_slider_and_a_scene_start_new_runs_and_the_link_follows(anderson_factory):
    lesson = anderson_factory(SHORT)
    run_id = int(lesson.data("run"))
    lesson.press_on_slider("Disorder W", "ArrowLeft", 5)
    lesson.wait_player(f"Number(d.dataset.run) > {run_id} && Number(d.dataset.frames) > 0")
    lesson.wait_until(lambda: lesson.query_number("W") == pytest.approx(1.5), "the link has W=1.5")
    scene = lesson.page.locator("select").filter(has=lesson.page.locator("option", has_text="Moving lattice"))
    scene.select_option(label="Moving lattice: trapped, then diffusing")
    lesson.wait_until(lambda: lesson.query().get("scene") == ["vibrating"], "the link has scene=vibrating")
    assert lesson.slider_value("Vibration amplitude A") == 1.5


def test_the_log_axis_redraws_and_a_bad_link_is_clamped(anderson_factory):
    lesson = anderson_factory("?t=20&n=99999&W=abc")
    expect(lesson.notice).to_be_visible()
    expect(lesson.notice).to_contain_text("n=99999")
    assert lesson.slider_value("Sites N") == 2000
    before = lesson.player.locator("canvas").screenshot()
    lesson.player.locator("button.ql-play").click()                # pause, so the picture holds still
    lesson.page.get_by_role("button", name=re.compile("log₁₀")).click()
    lesson.wait_until(lambda: lesson.query().get("scale") == ["log"], "the link has scale=log")
    assert lesson.player.locator("canvas").screenshot() != before
    lesson.watch.assert_no_errors()
