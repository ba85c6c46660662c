"""The Spreading lesson's state: the packet's initial width and mean momentum, and its run (no UI)."""
from __future__ import annotations

import numpy as np
import param

from lessons.common.model import LessonModel
from physics.wavepacket import free_density, free_width


class SpreadingModel(LessonModel):
    """A free Gaussian packet (natural units, hbar = m = 1) that starts at x = 0."""

    sigma = param.Number(default=1.0, bounds=(0.3, 3.0), doc="Initial width σ of |ψ|².")
    k0 = param.Number(default=1.0, bounds=(-2.0, 2.0), doc="Mean momentum k₀ (also the mean velocity).")

    #: link name -> parameter (…/spreading?sigma=0.5&k=2)
    query_names = {"sigma": "sigma", "k": "k0"}

    x = np.linspace(-25.0, 25.0, 401)      #: the shown positions
    t = np.linspace(0.0, 10.0, 201)        #: the run's times

    @param.depends("sigma", "k0")
    def run(self) -> dict:
        """|ψ(x, t)|² at :attr:`x` for each time in :attr:`t` (frame-major), its centre k₀t and width σ(t)."""
        return dict(t=self.t, density=free_density(self.x, self.t, self.sigma, self.k0),
                    centre=self.k0 * self.t, width=free_width(self.t, self.sigma))
