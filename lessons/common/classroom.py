"""The classroom layer of every lesson page: colour profile, keys, teacher links, export, lecture mode.

Query parameters, beside each lesson's own (all optional, all checked like the lesson's):

- ``profile=standard|projector|dark``: the look (:mod:`lessons.common.palette`); the header's
  "Look" menu reloads the page with another one, and the URL keeps every other setting;
- ``hide=key,key``: read-outs shown as "?" until the teacher presses "Reveal" (predict, then
  reveal); each lesson lists its keys in ``HIDEABLE``;
- ``lecture=1`` (with ``slide=N``): the lesson text as slides beside the live lesson.

:class:`ClassroomBar` is the header's bar (Look, Lecture mode, Copy link, Reveal, Keys) and the
page-wide keyboard: space, r and the arrows go to the visible player; f makes the main plot
fullscreen; ? opens the keyboard help; PageDown/PageUp turn slides.  Views only: no physics here.
"""
from __future__ import annotations

import functools
import pathlib
import re
from urllib.parse import parse_qsl, urlencode

import panel as pn
import param
from panel.custom import JSComponent

from lessons.common.i18n import LANGUAGES, Translator, translator
from lessons.common.palette import PROFILES, css_var, profile as get_profile

__all__ = ["Classroom", "ClassroomBar", "LanguageMenu", "SlideDeck", "hide_css", "split_slides", "CLASSROOM_QUERY"]

#: The query names this layer reads (the lessons' own names must not clash with them).
CLASSROOM_QUERY = ("profile", "hide", "lecture", "slide", "lang")

_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")


def _shown(text: str) -> str:
    return text if len(text) <= 24 else text[:21] + "..."


class Classroom(param.Parameterized):
    """One page's classroom settings (from its URL)."""

    profile = param.Selector(default="standard", objects=list(PROFILES), doc="Colour profile.")
    lecture = param.Boolean(default=False, doc="Lesson text as slides beside the live lesson.")
    hidden = param.List(default=[], item_type=str, doc="Keys of the read-outs hidden until revealed.")
    slide = param.Integer(default=1, bounds=(1, None), doc="The slide shown in lecture mode (from 1).")

    @classmethod
    def from_query(cls, args: dict, hideable: dict[str, str],
                   tr: Translator | None = None) -> tuple["Classroom", list[str]]:
        """Settings from Panel's ``session_args`` (bytes lists) and the notices for what was changed
        (in ``tr``'s language)."""
        tr = tr or translator()
        _ = tr.gettext
        def text(name):
            raw = args.get(name)
            if raw is None:
                return None
            raw = raw[-1] if isinstance(raw, (list, tuple)) and raw else raw
            return (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)).strip()

        notices, values = [], {}
        lecture = text("lecture")
        if lecture is not None and lecture.lower() not in ("", "0", "1", "true", "false", "yes", "no", "on", "off"):
            notices.append(_("'lecture={value}' must be 1 or 0: showing the lesson.").format(value=_shown(lecture)))
        values["lecture"] = (lecture or "").lower() in ("1", "true", "yes", "on")
        name = text("profile")
        if name:
            if name in PROFILES:
                values["profile"] = name
            else:
                notices.append(_("'profile={value}' is not one of {known}: using standard.").format(
                    value=_shown(name), known=", ".join(PROFILES)))
        elif values["lecture"]:
            values["profile"] = "projector"   # a lecture is projected
        hide = text("hide")
        if hide:
            keys = [k.strip() for k in hide.split(",") if k.strip()][:32]
            good = [k for k in keys if k in hideable]
            bad = [k for k in keys if k not in hideable]
            if bad:
                notices.append(_("'hide' names no read-out called {names}: this lesson can hide {known}.").format(
                    names=", ".join(_shown(b) for b in bad[:4]) + (" …" if len(bad) > 4 else ""),
                    known=", ".join(hideable)))
            values["hidden"] = list(dict.fromkeys(good))
        slide = text("slide")
        if slide:
            try:
                values["slide"] = max(1, int(float(slide)))
            except (ValueError, OverflowError):
                notices.append(_("'slide={value}' is not a slide number: showing slide 1.").format(value=_shown(slide)))
        return cls(**values), notices


