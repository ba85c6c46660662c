"""``Player``: the one canvas player of every lesson, server side.

The server computes a run only when a setting changes and sends it to the browser, which plays it at
display rate (``lessons/common/shell.js``): playing costs the server nothing.  Streaming every frame
from the server instead costs ~3 ms of server CPU per session-frame, too much for a class.  The
messages are :mod:`lessons.common.protocol`'s: :meth:`Player.start` sends a run's ``setup``,
:meth:`Player.push` its ``chunk`` messages, :meth:`Player.fail` an ``error``.  The page says
``ready`` when it has rendered the player (again): Panel drops messages sent before that, so the
player replays the current run then.  A frame-indexed run can be pulled: the page's ``more``
requests appear as ``Player.page.request`` (Tunnelling computes only what is watched).

A lesson's player is a subclass that names its drawing (``_esm = player_module(<lesson>/pieces.js)``:
the shared pieces, the shell and the lesson's ``LESSON``) and declares the parameters its drawing
reads (Tunnelling's ``display``, Bound states' ``mode``, ...).
"""
from __future__ import annotations

import pathlib
from typing import Callable, ClassVar

import param
from panel.custom import JSComponent

from lessons.common import protocol
from lessons.common.i18n import Translator, js_messages
from lessons.common.palette import css_var

__all__ = ["Player", "PageState", "PLAYER_CSS", "player_module"]

_HERE = pathlib.Path(__file__).parent


def player_module(pieces: pathlib.Path) -> str:
    """A player's ES module: the shared drawing pieces, the shell and the lesson's ``LESSON``."""
    return "\n".join(path.read_text(encoding="utf-8")
                     for path in (_HERE / "pieces.js", _HERE / "shell.js", pathlib.Path(pieces)))


#: Look of the players' tool bars and read-outs (colours: the page's profile, lessons.common.palette).
PLAYER_CSS = f"""
    .ql-player {{ font-family: system-ui, sans-serif; color: {css_var("ink")}; }}
    .ql-player:focus-visible {{ outline: 3px solid {css_var("focus")}; outline-offset: 2px; }}
    .ql-bar {{ display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin-bottom: 6px; }}
    .ql-bar button, .ql-bar select {{ font-size: calc(15px * var(--ql-scale, 1)); padding: 5px 12px; border-radius: 6px;
                     border: 1px solid {css_var("border")}; color: {css_var("ink")};
                     background: {css_var("button")}; cursor: pointer; min-height: 36px; }}
    .ql-bar select {{ padding: 3px 6px; }}
    .ql-bar label {{ font-size: calc(15px * var(--ql-scale, 1)); }}
    .ql-bar button:hover {{ background: {css_var("hover")}; }}
    .ql-bar button:focus-visible {{ outline: 3px solid {css_var("focus")}; outline-offset: 1px; }}
    .ql-bar button:disabled {{ opacity: 0.45; cursor: not-allowed; }}
    .ql-sep {{ flex: 0 0 14px; }}
    .ql-clock {{ font-variant-numeric: tabular-nums; font-size: calc(16px * var(--ql-scale, 1)); font-weight: 600;
                min-width: 80px; }}
    .ql-status, .ql-note {{ color: {css_var("muted")}; font-size: calc(14px * var(--ql-scale, 1)); }}
    .ql-note {{ color: {css_var("warning")}; }}
    .ql-readout {{ display: flex; flex-wrap: wrap; gap: 6px 24px; font-size: calc(15px * var(--ql-scale, 1)); margin-top: 4px;
                  font-variant-numeric: tabular-nums; }}
    .ql-player:fullscreen {{ background: {css_var("bg")}; padding: 16px; overflow: auto; }}
    canvas {{ display: block; touch-action: manipulation; }}
    """


class PageState(param.Parameterized):
    """What the page has said, for the server only (never sent to the browser: in a served page it
    would cost a patch per request, and in a notebook the browser sent ``request`` back as a list)."""

    page_ready = param.Integer(default=0, doc="How many times the page has rendered the player.")
    request = param.Tuple(default=(0, 0), length=2,
                          doc="(run, frames): the page asks to hold frames 0 .. frames-1 of that run.")
    ended_run = param.Integer(default=0, doc="Last run whose animation the browser played to the end.")


