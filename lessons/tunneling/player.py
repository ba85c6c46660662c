"""``WavePlayer``: the Tunnelling lesson's player (frames of a wave-packet run, pulled as they play).

A new run sends its ``setup`` (grid, potential, scales) and its first frames; the page asks for more
as it plays (``more``), so the server computes only what is watched plus about 1.5 s of lead, and a
paused, hidden or closed tab costs nothing.  The drawing is ``pieces.js``; the messages are
:mod:`lessons.common.protocol`'s.
"""
from __future__ import annotations

import pathlib

import numpy as np
import param

from lessons.common.player import Player, player_module

__all__ = ["WavePlayer", "frames_message"]


def frames_message(chunk) -> dict:
    """The fields of a chunk of frames (a :class:`lessons.tunneling.model.Chunk`) as the page stores
    them: ``re``/``im`` flattened frame-major and the per-frame series, all float32 (binary on the wire)."""
    f32 = np.float32
    return dict(t=chunk.t.astype(f32), re=chunk.re.ravel(), im=chunk.im.ravel(), T=chunk.transmitted.astype(f32),
                R=chunk.reflected.astype(f32), inside=chunk.inside.astype(f32), passed=chunk.passed.astype(f32))


class WavePlayer(Player):
    """Canvas player of wave-packet frames; play/pause, step, restart run in the browser."""

    speed = param.Number(default=1.0, bounds=(0.05, 10.0), doc="Playback speed multiplier.")
    display = param.Selector(default="density", objects=["density", "real_imag", "both"],
                             doc="Draw |psi|^2, Re/Im psi, or both.")
    phase = param.Boolean(default=False, doc="Colour |psi|^2 by the phase of psi (opt-in).")

    _esm = player_module(pathlib.Path(__file__).with_name("pieces.js"))

    def push_frames(self, chunk) -> None:
        """Send frames ``chunk.start ..`` of the current run."""
        self.push(chunk.start, chunk.start + len(chunk.t), chunk.done, **frames_message(chunk))
