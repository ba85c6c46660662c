"""The classroom layer in a headless Chromium: profiles, the page's keys, copy link, hide/reveal,
export (PNG and CSV of players and figures), lecture mode, and a name for every control.

Hooks: the header's bar (``.ql-classroom``: ``select.ql-profile``, ``button.ql-copy``,
``button.ql-reveal``, ``button.ql-lecture``, ``dialog.ql-help``), the players' roots
(``[data-ql-player]`` with ``data-playing``/``data-frame``/``data-time``), the read-outs
(``b.ql-<key>``, ``div.ql-card[data-q=key] b``) and Bokeh's tool buttons (by their titles).
Expected numbers come from the lesson models and :mod:`physics`.
"""
from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from playwright.sync_api import expect

from lessons.common.classroom import split_slides
from lessons.common.palette import PROFILES
from lessons.tunneling.model import TunnelingModel
from physics import scattering
from tests.ui.conftest import REPO, PlayerPage

pytestmark = pytest.mark.browser

LESSONS = {"tunneling": "div.ql-player", "bound_states": "div.ql-eigen", "spin_battery": "div.ql-charge",
           "vqe": "div.ql-vqe", "anderson": "div.ql-lattice", "solitons": "div.ql-field", "quantization": "div.ql-psi"}
#: the tab that shows each lesson's player (None: it shows at load)
PLAYER_TAB = {"tunneling": None, "bound_states": None, "spin_battery": "Charging", "vqe": None, "anderson": None,
              "solitons": None, "quantization": "Schrödinger memory"}

# every interactive element of the page (through the shadow roots) without an accessible name
UNNAMED_JS = """() => {
  const out = []
  const named = (e) => {
    if ((e.getAttribute('aria-label') || '').trim() || e.getAttribute('aria-labelledby')) return true
    if ((e.getAttribute('title') || '').trim()) return true
    if (e.labels && [...e.labels].some(l => l.textContent.trim())) return true
    if (e.closest('label') && e.closest('label').textContent.trim()) return true
    return ['BUTTON', 'A', 'OPTION'].includes(e.tagName) && e.textContent.trim() !== ''
  }
  const walk = (root) => {
    for (const e of root.querySelectorAll('button, input, select, textarea, a[href], [role=slider], [role=tab]')) {
      if (!e.getClientRects().length || e.type === 'hidden') continue
      if (!named(e)) out.push(e.outerHTML.slice(0, 160))
    }
    for (const e of root.querySelectorAll('*')) if (e.shadowRoot) walk(e.shadowRoot)
  }
  walk(document)
  return out
}"""


class ClassPage(PlayerPage):
    """Any lesson page, with the classroom bar."""

    def __init__(self, page, lesson="tunneling"):
        super().__init__(page, LESSONS[lesson])
        self.lesson = lesson

    def open(self, query: str = "") -> "ClassPage":
        self.page.goto(f"/{self.lesson}" + query)
        expect(self.page.locator(".ql-classroom")).to_be_visible()
        if PLAYER_TAB[self.lesson]:
            self.page.locator(".bk-tab").filter(has_text=re.compile("^" + PLAYER_TAB[self.lesson] + "$")).click()
        expect(self.player).to_be_visible()
        self.wait_until(lambda: self.player.get_attribute("data-run") or self.player.get_attribute("data-state"),
                        "the player has its first run")
        return self

    def canvas_corner(self) -> tuple[int, int, int]:
        """The colour of the player's canvas at its top-left corner (its background)."""
        return tuple(self.player.locator("canvas").evaluate(
            "c => Array.from(c.getContext('2d').getImageData(1, 1, 1, 1).data.slice(0, 3))"))

    def download(self, locator) -> tuple[str, bytes]:
        with self.page.expect_download() as info:
            locator.click()
        return info.value.suggested_filename, open(info.value.path(), "rb").read()


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


@pytest.fixture
def class_factory(new_context):
    """``class_factory(lesson="tunneling", query="", **context_args)``: a lesson open in a new context."""
    opened: list[ClassPage] = []

    def make(lesson: str = "tunneling", query: str = "", **context_args) -> ClassPage:
        page = ClassPage(new_context(**context_args).new_page(), lesson)
        opened.append(page)
        return page.open(query)

    yield make
    for page in opened:
        try:
            page.settle()
        except Exception:  # the test has already failed; do not hide why
            pass


