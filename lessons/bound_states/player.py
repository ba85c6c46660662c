"""``EigenPlayer``: the Bound-states lesson's player (a superposition of bound states, evaluated in the browser).

The server sends the well as the run's ``setup`` (potential, energies, eigenstates) and the state as
a ``chunk`` of coefficients (again after each measurement or change: the replay sends the latest);
the browser evaluates psi(x, t) = sum c_n exp(-i E_n t) psi_n(x) each frame, so playing costs the
server nothing.  The page's measurement buttons send ``{"kind": "action", "name": "measure", "what",
"shots", "t", "state"}``; :meth:`EigenPlayer.on_measure` receives them checked.  The drawing is
``pieces.js``.
"""
from __future__ import annotations

import pathlib
from typing import Callable

import param

from lessons.common import protocol
from lessons.common.player import Player, player_module

__all__ = ["EigenPlayer"]


class EigenPlayer(Player):
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
    plot_height = param.Integer(default=480, bounds=(200, 1200), doc="Canvas height in pixels.")

    keep = "last"            # a new state replaces the one before
    _esm = player_module(pathlib.Path(__file__).with_name("pieces.js"))

    def on_measure(self, handler: Callable[[str, int, float, int], None]) -> None:
        """Call ``handler(what, shots, t, state)`` for a measurement the page asks for (checked)."""
        def measure(msg: dict) -> None:
            what, shots = msg.get("what"), protocol.whole(msg.get("shots"))
            t, state = protocol.number(msg.get("t")), protocol.whole(msg.get("state"))
            if what in ("energy", "position") and shots in (1, 100) and t is not None and state is not None:
                handler(what, shots, t, state)
        self.on_action("measure", measure)
