"""Panel helpers shared by the lesson views: page template, lesson text with equations, URL sync.

Views only: nothing here computes physics.
"""
from __future__ import annotations

import asyncio
import gc
import html
import inspect
import json
import logging
import math
import pathlib
import re
import time
from functools import partial
from urllib.parse import parse_qs

import panel as pn
import param

from lessons.common.classroom import Classroom, ClassroomBar, SlideDeck, hide_css, url_with
from lessons.common.palette import profile
from lessons.common.player import CanvasPlayer
from lessons.common.urlstate import sanitize

__all__ = ["lesson_text", "lesson_text_from", "restyle_figures", "respond_at_once", "sync_url", "notice_alert", "plain_text", "page", "quiet_closed_sockets", "drop_late_messages", "refuse_invalid_patches",
           "lesson_app", "warm_once", "refuse_bad_input", "tab_closed", "Debounced", "lesson_figure", "legend_below", "readout_cards", "READOUT_CSS",
           "ASSETS", "TEMPLATE_STYLE", "LessonTemplate", "LazyTabs"]

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
TEMPLATE_STYLE = dict(header_background="#1c4f82", busy_indicator=None)

ASSETS = pathlib.Path(__file__).resolve().parents[2] / "assets"

_EQUATION = re.compile(r"^\$\$\s*\n?(.*?)\n?\s*\$\$\s*$", re.S | re.M)


def lesson_text(path: pathlib.Path, **kwargs) -> pn.Column:
    """Markdown from the repo with ``$$ ... $$`` display equations rendered by KaTeX.

    Text and equation blocks alternate: each ``$$`` block (on lines of its own) becomes a
    :class:`pn.pane.LaTeX`, the rest Markdown.  Markdown comes only from files in the repo, never
    from a user.
    """
    return lesson_text_from(pathlib.Path(path).read_text(encoding="utf-8"), **kwargs)


def lesson_text_from(text: str, **kwargs) -> pn.Column:
    """:func:`lesson_text` of Markdown ``text`` (which must come from a file in the repo)."""
    parts, pos = [], 0
    for match in _EQUATION.finditer(text):
        before = text[pos:match.start()].strip()
        if before:
            parts.append(pn.pane.Markdown(before, sizing_mode="stretch_width"))
        parts.append(pn.pane.LaTeX(f"$${match.group(1).strip()}$$", renderer="katex",
                                   styles={"font-size": "1.15em"}, margin=(0, 20)))
        pos = match.end()
    rest = text[pos:].strip()
    if rest:
        parts.append(pn.pane.Markdown(rest, sizing_mode="stretch_width"))
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


def notice_alert(model: param.Parameterized) -> pn.pane.Alert:
    """A warning box listing ``model.notices`` as plain text (hidden while there are none)."""
    alert = pn.pane.Alert(alert_type="warning", visible=False, sizing_mode="stretch_width")

    def show(*_):
        alert.object = "**Some settings in the link were corrected:**\n\n" + "\n".join(
            f"- {plain_text(n)}" for n in model.notices)
        alert.visible = bool(model.notices)

    model.param.watch(show, "notices")
    show()
    return alert


