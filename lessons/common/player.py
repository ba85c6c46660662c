"""``WavePlayer``: a Panel component that plays server-computed frames in the browser.

(:class:`CanvasPlayer`, the base of every lesson's player, holds the ready/replay handshake below.)

The server (Numba, or NumPy in Pyodide) computes frames only when a setting changes and sends them
in chunks of binary float32; the browser stores them and draws at display rate with
``requestAnimationFrame``.  Streaming every frame from the server instead costs ~3 ms of server CPU
per session-frame, too much for a class on one server.

The browser *pulls*: it asks for more frames when less than about 1.5 s of playback is buffered,
so the server computes only what is watched plus a short lead.  A student who moves a slider
every few seconds costs the frames she sees, not the whole run (~440 frames, 0.19 CPU-s), and a
paused or hidden tab costs nothing.

Protocol (all through ``_send_msg``, so ordering is that of the websocket):

- ``{"kind": "setup", "run": id, ...}`` starts a run: grid range, potential, scales;
- ``{"kind": "chunk", "run": id, "start": i, "end": j, "re", "im", "t", "T", "R", "inside", "done"}``
  carries frames ``i .. j-1`` (``re``/``im`` flattened frame-major);
- from the page, ``{"kind": "more", "run": id, "upto": n}`` asks for frames up to ``n`` (at most
  one request is outstanding: the page asks again once a chunk has arrived).

Events sent before the page is connected are dropped by Panel, so the browser sends
``{"kind": "ready"}`` when it has rendered and the component replays the current run then.  It
sends ``{"kind": "ended", "run": id}`` when the animation of a finished run reaches its last frame,
so a lesson can hold back final numbers until the student has watched them happen.
"""
from __future__ import annotations

import pathlib

import param
from panel.custom import JSComponent

__all__ = ["CanvasPlayer", "RunPlayer", "WavePlayer", "PLAYER_CSS", "player_module"]

_CANVAS_JS = pathlib.Path(__file__).parent / "canvas.js"


def player_module(path: pathlib.Path) -> str:
    """A player's ES module: the shared canvas helpers (canvas.js) followed by the player's own file."""
    return _CANVAS_JS.read_text(encoding="utf-8") + "\n" + pathlib.Path(path).read_text(encoding="utf-8")

#: Look of the canvas players' tool bars and read-outs (shared by the lessons).
PLAYER_CSS = """
    .ql-player { font-family: system-ui, sans-serif; color: var(--ql-ink, #222); }
    .ql-player:focus-visible { outline: 3px solid var(--ql-focus, #1c7ed6); outline-offset: 2px; }
    .ql-bar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin-bottom: 6px; }
    .ql-bar button, .ql-bar select { font-size: calc(15px * var(--ql-scale, 1)); padding: 5px 12px; border-radius: 6px;
                     border: 1px solid var(--ql-border, #888); color: var(--ql-ink, #222);
                     background: var(--ql-button, #f4f6f8); cursor: pointer; }
    .ql-bar select { padding: 3px 6px; }
    .ql-bar label { font-size: calc(15px * var(--ql-scale, 1)); }
    .ql-bar button:hover { background: var(--ql-hover, #e3e8ee); }
    .ql-bar button:focus-visible { outline: 3px solid var(--ql-focus, #1c7ed6); outline-offset: 1px; }
    .ql-clock { font-variant-numeric: tabular-nums; font-size: calc(16px * var(--ql-scale, 1)); font-weight: 600;
                min-width: 80px; }
    .ql-status, .ql-note { color: var(--ql-muted, #555); font-size: calc(14px * var(--ql-scale, 1)); }
    .ql-readout { display: flex; flex-wrap: wrap; gap: 6px 24px; font-size: calc(15px * var(--ql-scale, 1)); margin-top: 4px;
                  font-variant-numeric: tabular-nums; }
    .ql-player:fullscreen { background: var(--ql-bg, #fff); padding: 16px; overflow: auto; }
    canvas { display: block; }
    """


