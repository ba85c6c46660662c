"""The Quantization lesson's model without a UI: every quantizer it builds is the physics call it
names, and the numbers it derives are checked against direct computation."""
from functools import partial

import numpy as np
import pytest

from lessons.quantization.model import FORMATS, QUERY_NAMES, QuantizationModel, minifloat_split
from physics import digits as dg
from physics import lowprec as lp
from physics import quantize as qz

X = np.random.default_rng(5).normal(size=(8, 96)) * np.linspace(0.1, 3, 8)[:, None]


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
def test_integer_quantizer_is_the_physics_call(bits):
    m = QuantizationModel(bits=bits, granularity="block", block=16, clip=0.8)
    np.testing.assert_array_equal(m.quantizer()(X), qz.uniform(X, bits, "block", 16, clip=0.8))


def test_every_format_builds_a_quantizer_that_changes_the_data_and_keeps_its_shape():
    for fmt in FORMATS:
        for bits in (1, 2, 4, 8, 16):
            out = QuantizationModel(fmt=fmt, bits=bits).quantizer()(X)
            assert out.shape == X.shape and np.isfinite(out).all(), (fmt, bits)
    assert QuantizationModel(fmt="nvfp4", bits=9).width() == 4
    np.testing.assert_array_equal(QuantizationModel(fmt="nvfp4").quantizer()(X), qz.nvfp4(X))
    np.testing.assert_array_equal(QuantizationModel(fmt="nf4").quantizer()(X), qz.nf4(X, 64))
    np.testing.assert_array_equal(QuantizationModel(fmt="mx", bits=8).quantizer()(X),
                                  qz.mx(X, "float8_e4m3fn", 32))


def test_minifloat_split_and_scaled_minifloat():
    assert minifloat_split(8, 0) == (4, 3) and minifloat_split(4, 0) == (2, 1)
    assert minifloat_split(16, 0) == (5, 10) and minifloat_split(6, 0) == (2, 3)
    assert minifloat_split(8, 7) == (7, 0) and minifloat_split(3, 8) == (2, 0)
    m = QuantizationModel(fmt="minifloat", bits=8)
    out = m.quantizer()(X)
    # x_hat = s G(x / s) with s mapping max|x| onto the max of E4M3 with every code finite, 480
    s = np.abs(X).max() / 480.0
    np.testing.assert_allclose(out, s * qz.minifloat(X / s, (4, 3)), rtol=0, atol=0)


def test_fixed_point_uses_the_best_binary_point_unless_given():
    m = QuantizationModel(fmt="fixed", bits=8)
    F = qz.best_frac_bits(X, 8)
    np.testing.assert_array_equal(m.quantizer()(X), qz.fixed_point(X, 8, F))
    m.frac_bits = 2
    np.testing.assert_array_equal(m.quantizer()(X), qz.fixed_point(X, 8, 2))


def test_accuracy_now_and_the_live_curves_agree_with_direct_evaluation():
    m = QuantizationModel(bits=3, granularity="channel")
    net = dg.trained_network(0)
    now = m.accuracy_now()
    q = partial(qz.uniform, bits=3, granularity="channel")
    assert now["quantized"] == dg.accuracy(net, q) and now["float"] >= 0.95
    assert now["kernel_W1"] == qz.kernel_fraction(net.W1, q(net.W1))
    curves = m.accuracy_curves(bits=[2, 3, 8])
    assert curves["current"][1] == now["quantized"]
    assert curves["int per-channel"][2] == dg.accuracy(net, partial(qz.uniform, bits=8, granularity="channel"))
    assert curves["int per-channel"][1] >= curves["int per-tensor"][1]
    acts = QuantizationModel(bits=4, activations=True).accuracy_now()["quantized"]
    assert acts == dg.accuracy(net, partial(qz.uniform, bits=4, granularity="channel"), partial(qz.uniform, bits=4))


def test_signal_view_metrics():
    m = QuantizationModel(bits=6, granularity="tensor", signal="sine")
    v = m.signal_view()
    np.testing.assert_array_equal(v["xq"], qz.uniform(v["x"], 6))
    assert v["mse"] == pytest.approx(np.mean((v["x"] - v["xq"]) ** 2), rel=1e-12)
    # a full-scale sine: SQNR ~ 6.02 b + 1.76 dB minus the narrow range's loss, within 2 dB
    assert abs(v["sqnr_db"] - (6.02 * 6 + 1.76)) < 2.0
    assert v["levels"] <= 2**6 - 1