def sync_url(model: param.Parameterized, names: dict[str, str]) -> None:
    """Mirror ``model``'s parameters in the URL query (``names``: query name -> parameter name).

    Every change of a synced parameter rewrites its own argument in the address bar, in JSON
    spelling (``true``, ``1.5``), and leaves every other argument as it was.  The model must already
    hold sanitised values (see ``from_query``); when the browser reports its query (after it
    connects, or a value the page changed), it is sanitised the same way: good values are taken,
    bad or blank ones are replaced by the model's, with a notice for what was not noted already.

    Panel's ``Location.sync`` is not used: its ``update_query`` decodes and re-encodes the whole
    query, so ``?a=true`` became ``?a=True`` (Python's spelling) whenever another setting changed,
    and the next report of that query failed to validate.
    """
    location = pn.state.location
    if location is None:
        return
    def clean_search(search: str) -> str:
        present = parse_qs(str(search or "").lstrip("?"), keep_blank_values=True)
        wanted = {q: _serialized(model, names[q]) for q in names}
        if all(present.get(q) == [v] for q, v in wanted.items()):
            return search
        return url_with(search, **wanted)

    writing = []

    def write(*_) -> None:
        search = clean_search(location.search)
        if search != location.search:
            writing.append(search)
            try:
                location.search = search
            finally:
                writing.pop()

    def read(event) -> None:
        if writing:
            return          # our own write: the model holds these values already
        raw = parse_qs(str(event.new or "").lstrip("?"), keep_blank_values=True)
        query = {q: v for q, v in raw.items() if q in names}
        values, notices = sanitize(type(model), query, names)
        # compared as the link spells them: a link rounds to 10 digits (Setting.serialize), and a
        # value equal in the link is no change (a hidden slider sent a new value breaks BokehJS)
        changed = {p: v for p, v in values.items()
                   if _serialized(model, p) != _serialized_value(model, p, v)}
        noted = {n.split("'")[1].split("=")[0] for n in model.notices if n.count("'") >= 2}
        fresh = [n for n in notices if n.split("'")[1].split("=")[0] not in noted]
        if fresh:
            model.notices = [*model.notices, *fresh]
        if changed:
            model.param.update(**changed)      # its watcher writes the address bar
        write()

    model.param.watch(write, list(names.values()))
    location.param.watch(read, "search")
    write()


def _serialized(model: param.Parameterized, pname: str) -> str:
    return _serialized_value(model, pname, getattr(model, pname))


def _serialized_value(model: param.Parameterized, pname: str, value) -> str:
    value = model.param[pname].serialize(value)
    return value if isinstance(value, str) else json.dumps(value)


_FIGURE_CSV_JS = (pathlib.Path(__file__).parent / "figure_csv.js").read_text(encoding="utf-8")

#: An icon for the CSV tool (a sheet with rows), as a data URL: the page loads nothing from elsewhere.
_CSV_ICON = ("data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24'>"
             "<path d='M4 3h11l5 5v13H4z' fill='none' stroke='%23333' stroke-width='1.6'/>"
             "<text x='12' y='18' font-size='7' text-anchor='middle' font-family='sans-serif' "
             "fill='%23333'>CSV</text></svg>")


def _slug(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:60] or "figure"


def lesson_figure(title: str, x_label: str, y_label: str, height: int = 300, **kw):
    """A Bokeh figure in the lessons' style: full width, readable title and axes, and a tool bar
    (shown while the pointer is over the plot) that saves it as PNG or its data as CSV."""
    from bokeh.models import CustomAction, CustomJS, SaveTool
    from bokeh.plotting import figure

    fig = figure(title=title, height=height, sizing_mode="stretch_width", toolbar_location="right",
                 tools="", x_axis_label=x_label, y_axis_label=y_label, **kw)
    name = _slug(title)
    fig.add_tools(SaveTool(filename=name, description="Save the plot as PNG"),
                  CustomAction(icon=_CSV_ICON, description="Download the plot's data as CSV",
                               callback=CustomJS(args=dict(fig=fig, filename=f"{name}.csv"), code=_FIGURE_CSV_JS)))
    fig.toolbar.autohide = True
    fig.toolbar.logo = None
    fig.title.text_font_size = "15px"
    for axis in (fig.xaxis, fig.yaxis):
        axis.axis_label_text_font_size = "14px"
        axis.major_label_text_font_size = "13px"
    return fig


def legend_below(fig, rows: int | None = None) -> None:
    """Move a figure's legend under the plot (horizontal, in ``rows`` rows if given), where it covers no data."""
    legend = fig.legend[0]
    legend.orientation = "horizontal"
    if rows:
        legend.nrows = rows
    legend.label_text_font_size = "12px"
    legend.spacing = 14
    fig.add_layout(legend, "below")


#: Look of the read-out cards (a stylesheet for the pane that shows :func:`readout_cards`).
READOUT_CSS = """
.ql-cards { display: flex; flex-wrap: wrap; gap: 10px; font-family: system-ui, sans-serif; }
.ql-card { border: 1px solid var(--ql-border, #d0d7de); border-radius: 8px; padding: 6px 12px; min-width: 150px;
           max-width: calc(280px * var(--ql-scale, 1));
           background: var(--ql-surface, #f8f9fa); color: var(--ql-ink, #222); }
.ql-card span { display: block; font-size: calc(14px * var(--ql-scale, 1)); color: var(--ql-ink, #333); }
.ql-card b { display: block; font-size: calc(24px * var(--ql-scale, 1)); font-variant-numeric: tabular-nums; }
.ql-card small { color: var(--ql-muted, #555); font-size: calc(12px * var(--ql-scale, 1)); }
"""


