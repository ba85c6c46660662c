"""State of the Spin-chain quantum-battery lesson: a Heisenberg chain in equilibrium as a battery.

:class:`SpinBatteryModel` owns the settings (``param`` parameters with bounds, mirrored in the URL)
and everything derived from them with :mod:`physics.battery`: the Gibbs state of the chain at
temperature T and its figures of merit against the battery Hamiltonian H_B = sum_i B_i sz_i
(ergotropy, capacity, stored energy, coherence, concurrence), the populations of rho and of its
passive state on H_B's energy ladder, 2-D maps and 1-D curves over the couplings and the
temperature, and a charging run.  No Panel import: it runs and is tested with no UI at all;
``view.py`` only renders it.

Units and conventions: those of :mod:`physics.spinchain` (Pauli matrices, k_B = hbar = 1; J > 0 is
antiferromagnetic).
"""
from __future__ import annotations

import numpy as np
import param

from physics import battery, spinchain
from lessons.common.i18n import N_, translator
from lessons.common.model import LessonModel
from lessons.common.urlstate import IntSetting, Setting

__all__ = ["SpinBatteryModel", "QUERY_NAMES", "PRESETS", "MAP_AXES", "CURVE_AXES", "QUANTITY_LABELS",
           "CHARGERS", "CHARGER_HAMILTONIANS", "AXIS_LABELS"]

#: Coupling presets (Jx, Jy, Jz); J > 0 antiferromagnetic, J < 0 ferromagnetic.
PRESETS = {
    "xxx_afm": (N_("XXX antiferromagnet (J = 1, 1, 1)"), (1.0, 1.0, 1.0)),
    "xxx_fm": (N_("XXX ferromagnet (J = −1, −1, −1)"), (-1.0, -1.0, -1.0)),
    "xxz_afm": (N_("XXZ antiferromagnet (1, 1, 0.5)"), (1.0, 1.0, 0.5)),
    "xxz_fm": (N_("XXZ ferromagnet (−1, −1, −0.5)"), (-1.0, -1.0, -0.5)),
    "xyz_afm": (N_("XYZ antiferromagnet (1, 0.6, 0.3)"), (1.0, 0.6, 0.3)),
    "xyz_fm": (N_("XYZ ferromagnet (−1, −0.6, −0.3)"), (-1.0, -0.6, -0.3)),
    "ising_afm": (N_("Ising antiferromagnet (0, 0, 1)"), (0.0, 0.0, 1.0)),
    "custom": (N_("Custom (move the J sliders)"), None),
}

#: Map axes: (x parameter, y parameter).
MAP_AXES = {"D_T": ("D", "T"), "K_T": ("K", "T"), "B_T": ("B", "T"), "B_b": ("B", "b"), "D_K": ("D", "K"),
            "Jz_T": ("Jz", "T")}
CURVE_AXES = ("T", "D", "K", "B", "b", "Jz")
AXIS_LABELS = {"T": N_("temperature T"), "D": N_("DM coupling D"), "K": N_("KSEA coupling K"), "B": N_("field B"),
               "b": N_("inhomogeneity b"), "Jz": "Jz"}
QUANTITY_LABELS = {"ergotropy": N_("ergotropy W"), "capacity": N_("capacity C"), "efficiency": N_("W / C (usable fraction)"),
                   "stored": N_("stored energy E"),
                   "coherence": N_("l1 coherence"), "concurrence": N_("concurrence (sites 1, 2)")}
CHARGERS = {
    "drive": N_("Resonant drive of each spin"),
    "field": N_("Transverse field on the coupled chain"),
    "chain": N_("The couplings alone (quench)"),
}
#: What each charger's Hamiltonian is (shown under the picker).
CHARGER_HAMILTONIANS = {
    "drive": N_("H_charge = Ω Σ σx_i in the frame rotating with each spin's precession: the spins flip "
                "independently, fully at t = π/(2Ω)."),
    "field": N_("H_charge = H + Ω Σ σx_i: a static transverse field switched on while the couplings and "
                "the Zeeman fields stay on."),
    "chain": N_("H_charge = H: the couplings are switched on. From the empty battery at T = 0 with every "
                "field B_i of one sign, only the terms that do not conserve Σσz (Jx ≠ Jy, K) can charge; "
                "with fields of both signs or a warm start the exchange terms move energy in too."),
}

