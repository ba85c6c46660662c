"""Every lesson and the gallery in the students' language, in Chromium.

- The pseudo-locale (``?lang=qps``) wraps every translated string in ⟦ ⟧: each page is opened with
  it, every tab opened, and every text a student can see or hear is gathered (the page's text and
  its controls' names, titles and options, in every shadow root, and every string painted on a
  canvas: the players' and Bokeh's titles, axes, ticks and legends).  English left outside ⟦ ⟧
  escaped translation and fails the test.
- German and Spanish: the page says its language (``<html lang>``), the player's buttons and the
  header are translated, numbers carry a decimal comma, and nothing is clipped or runs past the
  screen's edge at a phone's and a projector's size (German words are long).
- The browser's language chooses when the link names none; a link's unknown code is corrected with
  a notice.
"""
from __future__ import annotations

import re

import pytest
from lessons import CATALOGUE
from playwright.sync_api import expect

from lessons.common.figures import _SLIDER_JS, _TICKS_JS
from tests.ui.conftest import PageWatch
from tests.ui.test_screens_ui import FIGURE_FIT, PAST_THE_EDGE, SCREENS

pytestmark = pytest.mark.browser

#: Record every string painted on a canvas (before any page script runs).
CANVAS_HOOK = """
window.__qlPainted = new Set()
for (const proto of [CanvasRenderingContext2D.prototype, OffscreenCanvasRenderingContext2D.prototype]) {
  const fill = proto.fillText, stroke = proto.strokeText
  proto.fillText = function (text, ...rest) { window.__qlPainted.add(String(text)); return fill.call(this, text, ...rest) }
  proto.strokeText = function (text, ...rest) { window.__qlPainted.add(String(text)); return stroke.call(this, text, ...rest) }
}
"""

#: What the page shows or names: visible text, and the names, titles and options of its controls.
SHOWN_TEXT = r"""() => {
  const INLINE = new Set(["B", "STRONG", "EM", "I", "SUB", "SUP", "SMALL", "A", "SPAN", "KBD", "MARK", "U", "S"])
  // (code spans are names a program reads: link names, file names; the language menu names each
  // language in itself)
  const out = [], skip = (el) => el.closest && el.closest("style, script, code, .katex, .ql-language, noscript, [aria-hidden=true]")
  const textOf = (el) => {           // its text, less what skip() leaves out (math, code)
    const parts = [], w = document.createTreeWalker(el, NodeFilter.SHOW_TEXT)
    for (let n = w.nextNode(); n; n = w.nextNode()) if (!skip(n.parentElement)) parts.push(n.textContent)
    return parts.join("").replace(/\s+/g, " ").trim()
  }
  const shown = (el) => { const r = el.getClientRects(); return r.length && getComputedStyle(el).visibility !== "hidden" }
  const walk = (root) => {
    const tw = document.createTreeWalker(root, NodeFilter.SHOW_TEXT)
    for (let n = tw.nextNode(); n; n = tw.nextNode()) {
      // the text of the sentence a node is part of: a translated string may hold bold or italic words
      let el = n.parentElement
      while (el && INLINE.has(el.tagName) && el.parentElement && !el.parentElement.shadowRoot) el = el.parentElement
      const t = el ? textOf(el) : ""
      if (t && !skip(n.parentElement) && shown(n.parentElement)) out.push(t)
    }
    for (const el of root.querySelectorAll("*")) {
      if (!skip(el)) {
        for (const a of ["title", "aria-label", "placeholder", "alt"]) { const v = el.getAttribute(a); if (v && v.trim()) out.push(v.trim()) }
        if (el.tagName === "OPTION" && el.textContent.trim()) out.push(el.textContent.trim())
      }
      if (el.shadowRoot) walk(el.shadowRoot)
    }
  }
  walk(document)
  return out
}"""

#: Words that are not English to translate: function names of formulas.
NOT_WORDS = {"cos", "sin", "tan", "tanh", "cosh", "sinh", "exp", "log", "max", "min", "arg", "sgn", "erf", "arctan",
             "sech", "mod"}
_WORD = re.compile(r"(?<![\w⟦])[A-Za-z][A-Za-z'’]+(?![\w])")
_WRAPPED = re.compile(r"⟦[^⟦⟧]*⟧")