def test_ifsq_spreads_the_inner_levels_more_evenly():
    u = QuantizationModel().fsq_usage()
    for bound in ("tanh", "ifsq"):
        assert u[bound]["usage"].sum() == pytest.approx(1.0)
        assert 0 < u[bound]["entropy"] <= u["max_entropy"]
    assert u["ifsq"]["spread"] < 0.5 * u["tanh"]["spread"]
    assert u["ifsq"]["ks"] < u["tanh"]["ks"]


def test_the_stored_psi_run_uses_the_quantizer():
    assert QuantizationModel(bits=8, granularity="tensor").stored_psi(steps=300).norm[-1] > 1.0


def test_links_are_clamped_with_notices():
    m = QuantizationModel.from_query({"bits": "99", "format": "bogus", "clip": "nan", "E": "3"})
    assert m.bits == 16 and m.fmt == "int" and m.clip == 1.0 and m.exp_bits == 3
    assert len(m.notices) == 3


# ---- which settings apply, and the quantizer's rounding ------------------------------------------

#: A second value for every setting applies() reports on.
OTHER = {"bits": 6, "granularity": "tensor", "block": 8, "rounding": "stochastic", "clip": 0.5, "exp_bits": 1,
         "frac_bits": 0, "exponent": 1.0}


def test_applies_names_the_settings_each_format_uses():
    a = {f: QuantizationModel(fmt=f).applies() for f in FORMATS}
    assert set(a["int"]) == set(OTHER)
    assert [f for f in FORMATS if not a[f]["bits"]] == ["nvfp4", "nf4"]
    assert [f for f in FORMATS if a[f]["granularity"]] == ["int", "power", "power_of_two"]
    assert [f for f in FORMATS if a[f]["rounding"]] == ["int", "fixed", "minifloat", "mx", "nvfp4"]
    assert [f for f in FORMATS if a[f]["clip"]] == ["int", "minifloat"]
    assert [f for f in FORMATS if a[f]["exp_bits"]] == ["minifloat"]
    assert [f for f in FORMATS if a[f]["frac_bits"]] == ["fixed"]
    assert [f for f in FORMATS if a[f]["exponent"]] == ["power"]
    # the block length matters only with per-block scales
    assert not any(a[f]["block"] for f in FORMATS)
    assert QuantizationModel(fmt="int", granularity="block").applies()["block"]
    assert QuantizationModel(fmt="power_of_two", granularity="block").applies()["block"]
    assert not QuantizationModel(fmt="minifloat", granularity="block").applies()["block"]


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("granularity", ["channel", "block"])
def test_a_setting_changes_the_quantizer_exactly_when_it_applies(fmt, granularity):
    base = dict(fmt=fmt, bits=4, granularity=granularity)
    model = QuantizationModel(**base)
    before = model.quantizer()(X)
    for name, value in OTHER.items():
        after = QuantizationModel(**{**base, name: value}).quantizer()(X)
        assert (not np.array_equal(before, after)) == model.applies()[name], (fmt, granularity, name)


def test_stochastic_draws_are_reproducible_or_a_stream():
    m = QuantizationModel(bits=3, rounding="stochastic", seed=7)
    once = m.quantizer()
    np.testing.assert_array_equal(once(X), once(X))                     # a link reproduces its numbers
    np.testing.assert_array_equal(m.quantizer()(X), qz.uniform(X, 3, "channel", rounding="stochastic", seed=7))
    stream = m.quantizer(stream=True)
    first, second = stream(X), stream(X)
    assert not np.array_equal(first, second)                            # fresh draws on every call
    rng = np.random.default_rng(7)                                      # ... from one generator
    np.testing.assert_array_equal(first, qz.uniform(X, 3, "channel", rounding="stochastic", seed=rng))
    np.testing.assert_array_equal(second, qz.uniform(X, 3, "channel", rounding="stochastic", seed=rng))
    # both land on the grid s k (s = row max / 3) next to x: floor or ceil of x / s
    s = np.abs(X).max(axis=1, keepdims=True) / 3
    for out in (first, second):
        k = out / s
        np.testing.assert_allclose(k, np.rint(k), atol=1e-9)
        assert np.all((np.rint(k) == np.floor(X / s)) | (np.rint(k) == np.ceil(X / s)))
    # the rounding can be asked for; formats without stochastic rounding round to nearest
    near = QuantizationModel(bits=3, seed=7)
    np.testing.assert_array_equal(near.quantizer(rounding="stochastic")(X), once(X))
    np.testing.assert_array_equal(m.quantizer(rounding="nearest")(X), qz.uniform(X, 3, "channel"))
    nf4 = QuantizationModel(fmt="nf4", rounding="stochastic")
    np.testing.assert_array_equal(nf4.quantizer(stream=True)(X), qz.nf4(X, 64))


