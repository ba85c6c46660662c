"""State of the Bound-states lesson: the well, its levels, a superposition, measurements and a PINN.

:class:`BoundStatesModel` owns the settings (``param`` parameters with bounds, mirrored in the URL)
and everything derived from them: the potential on the lesson's grid, its lowest
:data:`N_BASIS` eigenstates (:func:`physics.eigen.bound_states`), the current superposition (as
coefficients in that basis: the browser evaluates psi(x, t) = sum c_n exp(-i E_n t) psi_n(x) per
frame, so animating costs the server nothing), the outcomes of energy and position measurements,
and a :class:`physics.pinn.PINN` being trained.  No Panel import: the model runs and is tested with
no UI at all; ``view.py`` only renders it.

Units: hbar = m = 1, H = -(1/2) d^2/dx^2 + V(x); x in [-6, 6] with hard walls at both ends.
"""
from __future__ import annotations

import functools
import math
import time

import numpy as np
import param

from physics import eigen, potentials
from physics.pinn import PINN
from lessons.common.i18n import N_
from lessons.common.model import LessonModel
from lessons.common.urlstate import IntSetting, Setting

__all__ = ["BoundStatesModel", "QUERY_NAMES", "N_BASIS", "N_COEFFS", "SHAPE_PRESETS", "SHAPE_NAMES", "X_MIN", "X_MAX"]

#: The grid: 961 points on [-6, 6] (dx = 0.0125; 960 intervals divide by 4, so the eigensolver's
#: Richardson extrapolation applies and well edges fall on multiples of 0.05).
X_MIN, X_MAX, GRID_POINTS = -6.0, 6.0, 961
#: Eigenstates kept: enough to expand a position-collapsed state (resolution below).
N_BASIS = 40
#: States whose coefficients the student sets with sliders.
N_COEFFS = 6
#: A position measurement leaves a Gaussian of this standard deviation (the detector's resolution).
POSITION_RESOLUTION = 0.2
#: Ensemble measurements ("measure 100 copies") draw this many outcomes.
ENSEMBLE = 100
#: The PINN trains between the outermost points where V first drops below this many times the
#: target energy (at least PINN_WALL_MIN): out there psi is below ~1e-6 and a network that had to
#: span the whole box would spend its effort on nothing.
PINN_WALL_FACTOR, PINN_WALL_MIN = 4.0, 30.0

SHAPE_PARAMS = ("width", "depth", "height", "barrier_width", "omega", "separation", "right", "field",
                "range", "count", "spacing")

#: Each shape opens at settings that show it well (PhET does the same when the well changes).
SHAPE_PRESETS = {
    "infinite": {"width": 4.0},
    "finite": {"width": 3.0, "depth": 10.0},
    "box_barrier": {"width": 4.0, "height": 10.0, "barrier_width": 0.5},
    "harmonic": {"omega": 1.0},
    "double": {"separation": 3.0, "height": 5.0},
    "asymmetric": {"width": 3.0, "depth": 15.0, "right": 5.0},
    "triangular": {"field": 1.5},
    "morse": {"depth": 10.0, "range": 1.0},
    "poschl_teller": {"depth": 10.0, "range": 1.0},
    "array": {"count": 4, "width": 1.0, "depth": 10.0, "spacing": 1.6},
}

#: The wells' names in the picker: English msgids (``N_``), the labels of physics.potentials.WELLS
#: (tests/lessons/test_bound_states_i18n.py keeps the two in step); the view shows them translated.
SHAPE_NAMES = {
    "infinite": N_("Infinite square well"), "finite": N_("Finite square well"),
    "box_barrier": N_("Barrier inside a box"), "harmonic": N_("Harmonic oscillator"),
    "double": N_("Double well (tunnelling splitting)"), "asymmetric": N_("Asymmetric well"),
    "triangular": N_("Triangular well (uniform field)"), "morse": N_("Morse (molecular bond)"),
    "poschl_teller": N_("Pöschl–Teller"), "array": N_("Array of wells (bands)"),
}

