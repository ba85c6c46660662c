"""Quantizers against independent references: ml_dtypes / NumPy casts, per-block loops written from the
OCP MX and NVFP4 recipes, the bitsandbytes NF4 table, a port of lucidrains' FSQ.bound and closed forms."""
import itertools
import math
import warnings

import ml_dtypes
import numpy as np
import pytest
from scipy.special import expit
from scipy.stats import kstest, norm

from physics import quantize as qz

ORACLE = {
    "float8_e4m3fn": ml_dtypes.float8_e4m3fn,
    "float8_e5m2": ml_dtypes.float8_e5m2,
    "float6_e2m3fn": ml_dtypes.float6_e2m3fn,
    "float6_e3m2fn": ml_dtypes.float6_e3m2fn,
    "float4_e2m1fn": ml_dtypes.float4_e2m1fn,
    "bfloat16": ml_dtypes.bfloat16,
    "float16": np.float16,
}
NAMED = list(ORACLE)


def finfo(name):
    return np.finfo(np.float16) if name == "float16" else ml_dtypes.finfo(ORACLE[name])


def cast(x32, name):
    """The reference cast of a float32 array (ml_dtypes, NumPy for float16), back to float64."""
    assert x32.dtype == np.float32
    with np.errstate(over="ignore"):
        return x32.astype(ORACLE[name]).astype(np.float64)


def oracle_table(name):
    """Every finite non-negative value of the format, from its bit patterns."""
    bits = finfo(name).bits
    codes = np.arange(2**bits, dtype=np.uint16 if bits == 16 else np.uint8)
    with np.errstate(invalid="ignore"):
        v = codes.view(ORACLE[name]).astype(np.float64)
    return np.unique(v[np.isfinite(v) & (v >= 0)]) + 0.0         # + 0.0: -0 becomes +0


def nearest_even(x, table, top):
    """Correctly rounded reference: nearest table value to |x| (ties to the even code), saturating at top."""
    a = np.minimum(np.abs(np.asarray(x, np.float64)), top)
    i = np.clip(np.searchsorted(table, a), 1, table.size - 1)
    lo, hi = table[i - 1], table[i]
    # code of table[j] is j: an even code is an even mantissa
    up = (a - lo > hi - a) | ((a - lo == hi - a) & ((i - 1) % 2 == 1))
    return np.copysign(np.where(up, hi, lo), x)


def random_f32(rng, name, n):
    """Log-normal magnitudes over every binade of the format (subnormals to overflow), both signs."""
    f = qz.FORMATS[name]
    lo = max(math.log2(f.min_subnormal) - 4, -149)
    hi = min(math.log2(f.max) + 2, 127.9)
    e = rng.normal((lo + hi) / 2, (hi - lo) / 4, n).clip(-149, 127.9)
    x = (rng.choice([-1.0, 1.0], n) * 2.0**e).astype(np.float32)
    return x


def assert_same(got, ref):
    """Bit-for-bit: equal values, equal signs of zero, NaN where NaN."""
    got, ref = np.asarray(got), np.asarray(ref)
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(ref))


# ---- minifloats ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMED)
def test_format_constants_match_finfo(name):
    f, fi = qz.FORMATS[name], finfo(name)
    assert f.max == float(fi.max)
    assert f.min_normal == float(fi.tiny)
    assert f.min_subnormal == float(fi.smallest_subnormal)
    assert (f.bits, f.exp_bits, f.man_bits, f.bias) == (fi.bits, fi.nexp, fi.nmant, 1 - fi.minexp)
    assert qz.float_format(name) is f and qz.float_format(f) is f


@pytest.mark.parametrize("name", NAMED)
def test_values_table_is_every_finite_code(name):
    table = oracle_table(name)
    np.testing.assert_array_equal(qz.FORMATS[name].values(), table)
    if qz.FORMATS[name].bits <= 6:
        # and a dense grid cast onto the format hits exactly the same values
        f = qz.FORMATS[name]
        grid = np.arange(0, 1.1 * f.max, f.min_subnormal / 8, dtype=np.float32)
        np.testing.assert_array_equal(np.unique(cast(grid, name)), table)


@pytest.mark.parametrize("name", NAMED)
def test_minifloat_bit_exact_on_random_float32(name):
    rng = np.random.default_rng(NAMED.index(name))
    x = random_f32(rng, name, 100_000)
    got, ref = qz.minifloat(x, name), cast(x, name)
    fin = np.isfinite(ref)
    assert fin.mean() > 0.9
    if name != "bfloat16":                                  # bfloat16's max is near float32's
        assert np.sum(np.abs(x) > qz.FORMATS[name].max * 1.5) > 100     # overflow is exercised
    assert_same(got[fin], ref[fin])
    # where the reference overflows to inf/NaN this module saturates, keeping the sign
    assert_same(got[~fin], np.copysign(qz.FORMATS[name].max, x[~fin]))
    # a good share of the samples are subnormal
    assert np.mean((np.abs(got) > 0) & (np.abs(got) < qz.FORMATS[name].min_normal)) > 0.005


@pytest.mark.parametrize("name", NAMED)
def test_minifloat_edges_against_ml_dtypes_and_ties_to_even(name):
    f = qz.FORMATS[name]
    v = oracle_table(name)
    mid = ((v[1:] + v[:-1]) / 2).astype(np.float32)
    assert np.all(mid.astype(np.float64) == (v[1:] + v[:-1]) / 2)     # midpoints are exact in float32
    above = np.nextafter(mid, np.float32(np.inf))
    below = np.nextafter(mid, np.float32(0))
    k = np.arange(v.size - 1)
    tie = np.where(k % 2 == 0, v[:-1], v[1:])                          # even code = even mantissa
    for sign in (1.0, -1.0):
        s = np.float32(sign)
        assert_same(qz.minifloat(s * v.astype(np.float32), name), sign * v)
        assert_same(qz.minifloat(s * mid, name), sign * tie)
        assert_same(qz.minifloat(s * above, name), sign * v[1:])
        assert_same(qz.minifloat(s * below, name), sign * v[:-1])
        for pts in (v.astype(np.float32), mid, above, below):
            assert_same(qz.minifloat(s * pts, name), cast(s * pts, name))
    # smallest subnormal and half of it (a tie to 0, keeping the sign)
    tiny = np.float32(f.min_subnormal)
    assert_same(qz.minifloat(np.array([tiny, -tiny, tiny / 2, -tiny / 2, 0.0, -0.0], np.float32), name),
                [f.min_subnormal, -f.min_subnormal, 0.0, -0.0, 0.0, -0.0])
    # between max and the rounding threshold max + ulp/2: still max, as in the reference
    ulp = v[-1] - v[-2]
    thr = f.max + ulp / 2
    between = np.linspace(f.max, thr, 33).astype(np.float32)
    between = between[between < thr]
    assert_same(qz.minifloat(between, name), np.full(between.size, f.max))
    assert_same(cast(between, name), np.full(between.size, f.max))
    with np.errstate(over="ignore"):                                   # 2 thr is inf in float32 for bfloat16
        beyond = np.array([np.nextafter(np.float32(thr), np.float32(np.inf)), 2 * thr, np.inf, -np.inf], np.float32)
    assert_same(qz.minifloat(beyond, name), [f.max, f.max, f.max, -f.max])