def test_stochastic_rounding_is_unbiased():
    x = np.linspace(-1, 1, 201)
    stream = QuantizationModel(bits=2, rounding="stochastic", granularity="tensor").quantizer(stream=True)
    mean = np.mean([stream(x) for _ in range(2000)], axis=0)
    # each draw is 0 or +-1 with the right odds: the mean's error is ~ sqrt(p(1-p)/2000) <= 0.011
    assert np.abs(mean - x).max() < 0.05
    assert abs(np.mean(mean - x)) < 0.005


# ---- the grid -------------------------------------------------------------------------------------

TOP = float(np.abs(X).max())
E2M1 = np.array([0, 0.5, 1, 1.5, 2, 3, 4, 6])


def signed(values):
    return np.unique(np.concatenate([-np.asarray(values), values]))


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
@pytest.mark.parametrize("granularity", ["tensor", "channel", "block"])
def test_integer_grid_is_the_scale_times_the_integers(bits, granularity):
    n = 2 ** (bits - 1) - 1
    grid = QuantizationModel(bits=bits, granularity=granularity).grid(X)
    np.testing.assert_allclose(grid, TOP / n * np.arange(-n, n + 1), rtol=1e-12, atol=1e-12)
    # clipping at half the range: a grid twice as fine, ending at TOP / 2
    clipped = QuantizationModel(bits=bits, granularity=granularity, clip=0.5).grid(X)
    np.testing.assert_allclose(clipped, 0.5 * TOP / n * np.arange(-n, n + 1), rtol=1e-12, atol=1e-12)


def test_one_bit_grid_is_plus_minus_the_mean():
    x = X[3]                                                    # one row: one scale
    grid = QuantizationModel(bits=1).grid(x)
    np.testing.assert_allclose(grid, [-np.abs(x).mean(), np.abs(x).mean()], rtol=1e-12)


@pytest.mark.parametrize("bits", [4, 5, 6])
@pytest.mark.parametrize("clip", [1.0, 0.5])
def test_minifloat_grid_is_the_scaled_format(bits, clip):
    E, M = minifloat_split(bits, 0)
    fmt = qz.float_format((E, M))
    s = clip * TOP / fmt.max
    grid = QuantizationModel(fmt="minifloat", bits=bits, clip=clip).grid(X)
    np.testing.assert_allclose(grid, s * signed(fmt.values()), rtol=1e-12)
    # E2M1 by hand: 0, 0.5, ..., 6
    if bits == 4:
        np.testing.assert_allclose(grid, clip * TOP / 6 * signed(E2M1), rtol=1e-12)


def test_a_fine_minifloat_grid_is_sampled_from_the_format():
    fmt = qz.float_format((4, 3))
    s = TOP / fmt.max
    grid = QuantizationModel(fmt="minifloat", bits=8).grid(X)
    allowed = s * signed(fmt.values())
    assert np.all(np.min(np.abs(grid[:, None] - allowed[None, :]), axis=1) <= 1e-12 * TOP)
    assert grid.min() == pytest.approx(-TOP) and grid.max() == pytest.approx(TOP)
    # every level at least two samples apart (2 TOP / 4095) is there
    pos = allowed[allowed > 0]
    wide = pos[1:][np.diff(pos) > 2 * (2 * TOP / 4095)]
    assert np.all(np.isin(np.round(wide / TOP, 12), np.round(grid / TOP, 12)))


