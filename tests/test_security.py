"""Security of the served lessons, without a browser.

(a) A websocket to a lesson is refused from another site's page (cross-site websocket hijacking):
    ``panel serve`` started with the Makefile's own ``SERVE_OPTS`` accepts the page's origin only.
(b) No user input can reach ``eval``/``exec``: no such call in the Python of physics/, lessons/ and
    apps/, no ``eval``/``new Function``/string timers in the JavaScript, and every HTML sink in the
    JavaScript (``innerHTML`` and friends) is listed here with why it cannot carry user text.
(c) What a link says is shown as text: each lesson's view built from a link full of markup has no
    script, event-handler attribute or ``javascript:`` URL in the HTML of any of its Markdown or
    HTML panes (the HTML the browser receives, parsed as the browser would).
"""
from __future__ import annotations

import ast
import asyncio
import html
import inspect
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import panel as pn
import pytest

REPO = Path(__file__).resolve().parents[1]
PY_DIRS = ("physics", "lessons", "apps")


# ---- (a) websocket origins -------------------------------------------------------------------

def serve_options(port: int) -> list[str]:
    """The Makefile's SERVE_OPTS for ``PORT=port``, as make expands them (HOST unset: the default)."""
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    out = subprocess.run(["make", "-s", "--no-print-directory", "--eval", "ql-print-%: ; @echo $($*)",
                          "ql-print-SERVE_OPTS", f"PORT={port}", "HOST="],
                         cwd=REPO, capture_output=True, text=True, check=True,
                         env={k: v for k, v in os.environ.items() if k not in ("SERVE_OPTS", "HOST", "PORT")})
    return shlex.split(out.stdout)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served_tunneling(tmp_path_factory):
    """``panel serve apps/index.py apps/tunneling.py apps/quantization.py $(SERVE_OPTS)`` on a free
    port: (port, log path).

    The gallery is served too: the Makefile's ``--index index`` needs it.
    """
    port = _free_port()
    opts = serve_options(port)
    log_path = tmp_path_factory.mktemp("serve") / "server.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
           "PYTHONUNBUFFERED": "1", "OPENBLAS_NUM_THREADS": "1"}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "panel", "serve", "apps/index.py", "apps/tunneling.py",
                                 "apps/quantization.py", *opts],
                                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240        # --warm runs the app once before serving
        while True:
            if proc.poll() is not None:
                pytest.fail(f"panel serve exited ({proc.returncode}):\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"http://localhost:{port}/tunneling", timeout=60) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"panel serve did not answer:\n{log_path.read_text()}")
            time.sleep(0.5)
        yield port, log_path
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, log


def session_token(port: int) -> str:
    """The session token a browser gets in the lesson's page (a fresh session)."""
    with urllib.request.urlopen(f"http://localhost:{port}/tunneling", timeout=60) as r:
        page = r.read().decode("utf-8")
    match = re.search(r'"token":\s*"([^"]+)"', page)
    assert match, "no session token in the page"
    return match.group(1)


async def _open_websocket(port: int, origin: str, token: str) -> str:
    """Open the lesson's websocket with ``Origin: origin``; return the first message's type, or
    ``'HTTP <code>'`` if the upgrade is refused."""
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    request = HTTPRequest(f"ws://localhost:{port}/tunneling/ws", headers={"Origin": origin},
                          request_timeout=60, connect_timeout=30)
    try:
        conn = await websocket_connect(request, subprotocols=["bokeh", token])
    except HTTPClientError as exc:
        return f"HTTP {exc.code}"
    try:
        header = await asyncio.wait_for(conn.read_message(), timeout=60)   # Bokeh's first frame: its header
        return json.loads(header)["msgtype"] if header else "closed"
    finally:
        conn.close()


def open_websocket(port: int, origin: str) -> str:
    return asyncio.run(_open_websocket(port, origin, session_token(port)))


def test_default_serve_options_allow_websockets_from_this_machine_only():
    opts = serve_options(1234)
    assert opts[:2] == ["--port", "1234"], opts
    origins = [o.split("=", 1)[1] if "=" in o else opts[i + 1] for i, o in enumerate(opts)
               if o.startswith("--allow-websocket-origin")]
    assert set(origins) <= {"localhost:1234", "127.0.0.1:1234"}, origins     # no '*', no other host


@pytest.mark.slow
def test_websocket_refuses_other_origins(served_tunneling):
    port, _ = served_tunneling
    for origin in ("http://evil.example", f"http://evil.example:{port}", f"http://localhost.evil.example:{port}",
                   f"https://localhost:{port}.evil.example", "null"):
        assert open_websocket(port, origin) == "HTTP 403", origin
    # the page's own origin (as localhost or 127.0.0.1) opens a live session: Bokeh acknowledges it
    assert open_websocket(port, f"http://localhost:{port}") == "ACK"
    assert open_websocket(port, f"http://127.0.0.1:{port}") == "ACK"


class BokehClient:
    """A lesson's websocket spoken as a page speaks it (Bokeh's protocol), to send what no page would."""

    def __init__(self, port: int, lesson: str):
        self.port, self.lesson = port, lesson

    async def open(self) -> list[dict]:
        """Connect as the lesson's page does; returns the document's serialized models."""
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        with urllib.request.urlopen(f"http://localhost:{self.port}/{self.lesson}", timeout=60) as r:
            token = re.search(r'"token":\s*"([^"]+)"', r.read().decode()).group(1)
        request = HTTPRequest(f"ws://localhost:{self.port}/{self.lesson}/ws",
                              headers={"Origin": f"http://localhost:{self.port}"}, request_timeout=60)
        self.ws = await websocket_connect(request, subprotocols=["bokeh", token], max_message_size=1 << 30)
        await self.read()                                   # ACK
        await self.send("PULL-DOC-REQ", {})
        while True:
            header, content = await self.read()
            if header["msgtype"] == "PULL-DOC-REPLY":
                return _models(json.loads(content)["doc"], [])

    async def send(self, msgtype: str, content: dict) -> None:
        import uuid
        for frame in (json.dumps({"msgid": uuid.uuid4().hex, "msgtype": msgtype}), "{}", json.dumps(content)):
            await self.ws.write_message(frame)

    async def read(self, timeout: float = 60):
        """One message: (header, content text); binary buffers are skipped."""
        header = json.loads(await asyncio.wait_for(self.ws.read_message(), timeout))
        await self.ws.read_message()                        # metadata
        content = await self.ws.read_message()
        for _ in range(2 * header.get("num_buffers", 0)):
            await self.ws.read_message()
        return header, content

    async def change(self, model_id: str, **attrs) -> None:
        await self.send("PATCH-DOC", {"events": [{"kind": "ModelChanged", "model": {"id": model_id}, "attr": k,
                                                  "new": v} for k, v in attrs.items()]})

    async def texts_until(self, needle: str, seconds: float = 30) -> bool:
        """Read the server's patches until one holds ``needle`` (True) or ``seconds`` pass (False)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                _, content = await self.read(timeout=max(0.1, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                return False
            if needle in content:
                return True
        return False


def _models(node, out: list) -> list:
    if isinstance(node, dict):
        if node.get("type") == "object" and "id" in node:
            out.append(node)
        for v in node.values():
            _models(v, out)
    elif isinstance(node, list):
        for v in node:
            _models(v, out)
    return out


@pytest.mark.slow
def test_values_no_control_could_send_are_refused_quietly_over_the_wire(served_tunneling):
    """A client that speaks the websocket sends a bit width of 0, -5, 1e308, NaN, text, a menu
    option that does not exist and an index past the last button: the session clamps or drops
    each, the server logs no traceback, and the next good value is answered as usual."""
    port, log_path = served_tunneling
    before = log_path.stat().st_size

    async def scenario():
        client = BokehClient(port, "quantization")
        models = await client.open()
        slider = next(m for m in models if m["name"] == "Slider"
                      and m["attributes"].get("title") == "Bits per value")
        menu = next(m for m in models if m["name"].endswith("Select")
                    and m["attributes"].get("title") == "Grid G (number format)")
        buttons = next(m for m in models if m["name"].endswith("RadioButtonGroup")
                       and "stochastic" in str(m["attributes"].get("labels")))
        events = [{"kind": "MessageSent", "msg_type": "bokeh_event",
                   "msg_data": {"type": "event", "name": "document_ready", "values": {"type": "map"}}}]
        await client.send("PATCH-DOC", {"events": events})
        for bad in (0, -5, 1e308, float("nan"), "eight", None, True, [3]):
            await client.change(slider["id"], value=bad, value_throttled=bad)
        await client.change(menu["id"], value="float1024")
        await client.change(buttons["id"], active=7)
        await client.change(slider["id"], start=-100, end=100)       # a range is the server's to set
        assert await client.texts_until(", 16 bits", 30), "1e308 was not clamped to the slider's end"
        await client.change(slider["id"], value=6, value_throttled=6)
        answered = await client.texts_until(", 6 bits", 30)
        client.ws.close()
        return answered

    assert asyncio.run(scenario()), "the session stopped answering after the bad values"
    time.sleep(0.5)
    log = log_path.read_bytes()[before:].decode("utf-8", "replace")
    assert "Traceback" not in log and "ValueError" not in log and "failed" not in log.lower(), log[-3000:]


# ---- (b) no eval/exec ------------------------------------------------------------------------

DANGEROUS_CALLS = {"eval", "exec", "compile", "__import__"}


def python_files() -> list[Path]:
    return sorted(p for d in PY_DIRS for p in (REPO / d).rglob("*.py") if "__pycache__" not in p.parts)


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def dangerous_calls(path: Path) -> list[str]:
    """Calls of eval/exec/compile/__import__ (bare or as builtins.x, or fetched with getattr)."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = None
        if isinstance(f, ast.Name) and f.id in DANGEROUS_CALLS:
            name = f.id
        elif (isinstance(f, ast.Attribute) and f.attr in DANGEROUS_CALLS and isinstance(f.value, ast.Name)
              and f.value.id in ("builtins", "__builtins__")):
            name = f"{f.value.id}.{f.attr}"
        elif (isinstance(f, ast.Name) and f.id == "getattr" and len(node.args) >= 2
              and isinstance(node.args[1], ast.Constant) and node.args[1].value in DANGEROUS_CALLS):
            name = f"getattr(..., {node.args[1].value!r})"
        if name:
            found.append(f"{_rel(path)}:{node.lineno}: {name}(...)")
    return found


def test_python_has_no_eval_or_exec():
    files = python_files()
    assert len(files) >= 15, files            # the scan sees the code
    found = [hit for path in files for hit in dangerous_calls(path)]
    assert found == [], "\n".join(found)


def test_the_python_scan_finds_what_it_looks_for(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import builtins, re\nre.compile('x')\neval('1')\nbuiltins.exec('2')\n"
                   "getattr(builtins, 'compile')('3', 'f', 'eval')\n__import__('os')\n")
    hits = [h.split(": ", 1)[1] for h in dangerous_calls(bad)]
    assert sorted(hits) == sorted(["eval(...)", "builtins.exec(...)", "getattr(..., 'compile')(...)", "__import__(...)"])


def js_files() -> list[Path]:
    return sorted(p for d in ("lessons", "apps", "assets") for p in (REPO / d).rglob("*.js"))


JS_CODE_FROM_TEXT = re.compile(r"\beval\s*\(|\bnew\s+Function\s*\(|\bFunction\s*\(\s*['\"`]"
                               r"|\bset(?:Timeout|Interval)\s*\(\s*['\"`]")
JS_HTML_SINK = re.compile(r"\.(?:innerHTML|outerHTML|srcdoc)\s*\+?=(?!=)|\.insertAdjacentHTML\s*\(|"
                          r"\bdocument\.write(?:ln)?\s*\(|\.setHTMLUnsafe\s*\(|\bcreateContextualFragment\s*\(")


def _without_comments(js: str) -> str:
    return re.sub(r"(?m)^[ \t]*//[^\n]*$|/\*.*?\*/", "", js, flags=re.S)


def test_javascript_has_no_eval():
    found = [f"{p.relative_to(REPO)}:{i}: {line.strip()}" for p in js_files()
             for i, line in enumerate(_without_comments(p.read_text(encoding="utf-8")).splitlines(), 1)
             if JS_CODE_FROM_TEXT.search(line)]
    assert js_files(), "no JavaScript found"
    assert found == [], "\n".join(found)


def _string_end(js: str, i: int) -> int:
    """Index just past the string or template literal that opens at ``i`` (quotes, escapes, nested ``${}``)."""
    quote, i = js[i], i + 1
    while js[i] != quote:
        if js[i] == "\\":
            i += 2
        elif quote == "`" and js.startswith("${", i):
            i = _expression_end(js, i + 2) + 1
        else:
            i += 1
    return i + 1


def _expression_end(js: str, i: int) -> int:
    """Index of the ``}`` that closes the ``${`` expression starting at ``i``."""
    depth = 0
    while True:
        ch = js[i]
        if ch in "\"'`":
            i = _string_end(js, i)
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1


def _literal_at(js: str, start: int) -> str:
    """The template literal whose opening backtick is at ``start``."""
    assert js[start] == "`"
    return js[start:_string_end(js, start)]


def _template_at(js: str, start: int) -> str:
    """The argument expression starting at ``start`` (up to its ``,`` or the call's ``)``)."""
    depth, i = 0, start
    while i < len(js):
        ch = js[i]
        if ch in "\"'`":
            i = _string_end(js, i)
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0:
            break
        i += 1
    return js[start:i]


def _interpolations(code: str) -> list[str]:
    """The ``${...}`` expressions of the template literals in ``code`` (outermost ones)."""
    found, i = [], 0
    while i < len(code):
        ch = code[i]
        if ch in "\"'":
            i = _string_end(code, i)
        elif ch == "`":
            j = i + 1
            while code[j] != "`":
                if code[j] == "\\":
                    j += 2
                elif code.startswith("${", j):
                    end = _expression_end(code, j + 2)
                    found.append(code[j + 2:end].strip())
                    j = end + 1
                else:
                    j += 1
            i = j + 1
        else:
            i += 1
    return found


def static_markup(js_by_file: dict[str, str]) -> set[str]:
    """Names of constants that hold a template literal without interpolations (fixed markup)."""
    names = set()
    for js in js_by_file.values():
        for match in re.finditer(r"\bconst (\w+) = `", js):
            if not _interpolations(_literal_at(js, match.end() - 1)):
                names.add(match.group(1))
    return names


#: A translated literal: ``_("...")`` or ``N_("...")`` of a plain string (its translation comes from the
#: catalogues, which tests/lessons/test_i18n.py checks carry no markup their English lacks).
TRANSLATED_LITERAL = r'N?_\("[^"`$\\]*"\)'


def _only_literals(obj: str) -> bool:
    """True when an object literal's values are string literals (or translated literals) without
    interpolation, booleans, or arrow functions (the bar's actions run code but put no text into markup)."""
    without_functions = re.sub(r"action:\s*\(api\)\s*=>\s*\w+\(api,\s*\"\w+\",\s*\d+\)", "", obj)
    without_strings = re.sub(TRANSLATED_LITERAL, "S", without_functions)
    without_strings = re.sub(r'"[^"`$\\]*"', "S", without_strings)
    return re.fullmatch(r"[\s{}\[\],:\w]*", without_strings) is not None and "${" not in obj


def check_shell_mount(js_by_file: dict[str, str]) -> str:
    """The shell mounts a lesson's player with one innerHTML built from its LESSON's constants: the
    bar (barMarkup interpolates only the bar's fields and fixed markup), the canvas label and the
    read-out row. Every lesson's pieces.js writes those as literals: no interpolation, nothing from
    a message, a link or a user; nothing assigns them later."""
    shell = js_by_file["lessons/common/shell.js"]
    sink = re.search(r"root\.innerHTML = ", shell)
    markup = _template_at(shell, sink.end()).split("\n  el.appendChild(root)")[0]
    assert sorted(_interpolations(markup)) == sorted(
        ["_(L.canvasLabel)", 'typeof L.readoutHTML === "function" ? L.readoutHTML() : (L.readoutHTML || "")',
         'L.bar.status === "readout" ? \'<span class="ql-status" role="status"></span>\' : ""']), markup
    outside = re.sub(r"`(?:[^`\\]|\\.)*`", "", markup)
    assert re.sub(r"[\s+]", "", outside) == "barMarkup(L.bar)", outside
    bar_fn = shell[shell.index("function barMarkup(bar) {"):]
    bar_fn = bar_fn[:bar_fn.index("\n}\n")]
    fixed = static_markup(js_by_file)
    used = {e for e in _interpolations(bar_fn) if not re.fullmatch(TRANSLATED_LITERAL, e)}
    allowed = {'_(bar.name)', '_(bar.restart || N_("Restart"))', 'loc(_(bar.clockZero || "t = 0.00"))', "x.cls",
               "_(x.title)", "_(x.text)"}
    assert used <= allowed | fixed, used - allowed - fixed
    assert "exportMarkup()" in bar_fn
    export_fn = shell[shell.index("function exportMarkup() {"):]
    export_fn = export_fn[:export_fn.index("\n}\n")]
    assert all(re.fullmatch(TRANSLATED_LITERAL, e) for e in _interpolations(export_fn)), export_fn
    lessons = 0
    for name, js in js_by_file.items():
        head = re.search(r"^const LESSON = \{", js, re.M)
        if not head:
            continue
        lessons += 1
        assert re.search(r'^  canvasLabel: (N_\()?"[^"`$\\]*"\)?,$', js, re.M), f"{name}: canvasLabel is not a plain literal"
        readout = re.search(r"^  readoutHTML: (\(\) => )?`", js, re.M)
        assert readout and all(re.fullmatch(TRANSLATED_LITERAL, e) for e in _interpolations(_literal_at(js, readout.end() - 1))), \
            f"{name}: readoutHTML interpolates more than translated literals"
        bar = re.search(r"^  bar: \{", js, re.M)
        bar_object = _template_at(js, bar.end() - 1) if bar else ""      # the balanced {...}
        assert bar_object.endswith("}") and _only_literals(bar_object), f"{name}: the bar is not made of literals"
        assert not re.search(r"\b(?:LESSON|L)\.(?:bar|canvasLabel|readoutHTML)\b[^=\n]*=[^=]", js), \
            f"{name}: a mount constant is assigned after the fact"
    assert not re.search(r"\bL\.(?:bar|canvasLabel|readoutHTML)\b[.\w]*\s*=[^=]", shell)
    assert lessons >= 4, "the lessons no longer declare LESSON: review this test"
    return f"shell mount: {lessons} lessons, literal bars, labels and read-outs only"


def check_classroom_bar(js_by_file: dict[str, str]) -> str:
    """The classroom bar's markup interpolates its profile menu (the names and labels of
    ``palette.PROFILES``, fixed in the code; the URL's profile only selects one) and the constant
    table of keys."""
    js = js_by_file["lessons/common/classroom.js"]
    start = js.index("bar.innerHTML =") + len("bar.innerHTML =")
    assert js[start:].lstrip().startswith("`"), "the classroom bar's markup is not one literal: review this test"
    exprs = [e for e in _interpolations(_literal_at(js, js.index("`", start)))
             if e != "options" and not e.startswith("KEYS.map(") and not re.fullmatch(TRANSLATED_LITERAL, e)]
    assert exprs == [], f"the classroom bar's markup interpolates {exprs}: review this test"
    keys_map = next(e for e in _interpolations(_literal_at(js, js.index("`", start))) if e.startswith("KEYS.map("))
    assert set(_interpolations(keys_map)) <= {"_(k)", "_(v)"}, keys_map
    keys = re.search(r"const KEYS = \[(.*?)\n\]", js, re.S).group(1)
    cell = r'(?:N_\("[^"`$<>]*"\)|"[^"`$<>]*")'
    assert re.fullmatch(rf'(\s*\[\s*{cell}\s*,\s*{cell}\s*\],?)*\s*', keys), "KEYS is no longer a table of literals"
    options = re.search(r"const options = (.*?)\.join\(\"\"\)", js, re.S).group(1)
    assert "model.profiles" in options and set(_interpolations(options)) <= {"k", "v", 'k === model.profile ? " selected" : ""'}, options
    from lessons.common.classroom import ClassroomBar
    from lessons.common.palette import PROFILES
    hostile = ClassroomBar(profile="<img src=x onerror=alert(1)>")
    assert hostile.profiles == {name: p.label for name, p in PROFILES.items()}
    assert not any(re.search(r"[<>\"'&]", f"{k}{v}") for k, v in hostile.profiles.items())
    return "classroom bar: fixed profile menu and key table"


#: Every HTML sink in the JavaScript, reviewed: (file, the sink's line) -> the check that it carries
#: no user text.  A new sink fails the test until someone has looked at it and listed it here.
REVIEWED_SINKS = {
    ("lessons/common/shell.js", "root.innerHTML = barMarkup(L.bar) +"): check_shell_mount,
    ("lessons/common/classroom.js", "bar.innerHTML = `"): check_classroom_bar,
}


def test_javascript_html_sinks_carry_no_user_text():
    js_by_file = {str(p.relative_to(REPO)): _without_comments(p.read_text(encoding="utf-8")) for p in js_files()}
    sinks = [(name, line.strip()) for name, js in js_by_file.items() for line in js.splitlines()
             if JS_HTML_SINK.search(line)]
    assert len(js_by_file) >= 5 and sinks, "the scan sees no JavaScript or no sink at all: review this test"
    unreviewed = [s for s in sinks if s not in REVIEWED_SINKS]
    assert unreviewed == [], ("HTML sinks nobody has reviewed (can they carry text from a link or a "
                              "user? then use textContent; if not, add them to REVIEWED_SINKS):\n"
                              + "\n".join(f"{n}: {line}" for n, line in unreviewed))
    for sink in sinks:
        print(f"{sink[0]}: {sink[1]} -> {REVIEWED_SINKS[sink](js_by_file)}")


def test_the_sink_scan_finds_what_it_looks_for():
    for line in ("el.innerHTML = x", "el.innerHTML += x", "el.outerHTML=x", "el.insertAdjacentHTML('beforeend', x)",
                 "document.write(x)", "frame.srcdoc = x"):
        assert JS_HTML_SINK.search(line), line
    assert not JS_HTML_SINK.search("if (el.innerHTML === '') return")
    for line in ("eval(x)", "new Function('a', x)", "setTimeout('go()', 10)"):
        assert JS_CODE_FROM_TEXT.search(line), line
    assert not JS_CODE_FROM_TEXT.search("setTimeout(() => go(), 10); retrieval(x)")


# ---- (c) links full of markup render as text --------------------------------------------------

PAYLOADS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}


