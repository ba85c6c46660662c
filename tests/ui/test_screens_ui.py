"""Every lesson and the gallery on every screen: a phone, a tablet, a laptop and a projector.

On each: nothing reaches past the right edge (no sideways scrolling, no control or figure cut off),
no console errors, each figure's title and the legend under it fit the width the figure got, and
no title is painted over its plot.  Up to 900 px wide the controls are a drawer, closed at first and
opened by the header's "Controls" button (its sliders then on screen); wider, they are a sidebar.
The player (where a lesson opens on it) spans the lesson's width.
"""
from __future__ import annotations

import pytest
from lessons import CATALOGUE
from playwright.sync_api import expect

from tests.ui.conftest import PageWatch

pytestmark = pytest.mark.browser

SCREENS = {
    "phone": dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2),
    "tablet": dict(viewport={"width": 820, "height": 1180}, is_mobile=True, has_touch=True),
    "laptop": dict(viewport={"width": 1366, "height": 768}),
    "projector": dict(viewport={"width": 1920, "height": 1080}),
}
NARROW = {"phone", "tablet"}
#: Lessons that open on their player (the others open on read-outs, the player in a tab).
OPENS_ON_PLAYER = {"tunneling", "bound_states"}

#: Visible elements (shadow roots included) whose right edge is past the window's.
PAST_THE_EDGE = """() => {
  const out = [], W = window.innerWidth
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      const r = el.getBoundingClientRect(), s = getComputedStyle(el)
      // (a renderer's own box spans its glyphs, drawn clipped to the plot: not a thing on screen)
      if (r.width > 0 && r.height > 0 && r.right > W + 1 && s.visibility !== "hidden" &&
          !String(el.className).startsWith("bk-GlyphRenderer"))
        out.push(`${el.tagName.toLowerCase()}.${String(el.className).slice(0, 50)} right=${Math.round(r.right)}`)
      if (el.shadowRoot) walk(el.shadowRoot)
    }
  }
  walk(document)
  return out.slice(0, 10)
}"""

#: For each Bokeh figure on screen: its title's lines that are wider than the figure, whether the
#: title's panel is shorter than its lines (painted over the plot), and legends under the plot
#: wider than the figure.
FIGURE_FIT = """() => {
  const ctx = document.createElement("canvas").getContext("2d"), out = [], seen = new Set()
  for (const root of Object.values(Bokeh.index)) {
    for (const v of root.owner.query((v) => v.model && v.model.type === "Figure")) {
      if (seen.has(v) || !v.el.isConnected || v.el.getBoundingClientRect().width === 0) continue
      seen.add(v)
      const fig = v.model, title = fig.title, width = fig.inner_width
      const name = (title && title.text || "").slice(0, 40)
      if (title && title.text) {
        ctx.font = `${title.text_font_style} ${title.text_font_size} ${title.text_font}`
        const lines = title.text.split("\\n")
        for (const line of lines)
          if (lines.length > 1 || line.includes(" "))
            if (ctx.measureText(line).width > width + 30) out.push(`${name}: title line wider than the figure: ${line}`)
        const tv = v.renderer_views.get(title) || v._title
        const need = lines.length * parseFloat(title.text_font_size)
        if (tv && tv.layout && tv.layout.bbox.height < need)
          out.push(`${name}: title panel ${tv.layout.bbox.height}px for ${lines.length} lines`)
      }
      for (const legend of fig.below.filter((m) => Array.isArray(m.items))) {
        const lv = v.renderer_views.get(legend)
        if (lv && lv.bbox && lv.bbox.width > v.layout.bbox.width + 1)
          out.push(`${name}: legend ${Math.round(lv.bbox.width)}px wide in a ${Math.round(v.layout.bbox.width)}px figure`)
      }
    }
  }
  return out
}"""


def _open(new_context, screen: str, path: str):
    size = SCREENS[screen]
    page = new_context(**size).new_page()
    watch = PageWatch(page)
    query = "?profile=projector" if screen == "projector" else ""
    page.goto(f"/{path}{query}")
    return page, watch


def _no_overflow(page, where: str) -> None:
    page.wait_for_timeout(500)          # figures fit themselves once laid out
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), \
        f"{where}: the page scrolls sideways"
    past = page.evaluate(PAST_THE_EDGE)
    assert past == [], f"{where}: elements past the right edge: {past}"


