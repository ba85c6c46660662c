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


class TunnelingView(LessonView):
    """Widgets, plots and the frame pump for one browser session."""

    #: read-outs a link can hide until the teacher reveals them (``?hide=T,R``)
    HIDEABLE = {"predicted": "predicted packet transmission", "T": "transmitted T", "R": "reflected R",
                "passed": "passed the barrier", "inside": "still inside"}

    MODEL = TunnelingModel

    def __init__(self, model: TunnelingModel | None = None, look=None):
        super().__init__(model, look)
        m = model = self.model
        self.player = WavePlayer(speed=m.speed, sizing_mode="stretch_width")
        shape_labels = {label: key for key, (_, label, _) in potentials.SHAPES.items()}
        self.shape = pn.widgets.Select.from_param(m.param.shape, label="Barrier shape", options=shape_labels)
        self.height = pn.widgets.FloatSlider.from_param(m.param.height, label="Barrier height V₀")
        self.width = pn.widgets.FloatSlider.from_param(m.param.width, label="Barrier width")
        self.position = pn.widgets.FloatSlider.from_param(m.param.position, label="Barrier position")
        self.separation = pn.widgets.FloatSlider.from_param(m.param.separation, label="Gap between barriers")
        self.energy = pn.widgets.FloatSlider.from_param(m.param.energy, label="Packet energy k₀²/2")
        self.sigma = pn.widgets.FloatSlider.from_param(m.param.sigma, label="Packet width σ")
        self.x0 = pn.widgets.FloatSlider.from_param(m.param.x0, label="Packet start x₀")
        self.speed = pn.widgets.FloatSlider.from_param(m.param.speed, label="Playback speed")
        self.display = pn.widgets.RadioButtonGroup(
            label="Show", options={"|ψ|²": "density", "Re ψ, Im ψ": "real_imag", "both": "both"},
            value="density")
        self.phase = pn.widgets.Checkbox(label="Colour |ψ|² by phase (advanced)", value=False)
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
        self.t_source = ColumnDataSource(dict(E=[], T=[]))
        self.band_source = ColumnDataSource(dict(E=[], lo=[], hi=[]))
        self.marks = ColumnDataSource(dict(E=[], T=[], label=[], color=[]))
        fig = lesson_figure("Exact transmission T(E) of this barrier", "energy E", "transmission T",
                      y_range=Range1d(-0.02, 1.05))
        fig.varea("E", "lo", "hi", source=self.band_source, color=self.c.green, alpha=0.18,
                  legend_label="packet's energies (±1σ)")
        fig.line("E", "T", source=self.t_source, line_width=2.5, color=self.c.navy, legend_label="exact T(E)")
        fig.scatter("E", "T", source=self.marks, size=11, color="color", legend_field="label")
        self.height_span = Span(location=1.0, dimension="height", line_dash="dashed", line_color=self.c.muted)
        fig.add_layout(self.height_span)
        legend_below(fig)         # under the plot it covers no curve, on a phone too
        self.t_fig = fig

        self.k_source = ColumnDataSource(dict(k=[], phi=[], T=[]))
        kfig = lesson_figure("Momentum distribution |φ(k)|² and T at each k", "wavenumber k", "|φ(k)|²")
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
                                   label=["predicted packet T"], color=[self.c.green])
            self.height_span.location = m.height if m.shape != "thin" else -1
            self.k_source.data = dict(k=k, phi=phi, T=Tk)
            self.separation.visible = m.shape == "double"
            self.width.disabled = m.shape == "step"
            warning = m.overlap_warning()
            self.warning.object = warning or ""
            self.warning.visible = bool(warning)

    def _readout_text(self, run) -> str:
        m = self.model
        lines = [f"**Predicted packet transmission** (exact T(E) averaged over the packet): "
                 f'<b class="ql-predicted">{self.predicted:.4f}</b>']
        if self._revealed(run):
            lines.append(f'**Simulation:** T = <b class="ql-T">{run.transmitted:.4f}</b>, '
                         f'R = <b class="ql-R">{run.reflected:.4f}</b>, '
                         f"still inside {run.sim.norm():.4f} at t = {run.sim.t:.1f}")
        elif run is not None:
            lines.append("The measured T appears here when the animation reaches its end "
                         "(watch the bars meanwhile).")
        if m.shape in ("rectangular", "double", "thin"):
            sw = m.simulated_width()
            if abs(sw - m.width) > 1e-9:
                lines.append(f"Barrier edges sit on grid cells of {m.x[1] - m.x[0]:.3f}: the simulated "
                             f"width is **{sw:.3f}** (you asked for {m.width:.3f}); the exact curve uses it too.")
        if m.shape == "thin":
            lines.append(f"Strength α = V₀·w = {m.height * m.simulated_width():.3f}: a δ-barrier of that "
                         f"strength has T = 1/(1 + α²/2E).")
        return "\n\n".join(lines)

    def _health_text(self, run) -> str:
        if run is None or not run.frames:
            return ""
        ok = run.health_sum < 1e-6
        drift = ("not measurable (the packet touches an absorber from the start)"
                 if run.energy_drift is None else f"{sci(run.energy_drift, 1)} (relative)")
        return (f"Numerical health: T + R + inside − 1 = {sci(run.health_sum, 1)} "
                f"({'✓ within 1e-6' if ok else '✗ above 1e-6'}); energy drift before absorption {drift}")

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
                                   label=["predicted packet T", "measured T (simulation)"],
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
            error = f"\n\n**{run.error}**" if run.done and run.error else ""
            self.readout.object = self._readout_text(run) + error
        self.health.object = self._health_text(run)

    def stop(self):
        """Forget the run (called when the session is destroyed): late requests compute nothing."""
        self.model.run = None

    # ---- layout --------------------------------------------------------------------------
    def sidebar(self) -> list:
        return [
            pn.pane.Markdown("### Barrier"), self.shape, self.height, self.width, self.position, self.separation,
            pn.pane.Markdown("### Wave packet"), self.energy, self.sigma, self.x0,
            pn.pane.Markdown("### Display"), self.display, self.phase, self.speed,
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
        about = LazyTabs(("Lesson", lambda: lesson_text(HERE / "lesson.md")),
                         ("Teacher notes", lambda: lesson_text(HERE / "model.md")), sizing_mode="stretch_width")
        self.layout.extend([figures, about])


def create_app():
    """One session of the Tunnelling lesson (called by apps/tunneling.py per browser tab)."""
    return lesson_app("Tunnelling", TunnelingModel, TunnelingView)