#: Slider labels where one parameter means different things in different wells (English msgids:
#: the view shows them translated).
LABELS = {
    "width": N_("Well width"), "depth": N_("Depth (height of the walls)"), "height": N_("Barrier height"),
    "barrier_width": N_("Barrier width"), "omega": N_("Frequency ω"), "separation": N_("Separation of the minima"),
    "right": N_("Right wall height"), "field": N_("Field (slope) F"), "range": N_("Range a (steepness)"),
    "count": N_("Number of wells"), "spacing": N_("Well spacing (centre to centre)"),
}
SHAPE_LABELS = {("asymmetric", "depth"): N_("Left wall height"), ("array", "width"): N_("Width of each well"),
                ("double", "height"): N_("Barrier height between the wells"),
                ("morse", "depth"): N_("Dissociation energy D"), ("poschl_teller", "depth"): N_("Depth (rim height)")}

PINN_DEMOS = {
    "normal": N_("Normal training"),
    "no_norm": N_("Drop the normalisation term (scale ambiguity)"),
    "no_warmup": N_("Residual only, no variational start (wrong state)"),
    "high_start": N_("Start E near a higher level (wrong state)"),
    "no_edges": N_("Smooth network only (trouble at the well's edges)"),
}

_COEFF_NAMES = tuple(f"a{n}" for n in range(N_COEFFS)) + tuple(f"p{n}" for n in range(N_COEFFS))

#: URL query name -> parameter name.
QUERY_NAMES = {name: name for name in (
    ("shape",) + SHAPE_PARAMS + ("levels", "mode", "show_re", "show_im", "show_density") + _COEFF_NAMES
    + ("speed", "predict", "guess", "pinn_width", "pinn_lr", "pinn_state", "pinn_demo"))}


def _amplitude(n: int, default: float) -> Setting:
    return Setting(default=default, bounds=(0.0, 1.0), step=0.05,
                   doc=f"Magnitude of the coefficient of state {n + 1} (normalised with the others).")


def _phase(n: int) -> Setting:
    return Setting(default=0.0, bounds=(-180.0, 180.0), step=5.0,
                   doc=f"Phase of the coefficient of state {n + 1}, in degrees.")


_AMPLITUDES = tuple(_amplitude(n, 1.0 if n < 2 else 0.0) for n in range(N_COEFFS))
_PHASES = tuple(_phase(n) for n in range(N_COEFFS))


#: Wells whose levels are kept (each ~0.3 MB): a class exploring a slider comes back to the same
#: settings, and a link gives a whole class the same well.
WELL_CACHE = 32


@functools.lru_cache(maxsize=WELL_CACHE)
def _well_levels(key: tuple) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """(V, (E, psi)) of the well ``key`` (:meth:`BoundStatesModel.well_key`) on the lesson's grid.

    A pure function of ``key``, shared by the sessions of a server process; the arrays are
    read-only, so no session can change what another one reads.
    """
    shape, values = key[0], dict(zip(potentials.WELLS[key[0]].params, key[1:]))
    x = np.linspace(X_MIN, X_MAX, GRID_POINTS)
    V = potentials.make_well(shape, x, **values)
    E, psi = eigen.bound_states(x, V, N_BASIS)
    for array in (V, E, psi):
        array.flags.writeable = False
    return V, (E, psi)