@pytest.mark.parametrize("screen", list(SCREENS))
def test_gallery_fits_every_screen(new_context, screen):
    page, watch = _open(new_context, screen, "")
    cards = page.locator("a.ql-card")
    expect(cards).to_have_count(len(CATALOGUE))
    expect(cards.first).to_be_visible()
    _no_overflow(page, f"gallery on a {screen}")
    watch.assert_no_errors()


@pytest.mark.parametrize("screen", list(SCREENS))
@pytest.mark.parametrize("slug", [card.slug for card in CATALOGUE])
def test_lesson_fits_every_screen(new_context, slug, screen):
    page, watch = _open(new_context, screen, slug)
    where = f"{slug} on a {screen}"
    expect(page.locator(".ql-card, [data-ql-player]").first).to_be_attached()
    sidebar, toggle = page.locator("#sidebar"), page.locator("#sidebar-toggle")
    slider = page.locator("#sidebar .noUi-handle").first
    width = SCREENS[screen]["viewport"]["width"]

    if slug in OPENS_ON_PLAYER:
        player = page.locator("[data-ql-player]").first
        expect(player).to_be_visible()
        page.wait_for_function("el => +el.dataset.frames > 0 || +el.dataset.time > 0", arg=player.element_handle())
        box = player.bounding_box()
        main = page.locator("#main").bounding_box()
        assert box["width"] >= 0.85 * (main["width"] - 32), f"{where}: player {box['width']} px in {main['width']} px"
        assert box["height"] <= SCREENS[screen]["viewport"]["height"], f"{where}: player taller than the screen"
    else:
        expect(page.locator(".bk-Figure").first).to_be_visible()

    if screen in NARROW:
        # the controls wait in a closed drawer; the lesson has the full width
        expect(sidebar).to_be_hidden()
        button = page.get_by_role("button", name="Controls")
        expect(button).to_be_visible()
        button.click()
        expect(sidebar).to_be_visible()
        expect(slider).to_be_visible()
        box = slider.bounding_box()
        assert 0 <= box["x"] and box["x"] + box["width"] <= width, f"{where}: a slider's handle off screen: {box}"
        assert sidebar.bounding_box()["width"] <= width, f"{where}: the drawer is wider than the screen"
        page.keyboard.press("Escape")
        expect(sidebar).to_be_hidden()
    else:
        expect(sidebar).to_be_visible()
        expect(slider).to_be_visible()
        assert sidebar.bounding_box()["width"] < width / 3, f"{where}: the sidebar takes over a third"
        expect(toggle).to_be_visible()

    _no_overflow(page, where)
    misfits = page.evaluate(FIGURE_FIT)
    assert misfits == [], f"{where}: " + "; ".join(misfits)
    watch.assert_no_errors()


def test_titles_and_legends_fit_a_phone(new_context):
    """A long title takes lines to fit a phone's figure, a legend under the plot takes rows, and the
    figure grows by them (its plot keeps its height): the browser's fitting (figure_fit.js) and the
    title drawn as a panel (lessons.common.workarounds.title_as_panel)."""
    page, watch = _open(new_context, "phone", "quantization")
    expect(page.locator(".bk-Figure").first).to_be_visible()
    page.wait_for_timeout(500)
    fitted = page.evaluate("""() => {
      for (const root of Object.values(Bokeh.index))
        for (const v of root.owner.query((v) => v.model && v.model.type === "Figure"))
          if (v.model.title.text.replace(/\\n/g, " ").startsWith("Sine: ") && v.model.below.some((m) => m.items))
            return {lines: v.model.title.text.split("\\n").length, height: v.model.height, base: v.model.__qlBase,
                    ncols: v.model.below.find((m) => m.items).ncols, frame: v.frame.bbox.height,
                    titleBottom: v.renderer_views.get(v.model.title).layout.bbox.bottom, frameTop: v.frame.bbox.top}
      return null }""")
    assert fitted is not None, "the number-line figure is not on the page"
    assert fitted["lines"] >= 2 and fitted["ncols"] < 3, fitted
    assert fitted["height"] > fitted["base"]["height"], fitted
    assert fitted["titleBottom"] <= fitted["frameTop"] + 1, fitted
    assert fitted["frame"] >= 120, fitted
    watch.assert_no_errors()
