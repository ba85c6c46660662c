"""Every workaround of Panel's, Bokeh's or Tornado's internals, in one place.

Each one names the symptom that made it necessary, the upstream version it was written against
and the test that guards it (the test fails if the workaround is removed, or stops working after an
upgrade).  :func:`check_versions` warns at start-up when Panel or Bokeh is not the pinned version:
then read this table again.

=============================  =====================================================  ===============  =====================================================================
workaround                     symptom without it                                     upstream         guarding test
=============================  =====================================================  ===============  =====================================================================
:func:`quiet_closed_sockets`   "Task exception was never retrieved:                   Tornado 6.6,     tests/lessons/test_workarounds.py::
                               WebSocketClosedError" for every closed tab             Bokeh 3.9.2      test_closed_socket_noise_is_dropped_and_nothing_else
:func:`drop_late_messages`     ``assert self._session is not None`` tracebacks for   Bokeh 3.9.2      test_messages_for_a_session_that_is_gone_are_dropped_not_asserted;
                               messages of a tab closed while the server is busy                       tests/ui/test_fuzz_ui.py::test_a_tab_closed_while_the_server_is_busy_logs_no_traceback
:func:`refuse_invalid_patches`  "error handling message" with a traceback when a      Bokeh 3.9.2      tests/test_security.py::
                               websocket client sends a value of the wrong type                        test_values_no_control_could_send_are_refused_quietly_over_the_wire
:func:`keep_stylesheets_local`  a pane updated on a hidden (dynamic) tab moves the     Panel 1.9.4      test_a_pane_updated_off_the_page_leaves_the_sessions_stylesheets_local
                               session's stylesheets to cdn.holoviz.org
:func:`local_stylesheets`      a page whose websocket connects after its session     Panel 1.9.4      tests/ui/test_fuzz_ui.py::test_a_late_websocket_loads_nothing_from_other_hosts
                               expired loads its stylesheets from cdn.holoviz.org
:class:`FrozenInitTemplate`    Bokeh walks the whole page after each of ~20 template  Panel 1.9.4,     test_a_new_page_walks_its_models_once
                               parts: 705 of 905 ms of a new Quantization page       Bokeh 3.9.2
:func:`respond_at_once`        every change from the page waits 50 ms                 Panel 1.9.4      tests/lessons/test_classroom.py::
                               (``Syncable._debounce``) before any work starts                         test_every_control_passes_a_change_on_at_the_next_tick
:func:`refuse_bad_input`       a value no control could send (a bit width of 0)      Panel 1.9.4      tests/lessons/test_page_input.py (every widget of every lesson)
                               reaches the model and logs a ValueError traceback
:func:`title_as_panel`        a figure's title fitted to a phone (more lines) is     Bokeh 3.9.2      tests/lessons/test_figures.py::test_a_title_is_a_panel_above_the_plot;
                               painted over the plot: Bokeh lays a figure out again                    tests/ui/test_screens_ui.py::test_titles_and_legends_fit_a_phone
                               when a side panel changes size, never its own title
``busy_indicator=None``        Panel sets every session's spinner on each event of   Panel 1.9.4      tests/lessons/test_classroom.py::
(a setting, :mod:`page`)       any session: 40 % of the CPU with 40 pages                              test_a_page_registers_no_process_wide_busy_indicator
:func:`session_request`        in Pyodide (the docs' live lessons) every page has no  Panel 1.9.4      tests/lessons/test_i18n.py::
                               link arguments and no headers (``MockSessionContext``):                 test_a_pyodide_page_reads_its_link_and_browser_language
                               ``?lang=de`` and the browser's language were ignored
``LanguageMenu`` sets          Panel's page template writes ``<html lang="en">`` for  Panel 1.9.4      tests/ui/test_i18n_ui.py (every test waits for
``<html lang>`` (classroom.py) every page: a screen reader read German as English                      ``document.documentElement.lang``)
=============================  =====================================================  ===============  =====================================================================

:func:`served_page_guards` installs the process-wide ones and sets up a served page's session;
:func:`respond_at_once` and :func:`refuse_bad_input` are applied to each page's widgets.
"""
from __future__ import annotations

import asyncio
import logging
import math
import warnings
from functools import partial

import panel as pn