class BoundStatesModel(LessonModel):
    """A particle in a well: levels and eigenstates, a superposition, measurement, a learning PINN."""

    # the docs of the parameters whose widgets show help (Panel's description: selects and button
    # groups, not sliders) are English msgids (N_): the view passes them on translated
    shape = param.Selector(default="finite", objects=list(potentials.WELLS),
                           doc=N_("Well shape (a key of physics.potentials.WELLS)."))
    width = Setting(default=3.0, bounds=(0.5, 8.0), step=0.1, doc="Well width.")
    depth = Setting(default=10.0, bounds=(1.0, 50.0), step=0.5, doc="Depth of the well (energy).")
    height = Setting(default=10.0, bounds=(0.0, 40.0), step=0.5, doc="Height of the inner barrier.")
    barrier_width = Setting(default=0.5, bounds=(0.1, 3.0), step=0.1, doc="Width of the inner barrier.")
    omega = Setting(default=1.0, bounds=(0.2, 4.0), step=0.05, doc="Oscillator angular frequency.")
    separation = Setting(default=3.0, bounds=(1.0, 6.0), step=0.1, doc="Distance between the minima.")
    right = Setting(default=5.0, bounds=(1.0, 50.0), step=0.5, doc="Right wall of the asymmetric well.")
    field = Setting(default=1.5, bounds=(0.2, 6.0), step=0.1, doc="Slope of the triangular well.")
    range = Setting(default=1.0, bounds=(0.3, 3.0), step=0.05, doc="Steepness a of Morse / Pöschl–Teller.")
    count = IntSetting(default=4, bounds=(1, 8), doc="Number of wells in the array.")
    spacing = Setting(default=1.6, bounds=(0.5, 4.0), step=0.1, doc="Centre-to-centre well spacing.")

    levels = IntSetting(default=6, bounds=(1, 12), doc="How many levels and eigenstates to draw.")
    mode = param.Selector(default="superposition", objects=["superposition", "eigenstates"],
                          doc=N_("Animate the superposition, or draw each eigenstate on its level."))
    show_re = param.Boolean(default=True, doc="Draw Re psi.")
    show_im = param.Boolean(default=False, doc="Draw Im psi.")
    show_density = param.Boolean(default=True, doc="Draw |psi|^2.")

    a0, a1, a2, a3, a4, a5 = _AMPLITUDES
    p0, p1, p2, p3, p4, p5 = _PHASES
    speed = Setting(default=1.0, bounds=(0.1, 4.0), step=0.1, doc="Playback speed (time units per second).")

    predict = param.Boolean(default=False, doc="Hide the exact levels until the student has guessed.")
    guess = Setting(default=1.0, bounds=(0.0, 60.0), step=0.05, doc="The student's guess for E1.")
    revealed = param.Boolean(default=False, doc="The student has pressed Reveal (not in the URL).")

    pinn_width = IntSetting(default=32, bounds=(4, 64), doc="Neurons in each of the two hidden layers.")
    pinn_lr = Setting(default=1e-3, bounds=(1e-4, 3e-2), doc="Adam learning rate (after the warm-up).")
    pinn_state = IntSetting(default=0, bounds=(0, 2), doc=N_("Which state the PINN learns (0 = ground)."))
    pinn_demo = param.Selector(default="normal", objects=list(PINN_DEMOS), doc=N_("What the PINN shows."))

    query_names = QUERY_NAMES
    state_id = param.Integer(default=0, doc="Increases whenever the superposition changes.")
    outcomes = param.Integer(default=0, doc="Increases whenever a measurement is recorded.")

    def __init__(self, seed: int | None = None, **params):
        super().__init__(**params)
        self.x = np.linspace(X_MIN, X_MAX, GRID_POINTS)
        self.dx = float(self.x[1] - self.x[0])
        self._cache_key = None
        self._spectrum: tuple[np.ndarray, np.ndarray] | None = None
        self._V: np.ndarray | None = None
        self.rng = np.random.default_rng(seed)
        self.coefficients = np.zeros(N_BASIS, complex)   # current state at time t_ref
        self.t_ref = 0.0
        self.collapsed: str | None = None                 # what the last measurement found, if any
        self.energy_outcomes: list[int] = []
        self.position_outcomes: list[float] = []
        self.pinn: PINN | None = None
        self.pinn_seconds = 0.0
        self.prepare()

    # ---- URL ---------------------------------------------------------------------------
    @classmethod
    def link_values(cls, values: dict, notices: list[str], tr=None) -> dict:
        """A link that names a shape opens it like the picker does: its preset, then the link's values."""
        return {**SHAPE_PRESETS.get(values.get("shape", cls.shape), {}), **values}

    # ---- the well and its levels -------------------------------------------------------
    def shape_params(self, shape: str | None = None) -> tuple[str, ...]:
        return potentials.WELLS[shape or self.shape].params

    def label(self, name: str) -> str:
        return SHAPE_LABELS.get((self.shape, name), LABELS.get(name, name))

    @param.depends("shape", watch=True)
    def _apply_preset(self):
        self.param.update(**SHAPE_PRESETS.get(self.shape, {}))

    def well_key(self) -> tuple:
        """Identifies the current well: equal keys, equal levels."""
        return (self.shape,) + tuple(getattr(self, p) for p in self.shape_params())

    def _refresh(self) -> None:
        key = self.well_key()
        if key != self._cache_key:
            self._V, self._spectrum = _well_levels(key)
            self._cache_key = key

    def potential(self) -> np.ndarray:
        """V on the grid (+inf on hard walls)."""
        self._refresh()
        return self._V

    def spectrum(self) -> tuple[np.ndarray, np.ndarray]:
        """(E, psi): the N_BASIS lowest energies and normalised real eigenstates on the grid (fewer
        when the well's interior holds fewer grid points)."""
        self._refresh()
        return self._spectrum

    @property
    def energies(self) -> np.ndarray:
        return self.spectrum()[0]

    @property
    def states(self) -> np.ndarray:
        return self.spectrum()[1]

    def rim(self) -> float:
        """Energy above which a level is a state of the surrounding box rather than of the well."""
        V = self.potential()
        return float(min(V[0], V[-1]))        # +inf when hard walls enclose the well

    def energy_axis_max(self) -> float:
        """Top of the energy axis: a little above the highest level drawn."""
        E = self.energies
        top = E[min(self.levels, E.size) - 1]
        return float(top + max(0.35 * (top - E[0]), 0.25 * top, 0.5))

    # ---- superposition -------------------------------------------------------------------
    def prepared_coefficients(self) -> np.ndarray:
        """Coefficients from the sliders: a_n exp(i p_n), normalised; state 1 alone if all are 0."""
        a = np.array([getattr(self, f"a{n}") for n in range(N_COEFFS)])
        p = np.radians([getattr(self, f"p{n}") for n in range(N_COEFFS)])
        # a narrow well on the grid can hold fewer than N_BASIS states (an infinite well 0.5 wide: 39)
        c = np.zeros(self.energies.size, complex)
        n = min(N_COEFFS, c.size)
        c[:n] = (a * np.exp(1j * p))[:n]
        norm = np.linalg.norm(c)
        if norm == 0:
            c[0] = 1.0
            return c
        return c / norm

    @param.depends(*SHAPE_PARAMS, "shape", *_COEFF_NAMES, watch=True)
    def prepare(self) -> None:
        """(Re)prepare the state the sliders describe, at t = 0, and forget old measurements."""
        self.coefficients = self.prepared_coefficients()
        self.t_ref = 0.0
        self.collapsed = None
        self._forget_outcomes()
        self.state_id += 1

    def coefficients_at(self, t: float) -> np.ndarray:
        return eigen.evolve(self.coefficients, self.energies, t - self.t_ref)

    def psi_at(self, t: float) -> np.ndarray:
        """psi(x, t) on the grid."""
        return self.coefficients_at(t) @ self.states

    def mean_energy(self) -> float:
        """<H> = sum |c_n|^2 E_n (constant in time)."""
        return float(np.sum(np.abs(self.coefficients) ** 2 * self.energies))

    def energy_spread(self) -> float:
        w = np.abs(self.coefficients) ** 2
        mean = np.sum(w * self.energies)
        return float(np.sqrt(max(np.sum(w * self.energies**2) - mean**2, 0.0)))

    def mean_x(self, t: float) -> float:
        c = self.coefficients_at(t)
        return float(np.real(c.conj() @ eigen.position_matrix(self.x, self.states) @ c))

    def bohr_period(self) -> float | None:
        """Period of the slowest beat between occupied levels (None for a stationary state)."""
        occupied = np.flatnonzero(np.abs(self.coefficients) ** 2 > 1e-6)
        if occupied.size < 2:
            return None
        E = self.energies[occupied]
        gaps = np.abs(E[:, None] - E[None, :])[np.triu_indices(E.size, 1)]
        gaps = gaps[gaps > 1e-9]
        return float(2 * np.pi / gaps.min()) if gaps.size else None

    # ---- measurement -------------------------------------------------------------------
    def _time(self, t) -> float:
        t = float(t)
        if not math.isfinite(t) or t < 0:
            raise ValueError("measurement time must be a finite, non-negative number")
        return t

    def _forget_outcomes(self) -> None:
        """A collapse starts a new state: the histograms start again from its first outcome."""
        self.energy_outcomes = []
        self.position_outcomes = []

    def measure_energy(self, t: float) -> int:
        """Measure H at time t: returns the level index found and collapses onto that eigenstate."""
        t = self._time(t)
        n = int(eigen.measure_energy(self.coefficients_at(t), self.rng))
        self._forget_outcomes()
        self.energy_outcomes.append(n)
        self.coefficients = np.zeros(self.energies.size, complex)
        self.coefficients[n] = 1.0
        self.t_ref = t
        self.collapsed = self.tr._("Energy measured: E{n} = {E}. The state is now that eigenstate.").format(
            n=n + 1, E=self.tr.num(self.energies[n], ".4g"))
        self.state_id += 1
        self.outcomes += 1
        return n

    def measure_position(self, t: float) -> float:
        """Measure x at time t: returns the position found; the state collapses to a narrow packet there."""
        t = self._time(t)
        found = float(eigen.measure_position(self.x, self.psi_at(t), self.rng))
        self._forget_outcomes()
        self.position_outcomes.append(found)
        self.coefficients = eigen.collapse_position(self.x, self.states, found, POSITION_RESOLUTION).astype(complex)
        self.t_ref = t
        self.collapsed = self.tr._("Position measured: x = {x}. The state is now a narrow packet there "
                                   "(detector resolution {resolution}); watch it spread.").format(
            x=self.tr.num(found, ".2f"), resolution=self.tr.num(POSITION_RESOLUTION, "g"))
        self.state_id += 1
        self.outcomes += 1
        return found

    def measure_ensemble(self, what: str, t: float, shots: int = ENSEMBLE) -> np.ndarray:
        """Measure ``shots`` identical copies of the current state at time t (no collapse of this one)."""
        t = self._time(t)
        if what == "energy":
            out = eigen.measure_energy(self.coefficients_at(t), self.rng, shots)
            self.energy_outcomes.extend(int(n) for n in out)
        elif what == "position":
            out = eigen.measure_position(self.x, self.psi_at(t), self.rng, shots)
            self.position_outcomes.extend(float(v) for v in out)
        else:
            raise ValueError(f"cannot measure {what!r}: choose 'energy' or 'position'")
        self.outcomes += 1
        return out

    def energy_histogram(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(level index, observed fraction, predicted |c_n|^2) over the levels seen or expected."""
        w = np.abs(self.coefficients) ** 2
        top = max([self.levels] + [n + 1 for n in self.energy_outcomes] + [int(np.flatnonzero(w > 1e-3).max()) + 1])
        top = min(top, w.size)
        counts = np.bincount(np.array(self.energy_outcomes, dtype=int), minlength=top)[:top]
        total = max(len(self.energy_outcomes), 1)
        return np.arange(top), counts / total, w[:top]

    def position_histogram(self, t: float, bins: int = 48) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(bin edges, observed density, |psi(x, t)|^2) for the position outcomes."""
        edges = np.linspace(X_MIN, X_MAX, bins + 1)
        counts, _ = np.histogram(self.position_outcomes, bins=edges)
        total = max(len(self.position_outcomes), 1)
        return edges, counts / total / (edges[1] - edges[0]), np.abs(self.psi_at(t)) ** 2

    # ---- predict, then reveal -------------------------------------------------------------
    @property
    def levels_visible(self) -> bool:
        return (not self.predict) or self.revealed

    @param.depends("predict", *SHAPE_PARAMS, "shape", watch=True)
    def _hide_again(self):
        self.revealed = False

    def reveal(self) -> str:
        """Show the levels and say how close the guess for E1 was (in the model's language)."""
        self.revealed = True
        E1 = float(self.energies[0])
        return self.tr._("Your guess E₁ = {guess}; exact E₁ = {exact} ({off} off).").format(
            guess=self.tr.num(self.guess, ".3g"), exact=self.tr.num(E1, ".4g"),
            off=self.tr.num(abs(self.guess - E1) / E1, ".0%"))

    # ---- the PINN ------------------------------------------------------------------------
    def pinn_target(self) -> tuple[float, np.ndarray]:
        """Exact energy and eigenstate the PINN is learning."""
        E, psi = self.spectrum()
        return float(E[self.pinn_state]), psi[self.pinn_state]

    @param.depends(*SHAPE_PARAMS, "shape", "pinn_width", "pinn_state", "pinn_demo", watch=True)
    def pinn_reset(self) -> None:
        """Forget the network: the next training step starts a fresh one from the current settings."""
        self.pinn = None
        self.pinn_seconds = 0.0

    def _new_pinn(self) -> PINN:
        E, psi = self.spectrum()
        kw = dict(hidden=(self.pinn_width, self.pinn_width), seed=0, state=self.pinn_state, lr=self.pinn_lr)
        if self.pinn_state:
            # The exact lower states, so an excited state trains at once (physics.pinn would otherwise
            # train its own lower states first, which takes a while).
            kw["lower"] = [psi[j] for j in range(self.pinn_state)]
        if self.pinn_demo == "no_norm":
            kw["norm_weight"] = 0.0
        elif self.pinn_demo == "no_warmup":
            kw["warmup"] = 0
        elif self.pinn_demo == "high_start":
            kw["energy_init"] = float(E[self.pinn_state + 1])
        elif self.pinn_demo == "no_edges":
            kw["edges"] = False
        return PINN(self.x, self.pinn_potential(), **kw)

    def pinn_potential(self) -> np.ndarray:
        """V for the PINN: as V, with hard walls where V first climbs past the cut-off from outside.

        Only the outer flanks are cut (an inner barrier, however high, stays as it is).
        """
        V = self.potential().copy()
        cut = max(PINN_WALL_MIN, PINN_WALL_FACTOR * float(self.energies[self.pinn_state]))
        low = np.flatnonzero(V < cut)
        if low.size:
            V[: max(low[0] - 1, 0)] = np.inf
            V[low[-1] + 2:] = np.inf
        return V

    def pinn_train(self, steps: int) -> PINN:
        """Train the network ``steps`` more Adam steps (creating it if needed)."""
        if self.pinn is None:
            self.pinn = self._new_pinn()
        self.pinn.lr = self.pinn_lr
        start = time.perf_counter()
        self.pinn.train(int(steps))
        self.pinn_seconds += time.perf_counter() - start
        return self.pinn

    def pinn_curves(self) -> dict:
        """What the PINN panel draws: psi_net and exact psi (same sign), their difference, E so far."""
        E_exact, psi_exact = self.pinn_target()
        out = {"x": self.x, "exact": psi_exact, "E_exact": E_exact}
        if self.pinn is None:
            return out
        psi = self.pinn.psi(self.x)
        if np.sum(psi * psi_exact) < 0:       # an eigenstate's sign is arbitrary
            psi = -psi
        out.update(psi=psi, error=psi - psi_exact, history=self.pinn.history, energy=self.pinn.energy,
                   steps=self.pinn.steps, seconds=self.pinn_seconds, phase=self.pinn.phase,
                   warmup=self.pinn.warmup, norm=self.pinn.norm(),
                   relative_error=abs(self.pinn.energy - E_exact) / abs(E_exact))
        return out