def test_overflow_saturates_where_ml_dtypes_gives_nan():
    x = np.array([460, 464, 465, 500, 1e6, -500], np.float32)
    assert_same(qz.minifloat(x, "float8_e4m3fn"), [448, 448, 448, 448, 448, -448])
    ref = cast(x, "float8_e4m3fn")
    assert ref[0] == 448 and ref[1] == 448 and np.isnan(ref[2:]).all()
    assert_same(qz.minifloat([np.inf, -np.inf], "float8_e5m2"), [57344.0, -57344.0])
    out = qz.minifloat([np.nan, 1.0, -np.nan], "float4_e2m1fn")
    assert np.isnan(out[[0, 2]]).all() and out[1] == 1.0
    assert np.isnan(qz.minifloat([np.nan], (3, 2), rounding="stochastic", seed=0)).all()


@pytest.mark.parametrize("name", NAMED)
def test_float64_input_is_rounded_once(name):
    """ml_dtypes rounds float64 through float32 (twice); this module rounds once, to the nearest value."""
    f = qz.FORMATS[name]
    v = oracle_table(name)
    rng = np.random.default_rng(7)
    mid = (v[1:] + v[:-1]) / 2
    eps = 2.0**-40
    x = np.concatenate([mid * (1 + eps), mid * (1 - eps), mid,
                        rng.uniform(0, 1.2 * f.max, 20_000), 2.0 ** rng.uniform(-140, 0, 5000)])
    x = np.concatenate([x, -x])
    assert_same(qz.minifloat(x, name), nearest_even(x, v, f.max))
    # the double rounding is real: just above a midpoint, float32 sees the tie itself
    n = v.size - 1
    up = mid * (1 + eps)
    wrong = (np.float32(up).astype(ORACLE[name]).astype(np.float64) != v[1:])
    assert wrong[np.arange(n) % 2 == 0].all()         # ties whose even neighbour is the lower one
    if name == "float6_e2m3fn":
        assert qz.minifloat(0.56250002, name) == 0.625
        assert float(np.float64(0.56250002).astype(ml_dtypes.float6_e2m3fn)) == 0.5


def test_generic_pairs():
    f43 = qz.float_format((4, 3))
    assert (f43.bias, f43.max, f43.bits) == (7, 480.0, 8)
    assert f43.values().size == 2**7 and f43.values()[-1] == 480.0     # every code finite
    assert qz.minifloat(470.0, (4, 3)) == 480.0 and qz.minifloat(1e9, (4, 3)) == 480.0
    rng = np.random.default_rng(3)
    for pair, name in [((2, 1), "float4_e2m1fn"), ((2, 3), "float6_e2m3fn"), ((3, 2), "float6_e3m2fn")]:
        fp = qz.float_format(pair)
        assert (fp.max, fp.min_subnormal, fp.bias) == (qz.FORMATS[name].max, qz.FORMATS[name].min_subnormal,
                                                       qz.FORMATS[name].bias)
        np.testing.assert_array_equal(fp.values(), oracle_table(name))
        x = random_f32(rng, name, 20_000)
        assert_same(qz.minifloat(x, pair), cast(x, name))
    # (4, 3) is float8_e4m3fn below 448's threshold; (5, 10) and (8, 7) are float16 and bfloat16 in range
    for pair, name in [((4, 3), "float8_e4m3fn"), ((5, 10), "float16"), ((8, 7), "bfloat16")]:
        x = random_f32(rng, name, 20_000)
        ref = cast(x, name)
        keep = np.isfinite(ref) & (np.abs(ref) < qz.FORMATS[name].max)
        assert_same(qz.minifloat(x[keep], pair), ref[keep])
    # M = 0: powers of two only
    np.testing.assert_array_equal(qz.float_format((3, 0)).values(), [0, 0.25, 0.5, 1, 2, 4, 8, 16])
    assert qz.minifloat(3.0, (3, 0)) == 4.0 and qz.minifloat(5.0, (3, 0)) == 4.0


@pytest.mark.parametrize("bad", ["float8_e4m3", "int8", (0, 3), (9, 2), (3, -1), (3, 24), (4,), (1, 2, 3), 3.0, None])
def test_bad_formats_raise(bad):
    with pytest.raises(ValueError):
        qz.float_format(bad)
    with pytest.raises(ValueError):
        qz.minifloat([1.0], bad)


def test_minifloat_bad_rounding_raises():
    with pytest.raises(ValueError, match="rounding"):
        qz.minifloat([1.0], "float16", rounding="up")


@pytest.mark.parametrize("name,xs", [("float4_e2m1fn", [0.3, 1.2, 2.5, 4.9, 5.5, -3.3, -0.1]),
                                     ("float8_e4m3fn", [0.0011, 0.3, 17.3, -300.0, 445.0]),
                                     ("bfloat16", [1.0 + 1e-3, -3.14159, 1e-39])])
