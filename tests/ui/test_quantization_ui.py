"""The Quantization lesson in a headless Chromium: read-out cards, the bit slider, the Schrödinger player, URL.

Hooks: the read-out cards (``div.ql-card[data-q=...] b``), the bit slider (noUiSlider, by its title),
the player's ``data-*`` attributes (``run``, ``playing``, ``time``) and its read-outs (``.ql-norm``),
the notice alert and the address bar.  Every expected number comes from
:class:`lessons.quantization.model.QuantizationModel` for the page's settings, or from :mod:`physics`.
"""
from __future__ import annotations

import functools
import re
from functools import partial
from urllib.parse import urlsplit

import numpy as np
import pytest
from playwright.sync_api import Locator, Page, expect

from lessons.quantization.model import QuantizationModel
from physics import digits as dg
from physics import lowprec as lp
from physics import quantize as qz
from tests.ui.conftest import PlayerPage, open_pages

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
BITS = "Bits per value"


@functools.lru_cache(maxsize=None)
def model_for(query: tuple[tuple[str, str], ...] = ()) -> QuantizationModel:
    """The model a session opened with ``query`` holds."""
    return QuantizationModel.from_query(dict(query))


def accuracy_text(model: QuantizationModel) -> str:
    return f"{100 * model.accuracy_now()['quantized']:.1f} %"


class QuantPage(PlayerPage):
    """The Quantization lesson in one browser page."""

    def __init__(self, page: Page):
        super().__init__(page, "div.ql-psi")
        self.play_button = self.player.locator("button.ql-play")
        self.notice = page.locator("div.alert-warning")

    def open(self, query: str = "") -> "QuantPage":
        self.page.goto("/quantization" + query)
        expect(self.card("quantized")).to_have_text(re.compile(r"^\d+\.\d %$"))
        return self

    def tab(self, name: str) -> Locator:
        return self.page.locator(".bk-tab").filter(has_text=re.compile("^" + re.escape(name) + "$"))

    def wait_accuracy(self, model: QuantizationModel, what: str) -> None:
        expected = accuracy_text(model)
        self.wait_until(lambda: self.card("quantized").inner_text().strip() == expected,
                        f"the accuracy card reads {expected} ({what})")



@pytest.fixture
def quant_factory(new_context):
    yield from open_pages(new_context, QuantPage)


@pytest.fixture
def quant(quant_factory) -> QuantPage:
    return quant_factory("")


def test_loads_clean_with_the_model_numbers_and_nothing_from_other_hosts(quant):
    model = model_for()
    # the default: 4-bit integers per channel, straight from the physics
    net = dg.trained_network(0)
    direct = dg.accuracy(net, partial(qz.uniform, bits=4, granularity="channel"))
    assert accuracy_text(model) == f"{100 * direct:.1f} %"
    expect(quant.card("quantized")).to_have_text(accuracy_text(model))
    expect(quant.card("float")).to_have_text(f"{100 * dg.accuracy(net):.1f} %")
    expect(quant.card("storage")).to_have_text("4.5")
    expect(quant.notice).to_be_hidden()
    assert quant.slider_value(BITS) == 4

    # the lesson text and the teacher notes arrive after the first paint, as tabs that open
    for name in ("Lesson", "Teacher notes"):
        expect(quant.tab(name)).to_be_visible()
        quant.tab(name).click()
        expect(quant.tab(name)).to_have_class(re.compile(r"\bbk-active\b"))
    expect(quant.page.locator(".bk-tab")).to_have_count(6)
    quant.page.wait_for_load_state("networkidle")

    watch = quant.watch
    requests = watch.requests + watch.websockets
    assert any("/quantization" in url for url in requests)
    assert any(url.startswith("ws") for url in watch.websockets), watch.websockets
    foreign = sorted({url for url in requests if urlsplit(url).scheme not in ("blob", "data")
                      and urlsplit(url).hostname not in LOCAL_HOSTS})
    assert foreign == [], f"requests to other hosts: {foreign}"
    assert watch.bad_responses == [], f"failed requests: {watch.bad_responses}"
    watch.assert_no_errors()


def test_the_bit_slider_changes_the_accuracy_and_the_link(quant):
    quant.press_on_slider(BITS, "ArrowRight", 1)
    quant.wait_until(lambda: quant.slider_value(BITS) == 5, "the slider reads 5")
    quant.wait_until(lambda: quant.query_number("bits") == 5, "the URL has bits=5")
    quant.wait_accuracy(model_for((("bits", "5"),)), "5 bits")
    expect(quant.card("storage")).to_have_text("5.5")

    # down to 2 bits: the collapse (most of W1 rounds to 0)
    quant.press_on_slider(BITS, "ArrowLeft", 3)
    quant.wait_until(lambda: quant.query_number("bits") == 2, "the URL has bits=2")
    two = model_for((("bits", "2"),))
    net = dg.trained_network(0)
    q2 = partial(qz.uniform, bits=2, granularity="channel")
    assert accuracy_text(two) == f"{100 * dg.accuracy(net, q2):.1f} %"
    quant.wait_accuracy(two, "2 bits")
    expect(quant.card("kernel")).to_have_text(f"{100 * np.mean(q2(net.W1) == 0):.1f} %")
    assert quant.slider_value(BITS) == 2
    quant.watch.assert_no_errors()


