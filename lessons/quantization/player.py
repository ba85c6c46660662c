"""``PsiPlayer``: a Panel component that plays a quantized-memory Schrödinger run in the browser.

The server computes the run once per change of the quantizer (|psi|^2 of the stored run and of the
exact run at each record, the norm, the fidelity and <x>, as float32) and the browser animates it at
display rate.  The browser sends ``ready`` when rendered (Panel drops messages sent before that; the
component then replays the latest run).
"""
from __future__ import annotations

import pathlib

import numpy as np
import param

from lessons.common.player import PLAYER_CSS, RunPlayer, player_module

__all__ = ["PsiPlayer", "VIEW_HALF_WIDTH"]

#: The animation shows x in [-VIEW_HALF_WIDTH, VIEW_HALF_WIDTH] (the packet oscillates within +-3).
VIEW_HALF_WIDTH = 8.0


class PsiPlayer(RunPlayer):
    """Canvas animation of |psi(x, t)|^2 stored through a quantizer, over the exact |psi|^2."""

    plot_height = param.Integer(default=360, bounds=(200, 1200), doc="Canvas height in pixels.")

    _esm = player_module(pathlib.Path(__file__).parent / "psi_player.js")
    _stylesheets = [PLAYER_CSS + """
    .ql-note { color: #8a4b00; font-size: 14px; }
    """]

    def show_run(self, run, x: np.ndarray, label: str) -> None:
        """Send a :class:`physics.lowprec.StoredRun` recorded with densities (``label`` names its memory).

        NaN (records after a run blew up) is sent as -1, which the page never shows.
        """
        keep = np.abs(x) <= VIEW_HALF_WIDTH
        f32 = lambda a: np.clip(np.nan_to_num(np.asarray(a, dtype=np.float64), nan=-1.0),  # noqa: E731
                                -3e38, 3e38).astype(np.float32).ravel()
        finite = np.isfinite(run.norm)
        with np.errstate(divide="ignore"):
            lognorm = np.where(run.norm > 0, np.log10(np.where(run.norm > 0, run.norm, 1.0)), -400.0)
        self._publish({
            "label": str(label),
            # the shape |psi|^2 / ||psi||^2: a memory that heats or decays changes the norm (read out
            # beside, as log10 since it can leave float32's range), and the shape stays on the scale
            "x": f32(x[keep]), "t": f32(run.times), "q": f32(run.density[:, keep]),
            "ref": f32(run.ref_density[:, keep]), "lognorm": f32(np.where(finite, lognorm, np.nan)),
            "fid": f32(run.fidelity),
            "mx": f32(run.mean_x),
            # records after a run blew up are NaN, sent as -1: the page stops its clock there
            "valid": int(finite.sum()),
        })