def test_minifloat_stochastic_rounding(name, xs):
    table = oracle_table(name)
    R = 40_000
    x = np.repeat(np.array(xs)[None, :], R, axis=0)
    out = qz.minifloat(x, name, rounding="stochastic", seed=11)
    for j, xj in enumerate(xs):
        a = abs(xj)
        i = np.searchsorted(table, a)
        lo, hi = table[i - 1], table[i]
        assert lo < a < hi
        col = np.abs(out[:, j])
        assert np.all((col == lo) | (col == hi)) and np.all(np.signbit(out[:, j]) == (xj < 0))
        p = (a - lo) / (hi - lo)
        se = (hi - lo) * math.sqrt(p * (1 - p) / R)
        assert abs(col.mean() - a) < 5 * se
    # representable values are left alone; seeds reproduce
    assert_same(qz.minifloat(table, name, rounding="stochastic", seed=1), table)
    np.testing.assert_array_equal(out, qz.minifloat(x, name, rounding="stochastic", seed=11))


# ---- integer -------------------------------------------------------------------------------------

def rows_matrix(seed=0):
    """A 6 x 50 matrix whose rows differ in scale by up to 10^6."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(6, 50)) * 10.0 ** rng.uniform(-3, 3, size=(6, 1))


def group_ids(shape, granularity, block):
    """Integer group label per element, written independently of the module."""
    ids = np.zeros(shape, int)
    if granularity == "channel":
        ids = np.broadcast_to(np.arange(shape[0])[:, None], shape).copy()
    elif granularity == "block":
        n = shape[-1]
        nb = -(-n // block)
        for r in range(int(np.prod(shape[:-1]))):
            for j in range(n):
                ids.reshape(-1, n)[r, j] = r * nb + j // block
    return ids


def ref_scale(x, bits, granularity, block, symmetric=True):
    """Per-element scale from the group labels."""
    ids = group_ids(x.shape, granularity, block)
    s = np.zeros(x.shape)
    for g in np.unique(ids):
        m = ids == g
        if symmetric:
            s[m] = np.abs(x[m]).max() / (2 ** (bits - 1) - 1)
        else:
            s[m] = (x[m].max() - x[m].min()) / (2**bits - 1)
    return s, ids


def test_default_scale_is_absmax_over_levels():
    x = rows_matrix()
    for b in (2, 3, 4, 8, 16):
        assert qz.uniform_scale(x, b).item() == np.abs(x).max() / (2 ** (b - 1) - 1)
        np.testing.assert_allclose(qz.uniform_scale(x, b, "channel")[:, 0],
                                   np.abs(x).max(axis=1) / (2 ** (b - 1) - 1), rtol=0)


@pytest.mark.parametrize("granularity", ["tensor", "channel", "block"])
def test_uniform_error_levels_and_grid(granularity):
    x = rows_matrix(1)
    block = 16                                        # 50 = 3 * 16 + 2: a partial last block
    for b in range(2, 17):
        s, ids = ref_scale(x, b, granularity, block)
        out = qz.uniform(x, b, granularity, block)
        assert out.shape == x.shape
        assert np.all(np.abs(x - out) <= s / 2 * (1 + 1e-9))
        q = out / s
        np.testing.assert_allclose(q, np.rint(q), atol=1e-6)
        top = 2 ** (b - 1) - 1
        assert np.abs(np.rint(q)).max() == top     # the group max lands on the top level
        for g in np.unique(ids):
            assert np.unique(out[ids == g]).size <= 2**b - 1
        if granularity == "block":                # one scale per block: a plain loop
            ref = [np.abs(x[r, j:j + block]).max() / top for r in range(6) for j in range(0, 50, block)]
            np.testing.assert_array_equal(qz.uniform_scale(x, b, "block", block)[:, 0], ref)


def test_channel_is_axis_zero_and_block_is_the_last_axis():
    x = np.random.default_rng(3).normal(size=(3, 4, 10)) * np.array([1e-2, 1.0, 30.0])[:, None, None]
    per = qz.uniform(x, 4, "channel")
    for i in range(3):
        np.testing.assert_array_equal(per[i], qz.uniform(x[i], 4))
    blk = qz.uniform(x, 4, "block", 4)                              # 10 = 4 + 4 + 2 per row
    for i, j in itertools.product(range(3), range(4)):
        for k in range(0, 10, 4):
            np.testing.assert_array_equal(blk[i, j, k:k + 4], qz.uniform(x[i, j, k:k + 4], 4))
    np.testing.assert_array_equal(qz.uniform(x[0, 0], 4, "channel"), qz.uniform(x[0, 0], 4))    # 1-D: per tensor


def test_ties_round_half_to_even():
    x = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 3.5, 7.0])                # 4 bits: s = 7 / 7 = 1
    np.testing.assert_array_equal(qz.uniform(x, 4), [0, 2, 2, 0, -2, 4, 7])
    np.testing.assert_array_equal(qz.fixed_point([0.125, 0.375, -0.125], 8, 2), [0.0, 0.5, 0.0])


def test_per_channel_beats_per_tensor():
    x = rows_matrix(2)
    for b in range(2, 9):
        assert qz.mse(x, qz.uniform(x, b, "channel")) < qz.mse(x, qz.uniform(x, b, "tensor"))
    # and every level set is used: 2-bit per tensor sends the small rows to 0
    assert qz.kernel_fraction(x, qz.uniform(x, 2)) > 0.5


def test_uniform_asymmetric_against_reference():
    rng = np.random.default_rng(4)
    x = rng.normal(0.7, 1.0, size=(5, 37))
    x[0, 3] = 0.0
    for b in (2, 3, 4, 8):
        for granularity in ("tensor", "channel", "block"):
            out = qz.uniform(x, b, granularity, 8, symmetric=False)
            ids = group_ids(x.shape, granularity, 8)
            ref = np.zeros_like(x)
            for g in np.unique(ids):
                m = ids == g
                lo, hi = min(x[m].min(), 0.0), max(x[m].max(), 0.0)     # the range always holds 0
                s = (hi - lo) / (2**b - 1)
                z = round(-lo / s)                    # Python round: half to even
                q = np.clip(np.round(x[m] / s) + z, 0, 2**b - 1)
                ref[m] = s * (q - z)
                assert np.all(np.abs(x[m] - out[m]) <= s / 2 * (1 + 1e-9))
                if lo < 0 < hi:
                    assert 0 <= z <= 2**b - 1
                assert np.unique(out[m]).size <= 2**b
            np.testing.assert_allclose(out, ref, rtol=1e-14, atol=1e-15)
            assert out[0, 3] == 0.0                   # zero is exact
        s = qz.uniform_scale(x, b, symmetric=False)
        assert s.item() == (x.max() - x.min()) / (2**b - 1)


def test_symmetric_clip_saturates():
    x = np.linspace(-2.0, 2.0, 401)
    for b, c in [(4, 0.5), (8, 0.25), (3, 0.9)]:
        s = c * 2.0 / (2 ** (b - 1) - 1)
        assert qz.uniform_scale(x, b, clip=c).item() == pytest.approx(s, rel=1e-15)
        out = qz.uniform(x, b, clip=c)
        big = np.abs(x) > c * 2.0
        np.testing.assert_allclose(out[big], np.sign(x[big]) * c * 2.0, rtol=1e-14)
        assert np.all(np.abs(x - out)[~big] <= s / 2 * (1 + 1e-9))


def test_asymmetric_clip_shrinks_both_ends():
    x = np.linspace(-1.0, 1.0, 201)
    out = qz.uniform(x, 8, symmetric=False, clip=0.5)
    s = 0.5 * 2.0 / 255
    assert out.max() == pytest.approx(0.5, abs=s) and out.min() == pytest.approx(-0.5, abs=s)


def test_asymmetric_constant_group_is_not_zeroed():
    out = qz.uniform(np.full(8, 3.0), 8, symmetric=False)
    np.testing.assert_allclose(out, 3.0, rtol=1e-12)


def test_one_bit_is_sign_times_mean_abs():
    x = rows_matrix(5)
    np.testing.assert_allclose(qz.uniform(x, 1), np.abs(x).mean() * np.sign(x), rtol=1e-15)
    np.testing.assert_allclose(qz.uniform(x, 1, "channel"), np.abs(x).mean(axis=1, keepdims=True) * np.sign(x),
                               rtol=1e-15)
    x[2, 5] = 0.0
    assert qz.uniform(x, 1)[2, 5] == 0.0


def test_uniform_stochastic_rounding_unbiased_and_on_neighbours():
    x = np.array([1.0, 0.37, -0.81, 0.05, -0.999, 0.5 / 7])     # absmax 1, s = 1/7 at 4 bits
    s = 1.0 / 7
    R = 20_000
    tiled = np.repeat(x[None, :], R, axis=0)
    out = qz.uniform(tiled, 4, rounding="stochastic", seed=5)
    lo, hi = np.floor(x / s) * s, np.ceil(x / s) * s
    assert np.all(np.isclose(out, lo, atol=1e-12, rtol=0) | np.isclose(out, hi, atol=1e-12, rtol=0))
    p = x / s - np.floor(x / s)
    se = s * np.sqrt(p * (1 - p) / R) + 1e-15
    assert np.all(np.abs(out.mean(axis=0) - x) <= 5 * se)
    # the mean over many seeds (per-call rng) is unbiased as well
    m = np.mean([qz.uniform(x, 4, rounding="stochastic", seed=k) for k in range(2000)], axis=0)
    assert np.all(np.abs(m - x) <= 5 * s * np.sqrt(p * (1 - p) / 2000) + 1e-12)
    np.testing.assert_array_equal(qz.uniform(x, 4, rounding="stochastic", seed=3),
                                  qz.uniform(x, 4, rounding="stochastic", seed=3))
    # asymmetric stochastic: on the asymmetric grid's neighbours
    xa = np.repeat(np.array([[0.0, 0.3, 1.0, 0.71]]), 5000, axis=0)
    oa = qz.uniform(xa, 3, symmetric=False, rounding="stochastic", seed=2)
    sa = 1.0 / 7
    np.testing.assert_allclose(oa / sa, np.rint(oa / sa), atol=1e-9)
    assert np.all(np.abs(oa - xa) < sa * (1 + 1e-9))
    assert np.all(np.abs(oa.mean(axis=0) - xa[0]) < 5 * sa * 0.5 / np.sqrt(5000) + 1e-12)


@pytest.mark.parametrize("granularity", ["tensor", "channel", "block"])
def test_all_zero_input_stays_zero(granularity):
    z = np.zeros((3, 20))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for b in (1, 2, 4, 8):
            for sym in (True, False):
                for rounding in ("nearest", "stochastic"):
                    out = qz.uniform(z, b, granularity, 8, symmetric=sym, rounding=rounding, seed=0)
                    assert_same(out, z)
    # a zero row next to nonzero rows, per channel
    x = rows_matrix()
    x[3] = 0.0
    assert np.all(qz.uniform(x, 4, "channel")[3] == 0) and np.all(qz.uniform(x, 4, "channel", symmetric=False)[3] == 0)


def test_uniform_bad_arguments_raise():
    x = np.ones((2, 4))
    for bits in (0, 33, 2.5, -1):
        with pytest.raises(ValueError, match="bits"):
            qz.uniform(x, bits)
    with pytest.raises(ValueError, match="granularity"):
        qz.uniform(x, 4, "row")
    with pytest.raises(ValueError, match="rounding"):
        qz.uniform(x, 4, rounding="up")
    with pytest.raises(ValueError, match="block"):
        qz.uniform(x, 4, "block", block=0)
    for c in (0.0, 1.5, -0.3):
        with pytest.raises(ValueError, match="clip"):
            qz.uniform(x, 4, clip=c)


# ---- fixed point ---------------------------------------------------------------------------------------

WF = [(8, 4), (8, 0), (8, 7), (4, 6), (6, -2), (12, 5), (3, 3), (1, 0), (16, 12), (5, 9)]


@pytest.mark.parametrize("W,F", WF)
def test_fixed_point_step_and_range(W, F):
    step, top = 2.0**-F, 2.0 ** (W - F - 1)
    x = np.concatenate([np.linspace(-1.5 * top, 1.5 * top, 7 * 2**W + 3),
                        np.random.default_rng(W * 100 + F).uniform(-2 * top, 2 * top, 2000)])
    out = qz.fixed_point(x, W, F)
    k = out / step
    np.testing.assert_array_equal(k, np.rint(k))
    assert out.min() == -top and out.max() == top - step
    assert np.unique(out).size == 2**W
    inside = (x >= -top - step / 2) & (x <= top - step / 2)
    assert np.all(np.abs(x - out)[inside] <= step / 2)
    np.testing.assert_array_equal(out[x > top], top - step)
    np.testing.assert_array_equal(out[x < -top - step], -top)


@pytest.mark.parametrize("W,F", WF)
def test_fixed_point_wrap_is_twos_complement(W, F):
    step = 2.0**-F
    rng = np.random.default_rng(100 * W + F + 50)
    x = rng.uniform(-5, 5, 5000) * 2.0 ** (W - F - 1)
    qi = np.rint(x / step).astype(np.int64)
    wrapped = ((qi + 2 ** (W - 1)) & (2**W - 1)) - 2 ** (W - 1)    # keep the low W bits
    np.testing.assert_array_equal(qz.fixed_point(x, W, F, overflow="wrap"), wrapped * step)
    if W in (8, 16):
        narrow = qi.astype(np.int8 if W == 8 else np.int16)         # C cast: the same wrap
        np.testing.assert_array_equal(qz.fixed_point(x, W, F, overflow="wrap"), narrow * step)
    # the documented example: 2^(W-F-1) becomes -2^(W-F-1)
    assert qz.fixed_point(2.0 ** (W - F - 1), W, F, overflow="wrap") == -(2.0 ** (W - F - 1))


def test_fixed_point_stochastic_and_errors():
    x = np.full(20_000, 0.3)
    out = qz.fixed_point(x, 8, 3, rounding="stochastic", seed=1)     # step 1/8: 0.25 or 0.375
    assert set(np.unique(out)) == {0.25, 0.375}
    assert abs(out.mean() - 0.3) < 5 * 0.125 * math.sqrt(0.4 * 0.6 / x.size)
    with pytest.raises(ValueError, match="overflow"):
        qz.fixed_point(x, 8, 3, overflow="clamp")
    with pytest.raises(ValueError, match="bits"):
        qz.fixed_point(x, 0, 3)
    with pytest.raises(ValueError, match="rounding"):
        qz.fixed_point(x, 8, 3, rounding="floor")


def test_best_frac_bits_is_largest_without_overflow():
    rng = np.random.default_rng(9)
    cases = [rng.normal(size=50) * 10.0**p for p in range(-4, 5)]
    cases += [np.array([2.0**k, -0.3 * 2.0**k]) for k in (-10, -1, 0, 1, 5)]      # max is a power of two
    for x in cases:
        m = np.abs(x).max()
        for W in (4, 8, 12, 16):
            F = qz.best_frac_bits(x, W)
            assert m < 2.0 ** (W - F - 1)                                       # within the range
            for mode in ("wrap", "saturate"):
                assert np.all(np.abs(qz.fixed_point(x, W, F, mode) - x) <= 2.0**-F / 2)
            worse = qz.fixed_point(x, W, F + 1, "wrap")
            assert np.abs(worse - x).max() > 2.0 ** -(F + 1) / 2                 # F + 1 overflows
    assert qz.best_frac_bits(np.zeros(3), 8) == 7
    # a negative extreme may use the extra code -2^(W-1): -8 fits Q(4, 0)
    x = np.array([0.1, -8.0])
    F = qz.best_frac_bits(x, 4)
    assert F == 0 and np.all(qz.fixed_point(x, 4, F, "wrap") == [0.0, -8.0])


def test_best_frac_bits_near_a_power_of_two():
    x = np.array([0.999, 0.2])
    F = qz.best_frac_bits(x, 8)
    assert np.all(np.abs(qz.fixed_point(x, 8, F, "wrap") - x) <= 2.0**-F / 2)


# ---- MX and NVFP4 -------------------------------------------------------------------------------------

MX_ELEMS = ["float4_e2m1fn", "float6_e2m3fn", "float6_e3m2fn", "float8_e4m3fn", "float8_e5m2", "int8"]


def floor_log2(a):
    e = math.frexp(a)[1] - 1
    assert 2.0**e <= a < 2.0 ** (e + 1)
    return e


def mx_reference(x, fmt, block=32):
    """OCP MX v1.0, one block at a time: E8M0 shared exponent (floor rule), elements cast by ml_dtypes."""
    x = np.asarray(x, np.float64)
    n = x.shape[-1]
    rows = x.reshape(-1, n)
    out = np.zeros_like(rows)
    emax = 0 if fmt == "int8" else floor_log2(float(ml_dtypes.finfo(ORACLE[fmt]).max))
    for r in range(rows.shape[0]):
        for j in range(0, n, block):
            b = rows[r, j:j + block]
            amax = float(np.abs(b).max())
            if amax == 0:
                continue
            e = min(max(floor_log2(amax) - emax, -127), 127)
            v = b / 2.0**e
            if fmt == "int8":
                q = np.clip(np.round(v * 64), -127, 127) / 64
            else:
                top = float(ml_dtypes.finfo(ORACLE[fmt]).max)
                q = np.clip(v, -top, top).astype(np.float32).astype(ORACLE[fmt]).astype(np.float64)
            out[r, j:j + block] = q * 2.0**e
    return out.reshape(x.shape)


def mx_data(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3, 70)) * np.exp(rng.normal(0, 2, size=(3, 70)))
    x[1, 32:64] = 0.0                                          # an all-zero block
    x[0, :32] *= 7.3 / np.abs(x[0, :32]).max()                 # amax / 2^e in (6, 8) for FP4
    x[2, 64:] *= 1e-30                                         # tiny partial last block
    return x.astype(np.float32)


@pytest.mark.parametrize("fmt", MX_ELEMS)
def test_mx_matches_block_reference(fmt):
    x = mx_data(1)
    out = qz.mx(x, fmt)
    assert out.shape == x.shape and out.dtype == np.float64
    assert_same(out, mx_reference(x, fmt))
    assert np.all(out[1, 32:64] == 0)
    # 1-D input and another block size
    assert_same(qz.mx(x[0], fmt, block=16), mx_reference(x[0], fmt, 16))
    # the shared exponent clamps at +-127
    big = np.array([1.5 * 2.0**130, -2.0**129, 3 * 2.0**-140, 2.0**-141])
    assert_same(qz.mx(big, fmt, block=2), mx_reference(big, fmt, 2))


def test_mx_floor_rule_clips_the_block_max():
    # FP4: amax / 2^e lands in [4, 8): 7.0 and 7.9 clip to 6, 5.2 rounds to 6, 4.9 to 4
    for amax, expect in [(7.0, 6.0), (7.9, 6.0), (5.2, 6.0), (4.9, 4.0), (8.0, 8.0)]:
        for k in (-3, 0, 5):
            x = np.array([amax, 0.5, -1.0, 0.0]) * 2.0**k
            assert qz.mx(x, "float4_e2m1fn")[0] == expect * 2.0**k
    # FP6 E2M3: max 7.5, so 7.9 clips to 7.5; MXINT8: 1.99 -> 127/64
    assert qz.mx([7.9, 1.0], "float6_e2m3fn")[0] == 7.5
    assert qz.mx([1.999, 1.0], "int8")[0] == 127 / 64
    np.testing.assert_array_equal(qz.mx(np.zeros(40), "float8_e4m3fn"), np.zeros(40))
    with pytest.raises(ValueError, match="element_format"):
        qz.mx([1.0], "float16")


def test_mx_stochastic_on_neighbours():
    x = np.repeat(np.array([[4.0, 1.2, -2.6, 0.7]]), 20_000, axis=0)     # scale 1 for FP4 (amax 4)
    out = qz.mx(x, "float4_e2m1fn", block=4, rounding="stochastic", seed=3)
    for j, (lo, hi) in enumerate([(4, 4), (1.0, 1.5), (2.0, 3.0), (0.5, 1.0)]):
        col = np.abs(out[:, j])
        assert np.all((col == lo) | (col == hi))
        assert abs(col.mean() - abs(x[0, j])) < 5 * (hi - lo) * 0.5 / math.sqrt(x.shape[0]) + 1e-12


def nvfp4_reference(x):
    """torchao's NVFP4 recipe, block by block: fp32 tensor scale, E4M3 block scale, E2M1 elements."""
    x = np.asarray(x, np.float64)
    n = x.shape[-1]
    rows = x.reshape(-1, n)
    out = np.zeros_like(rows)
    amax = float(np.abs(x).max())
    if amax == 0:
        return out.reshape(x.shape)
    t = float(np.float32(amax / (448.0 * 6.0)))
    for r in range(rows.shape[0]):
        for j in range(0, n, 16):
            b = rows[r, j:j + 16]
            sb = float(np.float32(np.abs(b).max() / 6.0 / t).astype(ml_dtypes.float8_e4m3fn))
            if sb == 0:
                continue
            q = (b / (sb * t)).astype(np.float32).astype(ml_dtypes.float4_e2m1fn).astype(np.float64)
            out[r, j:j + 16] = q * sb * t
    return out.reshape(x.shape)