def readout_cards(cards, values: dict[str, str]) -> str:
    """HTML of the read-out cards: ``cards`` is (key, label, hint) per card, ``values`` the shown text per key.

    Each card is ``div.ql-card[data-q=key]`` with the value in ``b`` (the hook of the UI tests); the
    row is a polite live region, so screen readers announce new values.
    """
    body = "".join(f'<div class="ql-card" data-q="{key}"><span>{label}</span><b>{values[key]}</b>'
                   f'<small>{hint}</small></div>' for key, label, hint in cards)
    return f'<div class="ql-cards" aria-live="polite">{body}</div>'


def drop_late_messages() -> None:
    """Drop a message that arrives on a websocket whose session is already gone.

    A tab closed or reloaded while the server is busy: the messages it sent just before are handled
    after Bokeh has detached the connection from its session, and Bokeh 3.9's handlers then fail on
    ``assert self._session is not None`` (bokeh/server/connection.py), one traceback per message
    (seen in the classroom load test and the fuzz).  Nothing is lost, the session is going away:
    such a message now gets no answer, and a socket closing then is only forgotten.  Installed once
    per process, on Bokeh's protocol handler and websocket handler.
    """
    try:
        from bokeh.server.protocol_handler import ProtocolHandler
        from bokeh.server.views.ws import WSHandler
    except ImportError:   # Pyodide: no Bokeh server
        return
    if getattr(ProtocolHandler.handle, "ql_drops_late", False):
        return
    handle_message, close_socket = ProtocolHandler.handle, WSHandler.on_close

    async def handle(self, message, connection):
        if getattr(connection, "_session", True) is None:
            return None
        return await handle_message(self, message, connection)

    def on_close(self):
        # the same race when the tab's socket closes: its session may already be gone, and then
        # there is nobody to tell; the connection is forgotten as Bokeh does
        connection = getattr(self, "connection", None)
        if connection is not None and getattr(connection, "_session", True) is None:
            self.application.client_lost(connection)
            return None
        return close_socket(self)

    handle.ql_drops_late = True
    ProtocolHandler.handle, WSHandler.on_close = handle, on_close


def refuse_invalid_patches() -> None:
    """Drop a change from a page that Bokeh's property refuses, instead of failing the message.

    A page's slider sends numbers, but a websocket client can send text, None or a list as a
    slider's value.  Bokeh (3.9) validates each change when it applies the page's patch
    (``ModelChangedEvent._handle_event`` -> ``set_from_json``); a ValueError there ends the whole
    message and logs "error handling message" with a traceback.  Such a change is now dropped
    (logged at debug level) and the rest of the message applied.  What Bokeh accepts but the
    lesson cannot use (a bit width of 0) is :func:`refuse_bad_input`'s.  Installed once per
    process.  Guarded by ``test_values_no_control_could_send_are_refused_quietly_over_the_wire``.
    """
    from bokeh.document.events import ModelChangedEvent
    handle = ModelChangedEvent._handle_event
    if getattr(handle, "ql_refuses", False):
        return

    def _handle_event(doc, event):
        try:
            handle(doc, event)
        except ValueError as err:
            logging.getLogger(__name__).debug("dropped a change from a page: %s", err)

    _handle_event.ql_refuses = True
    ModelChangedEvent._handle_event = staticmethod(_handle_event)


def local_stylesheets() -> None:
    """Components load their stylesheets from this server, also in a session the websocket made.

    Panel points a component's stylesheets at this server only when it renders the page's HTML
    (``doc.template_variables["dist_url"]``, panel/io/server.py).  A page whose websocket connects
    after its session has expired (``--unused-session-lifetime`` is 5 s: a slow device, a busy
    server) gets a new session that Bokeh makes at connect time, with no HTML, and its components
    then asked cdn.holoviz.org for their stylesheets: another host, and nothing on a class network
    without internet.  Set before the models exist, the server's own path holds from the start.
    Outside a server session (Pyodide, a notebook, a static export) Panel's choice stands.
    """
    doc = pn.state.curdoc
    if doc is None or doc.session_context is None:
        return
    from panel.io.resources import get_dist_path
    doc.template_variables.setdefault("dist_url", get_dist_path())


