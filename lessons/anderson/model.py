"""State of the Anderson-localization lesson: an electron on a disordered chain whose atoms may vibrate.

:class:`AndersonModel` owns the settings (``param`` parameters with bounds, mirrored in the link):
the chain (sites, ends), the static disorder (width W, seed), the vibrating lattice (amplitude A and
sound speed c of a wave field on the site energies), the electron's start (one site or a Gaussian
packet with a mean wavenumber) and the run's length.  It derives what the lesson shows with
:mod:`physics.anderson`: the site energies, the eigenstates near the packet's energy, the
localization length against W from the transfer matrix beside the perturbative laws, and a
:class:`Run` of the packet, consumed frame by frame (the page pulls them as it plays).  No Panel
import: tested with no UI; ``view.py`` only renders it.

Units: hbar = 1, the hopping J = 1 (energies in J, times in 1/J, lengths in lattice sites).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import param

from lessons.common.i18n import N_, Translator, translator
from lessons.common.model import LessonModel
from lessons.common.runs import FrameRun
from lessons.common.urlstate import IntSetting, Setting
from physics import anderson

__all__ = ["AndersonModel", "Run", "SCENES", "QUERY_NAMES", "FRAMES", "DISPLAY_POINTS", "xi_curve",
           "state_length"]

#: scene -> (label: an English msgid, translated where shown; settings it applies)
SCENES = {
    "anderson": (N_("Static disorder: Anderson's prison"), dict(W=2.0, amplitude=0.0)),
    "clean": (N_("Clean chain: ballistic"), dict(W=0.0, amplitude=0.0)),
    "frozen": (N_("Frozen vibrations (c = 0): trapped"), dict(W=0.0, amplitude=1.5, speed=0.0)),
    "vibrating": (N_("Moving lattice: trapped, then diffusing"), dict(W=0.0, amplitude=1.5, speed=0.3)),
    "custom": (N_("Custom (move the sliders)"), None),
}
#: frames of a run (the page plays 30 a second: 8 s)
FRAMES = 240
#: the most points of |psi|^2 a frame carries (sites are summed into bins beyond)
DISPLAY_POINTS = 500
#: Lyapunov exponents of the xi(W) figure: this many sites per point
XI_SITES = 200_000
XI_W = tuple(np.round(np.geomspace(0.5, 8.0, 17), 4))
#: the internal step of the vibrating (time-dependent) evolution
MOVING_DT = 0.05
#: sites of each absorbing end
ABSORBER_SITES = 40

QUERY_NAMES = {"scene": "scene", "n": "sites", "W": "W", "seed": "seed", "A": "amplitude", "c": "speed",
               "start": "start", "k": "k0", "sigma": "sigma", "ends": "ends", "t": "t_max", "scale": "scale"}


def bins(n: int) -> np.ndarray:
    """Edges of the display bins (sites summed into at most DISPLAY_POINTS bins)."""
    return np.unique(np.linspace(0, n, min(n, DISPLAY_POINTS) + 1).round().astype(int))


def binned(density: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Probability per site, averaged over each bin (last axis)."""
    sums = np.add.reduceat(density, edges[:-1], axis=-1)
    return sums / np.diff(edges)


@lru_cache(maxsize=32)
def xi_curve(E: float, seed: int) -> dict:
    """The localization length against W at energy E (transfer matrix), shared between sessions."""
    W = np.array(XI_W)
    xi = np.array([anderson.localization_length(w, E, sites=XI_SITES, seed=seed) for w in W])
    return {"W": W, "xi": xi, "E": E}


@lru_cache(maxsize=256)
def xi_point(W: float, E: float, seed: int) -> float:
    """The localization length at one W (inf without disorder inside the band), shared between sessions."""
    return anderson.localization_length(W, E, sites=XI_SITES, seed=seed) if W > 0 else math.inf


@dataclass(frozen=True)
class RunSettings:
    """What one run is made of (a snapshot of the model when it started)."""

    sites: int
    W: float
    seed: int
    amplitude: float
    speed: float
    start: str
    k0: float
    sigma: float
    ends: str
    t_max: float