def test_nvfp4_matches_reference():
    rng = np.random.default_rng(12)
    x = rng.normal(size=(4, 50)) * 10.0 ** rng.uniform(-2, 2, size=(4, 1))
    x[1, 16:32] = 0.0                     # zero block
    x[2, :16] *= 1e-5                     # block scale in E4M3's subnormal range
    x[3, 32:48] *= 1e-9                   # block scale rounds to 0
    out = qz.nvfp4(x)
    assert out.shape == x.shape
    assert_same(out, nvfp4_reference(x))
    assert np.all(out[1, 16:32] == 0)
    assert_same(qz.nvfp4(x.astype(np.float32)), nvfp4_reference(x.astype(np.float32)))
    assert_same(qz.nvfp4(x[0]), nvfp4_reference(x[0]))
    # the tensor max is reproduced to E4M3 x E2M1 precision: 6 * 448 * t = amax
    i = np.unravel_index(np.abs(x).argmax(), x.shape)
    assert out[i] == pytest.approx(x[i], rel=1e-6)
    np.testing.assert_array_equal(qz.nvfp4(np.zeros((2, 20))), np.zeros((2, 20)))


# ---- NF4 -----------------------------------------------------------------------------------------

NOTES_NF4 = [-1, -0.6962, -0.5251, -0.3949, -0.2844, -0.1848, -0.0911, 0, 0.0796, 0.1609, 0.2461,
             0.3379, 0.4407, 0.5626, 0.7230, 1]


