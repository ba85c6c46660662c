"""Panel/Bokeh rendering of :class:`lessons.bound_states.model.BoundStatesModel`.

The view owns no physics.  It sends the model's levels and superposition to the browser player
(:class:`EigenPlayer`, which animates them itself), turns measurement clicks into model calls,
draws the measurement histograms and the PINN's loss, energy and wavefunction in Bokeh figures,
and trains the PINN a slice at a time from a periodic callback so the page stays responsive.  The
callback stops on Pause, when training is done, and when the tab or session goes away.

Every string it shows is an English msgid shown in the page's language (``self._``; ``N_`` marks the
module's tables), every number written with the page's decimal sign (``self.tr.num``).
"""
from __future__ import annotations

import pathlib
import time

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource, LinearAxis, Range1d, Span

from lessons.bound_states.model import (N_COEFFS, PINN_DEMOS, QUERY_NAMES, SHAPE_NAMES, SHAPE_PARAMS, X_MAX, X_MIN,
                                        BoundStatesModel)
from lessons.bound_states.player import EigenPlayer
from lessons.common.figures import flow_row, lesson_figure
from lessons.common.i18n import N_
from lessons.common.page import lesson_app, notice_alert
from lessons.common.sections import Debounced, LazyTabs, Section, tab_closed
from lessons.common.text import lesson_text, plain_text
from lessons.common.view import LessonView

__all__ = ["BoundStatesView", "create_app"]

HERE = pathlib.Path(__file__).parent
FIGURE_HEIGHT = 260           # the measurement and PINN figures (two side by side)
DISPLAY_STRIDE = 2            # every 2nd grid point goes to the browser (481 points)
DEBOUNCE_MS = 120             # settings changes closer together than this cause one resend
TRAIN_PERIOD_MS = 150         # the PINN trains in slices this often ...
TRAIN_SLICE_S = 0.06          # ... of about this much CPU, so other sessions and events get turns
PINN_MAX_STEPS = 30000        # training stops by itself here
MEASURE_TAB, PINN_TAB = N_("Measurements"), N_("Neural network (PINN)")      # English msgids: shown translated
LR_CHOICES = {"0.0001": 1e-4, "0.0003": 3e-4, "0.001": 1e-3, "0.003": 3e-3, "0.01": 1e-2, "0.03": 3e-2}
#: The PINN's states to learn (English msgids, shown translated).
PINN_STATES = {N_("Ground state"): 0, N_("1st excited (orthogonal to the ground state)"): 1,
               N_("2nd excited (orthogonal to both below)"): 2}


def _thin(a: np.ndarray, n: int = 600) -> np.ndarray:
    """At most ``n`` evenly spread indices into ``a`` (always including the last)."""
    return np.unique(np.linspace(0, len(a) - 1, min(n, len(a))).astype(int))


