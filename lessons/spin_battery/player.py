"""``ChargePlayer``: the Spin-battery lesson's player (a charging run, known in full, played in the browser).

The server computes the whole run once per change of the charging settings and sends it as a run's
``setup`` (the spins' fields, a full battery's energy, the best average power) and one ``chunk`` (times,
stored energy, ergotropy, local ergotropy, average power and each spin's Bloch vector, as float32);
the browser animates it: spins as arrows, a battery gauge, and the curves with a moving time cursor.
The drawing is ``pieces.js``.
"""
from __future__ import annotations

import pathlib

import numpy as np
import param

from lessons.common.player import Player, player_module

__all__ = ["ChargePlayer"]


class ChargePlayer(Player):
    """Canvas animation of a charging run: spins, gauge, E(t), W(t), local W(t) and power."""

    plot_height = param.Integer(default=420, bounds=(240, 1200), doc="Canvas height in pixels.")

    _esm = player_module(pathlib.Path(__file__).with_name("pieces.js"))

    def show_run(self, run: dict) -> None:
        """Send a charging run (the dict of SpinBatteryModel.charging) to the browser."""
        # the arrows show the Bloch vector in the plane of sz and whichever transverse component
        # moves more (a drive along x turns the spins in the y-z plane)
        sx, sy = np.asarray(run["sx"]), np.asarray(run["sy"])
        transverse = sy if np.abs(sy).max() >= np.abs(sx).max() else sx
        f32 = lambda a: np.asarray(a, dtype=np.float32).ravel()  # noqa: E731
        times = f32(run["times"])
        self.start(n=int(run["fields"].size), fields=[float(v) for v in run["fields"]],
                   Emax=float(run["max_energy"]), best_power=float(run["best_power"]),
                   best_time=float(run["best_time"]), note=str(run.get("note", "")))
        self.push(0, times.size, True, t=times, E=f32(run["stored"]), W=f32(run["ergotropy"]),
                  Wloc=f32(run["local"]), P=f32(run["power"]), sh=f32(transverse), sz=f32(run["sz"]))