class Player(JSComponent):
    """Server side of a lesson's player: the run it shows, replayed when the page (re)connects.

    ``player.page`` (a :class:`PageState`) holds what the page has said: watch its ``page_ready``,
    ``request`` and ``ended_run``.
    """

    large_text = param.Boolean(default=False, doc="Bigger fonts and lines (projector).")
    hidden = param.List(default=[], doc="Keys of read-outs the page hides until revealed (the canvas leaves out their numbers).")
    palette = param.Dict(default={}, doc="The colour profile's roles and type scale (lessons.common.palette.Profile.js).")
    autoplay = param.Boolean(default=True, doc="Start playing when a run arrives.")
    plot_height = param.Integer(default=430, bounds=(200, 1200), doc="The canvas's height in pixels (less on narrow screens).")
    strings = param.Dict(default={}, doc="The page's translations of the player's strings (msgid -> text, lessons.common.i18n).")
    decimal = param.String(default=".", doc="The page's decimal sign.")

    #: what a replay resends of a run's chunks: "all" (frames) or "last" (a state that replaces the one before)
    keep: ClassVar[str] = "all"

    _stylesheets = [PLAYER_CSS]

    def __init__(self, **params):
        super().__init__(**params)
        self.page = PageState()
        self._ready = False
        self._run = 0
        self._setup: dict | None = None
        self._chunks: list[dict] = []
        self._actions: dict[str, Callable] = {}

    # ---- language -------------------------------------------------------------------------------------
    @classmethod
    def messages(cls) -> tuple[str, ...]:
        """Every ``_("...")`` and ``N_("...")`` msgid of the player's JavaScript (read once per class)."""
        found = cls.__dict__.get("_ql_messages")
        if found is None:
            source = cls._esm if isinstance(cls._esm, str) and "\n" in cls._esm else pathlib.Path(cls._esm).read_text(encoding="utf-8")
            found = js_messages(source)
            type.__setattr__(cls, "_ql_messages", found)
        return found

    def set_language(self, tr: Translator) -> None:
        """Show the player's strings and numbers in ``tr``'s language."""
        self.param.update(strings=tr.js_strings(self.messages()), decimal=tr.decimal)

    # ---- what the server sends ------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        """Whether the page has rendered the player and asked for its data at least once."""
        return self._ready

    @property
    def run_id(self) -> int:
        """The current run's id (0 before the first)."""
        return self._run

    def start(self, run: int | None = None, **data) -> int:
        """Begin a new run (its ``setup`` message; ``run``: its id, else the next one); returns its id."""
        self._run = int(run) if run is not None else self._run + 1
        self._setup = protocol.setup(self._run, **data)
        self._chunks = []
        self._send(self._setup)
        return self._run

    def push(self, start: int = 0, end: int = 0, done: bool = True, **data) -> None:
        """Send a ``chunk`` of the current run (kept for the replay, all of them or the last, :attr:`keep`)."""
        msg = protocol.chunk(self._run, start, end, done, **data)
        self._chunks = [*self._chunks, msg] if self.keep == "all" else [msg]
        self._send(msg)

    def fail(self, text: str) -> None:
        """The current run cannot go on: the page says ``text``."""
        self._send(protocol.error(self._run, text))

    def answer_pulls(self, current_run: Callable, pump: Callable[[int], None], most: int) -> None:
        """Compute a run's frames as the page pulls them (``clock.pull`` in its ``LESSON``).

        When the page asks for frames up to ``upto`` of the run ``current_run()`` (an object with
        ``run_id`` and ``frames``, the count computed so far), ``pump(n)`` computes and sends ``n``
        more, at most ``most`` a request; a request for an older run, or for frames already sent,
        computes nothing."""
        def on_request(event) -> None:
            run_id, upto = event.new
            run = current_run()
            if run is not None and run.run_id == run_id and upto > run.frames:
                pump(min(upto - run.frames, most))

        self.page.param.watch(on_request, "request")

    def send_frames(self, run, n: int, seconds: float) -> None:
        """Compute up to ``n`` more frames of ``run`` (a :class:`lessons.common.runs.FrameRun`, or None)
        within about ``seconds``, send them with the subclass's ``push_chunk``, and the run's error if
        it stopped on one."""
        if run is None:
            return
        chunk = run.next_chunk(n, seconds)
        if chunk is not None:
            self.push_chunk(chunk)
            if run.done and run.error:
                self.fail(run.error)

    def played_to_end(self, run) -> bool:
        """Whether the page has played ``run`` (a finished :class:`lessons.common.runs.FrameRun`) to its end."""
        return run is not None and run.done and run.frames > 0 and self.page.ended_run == run.run_id

    def on_action(self, name: str, handler: Callable[[dict], None]) -> None:
        """Call ``handler(message)`` when the page sends the action ``name``."""
        self._actions[name] = handler

    def _send(self, msg: dict) -> None:
        if self._ready:
            self._send_msg(msg)

    def _replay(self) -> list[dict]:
        """The messages that bring a freshly rendered page up to date."""
        return [] if self._setup is None else [self._setup, *self._chunks]

    # ---- what the page sends --------------------------------------------------------------------------
    def _handle_msg(self, msg) -> None:
        msg = protocol.page_message(msg)
        if msg is None:
            return
        kind = msg["kind"]
        if kind == protocol.READY:
            self._ready = True
            self.page.page_ready += 1
            for replayed in self._replay():
                self._send_msg(replayed)
        elif kind == protocol.ENDED:
            self.page.ended_run = msg["run"]
        elif kind == protocol.MORE:
            value = (msg["run"], msg["upto"])
            if value == self.page.request:
                self.page.param.trigger("request")   # the same request again (e.g. the CSV's "all"): param skips equal values
            else:
                self.page.request = value
        elif kind == protocol.ACTION and msg["name"] in self._actions:
            self._actions[msg["name"]](msg)
