"""The Quantization lesson's model without a UI: every quantizer it builds is the physics call it
names, and the numbers it derives are checked against direct computation."""
from functools import partial

import numpy as np
import pytest

from lessons.quantization.model import FORMATS, QuantizationModel, minifloat_split
from physics import digits as dg
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
