"""Panel helpers shared by the lesson views: page template, lesson text with equations, URL sync.

Views only: nothing here computes physics.
"""
from __future__ import annotations

import asyncio
import html
import json
import pathlib
import re
from urllib.parse import parse_qs

import panel as pn
import param

from lessons.common.urlstate import sanitize

__all__ = ["lesson_text", "sync_url", "notice_alert", "plain_text", "page", "quiet_closed_sockets",
           "lesson_app", "tab_closed", "Debounced", "lesson_figure", "legend_below", "readout_cards", "READOUT_CSS",
           "ASSETS", "TEMPLATE_STYLE"]

#: The figures and text of a lesson load this long after its player reported ready ...
SECONDARY_DELAY_MS = 300
#: ... or this long after the page loaded, should the player never report.
SECONDARY_FALLBACK_MS = 4000

#: Bootstrap rather than Fast: the Fast templates fetch a font from Google, and a classroom may be
#: offline.  With these settings a served page requests nothing from any other host.
TEMPLATE_STYLE = dict(header_background="#1c4f82")

ASSETS = pathlib.Path(__file__).resolve().parents[2] / "assets"

_EQUATION = re.compile(r"^\$\$\s*\n?(.*?)\n?\s*\$\$\s*$", re.S | re.M)


def lesson_text(path: pathlib.Path, **kwargs) -> pn.Column:
    """Markdown from the repo with ``$$ ... $$`` display equations rendered by KaTeX.

    Text and equation blocks alternate: each ``$$`` block (on lines of its own) becomes a
    :class:`pn.pane.LaTeX`, the rest Markdown.  Markdown comes only from files in the repo, never
    from a user.
    """
    text = pathlib.Path(path).read_text(encoding="utf-8")
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

    The model must already hold sanitised values (see ``from_query``); if the browser later reports
    a query that does not validate, it is clamped the same way and the notices are extended.
    """
    if pn.state.location is None:
        return
    by_param = {p: q for q, p in names.items()}

    def on_error(mapped: dict) -> None:
        # The browser reports its own (raw) query after connecting: clamp it like from_query did,
        # note only what was not noted already, and write the clean values back to the address bar.
        query = {by_param[k]: str(v) for k, v in mapped.items() if k in by_param}
        values, notices = sanitize(type(model), query, names)
        model.param.update(**values)
        noted = {n.split("'")[1].split("=")[0] for n in model.notices if n.count("'") >= 2}
        fresh = [n for n in notices if n.split("'")[1].split("=")[0] not in noted]
        if fresh:
            model.notices = [*model.notices, *fresh]
        pn.state.location.update_query(**{q: _serialized(model, names[q]) for q in query})

    pn.state.location.sync(model, by_param, on_error=on_error)

    def drop_blanks(search: str) -> None:
        # Panel's query parsing skips blank values ("?width="), so they never reach on_error;
        # from_query already noted them: replace them with the model's values.
        raw = parse_qs(str(search or "").lstrip("?"), keep_blank_values=True)
        blank = [q for q, v in raw.items() if q in names and not "".join(v).strip()]
        if blank:
            pn.state.location.update_query(**{q: _serialized(model, names[q]) for q in blank})

    pn.state.location.param.watch(lambda event: drop_blanks(event.new), "search")
    drop_blanks(pn.state.location.search)


def _serialized(model: param.Parameterized, pname: str) -> str:
    value = model.param[pname].serialize(getattr(model, pname))
    return value if isinstance(value, str) else json.dumps(value)


def lesson_figure(title: str, x_label: str, y_label: str, height: int = 300, **kw):
    """A Bokeh figure in the lessons' style: full width, no toolbar, readable title and axes."""
    from bokeh.plotting import figure

    fig = figure(title=title, height=height, sizing_mode="stretch_width", toolbar_location=None,
                 x_axis_label=x_label, y_axis_label=y_label, **kw)
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
.ql-card { border: 1px solid #d0d7de; border-radius: 8px; padding: 6px 12px; min-width: 150px; background: #f8f9fa; }
.ql-card span { display: block; font-size: 14px; color: #333; }
.ql-card b { display: block; font-size: 24px; font-variant-numeric: tabular-nums; }
.ql-card small { color: #555; font-size: 12px; }
"""


def readout_cards(cards, values: dict[str, str]) -> str:
    """HTML of the read-out cards: ``cards`` is (key, label, hint) per card, ``values`` the shown text per key.

    Each card is ``div.ql-card[data-q=key]`` with the value in ``b`` (the hook of the UI tests); the
    row is a polite live region, so screen readers announce new values.
    """
    body = "".join(f'<div class="ql-card" data-q="{key}"><span>{label}</span><b>{values[key]}</b>'
                   f'<small>{hint}</small></div>' for key, label, hint in cards)
    return f'<div class="ql-cards" aria-live="polite">{body}</div>'


def quiet_closed_sockets() -> None:
    """Drop the 'Task exception was never retrieved: WebSocketClosedError' noise of closed tabs.

    When a tab goes away while Bokeh is writing an update to it, the write fails inside a task
    nobody awaits and asyncio logs a traceback, although nothing is wrong (the session is cleaned
    up as usual).  This installs, once per event loop, a handler that ignores exactly that and
    passes everything else on.
    """
    from tornado.iostream import StreamClosedError
    from tornado.websocket import WebSocketClosedError

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


def page(title: str, sidebar: list, main: list) -> pn.template.BootstrapTemplate:
    """The common lesson page: controls in the sidebar, figures and text in the main area."""
    quiet_closed_sockets()
    return pn.template.BootstrapTemplate(
        title=title, sidebar=sidebar, main=main, sidebar_width=340, main_max_width="1500px",
        **TEMPLATE_STYLE)


class Debounced:
    """``fn`` called once, ``ms`` after the first of a burst of calls (at once outside a server).

    Held keys and fast slider drags send many values: coalesce them and recompute once, for the
    latest settings.
    """

    def __init__(self, fn, ms: int):
        self.fn, self.ms, self.pending = fn, ms, False

    def __call__(self, *_):
        doc = pn.state.curdoc
        if doc is None or doc.session_context is None:
            self._run()
        elif not self.pending:
            self.pending = True
            doc.add_timeout_callback(self._run, self.ms)

    def _run(self):
        self.pending = False
        self.fn()


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


def lesson_app(title: str, model_cls, view_cls, query_names: dict) -> pn.template.BootstrapTemplate:
    """One browser session of a lesson: model from the URL, its view, URL sync, page, clean-up.

    The view must offer ``player`` (with ``page_ready``), ``sidebar()``, ``main()``,
    ``load_secondary()`` and ``stop()``.  The player shows first; figures and lesson text follow
    just after it is ready, which keeps the first paint fast.
    """
    model = model_cls.from_query(pn.state.session_args if pn.state.curdoc else {})
    view = view_cls(model)
    sync_url(model, query_names)
    pn.state.on_session_destroyed(lambda _ctx: view.stop())
    template = page(f"Quantum Lessons · {title}", view.sidebar(), view.main())
    doc = pn.state.curdoc
    if doc is not None and doc.session_context is not None:
        later = lambda ms: doc.add_timeout_callback(view.load_secondary, ms)  # noqa: E731
        view.player.param.watch(lambda _e: later(SECONDARY_DELAY_MS), "page_ready")
        pn.state.onload(lambda: later(SECONDARY_FALLBACK_MS))
    else:
        view.load_secondary()
    template.header.append(pn.pane.HTML('<a href="./" style="color:white;font-size:15px;'
                                        'margin-left:12px">← all lessons</a>'))
    return template
