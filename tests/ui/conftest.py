"""Fixtures of the browser tests: one `panel serve` per test session, the system Chromium, helpers.

The server runs the same two apps as ``make serve`` on a free port and writes its output to a file
that is checked after every test (and once more at the end) for tracebacks: an exception in a
Panel app leaves a blank page and nothing in the browser console, so the log and the page content
are the only evidence.
"""
from __future__ import annotations

import atexit
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from lessons import CATALOGUE

REPO = Path(__file__).resolve().parents[2]
APPS = ["apps/index.py", *(f"apps/{c.slug}.py" for c in CATALOGUE)]   # as make serve: every lesson

#: The machine is small and shared (and the first session compiles the Numba kernels).
TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)

#: Server output that means something went wrong in the app (or in Panel/Bokeh under it).
LOG_PROBLEMS = ("Traceback", "ERROR")


# ---- the server ----------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_problems(text: str) -> list[str]:
    """Lines of server output (with a little context) that show an error."""
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        if any(word in line for word in LOG_PROBLEMS):
            found.append("\n".join(lines[max(0, i - 2):i + 12]))
    return found


class AppServer:
    """A running ``panel serve`` of the project's apps."""

    def __init__(self, port: int, log_path: Path, proc: subprocess.Popen):
        self.port = port
        self.url = f"http://localhost:{port}"
        self.log_path = log_path
        self.proc = proc

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def log_text(self, start: int = 0) -> str:
        with open(self.log_path, "rb") as f:
            f.seek(start)
            return f.read().decode("utf-8", "replace")

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            pytest.fail(f"panel serve exited with code {self.proc.returncode}; its output:\n"
                        f"{self.log_text()}", pytrace=False)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                # A GET of the lesson runs the app once (compiling the kernels on a cold cache).
                with urllib.request.urlopen(f"{self.url}/tunneling", timeout=60) as response:
                    if response.status == 200:
                        return
                    last = f"HTTP {response.status}"
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
                last = repr(exc)
            time.sleep(0.3)
        pytest.fail(f"panel serve did not answer /tunneling within {timeout:.0f} s ({last}); its "
                    f"output:\n{self.log_text()}", pytrace=False)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)


@pytest.fixture(scope="session")
def app_server(tmp_path_factory) -> AppServer:
    """``panel serve apps/index.py apps/tunneling.py`` on a free port, for the whole session."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("panel-serve") / "server.log"
    env = os.environ.copy()
    # The project need not be installed: the apps import physics/ and lessons/ from the repo.
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONUNBUFFERED"] = "1"
    cmd = [sys.executable, "-m", "panel", "serve", *APPS, "--index", "index",
           "--static-dirs", "assets=assets", "--port", str(port)]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    server = AppServer(port, log_path, proc)
    atexit.register(server.stop)  # also when the session is interrupted
    try:
        yield server  # base_url waits until it answers (meanwhile the browser starts)
    finally:
        server.stop()
    problems = log_problems(server.log_text())
    if problems:
        pytest.fail("the server's output shows errors:\n\n" + "\n\n".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def base_url(app_server) -> str:
    """Makes ``page.goto("/tunneling")`` go to the test server (pytest-playwright reads this)."""
    app_server.wait_ready(timeout=180)
    return app_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, base_url):
    """Every context opens relative links on the test server.

    pytest-playwright's own ``browser_context_args`` is session-wide: when the docs' browser tests
    resolve it first (without this folder's ``base_url``), it would stay without one.
    """
    return {**browser_context_args, "base_url": base_url}


@pytest.fixture(autouse=True)
def server_log_is_clean(app_server):
    """Fail the test if the server printed a traceback while it ran (or if the server died)."""
    start = app_server.log_size()
    yield
    app_server.check_alive()
    problems = log_problems(app_server.log_text(start))
    if problems:
        pytest.fail("the server's output shows errors during this test:\n\n" + "\n\n".join(problems),
                    pytrace=False)


# ---- pages ---------------------------------------------------------------------------------

class PageWatch:
    """Records a page's console errors, uncaught exceptions, dialogs and requests."""

    def __init__(self, page: Page):
        self.page = page
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.websockets: list[str] = []
        self.bad_responses: list[str] = []
        page.set_default_timeout(TIMEOUT_MS)
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.on("dialog", self._on_dialog)
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("websocket", lambda ws: self.websockets.append(ws.url))
        page.on("response", self._on_response)

    def _on_console(self, msg) -> None:
        if msg.type == "error":
            self.console_errors.append(f"{msg.text} ({msg.location})")

    def _on_dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message!r}")
        dialog.dismiss()

    def _on_response(self, response) -> None:
        if response.status >= 400:
            self.bad_responses.append(f"{response.status} {response.url}")

    @property
    def errors(self) -> list[str]:
        return ([f"console error: {e}" for e in self.console_errors]
                + [f"page error: {e}" for e in self.page_errors]
                + [f"dialog: {d}" for d in self.dialogs])

    def assert_no_errors(self) -> None:
        assert self.errors == [], "the page reported errors:\n" + "\n".join(self.errors)