def hide_css(keys) -> str:
    """CSS that shows the read-outs ``keys`` (cards ``data-q``, ``b.ql-<key>``) as "?"."""
    keys = [k for k in keys if _KEY.match(k)]
    if not keys:
        return ""
    values = ", ".join(f'.ql-card[data-q="{k}"] b, b.ql-{k}' for k in keys)
    after = ", ".join(f'.ql-card[data-q="{k}"] b::after, b.ql-{k}::after' for k in keys)
    return (f"{values} {{ visibility: hidden; position: relative; }}\n"
            f"{after} {{ content: '?'; visibility: visible; position: absolute; left: 0; top: 0; "
            f"color: {css_var('muted')}; }}\n")


def split_slides(text: str) -> list[tuple[str, str]]:
    """Markdown cut into slides at its section headings: ``(title, body)`` each.

    The sections are the most important heading level below the title that occurs at least twice
    (``##``, else ``###``); the text before the first section is the first slide.
    """
    level = next((n for n in (2, 3, 4) if len(re.findall(rf"(?m)^{'#' * n} ", text)) >= 2), None)
    if level is None:
        title = re.search(r"(?m)^#+\s+(.*)", text)
        return [(title.group(1).strip() if title else "Lesson", text.strip())]
    parts = re.split(rf"(?m)^(?={'#' * level} )", text)
    slides = []
    for part in parts:
        part = part.strip()
        if not part:
            continue
        title = re.match(r"#+\s+(.*)", part)
        slides.append((title.group(1).strip() if title else "Introduction", part))
    return slides


class SlideDeck:
    """The lesson text as slides (one shown at a time) with previous/next buttons and a counter."""

    def __init__(self, path: pathlib.Path, classroom: Classroom, render, tr: Translator | None = None):
        self.tr = tr or translator()
        _ = self.tr.gettext
        self.slides = split_slides(self.tr.markdown(pathlib.Path(path)))
        self.classroom = classroom
        self.render = render      # markdown text -> Panel object (lesson_text's renderer)
        self.prev = pn.widgets.Button(label="◀ " + _("Previous"), description=_("Previous slide (PageUp)"),
                                      margin=(5, 5))
        self.next = pn.widgets.Button(label=_("Next") + " ▶", description=_("Next slide (PageDown)"),
                                      color="primary", margin=(5, 5))
        self.counter = pn.pane.HTML(margin=(10, 10), styles={"font-size": "calc(16px * var(--ql-scale, 1))"})
        self.body = pn.Column(sizing_mode="stretch_width", css_classes=["ql-slide"])
        self.prev.on_click(lambda _e: self.go(-1))
        self.next.on_click(lambda _e: self.go(+1))
        classroom.slide = min(classroom.slide, len(self.slides))
        classroom.param.watch(lambda *_: self._show(), "slide")
        self._show()
        self.panel = pn.Column(pn.Row(self.prev, self.next, self.counter), self.body,
                               sizing_mode="stretch_width", styles={"flex": "0 0 40%"},
                               css_classes=["ql-deck"])

    def go(self, step: int) -> None:
        """Move ``step`` slides (kept within the deck)."""
        self.classroom.slide = min(max(self.classroom.slide + int(step), 1), len(self.slides))

    def _show(self) -> None:
        i = self.classroom.slide - 1
        title, body = self.slides[i]
        self.body.objects = [self.render(body)]
        counter = self.tr.gettext("Slide {n} of {total}").format(n=i + 1, total=len(self.slides))
        self.counter.object = f'<span aria-live="polite" title="{_escape(title)}">{_escape(counter)}</span>'
        self.prev.disabled = i == 0
        self.next.disabled = i == len(self.slides) - 1


def _escape(text: str) -> str:
    import html
    return html.escape(text, quote=True)


def url_with(search: str, **changes) -> str:
    """The query ``search`` with ``changes`` applied (None removes a name), as ``?a=b&...``.

    A changed name keeps its place, a new one goes last, and every other argument keeps its text
    as it was (Panel's ``Location.update_query`` re-encodes them all, ``true`` becoming ``True``).
    """
    pairs, seen = [], set()
    for k, v in parse_qsl(str(search or "").lstrip("?"), keep_blank_values=True):
        if k in changes:
            if k in seen or changes[k] is None:
                continue
            seen.add(k)
            v = str(changes[k])
        pairs.append((k, v))
    pairs += [(k, str(v)) for k, v in changes.items() if v is not None and k not in seen]
    return "?" + urlencode(pairs) if pairs else ""


