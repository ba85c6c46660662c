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
from lessons.common.i18n import N_
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
CARDS = (("E0", N_("Exact ground E₀"), N_("dense diagonalisation")),
         ("measured", N_("VQE energy"), N_("measured at the last iteration")),
         ("exact", N_("Noiseless E(θ)"), N_("the final circuit without noise or shots")),
         ("fidelity", N_("Fidelity"), N_("weight of the prepared state in the ground space")),
         ("richardson", N_("ZNE: Richardson"), N_("folded CNOTs 1×, 3×, 5×, extrapolated to 0")),
         ("nn", N_("ZNE: neural network"), N_("trained on 9 noise levels, at 0")))
#: the sliders of the chain: parameter -> label (symbols alone stay as they are)
SLIDERS = (("Jx", "Jx"), ("Jy", "Jy"), ("Jz", "Jz"), ("D", N_("DM coupling D")), ("K", N_("KSEA coupling K")),
           ("B", N_("Field B (along z)")), ("b", N_("Alternating field b (B + b, B − b, …)")))
#: the Richardson fit's degree: its name (also in the extrapolation's summary) -> zne_order
ZNE_ORDERS = {N_("linear"): 1, N_("quadratic"): 2}
#: what the energy sentence says of the ground level: (degenerate, gapped) -> the sentence
GROUND_SENTENCES = {
    (False, True): N_("Exact ground energy E₀ = {E0}; gap to the first excited level {gap}."),
    (True, True): N_("Exact ground energy E₀ = {E0}, {k}-fold degenerate; gap to the first excited level {gap}."),
    (False, False): N_("Exact ground energy E₀ = {E0}; no gap (every level degenerate)."),
    (True, False): N_("Exact ground energy E₀ = {E0}, {k}-fold degenerate; no gap (every level degenerate)."),
}


#: a slider's value as Bokeh's default format "0[.]00" writes it (1, 0.50), and the noise's "0.0%" (2.0%)
def shot_labels(tr) -> dict:
    """The shots menu in ``tr``'s language: label -> value of VQEModel.shots (counts grouped by a space)."""
    return {tr._("exact expectation (no shots)"): "exact",
            **{tr.ngettext("{n} shot", "{n} shots", int(s)).format(n=f"{int(s):,}".replace(",", " ")): s
               for s in SHOTS[1:]}}