NUMBER = r"(-?\d+(?:\.\d+)?)"
#: A slider title's number (Bokeh writes small values such as a learning rate as 1e-4).
SLIDER_NUMBER = r"(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"


class PlayerPage:
    """A lesson page with a canvas player (state in its data-* attributes): waiting helpers."""

    def __init__(self, page: Page, player_selector: str):
        self.page = page
        self.watch = PageWatch(page)
        self.player = page.locator(player_selector)
        self.last_frame = time.monotonic()
        page.on("websocket", self._on_websocket)

    def _on_websocket(self, ws) -> None:
        def seen(_payload) -> None:
            self.last_frame = time.monotonic()
        ws.on("framereceived", seen)
        ws.on("framesent", seen)

    def settle(self, quiet: float = 1.0, timeout: float = 15.0) -> None:
        """Wait until no websocket frame has passed for ``quiet`` seconds.

        Closing a tab while the server writes to its websocket leaves a WebSocketClosedError
        traceback in the server's log (which fails the run): let the session go quiet first.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and time.monotonic() - self.last_frame < quiet:
            self.page.wait_for_timeout(200)

    def data(self, name: str) -> str:
        """The player's ``data-<name>`` attribute (it must be there)."""
        value = self.player.get_attribute(f"data-{name}")
        assert value is not None, f"no data-{name}"
        return value

    # -- Panel sliders (noUiSlider), found by the label in their title --
    def slider(self, label: str) -> Locator:
        return self.page.locator(".bk-input-group").filter(
            has=self.page.locator(".bk-slider-title", has_text=re.compile("^" + re.escape(label) + ":")))

    def slider_value(self, label: str) -> float:
        title = self.slider(label).locator(".bk-slider-title").inner_text().strip()
        match = re.fullmatch(re.escape(label) + r":\s*" + SLIDER_NUMBER, title)
        assert match, f"slider title {title!r}"
        return float(match.group(1))

    def press_on_slider(self, label: str, key: str, times: int) -> None:
        """Focus the slider's handle (noUiSlider) and press ``key`` ``times`` times: a keyboard user."""
        handle = self.slider(label).locator(".noUi-handle")
        handle.scroll_into_view_if_needed()
        handle.focus()
        for _ in range(times):
            self.page.keyboard.press(key)

    def drag_slider(self, label: str, value: float, bounds: tuple[float, float]) -> None:
        """Drag the slider's handle with the mouse to where ``value`` sits on the track."""
        slider = self.slider(label)
        slider.locator(".noUi-handle").scroll_into_view_if_needed()
        handle = slider.locator(".noUi-handle").bounding_box()
        track = slider.locator(".noUi-base").bounding_box()
        assert handle and track, (handle, track)
        lo, hi = bounds
        x = track["x"] + track["width"] * (value - lo) / (hi - lo)
        y = handle["y"] + handle["height"] / 2
        mouse = self.page.mouse
        mouse.move(handle["x"] + handle["width"] / 2, y)
        mouse.down()
        mouse.move(x, y, steps=8)
        mouse.up()

    def card(self, key: str) -> Locator:
        """The value of the read-out card ``key`` (lessons.common.figures.readout_cards)."""
        return self.page.locator(f"div.ql-card[data-q='{key}'] b")

    def readout(self, key: str) -> str:
        """The player's read-out ``b.ql-<key>``."""
        return self.player.locator(f"b.ql-{key}").inner_text().strip()

    def wait_pulled_run_end(self, timeout: float = 60_000) -> None:
        """Wait until a pulled run (frames mode) has arrived whole and played to its last frame."""
        self.wait_player("d.dataset.done === '1' && Number(d.dataset.frame) === Number(d.dataset.frames) - 1"
                         " && d.dataset.playing === '0'", timeout=timeout)

    def wait_player(self, condition: str, timeout: float = TIMEOUT_MS) -> None:
        """Wait until the JS ``condition`` holds; it sees the player's root element as ``d``."""
        handle = self.player.element_handle(timeout=timeout)
        self.page.wait_for_function(f"d => {condition}", arg=handle, timeout=timeout)

    def wait_until(self, predicate, message: str, timeout: float = TIMEOUT_MS):
        """Poll ``predicate()`` (Python, e.g. reading several read-outs) until it is truthy."""
        deadline = time.monotonic() + timeout / 1000
        last_error = None
        while True:
            try:
                result = predicate()
                if result:
                    return result
            except AssertionError as exc:  # a read-out not there yet
                last_error = exc
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting until {message}; page URL {self.page.url}"
                                     + (f" (last: {last_error})" if last_error else ""))
            self.page.wait_for_timeout(150)

    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.page.url).query, keep_blank_values=True)

    def query_number(self, name: str) -> float | None:
        values = self.query().get(name)
        try:
            return float(values[-1]) if values else None
        except ValueError:
            return None