#: Map resolution per axis: both axes need a diagonalisation per point, unless one is T (then
#: one per column, the temperatures reuse it).  Chosen so a map takes well under a second.
MAP_POINTS = {2: 100, 3: 100, 4: 100, 5: 60, 6: 36, 7: 20, 8: 12}
MAP_POINTS_T = {2: 100, 3: 100, 4: 100, 5: 100, 6: 100, 7: 60, 8: 30}
CURVE_POINTS = {2: 240, 3: 240, 4: 240, 5: 200, 6: 160, 7: 80, 8: 40}
#: Above this many sites maps and non-T curves would take tens of seconds: not computed.
MAX_MAP_SITES = 8
#: The coherence curve needs rho at every point (d^3 each): drawn up to this many sites.
MAX_COHERENCE_CURVE_SITES = 6
#: Charging from a mixed state evolves a d x d matrix (d^3 per time): up to this many sites.
MAX_MIXED_CHARGE_SITES = 7
CHARGE_TIMES = 241
#: The heat map shows rho for up to this many sites, else the reduced state of the first ones.
HEATMAP_SITES = 6

QUERY_NAMES = {"preset": "preset", "Jx": "Jx", "Jy": "Jy", "Jz": "Jz", "D": "D", "K": "K", "B": "B", "b": "b",
               "field": "profile", "T": "T", "N": "n_sites", "map": "map_axes", "map_q": "map_quantity",
               "curve": "curve_axis", "charger": "charger", "omega": "omega", "tmax": "t_max"}