def keep_stylesheets_local() -> None:
    """A pane updated while its model is off the page keeps this session's stylesheets local.

    Panel (1.9) renders only the open tab of a ``dynamic`` Tabs; a pane on another tab keeps a
    model with no document, and when its text changes, ``HTMLBasePane._update`` asks for the
    model's properties with ``doc=None``.  Panel then takes cdn.holoviz.org as the stylesheets'
    home and rewrites the session's shared ``ImportedStyleSheet`` objects (one per URL and
    document, ``state._stylesheets``) to it, so every component on the page reloaded
    ``loading.css`` and ``markdown.css`` from the CDN: another host, and on a class network
    without internet, console errors (found by the fuzz: Bound states' measurement count,
    updated while the PINN tab was open).  With no document given, the session's own document
    is used, as it is for the cache.  Installed once per process, on ``Reactive._get_properties``.
    """
    from panel.reactive import Reactive
    original = Reactive._get_properties
    if getattr(original, "ql_local", False):
        return

    def _get_properties(self, doc):
        if doc is None:
            doc = pn.state.curdoc
        return original(self, doc)

    _get_properties.ql_local = True
    Reactive._get_properties = _get_properties


def quiet_closed_sockets() -> None:
    """Drop the 'Task exception was never retrieved: WebSocketClosedError' noise of closed tabs.

    When a tab goes away while Bokeh is writing an update to it, the write fails inside a task
    nobody awaits and asyncio logs a traceback, although nothing is wrong (the session is cleaned
    up as usual).  This installs, once per event loop, a handler that ignores exactly that and
    passes everything else on.
    """
    try:
        from tornado.iostream import StreamClosedError
        from tornado.websocket import WebSocketClosedError
    except ImportError:   # Pyodide: no Tornado, and no websockets to quiet
        return

    try:
        loop = asyncio.get_event_loop()
    except RuntimeError:
        return
    previous = loop.get_exception_handler()
    if getattr(previous, "quiet_closed_sockets", False):
        return

    def handler(loop, context):
        if isinstance(context.get("exception"), (WebSocketClosedError, StreamClosedError)):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    handler.quiet_closed_sockets = True
    loop.set_exception_handler(handler)


def served_page_guards() -> None:
    """What every served page (the lessons and the gallery) sets up before its components exist:
    the process-wide guards around Bokeh and Panel (installed once) and this session's local
    stylesheets."""
    quiet_closed_sockets()
    drop_late_messages()
    refuse_invalid_patches()
    keep_stylesheets_local()
    local_stylesheets()


class LessonTemplate(pn.template.BootstrapTemplate):
    """Panel's Bootstrap template, put into a session's document in one go.

    Panel (1.9) adds each of a template's parts to the document as a root of its own, and Bokeh
    (3.9) walks every model of every root after each one (``Document.add_root`` ->
    ``DocumentModelManager.recompute``): about 20 walks of the whole page per new session, the
    largest share of what a session cost the server (a Quantization page: 705 of 905 ms of CPU,
    measured with ``bench/lesson_cost.py``).  Inside one ``models.freeze()`` Bokeh walks the page
    once, when the last part is in.  Guarded by ``test_a_new_page_walks_its_models_once``.
    """

    def _init_doc(self, doc=None, comm=None, title=None, notebook=False, location=True):
        document = doc or pn.state.curdoc
        if document is None:
            return super()._init_doc(doc, comm, title, notebook, location)
        with document.models.freeze():
            return super()._init_doc(document, comm, title, notebook, location)


def page(title: str, sidebar: list, main: list, look=None, collapsed: bool = False) -> LessonTemplate:
    """The common lesson page: controls in the sidebar, figures and text in the main area.

    ``look`` is the page's :class:`~lessons.common.palette.Profile` (standard if None).
    """
    look = look or profile(None)
    served_page_guards()
    template = LessonTemplate(
        title=title, sidebar=[pn.Column(*sidebar, sizing_mode="stretch_width")], main=main, sidebar_width=round(340 * min(look.font_scale, 1.25)),
        main_max_width="1500px" if look.font_scale == 1 else "100%", theme=look.theme,
        collapsed_sidebar=collapsed, **TEMPLATE_STYLE)
    template.config.raw_css.append(look.css())
    # the title shrinks with the window so the classroom bar keeps to one line beside long titles
    template.config.raw_css.append("#header .title { font-size: clamp(1.05rem, 1.6vw, 1.75rem); }")
    return template