class ClassroomBar(JSComponent):
    """The header's classroom bar and the page-wide keyboard (see the module docstring)."""

    profile = param.String(default="standard", doc="The page's colour profile.")
    profiles = param.Dict(default={name: p.label for name, p in PROFILES.items()})
    lecture = param.Boolean(default=False, doc="Whether the page is in lecture mode.")
    hidden = param.List(default=[], doc="Labels of the hidden read-outs (the Reveal button shows while any).")
    reveal_text = param.String(default="", doc="The Reveal button's text (counts the hidden read-outs).")
    strings = param.Dict(default={}, doc="The page's translations of the bar's strings (msgid -> text).")

    _esm = pathlib.Path(__file__).parent / "classroom.js"

    _stylesheets = [f"""
    .ql-classroom {{ display: flex; gap: 8px; align-items: center; flex-wrap: wrap; color: {css_var("on_header")};
                    font-family: system-ui, sans-serif; font-size: 15px; }}
    .ql-classroom > button, .ql-classroom select {{ font-size: 14px; padding: 4px 10px; min-height: 32px;
                    border-radius: 6px; border: 1px solid {css_var("on_header", 70)};
                    background: {css_var("on_header", 12)}; color: {css_var("on_header")}; cursor: pointer; }}
    .ql-classroom select option {{ color: {css_var("ink")}; background: {css_var("bg")}; }}
    .ql-look {{ display: inline-flex; align-items: baseline; gap: 6px; }}
    .ql-classroom > button:hover {{ background: {css_var("on_header", 25)}; }}
    .ql-classroom button:focus-visible, .ql-classroom select:focus-visible {{ outline: 3px solid {css_var("highlight")};
                    outline-offset: 1px; }}
    .ql-classroom .ql-reveal {{ background: {css_var("highlight")}; color: {css_var("shade")};
                    border-color: {css_var("highlight")}; font-weight: 600; }}
    .ql-said {{ min-width: 6em; }}
    dialog {{ color: {css_var("ink")}; background: {css_var("bg")}; border: 2px solid {css_var("border")};
             border-radius: 10px; padding: 18px 24px; font-size: calc(16px * var(--ql-scale, 1)); max-width: min(40em, 92vw); }}
    dialog::backdrop {{ background: {css_var("shade", 45)}; }}
    dialog h2 {{ margin-top: 0; font-size: 1.3em; }}
    dialog th {{ text-align: left; padding: 4px 16px 4px 0; white-space: nowrap; }}
    dialog kbd {{ border: 1px solid {css_var("border")}; border-radius: 4px; padding: 1px 6px; font-family: inherit; }}
    dialog button {{ font-size: 1em; padding: 5px 14px; margin-top: 8px; }}
    dialog input {{ width: 100%; font-size: 1em; padding: 4px; }}
    /* a phone: lecture mode and the keys are for a teacher's screen and a keyboard */
    @media (max-width: 600px) {{
      .ql-classroom > .ql-lecture, .ql-classroom > .ql-help-btn {{ display: none; }}
      .ql-classroom > button, .ql-classroom select {{ font-size: 13px; padding: 3px 8px; }}
      .ql-classroom {{ font-size: 13px; gap: 6px; }}
      .ql-look-text {{ display: none; }}   /* the menu keeps its name for screen readers (aria-label) */
    }}
    """]

    def __init__(self, on_reveal=None, on_slide=None, tr: Translator | None = None, **params):
        tr = tr or translator()
        params.setdefault("profiles", {name: tr.gettext(p.label) for name, p in PROFILES.items()})
        params.setdefault("strings", tr.js_strings(_messages(self._esm)))
        super().__init__(**params)
        self._on_reveal, self._on_slide = on_reveal, on_slide

        def counted(*_):
            n = len(self.hidden)
            self.reveal_text = tr.ngettext("Reveal {n} hidden read-out", "Reveal {n} hidden read-outs", n).format(n=n)

        self.param.watch(counted, "hidden")
        counted()

    def _handle_msg(self, msg) -> None:
        if not isinstance(msg, dict):
            return
        if msg.get("kind") == "reveal" and self._on_reveal:
            self._on_reveal()
        elif msg.get("kind") == "slide" and self._on_slide and msg.get("step") in (-1, 1):
            self._on_slide(msg["step"])


