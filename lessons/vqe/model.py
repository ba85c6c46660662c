"""State of the Variational-quantum-eigensolver lesson: a spin chain's ground state found as a quantum
computer would find it.

:class:`VQEModel` owns the settings (``param`` parameters with bounds, mirrored in the link): the
chain of :mod:`physics.spinchain` (a coupling preset, Jx, Jy, Jz, D, K, fields), the number of
qubits, the depth of the hardware-efficient circuit, the optimiser and its step, the shots per
measured energy and the depolarizing probability after every CNOT.  It derives the exact answer
(dense diagonalisation: E0 and the ground space) and starts optimisation runs
(:class:`VQERun`), which are consumed iteration by iteration (the page pulls them as it plays) and
end with zero-noise extrapolation at the final parameters.  No Panel import: it runs and is tested
with no UI; ``view.py`` only renders it.

Units and conventions: those of :mod:`physics.spinchain` and :mod:`physics.vqe` (Pauli matrices,
qubit 0 the leftmost Kronecker factor, |0> = spin up = sigma_z +1; energies in the units of J).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import param
from scipy.optimize import minimize

from lessons.common.i18n import N_, Translator, translator
from lessons.common.model import LessonModel
from lessons.common.urlstate import IntSetting, Setting
from physics import battery, spinchain, vqe

__all__ = ["VQEModel", "VQERun", "Problem", "PRESETS", "OPTIMIZERS", "SHOTS", "QUERY_NAMES", "ZNE_SCALES",
           "NN_LEVELS", "problem", "circuit_best"]

#: Coupling presets (Jx, Jy, Jz); J > 0 antiferromagnetic.
PRESETS = {
    "xxz": (N_("XXZ antiferromagnet (1, 1, 0.5)"), (1.0, 1.0, 0.5)),
    "xxx": (N_("XXX antiferromagnet (1, 1, 1)"), (1.0, 1.0, 1.0)),
    "xyz": (N_("XYZ antiferromagnet (1, 0.6, 0.3)"), (1.0, 0.6, 0.3)),
    "xy": (N_("XY chain (1, 1, 0)"), (1.0, 1.0, 0.0)),
    "ising": (N_("Ising antiferromagnet (0, 0, 1)"), (0.0, 0.0, 1.0)),
    "custom": (N_("Custom (move the J sliders)"), None),
}

#: optimiser key -> (label, what the step means); English msgids, shown in the page's language
OPTIMIZERS = {
    "spsa": (N_("SPSA (2 circuit runs per step)"), N_("SPSA's gain a: step k moves by a/(k + 1 + A)^0.602 times the "
                                                       "gradient estimate")),
    "cobyla": (N_("COBYLA (SciPy, 1 circuit run per step)"), N_("COBYLA's first trust radius (radians)")),
    "gradient": (N_("Gradient descent, parameter shift (2 runs per parameter)"), N_("the learning rate: each step "
                                                                                    "moves by it times the exact gradient")),
}

#: shots per measured energy ("exact": the expectation value itself, as a simulator can give)
SHOTS = ("exact", "100", "1000", "10000", "100000")

#: noise scales of the folded circuits (each CNOT run 1, 3, 5 times) for Richardson extrapolation
ZNE_SCALES = (1, 3, 5)
#: noise levels of the neural-network extrapolation (the error probability raised to 1-(1-p)^level)
NN_LEVELS = tuple(np.round(np.arange(1.0, 5.01, 0.5), 2))

#: the most circuit simulations one run may cost, in units of one amplitude update: about two
#: seconds of server CPU (bench/vqe.py: a noisy energy of 6 qubits, 4 layers, 50 gates on 4^6
#: amplitudes, takes 0.35 ms, ~1.7 ns per update; see :meth:`VQEModel.iteration_cap`)
RUN_BUDGET = 1.2e9
#: what one simulation costs beyond its amplitude updates (Python and the record), in updates
#: (measured: an exact energy through measure_energy takes ~70 us at 6-8 qubits, mostly Python)
EVALUATION_OVERHEAD = 40_000
#: SPSA's perturbation c (radians; tuned with the step on 4- and 6-qubit XXZ chains, 200 iterations)
SPSA_PERTURBATION = 0.2
#: the noiseless reference optimisation (for the noise floor) stops after this many L-BFGS steps
REFERENCE_ITERATIONS = 300

QUERY_NAMES = {"preset": "preset", "Jx": "Jx", "Jy": "Jy", "Jz": "Jz", "D": "D", "K": "K", "B": "B", "b": "b",
               "n": "n_qubits", "layers": "layers", "opt": "optimizer", "step": "step", "iter": "iterations",
               "shots": "shots", "p": "p", "seed": "seed", "zne": "zne_order"}


@dataclass(frozen=True)
class Problem:
    """A chain's Hamiltonian in every form the lesson needs, and its exact ground state."""

    n: int
    fields: np.ndarray
    H: object                  # scipy.sparse csr matrix
    terms: list                # (weight, Pauli string)
    groups: list               # measurement bases and the terms each measures
    E0: float
    ground: np.ndarray         # orthonormal basis of the ground space (columns)
    E_top: float               # the highest eigenvalue (the energy axis)
    gap: float                 # E1 - E0 (0 if degenerate)

    @property
    def degeneracy(self) -> int:
        return int(self.ground.shape[1])

    def ground_probabilities(self) -> np.ndarray:
        """|<b|g>|^2 in the computational basis, averaged over the ground space if it is degenerate."""
        return (np.abs(self.ground) ** 2).sum(axis=1) / self.degeneracy