def test_nf4_grid_is_the_levels_times_the_block_max():
    np.testing.assert_allclose(QuantizationModel(fmt="nf4").grid(X), qz.NF4_LEVELS * TOP, rtol=1e-12)
    assert qz.NF4_LEVELS.size == 16 and qz.NF4_LEVELS.max() == 1 and qz.NF4_LEVELS.min() == -1


def test_block_format_grids_are_those_of_the_block_holding_the_maximum():
    # MX: scale 2^(floor(log2 max) - emax) with emax = 2 for E2M1 and E2M3; a block max of 7.9 / 8
    # is 7.9 in the element's units, beyond both formats' max (6, 7.5): every level is reached
    x = X / TOP * (7.9 / 8)
    scale = 2.0 ** (np.floor(np.log2(7.9 / 8)) - 2)
    assert scale == 1 / 8
    np.testing.assert_allclose(QuantizationModel(fmt="mx", bits=4).grid(x), scale * signed(E2M1), rtol=0)
    e2m3 = np.concatenate([np.arange(8) / 8, [1 + m / 8 for m in range(8)], [2 + m / 4 for m in range(8)],
                           [4 + m / 2 for m in range(8)]])
    assert e2m3.max() == 7.5
    np.testing.assert_allclose(QuantizationModel(fmt="mx", bits=6).grid(x), scale * signed(e2m3), rtol=0)
    # NVFP4: the block holding the max gets block scale ~ max / 6 (E4M3 scale 448 x the tensor scale)
    np.testing.assert_allclose(QuantizationModel(fmt="nvfp4").grid(X), TOP / 6 * signed(E2M1), rtol=1e-6)


def test_power_of_two_grid():
    for bits in (2, 3, 4):
        L = 2 ** (bits - 1) - 1
        kmax = np.rint(np.log2(TOP))
        expected = signed([0.0, *2.0 ** np.arange(kmax - L + 1, kmax + 1)])
        np.testing.assert_array_equal(QuantizationModel(fmt="power_of_two", bits=bits).grid(X), expected)


def test_power_grid_is_uniform_in_the_power():
    for a in (0.5, 0.65, 1.0):
        n = 7
        expected = signed(TOP * (np.arange(n + 1) / n) ** (1 / a))
        np.testing.assert_allclose(QuantizationModel(fmt="power", bits=4, exponent=a).grid(X), expected,
                                   rtol=1e-12, atol=1e-15)


def test_grid_of_zero_or_empty_data():
    for x in (np.zeros(10), np.array([])):
        np.testing.assert_array_equal(QuantizationModel().grid(x), [0.0])


# ---- the number line, the signal ------------------------------------------------------------------

@pytest.mark.parametrize("kw", [dict(bits=2), dict(bits=4, rounding="stochastic"), dict(fmt="nf4"),
                                dict(fmt="minifloat", bits=5), dict(fmt="power", bits=3)])
def test_number_line(kw):
    m = QuantizationModel(**kw)
    nl = m.number_line(X)
    assert np.sum(nl["hist"] * np.diff(nl["edges"])) == pytest.approx(1.0)
    assert nl["edges"][0] == pytest.approx(-1.02 * TOP) and nl["edges"][-1] == pytest.approx(1.02 * TOP)
    xq = m.quantizer()(X)
    np.testing.assert_array_equal(nl["levels"], np.unique(xq))
    assert nl["share"].sum() == pytest.approx(1.0)
    for level, share in zip(nl["levels"], nl["share"]):
        assert share == np.count_nonzero(xq == level) / X.size
    assert nl["kernel"] == qz.kernel_fraction(X, xq) == np.count_nonzero(xq == 0) / np.count_nonzero(X)
    assert nl["mse"] == pytest.approx(np.mean((X - xq) ** 2))
    np.testing.assert_array_equal(nl["grid"], m.grid(X))
    # with nearest rounding the group (tensor, row or block) holding max|x| lands on the grid
    if m.rounding == "nearest":
        assert np.all(np.isin(np.unique(group_holding_max(m, xq)), nl["grid"]))


