"""The page helpers and every workaround of Panel's, Bokeh's and Tornado's internals
(lessons/common/workarounds.py lists each with the test that guards it here or elsewhere); text quoted
from a link is shown as text, never as markup."""
import html
import pathlib
import re
import subprocess
import sys

import pytest
from markdown_it import MarkdownIt

from lessons.common.text import plain_text

REPO = pathlib.Path(__file__).resolve().parents[2]

PAYLOADS = [
    "<script>alert(1)</script>",
    "<svg onload=alert(1)>",
    "'width=<img src=x onerror=alert(1)>' is not a number: using 1.5.",
    "**bold** _it_ [link](javascript:alert(1)) `code` # head",
    "a & b < c > d \" ' \x00 \u202e",
]


@pytest.mark.parametrize("text", PAYLOADS)
def test_plain_text_renders_as_the_same_text_without_tags(text):
    rendered = MarkdownIt("commonmark", {"html": True}).render(plain_text(text))
    inner = re.fullmatch(r"<p>(.*)</p>\s*", rendered, re.S)
    assert inner, rendered                     # one paragraph, no other element
    assert "<" not in inner.group(1)           # no tag of any kind
    shown = html.unescape(inner.group(1))
    expected = "".join(ch if ch.isprintable() else "\ufffd" for ch in text)
    assert shown == expected


def test_closed_socket_noise_is_dropped_and_nothing_else(caplog):
    import asyncio
    import logging

    from tornado.websocket import WebSocketClosedError

    from lessons.common.workarounds import quiet_closed_sockets

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        quiet_closed_sockets()
        quiet_closed_sockets()                     # idempotent: one handler, not a chain
        with caplog.at_level(logging.ERROR, logger="asyncio"):
            loop.call_exception_handler({"message": "Task exception was never retrieved",
                                         "exception": WebSocketClosedError()})
            assert caplog.records == []
            loop.call_exception_handler({"message": "real trouble", "exception": ValueError("boom")})
            assert any("real trouble" in r.getMessage() for r in caplog.records)
    finally:
        asyncio.set_event_loop(None)
        loop.close()


class _FakeDoc:
    """A stand-in for a served Bokeh document: records the callbacks Debounced schedules."""
    session_context = object()

    def __init__(self):
        self.next_tick, self.timeouts = [], []

    def add_next_tick_callback(self, fn):
        self.next_tick.append(fn)

    def add_timeout_callback(self, fn, ms):
        self.timeouts.append((fn, ms))


def test_debounced_runs_a_lone_change_at_once_and_coalesces_a_burst():
    import panel as pn
    from lessons.common.sections import Debounced

    calls = []
    deb = Debounced(lambda: calls.append(1), 120)
    doc = _FakeDoc()
    pn.state.curdoc = doc
    try:
        deb()                                   # a lone change: next tick, no waiting
        assert doc.next_tick and not doc.timeouts
        deb(); deb()                            # the same burst: nothing more is scheduled
        assert len(doc.next_tick) == 1
        doc.next_tick.pop()()
        assert calls == [1]
        deb(); deb(); deb()                     # right after a run: one call, at most 120 ms later
        assert len(doc.timeouts) == 1 and 0 < doc.timeouts[0][1] <= 120 and not doc.next_tick
        doc.timeouts.pop()[0]()
        assert calls == [1, 1]
        deb.last -= 1.0                          # a second later: at once again
        deb()
        assert len(doc.next_tick) == 1
    finally:
        pn.state.curdoc = None