class Run(FrameRun):
    """One evolution of the packet, consumed frame by frame with :meth:`next_chunk`.

    Frame k is the state at t_k = k t_max / FRAMES.  Each records the probability per site (binned
    to at most DISPLAY_POINTS points), <x^2> measured from the starting site, the participation
    ratio, the norm left (absorbing ends) and <x>; with vibrations also the site energies then.
    """

    def __init__(self, run_id: int, s: RunSettings, eps: np.ndarray, tr: Translator | None = None):
        self.run_id, self.s, self.eps = run_id, s, eps
        self.tr = tr or translator()        # the language of :attr:`error` (the page shows it)
        n = s.sites
        self.origin = n // 2
        self.psi = (anderson.site_packet(n, self.origin) if s.start == "site"
                    else anderson.gaussian_packet(n, self.origin, s.sigma, s.k0))
        self.field = (anderson.VibrationField(s.amplitude, s.speed, seed=s.seed + 1)
                      if s.amplitude > 0 else None)
        self.times = np.linspace(0.0, s.t_max, FRAMES + 1)
        self.edges = bins(n)
        self.absorber = ABSORBER_SITES if s.ends == "absorbing" else 0
        self.records: dict[str, list] = {k: [] for k in ("t", "density", "msd", "pr", "norm", "mean_x", "eps")}
        self.frame_count = FRAMES
        self.done = False
        self.error = ""

    @property
    def moving(self) -> bool:
        return self.field is not None

    def site_energies(self, t: float) -> np.ndarray:
        """Every site's energy at time t: the static disorder plus the lattice's wave field."""
        return self.eps if self.field is None else self.eps + self.field.at(self.s.sites, t)

    ERRORS = (FloatingPointError, ValueError, np.linalg.LinAlgError)

    def _advance(self, k: int) -> None:
        self._evolve(self.times[k - 1], self.times[k])

    def _evolve(self, t0: float, t1: float) -> None:
        """The state from t0 to t1."""
        if t1 <= t0:
            return
        if self.field is None:
            out = anderson.evolve(self.eps, self.psi, np.array([0.0, t1 - t0]), absorber=self.absorber)
        else:
            out = anderson.evolve_moving(self.eps, self.field, self.psi, np.array([t1]), t0=t0, dt=MOVING_DT,
                                         absorber=self.absorber)
        self.psi = np.asarray(out[-1])

    def _record(self, k: int) -> None:
        t = float(self.times[k])
        density = np.abs(self.psi) ** 2
        norm = float(density.sum())
        if not math.isfinite(norm):
            raise FloatingPointError(N_("the state is not a finite number"))
        r = self.records
        r["t"].append(t)
        r["density"].append(binned(density, self.edges))
        r["norm"].append(norm)
        r["msd"].append(float(anderson.msd(self.psi, self.origin)) if norm > 1e-12 else float("nan"))
        r["pr"].append(float(anderson.participation_ratio(self.psi)) if norm > 1e-12 else float("nan"))
        r["mean_x"].append(float(anderson.mean_position(self.psi)) if norm > 1e-12 else float("nan"))
        if self.moving:
            r["eps"].append(binned(self.site_energies(t), self.edges))
        if norm < 1e-6:                 # everything absorbed: nothing left to show
            self.done = True

    def diffusion(self) -> float | None:
        """D from <x^2> ~ 2Dt over the second half of the run (None before it is there)."""
        r = self.records
        if self.frames < FRAMES // 2:
            return None
        t, m = np.array(r["t"]), np.array(r["msd"])
        keep = np.isfinite(m)
        return float(anderson.diffusion_constant(t[keep], m[keep], fit_from=0.5 * self.s.t_max))

    def exponent(self) -> float | None:
        """The slope of log <x^2> against log t over the last decade of the run (2 ballistic,
        1 diffusive, 0 localized)."""
        t, m = np.array(self.records["t"]), np.array(self.records["msd"])
        keep = (t >= 0.1 * self.s.t_max) & np.isfinite(m) & (m > 0)
        if keep.sum() < 5:
            return None
        return float(np.polyfit(np.log(t[keep]), np.log(m[keep]), 1)[0])


