"""Panel/Bokeh rendering of :class:`lessons.vqe.model.VQEModel`.

The view owns no physics.  A change of the settings starts a new optimisation run; the page plays
it iteration by iteration and asks for more as it plays (``OptimisationPlayer.page.request``), so the
server computes only what is watched, in slices of at most ``SLICE_S`` seconds.  When the page has
played a run to its end, the cards show its final numbers and the zero-noise extrapolation at its
final angles is computed and drawn (Richardson over folded circuits, and the neural network).
"""
from __future__ import annotations

import pathlib

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource, Range1d, Span, Whisker

from lessons.common.figures import READOUT_CSS, legend_below, lesson_figure, readout_cards
from lessons.common.page import lesson_app, notice_alert
from lessons.common.sections import Debounced, LazyTabs
from lessons.common.text import lesson_text, plain_text
from lessons.common.view import LessonView
from lessons.vqe.model import OPTIMIZERS, PRESETS, SHOTS, VQEModel, problem
from lessons.vqe.player import OptimisationPlayer

__all__ = ["VQEView", "create_app"]

HERE = pathlib.Path(__file__).parent
FIRST_CHUNK = 24    # iterates in a new run's first chunk (at most SLICE_S of work): on screen at once
MAX_CHUNK = 120     # the most iterates one request computes
SLICE_S = 0.05      # ... and the most server time it takes, so other students are not held up
DEBOUNCE_MS = 120   # settings changes closer together than this start one run

#: what each curve of the extrapolation figure is drawn in (a swatch of lessons.common.palette)
COLORS = {"points": "blue", "fit": "blue", "nn": "violet", "target": "green", "E0": "ink"}
CARDS = (("E0", "Exact ground E₀", "dense diagonalisation"),
         ("measured", "VQE energy", "measured at the last iteration"),
         ("exact", "Noiseless E(θ)", "the final circuit without noise or shots"),
         ("fidelity", "Fidelity", "weight of the prepared state in the ground space"),
         ("richardson", "ZNE: Richardson", "folded CNOTs 1×, 3×, 5×, extrapolated to 0"),
         ("nn", "ZNE: neural network", "trained on 9 noise levels, at 0"))
SHOT_LABELS = {"exact expectation (no shots)": "exact", **{f"{int(s):,} shots".replace(",", " "): s for s in SHOTS[1:]}}


