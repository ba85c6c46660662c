"""``EigenPlayer``: a Panel component that animates a superposition of bound states in the browser.

The server sends the well once per change (``setup``: potential, energies, eigenstates) and the
state as coefficients (``state``); the browser evaluates psi(x, t) = sum c_n exp(-i E_n t) psi_n(x)
each frame, so playing costs the server nothing.  The browser sends ``ready`` when rendered (Panel
drops messages sent before that; the component then replays the latest setup and state),
``measure`` with the current time when a measurement button is pressed, and ``restart``.
"""
from __future__ import annotations

import pathlib
from typing import Callable

import param

from lessons.common.player import PLAYER_CSS, CanvasPlayer, player_module

__all__ = ["EigenPlayer"]


class EigenPlayer(CanvasPlayer):
    """Canvas of the potential, its levels and the evolving wavefunction, with measurement buttons."""

    mode = param.Selector(default="superposition", objects=["superposition", "eigenstates"],
                          doc="Animate the superposition, or show each eigenstate on its level.")
    speed = param.Number(default=1.0, bounds=(0.05, 10.0), doc="Playback speed multiplier.")
    show_re = param.Boolean(default=True)
    show_im = param.Boolean(default=False)
    show_density = param.Boolean(default=True)
    show_levels = param.Boolean(default=True, doc="False hides the levels (predict, then reveal).")
    levels = param.Integer(default=6, bounds=(1, 40), doc="How many levels to draw.")
    guess = param.Number(default=1.0, doc="The student's guess for E1, drawn while levels are hidden.")
    autoplay = param.Boolean(default=True, doc="Start playing when the first state arrives.")
    plot_height = param.Integer(default=480, bounds=(200, 1200), doc="Canvas height in pixels.")

    _esm = player_module(pathlib.Path(__file__).parent / "eigen_player.js")
    _stylesheets = [PLAYER_CSS + """
    .ql-sep { flex: 0 0 14px; }
    .ql-bar button:disabled { opacity: 0.45; cursor: not-allowed; }
    """]

    def __init__(self, **params):
        super().__init__(**params)
        self._latest: dict[str, dict] = {}
        self.on_measure: Callable[[str, int, float, int], None] | None = None
        self.on_restart: Callable[[], None] | None = None

    def send(self, kind: str, **msg) -> None:
        """Send (and remember for replay) the latest message of this kind."""
        self._latest[kind] = {"kind": kind, **msg}
        self._send(self._latest[kind])

    def _replay(self) -> list[dict]:
        return [self._latest[key] for key in ("setup", "state") if key in self._latest]

    def _on_msg(self, msg: dict) -> None:
        kind = msg.get("kind")
        if kind == "measure" and self.on_measure is not None:
            what, shots, t, state = msg.get("what"), msg.get("shots"), msg.get("t"), msg.get("state")
            if what in ("energy", "position") and shots in (1, 100) and isinstance(t, (int, float)) \
                    and isinstance(state, int):
                self.on_measure(what, int(shots), float(t), state)
        elif kind == "restart" and self.on_restart is not None:
            self.on_restart()