def test_nf4_levels():
    L = qz.NF4_LEVELS
    assert L.shape == (16,)
    np.testing.assert_allclose(L, NOTES_NF4, atol=1e-4)
    # rebuilt from bitsandbytes' create_normal_map recipe with scipy
    off = 0.9677083
    pos = norm.ppf(np.linspace(off, 0.5, 9)[:-1])
    neg = -norm.ppf(np.linspace(off, 0.5, 8)[:-1])
    v = np.sort(np.r_[pos, 0.0, neg])
    np.testing.assert_allclose(L, v / v.max(), rtol=0, atol=1e-15)
    assert np.sum(L == 0) == 1 and np.sum(L > 0) == 8 and np.sum(L < 0) == 7
    assert L[0] == -1 and L[-1] == 1 and np.all(np.diff(L) > 0)


def test_nf4_outputs_are_nearest_levels_times_block_absmax():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(3, 150)) * np.array([[1e-3], [1.0], [50.0]])
    block = 64
    out = qz.nf4(x, block)
    assert out.shape == x.shape
    L = qz.NF4_LEVELS
    for r in range(3):
        for j in range(0, 150, block):
            b, o = x[r, j:j + block], out[r, j:j + block]
            amax = np.abs(b).max()
            lvl = o / amax
            k = np.abs(lvl[:, None] - L[None, :]).argmin(axis=1)
            np.testing.assert_allclose(lvl, L[k], atol=1e-15)
            dist = np.abs(b[:, None] / amax - L[None, :])
            assert np.all(np.abs(b / amax - lvl) <= dist.min(axis=1) + 1e-15)
            assert np.abs(o).max() == amax                            # the block max is exact
    np.testing.assert_array_equal(qz.nf4(np.zeros(70)), np.zeros(70))


