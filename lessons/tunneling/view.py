"""Panel/Bokeh rendering of :class:`lessons.tunneling.model.TunnelingModel`.

The view owns no physics: it turns model outputs into a canvas animation (:class:`WavePlayer`),
two Bokeh figures (exact T(E) with the packet's energy band; the momentum distribution with T(k))
and text read-outs.  A new run sends its first few frames at once; after that the page asks for
more as it plays (``WavePlayer.page.request``), so the server computes only what is watched plus about
1.5 s of lead, and a paused, hidden or closed tab costs nothing.
"""
from __future__ import annotations

import pathlib

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource, Range1d, Span, LinearAxis

from physics import potentials
from lessons.common.figures import flow_row, legend_below, lesson_figure
from lessons.common.i18n import N_
from lessons.common.page import lesson_app, notice_alert
from lessons.common.sections import Debounced, LazyTabs
from lessons.common.text import lesson_text, sci
from lessons.common.view import LessonView
from lessons.tunneling.player import WavePlayer
from lessons.tunneling.model import ABSORBER, DISPLAY_STRIDE, QUERY_NAMES, TunnelingModel, X_MAX, X_MIN

__all__ = ["TunnelingView", "create_app"]

HERE = pathlib.Path(__file__).parent
FIRST_CHUNK = 8     # frames in the first chunk: something on screen within tens of milliseconds
MAX_CHUNK = 96      # the most frames one request computes (~30 ms), so other sessions are not held up
DEBOUNCE_MS = 120   # settings changes closer together than this cause one recompute

#: the barrier shapes' names as the shape menu shows them (physics.potentials.SHAPES's labels, marked
#: here for translation; a shape missing here is shown by its SHAPES label)
SHAPE_LABELS = {
    "rectangular": N_("Rectangular barrier"),
    "gaussian": N_("Gaussian barrier"),
    "double": N_("Double barrier (resonant tunnelling)"),
    "step": N_("Potential step"),
    "triangular": N_("Triangular (field emission)"),
    "thin": N_("Thin (delta-like) barrier"),
}
#: the legend labels of the marks on the T(E) figure
PREDICTED_MARK = N_("predicted packet T")
MEASURED_MARK = N_("measured T (simulation)")


