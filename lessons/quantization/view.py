"""Panel/Bokeh rendering of :class:`lessons.quantization.model.QuantizationModel`.

The view owns no numerics.  It shows the quantizer's grid over the histogram of the data (a signal
and the digits network's two weight matrices), the signal with its quantized copy and error (and,
on request, both as sound), the network's accuracy against bits for several schemes with the current
setting marked, FSQ's and iFSQ's use of their levels, and a Schrödinger run whose memory is
quantized (played by :class:`PsiPlayer` in the browser, with its norm on a log axis).
Settings changes are coalesced (:class:`Debounced`); the network curves, the FSQ figures and the
Schrödinger run are recomputed only while their tab is open, and only when a setting they depend on
has changed.
"""
from __future__ import annotations

import pathlib

import numpy as np
import panel as pn
import param
from bokeh.models import ColumnDataSource, LinearAxis, Range1d, Span
from bokeh.transform import dodge

from lessons.common.figures import READOUT_CSS, flow_row, legend_below, lesson_figure, readout_cards
from lessons.common.i18n import N_
from lessons.common.page import lesson_app, notice_alert
from lessons.common.palette import css_var
from lessons.common.sections import Debounced, LazyTabs, Section, tab_closed
from lessons.common.text import lesson_text, plain_text, sci
from lessons.common.view import LessonView
from lessons.quantization.model import (AUDIO_RATE, FORMAT_BLOCK, FORMATS, QUANTIZER_SETTINGS, QUERY_NAMES,
                                        SR_FORMATS, QuantizationModel, minifloat_split, warm_runs)
from lessons.quantization.player import PsiPlayer
from physics import lowprec

__all__ = ["QuantizationView", "create_app", "TABS"]

HERE = pathlib.Path(__file__).parent
DEBOUNCE_MS = 60
#: Settings that change the quantizer (everything the signal, weights and curves depend on).
QUANTIZER = QUANTIZER_SETTINGS
#: the tabs' titles (English msgids: a view's tabs carry them in its language, ``self.tab_titles``)
TABS = (N_("Number line and signal"), N_("Network"), N_("FSQ and iFSQ"), N_("Schrödinger memory"))
#: what each curve is drawn in (a swatch of lessons.common.palette, in the page's profile)
COLORS = {"data": "silver", "grid": "red", "landed": "blue", "x": "slate", "xq": "blue",
          "error": "orange", "mean": "green", "tensor": "grey", "channel": "blue", "current": "orange",
          "kernel": "violet", "tanh": "grey", "ifsq": "blue", "nearest": "red", "stochastic": "green"}
#: (English msgids, shown in the page's language)
ROUNDING_LABELS = {"nearest": N_("round to nearest"), "stochastic": N_("stochastic rounding")}
#: the rounding named in the player's memory label, "(nearest)"
ROUNDING_SHORT = {"nearest": N_("nearest"), "stochastic": N_("stochastic")}
SIGNAL_LABELS = {"sine": N_("Sine"), "chirp": N_("Chirp (rising pitch)"), "gaussian": N_("Gaussian noise"),
                 "heavy_tails": N_("Heavy-tailed noise (Student t, 3)")}
CARDS = (("quantized", N_("Digits accuracy"), N_("test set, quantized weights")),
         ("float", N_("Float accuracy"), N_("the same network unquantized")),
         ("kernel", N_("Kernel of W1"), N_("weights rounded to 0")),
         ("sqnr", N_("Signal SQNR"), "10 log₁₀ Σx² / Σ(x̂ − x)²"),
         ("levels", N_("Levels used"), N_("distinct values in the quantized signal")),
         ("storage", N_("Bits per weight"), N_("scales included")))


def tr_figure(title: str, x_label: str, y_label: str, tr=None, **kw):
    """:func:`lesson_figure` with its title and axis labels (English msgids) in ``tr``'s language; its
    PNG and CSV files keep the English title's name."""
    fig = lesson_figure(title, *(tr.gettext(t) if tr is not None else t for t in (x_label, y_label)), **kw)
    if tr is not None:
        fig.title.text = tr.gettext(title)
    return fig