@functools.lru_cache(maxsize=None)
def _messages(esm) -> tuple[str, ...]:
    """The msgids of a component's JavaScript file, read once per process (not once per page)."""
    from lessons.common.i18n import js_messages
    return js_messages(pathlib.Path(esm).read_text(encoding="utf-8"))


class LanguageMenu(JSComponent):
    """The header's language menu (reloads the page in another language, the link keeping every other
    setting); it also sets ``<html lang>`` (Panel's page template writes ``lang="en"``:
    :mod:`lessons.common.workarounds`)."""

    lang = param.String(default="en", doc="The page's language (a code of lessons.common.i18n.LANGUAGES, or qps).")
    languages = param.Dict(default=dict(LANGUAGES), doc="code -> the language's name in itself.")
    label = param.String(default="Language", doc="The menu's name (in the page's language).")

    _esm = """
    export function render({ model, el }) {
      document.documentElement.lang = model.lang === "qps" ? "en-XA" : model.lang
      const label = document.createElement("label")
      label.className = "ql-language"
      // a globe drawn, not an emoji (a classroom machine may have no emoji font); no markup from data
      const svg = "http://www.w3.org/2000/svg", icon = document.createElementNS(svg, "svg")
      for (const [k, v] of Object.entries({"aria-hidden": "true", width: "18", height: "18", viewBox: "0 0 24 24",
                                           fill: "none", stroke: "currentColor", "stroke-width": "1.8"})) icon.setAttribute(k, v)
      for (const [tag, attrs] of [["circle", {cx: 12, cy: 12, r: 9.5}], ["ellipse", {cx: 12, cy: 12, rx: 4.2, ry: 9.5}],
                                  ["path", {d: "M2.5 12h19M4 7h16M4 17h16"}]]) {
        const shape = document.createElementNS(svg, tag)
        for (const [k, v] of Object.entries(attrs)) shape.setAttribute(k, String(v))
        icon.appendChild(shape)
      }
      const select = document.createElement("select")
      select.setAttribute("aria-label", model.label)
      for (const [code, name] of Object.entries(model.languages)) {
        const option = document.createElement("option")
        option.value = code; option.lang = code; option.textContent = name
        option.selected = code === model.lang
        select.appendChild(option)
      }
      select.addEventListener("change", () => {
        const url = new URL(window.location.href)
        url.searchParams.set("lang", select.value)
        window.location.assign(url.toString())
      })
      label.append(icon, select)
      el.appendChild(label)
    }
    """

    _stylesheets = [f"""
    .ql-language {{ display: inline-flex; align-items: center; gap: 4px; color: {css_var("on_header")};
                   font-family: system-ui, sans-serif; font-size: 15px; white-space: nowrap; }}
    .ql-language select {{ font-size: 14px; padding: 4px 6px; min-height: 32px; border-radius: 6px;
                   border: 1px solid {css_var("on_header", 70)}; background: {css_var("on_header", 12)};
                   color: {css_var("on_header")}; cursor: pointer; }}
    .ql-language select option {{ color: {css_var("ink")}; background: {css_var("bg")}; }}
    .ql-language select:focus-visible {{ outline: 3px solid {css_var("highlight")}; outline-offset: 1px; }}
    @media (max-width: 600px) {{ .ql-language select {{ font-size: 13px; padding: 3px 4px; }} }}
    """]

    @classmethod
    def of(cls, tr: Translator, **params) -> "LanguageMenu":
        """The menu of a page in ``tr``'s language."""
        languages = dict(LANGUAGES)
        if tr.pseudo:
            languages[tr.lang] = "⟦pseudo⟧"
        return cls(lang=tr.lang, languages=languages, label=tr.gettext("Language"), **params)


def profile_of(classroom: Classroom):
    """The :class:`~lessons.common.palette.Profile` object of ``classroom``."""
    return get_profile(classroom.profile)