def group_holding_max(m, a):
    """The entries of ``a`` in the group of X (one scale) that holds max|X|."""
    row, col = np.unravel_index(np.argmax(np.abs(X)), X.shape)
    block = {"mx": 32, "nvfp4": 16, "nf4": 64}.get(m.fmt)
    if block is None:
        if not m.applies()["granularity"] or m.granularity == "tensor":
            return a                                # one scale for the tensor
        block = X.shape[1] if m.granularity == "channel" else m.block
    start = col // block * block
    return a[row, start:start + block]


def test_signal_view_bias_and_the_average_of_stochastic_draws():
    sv = QuantizationModel(bits=2, signal="sine").signal_view()
    assert sv["xq_mean"] is None
    assert sv["bias"] == pytest.approx(np.mean(sv["xq"] - sv["x"]), abs=1e-15)
    t = np.arange(512) / 512
    np.testing.assert_array_equal(sv["t"], t)
    np.testing.assert_allclose(sv["x"], np.sin(2 * np.pi * 3 * t), atol=1e-15)
    # 2 bits per tensor: s = max|x| / 1, levels -s, 0, s
    s = np.abs(sv["x"]).max()
    np.testing.assert_array_equal(sv["xq"], s * np.rint(sv["x"] / s))
    sr = QuantizationModel(bits=2, signal="sine", rounding="stochastic", seed=3).signal_view(draws=64)
    one = qz.mse(sr["x"], sr["xq"])
    avg = qz.mse(sr["x"], sr["xq_mean"])
    assert avg < one / 10
    rng = np.random.default_rng(3)
    direct = np.mean([qz.uniform(sr["x"], 2, rounding="stochastic", seed=rng) for _ in range(64)], axis=0)
    np.testing.assert_allclose(sr["xq_mean"], direct, rtol=0, atol=1e-15)
    # no stochastic variant: no average
    assert QuantizationModel(fmt="nf4", rounding="stochastic").signal_view()["xq_mean"] is None


def test_the_random_signals_follow_the_seed():
    g = QuantizationModel(signal="gaussian", seed=4).signal_data()[1]
    np.testing.assert_array_equal(g, np.random.default_rng(4).normal(size=512))
    h = QuantizationModel(signal="heavy_tails", seed=4).signal_data()[1]
    np.testing.assert_array_equal(h, np.random.default_rng(4).standard_t(3, size=512))


# ---- storage, audio -------------------------------------------------------------------------------

def test_storage_bits_count_the_scales():
    assert QuantizationModel(fmt="mx", bits=4).storage_bits() == 4 + 8 / 32 == 4.25
    assert QuantizationModel(fmt="mx", bits=8).storage_bits() == 8.25
    assert QuantizationModel(fmt="nvfp4", bits=11).storage_bits() == 4 + 8 / 16 == 4.5
    assert QuantizationModel(fmt="nf4", bits=2).storage_bits() == 4 + 32 / 64 == 4.5
    for bits in (1, 3, 8, 16):
        assert QuantizationModel(bits=bits, granularity="tensor").storage_bits() == bits
        assert QuantizationModel(bits=bits, granularity="channel").storage_bits() == bits + 32 / 64
        for block in (4, 32, 256):
            assert QuantizationModel(bits=bits, granularity="block", block=block).storage_bits() == bits + 32 / block
    assert QuantizationModel(fmt="fixed", bits=6).storage_bits() == 6
    assert QuantizationModel(fmt="power", bits=5, granularity="block", block=16).storage_bits() == 5 + 2


def levels_held(model) -> int:
    """Distinct values a quantizer gives one group: the grid, sampled (a lower bound)."""
    return np.unique(model.grid(X)).size


def test_stored_bits_can_hold_the_grid():
    for fmt in FORMATS:
        for bits in range(4, 17):
            m = QuantizationModel(fmt=fmt, bits=bits, granularity="tensor")
            assert 2 ** m.storage_bits() >= levels_held(m), (fmt, bits)
    for fmt in ("int", "fixed", "minifloat", "power", "power_of_two"):
        for bits in (2, 3):
            m = QuantizationModel(fmt=fmt, bits=bits, granularity="tensor")
            assert 2 ** m.storage_bits() >= levels_held(m), (fmt, bits)


