"""``SpreadingPlayer``: the Spreading lesson's player (its drawing is pieces.js)."""
from __future__ import annotations

import pathlib

import numpy as np

from lessons.common.player import Player, player_module


class SpreadingPlayer(Player):
    """Plays a run of |ψ(x, t)|² in the browser (the clock runs there: the server sends each run once)."""

    _esm = player_module(pathlib.Path(__file__).with_name("pieces.js"))

    def show(self, x: np.ndarray, run: dict) -> None:
        """Send a new run (a :meth:`SpreadingModel.run`) to the page."""
        f32 = lambda a: np.asarray(a, dtype=np.float32).ravel()  # noqa: E731  (float32: binary on the wire)
        self.start(x=f32(x), top=float(run["density"][0].max()))
        self.push(0, len(run["t"]), True, t=f32(run["t"]), density=f32(run["density"]),
                  centre=f32(run["centre"]), width=f32(run["width"]))