class Debounced:
    """``fn`` called for the latest settings at most once every ``ms`` (at once outside a server).

    A lone change runs at the next tick, so a click or a key press is answered without delay; held
    keys and fast slider drags send many values within ``ms``, which are coalesced into one call
    ``ms`` after the previous one, for the latest settings.
    """

    def __init__(self, fn, ms: int):
        self.fn, self.ms, self.pending = fn, ms, False
        self.last = -1e9            # time.monotonic() of the last call of fn

    def __call__(self, *_):
        doc = pn.state.curdoc
        if doc is None or doc.session_context is None:
            self._run()
        elif not self.pending:
            self.pending = True
            wait_ms = self.ms - 1000 * (time.monotonic() - self.last)
            if wait_ms <= 0:
                doc.add_next_tick_callback(self._run)
            else:
                doc.add_timeout_callback(self._run, wait_ms)

    def _run(self):
        self.pending = False
        self.last = time.monotonic()
        self.fn()


class LazyTabs(pn.Tabs):
    """Tabs whose contents are built the first time they are opened, and rendered only while open.

    ``LazyTabs(("title", build), ...)``: ``build()`` returns the tab's Panel objects (or one).  The
    tabs are ``dynamic``: Panel renders only the open one, so a hidden tab costs the page nothing,
    and a tab never opened costs nothing at all: its Bokeh figures are never made (a figure costs
    about 10 ms of server CPU to build and as much again to put on a page).  ``prepare(objects)`` is
    called with what a build returns before it is shown (``lesson_app`` sets it to give the
    objects the page's look); ``opened(title)`` builds a tab now, ``built(title)`` tells whether it
    is.  Tabs can be added later with :meth:`add_lazy`.

    ``later=True``: in a served page the open tab too is built only when ``opened`` is called (a
    view's ``load_secondary``, just after the first paint), so the page's first message carries
    the read-outs and controls, not the figures.  Outside a server it is built at once.
    """

    def __init__(self, *tabs, later: bool = False, **params):
        super().__init__(*[(title, pn.Column(sizing_mode="stretch_width")) for title, _ in tabs],
                         dynamic=True, **params)
        self._builders = {title: build for title, build in tabs}
        self._built: set[str] = set()
        self.prepare = lambda objects: None
        self.param.watch(lambda _e: self.opened(self.active_title), "active")
        doc = pn.state.curdoc
        served = doc is not None and doc.session_context is not None
        if tabs and not (later and served):
            self.opened(self.active_title)

    @property
    def active_title(self) -> str | None:
        return self._names[self.active] if 0 <= self.active < len(self._names) else None

    def built(self, title: str) -> bool:
        return title in self._built

    def opened(self, title: str | None) -> None:
        """Build the tab called ``title`` if it has not been built yet."""
        if title is None or title in self._built or title not in self._builders:
            return
        self._built.add(title)
        objects = self._builders[title]()
        objects = list(objects) if isinstance(objects, (list, tuple)) else [objects]
        self.prepare(objects)
        self[self._names.index(title)].objects = objects

    def add_lazy(self, *tabs) -> None:
        """Add ``(title, build)`` tabs at the end (built when first opened)."""
        for title, build in tabs:
            self._builders[title] = build
        self.extend([(title, pn.Column(sizing_mode="stretch_width")) for title, _ in tabs])
        self.opened(self.active_title)       # the first tabs added are the open one


def tab_closed(player) -> bool:
    """True when ``player``'s page had connected and this session now has no websocket (tab closed).

    Before the page first connects the count is 0 too, so only a page that said "ready" counts.
    Bokeh keeps a session for a while after its tab closes; periodic work should stop at once.
    """
    if not player.connected:
        return False
    ctx = pn.state.curdoc.session_context if pn.state.curdoc else None
    session = getattr(ctx, "_session", None)  # Bokeh's ServerSession; absent outside a server
    return session is not None and getattr(session, "connection_count", 1) == 0