class LessonPage(PlayerPage):
    """The Tunnelling lesson in one browser page: locators and read-outs used by the tests."""

    def __init__(self, page: Page):
        super().__init__(page, "div.ql-player")
        self.canvas = page.locator("canvas.ql-canvas")
        self.play_button = page.locator("button.ql-play")
        self.step_button = page.locator("button.ql-step")
        self.restart_button = page.locator("button.ql-restart")
        self.clock = page.locator("span.ql-clock")
        self.notice = page.locator("div.alert-warning")
        self.predicted_text = page.locator("p").filter(has_text="Predicted packet transmission")
        self.width_text = page.locator("p").filter(has_text="the simulated width is")

    def open(self, query: str = "") -> "LessonPage":
        self.page.goto("/tunneling" + query)
        self.wait_for_frames()
        return self

    # -- player state (data-* attributes of the player's root element) --
    def attr(self, name: str) -> int:
        value = self.player.get_attribute(f"data-{name}")
        assert value is not None and value.isdigit(), f"data-{name} = {value!r}"
        return int(value)

    def playing(self) -> bool:
        return self.player.get_attribute("data-playing") == "1"

    def wait_for_frames(self) -> None:
        expect(self.player).to_be_visible()
        self.wait_player("+d.dataset.run >= 1 && +d.dataset.frames > 0")

    def wait_run_done(self, timeout: float = TIMEOUT_MS) -> None:
        """Wait until the server has sent every frame of its latest run (no run is queued)."""
        deadline = time.monotonic() + timeout / 1000
        last = None
        while time.monotonic() < deadline:
            self.wait_player("d.dataset.done === '1'", timeout=timeout)
            state = (self.player.get_attribute("data-run"), self.player.get_attribute("data-frames"))
            if state == last:
                return
            last = state
            self.page.wait_for_timeout(300)
        raise AssertionError("the player's run never settled")

    def wait_query(self, name: str, value: float, timeout: float = TIMEOUT_MS) -> None:
        """Wait until the address bar holds ``name`` = ``value`` (as a number)."""
        self.wait_until(lambda: (v := self.query_number(name)) is not None and approx_equal(v, value, 1e-6),
                        f"the URL has {name}={value}", timeout)

    def clock_time(self) -> float:
        text = self.clock.inner_text()
        match = re.fullmatch(r"t = " + NUMBER, text.strip())
        assert match, f"clock reads {text!r}"
        return float(match.group(1))

    def readouts(self) -> dict[str, str]:
        """The T / R / inside read-outs under the canvas, read at one instant."""
        return self.player.evaluate(
            "d => ({T: d.querySelector('b.ql-T').textContent, R: d.querySelector('b.ql-R').textContent,"
            " inside: d.querySelector('b.ql-inside').textContent})")

    # -- read-outs of the server --
    def predicted(self) -> float:
        text = self.predicted_text.inner_text()
        match = re.search(r"Predicted packet transmission.*?:\s*" + NUMBER, text)
        assert match, f"no number in {text!r}"
        return float(match.group(1))

    def simulated_width(self) -> float:
        text = self.width_text.inner_text()
        match = re.search(r"the simulated width is\s*" + NUMBER, text)
        assert match, f"no number in {text!r}"
        return float(match.group(1))

    # -- widgets --
    def slider(self, label: str) -> Locator:
        # the Tunnelling titles are matched by substring (some carry units after the label)
        return self.page.locator(".bk-input-group").filter(
            has=self.page.locator(".bk-slider-title", has_text=label))

    def slider_title(self, label: str) -> str:
        return self.slider(label).locator(".bk-slider-title").inner_text().strip()

    def shape_label(self) -> str:
        return self.page.locator("#sidebar select").first.evaluate("s => s.options[s.selectedIndex].text")


    def barrier_pixels(self) -> int:
        """Width of the drawn barrier on the canvas, in canvas pixels.

        The potential is filled with #8d99a6 at alpha 0.55 on white, i.e. rgb(192, 199, 206); the
        barrier is the set of canvas columns with that colour over at least 5% of the canvas
        height (anti-aliased text has the colour in a few scattered pixels only).
        """
        return self.canvas.evaluate("""c => {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
            const counts = new Array(c.width).fill(0)
            for (let y = 0; y < c.height; y++) {
                for (let x = 0; x < c.width; x++) {
                    const i = 4 * (y * c.width + x)
                    if (Math.abs(d[i] - 192) < 12 && Math.abs(d[i + 1] - 199) < 12
                        && Math.abs(d[i + 2] - 206) < 12) counts[x]++
                }
            }
            return counts.filter(n => n >= 0.05 * c.height).length
        }""")