class SpinBatteryModel(LessonModel):
    """A Heisenberg XYZ chain with DM/KSEA couplings in a Zeeman field, at temperature T, as a battery."""

    preset = param.Selector(default="xxx_afm", objects=list(PRESETS), doc=N_("Coupling preset (sets Jx, Jy, Jz)."))
    Jx = Setting(default=1.0, bounds=(-2.0, 2.0), step=0.05, doc=N_("Exchange coupling Jx (J > 0: antiferromagnetic)."))
    Jy = Setting(default=1.0, bounds=(-2.0, 2.0), step=0.05, doc=N_("Exchange coupling Jy."))
    Jz = Setting(default=1.0, bounds=(-2.0, 2.0), step=0.05, doc=N_("Exchange coupling Jz."))
    D = Setting(default=0.5, bounds=(0.0, 4.0), step=0.05, doc=N_("Dzyaloshinsky–Moriya coupling (z component)."))
    K = Setting(default=0.2, bounds=(0.0, 4.0), step=0.05, doc=N_("KSEA coupling."))
    B = Setting(default=1.0, bounds=(0.0, 4.0), step=0.05, doc=N_("Uniform Zeeman field B."))
    b = Setting(default=0.3, bounds=(-2.0, 2.0), step=0.05, doc=N_("Field inhomogeneity b (sites get B ± b)."))
    profile = param.Selector(default="alternating", objects=list(battery.FIELD_PROFILES),
                             doc=N_("How b spreads over more than two sites: B + b, B − b, ... or a gradient."))
    T = Setting(default=0.5, bounds=(0.0, 5.0), step=0.02, doc=N_("Temperature (k_B = 1)."))
    n_sites = IntSetting(default=2, bounds=(2, 10), doc=N_("Number of spins in the open chain."))

    map_axes = param.Selector(default="D_T", objects=list(MAP_AXES), doc=N_("Axes of the 2-D map."))
    map_quantity = param.Selector(default="ergotropy", objects=list(QUANTITY_LABELS), doc=N_("What the map shows."))
    curve_axis = param.Selector(default="T", objects=list(CURVE_AXES), doc=N_("Horizontal axis of the curves."))
    charger = param.Selector(default="drive", objects=list(CHARGERS), doc=N_("What charges the battery."))
    omega = Setting(default=1.0, bounds=(0.1, 3.0), step=0.05, doc=N_("Strength Ω of the transverse drive."))
    t_max = Setting(default=6.0, bounds=(1.0, 30.0), step=0.5, doc=N_("Length of the charging run."))

    query_names = QUERY_NAMES

    #: a preset names the couplings (Jx, Jy, Jz); "custom" names none
    presets = ("preset", {key: None if J is None else dict(zip(("Jx", "Jy", "Jz"), J))
                          for key, (_, J) in PRESETS.items()})

    def __init__(self, **params):
        super().__init__(**params)
        self._spectra_key = None
        self._spectra = None
        self._state_key = None
        self._state = None

    # ---- URL -----------------------------------------------------------------------------
    @classmethod
    def link_values(cls, values: dict, notices: list[str], tr=None) -> dict:
        """A link that names a preset opens its couplings, with any J the link also gives on top (the
        preset then reads "custom" if they differ, :meth:`linked`)."""
        if values.get("n_sites", cls.n_sites) != 2 and values.get("map_quantity") == "concurrence":
            values["map_quantity"] = "ergotropy"
            tr = tr or translator()
            notices.append(tr._("'map_q=concurrence' is mapped for two spins only: showing the ergotropy."))
        return values

    # ---- the chain -----------------------------------------------------------------------
    def fields(self, B: float | None = None, b: float | None = None) -> np.ndarray:
        """The Zeeman field on each site, B_i = B + b g_i (see physics.battery.site_fields)."""
        return battery.site_fields(self.n_sites, self.B if B is None else B, self.b if b is None else b,
                                   self.profile)

    def couplings(self) -> dict:
        return dict(Jx=self.Jx, Jy=self.Jy, Jz=self.Jz, D=self.D, K=self.K)

    def chain_key(self) -> tuple:
        """Identifies the Hamiltonian (everything but T)."""
        return (self.n_sites, self.Jx, self.Jy, self.Jz, self.D, self.K, self.B, self.b, self.profile)

    def spectra(self) -> list:
        """The chain's eigen-decomposition per parity sector (cached: T does not change it)."""
        key = self.chain_key()
        if key != self._spectra_key:
            self._spectra = battery.chain_spectra(self.n_sites, self.Jx, self.Jy, self.Jz, self.D, self.K,
                                                  self.fields())
            self._spectra_key = key
        return self._spectra

    def state(self) -> battery.BatteryState:
        """The Gibbs state at the current settings and all its figures of merit."""
        key = self.chain_key() + (self.T,)
        if key != self._state_key:
            self._state = battery.battery_state(self.n_sites, self.Jx, self.Jy, self.Jz, self.D, self.K,
                                                self.fields(), self.T, spectra=self.spectra())
            self._state_key = key
        return self._state

    def readouts(self) -> dict[str, float]:
        """The numbers the lesson shows (energies in the units of J and B)."""
        s = self.state()
        return {"ergotropy": s.ergotropy, "capacity": s.capacity, "stored": s.stored,
                "incoherent": s.incoherent, "coherent": s.coherent, "coherence": s.coherence,
                "concurrence": s.concurrence, "max_energy": float(s.h.max() - s.h.min()),
                "efficiency": s.ergotropy / s.capacity if s.capacity > 1e-12 else 0.0}

    def ladder(self) -> dict[str, np.ndarray]:
        """Populations on H_B's distinct energy levels: of rho (diag rho) and of its passive state.

        The passive state puts rho's eigenvalues, largest first, on the levels from the bottom up;
        degenerate basis states are summed into one level.  Also returns each level's degeneracy.
        """
        s = self.state()
        order = np.argsort(s.h, kind="stable")
        passive = np.empty_like(s.spectrum)
        passive[order] = s.spectrum                  # largest eigenvalue on the lowest energy
        levels, inverse, degeneracy = np.unique(np.round(s.h, 9), return_inverse=True, return_counts=True)
        rho_pop = np.bincount(inverse, weights=s.populations, minlength=levels.size)
        passive_pop = np.bincount(inverse, weights=passive, minlength=levels.size)
        return {"energy": levels, "rho": rho_pop, "passive": passive_pop, "degeneracy": degeneracy,
                "mean_rho": float(s.populations @ s.h), "mean_passive": float(passive @ s.h)}

    def heatmap(self) -> dict:
        """|rho_bc| (reduced to the first HEATMAP_SITES sites for longer chains) and ket labels."""
        s = self.state()
        keep = min(self.n_sites, HEATMAP_SITES)
        rho = s.rho if keep == self.n_sites else battery.reduced_state(s.rho, self.n_sites, keep)
        labels = ["".join("↑" if bit == "0" else "↓" for bit in format(i, f"0{keep}b")) for i in range(2**keep)]
        return {"rho": rho, "sites": keep, "labels": labels, "reduced": keep < self.n_sites}

    # ---- maps and curves ---------------------------------------------------------------------
    def _settings(self, **override) -> dict:
        """Couplings and fields for a batch where some settings are arrays."""
        c = {**self.couplings(), "B": self.B, "b": self.b, **override}
        fields = battery.site_fields(self.n_sites, c.pop("B"), c.pop("b"), self.profile)
        return {**c, "fields": fields}

    def maps_available(self) -> bool:
        return self.n_sites <= MAX_MAP_SITES

    @param.depends("n_sites", watch=True, on_init=True)
    def _two_spin_map_only(self):
        # the concurrence map is computed for two spins (the card shows sites 1-2 at any N)
        if self.n_sites != 2 and self.map_quantity == "concurrence":
            self.map_quantity = "ergotropy"

    def map_grid(self) -> dict:
        """The map of ``map_quantity`` over the two ``map_axes`` parameters (their slider ranges).

        Returns x, y (1-D), z (len(y), len(x)), the marker (current values) and what was computed.
        """
        if not self.maps_available():
            raise ValueError(f"maps are computed for up to {MAX_MAP_SITES} sites")
        xname, yname = MAP_AXES[self.map_axes]
        quantity = self.map_quantity
        n = self.n_sites
        npts = (MAP_POINTS_T if yname == "T" else MAP_POINTS)[n]
        xs = np.linspace(*self.param[xname].bounds, npts)
        ys = np.linspace(*self.param[yname].bounds, npts)
        names = ("ergotropy", "capacity") if quantity == "efficiency" else (quantity,)
        if yname == "T":
            s = self._settings(**{xname: xs})
            q = {k: v.T for k, v in battery.thermal_quantities(n, **s, T=ys, quantities=names).items()}
        else:
            s = self._settings(**{xname: xs[None, :], yname: ys[:, None]})
            q = battery.thermal_quantities(n, **s, T=self.T, quantities=names)
        if quantity == "efficiency":
            # W / C, and 0 where the state is maximally mixed (C = 0, so W = 0 too)
            z = np.where(q["capacity"] > 1e-12, q["ergotropy"] / np.maximum(q["capacity"], 1e-12), 0.0)
        else:
            z = q[quantity]
        return {"x": xs, "y": ys, "z": z, "x_name": xname, "y_name": yname, "quantity": quantity,
                "marker": (getattr(self, xname), getattr(self, yname))}

    def curves(self) -> dict:
        """Ergotropy, capacity, stored energy and coherence against ``curve_axis`` (its slider range)."""
        axis = self.curve_axis
        names = ("ergotropy", "capacity", "stored", "incoherent")
        if self.n_sites <= MAX_COHERENCE_CURVE_SITES:
            names += ("coherence",)
        if axis == "T":
            xs = np.linspace(*self.param.T.bounds, 251)
            s = self._settings()
            q = battery.thermal_quantities(self.n_sites, **s, T=xs, quantities=names, spectra=self.spectra())
        else:
            if not self.maps_available():
                raise ValueError(f"curves against {axis} are computed for up to {MAX_MAP_SITES} sites")
            xs = np.linspace(*self.param[axis].bounds, CURVE_POINTS[self.n_sites])
            q = battery.thermal_quantities(self.n_sites, **self._settings(**{axis: xs}), T=self.T, quantities=names)
        return {"x": xs, "axis": axis, "current": getattr(self, axis), **q}

    # ---- charging ---------------------------------------------------------------------------
    def charging_key(self) -> tuple:
        return self.chain_key() + (self.T, self.charger, self.omega, self.t_max)

    def charging(self) -> dict:
        """A charging run from the empty battery: the Gibbs state of H_B alone at temperature T.

        The charger acts for t in [0, t_max] (see :data:`CHARGERS`).  Chains longer than
        MAX_MIXED_CHARGE_SITES start from H_B's ground state (T = 0): evolving a mixed state of that
        size takes too long to follow a slider.  Returns the curves of physics.battery.charging plus
        the average power E(t)/t, its best value and time, and a note on what was simulated.
        """
        n, f = self.n_sites, self.fields()
        HB = spinchain.battery_hamiltonian(f)
        note = ""
        T = self.T
        if n > MAX_MIXED_CHARGE_SITES and T > 0:
            T = 0.0
            note = self.tr._("With {n} sites the charging starts from the empty battery at T = 0 "
                             "(a mixed start is simulated up to {max} sites).").format(n=n, max=MAX_MIXED_CHARGE_SITES)
        p0 = battery.battery_gibbs(f, T)
        if n > MAX_MIXED_CHARGE_SITES and p0.max() < 1 - 1e-12:
            # a zero field leaves the ground of H_B degenerate: take the basis state with the
            # lowest energy (spins down where B_i >= 0)
            p0 = np.zeros_like(p0)
            p0[int(np.argmin(np.real(HB.diagonal()) - 1e-9 * np.arange(HB.shape[0])))] = 1.0
        rho0 = np.diag(p0).astype(complex)
        drive = battery.transverse_drive(n, self.omega)
        H = spinchain.hamiltonian(n, **self.couplings(), fields=f)
        H_charge = {"drive": drive, "field": H + drive, "chain": H}[self.charger]
        times = np.linspace(0.0, self.t_max, CHARGE_TIMES)
        run = battery.charging(rho0, H_charge, f, times)
        # E(t) starts at the initial state's stored energy (thermal at T): power counts what the
        # charger added
        power = np.where(times > 0, (run["stored"] - run["stored"][0]) / np.where(times > 0, times, 1.0), 0.0)
        best = int(np.argmax(power))
        return {**run, "power": power, "best_power": float(power[best]), "best_time": float(times[best]),
                "max_energy": float(2 * np.abs(f).sum()), "fields": f, "note": note}
