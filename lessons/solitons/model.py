"""State of the Solitons lesson: which field, which scene, and everything derived from them.

:class:`SolitonsModel` owns the settings (``param`` parameters with bounds, mirrored in the link): the
scene (a kink–antikink collision, one moving kink, a sine-Gordon breather, a linear packet), the
potential of the kink scenes (phi^4 or sine-Gordon), the speeds, the breather's frequency, the
packet's mass, wavenumber and width, and the run's length.  It derives with
:mod:`physics.kleingordon` a :class:`Run` of the field, consumed frame by frame (the page pulls
frames as it plays), the closed forms the run is checked against on screen (the energy, the kink's
contracted length, the breather's period, the packet's group velocity), and the phi^4 scan of
outgoing against incoming speed (:func:`scan_point`, shared by every session of a server process).
No Panel import: tested with no UI; ``view.py`` only renders it.

Units: c = 1 and the field's natural units (the sine-Gordon kink has width 1 and energy 8; the phi^4
kink tanh(x / sqrt 2) has energy 2 sqrt(2) / 3).
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
from lessons.common.urlstate import Setting
from physics import kleingordon as kg

__all__ = ["SolitonsModel", "Run", "Box", "SCENES", "POTENTIALS", "QUERY_NAMES", "FRAMES", "DISPLAY_POINTS",
           "SCAN_SPEEDS", "scan_point", "V_CRITICAL"]

#: scene -> its name (an English msgid, translated where shown)
SCENES = {
    "collision": N_("Kink meets antikink"),
    "kink": N_("One moving kink"),
    "breather": N_("Sine-Gordon breather"),
    "packet": N_("Linear waves disperse"),
}
#: potential of the kink scenes -> its name
POTENTIALS = {"phi4": N_("φ⁴: V = (φ² − 1)²/4"), "sine_gordon": N_("sine-Gordon: V = 1 − cos φ")}
QUERY_NAMES = {"scene": "scene", "V": "potential", "v": "v", "boost": "boost", "omega": "omega", "m": "mass",
               "k0": "k0", "sigma": "sigma", "t": "t_max", "exact": "exact"}
#: frames of a run (the page plays 30 a second: 12 s)
FRAMES = 360
#: points of a frame's field and energy density (every n-th grid point)
DISPLAY_POINTS = 512
#: the time step: far below the stability limit 2 / omega_max of the finest grid (0.06)
DT = 0.02


def time_step(scene: str, omega: float) -> float:
    """The scene's time step.  A breather takes 0.01, and 0.02 omega below omega = 0.5: a slow breather
    is a kink and an antikink that fly apart and crash back at nearly the speed of light, so the field
    in its middle swings by 4 pi within a short time, and Verlet's O(dt^2) phase error there shows
    against the closed form (at omega = 0.1 and dt = 0.01: 7 % of the field's range by t = 100; with
    this step under 1 %)."""
    return min(0.01, 0.02 * omega) if scene == "breather" else DT
#: how far from the box's edge a single kink's run stops
KINK_MARGIN = 15.0
#: a collision's outcome is told only this long after the kinks met (else "too early to tell")
DECIDED_AFTER = 50.0
#: where the colliding kinks start, -+X0
X0 = 10.0
#: the phi^4 scan: incoming speeds, and its grid (collision_outcome's, dt = DT)
SCAN_SPEEDS = tuple(np.round(np.arange(0.15, 0.4001, 0.0025), 4))
#: one bounce frees phi^4 kinks above this speed (Campbell, Schonfeld & Wingate 1983)
V_CRITICAL = 0.2598


@dataclass(frozen=True)
class Box:
    """A scene's periodic box: ``length`` split into ``points``; the animation shows |x| <= ``shown``."""

    length: float
    points: int
    shown: float

    @property
    def x(self) -> np.ndarray:
        return np.linspace(-self.length / 2, self.length / 2, self.points, endpoint=False)


# (collisions need room for escaping kinks beyond what is shown; a single kink is shown whole, so that its
# contraction is visible; it stops before the edge)
BOXES = {"collision": Box(160.0, 1024, 60.0), "kink": Box(60.0, 1024, 30.0), "breather": Box(60.0, 512, 30.0),
         "packet": Box(200.0, 2048, 100.0)}


