"""The digits network under quantization, and the Schrödinger run with a quantized memory.

Claims of the quantization literature that the lesson reproduces, checked on the app's own numbers
(the research notes in ../shared/research/quantization.md list them): 8 bits are lossless to within
a point, per-channel scales beat per-tensor ones at low bits, QAT recovers part of the 2-bit collapse;
integer storage heats a unitary evolution by ~s^2/12 per step (so 2 more bits divide the drift by 16)
and a biased minifloat rounding makes the norm decay.
"""
from functools import partial

import numpy as np
import pytest

from physics import digits as dg
from physics import lowprec as lp
from physics import quantize as qz


@pytest.fixture(scope="module")
def net():
    return dg.trained_network(0)


def per_channel(bits):
    return partial(qz.uniform, bits=bits, granularity="channel")


def test_the_data_split_is_stratified_and_fixed():
    Xtr, ytr, Xte, yte = dg.digits_data()
    assert Xtr.shape == (1257, 64) and Xte.shape == (540, 64)
    assert 0 <= Xtr.min() and Xtr.max() <= 1
    # stratified: every class has (almost) the same share in both parts
    share_tr = np.bincount(ytr, minlength=10) / ytr.size
    share_te = np.bincount(yte, minlength=10) / yte.size
    assert np.abs(share_tr - share_te).max() < 0.005


def test_training_is_deterministic_and_accurate(net):
    assert dg.accuracy(net) >= 0.95
    again = dg.train(0)
    np.testing.assert_array_equal(again.W1, net.W1)
    assert not np.array_equal(dg.train(1).W1, net.W1)
    assert net.W1.shape == (64, 64) and net.W2.shape == (10, 64)


def test_logits_match_a_hand_written_forward_pass(net):
    _, _, X, _ = dg.digits_data()
    h = np.maximum(X @ net.W1.T + net.b1, 0)
    np.testing.assert_allclose(net.logits(X), h @ net.W2.T + net.b2, atol=1e-12)
    q = per_channel(4)
    hq = np.maximum(X @ q(net.W1).T + net.b1, 0)
    np.testing.assert_allclose(net.logits(X, q), hq @ q(net.W2).T + net.b2, atol=1e-12)


def test_eight_bits_are_within_a_point_of_float(net):
    base = dg.accuracy(net)
    for granularity in ("tensor", "channel"):
        q = partial(qz.uniform, bits=8, granularity=granularity)
        assert abs(dg.accuracy(net, q) - base) <= 0.01
        assert abs(dg.accuracy(net, q, partial(qz.uniform, bits=8)) - base) <= 0.01


def test_per_channel_beats_per_tensor_at_three_bits(net):
    tensor = dg.accuracy(net, partial(qz.uniform, bits=3, granularity="tensor"))
    channel = dg.accuracy(net, per_channel(3))
    assert channel >= tensor
    # and absmax at two bits collapses: most weights round to zero (the quantization kernel)
    q2 = per_channel(2)
    assert dg.accuracy(net, q2) < 0.5
    assert qz.kernel_fraction(net.W1, q2(net.W1)) > 0.7


def test_quantization_aware_fine_tuning_recovers_two_bits(net):
    q2 = per_channel(2)
    tuned = dg.qat(net, q2, steps=150)
    assert dg.accuracy(tuned, q2) > dg.accuracy(net, q2) + 0.3
    # the float master weights moved, the original network did not
    assert not np.array_equal(tuned.W1, net.W1) and dg.accuracy(net) >= 0.95


def test_the_reference_run_is_unitary_and_follows_the_classical_orbit():
    r = lp.stored_run(None, steps=2000)
    assert np.abs(r.norm - 1).max() < 1e-12
    np.testing.assert_allclose(r.fidelity, 1.0, atol=1e-12)
    # a coherent state in V = x^2/2: <x>(t) = 3 cos t (split-operator error O(dt^2) over t = 20)
    np.testing.assert_allclose(r.mean_x, 3 * np.cos(r.times), atol=1e-3)


def test_identity_and_float32_memories_change_almost_nothing():
    same = lp.stored_run(lambda a: a, steps=300)
    np.testing.assert_allclose(same.norm, lp.stored_run(None, steps=300).norm, atol=1e-13)
    f32 = lp.stored_run(lambda a: a.astype(np.float32).astype(np.float64), steps=2000)
    assert np.abs(f32.norm - 1).max() < 1e-5 and f32.fidelity[-1] > 0.9999