def test_the_schroedinger_tab_plays_the_run_and_space_pauses(quant):
    quant.tab("Schrödinger memory").click()
    quant.wait_player("+d.dataset.run >= 1", timeout=60_000)
    expect(quant.player).to_have_attribute("data-playing", "1")           # it plays by itself
    expect(quant.play_button).to_contain_text("Pause")
    quant.wait_player("+d.dataset.time > 0.5")

    quant.player.focus()
    quant.page.keyboard.press(" ")
    expect(quant.player).to_have_attribute("data-playing", "0", timeout=3_000)
    expect(quant.play_button).to_contain_text("Play")
    paused = quant.player.evaluate("d => [d.dataset.time, d.querySelector('b.ql-norm').textContent]")
    quant.page.wait_for_timeout(800)
    assert quant.player.evaluate("d => [d.dataset.time, d.querySelector('b.ql-norm').textContent]") == paused

    # the norm shown is the quantized run's at that time (4-bit integers per channel, nearest)
    run = lp.stored_run(partial(qz.uniform, bits=4, granularity="channel"), steps=2000)
    t = float(paused[0])
    assert 0.5 < t < run.times[-1]
    j = int(round(t / run.times[-1] * (run.times.size - 1)))
    shown = float(paused[1])
    candidates = run.norm[max(0, j - 1):j + 2]
    rtol = 6e-3 if "e" in paused[1] else 2e-4            # 1.2346e+4 or 4 decimals
    assert shown > 1 and np.any(np.isclose(candidates, shown, rtol=rtol, atol=1e-4)), (paused, candidates)

    # space plays again
    quant.page.keyboard.press(" ")
    expect(quant.player).to_have_attribute("data-playing", "1", timeout=3_000)
    quant.wait_player(f"+d.dataset.time > {t + 0.3}")
    quant.watch.assert_no_errors()


def test_a_new_run_keeps_playing(quant):
    # the server sends a run's setup, computes it, then sends its data: a run clock ticking in
    # between must not find the new run "ended" and stop (it did, on about half the moves)
    quant.tab("Schrödinger memory").click()
    quant.wait_player("+d.dataset.run >= 1", timeout=60_000)
    expect(quant.player).to_have_attribute("data-playing", "1")
    handle = quant.slider("Bits per value").locator(".noUi-handle")
    stopped = 0
    for i in range(8):
        run = int(quant.player.get_attribute("data-run"))
        handle.focus()
        quant.page.keyboard.press("ArrowRight" if i % 4 < 2 else "ArrowLeft")
        quant.wait_player(f"+d.dataset.run > {run}")
        quant.page.wait_for_timeout(400)
        stopped += quant.player.get_attribute("data-playing") == "0"
        if quant.player.get_attribute("data-playing") == "0":
            quant.play_button.click()
    assert stopped == 0, f"{stopped} of 8 new runs stopped the animation"
    quant.watch.assert_no_errors()


def test_bad_link_is_clamped_shown_as_text_and_the_page_works(quant_factory):
    query = (("bits", "99"), ("format", "<script>"), ("clip", "abc"))
    quant = quant_factory("?" + "&".join(f"{k}={v}" for k, v in query))
    model = model_for(query)
    assert (model.bits, model.fmt, model.clip) == (16, "int", 1.0) and len(model.notices) == 3
    expect(quant.notice).to_be_visible()
    expect(quant.notice).to_contain_text("Some settings in the link were corrected")
    for notice in model.notices:
        expect(quant.notice).to_contain_text(notice)
    expect(quant.notice).to_contain_text("'bits=99' is above the largest allowed value: clamped to 16.")
    expect(quant.notice.locator("script")).to_have_count(0)
    quant.page.wait_for_timeout(300)
    assert quant.watch.dialogs == [], "a script from the link ran"

    assert quant.slider_value(BITS) == 16
    quant.wait_accuracy(model, "16 bits")
    quant.wait_until(lambda: quant.query_number("bits") == 16 and quant.query().get("format") == ["int"]
                     and quant.query_number("clip") == 1, "the URL is cleaned")
    assert "script" not in quant.page.url and "abc" not in quant.page.url

    # and the page still works: the slider moves the numbers
    quant.press_on_slider(BITS, "ArrowLeft", 13)
    quant.wait_until(lambda: quant.query_number("bits") == 3, "the URL has bits=3")
    quant.wait_accuracy(model_for((("bits", "3"),)), "3 bits")
    quant.watch.assert_no_errors()