@lru_cache(maxsize=len(SCAN_SPEEDS) + 8)
def scan_point(v: float) -> dict:
    """The outcome of a phi^4 kink–antikink collision at incoming speed v (shared by all sessions)."""
    return kg.collision_outcome(float(v), x0=X0, dt=DT, model="phi4")


@dataclass(frozen=True)
class RunSettings:
    """What one run is made of (a snapshot of the model when it started)."""

    scene: str
    potential: str
    v: float
    boost: float
    omega: float
    mass: float
    k0: float
    sigma: float
    t_max: float

    @property
    def field(self) -> str:
        """The model of physics.kleingordon this run integrates."""
        return {"breather": "sine_gordon", "packet": "linear"}.get(self.scene, self.potential)


class Run(FrameRun):
    """One evolution of the field, consumed frame by frame with :meth:`next_chunk`.

    Frame k is the field at t_k = k n dt, n = round(t_end / (FRAMES dt)) steps a frame (the last frame is
    within half a frame of t_end): phi and the energy density at the display points,
    the closed-form phi there where the scene has one (NaN elsewhere), the total energy, and the
    positions where phi crosses the level between the vacua (the kinks).
    """

    def __init__(self, run_id: int, s: RunSettings, tr: Translator | None = None):
        self.run_id, self.s = run_id, s
        self.tr = tr or translator()
        self.box = BOXES[s.scene]
        x = self.box.x
        inside = np.nonzero(np.abs(x) <= self.box.shown)[0]
        #: the grid indices shown: every n-th point of the shown part, at most DISPLAY_POINTS
        self.shown = inside[:: max(1, -(-inside.size // DISPLAY_POINTS))]
        self.x_shown = x[self.shown]
        phi0, pi0 = self._initial(x)
        dt = time_step(s.scene, s.omega)
        self.sim = kg.Simulation(x, phi0, pi0, s.field, dt, mass=s.mass)
        self.steps_per_frame = max(1, int(round(self.t_end / FRAMES / dt)))
        self.energy0 = self.sim.energy()
        self.records: dict[str, list] = {k: [] for k in ("t", "phi", "density", "exact", "energy", "kinks", "peak",
                                                          "length", "centre", "middle")}
        self.frame_count = FRAMES
        self.done = False
        self.error = ""
        self._spectrum = None

    # ---- the scenes -----------------------------------------------------------------------------------
    @property
    def t_start(self) -> float:
        """The sine-Gordon collision runs the exact solution's clock from -X0 / v (they meet at 0)."""
        return -X0 / self.s.v if self.s.scene == "collision" and self.s.field == "sine_gordon" else 0.0

    @property
    def x_start(self) -> float:
        """Where the single kink starts: a third of the box behind the middle, against its motion."""
        return -math.copysign(self.box.length / 3, self.s.boost) if self.s.boost else 0.0

    @property
    def t_end(self) -> float:
        """The run's length: t_max, except that a single kink stops KINK_MARGIN short of the box's edge
        (beyond it the periodic box would bring it back on the other side, in the wrong vacuum for phi^4)."""
        s = self.s
        if s.scene != "kink" or s.boost == 0:
            return s.t_max
        room = self.box.length / 2 + abs(self.x_start) - KINK_MARGIN
        return min(s.t_max, room / abs(s.boost))

    def _initial(self, x):
        s = self.s
        if s.scene == "collision":
            if s.field == "phi4":
                return kg.phi4_collision(x, s.v, X0)
            return kg.sg_kink_antikink(x, s.v, self.t_start)
        if s.scene == "kink":
            kink = kg.phi4_kink if s.field == "phi4" else kg.sg_kink
            return kink(x, self.x_start, s.boost)
        if s.scene == "breather":
            return kg.sg_breather(x, s.omega)
        return kg.linear_packet(x, -self.box.length / 4, s.sigma, s.k0, s.mass)

    def exact(self, t: float) -> np.ndarray | None:
        """The closed-form field at the display points at time t, or None (the phi^4 collision has none)."""
        s, x = self.s, self.x_shown
        if s.scene == "collision":
            return kg.sg_kink_antikink(x, s.v, self.t_start + t)[0] if s.field == "sine_gordon" else None
        if s.scene == "kink":
            kink = kg.phi4_kink if s.field == "phi4" else kg.sg_kink
            return kink(x, self.x_start, s.boost, t)[0]
        if s.scene == "breather":
            return kg.sg_breather(x, s.omega, t)[0]
        # the linear packet: every Fourier mode turns at omega(k) = sqrt(k^2 + m^2), exactly
        if self._spectrum is None:
            full = self.box.x
            phi0, pi0 = kg.linear_packet(full, -self.box.length / 4, s.sigma, s.k0, s.mass)
            k = 2 * np.pi * np.fft.fftfreq(full.size, full[1] - full[0])
            w = kg.linear_frequency(k, s.mass)
            c_phi, c_pi = np.fft.fft(phi0), np.fft.fft(pi0)
            self._spectrum = (c_phi, c_pi, np.where(w > 0, w, 1.0), w)
        c_phi, c_pi, w_safe, w = self._spectrum
        # phi(t) = phi0 cos wt + pi0 sin(wt) / w per mode (w = 0: phi0 + pi0 t)
        sin_term = np.where(w > 0, np.sin(w * t) / w_safe, t)
        return np.fft.ifft(c_phi * np.cos(w * t) + c_pi * sin_term).real[self.shown]

    def rest_shape(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The single kink at rest, as offsets from its centre and its field there (drawn faintly over
        the moving kink, so that its contraction shows); None in the other scenes."""
        if self.s.scene != "kink":
            return None
        dx = np.linspace(-6.0, 6.0, 241)
        kink = kg.phi4_kink if self.s.field == "phi4" else kg.sg_kink
        return dx, kink(dx)[0]

    @property
    def level(self) -> float:
        """The field value between two vacua: phi = 0 (phi^4), pi (sine-Gordon |phi|); the kinks are there."""
        return 0.0 if self.s.field == "phi4" else math.pi

    def vacua(self) -> list[float]:
        """The vacua the axis shows: +-1 (phi^4), 2 pi n (sine-Gordon), 0 (linear)."""
        if self.s.field == "phi4":
            return [-1.0, 1.0]
        if self.s.field == "sine_gordon":
            return [-2 * math.pi, 0.0, 2 * math.pi]
        return [0.0]

    # ---- frames ---------------------------------------------------------------------------------------
    def _advance(self, k: int) -> None:
        self.sim.step(self.steps_per_frame)

    def _record(self, k: int) -> None:
        sim = self.sim
        phi = sim.phi
        density = sim.energy_density()
        energy = float(np.sum(density) * sim.dx)
        if not math.isfinite(energy):
            raise FloatingPointError(N_("the field is not a finite number"))
        r = self.records
        r["t"].append(sim.t)
        r["phi"].append(phi[self.shown])
        r["density"].append(density[self.shown])
        exact = self.exact(sim.t)
        r["exact"].append(exact if exact is not None else np.full(self.x_shown.size, np.nan))
        r["energy"].append(energy)
        if self.s.scene == "collision":
            shown = np.abs(phi) if self.s.field == "sine_gordon" else phi
            r["kinks"].append(kg.crossings(sim.x, shown, self.level))
        top = int(np.argmax(density))
        r["peak"].append(_peak(sim.x, density, top))
        r["length"].append(energy / float(density[top]))
        r["centre"].append(float(np.sum(sim.x * density) / np.sum(density)))
        r["middle"].append(float(phi[phi.size // 2]))       # x = 0

    # ---- what the run shows --------------------------------------------------------------------------
    def energy_drift(self) -> float | None:
        """The largest |E(t) - E(0)| / E(0) over the frames so far (None before the second frame)."""
        e = np.array(self.records["energy"])
        if e.size < 2 or self.energy0 == 0:
            return None
        return float(np.max(np.abs(e - self.energy0)) / abs(self.energy0))

    def kink_speed(self) -> float | None:
        """The single kink's speed: a straight line through its energy peak's positions (None before a
        quarter of the run)."""
        if self.s.scene != "kink" or self.frames < FRAMES // 4:
            return None
        return float(np.polyfit(np.array(self.records["t"]), np.array(self.records["peak"]), 1)[0])

    def kink_length(self) -> float | None:
        """The kink's length at the last frame, E / max energy density: 1/gamma of its rest length."""
        return float(self.records["length"][-1]) if self.frames else None

    def outgoing(self) -> dict | None:
        """After a collision: whether the kinks met and got away, how many times they met (the field
        in the middle went over to the outside vacuum), their speed over the last 20 time units (as
        :func:`physics.kleingordon.collision_outcome`), the field left in the middle, and whether the
        run went on long enough after they met (DECIDED_AFTER) to tell trapped from escaping."""
        if self.s.scene != "collision" or not self.done or self.frames < 2:
            return None
        r = self.records
        t = np.array(r["t"])
        late = int(np.searchsorted(t, t[-1] - 20.0))
        step = kg.VACUUM_STEP[self.s.field]
        between = r["middle"][0]
        met_now = np.abs(np.array(r["middle"]) - between) > 0.5 * step
        bounces = int(np.sum(met_now[1:] & ~met_now[:-1]))
        v_out = kg.escape_speed(r["kinks"][late], r["kinks"][-1], t[-1] - t[late], self.s.field) if bounces else 0.0
        escaped = v_out > 0.0
        # passing through shows in the middle, which goes from one vacuum to the one two steps away (-2 pi
        # to +2 pi); phi^4 has only two vacua, so its kinks can only bounce (a bion dipping below -1 is
        # not a new vacuum)
        passed = self.s.field == "sine_gordon" and abs(r["middle"][-1] - between) > 1.5 * step
        # kinks that escape slowly (near v_c) need time to get clear of a bion's size
        decided = t[-1] - X0 / self.s.v >= DECIDED_AFTER or passed
        return {"met": bounces > 0, "escaped": escaped, "v_out": v_out,
                "bounces": bounces, "middle": float(r["middle"][-1]), "passed": bool(passed),
                "decided": bool(decided)}

    def group_velocity(self) -> float | None:
        """The packet's speed: a straight line through its energy centroid over t <= 100 (before it can
        reach the box's far side), None before a quarter of the run."""
        if self.s.scene != "packet" or self.frames < FRAMES // 4:
            return None
        t, c = np.array(self.records["t"]), np.array(self.records["centre"])
        keep = t <= 100.0
        return float(np.polyfit(t[keep], c[keep], 1)[0])

    def period(self) -> float | None:
        """The breather's period: twice the mean time between the sign changes of the field in its middle
        (None before it changed sign three times)."""
        if self.s.scene != "breather":
            return None
        t, m = np.array(self.records["t"]), np.array(self.records["middle"])
        j = np.nonzero(np.sign(m[:-1]) * np.sign(m[1:]) < 0)[0]
        if j.size < 3:
            return None
        zeros = t[j] + (t[j + 1] - t[j]) * m[j] / (m[j] - m[j + 1])
        return float(2 * np.mean(np.diff(zeros)))


def _peak(x: np.ndarray, y: np.ndarray, j: int) -> float:
    """The position of a maximum y[j] on the periodic grid x, refined by a parabola through its neighbours."""
    n = y.size
    a, b, c = y[(j - 1) % n], y[j], y[(j + 1) % n]
    bend = a - 2 * b + c
    offset = 0.5 * (a - c) / bend if bend < 0 else 0.0
    return float(x[j] + offset * (x[1] - x[0]))


class SolitonsModel(LessonModel):
    """Kinks, breathers and waves of the nonlinear Klein–Gordon equation."""

    scene = param.Selector(default="collision", objects=list(SCENES), doc="What is on the line.")
    potential = param.Selector(default="phi4", objects=list(POTENTIALS), doc="The kinks' potential V(φ).")
    v = Setting(default=0.22, bounds=(0.05, 0.9), step=0.0025, doc="Speed of each colliding kink (c = 1).")
    boost = Setting(default=0.6, bounds=(-0.95, 0.95), step=0.01, doc="Speed of the single kink (c = 1).")
    omega = Setting(default=0.5, bounds=(0.05, 0.99), step=0.01, doc="The breather's frequency ω (0 < ω < 1).")
    mass = Setting(default=1.0, bounds=(0.0, 2.0), step=0.05, doc="Mass m of the linear field (ω² = k² + m²).")
    k0 = Setting(default=1.0, bounds=(0.0, 4.0), step=0.05, doc="The packet's wavenumber k₀.")
    sigma = Setting(default=3.0, bounds=(1.0, 10.0), step=0.5, doc="The packet's width σ.")
    t_max = Setting(default=100.0, bounds=(20.0, 300.0), step=10.0, doc="Length of the run.")
    exact = param.Boolean(default=True, doc="Draw the closed-form solution over the simulated field.")

    run_id = param.Integer(default=0, doc="Increases every time a new run starts.")

    query_names = QUERY_NAMES

    #: the settings a run depends on
    RUN = ("scene", "potential", "v", "boost", "omega", "mass", "k0", "sigma", "t_max")

    def __init__(self, **params):
        super().__init__(**params)
        self.run: Run | None = None

    # ---- derived --------------------------------------------------------------------------------------
    def field(self) -> str:
        """The potential the current scene integrates ("linear", "phi4" or "sine_gordon")."""
        return {"breather": "sine_gordon", "packet": "linear"}.get(self.scene, self.potential)

    def gamma(self) -> float:
        """The Lorentz factor of the moving kink(s)."""
        return kg.lorentz_gamma(self.v if self.scene == "collision" else self.boost)

    def expected_energy(self) -> float | None:
        """The closed-form energy: gamma M (one kink), 2 gamma M (two), 16 sqrt(1 - w^2) (breather);
        None for the packet (its energy is whatever the packet carries)."""
        if self.scene == "kink":
            return kg.lorentz_gamma(self.boost) * kg.kink_mass(self.potential)
        if self.scene == "collision":
            return 2 * kg.lorentz_gamma(self.v) * kg.kink_mass(self.potential)
        if self.scene == "breather":
            return kg.breather_energy(self.omega)
        return None

    def rest_length(self) -> float:
        """A kink's length at rest, E / max energy density: M / e_max = 8/4 = 2 (sine-Gordon: e = 4 sech^2 x)
        and (2 sqrt 2 / 3) / (1/2) (phi^4: e = sech^4(x / sqrt 2) / 2)."""
        return {"sine_gordon": 2.0, "phi4": 4.0 * math.sqrt(2.0) / 3.0}[self.potential]

    def breather_period(self) -> float:
        """2 pi / omega."""
        return 2 * math.pi / self.omega

    def group_velocity(self) -> float:
        """d omega / dk at k0: k0 / sqrt(k0^2 + m^2) (below 1, the speed of light)."""
        w = float(kg.linear_frequency(self.k0, self.mass))
        return self.k0 / w if w > 0 else 0.0

    def phase_velocity(self) -> float:
        """omega / k0 at k0 (above 1 for m > 0; inf for k0 = 0)."""
        return float(kg.linear_frequency(self.k0, self.mass)) / self.k0 if self.k0 > 0 else math.inf

    def has_exact(self) -> bool:
        """Whether the scene has a closed-form solution to draw (every one but the phi^4 collision)."""
        return not (self.scene == "collision" and self.potential == "phi4")

    def new_run(self) -> Run:
        """Start a fresh evolution from the current settings."""
        self.run_id += 1
        s = RunSettings(scene=self.scene, potential=self.potential, v=float(self.v), boost=float(self.boost),
                        omega=float(self.omega), mass=float(self.mass), k0=float(self.k0), sigma=float(self.sigma),
                        t_max=float(self.t_max))
        self.run = Run(self.run_id, s, self.tr)
        return self.run

    def full_run(self) -> Run:
        return self.new_run().finish()