class TunnelingView(LessonView):
    """Widgets, plots and the frame pump for one browser session."""

    #: read-outs a link can hide until the teacher reveals them (``?hide=T,R``)
    HIDEABLE = {"predicted": N_("predicted packet transmission"), "T": N_("transmitted T"), "R": N_("reflected R"),
                "passed": N_("passed the barrier"), "inside": N_("still inside")}

    MODEL = TunnelingModel

    def __init__(self, model: TunnelingModel | None = None, look=None):
        super().__init__(model, look)
        m = model = self.model
        _ = self._
        self.player = WavePlayer(speed=m.speed, sizing_mode="stretch_width")
        shape_labels = {_(SHAPE_LABELS.get(key, label)): key for key, (_fn, label, _sep) in potentials.SHAPES.items()}
        # (the menu's help text is the parameter's doc, as in English)
        self.shape = pn.widgets.Select.from_param(m.param.shape, label=_("Barrier shape"), options=shape_labels,
                                                  description=_("Barrier shape (a key of physics.potentials.SHAPES)."))
        def slider(parameter, label):
            return pn.widgets.FloatSlider.from_param(parameter, label=label)

        self.height = slider(m.param.height, _("Barrier height V₀"))
        self.width = slider(m.param.width, _("Barrier width"))
        self.position = slider(m.param.position, _("Barrier position"))
        self.separation = slider(m.param.separation, _("Gap between barriers"))
        self.energy = slider(m.param.energy, _("Packet energy k₀²/2"))
        self.sigma = slider(m.param.sigma, _("Packet width σ"))
        self.x0 = slider(m.param.x0, _("Packet start x₀"))
        self.speed = slider(m.param.speed, _("Playback speed"))
        self.display = pn.widgets.RadioButtonGroup(
            label=_("Show"), options={"|ψ|²": "density", "Re ψ, Im ψ": "real_imag", _("both"): "both"},
            value="density")
        self.phase = pn.widgets.Checkbox(label=_("Colour |ψ|² by phase (advanced)"), value=False)
        self.display.link(self.player, value="display")
        self.phase.link(self.player, value="phase")
        m.param.watch(lambda e: setattr(self.player, "speed", e.new), "speed")
        self.player.page.param.watch(self._on_ended, "ended_run")
        self.player.answer_pulls(lambda: self.model.run, self._pump, MAX_CHUNK)

        self.notices = notice_alert(m)
        self.warning = pn.pane.Alert(alert_type="info", visible=False, sizing_mode="stretch_width")
        self.readout = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "calc(15px * var(--ql-scale, 1))"})
        self.health = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "calc(13px * var(--ql-scale, 1))"})
        self._make_figures()

        m.param.watch(Debounced(self._recompute, DEBOUNCE_MS), list(TunnelingModel.PHYSICS))
        self._recompute()

    # ---- figures -------------------------------------------------------------------------
    def _make_figures(self):
        _ = self._
        self.t_source = ColumnDataSource(dict(E=[], T=[]))
        self.band_source = ColumnDataSource(dict(E=[], lo=[], hi=[]))
        self.marks = ColumnDataSource(dict(E=[], T=[], label=[], color=[]))
        # the figure is made with its English title, which names its PNG and CSV files; it shows the translation
        title = N_("Exact transmission T(E) of this barrier")
        fig = lesson_figure(title, _("energy E"), _("transmission T"), y_range=Range1d(-0.02, 1.05))
        fig.title.text = _(title)
        fig.varea("E", "lo", "hi", source=self.band_source, color=self.c.green, alpha=0.18,
                  legend_label=_("packet's energies (±1σ)"))
        fig.line("E", "T", source=self.t_source, line_width=2.5, color=self.c.navy, legend_label=_("exact T(E)"))
        fig.scatter("E", "T", source=self.marks, size=11, color="color", legend_field="label")
        self.height_span = Span(location=1.0, dimension="height", line_dash="dashed", line_color=self.c.muted)
        fig.add_layout(self.height_span)
        legend_below(fig)         # under the plot it covers no curve, on a phone too
        self.t_fig = fig

        self.k_source = ColumnDataSource(dict(k=[], phi=[], T=[]))
        title = N_("Momentum distribution |φ(k)|² and T at each k")
        kfig = lesson_figure(title, _("wavenumber k"), "|φ(k)|²")
        kfig.title.text = _(title)
        kfig.varea("k", 0, "phi", source=self.k_source, color=self.c.sky, alpha=0.35, legend_label="|φ(k)|²")
        kfig.extra_y_ranges = {"T": Range1d(0, 1.05)}
        kfig.add_layout(LinearAxis(y_range_name="T", axis_label="T"), "right")
        kfig.line("k", "T", source=self.k_source, y_range_name="T", line_width=2.5, color=self.c.navy,
                  legend_label="T(k²/2)")
        legend_below(kfig)
        self.k_fig = kfig

    def _refresh_static(self):
        """Everything that depends on the settings but not on time."""
        m = self.model
        E, T = m.exact_curve()
        lo, hi = m.energy_band()
        inband = (E >= lo) & (E <= hi)
        k, phi = m.momentum_distribution()
        Tk = np.interp(0.5 * k ** 2 * (k > 0), E, T, left=0.0)
        with pn.io.hold():
            self.t_source.data = dict(E=E, T=T)
            self.band_source.data = dict(E=E[inband], lo=np.zeros(inband.sum()), hi=np.ones(inband.sum()))
            self.marks.data = dict(E=[m.mean_energy()], T=[self.predicted],
                                   label=[self._(PREDICTED_MARK)], color=[self.c.green])
            self.height_span.location = m.height if m.shape != "thin" else -1
            self.k_source.data = dict(k=k, phi=phi, T=Tk)
            self.separation.visible = m.shape == "double"
            self.width.disabled = m.shape == "step"
            warning = m.overlap_warning()
            self.warning.object = warning or ""
            self.warning.visible = bool(warning)

    def _readout_text(self, run) -> str:
        # Markup (bold, a value's <b>) only around whole translated strings: a pseudo-locale page
        # checks each run of text between tags for its own ⟦ ⟧.
        m, _, num = self.model, self._, self.tr.num
        lines = ["**{label}** ({note}): {value}".format(
            label=_("Predicted packet transmission"), note=_("exact T(E) averaged over the packet"),
            value=f'<b class="ql-predicted">{num(self.predicted, ".4f")}</b>')]
        if self._revealed(run):
            lines.append("**{label}** T = {T}, R = {R}, {inside}".format(
                label=_("Simulation:"), T=f'<b class="ql-T">{num(run.transmitted, ".4f")}</b>',
                R=f'<b class="ql-R">{num(run.reflected, ".4f")}</b>',
                inside=_("still inside {inside} at t = {t}").format(inside=num(run.sim.norm(), ".4f"),
                                                                     t=num(run.sim.t, ".1f"))))
        elif run is not None:
            lines.append(_("The measured T appears here when the animation reaches its end "
                           "(watch the bars meanwhile)."))
        if m.shape in ("rectangular", "double", "thin"):
            sw = m.simulated_width()
            if abs(sw - m.width) > 1e-9:
                # TRANSLATORS: the simulated width follows this in bold, then "(you asked for ...)"
                before = _("Barrier edges sit on grid cells of {dx}: the simulated width is").format(
                    dx=num(m.x[1] - m.x[0], ".3f"))
                after = _("(you asked for {width}); the exact curve uses it too.").format(width=num(m.width, ".3f"))
                lines.append(f"{before} **{num(sw, '.3f')}** {after}")
        if m.shape == "thin":
            lines.append(_("Strength α = V₀·w = {alpha}: a δ-barrier of that strength has T = 1/(1 + α²/2E).").format(
                alpha=num(m.height * m.simulated_width(), ".3f")))
        return "\n\n".join(lines)

    def _health_text(self, run) -> str:
        if run is None or not run.frames:
            return ""
        _, sci_ = self._, (lambda v: self.tr.localized(sci(v, 1)))
        ok = run.health_sum < 1e-6
        drift = (_("not measurable (the packet touches an absorber from the start)")
                 if run.energy_drift is None else _("{drift} (relative)").format(drift=sci_(run.energy_drift)))
        return _("Numerical health: T + R + inside − 1 = {sum} ({check}); energy drift before absorption {drift}").format(
            sum=sci_(run.health_sum), check=_("✓ within 1e-6") if ok else _("✗ above 1e-6"), drift=drift)

    # ---- the run -------------------------------------------------------------------------
    def _recompute(self):
        self.predicted = self.model.predicted_transmission()
        # the new run goes out before the figures and the text: the student waits for it, and the
        # page handles the messages in order (the figures' patch first made it ~15 ms later)
        self._restart()
        self._refresh_static()

    def _revealed(self, run) -> bool:
        """Whether the browser has played ``run`` to its end, so its measured T may be shown."""
        return run is not None and run.done and self.player.page.ended_run == run.run_id

    def _on_ended(self, *_):
        run = self.model.run
        self.readout.object = self._readout_text(run)
        if self._revealed(run):
            E = self.model.mean_energy()
            self.marks.data = dict(E=[E, E], T=[self.predicted, run.transmitted],
                                   label=[self._(PREDICTED_MARK), self._(MEASURED_MARK)],
                                   color=[self.c.green, self.c.vermilion])

    def _restart(self):
        m = self.model
        run = m.new_run()
        V = m.potential()[::DISPLAY_STRIDE].astype(np.float32)
        psi0 = run.sim.psi
        pmax = float(np.max(np.abs(psi0) ** 2))
        emax = m.energy_axis_max()
        self.player.start(run=run.run_id, xmin=X_MIN, xmax=X_MAX, V=V, absorber=ABSORBER,
                          emin=-0.04 * emax, emax=emax, energy=m.mean_energy(), pmax=pmax, wave_span=0.3 * emax,
                          predicted=self.predicted)
        self._pump(FIRST_CHUNK, new=True)

    def _pump(self, n_frames: int = MAX_CHUNK, new: bool = False):
        """Compute and send up to ``n_frames`` more frames of the current run (``new``: its first)."""
        run = self.model.run
        if run is None:
            return
        chunk = run.next_chunk(n_frames)
        if chunk is not None:
            self.player.push_frames(chunk)
        if new or run.done:
            error = f"\n\n**{self._(run.error)}**" if run.done and run.error else ""
            self.readout.object = self._readout_text(run) + error
        self.health.object = self._health_text(run)

    def stop(self):
        """Forget the run (called when the session is destroyed): late requests compute nothing."""
        self.model.run = None

    # ---- layout --------------------------------------------------------------------------
    def sidebar(self) -> list:
        _ = self._
        return [
            pn.pane.Markdown("### " + _("Barrier")), self.shape, self.height, self.width, self.position, self.separation,
            pn.pane.Markdown("### " + _("Wave packet")), self.energy, self.sigma, self.x0,
            pn.pane.Markdown("### " + _("Display")), self.display, self.phase, self.speed,
        ]

    def main(self) -> list:
        """The main column: the animation and its read-outs first, figures and text once loaded."""
        self.layout = pn.Column(self.notices, self.warning, self.player, self.readout, self.health,
                                sizing_mode="stretch_width")
        return [self.layout]

    def load_secondary(self) -> None:
        """Add the two figures and the lesson text (after the first paint, in a served page)."""
        if len(self.layout) > 5:
            return
        figures = flow_row(pn.pane.Bokeh(self.t_fig, sizing_mode="stretch_width"),
                         pn.pane.Bokeh(self.k_fig, sizing_mode="stretch_width"), sizing_mode="stretch_width")
        about = LazyTabs((self._("Lesson"), lambda: lesson_text(HERE / "lesson.md", self.tr)),
                         (self._("Teacher notes"), lambda: lesson_text(HERE / "model.md", self.tr)),
                         sizing_mode="stretch_width")
        self.layout.extend([figures, about])


def create_app():
    """One session of the Tunnelling lesson (called by apps/tunneling.py per browser tab)."""
    return lesson_app(N_("Tunnelling"), TunnelingModel, TunnelingView)