# ---- power and power of two ----------------------------------------------------------------------

@pytest.mark.parametrize("granularity", ["tensor", "channel", "block"])
def test_power_one_is_symmetric_uniform(granularity):
    x = rows_matrix(7)
    for b in range(2, 9):
        np.testing.assert_allclose(qz.power(x, b, 1.0, granularity, 16), qz.uniform(x, b, granularity, 16),
                                   rtol=1e-13, atol=0)


def test_power_companding_beats_uniform_on_gaussian():
    x = np.random.default_rng(8).normal(size=50_000)
    for b in (3, 4):
        e1 = qz.mse(x, qz.power(x, b, 1.0))
        assert qz.mse(x, qz.power(x, b, 0.65)) < e1
        assert qz.mse(x, qz.power(x, b, 0.8)) < e1
    assert qz.mse(x, qz.power(x, 4, 0.65)) < 0.8 * qz.mse(x, qz.power(x, 4, 1.0))


def test_power_levels_are_inverse_companded():
    x = rows_matrix(9)
    for b, a in [(3, 0.5), (4, 0.65), (6, 1.7)]:
        out = qz.power(x, b, a, "channel")
        n = 2 ** (b - 1) - 1
        m = np.abs(x).max(axis=1, keepdims=True)
        k = n * (np.abs(out) / m) ** a
        np.testing.assert_allclose(k, np.rint(k), atol=1e-9)                     # |out| = m (k/n)^(1/a)
        assert np.all(np.abs(n * (np.abs(x) / m) ** a - np.rint(k)) <= 0.5 + 1e-9)  # nearest in |x|^a
        assert np.all((np.sign(out) == np.sign(x)) | (out == 0))
    with pytest.raises(ValueError, match="exponent"):
        qz.power(x, 4, 0.0)
    with pytest.raises(ValueError, match="bits"):
        qz.power(x, 1, 0.5)