class BoundStatesView(LessonView):
    """Widgets, figures and callbacks for one browser session."""

    #: read-outs a link can hide until the teacher reveals them (``?hide=mean-E``)
    HIDEABLE = {"mean-E": N_("⟨E⟩"), "mean-x": N_("⟨x⟩")}

    MODEL = BoundStatesModel

    def __init__(self, model: BoundStatesModel | None = None, look=None):
        super().__init__(model, look)
        m = model = self.model
        self.player = EigenPlayer(sizing_mode="stretch_width", levels=m.levels, speed=m.speed, mode=m.mode,
                                  show_re=m.show_re, show_im=m.show_im, show_density=m.show_density,
                                  guess=m.guess, show_levels=m.levels_visible)
        self.player.on_measure(self._on_measure)
        self._make_widgets()
        self.measure_count = pn.pane.Markdown(self._("No measurements yet: use the buttons above the plot."),
                                              sizing_mode="stretch_width")
        # the measurement, PINN and text tabs come after the first paint (load_secondary); each
        # tab's figures are made when it is first opened
        self.tabs = LazyTabs(sizing_mode="stretch_width")
        self._train_cb = None
        self._slice_steps = 20
        # the player's setup (the well and its levels) is sent again when the well changes
        self.well_section = Section(model, lambda: ("shape", *model.shape_params()), self._send_setup)
        self._t_last = 0.0

        for name in ("levels", "mode", "speed", "show_re", "show_im", "show_density", "guess"):
            m.param.watch(lambda e: setattr(self.player, e.name, e.new), name)
        m.param.watch(self._on_visibility, ["predict", "revealed"])
        m.param.watch(Debounced(self._refresh_well, DEBOUNCE_MS), ["shape", *SHAPE_PARAMS])
        # a new well sends its state after its levels (see _refresh_well), never before them
        m.param.watch(lambda e: self._send_state(reset=True), "state_id")
        m.param.watch(lambda e: self._refresh_histograms(), "outcomes")
        m.param.watch(self._on_pinn_settings, ["pinn_width", "pinn_state", "pinn_demo", "shape", *SHAPE_PARAMS])
        self._refresh_well()
        self.layout = pn.Column(self.notices, self.collapse_note, self.player, self.readout,
                                sizing_mode="stretch_width")

    # ---- widgets ---------------------------------------------------------------------------
    def _widget(self, cls, name: str, label: str, **kw):
        """``cls.from_param`` of the model's parameter ``name``, labelled ``label`` (an English msgid);
        where ``cls`` shows help (a select, a button group: Panel's ``description``, the parameter's
        doc), that in the page's language too."""
        doc = self.model.param[name].doc
        if doc and "description" in cls.param:
            kw["description"] = self._(doc)
        return cls.from_param(self.model.param[name], label=self._(label), **kw)

    def _button_width(self, label: str) -> int:
        """A PINN button's width: 100 px, or wider where its label (a longer language, a larger type)
        would not fit (about 7.2 px a character at 13 px, and the button's padding)."""
        return max(100, round(len(label) * 7.2 * self.look.font_scale + 24))

    def _make_widgets(self):
        m, _ = self.model, self._
        self.shape = self._widget(pn.widgets.Select, "shape", N_("Potential"),
                                  options={_(SHAPE_NAMES[key]): key for key in m.param.shape.objects})
        self.sliders = {}
        for name in SHAPE_PARAMS:
            cls = pn.widgets.IntSlider if name == "count" else pn.widgets.FloatSlider
            self.sliders[name] = self._widget(cls, name, m.label(name))
        self.levels = self._widget(pn.widgets.IntSlider, "levels", N_("Levels drawn"))
        self.mode = self._widget(pn.widgets.RadioButtonGroup, "mode", N_("View"),
                                 options={_("Superposition"): "superposition", _("Eigenstates"): "eigenstates"})
        self.show = pn.widgets.CheckButtonGroup(
            label=_("Draw"), options={"Re ψ": "show_re", "Im ψ": "show_im", "|ψ|²": "show_density"},
            value=[k for k in ("show_re", "show_im", "show_density") if getattr(m, k)])
        self.show.param.watch(lambda e: m.param.update(**{k: k in e.new for k in ("show_re", "show_im", "show_density")}),
                              "value")
        m.param.watch(lambda *_: setattr(self.show, "value", [k for k in ("show_re", "show_im", "show_density")
                                                            if getattr(m, k)]),
                      ["show_re", "show_im", "show_density"])
        self.speed = self._widget(pn.widgets.FloatSlider, "speed", N_("Playback speed"))
        self.coeff_rows = []
        for n in range(N_COEFFS):
            # |c1| is a symbol: no msgid
            a = pn.widgets.FloatSlider.from_param(m.param[f"a{n}"], label=f"|c{n + 1}|", width=140)
            p = pn.widgets.FloatSlider.from_param(m.param[f"p{n}"], label=_("phase {n} (°)").format(n=n + 1),
                                                  width=140)
            self.coeff_rows.append(pn.Row(a, p, margin=0))
        self.prepare = pn.widgets.Button(label=_("Prepare this state again (t = 0)"), color="default")
        self.prepare.on_click(lambda _e: m.prepare())
        self.predict = self._widget(pn.widgets.Toggle, "predict", N_("Predict first: hide the levels"))
        self.guess = self._widget(pn.widgets.FloatSlider, "guess", N_("Your guess for E₁"))
        self.reveal = pn.widgets.Button(label=_("Reveal the levels"), color="primary")
        self.reveal_text = pn.pane.Markdown("", sizing_mode="stretch_width")
        self.reveal.on_click(lambda _e: setattr(self.reveal_text, "object", plain_text(m.reveal())))
        self._on_visibility()
        m.param.watch(self._show_sliders, "shape")
        self._show_sliders()

        self.notices = notice_alert(m)
        self.collapse_note = pn.pane.Alert(alert_type="info", visible=False, sizing_mode="stretch_width")
        self.readout = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "calc(15px * var(--ql-scale, 1))"})

        # PINN controls
        # the symbols are part of the msgids: "Pause" and "Reset" alone are the shared catalogue's
        self.train = pn.widgets.Button(label=_("▶ Train"), color="success", width=self._button_width(_("▶ Train")))
        self.pause = pn.widgets.Button(label=_("‖ Pause"), color="default", width=self._button_width(_("‖ Pause")))
        self.reset = pn.widgets.Button(label=_("⟲ Reset"), color="default", width=self._button_width(_("⟲ Reset")))
        self.train.on_click(lambda _e: self.start_training())
        self.pause.on_click(lambda _e: self.pause_training())
        self.reset.on_click(lambda _e: self.reset_training())
        self.pinn_width = self._widget(pn.widgets.IntSlider, "pinn_width", N_("Neurons per hidden layer"), step=4)
        lr_label = min(LR_CHOICES, key=lambda k: abs(np.log(LR_CHOICES[k] / m.pinn_lr)))
        # the rates shown with the page's decimal sign (the model and the link keep the numbers)
        self.pinn_lr = pn.widgets.DiscreteSlider(label=_("Learning rate"),
                                                 options={self.tr.localized(k): v for k, v in LR_CHOICES.items()},
                                                 value=LR_CHOICES[lr_label])
        self.pinn_lr.param.watch(lambda e: setattr(m, "pinn_lr", e.new), "value")
        m.param.watch(lambda e: setattr(self.pinn_lr, "value", min(LR_CHOICES.values(),
                                                                   key=lambda v: abs(np.log(v / e.new)))),
                      "pinn_lr")
        self.pinn_state = self._widget(pn.widgets.Select, "pinn_state", N_("State to learn"),
                                       options={_(k): v for k, v in PINN_STATES.items()})
        self.pinn_demo = self._widget(pn.widgets.Select, "pinn_demo", N_("Show"),
                                      options={_(v): k for k, v in PINN_DEMOS.items()})
        self.pinn_status = pn.pane.Markdown(_("Press **Train** to start."), sizing_mode="stretch_width",
                                            styles={"font-size": "calc(15px * var(--ql-scale, 1))"})

    def _show_sliders(self, *_):
        used = set(self.model.shape_params())
        for name, slider in self.sliders.items():
            slider.visible = name in used
            slider.label = self._(self.model.label(name))

    def _on_visibility(self, *_):
        m = self.model
        self.player.show_levels = m.levels_visible
        self.guess.visible = self.reveal.visible = m.predict and not m.revealed
        if not m.predict:
            self.reveal_text.object = ""
        if hasattr(self, "layout"):       # not during construction
            self._refresh_readout()
            self._refresh_pinn_figures()

    # ---- figures ---------------------------------------------------------------------------
    def _figure(self, title: str, x_label: str, y_label: str, **kw):
        """:func:`lesson_figure` with its title and axis labels (English msgids; a symbol alone such as
        "x" passes through) in the page's language; its PNG and CSV file names stay the English title's."""
        fig = lesson_figure(title, self._(x_label), self._(y_label), **kw)
        fig.title.text = self._(title)
        return fig

    def _measure_tab(self) -> pn.Column:
        """Histograms of energy and position outcomes against the Born rule."""
        _ = self._
        self.e_hist = ColumnDataSource(dict(n=[], observed=[], predicted=[]))
        f = self._figure(N_("Energy measurements: fraction of outcomes per level"), N_("level n"), N_("fraction"),
                         height=FIGURE_HEIGHT)
        f.vbar("n", top="observed", width=0.7, source=self.e_hist, color=self.c.green, alpha=0.7,
               legend_label=_("measured"))
        f.scatter("n", "predicted", source=self.e_hist, size=12, marker="dash", color=self.c.ink, line_width=3,
                  legend_label=_("|cₙ|² predicted"))
        f.legend.location = "top_right"
        self.e_fig = f
        self.x_hist = ColumnDataSource(dict(left=[], right=[], observed=[]))
        self.x_density = ColumnDataSource(dict(x=[], p=[]))
        g = self._figure(N_("Position measurements: histogram of outcomes"), "x", N_("probability density"),
                         x_range=Range1d(X_MIN, X_MAX), height=FIGURE_HEIGHT)
        g.quad(left="left", right="right", top="observed", bottom=0, source=self.x_hist, color=self.c.magenta,
               alpha=0.5, legend_label=_("measured"))
        g.line("x", "p", source=self.x_density, color=self.c.deep, line_width=2, legend_label=_("|ψ(x, t)|² now"))
        g.legend.location = "top_right"
        self.x_fig = g

        self._refresh_histograms()
        return pn.Column(self.measure_count,
                         flow_row(pn.pane.Bokeh(self.e_fig, sizing_mode="stretch_width"),
                                pn.pane.Bokeh(self.x_fig, sizing_mode="stretch_width"),
                                sizing_mode="stretch_width"), sizing_mode="stretch_width")

    def _pinn_tab(self) -> pn.Column:
        """The PINN's controls, its loss and energy while it trains, and its psi over the exact one."""
        _ = self._
        self.loss_src = ColumnDataSource(dict(step=[], loss=[], residual=[], norm=[], orth=[]))
        lf = self._figure(N_("PINN loss (log scale)"), N_("training step"), N_("loss"), y_axis_type="log",
                          height=FIGURE_HEIGHT)
        lf.line("step", "loss", source=self.loss_src, color=self.c.ink, line_width=2.5, legend_label=_("total"))
        lf.line("step", "residual", source=self.loss_src, color=self.c.vermilion, line_width=1.8,
                legend_label=_("Schrödinger residual"))
        lf.line("step", "norm", source=self.loss_src, color=self.c.blue, line_width=1.8, line_dash="dashed",
                legend_label=_("normalisation (∫ψ² − 1)²"))
        lf.line("step", "orth", source=self.loss_src, color=self.c.violet, line_width=1.8, line_dash="dotted",
                legend_label=_("orthogonality"))
        lf.legend.location = "bottom_left"     # the warm-up leaves that corner empty; the PINN phase needs the right
        lf.legend.label_text_font_size = "12px"
        # where the variational warm-up hands over to the residual loss
        self.warm_spans = [Span(location=None, dimension="height", line_color=self.c.ash, line_dash="dotdash",
                                line_width=1.5) for _ in range(2)]
        lf.add_layout(self.warm_spans[0])
        self.loss_fig = lf
        self.energy_src = ColumnDataSource(dict(step=[], E=[]))
        ef = self._figure(N_("PINN energy E(step); dashed: exact"), N_("training step"), "E", y_range=Range1d(0, 1),
                          height=FIGURE_HEIGHT)
        ef.line("step", "E", source=self.energy_src, color=self.c.green, line_width=2.5, legend_label=_("network's E"))
        self.e_exact = Span(location=0, dimension="width", line_color=self.c.ink, line_dash="dashed", line_width=2)
        ef.add_layout(self.e_exact)
        ef.add_layout(self.warm_spans[1])
        ef.legend.location = "top_right"
        self.energy_fig = ef
        self.psi_src = ColumnDataSource(dict(x=[], exact=[], net=[], error=[]))
        pf = self._figure(N_("Network ψ over the exact ψ, and their difference"), "x", "ψ", height=300,
                          x_range=Range1d(X_MIN, X_MAX))
        pf.line("x", "exact", source=self.psi_src, color=self.c.ink, line_width=3, alpha=0.5, legend_label=_("exact ψ"))
        pf.line("x", "net", source=self.psi_src, color=self.c.green, line_width=2, legend_label=_("network ψ"))
        pf.extra_y_ranges = {"err": Range1d(-0.01, 0.01)}
        pf.add_layout(LinearAxis(y_range_name="err", axis_label=_("difference")), "right")
        pf.line("x", "error", source=self.psi_src, y_range_name="err", color=self.c.vermilion, line_width=1.5,
                line_dash="dashed", legend_label=_("network − exact (right axis)"))
        pf.legend.location = "top_left"
        pf.legend.label_text_font_size = "12px"
        self.psi_fig = pf
        self._refresh_pinn_figures()
        return pn.Column(
            flow_row(self.train, self.pause, self.reset, self.pinn_status, sizing_mode="stretch_width"),
            flow_row(self.pinn_width, self.pinn_lr, self.pinn_state, self.pinn_demo, sizing_mode="stretch_width"),
            flow_row(pn.pane.Bokeh(self.loss_fig, sizing_mode="stretch_width"),
                   pn.pane.Bokeh(self.energy_fig, sizing_mode="stretch_width"), sizing_mode="stretch_width"),
            pn.pane.Bokeh(self.psi_fig, sizing_mode="stretch_width"),
            sizing_mode="stretch_width")

    # ---- the well and the state ------------------------------------------------------------
    def _refresh_well(self):
        self.well_section.refresh()
        self._send_state(reset=True)
        self._refresh_readout()
        self._refresh_histograms()
        self._refresh_pinn_figures()

    def _send_setup(self):
        """The well, its levels and their states: the player's setup (a new run)."""
        m = self.model
        E, psi = m.spectrum()
        key = m.well_key()
        s = slice(None, None, DISPLAY_STRIDE)
        V = m.potential()[s]
        gap = float(E[1] - E[0]) if E.size > 1 else 1.0
        self.player.start(
            run=hash(key) & 0x7FFFFFFF, x=m.x[s].astype(np.float32),
            V=np.where(np.isfinite(V), V, 1e30).astype(np.float32), E=E.tolist(),
            states=psi[:, s].astype(np.float32).ravel(), emin=-0.04 * m.energy_axis_max(),
            emax=m.energy_axis_max(), rim=m.rim() if np.isfinite(m.rim()) else 1e30,
            xmin=X_MIN, xmax=X_MAX,
            # one beat of the two lowest levels takes about 4 s at speed 1
            rate=2 * np.pi / max(gap, 1e-9) / 4)

    def _send_state(self, reset: bool):
        m = self.model
        if self.well_section.stale:
            return      # a new well is on its way: its state follows its levels (_refresh_well)
        c = m.coefficients
        self.player.push(state=m.state_id, re=c.real.astype(np.float32), im=c.imag.astype(np.float32),
                         t0=m.t_ref, mean_E=m.mean_energy(), period=m.bohr_period() or 0.0,
                         note=self._("after a measurement") if m.collapsed else "",
                         reset=reset and m.collapsed is None)
        self.collapse_note.object = plain_text(m.collapsed) if m.collapsed else ""
        self.collapse_note.visible = bool(m.collapsed)
        self._refresh_readout()

    def _refresh_readout(self):
        m, tr = self.model, self.tr
        if not m.levels_visible:
            self.readout.object = self._("Levels hidden until you reveal them.")
            return
        E = m.energies
        # the symbol and its value stay out of the msgid (a sentence of its own in every language)
        lines = [f'**⟨E⟩ =** <b class="ql-mean-E">{tr.num(m.mean_energy(), ".4g")}</b>, '
                 + self._("spread ΔE = {spread}").format(spread=tr.num(m.energy_spread(), ".3g"))]
        period = m.bohr_period()
        if period:
            lines.append(self._("slowest beat period 2π/ΔE = {period}").format(period=tr.num(period, ".3g")))
        bound = int(np.sum(E < m.rim()))
        if bound < min(m.levels, E.size):
            # English says "lie" for one level too; a language's own plural where it differs
            lines.append(tr.ngettext(
                "{bound} of the {total} computed levels lie below the rim V = {rim} "
                "(dashed levels above it belong to the surrounding box, walls at x = ±6)",
                "{bound} of the {total} computed levels lie below the rim V = {rim} "
                "(dashed levels above it belong to the surrounding box, walls at x = ±6)",
                bound).format(bound=bound, total=E.size, rim=tr.num(m.rim(), ".3g")))
        self.readout.object = " · ".join(lines)

    # ---- measurement -------------------------------------------------------------------------
    def _on_measure(self, what: str, shots: int, t: float, state_id: int):
        m = self.model
        if state_id != m.state_id or not m.levels_visible:
            return              # a click on a state that has already changed
        if not np.isfinite(t) or t < 0:
            return
        self._t_last = t         # the histogram's |psi(x, t)|^2 is drawn at the time measured
        if shots == 1:
            (m.measure_energy if what == "energy" else m.measure_position)(t)
        else:
            m.measure_ensemble(what, t, shots)

    def _refresh_histograms(self):
        if not self.tabs.built(self._(MEASURE_TAB)):
            return
        m = self.model
        n, observed, predicted = m.energy_histogram()
        edges, density, p = m.position_histogram(self._t_last)
        with pn.io.hold():
            self.e_hist.data = dict(n=n + 1, observed=observed, predicted=predicted)
            self.x_hist.data = dict(left=edges[:-1], right=edges[1:], observed=density)
            self.x_density.data = dict(x=m.x[::DISPLAY_STRIDE], p=p[::DISPLAY_STRIDE])
            ne, nx = len(m.energy_outcomes), len(m.position_outcomes)
            self.measure_count.object = (
                self._("{energy} energy and {position} position outcomes since the state was prepared or last "
                       "collapsed. A single measurement collapses the state; “100 copies” measures identically "
                       "prepared copies and leaves this one alone.").format(energy=ne, position=nx)
                if ne or nx else self._("No measurements yet: use the buttons above the plot."))

    # ---- the PINN ----------------------------------------------------------------------------
    def _on_pinn_settings(self, *_):
        self.pause_training()
        self.pinn_status.object = self._("Settings changed: the network starts afresh. Press **Train**.")
        self._refresh_pinn_figures()

    def start_training(self):
        if self.model.pinn is not None and self.model.pinn.steps >= PINN_MAX_STEPS:
            self.model.pinn_reset()
        doc = pn.state.curdoc
        if doc is None or doc.session_context is None:
            self._train_slice()
            return
        if self._train_cb is None:
            self._train_cb = pn.state.add_periodic_callback(self._train_slice, period=TRAIN_PERIOD_MS,
                                                            start=False)
        if not self._train_cb.running:
            self._train_cb.start()

    def pause_training(self):
        if self._train_cb is not None and self._train_cb.running:
            self._train_cb.stop()

    def reset_training(self):
        self.pause_training()
        self.model.pinn_reset()
        self.pinn_status.object = self._("Reset: press **Train** to start again.")
        self._refresh_pinn_figures()

    def _train_slice(self):
        if tab_closed(self.player):
            self.stop()
            return
        m = self.model
        start = time.perf_counter()
        try:
            m.pinn_train(self._slice_steps)
        except (FloatingPointError, ValueError) as err:
            self.pause_training()
            # the reason is the network's own (English) error message
            self.pinn_status.object = self._("Training stopped: {reason}").format(reason=plain_text(str(err)))
            return
        spent = time.perf_counter() - start
        # aim each slice at TRAIN_SLICE_S of CPU whatever the network size
        self._slice_steps = int(np.clip(self._slice_steps * TRAIN_SLICE_S / max(spent, 1e-4), 5, 2000))
        if m.pinn.steps >= PINN_MAX_STEPS or not np.isfinite(m.pinn.energy):
            self.pause_training()
        self._refresh_pinn_figures()

    def _refresh_pinn_figures(self):
        if not self.tabs.built(self._(PINN_TAB)):
            return
        m = self.model
        c = m.pinn_curves()
        visible = m.levels_visible
        s = slice(None, None, DISPLAY_STRIDE)
        with pn.io.hold():
            self.e_exact.location = c["E_exact"] if visible else None
            for span in self.warm_spans:
                span.location = c.get("warmup") or None
            if "psi" not in c:
                self.loss_src.data = dict(step=[], loss=[], residual=[], norm=[], orth=[])
                self.energy_src.data = dict(step=[], E=[])
                self.psi_src.data = dict(x=m.x[s], exact=c["exact"][s] if visible else np.full(m.x[s].size, np.nan),
                                         net=np.full(m.x[s].size, np.nan), error=np.full(m.x[s].size, np.nan))
                return
            h = c["history"]
            idx = _thin(h["loss"])
            p = m.pinn
            # the loss terms as they enter the loss; zeros (no lower states) cannot go on a log axis
            terms = {"loss": h["loss"], "residual": h["residual"],
                     "norm": p.norm_weight * (np.asarray(h["norm"]) - 1.0) ** 2,
                     "orth": p.ortho_weight * np.asarray(h["orth"])}
            self.loss_src.data = dict(step=idx + 1, **{k: np.where(np.asarray(v)[idx] > 0, np.asarray(v)[idx], np.nan)
                                                       for k, v in terms.items()})
            energies = np.asarray(h["energy"])[idx]
            self.energy_src.data = dict(step=idx + 1, E=energies)
            # zoom on the approach: the first steps start far above
            lo = min(float(np.nanmin(energies)), c["E_exact"])
            hi = max(float(np.nanpercentile(energies, 90)), c["E_exact"])
            pad = 0.1 * max(hi - lo, 1e-3 * abs(c["E_exact"]))
            self.energy_fig.y_range.update(start=lo - pad, end=hi + pad)
            err = c["error"][s]
            self.psi_src.data = dict(x=m.x[s], exact=c["exact"][s] if visible else np.full(err.size, np.nan),
                                     net=c["psi"][s], error=err if visible else np.full(err.size, np.nan))
            span = float(np.nanmax(np.abs(err))) if visible and np.isfinite(err).any() else 0.01
            self.psi_fig.extra_y_ranges["err"].update(start=-1.1 * span, end=1.1 * span)
            tr = self.tr
            phase = (self._("variational warm-up (minimising ⟨H⟩)") if c["phase"] == "warm-up"
                     else self._("residual training (PINN loss)"))
            status = self._("Step **{steps}** · {phase} · {seconds} s · network E = **{energy}** · ∫ψ² = {norm}").format(
                steps=c["steps"], phase=phase, seconds=tr.num(c["seconds"], ".1f"),
                energy=tr.num(c["energy"], ".5g"), norm=tr.num(c["norm"], ".3f"))
            if visible:
                status += self._(" · exact E = {exact} · error **{error}**").format(
                    exact=tr.num(c["E_exact"], ".5g"), error=tr.num(c["relative_error"], ".2%"))
            self.pinn_status.object = status

    # ---- lifetime ------------------------------------------------------------------------------

    def stop(self):
        """Stop all periodic work (session destroyed or tab gone)."""
        self.pause_training()

    # ---- layout ----------------------------------------------------------------------------------
    def sidebar(self) -> list:
        _ = self._
        return [
            pn.pane.Markdown("### " + _("Potential")), self.shape, *self.sliders.values(), self.levels,
            pn.pane.Markdown("### " + _("Display")), self.mode, self.show, self.speed,
            pn.pane.Markdown("### " + _("Predict, then reveal")), self.predict, self.guess, self.reveal,
            self.reveal_text,
            pn.pane.Markdown("### " + _("Superposition") + "\n" +
                             _("Magnitude and phase of each level's coefficient (normalised together).")),
            *self.coeff_rows, self.prepare,
        ]

    def main(self) -> list:
        return [self.layout]

    def load_secondary(self) -> None:
        """Add the measurement, PINN and lesson tabs (after the first paint, in a served page)."""
        if len(self.layout) > 4:
            return
        _ = self._
        self.tabs.add_lazy((_(MEASURE_TAB), self._measure_tab), (_(PINN_TAB), self._pinn_tab),
                           (_("Lesson"), lambda: lesson_text(HERE / "lesson.md", self.tr)),
                           (_("Teacher notes"), lambda: lesson_text(HERE / "model.md", self.tr)))
        self.layout.append(self.tabs)


def create_app():
    """One session of the Bound-states lesson (called by apps/bound_states.py per browser tab)."""
    return lesson_app(N_("Bound states"), BoundStatesModel, BoundStatesView)