def restyle_figures(layout, look, done: set) -> None:
    """Draw every Bokeh figure inside ``layout`` (a Panel object or list of them) in profile ``look``."""
    if look.index == 0:
        return
    widget_css = look.widget_css()
    for item in layout if isinstance(layout, (list, tuple)) else [layout]:
        if not isinstance(item, pn.viewable.Viewable):
            continue
        for pane in item.select(pn.pane.Bokeh):
            if pane.object is not None:
                look.restyle(pane.object, done)
        if widget_css:
            # form controls do not inherit the page's type size into their shadow roots
            for widget in item.select(lambda o: isinstance(o, (pn.widgets.Widget, pn.Tabs))):
                if id(widget) not in done:
                    done.add(id(widget))
                    widget.stylesheets = [*widget.stylesheets, widget_css]


def respond_at_once(layout) -> None:
    """Let every widget inside ``layout`` pass a change from the page on at the next tick.

    Panel holds each change a widget receives from the page for 50 ms (``Syncable._debounce``) to
    gather a burst.  Every move then waited 50 ms before any work began, half the latency goal of a
    class.  The lessons gather bursts themselves: a drag's values each cost one parameter update, and
    :class:`Debounced` turns them into one recompute, so that wait bought nothing here.
    """
    for item in layout if isinstance(layout, (list, tuple)) else [layout]:
        if isinstance(item, pn.viewable.Viewable):
            for widget in item.select(pn.widgets.Widget):
                widget._debounce = 0


#: What :func:`_page_value` returns for a value no control of the page could have sent.
_REFUSED = object()


def refuse_bad_input(layout) -> None:
    """Make every widget inside ``layout`` clamp or quietly drop a value from the page that none of
    the page's controls could send.

    A slider in a page stays inside its range and a menu offers only its options, but any
    websocket client can send anything: a bit width of 0, NaN, a string, an index past the last
    button.  Panel (1.9) would pass it on to the lesson's model, whose parameter refuses it with a
    ValueError, and log a traceback for every such message (200 of them in one load test).  Here
    a slider's number is clamped to the slider's range (and rounded for an integer slider), any
    other value the widget could not take is dropped, and so is a change of anything a control
    does not change (a menu's options, a slider's range), before Panel sees it.  Installed once per
    widget, on ``_process_events`` (what Panel calls with each change the page reports).
    """
    for item in layout if isinstance(layout, (list, tuple)) else [layout]:
        if not isinstance(item, pn.viewable.Viewable):
            continue
        for widget in item.select(pn.widgets.Widget):
            if getattr(widget, "_ql_checks_input", False):
                continue
            widget._ql_checks_input = True
            widget._process_events = partial(_checked_page_events, widget, widget._process_events)


#: The properties a student changes by using a control (the page never changes the others: a
#: menu's options, a slider's range, a label are the server's to set).
_FROM_THE_PAGE = frozenset({"value", "value_throttled", "active", "clicks", "value_input"})


def _checked_page_events(widget, process, events: dict) -> None:
    good = {}
    for key, value in events.items():
        if key not in _FROM_THE_PAGE:
            continue
        value = _page_value(widget, key, value)
        if value is _REFUSED:
            continue
        try:                       # what Panel would make of it, and whether the widget takes that
            for name, new in widget._process_property_change({key: value}).items():
                if "." not in name and name in widget.param:
                    widget.param[name]._validate(new)
        except Exception:
            continue
        good[key] = value
    if good:
        process(good)


def _page_value(widget, key: str, value):
    """``value`` as the page's control could have sent it: a slider's number clamped to its range;
    None (no control of these pages is ever left empty) refused."""
    from panel.widgets.slider import _SliderBase

    if value is None:
        return _REFUSED
    if key not in ("value", "value_throttled") or not isinstance(widget, _SliderBase) \
            or isinstance(widget, pn.widgets.DiscreteSlider) or isinstance(widget.value, (tuple, list)):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return _REFUSED
    value = min(max(value, widget.start), widget.end)
    return int(round(value)) if isinstance(widget, pn.widgets.IntSlider) else value


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