def escaped(texts) -> list[str]:
    """The texts with English outside ⟦ ⟧ (words of three or more letters, not all capitals, not
    formula names, with no digits)."""
    bad = []
    for text in dict.fromkeys(texts):
        rest = str(text)
        while True:                       # translated strings may hold translated strings
            stripped = _WRAPPED.sub(" ", rest)
            if stripped == rest:
                break
            rest = stripped
        words = [w for w in _WORD.findall(rest)
                 if len(w) >= 3 and not w.isupper() and w.lower() not in NOT_WORDS]
        if words:
            bad.append(f"{text[:90]!r} (unwrapped: {', '.join(words[:5])})")
    return bad


#: Bokeh's figure titles, whole: figure_fit.js breaks a long one into lines, each painted apart.
TITLES = """() => {
  const out = []
  for (const root of Object.values(window.Bokeh ? Bokeh.index : {}))
    for (const v of root.owner.query((v) => v.model && v.model.type === "Figure"))
      if (v.model.title && v.model.title.text) out.push(v.model.title.text)
  return out
}"""


def painted_text(page) -> list[str]:
    """Every string painted on a canvas, a multi-line figure title as one string."""
    painted, joined, open_text = page.evaluate("[...window.__qlPainted]"), [], ""
    for text in painted:        # (in the order painted) the lines of one wrapped string, joined again
        open_text = f"{open_text} {text}" if open_text else text
        if open_text.count("⟦") <= open_text.count("⟧") or len(open_text) > 2000:
            joined.append(open_text)
            open_text = ""
    painted = joined + ([open_text] if open_text else [])
    titles = [" ".join(t.split()) for t in page.evaluate(TITLES)]
    # a line of a title (as broken at any width the page had) is checked as part of the whole title
    return [t for t in painted if not any(t.strip() and t.strip() in title for title in titles)] + titles


def _open_all_tabs(page) -> None:
    """Open every tab of the page once (their contents are built when first opened), back to the first."""
    for _round in range(2):                      # a tab may hold tabs of its own
        tabs = page.locator(".bk-tab")
        for i in range(tabs.count()):
            tab = tabs.nth(i)
            if tab.is_visible():
                tab.click()
                page.wait_for_timeout(700)


def _wait_lesson(page) -> None:
    expect(page.locator(".ql-card, [data-ql-player]").first).to_be_attached()
    expect(page.locator(".bk-Figure").first).to_be_attached(timeout=40_000)
    page.wait_for_timeout(1500)                  # the player has drawn, the figures have their data


def test_the_test_finds_english():
    """The rule itself: wrapped text passes, a stray English word (also beside wrapped text) fails."""
    assert escaped(["⟦Play⟧", "t = 0,25", "⟦Energy ⟦E⟧⟧ (J)", "PNG", "sin(kx)", "E₀", "int8", "⟦a⟧ · ⟦b⟧"]) == []
    assert len(escaped(["Play", "⟦Energy⟧ in units", "state 1", "⟦x⟧ Computing…"])) == 4


@pytest.mark.parametrize("slug", ["", *(c.slug for c in CATALOGUE)], ids=["gallery", *(c.slug for c in CATALOGUE)])
def test_no_english_escapes_translation(new_context, slug):
    """Every string of the page (gallery or lesson, every tab) is wrapped in the pseudo-locale."""
    context = new_context(viewport={"width": 1366, "height": 900})
    context.add_init_script(CANVAS_HOOK)
    page = context.new_page()
    watch = PageWatch(page)
    page.goto(f"/{slug}?lang=qps")
    if slug:
        _wait_lesson(page)
        _open_all_tabs(page)
        page.locator(".bk-tab").first.click() if page.locator(".bk-tab").count() else None
        page.wait_for_timeout(1000)
    else:
        expect(page.locator("a.ql-card").first).to_be_visible()
    page.wait_for_function("document.documentElement.lang === 'en-XA'")
    texts = page.evaluate(SHOWN_TEXT) + painted_text(page)
    texts.append(page.title())
    assert any("⟦" in t for t in texts), "the pseudo-locale wrapped nothing"
    bad = escaped(texts)
    assert bad == [], f"/{slug}: English that escaped translation:\n" + "\n".join(bad)
    watch.assert_no_errors()