class AndersonModel(LessonModel):
    """An electron on a chain with static disorder and a vibrating lattice."""

    scene = param.Selector(default="anderson", objects=list(SCENES), doc="A ready-made setting.")
    sites = IntSetting(default=600, bounds=(100, 2000), doc="Number of sites N of the chain.")
    W = Setting(default=2.0, bounds=(0.0, 8.0), step=0.1, doc="Width W of the static box disorder (units of J).")
    seed = IntSetting(default=1, bounds=(0, 999), doc="Seed of the disorder and of the wave field's phases.")
    amplitude = Setting(default=0.0, bounds=(0.0, 3.0), step=0.05,
                        doc="RMS amplitude A of the lattice's wave field on the site energies.")
    speed = Setting(default=0.3, bounds=(0.0, 2.0), step=0.01, doc="Sound speed c (omega = c|q|; 0 freezes it).")
    start = param.Selector(default="packet", objects=["packet", "site"], doc="One site, or a Gaussian packet.")
    k0 = Setting(default=round(math.pi / 2, 4), bounds=(0.0, round(math.pi, 4)), step=0.01,
                 doc="Mean wavenumber of the packet (its energy -2J cos k0).")
    sigma = Setting(default=4.0, bounds=(1.0, 20.0), step=0.5, doc="Width of the packet in sites.")
    ends = param.Selector(default="open", objects=["open", "absorbing"], doc="Open ends reflect; absorbing ends do not.")
    t_max = Setting(default=200.0, bounds=(10.0, 500.0), step=10.0, doc="Length of the run (units of 1/J).")
    scale = param.Selector(default="linear", objects=["linear", "log"], doc="Axis of |psi|^2 in the animation.")

    run_id = param.Integer(default=0, doc="Increases every time a new run starts.")

    query_names = QUERY_NAMES

    #: the settings a run depends on
    RUN = ("sites", "W", "seed", "amplitude", "speed", "start", "k0", "sigma", "ends", "t_max")

    #: a scene names the disorder and the vibrations; "custom" names none
    presets = ("scene", {key: values for key, (_, values) in SCENES.items()})

    def __init__(self, **params):
        super().__init__(**params)
        self.run: Run | None = None

    # ---- derived --------------------------------------------------------------------------------------
    def static_energies(self) -> np.ndarray:
        """The static disorder: eps_i uniform in [-W/2, W/2]."""
        return anderson.box_disorder(self.sites, self.W, seed=self.seed)

    def band_energy(self) -> float:
        """The packet's carrier energy -2J cos k0 (the middle of the band for k0 = pi/2; a site start: 0)."""
        # (rounded: k0 = 1.5708 is the band centre, not 7e-6 above it)
        return 0.0 if self.start == "site" else round(float(-2.0 * math.cos(self.k0)), 4) + 0.0

    def xi(self) -> dict:
        """xi(W) at the packet's energy from the transfer matrix, the perturbative laws, the current W."""
        E = float(np.clip(round(self.band_energy(), 3), -1.95, 1.95))
        c = xi_curve(E, int(self.seed))
        Ws = np.geomspace(0.4, 9.0, 120)
        return {**c, "W_line": Ws, "perturbative": anderson.perturbative_length(Ws, E),
                "band_centre": anderson.band_centre_length(Ws) if abs(E) < 0.05 else None,
                "now": xi_point(float(self.W), E, int(self.seed)), "W_now": self.W,
                "perturbative_now": float(anderson.perturbative_length(self.W, E))}

    def eigenstates_near(self, count: int = 3) -> dict:
        """The ``count`` eigenstates of the static chain (with the lattice frozen as at t = 0) closest to
        the packet's energy: energies, |phi|^2 (binned like the frames), participation ratios and
        their localization lengths (:func:`state_length`)."""
        eps = self.static_energies()
        if self.amplitude > 0:
            eps = eps + anderson.VibrationField(self.amplitude, self.speed, seed=self.seed + 1).at(self.sites, 0.0)
        E = self.band_energy()
        # only the states in a window around E (SciPy's bisection and inverse iteration): the whole
        # spectrum of 600 sites took ~25 ms a slider move; the window widens until it holds `count`
        width = 8.0 * count / self.sites
        while True:
            energies, vectors = anderson.eigenstates(eps, select=(E - width, E + width))
            if energies.size >= count or width > 20:
                break
            width *= 2.0
        order = np.argsort(np.abs(energies - E))[:count]
        order = order[np.argsort(energies[order])]
        edges = bins(self.sites)
        out = {"E": energies[order], "density": [], "pr": [], "xi": [], "target": E}
        for j in order:
            phi = vectors[:, j]
            d = np.abs(phi) ** 2
            out["density"].append(binned(d, edges))
            out["pr"].append(float(anderson.participation_ratio(phi)))
            out["xi"].append(state_length(d))
        out["x"] = 0.5 * (edges[:-1] + edges[1:] - 1)
        return out

    def new_run(self) -> Run:
        """Start a fresh evolution from the current settings."""
        self.run_id += 1
        s = RunSettings(sites=int(self.sites), W=float(self.W), seed=int(self.seed), amplitude=float(self.amplitude),
                        speed=float(self.speed), start=self.start, k0=float(self.k0), sigma=float(self.sigma),
                        ends=self.ends, t_max=float(self.t_max))
        self.run = Run(self.run_id, s, self.static_energies(), self.tr)
        return self.run

    def full_run(self) -> Run:
        return self.new_run().finish()


def state_length(density: np.ndarray) -> float:
    """The localization length of one eigenstate: |phi| ~ exp(-r/xi), so xi = 2/slope of a
    straight-line fit of -log|phi|^2 against the distance r from the peak, over the sites where it is
    between 1e-3 and 1e-25 of the peak (the transfer matrix's xi = 1/gamma is the same length,
    averaged).  inf for an extended state."""
    peak = int(np.argmax(density))
    r = np.abs(np.arange(density.size) - peak)
    rel = density / density[peak]
    keep = (rel < 1e-3) & (rel > 1e-25)
    if keep.sum() < 10:
        return math.inf
    slope = np.polyfit(r[keep], -np.log(rel[keep]), 1)[0]
    return float(2.0 / slope) if slope > 1e-9 else math.inf