class NumberLine:
    """A figure: histogram of data, the quantizer's grid as ticks, and where the values landed (stems)."""

    def __init__(self, title: str, x_label: str, colors: dict, height: int = 300, rows: int | None = None,
                 tr=None):
        self.colors = colors
        _ = tr.gettext if tr is not None else str
        self.hist = ColumnDataSource(dict(left=[], right=[], top=[]))
        self.grid = ColumnDataSource(dict(x=[], y0=[], y1=[]))
        self.landed = ColumnDataSource(dict(x=[], share=[]))
        f = tr_figure(title, x_label, N_("density of the data"), tr, height=height)
        f.quad(left="left", right="right", top="top", bottom=0, source=self.hist, color=self.colors["data"],
               alpha=0.7, legend_label=_("data"))
        f.segment(x0="x", x1="x", y0="y0", y1="y1", source=self.grid, color=self.colors["grid"], line_width=1.5,
                  legend_label=_("grid: the values x̂ can take (under the axis)"))
        f.extra_y_ranges = {"share": Range1d(0, 1)}
        f.add_layout(LinearAxis(y_range_name="share", axis_label=_("share of values landed")), "right")
        f.segment(x0="x", x1="x", y0=0, y1="share", source=self.landed, y_range_name="share",
                  color=self.colors["landed"], line_width=3, alpha=0.8, legend_label=_("where the values landed"))
        f.scatter("x", "share", source=self.landed, y_range_name="share", color=self.colors["landed"], size=6)
        f.y_range = Range1d(0, 1)
        legend_below(f, rows)
        self.fig = f

    def update(self, nl: dict, title: str) -> None:
        top = float(nl["hist"].max()) * 1.15 or 1.0
        grid = nl["grid"]
        # a grid too dense to draw one tick per level is drawn as a band of at most 600 ticks
        shown = grid if grid.size <= 600 else grid[np.linspace(0, grid.size - 1, 600).astype(int)]
        tick = 0.12 * top      # the grid is drawn as a comb under the axis, where no data can hide it
        self.hist.data = dict(left=nl["edges"][:-1], right=nl["edges"][1:], top=nl["hist"])
        self.grid.data = dict(x=shown, y0=np.full(shown.size, -tick), y1=np.zeros(shown.size))
        self.landed.data = dict(x=nl["levels"], share=nl["share"])
        self.fig.y_range.update(start=-tick, end=top)
        share_top = max(float(nl["share"].max()) * 1.15, 1e-3)
        self.fig.extra_y_ranges["share"].update(start=-share_top * tick / top, end=share_top)
        edge = 1.06 * nl["top"]
        self.fig.x_range.update(start=-edge, end=edge)
        self.fig.title.text = title


