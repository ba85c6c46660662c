"""The page shell of every lesson: the template, the header's classroom bar, and one session's page.

:func:`lesson_app` turns a lesson's model and view (:class:`lessons.common.view.LessonView`) into a
served page: the model from the link, the view in the page's colour profile, the address bar kept in
step, the read-outs a link hides, lecture mode, what follows the first paint, and clean-up when the
session ends.  Views only: nothing here computes physics.
"""
from __future__ import annotations

import gc
import html
import inspect
import pathlib

import panel as pn
import param

from lessons.common.classroom import Classroom, ClassroomBar, LanguageMenu, SlideDeck, hide_css, url_with
from lessons.common.i18n import LANGUAGES, Translator, choose_language, translator
from lessons.common.figures import flow_row, localize_numbers, restyle_figures, translate_tools
from lessons.common.palette import css_var, profile
from lessons.common.player import Player
from lessons.common.sections import LazyTabs, tab_closed
from lessons.common.text import lesson_text_from, plain_text
from lessons.common.urlsync import sync_url
from lessons.common.model import LessonModel
from lessons.common.view import LessonView
from lessons.common.workarounds import (FrozenInitTemplate, refuse_bad_input, respond_at_once, served_page_guards,
                                        session_request)

__all__ = ["lesson_app", "serve_lesson", "page", "page_language", "notice_alert_text", "LAYOUT_CSS", "NARROW_PX", "notice_alert", "warm_once", "LessonTemplate", "TEMPLATE_STYLE",
           "ASSETS", "SECONDARY_DELAY_MS", "SECONDARY_FALLBACK_MS"]

#: The figures and text of a lesson load this long after its player reported ready ...
SECONDARY_DELAY_MS = 300
#: ... or this long after the page loaded, should the player never report.
SECONDARY_FALLBACK_MS = 4000

#: Bootstrap rather than Fast: the Fast templates fetch a font from Google, and a classroom may be
#: offline.  With these settings a served page requests nothing from any other host.
#:
#: No busy indicator: Panel keeps one process-wide busy flag and sets the value of every session's
#: indicator each time any session starts or ends an event, so a class of N pages paid N widget
#: updates per event (40 % of the server's CPU with 40 sessions, py-spy) and each student's spinner
#: turned for the others' work.  The players say "computing…" for their own session instead.
TEMPLATE_STYLE = dict(header_background=profile(None).named("header"), busy_indicator=None)

ASSETS = pathlib.Path(__file__).resolve().parents[2] / "assets"


def notice_alert_text(notices: list[str], tr: Translator) -> str:
    """The Markdown of a notice box: a heading and each notice as plain text."""
    return "**" + tr.gettext("Some settings in the link were corrected:") + "**\n\n" + "\n".join(
        f"- {plain_text(n)}" for n in notices)


def notice_alert(model: param.Parameterized) -> pn.pane.Alert:
    """A warning box listing ``model.notices`` as plain text (hidden while there are none)."""
    alert = pn.pane.Alert(alert_type="warning", visible=False, sizing_mode="stretch_width")
    tr = getattr(model, "tr", None) or translator()

    def show(*_):
        alert.object = notice_alert_text(model.notices, tr)
        alert.visible = bool(model.notices)

    model.param.watch(show, "notices")
    show()
    return alert


