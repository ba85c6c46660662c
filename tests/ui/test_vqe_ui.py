"""The VQE lesson in a headless Chromium: the run plays, the page pulls iterates, the end shows the
results and the extrapolation, a slider starts a new run, a link sets and clamps, hide and reveal.

Hooks: the player's ``data-*`` attributes (``run``, ``frame``, ``frames``, ``done``, ``playing``) and
its read-outs (``b.ql-measured``, ``b.ql-exact``, ``b.ql-fidelity``, ``b.ql-evals``), the cards
(``div.ql-card[data-q=...] b``), the alerts and the address bar.  Expected numbers come from
:class:`lessons.vqe.model.VQEModel` computed here the way the server does (the runs are
deterministic for their settings).
"""
from __future__ import annotations

import functools
import re

import pytest
from playwright.sync_api import Page, expect

from lessons.vqe.model import VQEModel
from tests.ui.conftest import PlayerPage, open_pages

pytestmark = pytest.mark.browser

#: a short run, so that a test plays it to its end in a few seconds (speed 2x)
SHORT = "?iter=40"


@functools.lru_cache(maxsize=None)
def finished(query: tuple[tuple[str, str], ...]):
    """The finished run (and its extrapolation) a session opened with ``query`` computes."""
    run = VQEModel.from_query(dict(query)).full_run()
    return run, run.zne()


class VQEPage(PlayerPage):
    """The lesson in one browser page."""

    def __init__(self, page: Page):
        super().__init__(page, "div.ql-vqe")
        self.notice = page.locator("div.alert-warning")
        self.note = page.locator("div.alert-info")

    def open(self, query: str = "") -> "VQEPage":
        self.page.goto("/vqe" + query)
        expect(self.card("E0")).to_have_text(re.compile(r"^-?\d+\.\d{4}$"))
        self.wait_player("Number(d.dataset.frames || 0) > 0")
        return self

    def fast(self) -> None:
        self.player.locator("select.ql-speed").select_option("2")

    def wait_end(self) -> None:
        self.wait_pulled_run_end()


@pytest.fixture
def vqe_factory(new_context):
    yield from open_pages(new_context, VQEPage)


def test_a_run_plays_to_its_end_and_shows_the_results(vqe_factory):
    lesson = vqe_factory(SHORT)
    run, z = finished((("iter", "40"),))
    assert lesson.card("E0").inner_text() == f"{run.pb.E0:.4f}"
    assert lesson.data("playing") == "1"
    lesson.fast()
    lesson.wait_end()
    assert int(lesson.data("frames")) == 41
    s = run.summary()
    lesson.wait_until(lambda: lesson.readout("exact") == f"{s['exact']:.4f}", "the last iterate's E(θ) is shown")
    assert lesson.readout("fidelity") == f"{s['fidelity']:.3f}" and lesson.readout("evals") == "80"
    lesson.wait_until(lambda: lesson.card("richardson").inner_text().startswith(f"{z['richardson']:.4f}"),
                      "the Richardson card shows the extrapolation")
    expect(lesson.card("exact")).to_have_text(f"{s['exact']:.4f}")
    expect(lesson.card("nn")).to_have_text(re.compile("^" + re.escape(f"{z['nn']:.4f}") + " ± "))
    lesson.watch.assert_no_errors()


def test_the_page_pulls_a_long_run_as_it_plays(vqe_factory):
    lesson = vqe_factory("?iter=500")
    first = int(lesson.data("frames"))
    assert first < 501                                    # not all at once
    lesson.fast()
    lesson.wait_player("Number(d.dataset.frames) > %d" % (first + 20))
    lesson.player.locator("button.ql-play").click()       # pause: it stops asking
    lesson.settle(quiet=1.0)
    held = int(lesson.data("frames"))
    lesson.page.wait_for_timeout(1500)
    assert int(lesson.data("frames")) == held


def test_a_slider_starts_a_new_run_and_the_link_follows(vqe_factory):
    lesson = vqe_factory(SHORT)
    run_id = int(lesson.data("run"))
    lesson.press_on_slider("Entangling layers", "ArrowRight", 1)
    lesson.wait_player(f"Number(d.dataset.run) > {run_id} && Number(d.dataset.frames) > 0")
    lesson.wait_until(lambda: lesson.query_number("layers") == 3, "the link has layers=3")
    expect(lesson.card("exact")).to_have_text("–")


def test_a_link_sets_noise_and_shots_and_clamps_what_is_out_of_range(vqe_factory):
    lesson = vqe_factory("?iter=30&p=0.02&shots=1000&n=40&layers=1&opt=gradient")
    expect(lesson.notice).to_be_visible()
    expect(lesson.notice).to_contain_text("n=40")
    assert lesson.slider_value("Qubits n") == 8
    expect(lesson.note).to_contain_text("stops after")      # 8 noisy qubits, 2 runs per angle: capped
    lesson.fast()
    lesson.wait_end()
    lesson.watch.assert_no_errors()


def test_hidden_answers_wait_for_reveal(vqe_factory):
    lesson = vqe_factory(SHORT + "&hide=E0,fidelity")
    card = lesson.card("E0")
    assert card.evaluate("b => getComputedStyle(b).visibility") == "hidden"
    lesson.page.get_by_role("button", name=re.compile("Reveal")).click()
    lesson.wait_until(lambda: card.evaluate("b => getComputedStyle(b).visibility") == "visible", "E0 is revealed")
