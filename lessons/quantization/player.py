"""``PsiPlayer``: the Quantization lesson's player (a Schrödinger run with a quantized memory, played in the browser).

The server computes the run once per change of the quantizer and sends it as a run's ``setup`` (the
memory's name, the shown grid, the potential there and the exact <x>(t)'s formula) and one ``chunk``
(|psi|^2 of the stored and of the exact run at each record, the norm, the fidelity, <x> and the exact
<x>, as float32); the browser animates it at display rate.  The drawing is ``pieces.js``: no physics
is written there, the potential and the exact curve travel as data.
"""
from __future__ import annotations

import pathlib

import numpy as np
import param

from lessons.common.player import Player, player_module

__all__ = ["PsiPlayer", "VIEW_HALF_WIDTH", "V_TOP"]

#: The animation shows x in [-VIEW_HALF_WIDTH, VIEW_HALF_WIDTH] (the packet oscillates within +-3).
VIEW_HALF_WIDTH = 8.0
#: The potential drawn reaches the plot's top at this value (the well V = x^2/2 at |x| = 4).
V_TOP = 8.0


class PsiPlayer(Player):
    """Canvas animation of |psi(x, t)|^2 stored through a quantizer, over the exact |psi|^2."""

    plot_height = param.Integer(default=360, bounds=(200, 1200), doc="Canvas height in pixels.")

    _esm = player_module(pathlib.Path(__file__).with_name("pieces.js"))

    def show_run(self, run, x: np.ndarray, label: str, V: np.ndarray, mean_x_exact: np.ndarray,
                 v_label: str, mean_x_label: str) -> None:
        """Send a :class:`physics.lowprec.StoredRun` recorded with densities (``label`` names its memory;
        ``V`` is the potential on ``x``, ``mean_x_exact`` the exact <x> at the run's records).

        NaN (records after a run blew up) is sent as -1, which the page never shows.
        """
        keep = np.abs(x) <= VIEW_HALF_WIDTH
        f32 = lambda a: np.clip(np.nan_to_num(np.asarray(a, dtype=np.float64), nan=-1.0),  # noqa: E731
                                -3e38, 3e38).astype(np.float32).ravel()
        finite = np.isfinite(run.norm)
        with np.errstate(divide="ignore"):
            lognorm = np.where(run.norm > 0, np.log10(np.where(run.norm > 0, run.norm, 1.0)), -400.0)
        times = f32(run.times)
        self.start(label=str(label), x=f32(x[keep]), V=f32(np.asarray(V)[keep]), v_top=V_TOP, v_label=v_label,
                   mx_exact_label=mean_x_label)
        self.push(0, times.size, True,
                  # the shape |psi|^2 / ||psi||^2: a memory that heats or decays changes the norm (read
                  # out beside, as log10 since it can leave float32's range), and the shape stays on the scale
                  t=times, q=f32(run.density[:, keep]), ref=f32(run.ref_density[:, keep]),
                  lognorm=f32(np.where(finite, lognorm, np.nan)), fid=f32(run.fidelity), mx=f32(run.mean_x),
                  mx_exact=f32(mean_x_exact),
                  # records after a run blew up are NaN, sent as -1: the page stops its clock there
                  valid=int(finite.sum()))
