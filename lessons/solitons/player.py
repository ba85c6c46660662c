"""``FieldPlayer``: the Solitons lesson's player (frames of the field and its energy density, pulled as they play).

A run's ``setup`` carries the display points ``x``, the box, the run's end and frame count, the field's
model and vacua, the axis ranges of phi and of the energy density, whether a closed form is drawn and
the energy it predicts; each ``chunk`` carries frames ``start .. end - 1``: the time, phi and the
energy density at the display points, the closed-form phi there (when the scene has one) and the
total energy (all float32).  The page asks for more as it plays.  The drawing is ``pieces.js``.
"""
from __future__ import annotations

import math
import pathlib

import numpy as np
import param

from lessons.common.player import Player, player_module
from lessons.solitons.model import FRAMES

__all__ = ["FieldPlayer"]


def _f32(a) -> np.ndarray:
    return np.nan_to_num(np.asarray(a, dtype=np.float64), nan=0.0, posinf=3e38,
                         neginf=-3e38).clip(-3e38, 3e38).astype(np.float32).ravel()


def phi_range(run) -> tuple[float, float]:
    """The phi axis of a run: its vacua and its first frame, with room around them."""
    first = np.asarray(run.records["phi"][0]) if run.frames else np.zeros(1)
    values = [*run.vacua(), float(np.min(first)), float(np.max(first))]
    if run.s.scene == "breather":       # it swings to +-4 arctan(sqrt(1 - w^2) / w)
        w = run.s.omega
        amp = 4 * math.atan(math.sqrt(1 - w * w) / w)
        values += [-amp, amp]
    if run.s.scene == "collision" and run.s.field == "phi4":
        values += [-1.9, 1.6]           # the bion dips below the outside vacuum
    lo, hi = min(values), max(values)
    pad = 0.15 * max(hi - lo, 1.0)
    return lo - pad, hi + pad


class FieldPlayer(Player):
    """Canvas animation of a Klein–Gordon field over its vacua, with its energy density under it."""

    exact = param.Boolean(default=True, doc="Draw the closed-form solution (where the scene has one).")
    plot_height = param.Integer(default=520, bounds=(240, 1200), doc="Canvas height in pixels.")

    _esm = player_module(pathlib.Path(__file__).with_name("pieces.js"))

    def show_setup(self, run, expected: float | None) -> None:
        """Start ``run`` (a :class:`lessons.solitons.model.Run`, its first frame computed) on the page."""
        lo, hi = phi_range(run)
        d0 = np.asarray(run.records["density"][0]) if run.frames else np.ones(1)
        rest = run.rest_shape()
        self.start(run=run.run_id, x=_f32(run.x_shown), xmin=float(-run.box.shown), xmax=float(run.box.shown),
                   rest_dx=_f32(rest[0]) if rest else None, rest_phi=_f32(rest[1]) if rest else None, t_end=float(run.t_end), frames=FRAMES + 1,
                   field=run.s.field, scene=run.s.scene, vacua=[float(v) for v in run.vacua()],
                   phi_lo=lo, phi_hi=hi, e_max=float(max(np.max(d0) * 1.25, 1e-3)),
                   has_exact=bool(np.isfinite(run.records["exact"][0]).any()) if run.frames else False,
                   energy0=float(run.energy0), expected=float(expected) if expected is not None else -1.0)

    def push_chunk(self, chunk: dict) -> None:
        """Send the frames of ``chunk`` (:meth:`Run.next_chunk`)."""
        n = chunk["end"] - chunk["start"]
        data = {"t": _f32(chunk["t"]), "energy": _f32(chunk["energy"]), "peak": _f32(chunk["peak"])}
        for key in ("phi", "density"):
            data[key] = _f32(np.stack(chunk[key])) if n else np.zeros(0, np.float32)
        if n and np.isfinite(chunk["exact"][0]).any():     # (the phi^4 collision has no closed form)
            data["exact"] = _f32(np.stack(chunk["exact"]))
        self.push(chunk["start"], chunk["end"], chunk["done"], **data)