def warm_once(view_cls) -> None:
    """Run ``view_cls.warm()`` (if it has one) the first time a page of that lesson is made in this
    process: with ``panel serve --warm`` that is at start-up, before the first student arrives.

    ``warm()`` fills the lesson's shared, read-only caches with what a class asks for first.  Then
    the process's long-lived objects (modules, compiled kernels, those caches) are moved out of the
    garbage collector's sight (``gc.freeze``): a full collection then walks only what sessions
    made, not everything the server ever imported.
    """
    if view_cls in _WARM:
        return
    _WARM.add(view_cls)
    warm = getattr(view_cls, "warm", None)
    if warm is not None:
        warm()
    gc.collect()
    gc.freeze()


def lesson_app(title: str, model_cls, view_cls, query_names: dict, args: dict | None = None):
    """One browser session of a lesson: model from the URL, its view, URL sync, page, clean-up.

    The view must offer ``player`` (with ``page_ready``), ``sidebar()``, ``main()``,
    ``load_secondary()`` and ``stop()``, may list the read-outs a link can hide in
    ``HIDEABLE`` (key -> label) and may offer a static ``warm()`` (see :func:`warm_once`).  The player shows first; figures and lesson text follow just after
    it is ready, which keeps the first paint fast.  Returns the page (a BootstrapTemplate) with the
    session's parts as attributes ``ql_model``, ``ql_view``, ``ql_classroom`` (for tests).  The classroom layer (profile, keys, copy link,
    hide/reveal, lecture mode) is :mod:`lessons.common.classroom`.
    """
    warm_once(view_cls)
    if args is None:   # tests pass ``args``; a served page has its URL's
        args = pn.state.session_args if pn.state.curdoc else {}
    model = model_cls.from_query(args)
    hideable = getattr(view_cls, "HIDEABLE", {})
    classroom, notices = Classroom.from_query(args, hideable)
    if notices:
        model.notices = [*model.notices, *notices]
    look = profile(classroom.profile)
    view = view_cls(model)
    players = [view.player, *getattr(view, "extra_players", [])]
    for player in players:
        player.param.update(palette=look.js(), large_text=look.large, hidden=list(classroom.hidden))
    sync_url(model, query_names)
    pn.state.on_session_destroyed(lambda _ctx: view.stop())

    main = view.main()
    if classroom.lecture:
        deck = SlideDeck(pathlib.Path(inspect.getfile(view_cls)).with_name("lesson.md"), classroom,
                         lambda text: lesson_text_from(text))
        main = [pn.Row(deck.panel, pn.Column(*main, sizing_mode="stretch_width"), sizing_mode="stretch_width")]
        location = pn.state.location
        if location is not None:
            # the page turns the slides; the address bar follows (a link opens at its slide)
            classroom.param.watch(lambda e: setattr(location, "search", url_with(location.search, slide=e.new)),
                                  "slide")
            if classroom.slide != 1:
                location.search = url_with(location.search, slide=classroom.slide)
    template = page(f"Quantum Lessons · {title}", view.sidebar(), main, look, collapsed=classroom.lecture)

    # everything the view built, restyled before the page first renders it: restyling figures and
    # widgets as they are added later races Bokeh's events ("reference ... isn't known" in the page)
    parts = [*main, *template.sidebar, *_view_parts(view)]
    restyled: set = set()

    def prepare(objects):
        restyle_figures(objects, look, restyled)
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
                       on_reveal=reveal, on_slide=(deck.go if classroom.lecture else None), sizing_mode="stretch_width")

    def secondary():
        view.load_secondary()

    doc = pn.state.curdoc
    if doc is not None and doc.session_context is not None:
        later = lambda ms: doc.add_timeout_callback(secondary, ms)  # noqa: E731
        view.player.param.watch(lambda _e: later(SECONDARY_DELAY_MS), "page_ready")
        # a page whose first screen has no player (it is on a tab) goes on once the page is there
        shows_player = any(p is view.player for o in main for p in o.select(CanvasPlayer))
        pn.state.onload(lambda: later(SECONDARY_FALLBACK_MS if shows_player else SECONDARY_DELAY_MS))
    else:
        secondary()
    template.header.append(pn.Row(
        pn.pane.HTML('<a href="./" style="color:white;font-size:15px;'
                     'margin-left:12px;white-space:nowrap">← all lessons</a>', margin=(8, 10)),
        bar, sizing_mode="stretch_width"))
    template.ql_model, template.ql_view, template.ql_classroom, template.ql_bar = model, view, classroom, bar
    template.ql_main = main
    return template