@pytest.mark.parametrize("lesson", LESSONS)
def test_projector_profile_enlarges_type_and_repaints_the_player(class_factory, lesson):
    page = class_factory(lesson, "?profile=projector")
    proj = PROFILES["projector"]
    title = page.page.locator(".bk-slider-title").first
    assert float(title.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 13 * proj.font_scale - 0.5
    assert page.canvas_corner() == rgb(proj.named("white"))
    assert page.page.locator("select.ql-profile").input_value() == "projector"
    # controls are named as they arrive (the page names them within a second or two)
    try:
        page.page.wait_for_function(f"() => ({UNNAMED_JS})().length === 0", timeout=5000)
    except Exception:
        pass
    assert page.page.evaluate(UNNAMED_JS) == []
    page.watch.assert_no_errors()


def test_dark_profile_paints_a_dark_page_and_player(class_factory):
    page = class_factory("tunneling", "?profile=dark")
    dark = PROFILES["dark"]
    assert page.canvas_corner() == rgb(dark.named("white"))
    body = page.page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    r, g, b = map(int, re.findall(r"\d+", body)[:3])
    assert max(r, g, b) < 80, body
    page.watch.assert_no_errors()


def test_the_look_menu_reloads_in_another_profile_and_keeps_the_settings(class_factory):
    page = class_factory("tunneling", "?height=1.5")
    assert page.canvas_corner() == (255, 255, 255)
    with page.page.expect_navigation():
        page.page.locator("select.ql-profile").select_option("dark")
    page.wait_until(lambda: page.player.get_attribute("data-run"), "the new page's run")
    query = parse_qs(urlsplit(page.page.url).query)
    assert query["profile"] == ["dark"] and query["height"] == ["1.5"]
    page.wait_until(lambda: page.canvas_corner() == rgb(PROFILES["dark"].named("white")), "a dark canvas")
    assert page.slider_value("Barrier height V₀") == 1.5


def test_page_keys_drive_the_player_without_focusing_it(class_factory):
    page = class_factory("tunneling")
    page.page.locator("body").click(position={"x": 5, "y": 300})   # focus on nothing in particular
    page.wait_until(lambda: page.data("playing") == "1", "autoplay")
    page.page.keyboard.press(" ")
    page.wait_until(lambda: page.data("playing") == "0", "space pauses")
    frame = int(page.data("frame"))
    page.page.keyboard.press("ArrowRight")
    page.wait_until(lambda: int(page.data("frame")) == frame + 1, "→ steps one frame")
    page.page.keyboard.press("ArrowLeft")
    page.wait_until(lambda: int(page.data("frame")) == frame, "← steps back")
    page.page.keyboard.press("r")
    page.wait_until(lambda: page.data("playing") == "1" and int(page.data("frame")) < frame, "r restarts and plays")
    help_box = page.page.locator("dialog.ql-help")
    page.page.keyboard.press("?")
    expect(help_box).to_be_visible()
    expect(help_box).to_contain_text("restart the animation")
    page.page.keyboard.press("Escape")
    expect(help_box).to_be_hidden()
    page.page.keyboard.press("f")
    page.wait_until(lambda: page.page.evaluate("() => !!document.fullscreenElement"), "f: fullscreen")
    assert page.page.evaluate("() => document.fullscreenElement.contains(document.fullscreenElement)")
    page.page.evaluate("() => document.exitFullscreen()")
    page.watch.assert_no_errors()


def test_keys_on_a_focused_slider_nudge_the_slider_not_the_player(class_factory):
    page = class_factory("tunneling")
    page.page.keyboard.press(" ")                                  # pause (nothing focused yet)
    page.wait_until(lambda: page.data("playing") == "0", "paused")
    run_and_frame = "r => [r.dataset.run, r.dataset.frame]"
    before_run = page.player.evaluate(run_and_frame)
    before = page.slider_value("Barrier height V₀")
    page.press_on_slider("Barrier height V₀", "ArrowRight", 1)
    # read at once: a step of the player would show synchronously, while the new run for the new
    # height needs a round trip to the server (and then plays from frame 0, as every new run does)
    after_run = page.player.evaluate(run_and_frame)
    assert after_run == before_run or after_run[0] != before_run[0], (before_run, after_run)
    page.wait_until(lambda: page.slider_value("Barrier height V₀") > before, "the slider moved")
    handle = page.slider("Barrier height V₀").locator(".noUi-handle")
    expect(handle).to_have_attribute("aria-label", "Barrier height V₀", timeout=5_000)   # named as it arrives


def test_copy_link_copies_the_current_settings(class_factory):
    page = class_factory("tunneling", "", permissions=["clipboard-read", "clipboard-write"])
    page.press_on_slider("Barrier height V₀", "ArrowRight", 2)
    # the link holds every setting from the start: wait for the moved value itself
    page.wait_until(lambda: page.query_number("height") == page.slider_value("Barrier height V₀") != 1.0,
                    "the link has the new height")
    page.page.locator("button.ql-copy").click()
    expect(page.page.locator(".ql-said")).to_have_text("Link copied")
    copied = page.page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.page.url
    assert float(parse_qs(urlsplit(copied).query)["height"][0]) == page.slider_value("Barrier height V₀")


def test_copy_link_without_clipboard_shows_the_link_to_copy(class_factory):
    page = class_factory("tunneling")
    page.page.evaluate("() => Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    page.page.locator("button.ql-copy").click()
    box = page.page.locator("input.ql-link-text")
    expect(box).to_be_visible()
    assert box.input_value() == page.page.url


@pytest.mark.parametrize("lesson, keys, shown", [
    ("tunneling", "T,predicted", ["b.ql-T", "b.ql-predicted"]),
    ("quantization", "quantized,sqnr", ["div.ql-card[data-q='quantized'] b", "div.ql-card[data-q='sqnr'] b"]),
])
def test_hidden_readouts_show_a_question_mark_until_revealed(class_factory, lesson, keys, shown):
    page = class_factory(lesson, f"?hide={keys}")
    for sel in shown:
        target = page.page.locator(sel).first
        expect(target).to_be_attached()
        assert target.evaluate("e => getComputedStyle(e).visibility") == "hidden"
        assert target.evaluate("e => getComputedStyle(e, '::after').content") == '"?"'
    reveal = page.page.locator("button.ql-reveal")
    expect(reveal).to_have_text("Reveal 2 hidden read-outs")
    reveal.click()
    for sel in shown:
        page.wait_until(lambda: page.page.locator(sel).first.evaluate("e => getComputedStyle(e).visibility")
                        == "visible", f"{sel} revealed")
    expect(reveal).to_be_hidden()
    page.wait_until(lambda: "hide" not in parse_qs(urlsplit(page.page.url).query), "hide left the link")
    page.watch.assert_no_errors()


def test_player_csv_holds_the_run_and_png_is_an_image(class_factory):
    page = class_factory("tunneling", "", accept_downloads=True)
    page.wait_until(lambda: page.player.get_attribute("data-done") == "1", "the run is computed", timeout=60_000)
    name, data = page.download(page.player.locator("button.ql-csv"))
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert name == "wave-packet.csv" and len(rows) == int(page.data("frames"))
    table = {k: np.array([float(r[k]) for r in rows]) for k in ("t", "passed", "T", "R", "inside")}
    # conservation: what was absorbed plus what is inside is the whole packet, at every frame
    assert np.allclose(table["T"] + table["R"] + table["inside"], 1.0, atol=1e-3)
    assert np.all(np.diff(table["t"]) > 0) and np.all(np.diff(table["T"]) >= -1e-6)
    name, png = page.download(page.player.locator("button.ql-png"))
    assert name == "wave-packet.png" and png[:8] == b"\x89PNG\r\n\x1a\n"


def test_figure_csv_is_the_exact_transmission_and_png_saves(class_factory):
    page = class_factory("tunneling", "", accept_downloads=True)
    fig = page.page.locator(".bk-Figure").first
    expect(fig).to_be_visible()
    fig.hover()
    name, data = page.download(page.page.locator("[title=\"Download the plot's data as CSV\"]").first)
    assert name.endswith(".csv") and name.startswith("exact-transmission")
    rows = list(csv.reader(io.StringIO(data.decode())))
    header = rows[0]
    e_col, t_col = header.index("exact T(E): E"), header.index("exact T(E): T")
    E = np.array([float(r[e_col]) for r in rows[1:] if r[e_col]])
    T = np.array([float(r[t_col]) for r in rows[1:] if r[t_col]])
    model = TunnelingModel()
    width = model.simulated_width()
    assert len(E) > 100
    assert np.allclose(T, scattering.rectangular_transmission(E, model.height, width), rtol=1e-6, atol=1e-9)
    fig.hover()
    name, png = page.download(page.page.locator("[title='Save the plot as PNG']").first)
    assert name.endswith(".png") and png[:8] == b"\x89PNG\r\n\x1a\n"


def test_lecture_mode_turns_slides_with_page_keys_and_keeps_the_slide_in_the_link(class_factory):
    page = class_factory("tunneling", "?lecture=1")
    slides = split_slides((REPO / "lessons/tunneling/lesson.md").read_text(encoding="utf-8"))
    counter = page.page.get_by_text(re.compile(r"^Slide \d+ of \d+$"))
    expect(counter).to_have_text(f"Slide 1 of {len(slides)}")
    assert page.canvas_corner() == rgb(PROFILES["projector"].named("white"))   # lecture: projector
    page.page.locator("body").click(position={"x": 5, "y": 400})
    page.page.keyboard.press("PageDown")
    expect(counter).to_have_text(f"Slide 2 of {len(slides)}")
    expect(page.page.locator(".ql-slide h3, .ql-slide h2").first).to_have_text(slides[1][0])
    page.wait_until(lambda: parse_qs(urlsplit(page.page.url).query).get("slide") == ["2"], "slide=2 in the link")
    page.page.get_by_role("button", name="Next ▶").click()
    expect(counter).to_have_text(f"Slide 3 of {len(slides)}")
    page.page.keyboard.press("PageUp")
    expect(counter).to_have_text(f"Slide 2 of {len(slides)}")
    with page.page.expect_navigation():
        page.page.locator("button.ql-lecture").click()
    assert "lecture" not in parse_qs(urlsplit(page.page.url).query)
    page.watch.assert_no_errors()


def test_a_link_to_a_slide_opens_that_slide(class_factory):
    page = class_factory("tunneling", "?lecture=1&slide=3")
    n = len(split_slides((REPO / "lessons/tunneling/lesson.md").read_text(encoding="utf-8")))
    expect(page.page.get_by_text(re.compile(r"^Slide \d+ of \d+$"))).to_have_text(f"Slide 3 of {n}")
