"""Quantizers for the Quantization lesson: integer, fixed point, minifloats, MX/NVFP4, NF4, power, FSQ.

Every quantizer here is  x_hat = s * G(x / s):  a grid G (what values exist) and a scale s (where
the grid sits), which the lesson shows as two separate choices.  All functions take float arrays
(float32 or float64; computed in float64) and return the *dequantized* values x_hat, as float64, of
the same shape.  They are plain NumPy (vectorised), so they run unchanged in Pyodide.

Conventions
-----------
- Rounding is round-half-to-even ("nearest", ``np.rint``) unless ``rounding="stochastic"``:
  floor(v + u), u ~ U[0, 1), which is unbiased, E[x_hat] = x.
- Granularity: one scale per tensor, per channel (per row: axis 0 of a weight matrix W[out, in] is
  the output channel) or per block of ``block`` consecutive values along the last axis.
- Minifloats with E exponent and M mantissa bits and bias b hold (-1)^s 2^(e-b) (1 + m/2^M) and the
  subnormals 2^(1-b) m/2^M.  Quantizing: p = max(floor(log2|x|), 1 - b), step 2^(p-M),
  x_hat = RNE(x / step) * step, then **saturate** at the format's largest finite value.  Named
  formats follow ml_dtypes/OCP and agree with it bit for bit on every value it maps to a finite one;
  where ml_dtypes' ``float8_e4m3fn`` turns an overflow into NaN, this module saturates.
- References: the integer whitepaper (Krishnamoorthi, arXiv 1806.08342); QFX fixed point (arXiv
  2401.17544); the OCP Microscaling spec v1.0 (E8M0 block scale, floor rule); NVFP4 (E2M1 in
  blocks of 16 with an E4M3 scale and a per-tensor scale); NF4 (QLoRA, Dettmers et al. 2023);
  power companding (NUPES/PowerQuant); FSQ (Mentzer et al., arXiv 2309.15505) and iFSQ's bound
  2 sigmoid(1.6 z) - 1 = tanh(0.8 z).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

__all__ = ["MiniFloat", "FORMATS", "float_format", "uniform", "uniform_scale", "fixed_point", "best_frac_bits",
           "minifloat", "minifloat_split", "AUTO_EXP_BITS", "mx", "nvfp4", "nf4", "NF4_LEVELS", "power",
           "power_of_two", "fsq", "FSQ",
           "mse", "sqnr_db", "kernel_fraction", "entropy_bits"]


# ---- helpers -------------------------------------------------------------------------------------

def _round(v: np.ndarray, rounding: str, rng: np.random.Generator | None) -> np.ndarray:
    if rounding == "nearest":
        return np.rint(v)
    if rounding == "stochastic":
        rng = rng if rng is not None else np.random.default_rng()
        return np.floor(v + rng.random(np.shape(v)))
    raise ValueError("rounding must be 'nearest' or 'stochastic'")


def _groups(x: np.ndarray, granularity: str, block: int) -> tuple[np.ndarray, callable]:
    """x reshaped to (groups, members) for per-group scales, and a function undoing it."""
    x = np.asarray(x, dtype=np.float64)
    shape = x.shape
    if granularity == "tensor" or x.ndim == 0:
        return x.reshape(1, -1), lambda g: g.reshape(shape)
    if granularity == "channel":
        if x.ndim < 2:
            return x.reshape(1, -1), lambda g: g.reshape(shape)
        return x.reshape(shape[0], -1), lambda g: g.reshape(shape)
    if granularity == "block":
        block = int(block)
        if block < 1:
            raise ValueError("block must be at least 1")
        n = shape[-1] if x.ndim else 1
        pad = (-n) % block
        flat = x.reshape(-1, n)
        if pad:
            flat = np.concatenate([flat, np.zeros((flat.shape[0], pad))], axis=1)
        rows = flat.shape[0]
        g = flat.reshape(-1, block)
        return g, lambda q: q.reshape(rows, n + pad)[:, :n].reshape(shape)
    raise ValueError("granularity must be 'tensor', 'channel' or 'block'")


def _check_bits(bits, lo=1, hi=32) -> int:
    if not float(bits).is_integer() or not lo <= bits <= hi:
        raise ValueError(f"bits must be an integer from {lo} to {hi}")
    return int(bits)


# ---- integer -------------------------------------------------------------------------------------

def uniform_scale(x, bits: int, granularity: str = "tensor", block: int = 32, symmetric: bool = True,
                  clip: float | None = None) -> np.ndarray:
    """The scale s per group: absmax / (2^(bits-1) - 1) (symmetric) or (max - min) / (2^bits - 1).

    ``clip`` (0 < clip <= 1) shrinks the range to that fraction of the absmax (or of both ends):
    values beyond are clipped, the rest get a finer grid.  Shape: (groups, 1).
    """
    bits = _check_bits(bits)
    g, _ = _groups(x, granularity, block)
    c = 1.0 if clip is None else float(clip)
    if not 0 < c <= 1:
        raise ValueError("clip must be in (0, 1]")
    if symmetric:
        levels = max(2 ** (bits - 1) - 1, 1)
        return c * np.abs(g).max(axis=1, keepdims=True) / levels
    lo, hi = _asymmetric_range(g, c)
    return (hi - lo) / (2**bits - 1)


def _asymmetric_range(g: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    """[c min(x, 0), c max(x, 0)] per group: the range always holds 0, so zero is exact."""
    return c * np.minimum(g.min(axis=1, keepdims=True), 0.0), c * np.maximum(g.max(axis=1, keepdims=True), 0.0)


def uniform(x, bits: int, granularity: str = "tensor", block: int = 32, symmetric: bool = True,
            rounding: str = "nearest", clip: float | None = None, seed: int | None = None) -> np.ndarray:
    """Integer quantization, dequantized (Krishnamoorthi 2018).

    Symmetric (default):  q = clamp(round(x/s), -(2^(b-1) - 1), 2^(b-1) - 1),  x_hat = s q,  with
    s = clip * absmax / (2^(b-1) - 1) per group (the "narrow" range: zero is exact, 2^b - 1 levels).
    Asymmetric: the range [lo, hi] = clip [min(x, 0), max(x, 0)], s = (hi - lo) / (2^b - 1), zero point
    z = round(-lo/s), q = clamp(round(x/s) + z, 0, 2^b - 1), x_hat = s (q - z).  One bit (symmetric): x_hat = s sign(x)
    with s = mean|x| per group (the binary-weight rule; absmax would send almost everything to 0).
    A group that is all zeros stays zero.
    """
    bits = _check_bits(bits)
    if rounding not in ("nearest", "stochastic"):
        raise ValueError("rounding must be 'nearest' or 'stochastic'")
    rng = np.random.default_rng(seed) if rounding == "stochastic" else None
    g, back = _groups(x, granularity, block)
    if symmetric and bits == 1:
        s = np.abs(g).mean(axis=1, keepdims=True)
        return back(s * np.sign(g))
    s = uniform_scale(x, bits, granularity, block, symmetric, clip)
    safe = np.where(s > 0, s, 1.0)
    if symmetric:
        top = 2 ** (bits - 1) - 1
        q = np.clip(_round(g / safe, rounding, rng), -top, top)
        out = q * s
    else:
        z = np.rint(-_asymmetric_range(g, 1.0 if clip is None else float(clip))[0] / safe)
        q = np.clip(_round(g / safe, rounding, rng) + z, 0, 2**bits - 1)
        out = (q - z) * s
    return back(np.where(s > 0, out, 0.0))


# ---- fixed point (QFX) ------------------------------------------------------------------------------

def fixed_point(x, word_bits: int, frac_bits: int, overflow: str = "saturate", rounding: str = "nearest",
                seed: int | None = None) -> np.ndarray:
    """Signed fixed point Q(W, F): x_hat = overflow(round(x 2^F), W) 2^-F (the QFX cast).

    Step 2^-F; range [-2^(W-F-1), 2^(W-F-1) - 2^-F] (two's complement with W bits, F of them after
    the binary point; F may be negative or exceed W).  ``overflow``: "saturate" clamps to the range,
    "wrap" keeps the low W bits as hardware integer arithmetic does (2^(W-F-1) becomes -2^(W-F-1)).
    """
    W = _check_bits(word_bits, 1, 64)
    F = int(frac_bits)
    rng = np.random.default_rng(seed) if rounding == "stochastic" else None
    q = _round(np.asarray(x, np.float64) * 2.0**F, rounding, rng)
    lo, hi = -(2.0 ** (W - 1)), 2.0 ** (W - 1) - 1
    if overflow == "saturate":
        q = np.clip(q, lo, hi)
    elif overflow == "wrap":
        q = np.mod(q - lo, 2.0**W) + lo
    else:
        raise ValueError("overflow must be 'saturate' or 'wrap'")
    return q * 2.0**-F


def best_frac_bits(x, word_bits: int) -> int:
    """The most fractional bits F with which Q(W, F) holds every value of x without overflow.

    Starts from I = floor(log2 max|x|) + 1 integer bits and takes one bit back where rounding would
    carry the largest value past 2^(W-1) - 1 steps (0.999 at W = 8 needs F = 6, not 7); a negative
    extreme may use the extra code -2^(W-1).
    """
    W = int(word_bits)
    x = np.asarray(x, np.float64)
    m = float(np.max(np.abs(x))) if x.size else 0.0
    if m == 0 or not np.isfinite(m):
        return W - 1
    F = W - (math.frexp(m)[1])          # frexp: m = f 2^e, 0.5 <= f < 1, e = floor(log2 m) + 1
    while True:
        q = np.rint(x * 2.0**F)
        if q.max() <= 2.0 ** (W - 1) - 1 and q.min() >= -(2.0 ** (W - 1)):
            return F
        F -= 1


# ---- minifloats ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MiniFloat:
    """A binary floating-point format: sign, ``exp_bits`` exponent and ``man_bits`` mantissa bits."""

    name: str
    exp_bits: int
    man_bits: int
    bias: int
    max: float            # largest finite value

    @property
    def min_normal(self) -> float:
        return 2.0 ** (1 - self.bias)

    @property
    def min_subnormal(self) -> float:
        return 2.0 ** (1 - self.bias - self.man_bits)

    @property
    def bits(self) -> int:
        return 1 + self.exp_bits + self.man_bits

    def values(self) -> np.ndarray:
        """Every finite non-negative value of the format, increasing."""
        sub = np.arange(2**self.man_bits) * self.min_subnormal
        e = np.arange(1, 2**self.exp_bits)
        m = np.arange(2**self.man_bits)
        normal = (2.0 ** (e[:, None] - self.bias) * (1 + m[None, :] / 2**self.man_bits)).ravel()
        v = np.concatenate([sub, normal])
        return np.unique(v[v <= self.max])


def _fn(E: int, M: int) -> float:
    """Largest value when every exponent code is finite (OCP "fn" formats without NaN codes)."""
    bias = 2 ** (E - 1) - 1
    return (2 - 2.0**-M) * 2.0 ** (2**E - 1 - bias)


#: Named formats (as in ml_dtypes).  e4m3fn keeps one code for NaN (max 448 = 1.75 x 2^8); e5m2 and
#: bfloat16 are IEEE-like (top exponent for inf/NaN); e2m1fn, e2m3fn, e3m2fn have no inf or NaN.
FORMATS = {
    "float8_e4m3fn": MiniFloat("float8_e4m3fn", 4, 3, 7, 448.0),
    "float8_e5m2": MiniFloat("float8_e5m2", 5, 2, 15, 57344.0),
    "float6_e2m3fn": MiniFloat("float6_e2m3fn", 2, 3, 1, _fn(2, 3)),
    "float6_e3m2fn": MiniFloat("float6_e3m2fn", 3, 2, 3, _fn(3, 2)),
    "float4_e2m1fn": MiniFloat("float4_e2m1fn", 2, 1, 1, _fn(2, 1)),
    "bfloat16": MiniFloat("bfloat16", 8, 7, 127, (2 - 2.0**-7) * 2.0**127),
    "float16": MiniFloat("float16", 5, 10, 15, 65504.0),
}


def float_format(fmt) -> MiniFloat:
    """A :class:`MiniFloat` from a name in :data:`FORMATS` or an (exp_bits, man_bits) pair.

    A pair gets the IEEE bias 2^(E-1) - 1 and, like the OCP "fn" formats, no inf or NaN: every code
    is a finite number, so max = (2 - 2^-M) 2^(2^E - 1 - bias).
    """
    if isinstance(fmt, MiniFloat):
        return fmt
    if isinstance(fmt, str):
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; use one of {sorted(FORMATS)} or (exp_bits, man_bits)")
        return FORMATS[fmt]
    try:
        E, M = (int(v) for v in fmt)
    except (TypeError, ValueError):
        raise ValueError("a format is a name or an (exp_bits, man_bits) pair") from None
    if not (1 <= E <= 8 and 0 <= M <= 23):
        raise ValueError("exp_bits must be 1..8 and man_bits 0..23")
    return MiniFloat(f"e{E}m{M}", E, M, 2 ** (E - 1) - 1, _fn(E, M))


#: Automatic exponent bits per width: the OCP and IEEE choices where they exist (E2M1, E2M3, E4M3,
#: E5M10 = float16), and E1 (which is a uniform grid) below 4 bits.
AUTO_EXP_BITS = {2: 1, 3: 1, 4: 2, 5: 2, 6: 2, 7: 3, 8: 4, 9: 4, 10: 4, 11: 5, 12: 5, 13: 5, 14: 5, 15: 5, 16: 5}


def minifloat_split(bits: int, exp_bits: int) -> tuple[int, int]:
    """(E, M) for a ``bits``-wide minifloat: 1 sign bit, E exponent bits (1 ... min(8, bits - 1)), M the rest.

    ``exp_bits = 0`` picks :data:`AUTO_EXP_BITS`.
    """
    room = int(bits) - 1
    e = AUTO_EXP_BITS.get(int(bits), 5) if exp_bits <= 0 else exp_bits
    e = int(max(1, min(8, room, e)))
    return e, room - e


def minifloat(x, fmt, rounding: str = "nearest", seed: int | None = None) -> np.ndarray:
    """x rounded to the minifloat ``fmt`` (see :func:`float_format`), saturating; NaN stays NaN.

    p = max(floor(log2|x|), 1 - bias) (frexp, exact), step = 2^(p - M), x_hat = round(|x| / step) step,
    clamped to the format's max (also for +-inf).  In float64 |x| / step is exact, so "nearest" rounds
    once, half to even, as a hardware cast does: bit-exact with ml_dtypes' casts of float32 input.
    (ml_dtypes casts float64 through float32, rounding twice: 0.56250002 becomes 0.5 in e2m3fn although
    it lies above the midpoint 0.5625 of 0.5 and 0.625; this function gives 0.625.)
    """
    f = float_format(fmt)
    rng = np.random.default_rng(seed) if rounding == "stochastic" else None
    x = np.asarray(x, np.float64)
    a = np.abs(x)
    finite = np.isfinite(a)
    _, e = np.frexp(np.where(finite & (a > 0), a, 1.0))
    p = np.maximum(e - 1, 1 - f.bias)
    step = np.ldexp(1.0, p - f.man_bits)
    q = np.where(finite, _round(np.where(finite, a, 0.0) / step, rounding, rng) * step, np.inf)
    q = np.minimum(q, f.max)
    return np.where(np.isnan(x), np.nan, np.copysign(q, x))


# ---- block formats ------------------------------------------------------------------------------

#: floor(log2(max normal)) of the MX element formats (OCP MX v1.0, table 1); "int8" is MXINT8.
_EMAX = {"float8_e4m3fn": 8, "float8_e5m2": 15, "float6_e2m3fn": 2, "float6_e3m2fn": 4, "float4_e2m1fn": 2,
         "int8": 0}


def mx(x, element_format: str = "float4_e2m1fn", block: int = 32, rounding: str = "nearest",
       seed: int | None = None) -> np.ndarray:
    """OCP Microscaling: blocks of ``block`` values along the last axis share an E8M0 scale 2^e.

    e = floor(log2 max|block|) - emax_elem, clamped to [-127, 127] (the spec's floor rule, so the block
    max can exceed the element max and be clipped), x_hat = 2^e Q_elem(x / 2^e) with the element
    quantizer saturating.  MXINT8 elements are sign-magnitude 1.000000 ... 1.984375 (q / 64,
    |q| <= 127).  An all-zero block stays zero.
    """
    if element_format not in _EMAX:
        raise ValueError(f"element_format must be one of {sorted(_EMAX)}")
    g, back = _groups(x, "block", block)
    amax = np.abs(g).max(axis=1, keepdims=True)
    _, e = np.frexp(np.where(amax > 0, amax, 1.0))
    shared = np.clip(e - 1 - _EMAX[element_format], -127, 127)
    scale = np.ldexp(1.0, shared)
    v = g / scale
    if element_format == "int8":
        rng = np.random.default_rng(seed) if rounding == "stochastic" else None
        q = np.clip(_round(v * 64, rounding, rng), -127, 127) / 64
    else:
        q = minifloat(v, element_format, rounding, seed)
    return back(np.where(amax > 0, q * scale, 0.0))


def nvfp4(x, rounding: str = "nearest", seed: int | None = None) -> np.ndarray:
    """NVFP4: E2M1 elements in blocks of 16 along the last axis, an E4M3 block scale and an FP32 tensor scale.

    tensor scale t = amax / (448 * 6); block scale s_b = E4M3(block_amax / 6 / t) (round to nearest,
    saturating); x_hat = E2M1(x / (s_b t)) s_b t.  (torchao's nvfp4 recipe.)  An all-zero tensor, or
    one holding NaN or inf (whose tensor scale is undefined), gives all zeros.
    """
    g, back = _groups(x, "block", 16)
    amax = float(np.abs(g).max()) if g.size else 0.0
    if amax == 0 or not np.isfinite(amax):
        return back(np.zeros_like(g))
    t = np.float32(amax / (448.0 * 6.0)).item()
    sb = minifloat(np.abs(g).max(axis=1, keepdims=True) / 6.0 / t, "float8_e4m3fn")
    scale = sb * t
    safe = np.where(scale > 0, scale, 1.0)
    q = minifloat(g / safe, "float4_e2m1fn", rounding, seed)
    return back(np.where(scale > 0, q * scale, 0.0))


def _nf4_levels() -> np.ndarray:
    # bitsandbytes' create_normal_map(offset=0.9677083, use_extra_value=True)
    offset = 0.9677083
    v1 = norm.ppf(np.linspace(offset, 0.5, 9)[:-1])
    v3 = -norm.ppf(np.linspace(offset, 0.5, 8)[:-1])
    v = np.sort(np.concatenate([v1, [0.0], v3]))
    return v / v.max()


#: The 16 NF4 levels (normal quantiles, an exact zero, asymmetric: 8 positive, 7 negative).
NF4_LEVELS = _nf4_levels()


def nf4(x, block: int = 64) -> np.ndarray:
    """NF4 (QLoRA): x / absmax(block) rounded to the nearest of :data:`NF4_LEVELS`, times absmax."""
    g, back = _groups(x, "block", block)
    amax = np.abs(g).max(axis=1, keepdims=True)
    v = g / np.where(amax > 0, amax, 1.0)
    mid = (NF4_LEVELS[1:] + NF4_LEVELS[:-1]) / 2
    q = NF4_LEVELS[np.searchsorted(mid, v)]
    return back(q * amax)


# ---- non-uniform grids ----------------------------------------------------------------------------

def power(x, bits: int, exponent: float, granularity: str = "tensor", block: int = 32) -> np.ndarray:
    """Power companding (NUPES/PowerQuant): uniform in |x|^a.

    q = sign(x) round(n (|x|/m)^a), x_hat = sign(q) m (|q|/n)^(1/a), n = 2^(b-1) - 1, m = absmax per
    group.  a = 1 is symmetric uniform; a < 1 puts more levels near zero (bell-shaped data).
    """
    bits = _check_bits(bits, 2)
    a = float(exponent)
    if not a > 0:
        raise ValueError("exponent must be > 0")
    g, back = _groups(x, granularity, block)
    m = np.abs(g).max(axis=1, keepdims=True)
    n = 2 ** (bits - 1) - 1
    safe = np.where(m > 0, m, 1.0)
    q = np.rint(n * (np.abs(g) / safe) ** a)
    return back(np.where(m > 0, np.sign(g) * safe * (q / n) ** (1 / a), 0.0))


def power_of_two(x, bits: int, granularity: str = "tensor", block: int = 32) -> np.ndarray:
    """Power-of-two levels {0, +-2^k}: multiplication becomes a shift (n-BQ-NN).

    One sign bit and bits - 1 for the exponent index, one code kept for 0: L = 2^(bits-1) - 1
    exponents k = k_max - L + 1 ... k_max with k_max = round(log2 absmax) per group.  |x| is rounded
    in the log domain (k = round(log2|x|), clamped); below 2^(k_min - 1) it becomes 0.
    """
    bits = _check_bits(bits, 2)
    g, back = _groups(x, granularity, block)
    m = np.abs(g).max(axis=1, keepdims=True)
    L = 2 ** (bits - 1) - 1
    kmax = np.rint(np.log2(np.where(m > 0, m, 1.0)))
    kmin = kmax - L + 1
    a = np.abs(g)
    with np.errstate(divide="ignore"):
        k = np.clip(np.rint(np.log2(np.where(a > 0, a, 1.0))), kmin, kmax)
    out = np.where(a < np.ldexp(1.0, (kmin - 1).astype(int)), 0.0, np.sign(g) * np.exp2(k))
    return back(np.where(m > 0, out, 0.0))


# ---- FSQ ---------------------------------------------------------------------------------------------

@dataclass
class FSQ:
    """The result of :func:`fsq`."""

    values: np.ndarray   # quantized latent in [-1, 1], same shape as z
    codes: np.ndarray    # integer level per channel, 0 ... L_i - 1
    index: np.ndarray    # one integer per vector: sum_i codes_i prod_(j<i) L_j
    usage: list          # per channel, the fraction of vectors on each level


def fsq(z, levels, bound: str = "tanh") -> FSQ:
    """Finite scalar quantization of a latent z (..., d) with L_i levels on channel i (Mentzer et al.).

    bound="tanh": lucidrains' bound, which also handles even L: half = (L - 1)(1 + 1e-3)/2,
    offset = 0.5 (even L) or 0, shift = atanh(offset / half), f(z) = tanh(z + shift) half - offset.
    bound="ifsq": iFSQ's 2 sigmoid(1.6 z) - 1 = tanh(0.8 z) in place of tanh(z), same form.
    codes = round(f(z)) + L // 2 (half to even); values = round(f(z)) / (L // 2).
    """
    z = np.asarray(z, np.float64)
    L = np.asarray(levels, int).ravel()
    if z.ndim == 0 or z.shape[-1] != L.size:
        raise ValueError(f"z's last axis must have one entry per level ({L.size})")
    if np.any(L < 2):
        raise ValueError("every channel needs at least 2 levels")
    if bound not in ("tanh", "ifsq"):
        raise ValueError("bound must be 'tanh' or 'ifsq'")
    k = 1.0 if bound == "tanh" else 0.8
    half = (L - 1) * (1 + 1e-3) / 2
    offset = np.where(L % 2 == 0, 0.5, 0.0)
    shift = np.arctanh(offset / half)
    bounded = np.tanh(k * z + shift) * half - offset
    r = np.rint(bounded)
    codes = (r + L // 2).astype(int)
    basis = np.cumprod(np.concatenate([[1], L[:-1]]))
    flat = codes.reshape(-1, L.size)
    usage = [np.bincount(flat[:, i], minlength=L[i]) / max(flat.shape[0], 1) for i in range(L.size)]
    return FSQ(values=r / (L // 2), codes=codes, index=(codes * basis).sum(axis=-1), usage=usage)


# ---- metrics ---------------------------------------------------------------------------------------

def mse(x, x_hat) -> float:
    """Mean squared error."""
    return float(np.mean((np.asarray(x, np.float64) - np.asarray(x_hat, np.float64)) ** 2))


def sqnr_db(x, x_hat) -> float:
    """Signal-to-quantization-noise ratio 10 log10(sum x^2 / sum (x - x_hat)^2) in dB (inf if exact)."""
    x = np.asarray(x, np.float64)
    noise = float(np.sum((x - np.asarray(x_hat, np.float64)) ** 2))
    signal = float(np.sum(x**2))
    return math.inf if noise == 0 else 10 * math.log10(signal / noise) if signal > 0 else -math.inf


def kernel_fraction(x, x_hat) -> float:
    """CrossQuant's quantization kernel: the fraction of nonzero values that quantize to exactly 0."""
    x = np.asarray(x)
    nonzero = x != 0
    return float(np.mean(np.asarray(x_hat)[nonzero] == 0)) if nonzero.any() else 0.0


def entropy_bits(codes, n_levels: int | None = None) -> float:
    """Entropy -sum p log2 p of the code usage, in bits (log2 L when all L codes are equally used)."""
    c = np.asarray(codes, int).ravel()
    if c.size == 0:
        return 0.0
    p = np.bincount(c, minlength=n_levels or 0) / c.size
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())