@lru_cache(maxsize=64)
def problem(n: int, Jx: float, Jy: float, Jz: float, D: float, K: float, B: float, b: float) -> Problem:
    """The chain of these settings (shared, read-only: a class on the same settings builds it once)."""
    fields = battery.site_fields(n, B, b)
    H = spinchain.hamiltonian(n, Jx, Jy, Jz, D, K, fields)
    terms = vqe.pauli_terms(n, Jx, Jy, Jz, D, K, fields)
    E0, ground = vqe.ground_state(H)
    evals = np.linalg.eigvalsh(H.toarray())
    above = evals[evals > E0 + 1e-9]
    return Problem(n=n, fields=fields, H=H, terms=terms, groups=vqe.measurement_groups(terms), E0=float(E0),
                   ground=ground, E_top=float(evals[-1]), gap=float(above[0] - E0) if above.size else 0.0)


@lru_cache(maxsize=64)
def circuit_best(key: tuple, layers: int, seed: int) -> tuple[float, np.ndarray]:
    """The best energy the noiseless circuit reaches from the run's start (L-BFGS with exact
    adjoint gradients), and its parameters: the reference of the noise floor."""
    pb = problem(*key)
    n = pb.n
    shape = vqe.params_shape(n, layers)
    def f(x):
        E, grad = vqe.energy_gradient(n, x.reshape(shape), pb.H)
        return E, grad.ravel()

    res = minimize(f, start_params(n, layers, seed).ravel(), jac=True, method="L-BFGS-B",
                   options={"maxiter": REFERENCE_ITERATIONS})
    return float(res.fun), res.x.reshape(shape)


def start_params(n: int, layers: int, seed: int) -> np.ndarray:
    """The circuit's first angles: uniform in [-pi, pi) from ``seed`` (the same for every optimiser)."""
    return np.random.default_rng([int(seed), 0]).uniform(-np.pi, np.pi, vqe.params_shape(n, layers))


@dataclass(frozen=True)
class RunSettings:
    """What one optimisation run is made of (a snapshot of the model when it started)."""

    key: tuple                 # the problem's settings (problem(*key))
    layers: int
    optimizer: str
    step: float
    iterations: int            # already capped by the budget
    shots: int | None
    p: float
    seed: int
    zne_order: int