class MarkupAudit(HTMLParser):
    """Elements and attributes in HTML that would run script."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed", "base", "meta", "link", "form"):
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> event handler")
            elif name in URL_ATTRIBUTES and re.sub(r"[\s\x00-\x1f]", "", value or "").lower().startswith(
                    ("javascript:", "vbscript:", "data:text/html")):
                self.problems.append(f"<{tag} {name}={value!r}>")

    def handle_data(self, data):
        self.text.append(data)


def shipped_html(pane) -> str:
    """The HTML a Markdown/HTML pane sends to the browser (Panel escapes it for transport once)."""
    return html.unescape(pane._transform_object(pane.object)["object"] or "")


def lesson_views():
    from lessons.bound_states.model import QUERY_NAMES as B, BoundStatesModel
    from lessons.bound_states.view import BoundStatesView
    from lessons.quantization.model import QUERY_NAMES as Q, QuantizationModel
    from lessons.quantization.view import QuantizationView
    from lessons.spin_battery.model import QUERY_NAMES as S, SpinBatteryModel
    from lessons.spin_battery.view import SpinBatteryView
    from lessons.tunneling.model import QUERY_NAMES as T, TunnelingModel
    from lessons.tunneling.view import TunnelingView
    return {"tunneling": (TunnelingModel, TunnelingView, T), "bound_states": (BoundStatesModel, BoundStatesView, B),
            "spin_battery": (SpinBatteryModel, SpinBatteryView, S),
            "quantization": (QuantizationModel, QuantizationView, Q)}


def audit(objects, what: str) -> list[str]:
    """Problems in every Markdown/HTML pane under ``objects``; also checks the scan saw panes."""
    root = pn.Column(*objects)
    panes = [*root.select(pn.pane.Markdown), *root.select(pn.pane.HTML)]
    assert len(panes) >= 3, f"{what}: only {len(panes)} panes found"
    problems, texts = [], []
    for pane in panes:
        shipped = shipped_html(pane)
        checker = MarkupAudit()
        checker.feed(shipped)
        checker.close()
        problems += [f"{what}: {type(pane).__name__} {p}: {shipped[:300]!r}" for p in checker.problems]
        if re.search(r"<\s*script", shipped, re.I):
            problems.append(f"{what}: {type(pane).__name__} holds '<script': {shipped[:300]!r}")
        texts.append("".join(checker.text))
    return problems, "\n".join(texts)


@pytest.mark.slow
@pytest.mark.parametrize("lesson", ["tunneling", "bound_states", "spin_battery", "quantization"])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_link_full_of_markup_renders_as_text(lesson, payload):
    model_cls, view_cls, names = lesson_views()[lesson]
    model = model_cls.from_query({name: payload for name in names})
    assert len(model.notices) >= len(names) - 6, model.notices     # the link's values were refused
    view = view_cls(model)
    try:
        main = view.main()
        view.load_secondary()                      # the tabs, figures and lesson text too
        problems, text = audit([*main, *view.sidebar()], f"{lesson} ?<every name>={payload}")
    finally:
        view.stop()
    assert problems == [], "\n".join(problems)
    # the notice quotes the link, as text the student can read
    shown = payload if len(payload) <= 24 else payload[:21]
    assert shown in text, f"the notice does not show {shown!r}"


@pytest.mark.slow
def test_the_whole_page_of_a_link_full_of_markup_renders_as_text():
    """lesson_app (page, header, classroom bar, notices) from a hostile link, where it takes ``args``."""
    from lessons.common.page import lesson_app
    from lessons.tunneling.model import QUERY_NAMES, TunnelingModel
    from lessons.tunneling.view import TunnelingView
    payload = PAYLOADS[1]
    args = {name: [payload.encode()] for name in [*QUERY_NAMES, "profile", "hide", "lecture", "slide", "theme"]}
    template = lesson_app("Tunnelling", TunnelingModel, TunnelingView, args=args)
    view = getattr(template, "ql_view", None)
    try:
        if view is not None:
            view.load_secondary()
        parts = [*template.header, *template.sidebar, *template.main]
        problems, text = audit(parts, "tunneling page")
    finally:
        if view is not None:
            view.stop()
    assert problems == [], "\n".join(problems)
    assert payload[:21] in text


def test_the_markup_audit_finds_what_it_looks_for():
    pane = pn.pane.Markdown("<img src=x onerror=alert(1)>\n\n<a href=' javascript:alert(1)'>x</a>\n\n<script>x</script>")
    problems, _ = audit([pane, pn.pane.HTML("<b>ok</b>"), pn.pane.Markdown("fine")], "sample")
    assert len(problems) == 4, problems


@pytest.mark.slow
def test_the_lesson_check_would_catch_an_unescaped_notice(monkeypatch):
    """Without plain_text (the notice quoting the link verbatim), the audit above finds the markup."""
    from lessons.common import page
    model_cls, view_cls, names = lesson_views()["tunneling"]
    monkeypatch.setattr(page, "plain_text", lambda text: str(text))       # what notice_alert quotes with
    view = view_cls(model_cls.from_query({"shape": PAYLOADS[1], "width": PAYLOADS[0]}))
    try:
        problems, _ = audit([*view.main(), *view.sidebar()], "unescaped")
    finally:
        view.stop()
    assert any("onerror" in p for p in problems) and any("script" in p for p in problems), problems
