"""Text of the lesson pages: lesson Markdown with display equations, and text from users made inert.

Views only: nothing here computes physics.
"""
from __future__ import annotations

import html
import math
import pathlib
import re

import panel as pn

__all__ = ["sci", "lesson_text", "lesson_text_from", "plain_text", "TEXT_CSS"]

#: Lesson text on a phone: headings a step smaller (a title should not fill the screen), and a wide
#: equation scrolls within its own box instead of widening the page.
TEXT_CSS = """
@media (max-width: 600px) {
  h1 { font-size: 1.5em; } h2 { font-size: 1.25em; } h3 { font-size: 1.1em; }
}
:host(.ql-equation) { max-width: 100%; overflow-x: auto; overflow-y: hidden; }
"""

_EQUATION = re.compile(r"^\$\$\s*\n?(.*?)\n?\s*\$\$\s*$", re.S | re.M)


def lesson_text(path: pathlib.Path, tr=None, **kwargs) -> pn.Column:
    """Markdown from the repo with ``$$ ... $$`` display equations rendered by KaTeX, in ``tr``'s
    language (``lesson.md`` -> ``lesson.de.md``, :meth:`lessons.common.i18n.Translator.markdown`).

    Text and equation blocks alternate: each ``$$`` block (on lines of its own) becomes a
    :class:`pn.pane.LaTeX`, the rest Markdown.  Markdown comes only from files in the repo, never
    from a user.
    """
    text = tr.markdown(pathlib.Path(path)) if tr is not None else pathlib.Path(path).read_text(encoding="utf-8")
    return lesson_text_from(text, **kwargs)


def lesson_text_from(text: str, **kwargs) -> pn.Column:
    """:func:`lesson_text` of Markdown ``text`` (which must come from a file in the repo)."""
    parts, pos = [], 0
    for match in _EQUATION.finditer(text):
        before = text[pos:match.start()].strip()
        if before:
            parts.append(pn.pane.Markdown(before, sizing_mode="stretch_width", stylesheets=[TEXT_CSS]))
        parts.append(pn.pane.LaTeX(f"$${match.group(1).strip()}$$", renderer="katex", css_classes=["ql-equation"],
                                   stylesheets=[TEXT_CSS], styles={"font-size": "1.15em"}, margin=(0, 20)))
        pos = match.end()
    rest = text[pos:].strip()
    if rest:
        parts.append(pn.pane.Markdown(rest, sizing_mode="stretch_width", stylesheets=[TEXT_CSS]))
    return pn.Column(*parts, sizing_mode="stretch_width", **kwargs)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def plain_text(text: str) -> str:
    """``text`` made inert for a Markdown pane: HTML escaped, Markdown syntax backslashed.

    Notices quote what a user typed into a link; Panel's Markdown renders raw HTML, so without this
    a link could run script in the page.
    """
    printable = "".join(ch if ch.isprintable() else "\ufffd" for ch in str(text))
    # Markdown escapes first: the entities html.escape makes (&#x27;) must stay intact.
    return html.escape(_MARKDOWN_SPECIAL.sub(r"\\\1", printable), quote=True)


_SUPERSCRIPT = str.maketrans("0123456789-+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺")


def sci(value: float, digits: int = 2, sign: bool = False) -> str:
    """``value`` in scientific notation as students read it, unbroken: ``1.55 × 10⁻³``.

    Python's ``1.55e-03`` reads as code and breaks across lines at its hyphen; narrow no-break
    spaces keep this on one line.  Zero, NaN and infinities are written plainly; exponents -1 to 2
    are written without a power (``0.42``, ``31.6``).
    """
    v = float(value)
    if v == 0 or not math.isfinite(v):
        return f"{v:+g}" if sign and math.isfinite(v) else (f"{v:g}" if math.isfinite(v) else str(v))
    exp = math.floor(math.log10(abs(v)))
    mant = v / 10.0 ** exp
    if round(abs(mant), digits) >= 10:            # 9.996e-3 rounds to 10.00e-3: 1.00e-2
        exp, mant = exp + 1, mant / 10
    head = f"{mant:+.{digits}f}" if sign else f"{mant:.{digits}f}"
    if -1 <= exp <= 2:
        return f"{v:{'+' if sign else ''}.{max(digits + 1, exp + 1)}g}"
    return f"{head}\u202f×\u202f10{str(exp).translate(_SUPERSCRIPT)}"