def test_mx_below_four_bits_stores_its_fp4_elements():
    for bits in (1, 2, 3):
        m = QuantizationModel(fmt="mx", bits=bits)
        np.testing.assert_array_equal(m.quantizer()(X), qz.mx(X, "float4_e2m1fn", 32))   # what it computes
        assert m.storage_bits() >= 4 + 8 / 32, (bits, m.storage_bits())


def test_one_bit_grids_that_need_two_bits_are_counted_as_two():
    for fmt in ("minifloat", "power", "power_of_two"):
        m = QuantizationModel(fmt=fmt, bits=1, granularity="tensor")
        assert levels_held(m) == 3
        assert 2 ** m.storage_bits() >= 3, (fmt, m.storage_bits())


def test_one_bit_per_channel_grid_is_that_of_the_row_holding_the_maximum():
    top_row = X[int(np.argmax(np.abs(X).max(axis=1)))]
    grid = QuantizationModel(bits=1, granularity="channel").grid(X)
    np.testing.assert_allclose(grid, [-np.abs(top_row).mean(), np.abs(top_row).mean()], rtol=1e-12)


def test_audio_is_the_tone_and_its_quantized_copy():
    from lessons.quantization.model import AUDIO_RATE, AUDIO_SECONDS
    n = int(AUDIO_RATE * AUDIO_SECONDS)
    t = np.arange(n) / AUDIO_RATE
    x, xq = QuantizationModel(bits=3, granularity="tensor").audio()
    assert x.shape == xq.shape == (n,) == (12000,)
    tone = np.sin(2 * np.pi * 330 * t)
    np.testing.assert_allclose(x, 0.9 * tone / np.abs(tone).max(), atol=1e-15)
    assert np.abs(x).max() == pytest.approx(0.9)
    # 3 bits: s = 0.9 / 3, levels 0, +-0.3, +-0.6, +-0.9
    np.testing.assert_allclose(xq, 0.3 * np.rint(x / 0.3), atol=1e-12)
    sweep, _ = QuantizationModel(signal="chirp").audio()
    phase = 200 * t + 600 * t**2                              # 200 Hz at t = 0, 2000 Hz at t = 1.5 s
    np.testing.assert_allclose(sweep, 0.9 * np.sin(2 * np.pi * phase) / np.abs(np.sin(2 * np.pi * phase)).max(),
                               atol=1e-12)
    for fmt in FORMATS:
        for signal in ("sine", "heavy_tails"):
            m = QuantizationModel(fmt=fmt, bits=2, signal=signal, seed=1)
            x, xq = m.audio()
            assert np.abs(x).max() == pytest.approx(0.9) and np.all(np.abs(xq) <= 1)
            np.testing.assert_array_equal(xq, np.clip(m.quantizer()(x), -1, 1))


# ---- the network ----------------------------------------------------------------------------------

def test_the_kernel_curve_is_the_mean_kernel_of_both_weight_matrices():
    net = dg.trained_network(0)
    bits = [1, 2, 3, 4, 8]
    c = QuantizationModel(granularity="tensor").accuracy_curves(bits=bits)
    np.testing.assert_array_equal(c["bits"], bits)
    for i, b in enumerate(bits):
        direct = np.mean([np.mean(qz.uniform(w, b) == 0) for w in (net.W1, net.W2)])   # no weight is exactly 0
        assert c["kernel"][i] == pytest.approx(direct, abs=1e-15)
        assert c["current"][i] == c["int per-tensor"][i] == dg.accuracy(net, partial(qz.uniform, bits=b))
    c = QuantizationModel(fmt="nf4").accuracy_curves(bits=[2, 8])
    k = np.mean([np.mean(qz.nf4(w, 64) == 0) for w in (net.W1, net.W2)])
    np.testing.assert_allclose(c["kernel"], [k, k], atol=1e-15)
    assert list(c["current"]) == [dg.accuracy(net, partial(qz.nf4, block=64))] * 2


def test_fine_tuning_recovers_two_bits():
    m = QuantizationModel(bits=2)
    r = m.fine_tune()
    q = partial(qz.uniform, bits=2, granularity="channel")
    net = dg.trained_network(0)
    assert r["steps"] == 200 and r["before"] == dg.accuracy(net, q)
    assert r["after"] > r["before"] + 0.3
    assert dg.accuracy(net) >= 0.95                      # the cached network was not touched