@pytest.mark.parametrize("granularity", ["tensor", "channel"])
def test_power_of_two(granularity):
    rng = np.random.default_rng(10)
    x = rng.normal(size=(4, 300)) * np.exp(rng.normal(0, 2, size=(4, 300))) * np.array([[1e-3], [1], [7], [1e4]])
    for b in range(2, 7):
        out = qz.power_of_two(x, b, granularity)
        L = 2 ** (b - 1) - 1
        m = np.abs(x).max() if granularity == "tensor" else np.abs(x).max(axis=1, keepdims=True)
        kmax = np.rint(np.log2(m)) * np.ones((4, 1))
        kmin = kmax - L + 1
        nz = out != 0
        k = np.log2(np.abs(out[nz]))
        np.testing.assert_array_equal(k, np.rint(k))                                 # exactly +-2^k
        kk = np.broadcast_to(kmin, x.shape)[nz]
        assert np.all((k >= kk) & (k <= np.broadcast_to(kmax, x.shape)[nz]))
        assert np.all(np.sign(out[nz]) == np.sign(x[nz]))
        np.testing.assert_array_equal(nz, np.abs(x) >= 2.0 ** (np.broadcast_to(kmin, x.shape) - 1))
        np.testing.assert_array_equal(k, np.clip(np.rint(np.log2(np.abs(x[nz]))), kk,
                                                 np.broadcast_to(kmax, x.shape)[nz]))
        groups = [np.abs(out)] if granularity == "tensor" else list(np.abs(out))
        for g in groups:
            assert np.unique(g[g > 0]).size <= L
    np.testing.assert_array_equal(qz.power_of_two(np.zeros(5), 3), np.zeros(5))


# ---- FSQ -----------------------------------------------------------------------------------------

def lucidrains_fsq(z, levels, eps=1e-3):
    """NumPy port of vector_quantize_pytorch FSQ.bound / quantize / codes_to_indices."""
    L = np.asarray(levels)
    half_l = (L - 1) * (1 + eps) / 2
    offset = np.where(L % 2 == 0, 0.5, 0.0)
    shift = np.arctanh(offset / half_l)
    bounded = np.tanh(z + shift) * half_l - offset
    half_width = L // 2
    zhat = np.round(bounded) / half_width
    basis = np.cumprod([1] + list(levels[:-1]))
    codes = zhat * half_width + half_width
    return zhat, codes.astype(int), (codes * basis).sum(axis=-1).astype(int)