class VQEView(LessonView):
    """Widgets, the optimisation player and the extrapolation figure for one browser session."""

    COLORS = COLORS
    MODEL = VQEModel

    #: read-outs a link can hide until the teacher reveals them (``?hide=E0,fidelity``)
    HIDEABLE = {"E0": N_("exact ground energy E₀"), "measured": N_("VQE energy"), "exact": N_("noiseless energy E(θ)"),
                "error": "E(θ) − E₀", "fidelity": N_("fidelity"), "richardson": N_("Richardson extrapolation"),
                "nn": N_("neural-network extrapolation")}

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
        m, _ = self.model, self._
        # a menu's help (its "?") is its parameter's doc, in the page's language (sliders show none)
        helped = lambda name: {"description": _(m.param[name].doc)}  # noqa: E731
        self.preset = pn.widgets.Select.from_param(m.param.preset, label=_("Couplings"), **helped("preset"),
                                                   options={_(label): key for key, (label, _J) in PRESETS.items()})
        self.sliders = {name: pn.widgets.FloatSlider.from_param(m.param[name], label=_(label))
                        for name, label in SLIDERS}
        self.n_qubits = pn.widgets.IntSlider.from_param(m.param.n_qubits, label=_("Qubits n"))
        self.layers = pn.widgets.IntSlider.from_param(m.param.layers, label=_("Entangling layers"))
        self.optimizer = pn.widgets.Select.from_param(m.param.optimizer, label=_("Optimiser"), **helped("optimizer"),
                                                      options={_(label): key for key, (label, _s) in OPTIMIZERS.items()})
        self.step = pn.widgets.FloatSlider.from_param(m.param.step, label=_("Step size"))
        self.iterations = pn.widgets.IntSlider.from_param(m.param.iterations, label=_("Iterations"), step=10)
        self.seed = pn.widgets.IntSlider.from_param(m.param.seed, label=_("Seed (start angles, SPSA, shots)"), end=99)
        self.shots = pn.widgets.Select.from_param(m.param.shots, label=_("Shots per energy and basis"),
                                                  options=shot_labels(self.tr), **helped("shots"))
        self.p = pn.widgets.FloatSlider.from_param(m.param.p, label=_("Depolarizing noise p per CNOT"), format="0.0%")
        self.zne_order = pn.widgets.RadioButtonGroup.from_param(
            m.param.zne_order, options={_(name): order for name, order in ZNE_ORDERS.items()}, label=_("Richardson fit"),
            **helped("zne_order"))
        self.step_text = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "calc(13px * var(--ql-scale, 1))"})
        show = lambda *_e: setattr(self.step_text, "object", plain_text(  # noqa: E731
            self._("Step: {meaning}.").format(meaning=self._(OPTIMIZERS[m.optimizer][1]))))
        m.param.watch(show, "optimizer")
        show()

    # ---- the extrapolation figure ------------------------------------------------------------------------
    def _make_figure(self):
        c = self.colors
        self.zne_points = ColumnDataSource(dict(x=[], y=[], lo=[], hi=[]))
        self.nn_points = ColumnDataSource(dict(x=[], y=[], lo=[], hi=[]))
        self.fit_line = ColumnDataSource(dict(x=[], y=[]))
        self.zero = ColumnDataSource(dict(x=[], y=[], lo=[], hi=[], color=[], name=[]))
        _ = self._
        # made with the English title (the name of its PNG and CSV files), then shown in the page's language
        title = N_("Zero-noise extrapolation at the final angles (after a run has played)")
        f = lesson_figure(title, _("noise scale λ (CNOTs folded λ times; error probability 1 − (1 − p)^λ)"),
                          _("energy"), height=360, x_range=Range1d(-0.3, 5.4), y_range=Range1d(-1, 1))
        f.title.text = _(title)
        f.line("x", "y", source=self.fit_line, color=c["fit"], line_width=2, line_dash="dashed",
               legend_label=_("Richardson fit"))
        f.scatter("x", "y", source=self.nn_points, color=c["nn"], size=6, marker="square",
                  legend_label=_("noise levels for the network"))
        f.add_layout(Whisker(source=self.nn_points, base="x", lower="lo", upper="hi", line_color=c["nn"]))
        f.scatter("x", "y", source=self.zne_points, color=c["points"], size=10,
                  legend_label=_("folded circuits (λ = 1, 3, 5)"))
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
            self.status.object = plain_text(self._("Could not start this run: {reason}").format(reason=str(err)))
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
            self.zne_text.object = plain_text(self._("The extrapolation failed: {reason}").format(reason=str(err)))
            return
        self._show_cards(run, z)
        self._draw_zne(z)

    # ---- read-outs --------------------------------------------------------------------------------------
    def _show_problem(self, floor):
        m, tr = self.model, self.tr
        pb = problem(*m.problem_key())
        n, layers, angles, cnots, terms = m.n_qubits, m.layers, m.n_params(), m.cnot_count(), len(pb.terms)
        # the bold head is a msgid of its own (the pseudo-locale's brackets stay inside the bold text)
        head = tr._("{qubits}, {layers}:").format(qubits=tr.ngettext("{n} qubit", "{n} qubits", n).format(n=n),
                                                  layers=tr.ngettext("{n} layer", "{n} layers", layers).format(n=layers))
        sentences = [
            f"**{head}**",
            tr._("{angles} and {cnots}.").format(angles=tr.ngettext("{n} angle", "{n} angles", angles).format(n=angles),
                                                 cnots=tr.ngettext("{n} CNOT", "{n} CNOTs", cnots).format(n=cnots)),
            tr.ngettext("H has {terms}, measured in {n} basis ({bases}).", "H has {terms}, measured in {n} bases ({bases}).",
                        len(pb.groups)).format(terms=tr.ngettext("{n} Pauli term", "{n} Pauli terms", terms).format(n=terms),
                                               n=len(pb.groups), bases=", ".join(g[0] for g in pb.groups)),
            tr._(GROUND_SENTENCES[pb.degeneracy > 1, pb.gap > 0]).format(
                E0=tr.num(pb.E0, ".5g"), k=pb.degeneracy, gap=tr.num(pb.gap, ".4g"))]
        if floor is not None:
            sentences.append(tr._("With p = {p}, the angles that are best without noise (E = {best}) measure {floor}: "
                                  "the noise floor.").format(p=tr.localized(f"{m.noise:.1%}"),
                                                             best=tr.num(floor["best"], ".4g"),
                                                             floor=tr.num(floor["floor"], ".4g")))
        self.status.object = " ".join(sentences)

    def _show_cards(self, run, z: dict | None = None):
        num = self.tr.num
        if run is None:
            pb = self.model.problem()
            values = {key: "–" for key, _l, _h in CARDS}
            values["E0"] = num(pb.E0, ".4f")
        else:
            s = run.summary()
            err = f" ± {num(s['stderr'], '.3f')}" if run.s.shots else ""
            values = {"E0": num(run.pb.E0, ".4f"), "measured": num(s["measured"], ".4f") + err,
                      "exact": num(s["exact"], ".4f"), "fidelity": num(s["fidelity"], ".3f"),
                      "richardson": f"{num(z['richardson'], '.4f')} ± {num(z['richardson_err'], '.3f')}",
                      "nn": f"{num(z['nn'], '.4f')} ± {num(z['nn_err'], '.3f')}"}
        self.cards.object = readout_cards(CARDS, values, self.tr)

    def _clear_figure(self):
        with pn.io.hold():
            for src in (self.zne_points, self.nn_points, self.zero):
                src.data = {k: [] for k in src.data}
            self.fit_line.data = dict(x=[], y=[])
        if self.model.noise > 0:
            text = self._("The extrapolation is computed at the final angles once the run has played to its end.")
        else:
            text = self._("The extrapolation is computed at the final angles once the run has played to its end: set "
                          "a noise p above 0 to see what it wins back.")
        self.zne_text.object = text

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
                                  name=[self._("Richardson at λ = 0"), self._("neural network at λ = 0")])
            self.target_span.location = z["target"]
            self.e0_span.location = z["E0"]
            ys = np.concatenate([z["E"] - z["dE"], z["E"] + z["dE"], z["nn_E"], [z["richardson"], z["nn"], z["target"], z["E0"]]])
            lo, hi = float(np.min(ys)), float(np.max(ys))
            pad = 0.08 * max(hi - lo, 1e-3)
            self.zne_fig.y_range.update(start=lo - pad, end=hi + pad)
        gained = abs(z["noisy"] - z["target"]) - abs(z["richardson"] - z["target"])
        _, num = self._, self.tr.num
        aim = _("Green line: the noiseless energy of these angles, E(θ) = {target}, what extrapolation aims at (the "
                "dashed line is E₀ = {E0}: no mitigation can beat the circuit itself).")
        if gained >= 0:
            result = _("Measured at λ = 1: {noisy}; Richardson ({fit}): {richardson} ± {richardson_err} (closer by "
                       "{gain}); neural network: {nn} ± {nn_err}.")
        else:
            result = _("Measured at λ = 1: {noisy}; Richardson ({fit}): {richardson} ± {richardson_err} (further by "
                       "{gain}); neural network: {nn} ± {nn_err}.")
        fit = next(name for name, order in ZNE_ORDERS.items() if order == z["order"])
        self.zne_text.object = plain_text(
            aim.format(target=num(z["target"], ".4f"), E0=num(z["E0"], ".4f")) + " " +
            result.format(noisy=num(z["noisy"], ".4f"), fit=_(fit), richardson=num(z["richardson"], ".4f"),
                          richardson_err=num(z["richardson_err"], ".3f"), gain=num(abs(gained), ".3g"),
                          nn=num(z["nn"], ".4f"), nn_err=num(z["nn_err"], ".3f")))

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
        s, _ = self.sliders, self._
        return [
            pn.pane.Markdown("### " + _("The chain")), self.preset, s["Jx"], s["Jy"], s["Jz"], s["D"], s["K"], s["B"],
            s["b"], self.n_qubits,
            pn.pane.Markdown("### " + _("The circuit and the optimiser")), self.layers, self.optimizer, self.step,
            self.step_text, self.iterations, self.seed,
            pn.pane.Markdown("### " + _("The quantum computer")), self.shots, self.p,
            pn.pane.Markdown("### " + _("Error mitigation")), self.zne_order,
        ]

    def main(self) -> list:
        # the animation first (on a phone it is the first thing under the header), then the numbers
        self.layout = pn.Column(self.notices, self.notes, self.player, self.cards, self.status, sizing_mode="stretch_width")
        return [self.layout]

    def load_secondary(self) -> None:
        """The extrapolation figure and the lesson text (after the first paint, in a served page)."""
        if len(self.layout) > 5:
            return
        about = LazyTabs((self._("Lesson"), lambda: lesson_text(HERE / "lesson.md", self.tr)),
                         (self._("Teacher notes"), lambda: lesson_text(HERE / "model.md", self.tr)),
                         sizing_mode="stretch_width")
        self.layout.extend([pn.pane.Bokeh(self.zne_fig, sizing_mode="stretch_width"), self.zne_text, about])


def create_app():
    """One session of the VQE lesson (called by apps/vqe.py per browser tab)."""
    return lesson_app(N_("Variational quantum eigensolver"), VQEModel, VQEView)
