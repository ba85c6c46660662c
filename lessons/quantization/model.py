"""State of the Quantization lesson: one bit-width slider and the choices that make a quantizer.

:class:`QuantizationModel` owns the settings (``param`` parameters with bounds, for the URL) and
everything derived from them with :mod:`physics.quantize`, :mod:`physics.digits` and
:mod:`physics.lowprec`: the quantizer x_hat = s G(x / s) the settings describe, its grid over the
histogram of some data, a signal with its quantized copy and error, the digits network's accuracy
(now, and against bits for several schemes), the quantization kernel, FSQ bin usage, and the norm
of a Schrödinger run whose memory is quantized.  No Panel import: it runs and is tested with no UI.
"""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache, partial
from typing import Callable

import numpy as np
import param

from physics import digits, lowprec
from physics import quantize as qz
from physics.quantize import minifloat_split
from lessons.common.i18n import N_
from lessons.common.model import LessonModel
from lessons.common.urlstate import IntSetting, Setting

__all__ = ["QuantizationModel", "QUERY_NAMES", "FORMATS", "minifloat_split", "QUANTIZER_SETTINGS", "shared_run",
           "warm_runs"]

#: Format choices and their labels (English msgids, shown translated).  "bits" is the slider; some
#: formats fix their own width.
FORMATS = {
    "int": N_("Integer (uniform)"),
    "fixed": N_("Fixed point Q(W, F)"),
    "minifloat": N_("Minifloat (E/M split)"),
    "mx": N_("MX block format (E8M0 scale, blocks of 32)"),
    "nvfp4": N_("NVFP4 (E2M1, E4M3 scale, blocks of 16)"),
    "nf4": N_("NF4 (normal quantiles, blocks of 64)"),
    "power": N_("Power companding |x|^a"),
    "power_of_two": N_("Powers of two (shift-only)"),
}
#: Formats whose width is fixed by their definition (the slider does not apply).
FIXED_WIDTH = {"nvfp4": 4, "nf4": 4}
#: MX element formats by width.
MX_ELEMENTS = {4: "float4_e2m1fn", 6: "float6_e2m3fn", 8: "float8_e4m3fn"}
SIGNALS = ("sine", "chirp", "gaussian", "heavy_tails")
SIGNAL_POINTS = 512
#: Formats with a stochastic-rounding variant (NF4, power and power-of-two round to nearest only).
SR_FORMATS = ("int", "fixed", "minifloat", "mx", "nvfp4")
#: Block length of the block formats (their grids are per block).
FORMAT_BLOCK = {"mx": 32, "nvfp4": 16, "nf4": 64}
#: Audio: sample rate (Hz) and length (s) of the tones a student can listen to.
AUDIO_RATE, AUDIO_SECONDS = 8000, 1.5

QUERY_NAMES = {"bits": "bits", "format": "fmt", "gran": "granularity", "block": "block", "round": "rounding",
               "clip": "clip", "E": "exp_bits", "F": "frac_bits", "a": "exponent", "signal": "signal",
               "acts": "activations", "seed": "seed", "L": "fsq_levels", "zstd": "latent_std"}


