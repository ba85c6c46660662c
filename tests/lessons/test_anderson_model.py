"""The Anderson lesson's model without a browser: scenes, links, runs against closed forms, the
localization length, the eigenstates.

Expected numbers are independent: the clean chain's ⟨x²⟩ = 2t² from one site, a frozen lattice against
the static evolution of physics.anderson with the field added by hand, the weak-disorder law for ξ.
"""
import math

import numpy as np
import pytest

from lessons.anderson.model import FRAMES, SCENES, AndersonModel, binned, bins, state_length
from physics import anderson


def test_scenes_set_the_sliders_and_sliders_name_their_scene():
    m = AndersonModel(scene="vibrating")
    assert (m.W, m.amplitude, m.speed) == (0.0, 1.5, 0.3)
    m.speed = 0.0
    assert m.scene == "frozen"
    m.W = 0.5
    assert m.scene == "custom"
    m.scene = "clean"
    assert (m.W, m.amplitude) == (0.0, 0.0)
    assert set(SCENES) >= {"anderson", "clean", "frozen", "vibrating", "custom"}


def test_a_link_is_read_clamped_and_explained():
    m = AndersonModel.from_query({"n": "5000", "W": "-3", "A": "nan", "start": "wall", "t": "40", "scene": "clean"})
    assert m.sites == 2000 and m.W == 0.0 and m.amplitude == 0.0 and m.start == "packet" and m.t_max == 40
    text = " ".join(m.notices)
    for name in ("'n=5000'", "'W=-3'", "'A'", "'start=wall'"):
        assert name in text, name


def test_bins_average_the_probability_per_site():
    edges = bins(1234)
    assert edges[0] == 0 and edges[-1] == 1234 and len(edges) - 1 <= 500
    d = np.random.default_rng(0).random(1234)
    np.testing.assert_allclose((binned(d, edges) * np.diff(edges)).sum(), d.sum())
    np.testing.assert_array_equal(bins(300), np.arange(301))          # fewer sites than points: one each


def test_a_clean_chain_from_one_site_spreads_ballistically_as_2t_squared():
    m = AndersonModel(scene="clean", start="site", sites=600, t_max=100.0)
    run = m.full_run()
    r = run.records
    assert run.done and run.frames == FRAMES + 1
    t = np.array(r["t"])
    np.testing.assert_allclose(r["msd"], 2 * t ** 2, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(r["norm"], 1.0, atol=1e-10)
    assert run.exponent() == pytest.approx(2.0, abs=0.02)
    assert r["pr"][0] == pytest.approx(1.0)


def test_static_disorder_stops_the_packet():
    m = AndersonModel(scene="anderson", W=3.0, t_max=300.0)
    run = m.full_run()
    assert run.exponent() < 0.3
    xi = m.xi()["now"]
    assert math.sqrt(run.records["msd"][-1]) < 5 * xi < m.sites / 4


def test_a_frozen_lattice_is_a_static_one_with_the_field_added():
    m = AndersonModel(scene="frozen", sites=300, t_max=30.0)
    run = m.full_run()
    eps = m.static_energies() + anderson.VibrationField(1.5, 0.0, seed=m.seed + 1).at(300, 0.0)
    psi0 = anderson.gaussian_packet(300, 150, m.sigma, m.k0)
    psi = anderson.evolve(eps, psi0, np.array(run.records["t"]))
    np.testing.assert_allclose(run.records["msd"], anderson.msd(psi, 150), rtol=1e-6)


def test_a_moving_lattice_releases_the_packet_into_diffusion():
    frozen = AndersonModel(scene="frozen", t_max=400.0, sites=800).full_run()
    moving = AndersonModel(scene="vibrating", t_max=400.0, sites=800).full_run()
    assert moving.records["msd"][-1] > 5 * frozen.records["msd"][-1]
    assert 0.6 < moving.exponent() < 1.4                   # diffusive at the end
    assert moving.diffusion() > 0
    # the site energies travel with the frames: they move
    eps = moving.records["eps"]
    assert len(eps) == moving.frames and not np.allclose(eps[0], eps[-1])


def test_absorbing_ends_take_the_packet_away():
    m = AndersonModel(scene="clean", sites=300, t_max=300.0, ends="absorbing")
    run = m.full_run()
    assert run.records["norm"][-1] < 0.05
    assert all(a >= b - 1e-12 for a, b in zip(run.records["norm"], run.records["norm"][1:]))


def test_chunks_hand_out_the_same_run_in_pieces():
    m = AndersonModel(scene="vibrating", sites=300, t_max=30.0)
    run = m.new_run()
    pieces = []
    while (chunk := run.next_chunk(50, max_seconds=10)) is not None:
        pieces.append(chunk)
        if chunk["done"]:
            break
    assert [c["start"] for c in pieces] == list(range(0, FRAMES + 1, 50))
    whole = AndersonModel(scene="vibrating", sites=300, t_max=30.0).full_run()
    np.testing.assert_array_equal(np.concatenate([c["msd"] for c in pieces]), whole.records["msd"])


def test_the_localization_length_follows_the_weak_disorder_laws():
    m = AndersonModel(W=1.0)                              # packet at E = -2 cos(pi/2) = 0
    x = m.xi()
    assert x["E"] == pytest.approx(0.0, abs=1e-3)
    assert x["now"] == pytest.approx(105.0, rel=0.15)
    strong = AndersonModel(W=6.0).xi()
    assert strong["now"] < 3.0
    np.testing.assert_allclose(x["perturbative"], 96.0 / x["W_line"] ** 2)


def test_eigenstates_near_the_packet_energy_are_localized_on_the_length_xi():
    m = AndersonModel(W=3.0, sites=1000)
    s = m.eigenstates_near()
    assert len(s["E"]) == 3 and all(abs(E - s["target"]) < 0.05 for E in s["E"])
    xi = m.xi()["now"]
    for d, pr, length in zip(s["density"], s["pr"], s["xi"]):
        assert 1 < pr < 10 * xi
        assert length == pytest.approx(xi, rel=1.0)          # one realisation: within a factor of two
    # an exponential decay of known length is measured exactly
    r = np.abs(np.arange(400) - 200)
    assert state_length(np.exp(-2 * r / 7.5)) == pytest.approx(7.5, rel=1e-6)