class VQEView(LessonView):
    """Widgets, the optimisation player and the extrapolation figure for one browser session."""

    COLORS = COLORS
    MODEL = VQEModel

    #: read-outs a link can hide until the teacher reveals them (``?hide=E0,fidelity``)
    HIDEABLE = {"E0": "exact ground energy E₀", "measured": "VQE energy", "exact": "noiseless energy E(θ)",
                "error": "E(θ) − E₀", "fidelity": "fidelity", "richardson": "Richardson extrapolation",
                "nn": "neural-network extrapolation"}

    def __init__(self, model: VQEModel | None = None, look=None):
        super().__init__(model, look)
        m = self.model
        self.player = OptimisationPlayer(sizing_mode="stretch_width")
        self._make_widgets()
        self.notices = notice_alert(m)
        self.notes = pn.pane.Alert(alert_type="info", visible=False, sizing_mode="stretch_width")
        self.cards = pn.pane.HTML(sizing_mode="stretch_width", stylesheets=[READOUT_CSS])
        self.status = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "calc(15px * var(--ql-scale, 1))"})
        self.zne_text = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "calc(14px * var(--ql-scale, 1))"})
        self._make_figure()
        self._floor_pending = False
        self.player.answer_pulls(lambda: self.model.run, self._pump, MAX_CHUNK)
        self.player.page.param.watch(lambda *_: self._on_ended(), "ended_run")
        m.param.watch(Debounced(self._restart, DEBOUNCE_MS), list(VQEModel.RUN))
        self._restart()

    # ---- widgets -------------------------------------------------------------------------------------
    def _make_widgets(self):
        m = self.model
        self.preset = pn.widgets.Select.from_param(m.param.preset, label="Couplings",
                                                   options={label: key for key, (label, _) in PRESETS.items()})
        self.sliders = {name: pn.widgets.FloatSlider.from_param(m.param[name], label=label) for name, label in (
            ("Jx", "Jx"), ("Jy", "Jy"), ("Jz", "Jz"), ("D", "DM coupling D"), ("K", "KSEA coupling K"),
            ("B", "Field B (along z)"), ("b", "Alternating field b (B + b, B − b, …)"))}
        self.n_qubits = pn.widgets.IntSlider.from_param(m.param.n_qubits, label="Qubits n")
        self.layers = pn.widgets.IntSlider.from_param(m.param.layers, label="Entangling layers")
        self.optimizer = pn.widgets.Select.from_param(m.param.optimizer, label="Optimiser",
                                                      options={label: key for key, (label, _) in OPTIMIZERS.items()})
        self.step = pn.widgets.FloatSlider.from_param(m.param.step, label="Step size")
        self.iterations = pn.widgets.IntSlider.from_param(m.param.iterations, label="Iterations", step=10)
        self.seed = pn.widgets.IntSlider.from_param(m.param.seed, label="Seed (start angles, SPSA, shots)", end=99)
        self.shots = pn.widgets.Select.from_param(m.param.shots, label="Shots per energy and basis", options=SHOT_LABELS)
        self.p = pn.widgets.FloatSlider.from_param(m.param.p, label="Depolarizing noise p per CNOT", format="0.0%")
        self.zne_order = pn.widgets.RadioButtonGroup.from_param(
            m.param.zne_order, options={"linear": 1, "quadratic": 2}, label="Richardson fit")
        self.step_text = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "calc(13px * var(--ql-scale, 1))"})
        show = lambda *_: setattr(self.step_text, "object", plain_text(f"Step: {OPTIMIZERS[m.optimizer][1]}."))  # noqa: E731
        m.param.watch(show, "optimizer")
        show()

    # ---- the extrapolation figure ------------------------------------------------------------------------
    def _make_figure(self):
        c = self.colors
        self.zne_points = ColumnDataSource(dict(x=[], y=[], lo=[], hi=[]))
        self.nn_points = ColumnDataSource(dict(x=[], y=[], lo=[], hi=[]))
        self.fit_line = ColumnDataSource(dict(x=[], y=[]))
        self.zero = ColumnDataSource(dict(x=[], y=[], lo=[], hi=[], color=[], name=[]))
        f = lesson_figure("Zero-noise extrapolation at the final angles (after a run has played)",
                          "noise scale λ (CNOTs folded λ times; error probability 1 − (1 − p)^λ)", "energy",
                          height=360, x_range=Range1d(-0.3, 5.4), y_range=Range1d(-1, 1))
        f.line("x", "y", source=self.fit_line, color=c["fit"], line_width=2, line_dash="dashed",
               legend_label="Richardson fit")
        f.scatter("x", "y", source=self.nn_points, color=c["nn"], size=6, marker="square", legend_label="noise levels for the network")
        f.add_layout(Whisker(source=self.nn_points, base="x", lower="lo", upper="hi", line_color=c["nn"]))
        f.scatter("x", "y", source=self.zne_points, color=c["points"], size=10, legend_label="folded circuits (λ = 1, 3, 5)")
        f.add_layout(Whisker(source=self.zne_points, base="x", lower="lo", upper="hi", line_color=c["points"]))
        f.scatter("x", "y", source=self.zero, color="color", size=13, marker="diamond", legend_field="name")
        f.add_layout(Whisker(source=self.zero, base="x", lower="lo", upper="hi", line_color=c["E0"]))
        self.target_span = Span(location=0, dimension="width", line_color=c["target"], line_width=2)
        self.e0_span = Span(location=0, dimension="width", line_color=c["E0"], line_width=1.5, line_dash="dashed")
        f.add_layout(self.target_span)
        f.add_layout(self.e0_span)
        legend_below(f)
        self.zne_fig = f

    # ---- runs ------------------------------------------------------------------------------------------
    def _restart(self):
        m = self.model
        try:
            run = m.new_run()
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as err:
            self.status.object = f"Could not start this run: {plain_text(str(err))}"
            return
        notes = m.run_notes()
        self.notes.object = "\n\n".join(plain_text(t) for t in notes)
        self.notes.visible = bool(notes)
        # the noise floor needs a noiseless optimisation (up to ~1 s the first time for these
        # settings): it goes with the second chunk, so the run starts playing at once
        self._floor_pending = m.noise > 0
        self.player.show_setup(run, None)
        self._pump(FIRST_CHUNK)
        self._show_problem(None)
        self._show_cards(None)
        self._clear_figure()

    def _pump(self, n: int = MAX_CHUNK):
        """Compute and send up to ``n`` more iterates of the current run (at most SLICE_S of work)."""
        run = self.model.run
        if run is None:
            return
        extra = {}
        if self._floor_pending and run.frames > 0:
            self._floor_pending = False
            try:
                floor = self.model.noise_floor()
            except (ValueError, FloatingPointError, np.linalg.LinAlgError):
                floor = None
            if floor is not None:
                extra = {"floor": floor["floor"], "best": floor["best"]}
                self._show_problem(floor)
        chunk = run.next_chunk(n, SLICE_S)
        if chunk is not None:
            self.player.push_chunk(chunk, **extra)
            if run.done and run.error:
                self.player.fail(run.error)

    def _on_ended(self):
        """The page has played the run to its end: its final numbers and the extrapolation."""
        run = self.model.run
        if run is None or not run.done or run.frames == 0 or self.player.page.ended_run != run.run_id:
            return
        try:
            z = run.zne()
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as err:
            self.zne_text.object = f"The extrapolation failed: {plain_text(str(err))}"
            return
        self._show_cards(run, z)
        self._draw_zne(z)

    # ---- read-outs --------------------------------------------------------------------------------------
    def _show_problem(self, floor):
        m = self.model
        pb = problem(*m.problem_key())
        gap = f"gap to the first excited level {pb.gap:.4g}" if pb.gap > 0 else "no gap (every level degenerate)"
        deg = f", {pb.degeneracy}-fold degenerate" if pb.degeneracy > 1 else ""
        bases = ", ".join(g[0] for g in pb.groups)
        text = (f"**{m.n_qubits} qubits, {m.layers} layer{'s' if m.layers > 1 else ''}:** {m.n_params()} angles and "
                f"{m.cnot_count()} CNOTs. H has {len(pb.terms)} Pauli terms, measured in {len(pb.groups)} "
                f"bases ({bases}). Exact ground energy E₀ = {pb.E0:.5g}{deg}; {gap}.")
        if floor is not None:
            text += (f" With p = {m.noise:.1%}, the angles that are best without noise (E = {floor['best']:.4g}) "
                     f"measure {floor['floor']:.4g}: the noise floor.")
        self.status.object = text

    def _show_cards(self, run, z: dict | None = None):
        if run is None:
            pb = self.model.problem()
            values = {key: "–" for key, _, _ in CARDS}
            values["E0"] = f"{pb.E0:.4f}"
        else:
            s = run.summary()
            err = f" ± {s['stderr']:.3f}" if run.s.shots else ""
            values = {"E0": f"{run.pb.E0:.4f}", "measured": f"{s['measured']:.4f}{err}", "exact": f"{s['exact']:.4f}",
                      "fidelity": f"{s['fidelity']:.3f}",
                      "richardson": f"{z['richardson']:.4f} ± {z['richardson_err']:.3f}",
                      "nn": f"{z['nn']:.4f} ± {z['nn_err']:.3f}"}
        self.cards.object = readout_cards(CARDS, values)

    def _clear_figure(self):
        with pn.io.hold():
            for src in (self.zne_points, self.nn_points, self.zero):
                src.data = {k: [] for k in src.data}
            self.fit_line.data = dict(x=[], y=[])
        self.zne_text.object = ("The extrapolation is computed at the final angles once the run has played to its end"
                                + ("." if self.model.noise > 0 else ": set a noise p above 0 to see what it wins back."))

    def _draw_zne(self, z: dict):
        c = self.colors
        xs = np.linspace(0, 5, 60)
        with pn.io.hold():
            self.zne_points.data = dict(x=z["scales"], y=z["E"], lo=z["E"] - z["dE"], hi=z["E"] + z["dE"])
            self.nn_points.data = dict(x=z["levels"], y=z["nn_E"], lo=z["nn_E"] - z["nn_dE"], hi=z["nn_E"] + z["nn_dE"])
            self.fit_line.data = dict(x=xs, y=np.polyval(z["fit"], xs))
            self.zero.data = dict(x=[0.0, 0.12], y=[z["richardson"], z["nn"]],
                                  lo=[z["richardson"] - z["richardson_err"], z["nn"] - z["nn_err"]],
                                  hi=[z["richardson"] + z["richardson_err"], z["nn"] + z["nn_err"]],
                                  color=[c["fit"], c["nn"]],
                                  name=["Richardson at λ = 0", "neural network at λ = 0"])
            self.target_span.location = z["target"]
            self.e0_span.location = z["E0"]
            ys = np.concatenate([z["E"] - z["dE"], z["E"] + z["dE"], z["nn_E"], [z["richardson"], z["nn"], z["target"], z["E0"]]])
            lo, hi = float(np.min(ys)), float(np.max(ys))
            pad = 0.08 * max(hi - lo, 1e-3)
            self.zne_fig.y_range.update(start=lo - pad, end=hi + pad)
        gained = abs(z["noisy"] - z["target"]) - abs(z["richardson"] - z["target"])
        self.zne_text.object = plain_text(
            f"Green line: the noiseless energy of these angles, E(θ) = {z['target']:.4f}, what extrapolation aims at "
            f"(the dashed line is E₀ = {z['E0']:.4f}: no mitigation can beat the circuit itself). Measured at λ = 1: "
            f"{z['noisy']:.4f}; Richardson ({'linear' if z['order'] == 1 else 'quadratic'}): "
            f"{z['richardson']:.4f} ± {z['richardson_err']:.3f} "
            f"({'closer by' if gained >= 0 else 'further by'} {abs(gained):.3g}); neural network: "
            f"{z['nn']:.4f} ± {z['nn_err']:.3f}.")

    # ---- lifetime ----------------------------------------------------------------------------------------
    def stop(self):
        """Stop the run (called when the session is destroyed): late requests compute nothing."""
        if self.model.run is not None:
            self.model.run.close()
        self.model.run = None

    @staticmethod
    def warm() -> None:
        """Build the default chain and run a short optimisation once per server process (compiles the kernels)."""
        VQEModel(iterations=10).full_run().zne()

    # ---- layout ------------------------------------------------------------------------------------------
    def sidebar(self) -> list:
        s = self.sliders
        return [
            pn.pane.Markdown("### The chain"), self.preset, s["Jx"], s["Jy"], s["Jz"], s["D"], s["K"], s["B"], s["b"],
            self.n_qubits,
            pn.pane.Markdown("### The circuit and the optimiser"), self.layers, self.optimizer, self.step,
            self.step_text, self.iterations, self.seed,
            pn.pane.Markdown("### The quantum computer"), self.shots, self.p,
            pn.pane.Markdown("### Error mitigation"), self.zne_order,
        ]

    def main(self) -> list:
        # the animation first (on a phone it is the first thing under the header), then the numbers
        self.layout = pn.Column(self.notices, self.notes, self.player, self.cards, self.status, sizing_mode="stretch_width")
        return [self.layout]

    def load_secondary(self) -> None:
        """The extrapolation figure and the lesson text (after the first paint, in a served page)."""
        if len(self.layout) > 5:
            return
        about = LazyTabs(("Lesson", lambda: lesson_text(HERE / "lesson.md")),
                         ("Teacher notes", lambda: lesson_text(HERE / "model.md")), sizing_mode="stretch_width")
        self.layout.extend([pn.pane.Bokeh(self.zne_fig, sizing_mode="stretch_width"), self.zne_text, about])


def create_app():
    """One session of the VQE lesson (called by apps/vqe.py per browser tab)."""
    return lesson_app("Variational quantum eigensolver", VQEModel, VQEView)