def test_messages_for_a_session_that_is_gone_are_dropped_not_asserted():
    """Bokeh 3.9 asserts on a message (or a socket closing) after its connection lost its session."""
    import asyncio

    from bokeh.server.protocol_handler import ProtocolHandler
    from bokeh.server.views.ws import WSHandler

    from lessons.common.workarounds import drop_late_messages

    drop_late_messages()
    drop_late_messages()                       # once per process, however many pages
    assert ProtocolHandler.handle.ql_drops_late

    class Gone:                                # a ServerConnection after detach_session()
        _session = None

    class Message:
        msgtype = "PATCH-DOC"

    handler = ProtocolHandler()
    assert asyncio.run(handler.handle(Message(), Gone())) is None

    lost = []

    class App:
        def client_lost(self, connection):
            lost.append(connection)

    socket = WSHandler.__new__(WSHandler)      # only what on_close reads
    socket.connection, socket.application = Gone(), App()
    WSHandler.on_close(socket)
    assert lost == [socket.connection]


def _session_stylesheets() -> list[str]:
    """The URLs of a shown pane's stylesheets after a pane off the page (no document) updated.

    Without :func:`keep_stylesheets_local` (run this in a fresh process) they point at the CDN."""
    import panel as pn
    from bokeh.document import Document
    from bokeh.models import ImportedStyleSheet
    from panel.io.state import set_curdoc

    doc = Document()
    doc.template_variables["dist_url"] = "static/extensions/panel/"   # what a served page sets
    with set_curdoc(doc):
        shown, off_page = pn.pane.Markdown("shown"), pn.pane.Markdown("on another tab")
        root = pn.Column(shown, off_page).get_root(doc)
        # a dynamic Tabs' hidden tab: the pane's model is no longer in the document
        model = off_page._models[root.ref["id"]][0]
        detached = type(model)(**{k: v for k, v in model.properties_with_values(include_defaults=False).items()
                                  if k not in ("id", "stylesheets")})
        assert detached.document is None
        off_page._update(root.ref["id"], detached)
        return [s.url for s in shown._models[root.ref["id"]][0].stylesheets if isinstance(s, ImportedStyleSheet)]


def test_a_pane_updated_off_the_page_leaves_the_sessions_stylesheets_local():
    """Panel 1.9 rewrote the session's shared stylesheets to cdn.holoviz.org when a pane whose
    model had left the page (a dynamic Tabs' hidden tab) changed its text: found by the fuzz."""
    from lessons.common.workarounds import keep_stylesheets_local

    keep_stylesheets_local()
    keep_stylesheets_local()                   # once per process, however many pages
    urls = _session_stylesheets()
    assert urls and all(u.startswith("static/extensions/panel/") for u in urls), urls


def test_a_new_page_walks_its_models_once():
    """FrozenInitTemplate: Panel adds a template's ~20 parts one by one and Bokeh walked the whole page
    after each; in one freeze it walks it once (a new Quantization page: 705 of 905 ms of CPU)."""
    from bokeh.command.util import build_single_handler_application
    from bokeh.document.models import DocumentModelManager
    from panel.io.session import generate_session

    app = build_single_handler_application(str(REPO / "apps" / "tunneling.py"))
    generate_session(app)                        # imports, warm caches
    walks = []
    recompute = DocumentModelManager.recompute

    def counted(self):
        if self._freeze_count == 0:
            walks.append(1)
        return recompute(self)

    DocumentModelManager.recompute = counted
    try:
        generate_session(app)
    finally:
        DocumentModelManager.recompute = recompute
    assert 1 <= len(walks) <= 3, len(walks)     # the plain template: a walk per part (9 here)


def test_the_workarounds_name_the_versions_the_project_pins():
    from lessons.common.workarounds import PINNED, check_versions
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    for name, version in PINNED.items():
        assert f'"{name}=={version}"' in text, name
    assert check_versions() == []                # what is installed is what is pinned


def test_models_import_no_panel():
    """A lesson's model is its state, with no UI: importing it (and the shared model base) loads no Panel."""
    code = ("import sys\n"
            "import lessons.common.model, lessons.common.urlstate\n"
            "import lessons.tunneling.model, lessons.bound_states.model, lessons.spin_battery.model, "
            "lessons.quantization.model\n"
            "bad = sorted(m for m in ('panel', 'bokeh') if m in sys.modules)\n"
            "print(','.join(bad))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