# ---- FSQ ------------------------------------------------------------------------------------------

def fsq_probabilities(L: int, std: float, k: float) -> np.ndarray:
    """P(level) for z ~ N(0, std^2) bounded by tanh(k z) (L - 1)(1 + 1e-3)/2 and rounded (L odd)."""
    from scipy.stats import norm
    half = (L - 1) * (1 + 1e-3) / 2
    r = np.arange(L) - L // 2
    with np.errstate(divide="ignore"):
        lo = np.where(r == r[0], -np.inf, np.arctanh(np.clip((r - 0.5) / half, -1, 1)) / k)
        hi = np.where(r == r[-1], np.inf, np.arctanh(np.clip((r + 0.5) / half, -1, 1)) / k)
    return norm.cdf(hi / std) - norm.cdf(lo / std)


@pytest.mark.parametrize("L, std", [(17, 1.0), (9, 2.0), (5, 0.5)])
def test_fsq_usage_follows_the_normal_distribution(L, std):
    u = QuantizationModel(fsq_levels=L, latent_std=std, seed=2).fsq_usage()
    n = 4096
    assert u["max_entropy"] == pytest.approx(np.log2(L))
    for bound, k in (("tanh", 1.0), ("ifsq", 0.8)):
        usage = u[bound]["usage"]
        p = fsq_probabilities(L, std, k)
        assert usage.shape == (L,) and usage.sum() == pytest.approx(1.0)
        assert np.all(np.abs(usage - p) <= 4.5 * np.sqrt(p * (1 - p) / n) + 1 / n), (bound, usage, p)
        nz = usage[usage > 0]
        assert u[bound]["entropy"] == pytest.approx(-(nz * np.log2(nz)).sum())
        inner = usage[1:-1]
        assert u[bound]["spread"] == pytest.approx(inner.std() / inner.mean())
        ideal = np.r_[0.5, np.ones(L - 2), 0.5] / (L - 1)
        assert u[bound]["ks"] == pytest.approx(np.abs(np.cumsum(usage) - np.cumsum(ideal)).max())


def test_ifsq_matches_uniform_use_only_near_unit_spread():
    ks = {std: QuantizationModel(latent_std=std).fsq_usage()["ifsq"]["ks"] for std in (0.25, 1.0, 4.0)}
    assert ks[1.0] < ks[0.25] / 4 and ks[1.0] < ks[4.0] / 4


def test_fsq_curves():
    m = QuantizationModel(seed=1)
    c = m.fsq_curves()
    np.testing.assert_array_equal(c["levels"], np.arange(3, 34, 2))
    np.testing.assert_allclose(c["max_entropy"], np.log2(c["levels"]))
    for bound in ("tanh", "ifsq"):
        assert np.all(c[f"{bound}_entropy"] <= c["max_entropy"] + 1e-12)
        assert np.all(c[f"{bound}_entropy"] > 0)
    big = c["levels"] >= 9
    assert np.all(c["ifsq_spread"][big] < c["tanh_spread"][big])
    row = m.fsq_usage(13)
    i = list(c["levels"]).index(13)
    assert c["ifsq_spread"][i] == row["ifsq"]["spread"] and c["tanh_entropy"][i] == row["tanh"]["entropy"]


# ---- the Schrödinger runs -------------------------------------------------------------------------