class QuantizationView(LessonView):
    """Widgets, figures and callbacks for one browser session."""

    COLORS = COLORS

    #: read-outs a link can hide until the teacher reveals them (the cards, the ψ player's read-outs)
    HIDEABLE = {**{key: label for key, label, _hint in CARDS}, "norm": "‖ψ‖²", "fid": N_("fidelity"), "mx": "⟨x⟩"}

    state = param.Parameter(default=None, doc="(accuracy now, signal view, SQNR text) of the current settings, "
                                              "computed once per change for the cards, the signal and the number lines.")

    MODEL = QuantizationModel

    def __init__(self, model: QuantizationModel | None = None, look=None):
        super().__init__(model, look)
        m = model = self.model
        #: the tabs' titles in the page's language (TABS[i] -> tab_titles[i])
        self.tab_titles = tuple(self._(t) for t in TABS)
        self.player = PsiPlayer(sizing_mode="stretch_width")
        self._make_widgets()
        self.cards = pn.pane.HTML(sizing_mode="stretch_width", stylesheets=[READOUT_CSS])
        self.status = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "calc(15px * var(--ql-scale, 1))"})
        # each tab's figures are made when it is first opened (a class mostly stays on one), the
        # first one just after the first paint (load_secondary)
        T = self.tab_titles
        self.tabs = LazyTabs((T[0], self._signal_tab), (T[1], self._network_tab), (T[2], self._fsq_tab),
                             (T[3], self._run_tab), later=True, sizing_mode="stretch_width")
        self.tabs.param.watch(lambda *_: self._refresh_visible(), "active")
        # what each tab draws, and what it depends on: drawn when its tab is open and that has changed
        shown = lambda title: lambda: self.tabs.active_title == title  # noqa: E731
        built = lambda title: lambda: shown(title)() and self.tabs.built(title) and self.state is not None  # noqa: E731
        self.signal_section = Section(self, ("state",), lambda: self._draw_signal(*self.state), built(T[0]))
        self.weights_section = Section(self, ("state",), lambda: self._draw_weights(*self.state), built(T[1]))
        self.sections = (
            self.signal_section, self.weights_section,
            Section(m, [k for k in QUANTIZER if k != "bits"], lambda: self._draw_curves(m.accuracy_curves()),
                    shown(T[1])),
            Section(m, ("fsq_levels", "latent_std", "seed"), self._draw_fsq, shown(T[2])),
            Section(m, QUANTIZER, lambda: self._draw_runs(m.norm_runs()), shown(T[3])))

        on_quantizer = Debounced(self._on_settings, DEBOUNCE_MS)
        # several settings can change at once (a link, a reset): param passes one event per setting
        m.param.watch(lambda *_: on_quantizer(), [*QUANTIZER, "signal", "activations"])
        m.param.watch(lambda *_: self._refresh_visible(), ["fsq_levels", "latent_std"])
        m.param.watch(lambda *_: self._show_applicable(),
                      ["bits", "fmt", "granularity", "rounding", "frac_bits", "exp_bits", "signal"])
        self._show_applicable()
        self._on_settings()
        self.layout = pn.Column(self.notices, self.cards, self.status, self.tabs, sizing_mode="stretch_width")

    @staticmethod
    def warm() -> None:
        """Once per server process (``--warm``): the Schrödinger runs of every bit width of the default
        format, which a class moving the bit slider on that tab asks for first."""
        warm_runs()

    # ---- widgets ---------------------------------------------------------------------------
    def _make_widgets(self):
        m, _ = self.model, self._
        self.bits = pn.widgets.IntSlider.from_param(m.param.bits, label=_("Bits per value"))
        # (the settings' docs are the widgets' hover help: written here again, translated)
        self.fmt = pn.widgets.Select.from_param(m.param.fmt, label=_("Grid G (number format)"),
                                                description=_("The grid G."),
                                                options={_(v): k for k, v in FORMATS.items()})
        self.exp_bits = pn.widgets.IntSlider.from_param(m.param.exp_bits, label=_("Exponent bits E (0 = automatic)"))
        self.best_f = pn.widgets.Checkbox(label=_("Best binary point for each tensor"), value=m.frac_bits == -99)
        self.frac = pn.widgets.IntSlider(label=_("Bits after the binary point F"), start=-8, end=24,
                                         value=4 if m.frac_bits == -99 else m.frac_bits)
        self.exponent = pn.widgets.FloatSlider.from_param(m.param.exponent, label=_("Power exponent a"))
        self.granularity = pn.widgets.RadioButtonGroup.from_param(
            m.param.granularity, name=_("Granularity"),
            description=_("One scale per tensor, per row (output channel) or per block."),
            options={_("per tensor"): "tensor", _("per channel"): "channel", _("per block"): "block"})
        self.block = pn.widgets.IntSlider.from_param(m.param.block, label=_("Block length"), step=4)
        self.clip = pn.widgets.FloatSlider.from_param(m.param.clip, label=_("Clip at this fraction of max|x|"))
        self.rounding = pn.widgets.RadioButtonGroup.from_param(
            m.param.rounding, name=_("Rounding"), description=_("Rounding rule."),
            options={_("round to nearest"): "nearest", _(ROUNDING_SHORT["stochastic"]): "stochastic"})
        self.reroll = pn.widgets.Button(label=_("New random draws"),
                                        description=_("Another seed for stochastic rounding and the noise signals"))
        self.reroll.on_click(lambda _e: setattr(m, "seed", (m.seed + 1) % (2**31 - 1)))
        self.activations = pn.widgets.Checkbox.from_param(m.param.activations,
                                                          label=_("Quantize the activations too (per tensor)"))
        self.scale_header = pn.pane.Markdown("### " + _("Scale s"))
        self.applies_text = pn.pane.Markdown(styles={"font-size": "calc(14px * var(--ql-scale, 1))", "color": css_var("muted")}, margin=(0, 10))
        self.signal = pn.widgets.Select.from_param(m.param.signal, label=_("Signal"), width=300,
                                                   description=_("The signal to quantize."),
                                                   options={_(v): k for k, v in SIGNAL_LABELS.items()})
        self.listen = pn.widgets.Toggle(label=_("Hear the signal and its quantized copy"), width=320,
                                        margin=(24, 10, 10, 10))
        self.audio_orig = pn.pane.Audio(sample_rate=AUDIO_RATE, width=300)
        self.audio_q = pn.pane.Audio(sample_rate=AUDIO_RATE, width=300)
        self.audio_row = flow_row(pn.pane.Markdown(_("Original")), self.audio_orig, pn.pane.Markdown(_("Quantized")),
                                  self.audio_q, visible=False)
        self.listen.param.watch(lambda *_: self._refresh_audio(), "value")
        # a label longer than the button (German) wraps inside it
        self.qat_button = pn.widgets.Button(label=_("Fine-tune with this quantizer (QAT, 200 steps)"), width=380,
                                            stylesheets=[".bk-btn { white-space: normal; }"])
        self.qat_button.on_click(lambda _e: self._fine_tune())
        self.qat_text = pn.pane.Markdown(styles={"font-size": "calc(15px * var(--ql-scale, 1))"}, margin=(12, 10), sizing_mode="stretch_width")
        # stretchable up to a slider's usual 300 px: two sliders of a fixed 300 px held the FSQ tab 600 px
        # wide, wider than a phone
        self.fsq_levels = pn.widgets.IntSlider.from_param(m.param.fsq_levels, label=_("Levels L per channel"), step=2,
                                                          sizing_mode="stretch_width", max_width=300)
        self.latent_std = pn.widgets.FloatSlider.from_param(m.param.latent_std, label=_("Spread (std) of the latent"),
                                                            sizing_mode="stretch_width", max_width=300)
        self.fsq_text = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "calc(15px * var(--ql-scale, 1))"})
        self.grid_note = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "calc(14px * var(--ql-scale, 1))", "color": css_var("muted")})
        self.run_text = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "calc(15px * var(--ql-scale, 1))"})
        self.notices = notice_alert(m)

        syncing = []     # set while the model's value is copied to the widgets: no echo back

        def from_widgets(*_):
            if not syncing:
                m.frac_bits = -99 if self.best_f.value else int(self.frac.value)

        def slider_moved(*_):
            if not syncing:
                syncing.append(1)
                self.best_f.value = False
                syncing.pop()
                from_widgets()

        def to_widgets(*_):
            syncing.append(1)
            try:
                if m.frac_bits != -99:
                    self.frac.value = int(np.clip(m.frac_bits, self.frac.start, self.frac.end))
                self.best_f.value = m.frac_bits == -99
            finally:
                syncing.pop()
        self.best_f.param.watch(from_widgets, "value")
        self.frac.param.watch(slider_moved, "value")
        m.param.watch(to_widgets, "frac_bits")

    def _show_applicable(self):
        """Show only the settings the chosen format uses, and say which ones it ignores."""
        m = self.model
        a = m.applies()
        self.bits.disabled = not a["bits"]
        self.exp_bits.visible = a["exp_bits"]
        self.best_f.visible = a["frac_bits"]
        self.frac.visible = a["frac_bits"] and m.frac_bits != -99
        self.exponent.visible = a["exponent"]
        self.granularity.visible = a["granularity"]
        self.block.visible = a["block"]
        self.clip.visible = a["clip"]
        # fixed point has no scale, and the block formats fix theirs (the note below says so)
        self.scale_header.visible = a["granularity"] or a["clip"]
        self.rounding.disabled = not a["rounding"]
        self.reroll.visible = (m.rounding == "stochastic" and a["rounding"]) or m.signal in ("gaussian", "heavy_tails")
        _ = self._
        notes = []
        if not a["bits"]:
            notes.append(_("{format} is a {n}-bit format: the bit slider does not apply.").format(
                format=_(FORMATS[m.fmt]), n=m.width()))
        if m.fmt in ("minifloat", "power", "power_of_two") and m.bits == 1:
            notes.append(_("This grid needs at least 2 bits: at 1 bit it uses 2."))
        if m.fmt == "mx" and m.width() != m.bits:
            notes.append(self.tr.ngettext("MX elements have 4, 6 or 8 bits (MXINT8 above 8): {bits} bit uses {width}.",
                                          "MX elements have 4, 6 or 8 bits (MXINT8 above 8): {bits} bits uses {width}.",
                                          m.bits).format(bits=m.bits, width=m.width()))
        if m.fmt in ("mx", "nvfp4", "nf4"):
            notes.append(_("Its scale is one per block, fixed by the format."))
        if not a["rounding"]:
            notes.append(_("It rounds to the nearest level only."))
        if m.fmt == "minifloat":
            E, M = minifloat_split(max(m.bits, 2), m.exp_bits)
            notes.append(_("Split used: E{E}M{M} (1 sign, {E} exponent, {M} mantissa bits).").format(E=E, M=M))
        self.applies_text.object = " ".join(notes)

    # ---- figures ---------------------------------------------------------------------------
    def _signal_tab(self) -> pn.Column:
        """The number line of the signal and the signal with its quantized copy."""
        _ = self._
        self.signal_line = NumberLine(N_("Number line"), N_("value x"), self.colors, tr=self.tr)
        self.sig = ColumnDataSource(dict(t=[], x=[], xq=[], error=[], mean=[]))
        f = tr_figure(N_("Signal"), N_("time"), N_("value"), self.tr, height=300)
        f.line("t", "x", source=self.sig, color=self.colors["x"], line_width=2, legend_label=_("original x"))
        f.step("t", "xq", source=self.sig, color=self.colors["xq"], line_width=2, mode="center",
               legend_label=_("quantized x̂"))
        self.mean_line = f.line("t", "mean", source=self.sig, color=self.colors["mean"], line_width=2,
                                line_dash="dashed", legend_label=_("average of 64 stochastic roundings"))
        f.line("t", "error", source=self.sig, color=self.colors["error"], line_width=1.5,
               legend_label=_("error x̂ − x"))
        legend_below(f)
        self.signal_fig = f
        return pn.Column(
            flow_row(self.signal, self.listen, sizing_mode="stretch_width"),
            self.audio_row,
            pn.pane.Bokeh(self.signal_line.fig, sizing_mode="stretch_width"),
            pn.pane.Bokeh(self.signal_fig, sizing_mode="stretch_width"),
            sizing_mode="stretch_width")

    def _network_tab(self) -> pn.Column:
        """The weights' number lines, accuracy against bits with the current setting marked, QAT."""
        _ = self._
        self.w1_line = NumberLine(N_("W1 (input → hidden)"), N_("weight"), self.colors, height=300, rows=2, tr=self.tr)
        self.w2_line = NumberLine(N_("W2 (hidden → class)"), N_("weight"), self.colors, height=300, rows=2, tr=self.tr)
        self.acc = ColumnDataSource(dict(bits=[], tensor=[], channel=[], current=[], kernel=[]))
        g = tr_figure(N_("Digits accuracy against bits"), N_("bits per weight"), N_("test accuracy (%)"), self.tr,
                   height=340, x_range=Range1d(0.5, 16.5), y_range=Range1d(0, 100))
        for key, label, dash in (("tensor", _("integer, per tensor"), "dashed"),
                                 ("channel", _("integer, per channel"), "solid"),
                                 ("current", _("your quantizer"), "solid")):
            g.line("bits", key, source=self.acc, color=self.colors[key], line_width=3 if key == "current" else 2,
                   line_dash=dash, legend_label=label)
        g.scatter("bits", "current", source=self.acc, color=self.colors["current"], size=6)
        g.extra_y_ranges = {"kernel": Range1d(0, 100)}
        g.add_layout(LinearAxis(y_range_name="kernel", axis_label=_("kernel: weights → 0 (%)")), "right")
        g.line("bits", "kernel", source=self.acc, y_range_name="kernel", color=self.colors["kernel"], line_width=2,
               line_dash="dotted", legend_label=_("kernel of your quantizer (right axis)"))
        self.acc_now = ColumnDataSource(dict(bits=[0], acc=[0.0]))
        g.scatter("bits", "acc", source=self.acc_now, marker="circle_cross", size=20, fill_color="white",
                  fill_alpha=0.6, line_color=self.c.red, line_width=3, legend_label=_("your setting"))
        self.float_span = Span(location=0, dimension="width", line_color=self.c.axis, line_dash="dotdash", line_width=1)
        g.add_layout(self.float_span)
        legend_below(g)
        self.acc_fig = g

        return pn.Column(
            flow_row(pn.pane.Bokeh(self.w1_line.fig, sizing_mode="stretch_width"),
                   pn.pane.Bokeh(self.w2_line.fig, sizing_mode="stretch_width"), sizing_mode="stretch_width"),
            self.grid_note,
            pn.pane.Bokeh(self.acc_fig, sizing_mode="stretch_width"),
            flow_row(self.qat_button, self.qat_text, sizing_mode="stretch_width"),
            sizing_mode="stretch_width")

    def _fsq_tab(self) -> pn.Column:
        """FSQ's and iFSQ's use of their levels, and against the number of levels."""
        _ = self._
        self.usage = ColumnDataSource(dict(level=[], tanh=[], ifsq=[], ideal=[]))
        u = tr_figure(N_("Share of latents on each FSQ level"), N_("level"), N_("share (%)"), self.tr, height=320)
        u.vbar(x=dodge("level", -0.2), top="tanh", width=0.4, source=self.usage, color=self.colors["tanh"],
               legend_label=_("FSQ (tanh)"), alpha=0.85)
        u.vbar(x=dodge("level", 0.2), top="ifsq", width=0.4, source=self.usage, color=self.colors["ifsq"],
               legend_label=_("iFSQ (2σ(1.6z) − 1)"), alpha=0.85)
        u.step("level", "ideal", source=self.usage, mode="center", color=self.c.axis, line_dash="dashed",
               legend_label=_("uniformly spread values"))
        legend_below(u, 2)
        self.usage_fig = u

        self.ent = ColumnDataSource(dict(L=[], tanh_spread=[], ifsq_spread=[], tanh_entropy=[], ifsq_entropy=[], max=[]))
        e = tr_figure(N_("Against the number of levels"), N_("levels L"), N_("inner-level spread (CV, %)"), self.tr,
                   height=320)
        e.line("L", "tanh_spread", source=self.ent, color=self.colors["tanh"], line_width=2.5,
               legend_label=_("spread, tanh"))
        e.line("L", "ifsq_spread", source=self.ent, color=self.colors["ifsq"], line_width=2.5,
               legend_label=_("spread, iFSQ"))
        e.extra_y_ranges = {"H": Range1d(0, 6)}
        e.add_layout(LinearAxis(y_range_name="H", axis_label=_("usage entropy (bits)")), "right")
        for key, label, color, dash in (("tanh_entropy", _("entropy, tanh"), self.colors["tanh"], "dashed"),
                                        ("ifsq_entropy", _("entropy, iFSQ"), self.colors["ifsq"], "dashed"),
                                        ("max", "log₂ L", self.c.axis, "dotted")):
            e.line("L", key, source=self.ent, y_range_name="H", color=color, line_dash=dash, line_width=2,
                   legend_label=label)
        self.levels_now = Span(location=17, dimension="height", line_color=self.c.red, line_width=2)
        e.add_layout(self.levels_now)
        legend_below(e, 2)
        self.entropy_fig = e

        return pn.Column(
            flow_row(self.fsq_levels, self.latent_std, sizing_mode="stretch_width"),
            self.fsq_text,
            flow_row(pn.pane.Bokeh(self.usage_fig, sizing_mode="stretch_width"),
                   pn.pane.Bokeh(self.entropy_fig, sizing_mode="stretch_width"), sizing_mode="stretch_width"),
            sizing_mode="stretch_width")

    def _run_tab(self) -> pn.Column:
        """The Schrödinger run with a quantized memory: the player, the norm and the fidelity."""
        _ = self._
        self.norm_src = ColumnDataSource(dict(t=[], nearest=[], stochastic=[]))
        n = tr_figure(N_("‖ψ‖² of the stored state (log axis; exact: 1, dashed)"), N_("time t"), "‖ψ‖²", self.tr,
                   height=320, y_axis_type="log")
        n.add_layout(Span(location=1.0, dimension="width", line_color=self.c.axis, line_dash="dashed", line_width=1.5))
        self._norm_lines = {}
        for key in ("nearest", "stochastic"):
            self._norm_lines[key] = n.line("t", key, source=self.norm_src, color=self.colors[key], line_width=2.5,
                                           legend_label=_(ROUNDING_LABELS[key]))
        legend_below(n)
        self.norm_fig = n
        self.fid_src = ColumnDataSource(dict(t=[], nearest=[], stochastic=[]))
        fd = tr_figure(N_("Fidelity with the exact state |⟨ψ_exact|ψ⟩|² / ‖ψ‖²"), N_("time t"), N_("fidelity"), self.tr,
                    height=320, y_range=Range1d(0, 1.02))
        self._fid_lines = {}
        for key in ("nearest", "stochastic"):
            self._fid_lines[key] = fd.line("t", key, source=self.fid_src, color=self.colors[key], line_width=2.5,
                                           legend_label=_(ROUNDING_LABELS[key]))
        legend_below(fd)
        self.fid_fig = fd
        return pn.Column(
            self.run_text, self.player,
            flow_row(pn.pane.Bokeh(self.norm_fig, sizing_mode="stretch_width"),
                   pn.pane.Bokeh(self.fid_fig, sizing_mode="stretch_width"), sizing_mode="stretch_width"),
            sizing_mode="stretch_width")

    # ---- refreshing ----------------------------------------------------------------------------
    def _format_label(self) -> str:
        """The current format and the bits per element it uses ("Integer (uniform), 4 bits")."""
        width = self.model.width()
        return self.tr.ngettext("{format}, {n} bit", "{format}, {n} bits", width).format(
            format=self._(FORMATS[self.model.fmt]), n=width)

    def _on_settings(self):
        # on the Schrödinger tab the new run goes out first: the student waits for it, and the page
        # handles the messages in order (the cards' and figures' patches first made it ~60 ms later)
        if self.tabs.active_title == self.tab_titles[3]:
            self._refresh_visible()
        try:
            self._refresh_state()
        except (ValueError, FloatingPointError, OverflowError) as err:
            self.status.object = self._("Could not compute this setting: {error}").format(error=plain_text(str(err)))
            return
        self._refresh_visible()

    def _refresh_state(self):
        """Cards and status (every change), then the number lines, the signal and the accuracy
        marker of the open tab (the other tabs' are drawn when they are next opened)."""
        m, _, num = self.model, self._, self.tr.num
        now = m.accuracy_now()
        sv = m.signal_view()
        sqnr = sv["sqnr_db"]
        values = {"quantized": num(100 * now["quantized"], ".1f") + " %",
                  "float": num(100 * now["float"], ".1f") + " %", "kernel": num(100 * now["kernel_W1"], ".1f") + " %",
                  "sqnr": _("exact") if np.isinf(sqnr) and sqnr > 0 else num(sqnr, ".1f") + " dB",
                  "levels": str(sv["levels"]), "storage": num(m.storage_bits(), ".3g")}
        drop = 100 * (now["float"] - now["quantized"])
        # the bold label heads the line, outside the sentences: markup inside a sentence splits it into
        # pieces on the page, and the pseudo-locale's check reads each piece on its own
        network = (_("the network loses {drop} points of accuracy {quantized}; {kernel} % of W2 rounds to 0.")
                   if drop >= 0 else
                   _("the network gains {drop} points of accuracy {quantized}; {kernel} % of W2 rounds to 0."))
        with pn.io.hold():
            self.cards.object = readout_cards(CARDS, values, self.tr)
            self.status.object = f"**{self._format_label()}**: " + network.format(
                drop=num(abs(drop), ".1f"),
                quantized=_("(weights and activations quantized)") if m.activations else _("(weights quantized)"),
                kernel=num(100 * now["kernel_W2"], ".1f")) + " " + _("Signal: MSE {mse}, mean error {bias}.").format(
                mse=self.tr.localized(sci(sv["mse"])), bias=self.tr.localized(sci(sv["bias"], 1, sign=True)))
        self.state = (now, sv, values["sqnr"])
        self.signal_section.refresh()
        self.weights_section.refresh()
        if self.listen.value:
            self._refresh_audio()

    def _draw_signal(self, now: dict, sv: dict, sqnr: str):
        m = self.model
        snl = m.number_line(sv["x"])
        with pn.io.hold():
            n = snl["grid"].size
            self.signal_line.update(snl, self.tr.ngettext(
                "{signal}: {n} grid value shown over the data; {kernel} % of nonzero values → 0",
                "{signal}: {n} grid values shown over the data; {kernel} % of nonzero values → 0", n).format(
                signal=self._(SIGNAL_LABELS[m.signal]), n=n, kernel=self.tr.num(100 * snl["kernel"], ".0f")))
            mean = sv["xq_mean"] if sv["xq_mean"] is not None else np.full(sv["t"].size, np.nan)
            self.sig.data = dict(t=sv["t"], x=sv["x"], xq=sv["xq"], error=sv["error"], mean=mean)
            self.mean_line.visible = sv["xq_mean"] is not None
            for item in self.signal_fig.legend[0].items:
                if self.mean_line in item.renderers:
                    item.visible = self.mean_line.visible
            self.signal_fig.title.text = self.tr.ngettext(
                "{signal}, quantized: SQNR {sqnr}, {n} distinct value",
                "{signal}, quantized: SQNR {sqnr}, {n} distinct values", sv["levels"]).format(
                signal=self._(SIGNAL_LABELS[m.signal]), sqnr=sqnr, n=sv["levels"])

    def _draw_weights(self, now: dict, sv: dict, sqnr: str):
        m, _ = self.model, self._
        wv = m.weights_view()
        if m.fmt in FORMAT_BLOCK:
            scope = "block"
        elif m.applies()["granularity"]:
            scope = {"tensor": "tensor", "channel": "row", "block": "block"}[m.granularity]
        else:
            scope = "tensor"
        with pn.io.hold():
            for line, key, name in ((self.w1_line, "W1", _("W1, input → hidden")),
                                    (self.w2_line, "W2", _("W2, hidden → class"))):
                nl = wv[key]
                line.update(nl, _("{name}: {kernel} % of weights → 0").format(
                    name=name, kernel=self.tr.num(100 * nl["kernel"], ".0f")))
            # whole sentences: the grid "of the block", "of the tensor", "of the row" inflect differently
            self.grid_note.object = {
                "block": _("The red comb is the grid of the block holding the largest |w|; smaller rows or blocks "
                           "get finer grids of their own."),
                "tensor": _("The red comb is the grid of the tensor holding the largest |w|; smaller rows or blocks "
                            "get finer grids of their own."),
                "row": _("The red comb is the grid of the row holding the largest |w|; smaller rows or blocks get "
                         "finer grids of their own.")}[scope]
            self.acc_now.data = dict(bits=[m.width()], acc=[100 * now["quantized"]])
            self.float_span.location = 100 * now["float"]

    def _refresh_audio(self):
        self.audio_row.visible = self.listen.value
        if not self.listen.value:
            return
        x, xq = self.model.audio()
        pcm = lambda a: (np.clip(a, -1, 1) * 32767).astype(np.int16)  # noqa: E731
        self.audio_orig.object = pcm(x)
        self.audio_q.object = pcm(xq)

    def _refresh_visible(self):
        if tab_closed(self.player):
            return
        try:
            for section in self.sections:
                section.refresh()
        except (ValueError, FloatingPointError, OverflowError) as err:
            self.status.object = self._("Could not compute: {error}").format(error=plain_text(str(err)))

    def _draw_curves(self, c: dict):
        with pn.io.hold():
            self.acc.data = dict(bits=c["bits"], tensor=100 * c["int per-tensor"], channel=100 * c["int per-channel"],
                                 current=100 * c["current"], kernel=100 * c["kernel"])
            self.acc_fig.title.text = self._("Digits accuracy against bits, computed now for {format} "
                                             "(dash-dot line: float)").format(format=self._(FORMATS[self.model.fmt]))

    def _fine_tune(self):
        m = self.model
        self.qat_button.loading = True
        try:
            r = m.fine_tune()
            self.qat_text.object = self.tr.ngettext(
                "After {steps} step of quantization-aware training: **{before} % → {after} %** ({label}). The float "
                "weights moved to where their rounded copies work.",
                "After {steps} steps of quantization-aware training: **{before} % → {after} %** ({label}). The float "
                "weights moved to where their rounded copies work.", r["steps"]).format(
                steps=r["steps"], before=self.tr.num(100 * r["before"], ".1f"),
                after=self.tr.num(100 * r["after"], ".1f"), label=self._format_label())
        except (ValueError, FloatingPointError, OverflowError) as err:
            self.qat_text.object = self._("Could not fine-tune: {error}").format(error=plain_text(str(err)))
        finally:
            self.qat_button.loading = False

    def _draw_fsq(self):
        m = self.model
        u = m.fsq_usage()
        c = m.fsq_curves()
        L = m.fsq_levels
        ideal = np.concatenate([[0.5], np.ones(L - 2), [0.5]]) / (L - 1)
        levels = np.arange(L) - L // 2
        with pn.io.hold():
            self.usage.data = dict(level=levels, tanh=100 * u["tanh"]["usage"], ifsq=100 * u["ifsq"]["usage"],
                                   ideal=100 * ideal)
            self.usage_fig.title.text = self._("Share of {L}-level FSQ codes used, latent std {std}").format(
                L=L, std=self.tr.num(m.latent_std, "g"))
            self.ent.data = dict(L=c["levels"], tanh_spread=100 * c["tanh_spread"], ifsq_spread=100 * c["ifsq_spread"],
                                 tanh_entropy=c["tanh_entropy"], ifsq_entropy=c["ifsq_entropy"], max=c["max_entropy"])
            self.entropy_fig.extra_y_ranges["H"].update(start=0, end=float(c["max_entropy"].max()) * 1.1)
            self.levels_now.location = L
            num = self.tr.num
            self.fsq_text.object = self._(
                "With {L} levels: the inner levels' use varies by **{ifsq} %** with iFSQ's bound against **{tanh} %** "
                "with tanh (coefficient of variation); usage entropy {ifsq_entropy} vs {tanh_entropy} bits of "
                "log₂ {L} = {max_entropy}. Evenness, not entropy, is the better sign of a well-used codebook here: "
                "tanh piles values onto the two half-width edge levels.").format(
                L=L, ifsq=num(100 * u["ifsq"]["spread"], ".1f"), tanh=num(100 * u["tanh"]["spread"], ".1f"),
                ifsq_entropy=num(u["ifsq"]["entropy"], ".2f"), tanh_entropy=num(u["tanh"]["entropy"], ".2f"),
                max_entropy=num(u["max_entropy"], ".2f"))

    def _draw_runs(self, r: dict):
        m, _, num = self.model, self._, self.tr.num
        runs, current = r["runs"], r["current"]
        ref = runs["nearest"]
        # a log axis shows heating (up), exponential decay (down, a straight line) and a blow-up alike
        clean = {k: np.where(v.norm > 0, v.norm, np.nan) for k, v in runs.items()}
        nan = np.full(ref.times.size, np.nan)
        label = self._format_label()
        omega, x0 = num(r["omega"], "g"), num(r["x0"], "g")
        well = _("well V = x²/2") if r["omega"] == 1 else _("well V = {omega}²x²/2").format(omega=omega)
        memory = f"{label} ({_(ROUNDING_SHORT[current])})"
        self.player.show_run(runs[current], r["x"], memory, V=r["V"],   # first: see _on_settings
                             mean_x_exact=lowprec.coherent_mean_x(runs[current].times, r["x0"], r["omega"]),
                             v_label=well,
                             mean_x_label=f"{x0} cos t" if r["omega"] == 1 else f"{x0} cos {omega}t")
        with pn.io.hold():
            self.norm_src.data = dict(t=ref.times, nearest=clean["nearest"], stochastic=clean.get("stochastic", nan))
            self.fid_src.data = dict(t=ref.times, nearest=ref.fidelity,
                                     stochastic=runs["stochastic"].fidelity if "stochastic" in runs else nan)
            ends = []
            for key in ("nearest", "stochastic"):
                have = key in runs
                self._norm_lines[key].visible = self._fid_lines[key].visible = have
                if have:
                    norm = runs[key].norm[np.isfinite(runs[key].norm)]
                    last = float(norm[-1]) if norm.size else float("nan")
                    # whole phrases: "grows to", "shrinks to", "stays at" take different words by language
                    end = (_("{rounding}: ‖ψ‖² grows to **{norm}**, fidelity {fidelity}") if last > 1 else
                           _("{rounding}: ‖ψ‖² shrinks to **{norm}**, fidelity {fidelity}") if last < 1 else
                           _("{rounding}: ‖ψ‖² stays at **{norm}**, fidelity {fidelity}"))
                    ends.append(end.format(rounding=_(ROUNDING_LABELS[key]), norm=num(last, ".4g"),
                                           fidelity=num(runs[key].fidelity[norm.size - 1], ".3f")))
            text = _("ψ of a harmonic oscillator (coherent state from x₀ = 3) evolves by exact split-operator steps, "
                     "but after each of the 2000 steps Re ψ and Im ψ are written to memory as **{label}**. The "
                     "dashed curve is the exact run. At t = 20: {ends}.").format(label=label, ends="; ".join(ends))
            if m.fmt not in SR_FORMATS:
                text += " " + _("This format has no stochastic rounding.")
            self.run_text.object = text

    # ---- lifetime ------------------------------------------------------------------------------
    def stop(self):
        """Nothing runs periodically in this lesson; kept for the lesson_app contract."""

    # ---- layout ----------------------------------------------------------------------------------
    def sidebar(self) -> list:
        _ = self._
        return [
            pn.pane.Markdown("### " + _("Bits")), self.bits,
            pn.pane.Markdown("### " + _("Grid G")), self.fmt, self.exp_bits, self.best_f, self.frac, self.exponent,
            self.scale_header, self.granularity, self.block, self.clip,
            pn.pane.Markdown("### " + _("Rounding")), self.rounding, self.reroll, self.applies_text,
            pn.pane.Markdown("### " + _("Network")), self.activations,
        ]

    def main(self) -> list:
        return [self.layout]

    def load_secondary(self) -> None:
        """Build the open tab and add the lesson text and teacher notes (after the first paint, in a
        served page)."""
        self.tabs.opened(self.tabs.active_title)
        self._refresh_visible()
        if len(self.tabs) > len(TABS):
            return
        self.tabs.add_lazy((self._("Lesson"), lambda: lesson_text(HERE / "lesson.md", self.tr)),
                           (self._("Teacher notes"), lambda: lesson_text(HERE / "model.md", self.tr)))


def create_app():
    """One session of the Quantization lesson (called by apps/quantization.py per browser tab)."""
    return lesson_app(N_("Quantization: the bit-width slider"), QuantizationModel, QuantizationView)
