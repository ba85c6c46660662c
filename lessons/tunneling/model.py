"""State of the Tunnelling lesson: barrier and packet settings, and everything derived from them.

:class:`TunnelingModel` owns the settings (``param`` parameters with bounds, mirrored in the URL),
the derived static quantities (grid, potential, exact T(E), predicted packet T) and a
:class:`Run`: the packet simulation, advanced a chunk of frames at a time so the first frames can
be shown while later ones are still being computed.  No Panel import: the model is tested with no
UI at all, and the view (``view.py``) only renders it.

Units: hbar = m = 1.  ``energy`` is the carrier energy k0^2 / 2 of the packet.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import param

from physics import potentials, scattering, wavepacket
from lessons.common.i18n import N_
from lessons.common.model import LessonModel
from lessons.common.urlstate import Setting

__all__ = ["TunnelingModel", "Run", "Chunk", "QUERY_NAMES", "GRID_POINTS", "DISPLAY_STRIDE"]

#: Simulation grid: 2048 points on [-100, 100), dx ~ 0.098, k_max = pi / dx ~ 32.
GRID_POINTS = 2048
X_MIN, X_MAX = -100.0, 100.0
ABSORBER = 20.0
DT = 0.025
#: Every DISPLAY_STRIDE-th grid point is sent to the browser (1024 points per frame).
DISPLAY_STRIDE = 2
#: Frames are spaced so the packet crosses the box in about this many frames.
FRAMES_PER_CROSSING = 300
MAX_FRAMES = 900
#: A run ends when less than this probability is left inside the box.
INSIDE_STOP = 2e-4

#: URL query name -> parameter name (short names teachers can type).
QUERY_NAMES = {name: name for name in
               ("shape", "height", "width", "position", "separation", "energy", "sigma", "x0", "speed")}


@dataclass
class Chunk:
    """Frames ``start .. start + len(t) - 1`` of a run, ready to send to the browser.

    ``re`` and ``im`` have shape (frames, display points), float32; the rest are per-frame float64.
    ``transmitted``/``reflected`` count what the absorbers took; ``passed`` adds what is right of
    the barrier and still moving, so students see T building up before it reaches the absorber.
    """

    run_id: int
    start: int
    t: np.ndarray
    re: np.ndarray
    im: np.ndarray
    transmitted: np.ndarray
    reflected: np.ndarray
    inside: np.ndarray
    passed: np.ndarray     # transmitted + probability right of the barrier: "has got through"
    mean_x: np.ndarray
    energy: np.ndarray     # <H> per frame while nothing is absorbed yet (NaN after)
    done: bool


@dataclass
class Run:
    """One simulation from the current settings, consumed chunk by chunk with :meth:`next_chunk`."""

    run_id: int
    sim: wavepacket.Simulation
    steps_per_frame: int
    max_frames: int = MAX_FRAMES
    frames: int = 0
    done: bool = False
    chunks: list = field(default_factory=list)
    beyond: int = 0               # first grid index right of the barrier
    health_sum: float = 0.0       # max |T + R + inside - 1| seen so far
    energy0: float = float("nan")
    energy_drift: float | None = None  # max relative drift of <H> before anything was absorbed
                                       # (None: the packet touched an absorber from the start)
    error: str | None = None      # why the run stopped early: an English msgid (the view translates it)

    def next_chunk(self, n_frames: int) -> Chunk | None:
        """Compute up to ``n_frames`` more frames (frame 0 is the initial state); None when done."""
        if self.done:
            return None
        sim = self.sim
        n = min(int(n_frames), self.max_frames - self.frames)
        rows = {key: [] for key in ("t", "re", "im", "T", "R", "inside", "passed", "x", "E")}
        for _ in range(n):
            if self.frames > 0:
                sim.step(self.steps_per_frame)
            psi = sim.psi[::DISPLAY_STRIDE]
            density = sim.density()          # once per frame: norm, <x> and "passed" all use it
            inside = float(np.sum(density) * sim.dx)
            # <H> is only used for the drift check, before anything is absorbed (it costs 1/5 of a frame)
            unabsorbed = sim.transmitted + sim.reflected < 1e-7
            energy = sim.energy() if unabsorbed and inside > 1e-12 else float("nan")
            if not (np.isfinite(inside) and np.all(np.isfinite(psi[:: 64]))):
                # English here (a run holds no language): the view translates it where it shows it
                self.error = N_("The simulation produced a non-finite value and was stopped.")
                self.done = True
                break
            rows["t"].append(sim.t)
            rows["re"].append(psi.real.astype(np.float32))
            rows["im"].append(psi.imag.astype(np.float32))
            rows["T"].append(sim.transmitted)
            rows["R"].append(sim.reflected)
            rows["inside"].append(inside)
            rows["passed"].append(sim.transmitted + float(np.sum(density[self.beyond:]) * sim.dx))
            rows["x"].append(float(np.sum(sim.x * density) / np.sum(density)) if inside > 1e-12
                             else float("nan"))
            rows["E"].append(energy)
            self.health_sum = max(self.health_sum, abs(sim.transmitted + sim.reflected + inside - 1.0))
            if self.frames == 0:
                self.energy0 = energy
            elif unabsorbed:
                drift = abs(energy - self.energy0) / abs(self.energy0)
                self.energy_drift = drift if self.energy_drift is None else max(self.energy_drift, drift)
            self.frames += 1
            if inside < INSIDE_STOP or self.frames >= self.max_frames:
                self.done = True
                break
        if not rows["t"] and self.error is None:
            return None
        # a run stopped before its first frame still ends with a (frameless) last chunk, so the page
        # stops waiting for frames and shows why
        pts = sim.psi[::DISPLAY_STRIDE].size
        chunk = Chunk(
            run_id=self.run_id,
            start=self.frames - len(rows["t"]),
            t=np.array(rows["t"], dtype=float),
            re=np.array(rows["re"], dtype=np.float32).reshape(-1, pts),
            im=np.array(rows["im"], dtype=np.float32).reshape(-1, pts),
            transmitted=np.array(rows["T"]),
            reflected=np.array(rows["R"]),
            inside=np.array(rows["inside"]),
            passed=np.array(rows["passed"]),
            mean_x=np.array(rows["x"]),
            energy=np.array(rows["E"]),
            done=self.done,
        )
        self.chunks.append(chunk)
        return chunk

    @property
    def transmitted(self) -> float:
        return self.sim.transmitted

    @property
    def reflected(self) -> float:
        return self.sim.reflected


class TunnelingModel(LessonModel):
    """A Gaussian packet meets a barrier: settings, derived curves and the simulation run."""

    shape = param.Selector(default="rectangular", objects=list(potentials.SHAPES),
                           doc="Barrier shape (a key of physics.potentials.SHAPES).")
    height = Setting(default=1.0, bounds=(0.0, 5.0), step=0.05,
                          doc="Barrier height V0 (energy units; hbar = m = 1).")
    width = Setting(default=1.5, bounds=(0.1, 10.0), step=0.05,
                         doc="Barrier width (FWHM for the Gaussian; ramp length for the triangle).")
    position = Setting(default=0.0, bounds=(-20.0, 40.0), step=0.5,
                            doc="Barrier centre (rising edge for the step and the triangle).")
    separation = Setting(default=3.0, bounds=(0.5, 15.0), step=0.1,
                              doc="Gap between the two barriers of the double barrier.")
    energy = Setting(default=1.0, bounds=(0.1, 4.5), step=0.01,
                          doc="Packet carrier energy k0^2 / 2.")
    sigma = Setting(default=5.0, bounds=(1.5, 12.0), step=0.1,
                         doc="Packet position spread (standard deviation of |psi|^2).")
    x0 = Setting(default=-40.0, bounds=(-60.0, -10.0), step=0.5,
                      doc="Packet starting centre.")
    speed = Setting(default=1.0, bounds=(0.25, 4.0), step=0.25,
                         doc="Playback speed in the browser (does not change the physics).")

    query_names = QUERY_NAMES
    run_id = param.Integer(default=0, doc="Increases every time a new run starts.")

    PHYSICS = ("shape", "height", "width", "position", "separation", "energy", "sigma", "x0")

    def __init__(self, **params):
        super().__init__(**params)
        self.x = np.linspace(X_MIN, X_MAX, GRID_POINTS, endpoint=False)
        self.x_display = self.x[::DISPLAY_STRIDE]
        self.run: Run | None = None

    # ---- derived quantities -------------------------------------------------------------
    @property
    def k0(self) -> float:
        return math.sqrt(2.0 * self.energy)

    @property
    def sigma_k(self) -> float:
        return 1.0 / (2.0 * self.sigma)

    @property
    def outside(self) -> tuple[float, float]:
        """Potential beyond the grid's ends: the step continues to the right."""
        return (0.0, self.height) if self.shape == "step" else (0.0, 0.0)

    @param.depends(*PHYSICS)
    def potential(self) -> np.ndarray:
        return potentials.make(self.shape, self.x, self.height, self.width, self.position,
                               self.separation)

    @param.depends("shape", "width", "position", "height")
    def simulated_width(self) -> float:
        """Width the grid really holds (edges snapped to cells), for the rectangular-type shapes."""
        if self.shape in ("rectangular", "double"):
            return potentials.snapped_width(self.x, self.width, self.position)
        if self.shape == "thin":
            return potentials.snapped_width(self.x, max(self.width, self.x[1] - self.x[0]), self.position)
        return self.width

    def mean_energy(self) -> float:
        """<H> of the initial packet in free space: k0^2/2 + 1/(8 sigma^2)."""
        return 0.5 * self.k0 ** 2 + 1.0 / (8.0 * self.sigma ** 2)

    def energy_band(self) -> tuple[float, float]:
        """Energies of k0 -+ sigma_k: where most of the packet's energy distribution lies."""
        lo = max(self.k0 - self.sigma_k, 0.0)
        return 0.5 * lo ** 2, 0.5 * (self.k0 + self.sigma_k) ** 2

    def energy_axis_max(self) -> float:
        return float(max(1.6 * self.height, self.energy_band()[1] * 1.6, 1.0))

    def exact_curve(self, n: int = 600) -> tuple[np.ndarray, np.ndarray]:
        """(E, T(E)) of the simulated potential by transfer matrix, 0 < E <= energy_axis_max."""
        E = np.linspace(1e-4, self.energy_axis_max(), n)
        return E, scattering.transmission(self.x, self.potential(), E, outside=self.outside)

    def momentum_distribution(self, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
        """(k, |phi(k)|^2) of the initial packet: a Gaussian of mean k0 and spread 1/(2 sigma)."""
        sk = self.sigma_k
        k = np.linspace(self.k0 - 5 * sk, self.k0 + 5 * sk, n)
        return k, np.exp(-0.5 * ((k - self.k0) / sk) ** 2) / (math.sqrt(2 * math.pi) * sk)

    def predicted_transmission(self) -> float:
        """T the packet should show: exact T(E) averaged over |phi(k)|^2 (physics.scattering)."""
        return scattering.packet_transmission(self.x, self.potential(), self.x0, self.sigma, self.k0,
                                              outside=self.outside)

    def overlap_warning(self) -> str | None:
        """A note when the packet starts on the barrier, where the prediction does not apply."""
        V = self.potential()
        psi = wavepacket.gaussian(self.x, self.x0, self.sigma, self.k0)
        on_barrier = float(np.sum(np.abs(psi) ** 2 * (V != 0)) * (self.x[1] - self.x[0]))
        if on_barrier > 1e-3:
            return self.tr._("The packet starts with {share} of its probability on the barrier: move "
                             "it left (x0) or the barrier right, or the prediction will not match."
                             ).format(share=self.tr.num(on_barrier, ".1%"))
        return None

    def barrier_end_index(self) -> int:
        """First grid index past the barrier: what lies right of it has got through.

        The rising edge for the step (the step itself is the far side), the last non-zero cell
        otherwise; the barrier's position when its height is zero.
        """
        V = self.potential()
        nonzero = np.flatnonzero(V)
        if nonzero.size == 0:
            return int(np.searchsorted(self.x, self.position))
        return int(nonzero[0]) if self.shape == "step" else int(nonzero[-1]) + 1

    # ---- the simulation ----------------------------------------------------------------
    def frame_interval(self) -> int:
        """Solver steps between frames: the packet crosses the box in ~FRAMES_PER_CROSSING frames."""
        crossing_time = (X_MAX - ABSORBER - self.x0) / self.k0
        return max(1, int(round(crossing_time / FRAMES_PER_CROSSING / DT)))

    def new_run(self) -> Run:
        """Start a fresh simulation from the current settings (the previous run is dropped)."""
        psi0 = wavepacket.gaussian(self.x, self.x0, self.sigma, self.k0)
        sim = wavepacket.Simulation(self.x, self.potential(), psi0, DT, absorber_width=ABSORBER)
        self.run_id += 1
        self.run = Run(run_id=self.run_id, sim=sim, steps_per_frame=self.frame_interval(),
                       beyond=self.barrier_end_index())
        return self.run

    def run_to_end(self, chunk: int = 64) -> Run:
        """Compute a whole run at once (for tests, notebooks and benchmarks)."""
        run = self.new_run()
        while run.next_chunk(chunk) is not None:
            pass
        return run