@pytest.mark.parametrize("levels", [[8, 5, 5, 5], [7, 5, 5, 5, 5], [2, 3, 4, 6], [8, 6, 5]])
def test_fsq_codes_values_index(levels):
    rng = np.random.default_rng(len(levels))
    z = rng.normal(size=(3000, len(levels))) * 2.5
    r = qz.fsq(z, levels)
    L = np.array(levels)
    assert r.codes.shape == z.shape and r.values.shape == z.shape and r.index.shape == (3000,)
    assert np.all((r.codes >= 0) & (r.codes <= L - 1))
    np.testing.assert_array_equal(r.values, (r.codes - L // 2) / (L // 2))
    assert np.all(np.abs(r.values) <= 1)
    basis = np.cumprod([1] + levels[:-1])
    np.testing.assert_array_equal(r.index, (r.codes * basis).sum(axis=-1))
    # the lucidrains port agrees value for value
    zhat, codes, index = lucidrains_fsq(z, levels)
    np.testing.assert_array_equal(r.values, zhat)
    np.testing.assert_array_equal(r.codes, codes)
    np.testing.assert_array_equal(r.index, index)
    # usage: per channel, fractions of vectors on each level, summing to 1
    for i, u in enumerate(r.usage):
        assert u.shape == (L[i],) and u.sum() == pytest.approx(1.0, abs=1e-12)
        np.testing.assert_allclose(u, np.bincount(r.codes[:, i], minlength=L[i]) / 3000)


@pytest.mark.parametrize("levels", [[8, 5, 5, 5], [2, 3, 4, 6]])
def test_fsq_every_code_combination_has_its_own_index(levels):
    L = np.array(levels)
    half = (L - 1) * (1 + 1e-3) / 2
    offset = np.where(L % 2 == 0, 0.5, 0.0)
    shift = np.arctanh(offset / half)
    combos = np.array(list(itertools.product(*[range(n) for n in levels])))      # every code tuple
    target = combos - L // 2                                                     # rounded bound values
    z = np.arctanh((target + offset) / half) - shift                             # invert the bound
    r = qz.fsq(z, levels)
    np.testing.assert_array_equal(r.codes, combos)
    assert np.unique(r.index).size == np.prod(L) and r.index.min() == 0 and r.index.max() == np.prod(L) - 1
    basis = np.cumprod([1] + levels[:-1])
    np.testing.assert_array_equal((r.index[:, None] // basis) % L, combos)       # indices_to_codes


def test_ifsq_bound_is_tanh_of_0_8_z():
    z = np.linspace(-20, 20, 40_001)
    np.testing.assert_allclose(2 * expit(1.6 * z) - 1, np.tanh(0.8 * z), rtol=0, atol=1e-15)
    rng = np.random.default_rng(13)
    zz = rng.normal(size=(2000, 4)) * 1.7
    for levels in ([17, 17, 17, 17], [8, 5, 5, 5]):
        a, b = qz.fsq(zz, levels, "ifsq"), qz.fsq(0.8 * zz, levels, "tanh")
        np.testing.assert_array_equal(a.codes, b.codes)
        np.testing.assert_array_equal(a.values, b.values)
        np.testing.assert_array_equal(a.index, b.index)


def fsq_bin_probs(k, L=17, eps=1e-3):
    """P(code) for z ~ N(0, 1) through round(tanh(k z) (L - 1)(1 + eps) / 2), odd L."""
    half = (L - 1) * (1 + eps) / 2
    r = np.arange(L) - L // 2
    edges = np.r_[-np.inf, np.arctanh((r[:-1] + 0.5) / half) / k, np.inf]
    return np.diff(norm.cdf(edges))


def test_ifsq_usage_on_gaussian_latents():
    z = np.random.default_rng(14).normal(size=(100_000, 1))
    res = {b: qz.fsq(z, [17], b) for b in ("tanh", "ifsq")}
    for b, k in (("tanh", 1.0), ("ifsq", 0.8)):
        p = fsq_bin_probs(k)
        np.testing.assert_allclose(res[b].usage[0], p, atol=5 * np.sqrt(p * (1 - p) / z.size).max())
        H = -(p * np.log2(p)).sum()
        assert qz.entropy_bits(res[b].codes, 17) == pytest.approx(H, abs=0.01)
    # iFSQ: about 4.02 bits (notes), the 15 inner levels used far more evenly than with tanh(z) ...
    assert qz.entropy_bits(res["ifsq"].codes, 17) == pytest.approx(4.02, abs=0.01)
    inner = {b: np.abs(17 * r.usage[0][1:-1] - 1).max() for b, r in res.items()}
    assert inner["ifsq"] < 0.2 < 0.4 < inner["tanh"]
    # ... and the bounded latent is closer to U(-1, 1)
    assert kstest(np.tanh(0.8 * z[:, 0]), "uniform", args=(-1, 2)).statistic < 0.5 * kstest(
        np.tanh(z[:, 0]), "uniform", args=(-1, 2)).statistic
    # but tanh's heavier edge levels give it *more* entropy (4.06 vs 4.02 bits): entropy is no uniformity test here
    assert qz.entropy_bits(res["tanh"].codes, 17) > qz.entropy_bits(res["ifsq"].codes, 17)


def test_fsq_bad_arguments():
    with pytest.raises(ValueError, match="last axis"):
        qz.fsq(np.zeros((3, 2)), [5, 5, 5])
    with pytest.raises(ValueError, match="at least 2"):
        qz.fsq(np.zeros((3, 2)), [5, 1])
    with pytest.raises(ValueError, match="bound"):
        qz.fsq(np.zeros((3, 2)), [5, 5], "sigmoid")


# ---- metrics -------------------------------------------------------------------------------------

def test_metrics_by_hand():
    assert qz.mse([1.0, 2.0, 3.0], [1.0, 2.5, 2.0]) == pytest.approx((0.25 + 1.0) / 3, rel=1e-15)
    assert qz.sqnr_db([3.0, 4.0], [3.0, 3.0]) == pytest.approx(10 * math.log10(25.0), rel=1e-15)
    assert qz.sqnr_db([3.0, 4.0], [3.0, 4.0]) == math.inf
    assert qz.sqnr_db([0.0, 0.0], [0.0, 1.0]) == -math.inf
    assert qz.sqnr_db([1.0, -1.0], [0.9, -0.9]) == pytest.approx(20.0, rel=1e-12)
    assert qz.kernel_fraction([0.0, 1.0, 2.0, 3.0, 0.1], [0.0, 1.0, 0.0, 3.0, 0.0]) == 0.5
    assert qz.kernel_fraction([0.0, 0.0], [0.0, 0.0]) == 0.0
    for L in (2, 5, 17):
        assert qz.entropy_bits(np.tile(np.arange(L), 7)) == pytest.approx(math.log2(L), rel=1e-14)
    assert qz.entropy_bits(np.full(10, 3), 8) == 0.0
    assert qz.entropy_bits([0, 0, 1, 2], 5) == pytest.approx(1.5, rel=1e-15)
    assert qz.entropy_bits([]) == 0.0
    # SQNR of b-bit uniform on uniform data: about 6.02 b dB
    x = np.random.default_rng(15).uniform(-1, 1, 200_000)
    for b in (6, 8, 10):
        assert qz.sqnr_db(x, qz.uniform(x, b)) == pytest.approx(20 * math.log10(2 ** (b - 1) - 1) + 10 * math.log10(4),
                                                               abs=0.05)


# ---- shapes and dtypes ---------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [
    lambda x: qz.uniform(x, 4), lambda x: qz.uniform(x, 4, "channel"), lambda x: qz.uniform(x, 3, "block", 7),
    lambda x: qz.uniform(x, 5, symmetric=False, rounding="stochastic", seed=0),
    lambda x: qz.fixed_point(x, 8, 4), lambda x: qz.minifloat(x, "float8_e4m3fn"), lambda x: qz.minifloat(x, (3, 3)),
    lambda x: qz.mx(x), lambda x: qz.mx(x, "int8", 8), lambda x: qz.nvfp4(x), lambda x: qz.nf4(x, 16),
    lambda x: qz.power(x, 4, 0.7, "block", 5), lambda x: qz.power_of_two(x, 4, "channel")])
def test_shapes_preserved_and_float32_accepted(fn):
    x = np.random.default_rng(16).normal(size=(2, 3, 20)).astype(np.float32)
    out = fn(x)
    assert out.shape == x.shape and out.dtype == np.float64 and np.all(np.isfinite(out))
    np.testing.assert_array_equal(out, fn(x.astype(np.float64)))
    assert np.abs(out - x).max() < np.abs(x).max()