def test_norm_runs_for_both_roundings():
    steps = 300
    r = QuantizationModel(bits=8).norm_runs(steps=steps)
    assert set(r["runs"]) == {"nearest", "stochastic"} and r["current"] == "nearest"
    np.testing.assert_array_equal(r["x"], lp.harmonic_setup().x)
    near, sto = r["runs"]["nearest"], r["runs"]["stochastic"]
    assert near.density is not None and near.density.shape == (steps // 10 + 1, 256) and sto.density is None
    direct = lp.stored_run(partial(qz.uniform, bits=8), steps=steps)
    np.testing.assert_array_equal(near.norm, direct.norm)
    np.testing.assert_array_equal(near.fidelity, direct.fidelity)
    rng = np.random.default_rng(0)                      # one generator: fresh draws at every step
    direct_sr = lp.stored_run(lambda a: qz.uniform(a, 8, rounding="stochastic", seed=rng), steps=steps)
    np.testing.assert_array_equal(sto.norm, direct_sr.norm)
    # the current rounding carries the densities
    r = QuantizationModel(bits=8, rounding="stochastic").norm_runs(steps=steps)
    assert r["current"] == "stochastic"
    assert r["runs"]["stochastic"].density is not None and r["runs"]["nearest"].density is None
    np.testing.assert_array_equal(r["runs"]["stochastic"].norm, direct_sr.norm)


def test_norm_runs_of_a_format_without_stochastic_rounding():
    r = QuantizationModel(fmt="nf4", rounding="stochastic").norm_runs(steps=200)
    assert list(r["runs"]) == ["nearest"] and r["current"] == "nearest"
    assert r["runs"]["nearest"].density is not None
    np.testing.assert_array_equal(r["runs"]["nearest"].norm, lp.stored_run(partial(qz.nf4, block=64), steps=200).norm)


# ---- links ----------------------------------------------------------------------------------------

def test_fsq_settings_are_in_the_link_and_clamped():
    assert QUERY_NAMES["L"] == "fsq_levels" and QUERY_NAMES["zstd"] == "latent_std"
    m = QuantizationModel.from_query({"L": "9", "zstd": "2.5"})
    assert (m.fsq_levels, m.latent_std, m.notices) == (9, 2.5, [])
    m = QuantizationModel.from_query({"L": "99", "zstd": "0.1"})
    assert (m.fsq_levels, m.latent_std) == (33, 0.25)
    assert len(m.notices) == 2 and "L=99" in m.notices[0] and "zstd=0.1" in m.notices[1]
    m = QuantizationModel.from_query({"L": "abc", "zstd": "inf"})
    assert (m.fsq_levels, m.latent_std) == (17, 4.0) and len(m.notices) == 2


# ---- the papers' claims, on the app's own numbers (lesson.md states them) -----------------------------

def test_claim_eight_bits_are_within_a_point_of_float():
    for granularity in ("tensor", "channel"):
        now = QuantizationModel(bits=8, granularity=granularity).accuracy_now()
        assert now["float"] >= 0.95 and abs(now["quantized"] - now["float"]) <= 0.01, granularity


def test_claim_per_channel_beats_per_tensor_at_three_bits():
    tensor = QuantizationModel(bits=3, granularity="tensor").accuracy_now()["quantized"]
    channel = QuantizationModel(bits=3, granularity="channel").accuracy_now()["quantized"]
    assert channel >= tensor


def test_claim_two_bits_collapse_into_the_kernel():
    now = QuantizationModel(bits=2, granularity="channel").accuracy_now()
    assert now["kernel_W1"] > 0.7 and now["quantized"] < 0.5
    # and one bit (scale = mean|w|) does better than two
    assert QuantizationModel(bits=1).accuracy_now()["quantized"] > now["quantized"]


def test_claim_a_power_below_one_helps_gaussian_data():
    for bits in (3, 4):
        mse = {a: QuantizationModel(fmt="power", bits=bits, exponent=a, signal="gaussian").signal_view()["mse"]
               for a in (0.65, 1.0)}
        assert mse[0.65] < mse[1.0], (bits, mse)
    # a = 1 is the uniform grid
    x = QuantizationModel(signal="gaussian").signal_data()[1]
    np.testing.assert_allclose(QuantizationModel(fmt="power", bits=3, exponent=1.0).quantizer()(x),
                               qz.uniform(x, 3), rtol=1e-12, atol=1e-15)


def test_claim_ifsq_spreads_the_inner_levels_evenly_at_17():
    u = QuantizationModel(fsq_levels=17).fsq_usage()
    assert u["ifsq"]["spread"] < u["tanh"]["spread"]


def test_claim_averaged_stochastic_rounding_converges_to_the_sine():
    rne = QuantizationModel(bits=2, signal="sine").signal_view()["mse"]
    sr = QuantizationModel(bits=2, signal="sine", rounding="stochastic").signal_view(draws=64)
    assert qz.mse(sr["x"], sr["xq_mean"]) < rne / 10