#: The page on every screen.  The title shrinks with the window so the classroom bar keeps to one
#: line beside long titles.  Up to NARROW_PX wide (phones, tablets, narrow windows) the controls
#: fold into a drawer over the lesson (the header's "Controls" button; classroom.js closes it on
#: narrow screens at start, on Escape and on a tap beside it), the lesson takes the full width and
#: the header wraps; no page scrolls sideways.
NARROW_PX = 900
LAYOUT_CSS = f"""
#header .title {{ font-size: clamp(1.05rem, 1.6vw, 1.75rem); }}
html, body {{ max-width: 100%; overflow-x: hidden; }}
#header {{ flex-wrap: wrap; }}
@media (max-width: {NARROW_PX}px) {{
  #header {{ padding: 2px 0; justify-content: flex-start; }}
  #header .title {{ white-space: normal; line-height: 1.25; padding-left: 0.2em; font-size: 1.1rem; }}
  .app-header a.title:first-of-type, .app-header span.title {{ display: none; }}
  #header-items {{ flex-wrap: wrap; white-space: normal; margin-left: 6px; row-gap: 4px; min-width: 0; }}
  #content {{ flex-wrap: nowrap; }}
  #sidebar {{ position: fixed; z-index: 1030; left: 0; top: var(--ql-header-h, 56px); bottom: 0;
             width: min(360px, 88vw) !important; max-width: min(360px, 88vw) !important;
             background: {css_var("bg")}; box-shadow: 6px 0 24px {css_var("shade", 35)}; }}
  #sidebar.collapse:not(.show) {{ display: none; }}
  /* no sliding: a drawer is open or shut, so Escape or a tap beside it always finds it in one state */
  #sidebar.collapsing {{ transition: none !important; }}
  #main {{ flex: 1 1 100%; width: 100%; max-width: 100%; padding: 8px 8px 16px 8px; }}
}}
"""


class LessonTemplate(FrozenInitTemplate):
    """The lessons' page template: Panel's Bootstrap template, put into its document in one go
    (:class:`lessons.common.workarounds.FrozenInitTemplate`)."""


def _arg(args: dict, name: str) -> str | None:
    raw = args.get(name)
    if raw is None:
        return None
    raw = raw[-1] if isinstance(raw, (list, tuple)) and raw else raw
    return (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))[:64]


def page_language(args: dict, headers: dict | None = None, own: str | None = None) -> tuple[Translator, list[str]]:
    """A page's translator from its link's ``lang`` (else the browser's ``Accept-Language``, else
    English) and the notice, in the chosen language, when the link asked for one we do not have;
    ``own``: the lesson package of the page (its translations win)."""
    headers = headers or {}
    accept = next((v for k, v in headers.items() if str(k).lower() == "accept-language"), None)
    lang, notice = choose_language(_arg(args, "lang"), accept)
    tr = translator(lang, own)
    if notice is None:
        return tr, []
    asked = _arg(args, "lang") or ""
    return tr, [tr.gettext(notice).format(asked=asked if len(asked) <= 24 else asked[:21] + "...",
                                          known=", ".join(LANGUAGES), used=LANGUAGES.get(lang, lang))]


def page(title: str, sidebar: list, main: list, look=None, collapsed: bool = False,
         tr: Translator | None = None) -> LessonTemplate:
    """The common lesson page: controls in the sidebar, figures and text in the main area; the header
    reads "Quantum Lessons - ``title``" (the first a link to the gallery; the lesson's title alone on
    a narrow screen).

    ``look`` is the page's :class:`~lessons.common.palette.Profile` (standard if None).
    """
    look = look or profile(None)
    served_page_guards()
    template = LessonTemplate(
        meta_viewport="width=device-width, initial-scale=1", site=(tr or translator()).gettext("Quantum Lessons"), site_url="./", title=title,
        sidebar=[pn.Column(*sidebar, sizing_mode="stretch_width")], main=main,
        sidebar_width=round(340 * min(look.font_scale, 1.25)),
        main_max_width="1500px" if look.font_scale == 1 else "100%", theme=look.theme,
        collapsed_sidebar=collapsed, **TEMPLATE_STYLE)
    template.config.raw_css.append(look.css())
    template.config.raw_css.append(LAYOUT_CSS)
    return template


def _view_parts(view) -> list:
    """The Panel objects a view holds (also those it shows only later), Bokeh figures wrapped in panes."""
    from bokeh.models import Plot

    parts, todo = [], list(vars(view).values())
    while todo:
        value = todo.pop()
        if isinstance(value, (list, tuple)):
            todo.extend(value)
        elif isinstance(value, dict):
            todo.extend(value.values())
        elif isinstance(value, Plot):
            parts.append(pn.pane.Bokeh(value))
        elif isinstance(value, pn.viewable.Viewable):
            parts.append(value)
    return parts


