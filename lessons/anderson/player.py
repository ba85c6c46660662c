"""``LatticePlayer``: the Anderson lesson's player (frames of a packet on the chain, pulled as they play).

A run's ``setup`` carries the chain (sites, the display points, the static site energies, the start
site, whether the lattice moves and whether the ends absorb); each ``chunk`` carries frames
``start .. end - 1``: the time, |psi|^2 per site (binned to at most 500 points), <x^2> from the start,
the participation ratio, the norm left, <x> and, on a vibrating lattice, the site energies at that
time (all float32).  The page asks for more as it plays, so the server computes only what is
watched.  The drawing is ``pieces.js``: |psi|^2 over the site energies, and <x^2>(t) on log-log
axes with the ballistic, diffusive and localized slopes.
"""
from __future__ import annotations

import pathlib

import numpy as np
import param

from lessons.common.player import Player, player_module

__all__ = ["LatticePlayer"]


def _f32(a) -> np.ndarray:
    return np.nan_to_num(np.asarray(a, dtype=np.float64), nan=-1.0, posinf=3e38,
                         neginf=-3e38).clip(-3e38, 3e38).astype(np.float32).ravel()


class LatticePlayer(Player):
    """Canvas animation of an electron on a (vibrating) disordered chain."""

    scale = param.Selector(default="linear", objects=["linear", "log"], doc="The |psi|^2 axis: linear or log.")
    plot_height = param.Integer(default=560, bounds=(240, 1200), doc="Canvas height in pixels.")

    _esm = player_module(pathlib.Path(__file__).with_name("pieces.js"))

    def show_setup(self, run) -> None:
        """Start ``run`` (a :class:`lessons.anderson.model.Run`) on the page."""
        s, edges = run.s, run.edges
        centres = 0.5 * (edges[:-1] + edges[1:] - 1)
        static = np.add.reduceat(run.eps, edges[:-1]) / np.diff(edges)
        self.start(run=run.run_id, sites=s.sites, x=_f32(centres), eps=_f32(static), origin=run.origin,
                   moving=run.moving, t_max=s.t_max, frames=len(run.times), absorber=run.absorber,
                   W=s.W, A=s.amplitude, c=s.speed)

    def push_chunk(self, chunk: dict) -> None:
        """Send the frames of ``chunk`` (:meth:`Run.next_chunk`); NaN (nothing left) travels as -1."""
        n = chunk["end"] - chunk["start"]
        data = {key: _f32(chunk[key]) for key in ("t", "msd", "pr", "norm", "mean_x")}
        data["density"] = _f32(np.stack(chunk["density"])) if n else np.zeros(0, np.float32)
        if chunk["eps"]:
            data["eps"] = _f32(np.stack(chunk["eps"]))
        self.push(chunk["start"], chunk["end"], chunk["done"], **data)