class CanvasPlayer(JSComponent):
    """Base of the lessons' canvas players: the page's "ready" handshake and the replay after it.

    Panel drops messages sent before the page has rendered the component, so the browser sends
    ``{"kind": "ready"}`` once it has (and again after a reconnect); the player then resends what
    the page must show, :meth:`_replay`.  Other messages from the page go to :meth:`_on_msg`.
    """

    page_ready = param.Integer(default=0, doc="How many times the page has rendered the player.")
    large_text = param.Boolean(default=False, doc="Bigger fonts and lines (projector).")
    hidden = param.List(default=[], doc="Keys of read-outs the page hides until revealed (the canvas leaves out their numbers).")
    palette = param.Dict(default={}, doc="The colour profile's map and scale (lessons.common.palette.Profile.js).")

    def __init__(self, **params):
        super().__init__(**params)
        self._ready = False

    @property
    def connected(self) -> bool:
        """Whether the page has rendered the player and asked for its data at least once."""
        return self._ready

    def _send(self, msg: dict) -> None:
        """Send ``msg`` now if the page is ready (it is replayed from the player's state otherwise)."""
        if self._ready:
            self._send_msg(msg)

    def _replay(self) -> list[dict]:
        """The messages that bring a freshly rendered page up to date."""
        return []

    def _on_msg(self, msg: dict) -> None:
        """A message from the page other than "ready"."""

    def _handle_msg(self, msg) -> None:
        if not isinstance(msg, dict):
            return
        if msg.get("kind") == "ready":
            self._ready = True
            self.page_ready += 1
            for replayed in self._replay():
                self._send_msg(replayed)
        else:
            self._on_msg(msg)


class RunPlayer(CanvasPlayer):
    """A canvas player that shows one whole run at a time: sent once as ``{"kind": "run", "id", ...}``
    and replayed when the page (re)connects; the browser animates it."""

    autoplay = param.Boolean(default=True, doc="Start playing when the first run arrives.")

    def __init__(self, **params):
        super().__init__(**params)
        self._run: dict | None = None
        self._run_id = 0

    def _publish(self, fields: dict) -> None:
        """Send a new run (``fields`` without kind and id) and keep it for replay."""
        self._run_id += 1
        self._run = {"kind": "run", "id": self._run_id, **fields}
        self._send(self._run)

    def _replay(self) -> list[dict]:
        return [] if self._run is None else [self._run]


class WavePlayer(CanvasPlayer):
    """Canvas player of wave-packet frames; play/pause, step, restart and speed run in the browser."""

    speed = param.Number(default=1.0, bounds=(0.05, 10.0), doc="Playback speed multiplier.")
    display = param.Selector(default="density", objects=["density", "real_imag", "both"],
                             doc="Draw |psi|^2, Re/Im psi, or both.")
    phase = param.Boolean(default=False, doc="Colour |psi|^2 by the phase of psi (opt-in).")
    autoplay = param.Boolean(default=True, doc="Start playing when a new run arrives.")
    ended_run = param.Integer(default=0, doc="Last run whose animation the browser played to the end.")
    request = param.Tuple(default=(0, 0), length=2,
                          doc="(run, frames): the page asks to hold frames 0 .. frames-1 of that run.")
    plot_height = param.Integer(default=430, bounds=(200, 1200), doc="Canvas height in pixels.")

    _esm = player_module(pathlib.Path(__file__).parent / "player.js")

    _stylesheets = [PLAYER_CSS]

    def __init__(self, **params):
        super().__init__(**params)
        self._setup: dict | None = None
        self._chunks: list[dict] = []

    def start_run(self, setup: dict) -> None:
        """Begin a new run (``setup`` must hold ``run``); older chunks are forgotten."""
        self._setup = {"kind": "setup", **setup}
        self._chunks = []
        self._send(self._setup)

    def push_chunk(self, chunk: dict) -> None:
        """Send a chunk of the current run (kept for replay when the page reconnects)."""
        msg = {"kind": "chunk", **chunk}
        self._chunks.append(msg)
        self._send(msg)

    def _replay(self) -> list[dict]:
        return [] if self._setup is None else [self._setup, *self._chunks]

    def _on_msg(self, msg: dict) -> None:
        run = msg.get("run")
        if not isinstance(run, int) or isinstance(run, bool):
            return
        if msg.get("kind") == "ended":
            self.ended_run = run
        elif msg.get("kind") == "more" and isinstance(msg.get("upto"), int) and not isinstance(msg["upto"], bool):
            value = (run, max(0, msg["upto"]))
            if value == self.request:
                self.param.trigger("request")   # the same request again (e.g. the CSV's "all"): param skips equal values
            else:
                self.request = value