class QuantizationModel(LessonModel):
    """A quantizer built from a bit width, a grid (format) and a scale rule, and what it does to data."""

    bits = IntSetting(default=4, bounds=(1, 16), doc="Bits per value.")
    fmt = param.Selector(default="int", objects=list(FORMATS), doc="The grid G.")
    granularity = param.Selector(default="channel", objects=["tensor", "channel", "block"],
                                 doc="One scale per tensor, per row (output channel) or per block.")
    block = IntSetting(default=32, bounds=(4, 256), doc="Block length for per-block scales.")
    rounding = param.Selector(default="nearest", objects=["nearest", "stochastic"], doc="Rounding rule.")
    clip = Setting(default=1.0, bounds=(0.05, 1.0), step=0.05, doc="Range as a fraction of max|x| (1: no clipping).")
    exp_bits = IntSetting(default=0, bounds=(0, 8), doc="Minifloat exponent bits (0: automatic split).")
    frac_bits = IntSetting(default=-99, bounds=(-99, 24),
                              doc="Fixed point: bits after the binary point (-99: best for the data).")
    exponent = Setting(default=0.65, bounds=(0.2, 2.0), step=0.05, doc="Power companding exponent a.")
    signal = param.Selector(default="sine", objects=list(SIGNALS), doc="The signal to quantize.")
    activations = param.Boolean(default=False, doc="Quantize the network's activations too (per tensor).")
    seed = IntSetting(default=0, bounds=(0, 2**31 - 1), doc="Seed of stochastic rounding and random signals.")
    fsq_levels = IntSetting(default=17, bounds=(3, 33), doc="FSQ levels per channel (iFSQ uses 17).")
    latent_std = Setting(default=1.0, bounds=(0.25, 4.0), step=0.05,
                         doc="Standard deviation of the Gaussian latent fed to FSQ.")

    query_names = QUERY_NAMES

    def __init__(self, **params):
        super().__init__(**params)
        self._snap_frac_bits()
        self.param.watch(self._snap_frac_bits, "frac_bits")

    # ---- the quantizer -----------------------------------------------------------------------
    def width(self) -> int:
        """The bits per element actually used: NVFP4 and NF4 are 4-bit formats, MX has elements of 4, 6
        or 8 bits (the nearest below 8, MXINT8 above), and the minifloat, power and power-of-two grids
        need at least 2 bits."""
        if self.fmt in FIXED_WIDTH:
            return FIXED_WIDTH[self.fmt]
        if self.fmt == "mx":
            return 8 if self.bits >= 8 else min(MX_ELEMENTS, key=lambda k: (abs(k - self.bits), k))
        if self.fmt in ("minifloat", "power", "power_of_two"):
            return max(self.bits, 2)
        return self.bits

    def _snap_frac_bits(self, *_):
        # below F = -8 every value of the lesson's data rounds to 0 and the page's slider ends there;
        # -99 means "best for the data"
        if -99 < self.frac_bits < -8:
            self.notices = [*self.notices, self.tr._("F={F} leaves nothing of the data (steps of 2^{steps}); "
                                                     "using the page's lowest, F=-8.").format(F=self.frac_bits,
                                                                                              steps=-self.frac_bits)]
            self.frac_bits = -8

    def applies(self) -> dict[str, bool]:
        """Which settings the current format uses (the others are ignored, and the view greys them)."""
        f = self.fmt
        return {"bits": f not in FIXED_WIDTH, "granularity": f in ("int", "power", "power_of_two"),
                "block": f in ("int", "power", "power_of_two") and self.granularity == "block",
                "rounding": f in SR_FORMATS, "clip": f in ("int", "minifloat"), "exp_bits": f == "minifloat",
                "frac_bits": f == "fixed", "exponent": f == "power"}

    def quantizer(self, bits: int | None = None, fmt: str | None = None, rounding: str | None = None,
                  stream: bool = False) -> Callable[[np.ndarray], np.ndarray]:
        """x -> x_hat for the current settings (at ``bits`` / ``fmt`` / ``rounding`` if given).

        Stochastic rounding draws from ``seed``: the same draws on every call (a link reproduces
        its numbers), or, with ``stream=True``, fresh draws from one generator on each call (a run
        that rounds the same memory again and again needs independent draws).
        """
        b = int(self.bits if bits is None else bits)
        f = fmt or self.fmt
        r = rounding or self.rounding
        seed = np.random.default_rng(self.seed) if stream else self.seed
        sr = dict(rounding=r, seed=seed) if r == "stochastic" and f in SR_FORMATS else {}
        if f == "int":
            return partial(qz.uniform, bits=b, granularity=self.granularity, block=self.block, clip=self.clip, **sr)
        if f == "fixed":
            def fixed(x):
                F = qz.best_frac_bits(x, b) if self.frac_bits == -99 else self.frac_bits
                return qz.fixed_point(x, b, F, **sr)
            return fixed
        if f == "minifloat":
            E, M = minifloat_split(max(b, 2), self.exp_bits)
            fmt_ = qz.float_format((E, M))

            def mini(x):
                # a scale s maps the group's max onto the format's max: x_hat = s G(x / s)
                g = np.asarray(x, float)
                s = self.clip * np.abs(g).max() / fmt_.max if g.size else 1.0
                if not (np.isfinite(s) and s > 0):      # all zeros, subnormal-tiny or overflowed data
                    s = 1.0
                return s * qz.minifloat(g / s, fmt_, **sr)
            return mini
        if f == "mx":
            elem = MX_ELEMENTS.get(b, "int8" if b > 8 else MX_ELEMENTS[min(MX_ELEMENTS, key=lambda k: (abs(k - b), k))])
            return partial(qz.mx, element_format=elem, block=32, **sr)
        if f == "nvfp4":
            return partial(qz.nvfp4, **sr)
        if f == "nf4":
            return partial(qz.nf4, block=64)
        if f == "power":
            return partial(qz.power, bits=max(b, 2), exponent=self.exponent, granularity=self.granularity,
                           block=self.block)
        if f == "power_of_two":
            return partial(qz.power_of_two, bits=max(b, 2), granularity=self.granularity, block=self.block)
        raise ValueError(f"unknown format {f!r}")

    def grid(self, x) -> np.ndarray:
        """The values the current quantizer can give data ``x`` (rounding to nearest).

        The scale follows the data, so this is the grid of the group (channel or block) that holds
        max|x|: a group with smaller values gets a finer grid.  Sampled on 4096 points of
        [-max|x|, max|x|], so a grid of more levels shows as a dense band.
        """
        x = np.asarray(x, float)
        top = float(np.abs(x).max()) if x.size else 0.0
        q = self.quantizer(rounding="nearest")
        if top == 0 or not np.isfinite(top):
            return np.zeros(1)
        if self.fmt == "int" and self.bits == 1:
            # one bit: x_hat = s sign(x) with s = mean|x| of the group, not a function of the maximum
            s = abs(float(q(x).flat[int(np.argmax(np.abs(x)))]))
            return np.array([-s, s])
        # rows that each hold max|x| first: every row (channel, block) then has the data's scale
        B = FORMAT_BLOCK.get(self.fmt, self.block if self.granularity == "block" else 64)
        dense = np.linspace(-top, top, 4096)
        rows = -(-dense.size // (B - 1))
        D = np.full((rows, B), top)
        D[:, 1:].flat[:dense.size] = dense
        return np.unique(q(D))

    def number_line(self, x, bins: int = 60) -> dict:
        """Histogram of ``x`` (density), the grid, and where the quantized values land.

        ``levels``/``share``: each distinct quantized value and the fraction of values on it;
        ``kernel``: the fraction of nonzero values that became 0.
        """
        x = np.asarray(x, float)
        xq = self.quantizer()(x)
        top = float(np.abs(x).max()) or 1.0
        hist, edges = np.histogram(x, bins=bins, range=(-1.02 * top, 1.02 * top), density=True)
        levels, counts = np.unique(xq, return_counts=True)
        return {"hist": hist, "edges": edges, "grid": self.grid(x), "levels": levels, "share": counts / x.size,
                "kernel": qz.kernel_fraction(x, xq), "mse": qz.mse(x, xq), "top": top}

    # ---- data and signals ----------------------------------------------------------------------
    def signal_data(self) -> tuple[np.ndarray, np.ndarray]:
        """(t, x): the signal to quantize, SIGNAL_POINTS samples on t in [0, 1)."""
        t = np.arange(SIGNAL_POINTS) / SIGNAL_POINTS
        rng = np.random.default_rng(self.seed)
        if self.signal == "sine":
            x = np.sin(2 * np.pi * 3 * t)
        elif self.signal == "chirp":
            x = np.sin(2 * np.pi * (1 + 12 * t) * t) * np.exp(-1.5 * t)
        elif self.signal == "gaussian":
            x = rng.normal(size=t.size)
        else:
            x = rng.standard_t(3, size=t.size)
        return t, x

    def signal_view(self, draws: int = 64) -> dict:
        """The signal, its quantized copy, the error and the metrics.

        ``bias`` is the mean error.  With stochastic rounding, ``xq_mean`` averages ``draws``
        independent roundings: it converges to x (the rounding is unbiased), which no number of
        round-to-nearest copies would do.
        """
        t, x = self.signal_data()
        xq = self.quantizer()(x)
        out = {"t": t, "x": x, "xq": xq, "error": xq - x, "mse": qz.mse(x, xq), "sqnr_db": qz.sqnr_db(x, xq),
               "kernel": qz.kernel_fraction(x, xq), "levels": int(np.unique(xq).size),
               "bias": float(np.mean(xq - x)), "xq_mean": None}
        if self.rounding == "stochastic" and self.fmt in SR_FORMATS:
            q = self.quantizer(stream=True)
            out["xq_mean"] = np.mean([q(x) for _ in range(draws)], axis=0)
        return out

    def storage_bits(self) -> float:
        """Bits stored per weight of the network, the scales included (32-bit scales unless the
        format says otherwise: E8M0 for MX, E4M3 for NVFP4; W1 rows hold 64 weights)."""
        b = self.width()
        if self.fmt == "mx":
            return b + 8 / 32       # MXINT8 (above 8 bits) stores 8-bit elements too
        if self.fmt == "nvfp4":
            return 4 + 8 / 16
        if self.fmt == "nf4":
            return 4 + 32 / 64
        if self.fmt == "fixed":
            return float(b)
        per_group = {"tensor": 0.0, "channel": 32 / 64, "block": 32 / self.block}[self.granularity]
        return b + (per_group if self.fmt in ("int", "power", "power_of_two") else 0.0)

    def audio(self) -> tuple[np.ndarray, np.ndarray]:
        """(original, quantized): AUDIO_SECONDS of the chosen kind of signal at AUDIO_RATE, in [-1, 1].

        A 330 Hz tone (sine), a 200 -> 2000 Hz sweep (chirp), or noise (gaussian, heavy tails),
        scaled to peak 0.9 and quantized as one tensor with the current quantizer.
        """
        t = np.arange(int(AUDIO_RATE * AUDIO_SECONDS)) / AUDIO_RATE
        rng = np.random.default_rng(self.seed)
        if self.signal == "sine":
            x = np.sin(2 * np.pi * 330 * t)
        elif self.signal == "chirp":
            x = np.sin(2 * np.pi * (200 * t + 600 * t**2))
        elif self.signal == "gaussian":
            x = rng.normal(size=t.size)
        else:
            x = rng.standard_t(3, size=t.size)
        x = 0.9 * x / np.abs(x).max()
        return x, np.clip(self.quantizer()(x), -1, 1)

    # ---- the network ----------------------------------------------------------------------------
    def network(self) -> digits.Network:
        return digits.trained_network(0)

    def accuracy_now(self) -> dict:
        """Test accuracy in float and with the current quantizer; kernel fraction of W1, W2."""
        net = self.network()
        q = self.quantizer()
        acts = partial(qz.uniform, bits=self.width()) if self.activations else None
        return {"float": digits.accuracy(net), "quantized": digits.accuracy(net, q, acts),
                "kernel_W1": qz.kernel_fraction(net.W1, q(net.W1)), "kernel_W2": qz.kernel_fraction(net.W2, q(net.W2))}

    def accuracy_curves(self, bits=range(1, 17)) -> dict:
        """Accuracy against bits for integer per-tensor, per-channel and the current format (live),
        and the current format's quantization kernel of all weights (W1 and W2 together)."""
        net = self.network()
        bits = list(bits)
        schemes = {
            "int per-tensor": lambda b: partial(qz.uniform, bits=b, granularity="tensor"),
            "int per-channel": lambda b: partial(qz.uniform, bits=b, granularity="channel"),
            "current": lambda b: self.quantizer(bits=b),
        }
        out = {"bits": np.array(bits), **digits.sweep(net, schemes, bits)}
        W = (net.W1, net.W2)
        out["kernel"] = np.array([np.mean([qz.kernel_fraction(w, self.quantizer(bits=b)(w)) for w in W])
                                  for b in bits])
        return out

    def weights_view(self) -> dict:
        """Number lines (see :meth:`number_line`) of the network's two weight matrices."""
        net = self.network()
        return {"W1": self.number_line(net.W1), "W2": self.number_line(net.W2)}

    def fine_tune(self, steps: int = 200) -> dict:
        """A short quantization-aware fine-tune (straight-through estimator) with the current quantizer.

        Accuracy of the quantized network before and after ``steps`` Adam steps on the float weights
        whose forward pass uses the quantized ones.
        """
        q = self.quantizer()
        tuned = digits.qat(self.network(), q, steps=steps)
        return {"before": digits.accuracy(self.network(), q), "after": digits.accuracy(tuned, q), "steps": steps}

    # ---- FSQ and the Schrödinger run --------------------------------------------------------------
    def fsq_usage(self, levels: int | None = None, n: int = 4096) -> dict:
        """Bin usage of FSQ with tanh and with iFSQ's bound on N(0, 1) latents.

        For each bound: the usage per level, its entropy in bits, the spread (coefficient of
        variation) of the inner levels' usage, and the Kolmogorov distance of the usage from that of
        uniformly spread values (whose two edge levels get half-width bins).  iFSQ's bound makes the
        inner levels almost equally used; its entropy is slightly *lower* than tanh's because tanh
        piles extra values into the (half-width) edge levels.
        """
        levels = int(self.fsq_levels if levels is None else levels)
        z = self.latent_std * np.random.default_rng(self.seed).normal(size=(n, 1))
        ideal = np.concatenate([[0.5], np.ones(levels - 2), [0.5]]) / (levels - 1)
        out = {}
        for bound in ("tanh", "ifsq"):
            r = qz.fsq(z, [levels], bound)
            u = r.usage[0]
            inner = u[1:-1]
            out[bound] = {"usage": u, "entropy": qz.entropy_bits(r.codes, levels),
                          "spread": float(inner.std() / inner.mean()),
                          "ks": float(np.abs(np.cumsum(u) - np.cumsum(ideal)).max())}
        out["max_entropy"] = float(np.log2(levels))
        return out

    def fsq_curves(self, levels=range(3, 34, 2)) -> dict:
        """Against the number of levels L (odd): usage entropy and inner-level spread for both bounds."""
        L = np.array(list(levels))
        out = {"levels": L, "max_entropy": np.log2(L)}
        rows = [self.fsq_usage(int(k)) for k in L]
        for bound in ("tanh", "ifsq"):
            out[f"{bound}_entropy"] = np.array([r[bound]["entropy"] for r in rows])
            out[f"{bound}_spread"] = np.array([r[bound]["spread"] for r in rows])
        return out

    def stored_psi(self, steps: int = 2000, rounding: str | None = None,
                   densities: bool = False) -> lowprec.StoredRun:
        """The harmonic-oscillator run with Re psi and Im psi stored through the current quantizer
        (with fresh stochastic draws at every step)."""
        return lowprec.stored_run(self.quantizer(rounding=rounding, stream=True), steps=steps, densities=densities)

    def run_key(self, rounding: str) -> tuple:
        """The settings a stored-psi run with ``rounding`` depends on, as (name, value) pairs: the
        quantizer's, less the rounding (given) and the seed (which only stochastic rounding draws)."""
        names = [k for k in QUANTIZER_SETTINGS if k != "rounding" and (k != "seed" or rounding == "stochastic")]
        return tuple((k, getattr(self, k)) for k in names)

    def norm_runs(self, steps: int = 2000) -> dict:
        """The stored-psi run with round-to-nearest and, where the format has it, stochastic rounding.

        ``runs``: rounding -> StoredRun; the run with the current rounding also records the densities
        (for the animation) and is ``runs[current]``.  The runs are shared by every session of the
        process (:func:`shared_run`): read-only.
        """
        roundings = ["nearest", "stochastic"] if self.fmt in SR_FORMATS else ["nearest"]
        current = self.rounding if self.rounding in roundings else "nearest"
        runs = {}
        for r in roundings:
            run = shared_run(self.run_key(r), r, steps)
            runs[r] = run if r == current else replace(run, density=None, ref_density=None)
        setup = lowprec.harmonic_setup()
        return {"runs": runs, "current": current, "x": setup.x, "V": setup.V, "x0": setup.x0, "omega": setup.omega}


#: Settings that make the quantizer (what every derived number depends on, with the data).
QUANTIZER_SETTINGS = ("bits", "fmt", "granularity", "block", "rounding", "clip", "exp_bits", "frac_bits",
                      "exponent", "seed")
#: Stored-psi runs kept per process (about 0.85 MB each, densities included): a class moving the
#: bit slider asks for the same few settings again and again.
RUN_CACHE = 48


@lru_cache(maxsize=RUN_CACHE)
def shared_run(settings: tuple, rounding: str, steps: int = 2000) -> lowprec.StoredRun:
    """:meth:`QuantizationModel.stored_psi` (densities recorded) of the model with ``settings``
    (:meth:`QuantizationModel.run_key`), computed once per process and read-only, so that no
    session changes what another reads."""
    run = QuantizationModel(**dict(settings)).stored_psi(steps, rounding, densities=True)
    for value in vars(run).values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return run


def warm_runs(steps: int = 2000) -> int:
    """Compute the stored-psi runs a class asks for first: every bit width of the default format,
    with both roundings (``panel serve --warm`` runs this once per process).  Returns how many."""
    model = QuantizationModel()
    for bits in range(1, 17):
        model.bits = bits
        for rounding in ("nearest", "stochastic"):
            shared_run(model.run_key(rounding), rounding, steps)
    return 32