class VQERun:
    """One optimisation, consumed iteration by iteration with :meth:`next_chunk`.

    Frame k is the k-th iterate (frame 0 the start).  For each it records the energy as the
    optimiser's device would measure it (``measured``, with ``stderr``: shots and noise), the noisy
    expectation without shot noise (``noisy``), the noiseless energy of the circuit's parameters
    (``exact``), the weight of the prepared state in the ground space (``fidelity``), the prepared
    state's probabilities in the computational basis (``probs``), the parameters and the circuit
    runs the optimiser has spent (``evals``).
    """

    def __init__(self, run_id: int, s: RunSettings, tr: Translator | None = None):
        self.run_id, self.s = run_id, s
        self.tr = tr or translator()      # the language of the error a failed run shows
        self.pb = pb = problem(*s.key)
        self.n = n = pb.n
        self.shape = vqe.params_shape(n, s.layers)
        self._rng_shots = np.random.default_rng([s.seed, 2])
        self._rng_monitor = np.random.default_rng([s.seed, 3])
        self._rng_zne = np.random.default_rng([s.seed, 4])
        x0 = start_params(n, s.layers, s.seed).ravel()
        if s.optimizer == "spsa":
            self._steps = vqe.spsa(self._f, x0, np.random.default_rng([s.seed, 1]), step=s.step,
                                   perturbation=SPSA_PERTURBATION)
        elif s.optimizer == "gradient":
            self._steps = vqe.parameter_shift_descent(self._f, x0, step=s.step)
        else:
            self._steps = vqe.cobyla(self._f, x0, step=s.step)
        self.records: dict[str, list] = {k: [] for k in ("k", "evals", "measured", "stderr", "noisy", "exact",
                                                          "fidelity", "probs", "params")}
        self.done = False
        self.error = ""
        self._zne: dict | None = None

    # ---- the device the optimiser talks to --------------------------------------------------------
    def _f(self, x: np.ndarray) -> float:
        """An energy as the optimiser gets it: measured with the shots, on the noisy circuit."""
        s = self.s
        return vqe.measure_energy(self.n, x.reshape(self.shape), self.pb.terms, s.shots, self._rng_shots,
                                  p=s.p, groups=self.pb.groups)[0]

    def _record(self, x: np.ndarray, evals: int) -> None:
        s, n, pb = self.s, self.n, self.pb
        params = x.reshape(self.shape)
        psi = vqe.hea_state(n, params)
        exact = vqe.energy(psi, pb.H)
        if s.p > 0:
            rho = prepared = vqe.noisy_state(n, params, s.p)
            noisy = vqe.energy(rho, pb.H)
            probs = np.real(np.diag(rho)).clip(0, None)
            fidelity = float(np.real(np.sum(pb.ground.conj() * (rho @ pb.ground))))
        else:
            prepared = psi
            noisy = exact
            probs = np.abs(psi) ** 2
            fidelity = vqe.ground_fidelity(psi, pb.ground)
        if s.shots:
            measured, stderr = vqe.measure_energy(n, params, pb.terms, s.shots, self._rng_monitor, p=s.p,
                                                  groups=pb.groups, state=prepared)
        else:
            measured, stderr = noisy, 0.0
        r = self.records
        for key, value in (("k", len(r["k"])), ("evals", evals), ("measured", measured), ("stderr", stderr),
                           ("noisy", noisy), ("exact", exact), ("fidelity", fidelity), ("probs", probs),
                           ("params", x.copy())):
            r[key].append(value)

    # ---- consuming it ---------------------------------------------------------------------------------
    @property
    def frames(self) -> int:
        return len(self.records["k"])

    def next_chunk(self, max_frames: int, max_seconds: float = 0.05) -> dict | None:
        """Compute up to ``max_frames`` more iterates (at least one, then as many as fit in
        ``max_seconds``) and return them as a chunk: ``start``, ``end``, ``done`` and the records
        (None once the run has ended and everything was handed out)."""
        if self.done:
            return None
        start = self.frames
        t0 = time.perf_counter()
        try:
            while self.frames - start < max_frames:
                if self.frames > self.s.iterations:
                    self.done = True
                    break
                try:
                    x, evals = next(self._steps)
                except StopIteration:
                    self.done = True
                    break
                self._record(np.asarray(x, float), int(evals))
                if not np.isfinite(self.records["measured"][-1]):
                    raise FloatingPointError(N_("the energy is not a finite number"))
                if time.perf_counter() - t0 > max_seconds:
                    break
            if self.frames > self.s.iterations:
                self.done = True
        except (FloatingPointError, ValueError, np.linalg.LinAlgError) as err:
            # the page shows it: the reason translated where it is one of ours (a msgid), else as raised
            self.done, self.error = True, self.tr._("The optimisation stopped: {reason}.").format(
                reason=self.tr._(str(err)))
        if self.done:
            self.close()
        end = self.frames
        return {"start": start, "end": end, "done": self.done,
                **{k: v[start:end] for k, v in self.records.items()}}

    def finish(self) -> "VQERun":
        """Run to the end at once (tests, notebooks, benchmarks)."""
        while self.next_chunk(10_000, max_seconds=1e9) is not None and not self.done:
            pass
        return self

    def close(self) -> None:
        """Stop the optimiser (COBYLA's helper thread ends)."""
        close = getattr(self._steps, "close", None)
        if close is not None:
            close()

    # ---- the results ---------------------------------------------------------------------------------
    @property
    def final_params(self) -> np.ndarray:
        return self.records["params"][-1].reshape(self.shape)

    def summary(self) -> dict:
        """The last iterate's numbers."""
        r = self.records
        return {key: r[key][-1] for key in ("k", "evals", "measured", "stderr", "noisy", "exact", "fidelity")}

    def zne(self) -> dict:
        """Zero-noise extrapolation at the final parameters (computed once, after the run).

        Richardson: the circuit run with every CNOT folded to 1, 3 and 5 CNOTs (each followed by the
        channel), measured with the run's shots, and the least-squares polynomial of degree
        ``zne_order`` through the points evaluated at zero; its error bar propagates the shots'
        standard errors through the (linear) extrapolation weights.  Neural network: the energies at
        the error probabilities 1-(1-p)^level for NN_LEVELS, extrapolated by a small feed-forward
        network ensemble (physics.vqe.nn_extrapolate); its error bar is the ensemble's spread.
        """
        if self._zne is None:
            s, n, pb = self.s, self.n, self.pb
            x = self.final_params
            rng = self._rng_zne
            E, dE = np.array([vqe.measure_energy(n, x, pb.terms, s.shots, rng, p=s.p, scale=sc, groups=pb.groups)
                              for sc in ZNE_SCALES]).T
            w = vqe.richardson_weights(ZNE_SCALES, s.zne_order)
            rich = float(w @ E)
            rich_err = float(np.sqrt(np.sum((w * dE) ** 2)))
            levels = np.array(NN_LEVELS)
            nn_E, nn_dE = np.array([vqe.measure_energy(n, x, pb.terms, s.shots, rng, p=1 - (1 - s.p) ** lv,
                                                       groups=pb.groups) for lv in levels]).T
            nn, nn_spread = vqe.nn_extrapolate(levels, nn_E)
            coeffs = np.polyfit(ZNE_SCALES, E, s.zne_order)
            self._zne = {"scales": np.array(ZNE_SCALES, float), "E": E, "dE": dE, "richardson": rich,
                         "richardson_err": rich_err, "fit": coeffs, "order": s.zne_order,
                         "levels": levels, "nn_E": nn_E, "nn_dE": nn_dE, "nn": float(nn), "nn_err": float(nn_spread),
                         "target": float(self.records["exact"][-1]), "E0": pb.E0, "noisy": float(E[0]),
                         "p": s.p, "shots": s.shots}
        return self._zne