def open_pages(new_context, page_cls):
    """Body of a lesson's page-factory fixture (``yield from open_pages(new_context, MyPage)``).

    The factory ``make(query="", **context_args)`` opens the lesson at ``query`` in a new browser
    context (``query=None`` opens nothing); at teardown every page waits until its session is quiet.
    """
    opened: list = []

    def make(query: str | None = "", **context_args):
        lesson = page_cls(new_context(**context_args).new_page())
        opened.append(lesson)
        if query is not None:
            lesson.open(query)
        return lesson

    yield make
    for lesson in opened:
        try:
            lesson.settle()
        except Exception:  # the test has already failed; do not hide why
            pass


@pytest.fixture
def lesson_factory(new_context):
    """``lesson_factory(query="", wait=True, **context_args)``: a new context with the lesson open.

    ``query=None`` opens nothing; ``wait=False`` returns as soon as the page starts loading.

    At teardown each lesson waits until the server has finished streaming its run before the
    browser closes, so closing the tab does not race with frames still being sent.
    """
    opened: list[LessonPage] = []

    def make(query: str | None = "", wait: bool = True, **context_args) -> LessonPage:
        context = new_context(**context_args)
        lesson = LessonPage(context.new_page())
        opened.append(lesson)
        if query is not None and wait:
            lesson.open(query)
        elif query is not None:  # the caller calls wait_for_frames() (to load pages in parallel)
            lesson.page.goto("/tunneling" + query, wait_until="commit")
        return lesson

    yield make
    for lesson in opened:
        try:
            if lesson.page.url.split("?")[0].endswith("/tunneling") and lesson.player.count():
                lesson.wait_run_done(timeout=20_000)
        except Exception:  # the test has already failed; do not hide why
            pass


@pytest.fixture
def lesson(lesson_factory) -> LessonPage:
    """The lesson at default settings, its first frames received."""
    return lesson_factory("")


def approx_equal(a: float, b: float, tol: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=0, abs_tol=tol)