def _readout_panes(layout) -> list:
    """The HTML and Markdown panes of ``layout`` (where read-outs live)."""
    found = []
    for item in layout:
        found += [p for p in item.select(pn.pane.HTML)] + [p for p in item.select(pn.pane.Markdown)]
    return found


#: View classes whose process-wide caches are warm (:func:`warm_once`).
_WARM: set = set()


def warm_once(view_cls: type[LessonView]) -> None:
    """Run ``view_cls.warm()`` the first time a page of that lesson is made in this process: with
    ``panel serve --warm`` that is at start-up, before the first student arrives.

    ``warm()`` fills the lesson's shared, read-only caches with what a class asks for first.  Then
    the process's long-lived objects (modules, compiled kernels, those caches) are moved out of the
    garbage collector's sight (``gc.freeze``): a full collection then walks only what sessions
    made, not everything the server ever imported.
    """
    if view_cls in _WARM:
        return
    _WARM.add(view_cls)
    view_cls.warm()
    gc.collect()
    gc.freeze()


def lesson_app(title: str, model_cls: type[LessonModel], view_cls: type[LessonView], args: dict | None = None):
    """One browser session of a lesson: model from the URL, its view, URL sync, page, clean-up.

    ``view_cls`` is a :class:`~lessons.common.view.LessonView` (its docstring is the contract).  The
    player shows first; figures and lesson text follow just after it is ready, which keeps the first
    paint fast.  Returns the page (a :class:`LessonTemplate`) with the session's parts as attributes
    ``ql_model``, ``ql_view``, ``ql_classroom``, ``ql_bar`` and ``ql_main`` (for tests).  The classroom
    layer (profile, keys, copy link, hide/reveal, lecture mode) is :mod:`lessons.common.classroom`.
    """
    if not (isinstance(view_cls, type) and issubclass(view_cls, LessonView)):
        raise TypeError(f"{view_cls!r} is not a LessonView")
    warm_once(view_cls)
    headers = {}
    if args is None:   # tests pass ``args``; a served page has its URL's
        args, headers = session_request()
    tr, lang_notices = page_language(args, headers, own=model_cls.__module__.split(".")[1])
    model = model_cls.from_query(args, tr=tr)
    hideable = {k: tr.gettext(v) for k, v in view_cls.HIDEABLE.items()}
    classroom, notices = Classroom.from_query(args, hideable, tr)
    notices = [*lang_notices, *notices]
    if notices:
        model.notices = [*model.notices, *notices]
    look = profile(classroom.profile)
    view = view_cls(model, look=look)
    players = view.players()
    for player in players:
        player.param.update(palette=look.js(), large_text=look.large, hidden=list(classroom.hidden))
        player.set_language(tr)
    sync_url(model, model_cls.query_names)
    pn.state.on_session_destroyed(lambda _ctx: view.stop())

    main = view.main()
    if classroom.lecture:
        deck = SlideDeck(pathlib.Path(inspect.getfile(view_cls)).with_name("lesson.md"), classroom,
                         lambda text: lesson_text_from(text), tr=tr)
        main = [flow_row(deck.panel, pn.Column(*main, sizing_mode="stretch_width"))]
        location = pn.state.location
        if location is not None:
            # the page turns the slides; the address bar follows (a link opens at its slide)
            classroom.param.watch(lambda e: setattr(location, "search", url_with(location.search, slide=e.new)),
                                  "slide")
            if classroom.slide != 1:
                location.search = url_with(location.search, slide=classroom.slide)
    template = page(tr.gettext(title), view.sidebar(), main, look, collapsed=classroom.lecture, tr=tr)

    # everything the view built, restyled before the page first renders it: restyling figures and
    # widgets as they are added later races Bokeh's events ("reference ... isn't known" in the page)
    parts = [*main, *template.sidebar, *_view_parts(view)]
    restyled: set = set()

    def prepare(objects):
        restyle_figures(objects, look, restyled)
        translate_tools(objects, tr)
        localize_numbers(objects, tr)
        respond_at_once(objects)
        refuse_bad_input(objects)

    prepare(parts)
    # what a tab builds when first opened gets the same treatment before it is shown
    for tabs in {id(t): t for p in parts for t in p.select(LazyTabs)}.values():
        tabs.prepare = prepare
    hidden_css = hide_css(classroom.hidden)
    hidden_panes: list = []

    def hide_readouts():
        # the read-out panes that exist now (figures and text load later; they hold no read-outs)
        for pane in _readout_panes(main):
            if pane not in hidden_panes:
                pane.stylesheets = [*pane.stylesheets, hidden_css]
                hidden_panes.append(pane)
    def reveal():
        for pane in [*hidden_panes, *players]:
            pane.stylesheets = [css for css in pane.stylesheets if css != hidden_css]
        for pane in hidden_panes:
            # Panel's HTML panes apply a changed stylesheet list when they next render their text
            pane.param.trigger("object")
        for player in players:
            player.hidden = []
        hidden_panes.clear()
        classroom.hidden = []
        bar.hidden = []
        if pn.state.location is not None:
            pn.state.location.search = url_with(pn.state.location.search, hide=None)

    if hidden_css:
        hide_readouts()
        for player in players:
            player.stylesheets = [*player.stylesheets, hidden_css]
    bar = ClassroomBar(profile=look.name, lecture=classroom.lecture, hidden=[hideable[k] for k in classroom.hidden],
                       on_reveal=reveal, on_slide=(deck.go if classroom.lecture else None), tr=tr,
                       sizing_mode="stretch_width", min_width=250)   # wraps under the link, not squeezed

    def secondary():
        if tab_closed(view.player):      # the tab closed before its figures were due: build nothing
            return
        view.load_secondary()

    doc = pn.state.curdoc
    if doc is not None and doc.session_context is not None:
        later = lambda ms: doc.add_timeout_callback(secondary, ms)  # noqa: E731
        view.player.page.param.watch(lambda _e: later(SECONDARY_DELAY_MS), "page_ready")
        # a page whose first screen has no player (it is on a tab) goes on once the page is there
        shows_player = any(p is view.player for o in main for p in o.select(Player))
        pn.state.onload(lambda: later(SECONDARY_FALLBACK_MS if shows_player else SECONDARY_DELAY_MS))
    else:
        secondary()
    gallery = "./" if tr.lang == "en" or "lang" not in args else f"./?lang={tr.lang}"
    back = html.escape(tr.gettext("all lessons"))
    template.header.append(pn.Row(
        pn.pane.HTML(f'<a href="{gallery}" style="color:white;font-size:15px;'
                     f'margin-left:12px;white-space:nowrap">← {back}</a>', margin=(8, 10)),
        LanguageMenu.of(tr, margin=(4, 6)), bar, sizing_mode="stretch_width",
        # on a phone the row wraps: a German or Spanish bar is wider than 390 px
        stylesheets=[":host { flex-wrap: wrap !important; row-gap: 2px; }"]))
    template.ql_model, template.ql_view, template.ql_classroom, template.ql_bar = model, view, classroom, bar
    template.ql_tr = tr
    template.ql_main = main
    return template


def serve_lesson(slug: str) -> None:
    """What ``apps/<slug>.py`` does: serve the lesson ``slug``, one page per browser tab.

    Panel's extension as the lesson's card says (sliders report on release, or while dragged), the
    lesson view's ``create_app()``, made servable under its page title.
    """
    import importlib

    from lessons import card

    lesson = card(slug)
    pn.extension("katex", throttled=lesson.throttled, notifications=False)
    view = importlib.import_module(f"lessons.{lesson.slug}.view")
    app = view.create_app()
    app.servable(title=f"{app.ql_tr.gettext(lesson.page_title or lesson.name)} · {app.ql_tr.gettext('Quantum Lessons')}")