class VQEModel(LessonModel):
    """A Heisenberg chain on n qubits, a hardware-efficient circuit, an optimiser and a noisy device."""

    # the docs marked N_ are also the help ("?") of the view's menus, shown in the page's language
    preset = param.Selector(default="xxz", objects=list(PRESETS), doc=N_("Coupling preset (sets Jx, Jy, Jz)."))
    Jx = Setting(default=1.0, bounds=(-2.0, 2.0), step=0.05, doc="Exchange coupling Jx (J > 0: antiferromagnetic).")
    Jy = Setting(default=1.0, bounds=(-2.0, 2.0), step=0.05, doc="Exchange coupling Jy.")
    Jz = Setting(default=0.5, bounds=(-2.0, 2.0), step=0.05, doc="Exchange coupling Jz.")
    D = Setting(default=0.0, bounds=(0.0, 2.0), step=0.05, doc="Dzyaloshinsky–Moriya coupling (z component).")
    K = Setting(default=0.0, bounds=(0.0, 2.0), step=0.05, doc="KSEA coupling.")
    B = Setting(default=0.0, bounds=(-2.0, 2.0), step=0.05, doc="Uniform Zeeman field B along z.")
    b = Setting(default=0.0, bounds=(-2.0, 2.0), step=0.05, doc="Alternating field: qubits get B + b, B − b, …")
    n_qubits = IntSetting(default=4, bounds=(2, 8), doc="Number of qubits (spins of the open chain).")

    layers = IntSetting(default=2, bounds=(1, 8), doc="Entangling layers of the hardware-efficient circuit.")
    optimizer = param.Selector(default="spsa", objects=list(OPTIMIZERS), doc=N_("The classical optimiser."))
    step = Setting(default=0.4, bounds=(0.01, 2.0), step=0.01,
                   doc="Step size: SPSA's gain a, COBYLA's first trust radius, gradient descent's learning rate.")
    iterations = IntSetting(default=200, bounds=(10, 500), doc="Optimiser iterations (COBYLA: circuit runs).")
    shots = param.Selector(default="exact", objects=list(SHOTS),
                           doc=N_("Shots per measured energy and measurement basis ('exact': the expectation value)."))
    p = Setting(default=0.0, bounds=(0.0, 0.05), step=0.001,
                doc="Two-qubit depolarizing probability after every CNOT.")
    seed = IntSetting(default=1, bounds=(0, 999), doc="Seed of the first angles, SPSA's directions and the shots.")
    zne_order = IntSetting(default=1, bounds=(1, 2), doc=N_("Degree of the Richardson fit (1: linear, 2: quadratic)."))

    run_id = param.Integer(default=0, doc="Increases every time a new run starts.")

    query_names = QUERY_NAMES

    #: the settings a run depends on (a change starts a new one)
    RUN = ("Jx", "Jy", "Jz", "D", "K", "B", "b", "n_qubits", "layers", "optimizer", "step", "iterations", "shots",
           "p", "seed", "zne_order")

    #: a preset names the couplings (Jx, Jy, Jz); "custom" names none
    presets = ("preset", {key: None if J is None else dict(zip(("Jx", "Jy", "Jz"), J))
                          for key, (_, J) in PRESETS.items()})

    def __init__(self, **params):
        super().__init__(**params)
        self.run: VQERun | None = None

    # ---- derived ------------------------------------------------------------------------------------
    def problem_key(self) -> tuple:
        return (int(self.n_qubits), float(self.Jx), float(self.Jy), float(self.Jz), float(self.D), float(self.K),
                float(self.B), float(self.b))

    def problem(self) -> Problem:
        """The chain's Hamiltonian, Pauli terms, measurement bases and exact ground state."""
        return problem(*self.problem_key())

    @property
    def shot_count(self) -> int | None:
        return None if self.shots == "exact" else int(self.shots)

    @property
    def noise(self) -> float:
        """The depolarizing probability that is simulated."""
        return self.p

    def n_params(self) -> int:
        return vqe.n_params(self.n_qubits, self.layers)

    def cnot_count(self) -> int:
        return self.layers * (self.n_qubits - 1)

    def evaluation_cost(self, scale: int = 1) -> float:
        """One circuit simulation, in amplitude updates: gates x 2^n (a state) or x 4^n (a density matrix)."""
        n = self.n_qubits
        gates = (self.layers + 1) * n + self.cnot_count() * scale
        return gates * (4.0 ** n if self.noise > 0 else 2.0 ** n) + EVALUATION_OVERHEAD

    def evaluations_per_iteration(self) -> int:
        return {"spsa": 2, "cobyla": 1, "gradient": 2 * self.n_params()}[self.optimizer]

    def iteration_cap(self) -> int:
        """The iterations a run may take within RUN_BUDGET (each iteration also records its state)."""
        per = (self.evaluations_per_iteration() + 2 + (1 if self.shot_count else 0)) * self.evaluation_cost()
        return max(1, min(self.iterations, int(RUN_BUDGET // per)))

    def run_notes(self) -> list[str]:
        """What this run simulates differently from what the settings ask (shown above the player)."""
        notes = []
        cap = self.iteration_cap()
        if cap < self.iterations:
            if self.noise > 0:
                text = self.tr._("This run stops after {cap} of the {total} iterations: each iteration costs {sims} "
                                 "circuit simulations here (density matrices of 4ⁿ numbers), and a run is kept to "
                                 "about two seconds of the shared server.")
            else:
                text = self.tr._("This run stops after {cap} of the {total} iterations: each iteration costs {sims} "
                                 "circuit simulations here, and a run is kept to about two seconds of the shared "
                                 "server.")
            notes.append(text.format(cap=cap, total=self.iterations, sims=self.evaluations_per_iteration()))
        return notes

    def new_run(self) -> VQERun:
        """Start a fresh optimisation from the current settings (the previous run is stopped)."""
        if self.run is not None:
            self.run.close()
        self.run_id += 1
        s = RunSettings(key=self.problem_key(), layers=int(self.layers), optimizer=self.optimizer,
                        step=float(self.step), iterations=self.iteration_cap(), shots=self.shot_count,
                        p=float(self.noise), seed=int(self.seed), zne_order=int(self.zne_order))
        self.run = VQERun(self.run_id, s, self.tr)
        return self.run

    def full_run(self) -> VQERun:
        """A whole run at once (tests, notebooks, benchmarks)."""
        return self.new_run().finish()

    def noise_floor(self) -> dict | None:
        """With noise: the best noiseless energy of this circuit from the run's start (L-BFGS, exact
        gradients) and the noisy energy of those same parameters, the lowest a noisy device shows
        for them.  None without noise."""
        if self.noise <= 0:
            return None
        best, x = circuit_best(self.problem_key(), int(self.layers), int(self.seed))
        floor = vqe.noisy_energy(self.n_qubits, x, self.problem().H, self.noise)
        return {"best": best, "floor": float(floor)}

    def shot_spread(self) -> float:
        """The standard error of one measured energy of the start state (0 for exact expectation)."""
        if not self.shot_count:
            return 0.0
        pb = self.problem()
        x = start_params(self.n_qubits, self.layers, self.seed)
        return vqe.measure_energy(self.n_qubits, x, pb.terms, self.shot_count, np.random.default_rng(0),
                                  p=self.noise, groups=pb.groups)[1]