@pytest.mark.parametrize("screen", ["phone", "projector"])
@pytest.mark.parametrize("lang", ["de", "es"])
@pytest.mark.parametrize("slug", [c.slug for c in CATALOGUE])
def test_lesson_in_german_and_spanish_fits(new_context, slug, lang, screen):
    """The page in German or Spanish says so, plays, writes numbers with a decimal comma and fits the
    screen (no sideways scrolling, no title or legend wider than its figure)."""
    page = new_context(**SCREENS[screen]).new_page()
    watch = PageWatch(page)
    query = f"?lang={lang}" + ("&profile=projector" if screen == "projector" else "")
    page.goto(f"/{slug}{query}")
    _wait_lesson(page)
    where = f"{slug} in {lang} on a {screen}"
    page.wait_for_function("lang => document.documentElement.lang === lang", arg=lang)
    restart = {"de": "Neustart", "es": "Reiniciar"}[lang]
    players = page.locator("[data-ql-player]")
    if players.count() and players.first.is_visible():
        expect(players.first.locator(".ql-restart")).to_contain_text(restart)
    back = {"de": "alle Lektionen", "es": "todas las lecciones"}[lang]
    expect(page.locator("#header")).to_contain_text(back)
    page.wait_for_timeout(500)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), f"{where}: scrolls sideways"
    assert page.evaluate(PAST_THE_EDGE) == [], f"{where}: elements past the right edge"
    misfits = page.evaluate(FIGURE_FIT)
    assert misfits == [], f"{where}: " + "; ".join(misfits)
    cards = page.locator(".ql-card b")
    numbers = [t for t in cards.all_inner_texts() if re.search(r"\d[.,]\d", t)]
    assert not any(re.search(r"\d\.\d", t) for t in numbers), f"{where}: a read-out with a decimal point: {numbers}"
    if screen == "projector":        # the sidebar is open: its sliders write their values the page's way
        titles = page.locator("#sidebar .bk-slider-title").all_inner_texts()
        assert titles and not any(re.search(r"\d\.\d", t) for t in titles), f"{where}: slider values {titles}"
    watch.assert_no_errors()


@pytest.mark.parametrize("lang", ["de", "es"])
def test_gallery_in_german_and_spanish(new_context, lang):
    """The gallery in the browser's language (no ``lang`` in the link), its cards leading to lessons in it."""
    context = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale=lang)
    page = context.new_page()
    watch = PageWatch(page)
    page.goto("/")
    expect(page.locator("a.ql-card").first).to_be_visible()
    page.wait_for_function("lang => document.documentElement.lang === lang", arg=lang)
    intro = {"de": "Interaktive Lektionen", "es": "Lecciones interactivas"}[lang]
    expect(page.locator("body")).to_contain_text(intro)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    watch.assert_no_errors()


def test_a_link_language_wins_and_an_unknown_one_is_corrected(new_context):
    """``?lang=`` beats the browser's language, the menu switches it, and ``?lang=xx`` says what it did."""
    context = new_context(viewport={"width": 1366, "height": 768}, locale="de-DE")
    page = context.new_page()
    watch = PageWatch(page)
    page.goto("/tunneling?lang=es")
    expect(page.locator(".ql-restart").first).to_contain_text("Reiniciar")
    page.locator(".ql-language select").select_option("de")
    page.wait_for_url(re.compile(r"lang=de"))
    expect(page.locator(".ql-restart").first).to_contain_text("Neustart")
    page.goto("/tunneling?lang=xx")
    expect(page.locator(".ql-restart").first).to_contain_text("Neustart")      # the browser's German
    expect(page.locator(".alert").filter(has_text="lang=xx")).to_be_visible()
    watch.assert_no_errors()


def test_the_number_formats_write_what_bokeh_would_with_a_comma(page):
    """The slider and tick formatters of lessons.common.figures, run in the browser: a slider's
    value as its numbro format writes it ("0[.]00", "0.0%", "0.000"), a tick as Bokeh's basic
    formatter, each with the decimal comma."""
    page.goto("/?lang=de")
    expect(page.locator("a.ql-card").first).to_be_visible()
    slider = page.evaluate("([code, cases]) => cases.map(([fmt, tick]) => new Function('fmt', 'sign', 'tick', code)(fmt, ',', tick))",
                           [_SLIDER_JS, [["0[.]00", 0.4], ["0[.]00", 2], ["0[.]00", 1.5], ["0.0%", 0.02], ["0.000", 0.25],
                                         ["0[.]00", -0.125]]])
    assert slider == ["0,40", "2", "1,50", "2,0%", "0,250", "-0,13"]
    ticks = page.evaluate("""(code) => { const Basic = Bokeh.Models.get("BasicTickFormatter"), base = new Basic()
      const ticks = [0, 0.5, 1, 1.5], f = new Function('base', 'sign', 'tick', 'index', 'ticks', code)
      return ticks.map((t, i) => f(base, ',', t, i, ticks)) }""", _TICKS_JS)
    assert ticks == ["0", "0,5", "1", "1,5"]