__all__ = ["PINNED", "check_versions", "quiet_closed_sockets", "drop_late_messages", "refuse_invalid_patches",
           "keep_stylesheets_local", "local_stylesheets", "served_page_guards", "FrozenInitTemplate",
           "respond_at_once", "refuse_bad_input", "title_as_panel"]

#: The versions these workarounds were written against (pyproject.toml pins the same; a test checks).
PINNED = {"panel": "1.9.4", "bokeh": "3.9.2"}
_CHECKED: list = []


def check_versions() -> list[str]:
    """Warn (once per process) if Panel or Bokeh is not the version :data:`PINNED` names; returns
    the mismatches, as "name: installed (pinned ...)" lines."""
    import bokeh

    found = {"panel": pn.__version__, "bokeh": bokeh.__version__}
    wrong = [f"{name}: {found[name]} (pinned {want})" for name, want in PINNED.items() if found[name] != want]
    if wrong and not _CHECKED:
        warnings.warn("Quantum Lessons' workarounds of Panel/Bokeh internals (lessons/common/workarounds.py) "
                      "were written for other versions: " + "; ".join(wrong), RuntimeWarning, stacklevel=2)
    _CHECKED.append(True)
    return wrong


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


def session_request() -> tuple[dict, dict]:
    """The link arguments (name -> list of bytes, as Panel's ``session_args``) and the request headers
    of the page being made.

    Served, they are the session's request's.  In Pyodide Panel's ``MockSessionContext`` has an empty
    request, so they are read from the browser: the worker's ``location.search`` (docs/build.py makes
    the page start its worker with the page's query) and ``navigator.languages`` as an
    ``Accept-Language`` header.
    """
    if pn.state.curdoc is None:
        return {}, {}
    if not getattr(pn.state, "_is_pyodide", False):
        return pn.state.session_args, pn.state.headers
    try:
        import js  # type: ignore[import-not-found]  # Pyodide's bridge to the browser
        from urllib.parse import parse_qs

        query = parse_qs(str(js.location.search or "").lstrip("?"), keep_blank_values=True)
        args = {k: [v.encode("utf-8") for v in vs] for k, vs in query.items()}
        languages = list(getattr(js.navigator, "languages", None) or [js.navigator.language])
        return args, {"Accept-Language": ",".join(str(x) for x in languages)}
    except Exception:          # no browser to ask: the page's defaults (English)
        return {}, {}


def served_page_guards() -> None:
    """What every served page (the lessons and the gallery) sets up before its components exist:
    the process-wide guards around Bokeh and Panel (installed once) and this session's local
    stylesheets; the first time, a warning if Panel or Bokeh is not the pinned version."""
    if not _CHECKED:
        check_versions()
    quiet_closed_sockets()
    drop_late_messages()
    refuse_invalid_patches()
    keep_stylesheets_local()
    local_stylesheets()


class FrozenInitTemplate(pn.template.BootstrapTemplate):
    """Panel's Bootstrap template, put into a session's document in one go.

    Panel (1.9) adds each of a template's parts to the document as a root of its own, and Bokeh
    (3.9) walks every model of every root after each one (``Document.add_root`` ->
    ``DocumentModelManager.recompute``): about 20 walks of the whole page per new session, the
    largest share of what a session cost the server (a Quantization page: 705 of 905 ms of CPU,
    measured with ``bench/lesson_cost.py``).  Inside one ``models.freeze()`` Bokeh walks the page
    once, when the last part is in.
    """

    def _init_doc(self, doc=None, comm=None, title=None, notebook=False, location=True):
        document = doc or pn.state.curdoc
        if document is None:
            return super()._init_doc(doc, comm, title, notebook, location)
        with document.models.freeze():
            return super()._init_doc(document, comm, title, notebook, location)


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


def title_as_panel(fig) -> None:
    """Draw a figure's title as an annotation in the panel above the plot, rather than as the
    figure's own title.

    The browser fits a title to the width the figure gets (lessons/common/figure_fit.js): on a phone
    it takes more lines.  Bokeh 3.9 lays a figure out again when one of its side panels (``above``,
    ``below``, ...) changes size, but never when its own title does (``PlotView`` checks only
    ``Plot.side_panels``, which do not hold the title): the new lines were painted over the plot and
    left behind as it was repainted.  The ``Title`` model stays ``fig.title``, so a view still sets
    ``fig.title.text``.
    """
    fig.title_location = None
    fig.add_layout(fig.title, "above")