def test_integer_storage_heats_by_four_to_the_minus_bits():
    drift = {b: lp.stored_run(partial(qz.uniform, bits=b), steps=1000).norm[-1] - 1 for b in (8, 10, 12)}
    assert drift[8] > 0 and drift[10] > 0          # round-to-nearest noise adds ~s^2/12 per step
    assert 8 < drift[8] / drift[10] < 32          # two more bits: s^2 / 16
    # the s^2/12 estimate: 2 N dx s^2/12 per step, s = absmax / (2^(b-1) - 1)
    s = lp.harmonic_setup()
    absmax = np.abs(s.psi0).max()
    per_step = 2 * s.x.size * s.dx * (absmax / 127) ** 2 / 12
    assert 0.3 < drift[8] / (1000 * per_step) < 3


def test_a_coarse_minifloat_memory_decays_and_stochastic_rounding_heats_twice_as_fast():
    e4m3 = lp.stored_run(partial(qz.minifloat, fmt="float8_e4m3fn"), steps=2000)
    half = e4m3.steps.size // 2
    assert e4m3.norm[-1] < e4m3.norm[half] < 0.6 and e4m3.norm[-1] < 0.3
    # stochastic rounding is unbiased for psi but not for |psi|^2: E[SR(x)^2] = x^2 + p(1 - p) s^2,
    # twice round-to-nearest's s^2/12 on average (s^2/6)
    sr = np.mean([lp.stored_run(partial(qz.uniform, bits=10, rounding="stochastic", seed=k), steps=500).norm[-1] - 1
                  for k in range(6)])
    rne = lp.stored_run(partial(qz.uniform, bits=10), steps=500).norm[-1] - 1
    assert rne > 0 and 1.3 < sr / rne < 3.0


def test_recorded_shapes_integrate_to_one_and_stay_finite():
    s = lp.harmonic_setup()
    q = partial(qz.uniform, bits=8)
    r = lp.stored_run(q, steps=400, densities=True)
    records = 400 // 10 + 1
    assert r.density.shape == r.ref_density.shape == (records, s.x.size)
    assert r.density.dtype == r.ref_density.dtype == np.float32
    np.testing.assert_allclose(r.density.sum(axis=1, dtype=np.float64) * s.dx, 1.0, rtol=1e-5)
    np.testing.assert_allclose(r.ref_density.sum(axis=1, dtype=np.float64) * s.dx, 1.0, rtol=1e-5)
    # at t = 0 both are |psi0|^2 = exp(-(x - 3)^2) / sqrt(pi); the last row is the final state's
    np.testing.assert_allclose(r.density[0], np.exp(-(s.x - 3) ** 2) / np.sqrt(np.pi), rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(r.ref_density[0], r.density[0], rtol=0, atol=0)
    np.testing.assert_allclose(r.density[-1], np.abs(r.psi) ** 2 / r.norm[-1], rtol=1e-6, atol=1e-30)
    # recording changes nothing of the run
    plain = lp.stored_run(q, steps=400)
    assert plain.density is None and plain.ref_density is None
    np.testing.assert_array_equal(plain.norm, r.norm)

    # a memory that multiplies psi by 1e3 per step: |psi|^2 passes float32's 3.4e38 at once and
    # float64's range within ~50 steps; what is recorded stays finite in float32, the rest is NaN
    with np.errstate(over="ignore", invalid="ignore"):
        blow = lp.stored_run(lambda a: 1e3 * a, steps=200, densities=True)
    ok = np.isfinite(blow.norm)
    assert 2 <= ok.sum() < ok.size and ok[:ok.sum()].all()
    assert blow.norm[ok.sum() - 1] > 1e38
    assert np.isfinite(blow.density[ok]).all() and np.isfinite(blow.ref_density[ok]).all()
    assert np.isnan(blow.density[~ok]).all()
    np.testing.assert_allclose(blow.ref_density[ok].sum(axis=1, dtype=np.float64) * s.dx, 1.0, rtol=1e-5)


def test_the_exact_mean_position_is_the_coherent_states_and_the_unquantized_run_follows_it():
    s = lp.harmonic_setup()
    t = np.linspace(0, 20, 9)
    np.testing.assert_allclose(lp.coherent_mean_x(t, s.x0, s.omega), 3 * np.cos(t), rtol=0, atol=1e-15)
    assert (s.x0, s.omega) == (3.0, 1.0)
    exact = lp.stored_run(None, steps=2000)
    error = np.abs(exact.mean_x - lp.coherent_mean_x(exact.times, s.x0, s.omega)).max()
    assert error < 3e-4                      # the split-operator run of the unquantized memory, dt = 0.01
    half = lp.harmonic_setup(dt=0.005)
    finer = lp.stored_run(None, steps=4000, setup=half, record_every=20)
    ratio = error / np.abs(finer.mean_x - lp.coherent_mean_x(finer.times, half.x0, half.omega)).max()
    assert 3.5 < ratio < 4.5                 # second order in dt
