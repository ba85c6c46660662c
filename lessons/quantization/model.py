"""State of the Quantization lesson: one bit-width slider and the choices that make a quantizer.

:class:`QuantizationModel` owns the settings (``param`` parameters with bounds, for the URL) and
everything derived from them with :mod:`physics.quantize`, :mod:`physics.digits` and
:mod:`physics.lowprec`: the quantizer x_hat = s G(x / s) the settings describe, its grid over the
histogram of some data, a signal with its quantized copy and error, the digits network's accuracy
(now, and against bits for several schemes), the quantization kernel, FSQ bin usage, and the norm
of a Schrödinger run whose memory is quantized.  No Panel import: it runs and is tested with no UI.
"""
from __future__ import annotations

from functools import partial
from typing import Callable

import numpy as np
import param

from physics import digits, lowprec
from physics import quantize as qz
from physics.quantize import minifloat_split
from lessons.common.urlstate import Setting, sanitize

__all__ = ["QuantizationModel", "QUERY_NAMES", "FORMATS", "minifloat_split"]

#: Format choices and their labels.  "bits" is the slider; some formats fix their own width.
FORMATS = {
    "int": "Integer (uniform)",
    "fixed": "Fixed point Q(W, F)",
    "minifloat": "Minifloat (E/M split)",
    "mx": "MX block format (E8M0 scale, blocks of 32)",
    "nvfp4": "NVFP4 (E2M1, E4M3 scale, blocks of 16)",
    "nf4": "NF4 (normal quantiles, blocks of 64)",
    "power": "Power companding |x|^a",
    "power_of_two": "Powers of two (shift-only)",
}
#: Formats whose width is fixed by their definition (the slider does not apply).
FIXED_WIDTH = {"nvfp4": 4, "nf4": 4}
#: MX element formats by width.
MX_ELEMENTS = {4: "float4_e2m1fn", 6: "float6_e2m3fn", 8: "float8_e4m3fn"}
SIGNALS = ("sine", "chirp", "gaussian", "heavy_tails")
SIGNAL_POINTS = 512

QUERY_NAMES = {"bits": "bits", "format": "fmt", "gran": "granularity", "block": "block", "round": "rounding",
               "clip": "clip", "E": "exp_bits", "F": "frac_bits", "a": "exponent", "signal": "signal",
               "acts": "activations", "seed": "seed"}


class QuantizationModel(param.Parameterized):
    """A quantizer built from a bit width, a grid (format) and a scale rule, and what it does to data."""

    bits = param.Integer(default=4, bounds=(1, 16), doc="Bits per value.")
    fmt = param.Selector(default="int", objects=list(FORMATS), doc="The grid G.")
    granularity = param.Selector(default="channel", objects=["tensor", "channel", "block"],
                                 doc="One scale per tensor, per row (output channel) or per block.")
    block = param.Integer(default=32, bounds=(4, 256), doc="Block length for per-block scales.")
    rounding = param.Selector(default="nearest", objects=["nearest", "stochastic"], doc="Rounding rule.")
    clip = Setting(default=1.0, bounds=(0.05, 1.0), step=0.05, doc="Range as a fraction of max|x| (1: no clipping).")
    exp_bits = param.Integer(default=0, bounds=(0, 8), doc="Minifloat exponent bits (0: automatic split).")
    frac_bits = param.Integer(default=-99, bounds=(-99, 24),
                              doc="Fixed point: bits after the binary point (-99: best for the data).")
    exponent = Setting(default=0.65, bounds=(0.2, 2.0), step=0.05, doc="Power companding exponent a.")
    signal = param.Selector(default="sine", objects=list(SIGNALS), doc="The signal to quantize.")
    activations = param.Boolean(default=False, doc="Quantize the network's activations too (per tensor).")
    seed = param.Integer(default=0, bounds=(0, 2**31 - 1), doc="Seed of stochastic rounding and random signals.")

    notices = param.List(default=[], doc="Messages about settings that had to be corrected.")

    # ---- URL -----------------------------------------------------------------------------
    @classmethod
    def from_query(cls, query, **kw) -> "QuantizationModel":
        values, notices = sanitize(cls, query, QUERY_NAMES)
        model = cls(**kw, **values)
        model.notices = notices + model.notices
        return model

    # ---- the quantizer -----------------------------------------------------------------------
    def width(self) -> int:
        """The bits per value actually used (NVFP4 and NF4 are 4-bit formats)."""
        return FIXED_WIDTH.get(self.fmt, self.bits)

    def quantizer(self, bits: int | None = None, fmt: str | None = None) -> Callable[[np.ndarray], np.ndarray]:
        """x -> x_hat for the current settings (at ``bits`` / ``fmt`` if given)."""
        b = int(self.bits if bits is None else bits)
        f = fmt or self.fmt
        sr = dict(rounding=self.rounding, seed=self.seed) if self.rounding == "stochastic" else {}
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
                s = self.clip * np.abs(g).max() / fmt_.max if g.size and np.abs(g).max() > 0 else 1.0
                return s * qz.minifloat(g / s, fmt_, **sr)
            return mini
        if f == "mx":
            elem = MX_ELEMENTS.get(b, "int8" if b >= 8 else MX_ELEMENTS[min(MX_ELEMENTS, key=lambda k: abs(k - b))])
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

    def signal_view(self) -> dict:
        """The signal, its quantized copy, the error and the metrics."""
        t, x = self.signal_data()
        xq = self.quantizer()(x)
        return {"t": t, "x": x, "xq": xq, "error": xq - x, "mse": qz.mse(x, xq), "sqnr_db": qz.sqnr_db(x, xq),
                "kernel": qz.kernel_fraction(x, xq), "levels": int(np.unique(xq).size)}

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
        """Accuracy against bits for integer per-tensor, per-channel and the current format (live)."""
        net = self.network()
        bits = list(bits)
        schemes = {
            "int per-tensor": lambda b: partial(qz.uniform, bits=b, granularity="tensor"),
            "int per-channel": lambda b: partial(qz.uniform, bits=b, granularity="channel"),
            "current": lambda b: self.quantizer(bits=b),
        }
        return {"bits": np.array(bits), **digits.sweep(net, schemes, bits)}

    # ---- FSQ and the Schrödinger run --------------------------------------------------------------
    def fsq_usage(self, levels: int = 17, n: int = 4096) -> dict:
        """Bin usage of FSQ with tanh and with iFSQ's bound on N(0, 1) latents.

        For each bound: the usage per level, its entropy in bits, the spread (coefficient of
        variation) of the inner levels' usage, and the Kolmogorov distance of the usage from that of
        uniformly spread values (whose two edge levels get half-width bins).  iFSQ's bound makes the
        inner levels almost equally used; its entropy is slightly *lower* than tanh's because tanh
        piles extra values into the (half-width) edge levels.
        """
        z = np.random.default_rng(self.seed).normal(size=(n, 1))
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

    def stored_psi(self, steps: int = 2000) -> lowprec.StoredRun:
        """The harmonic-oscillator run with Re psi and Im psi stored through the current quantizer."""
        return lowprec.stored_run(self.quantizer(), steps=steps)
