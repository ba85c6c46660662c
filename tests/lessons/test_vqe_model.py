"""The VQE lesson's model without a browser: the exact answer, links, runs, costs, extrapolation.

Every expected number is computed here independently: the exact ground energy with NumPy's dense
eigensolver on physics.spinchain's matrix, energies of recorded angles with physics.vqe's circuit,
the extrapolation with numpy.polyfit over noisy energies computed directly.
"""
import threading

import numpy as np
import pytest

from lessons.vqe.model import NN_LEVELS, PRESETS, ZNE_SCALES, VQEModel
from physics import battery, spinchain, vqe


def dense_E0(m: VQEModel) -> float:
    H = spinchain.hamiltonian(m.n_qubits, m.Jx, m.Jy, m.Jz, m.D, m.K, battery.site_fields(m.n_qubits, m.B, m.b))
    return float(np.linalg.eigvalsh(H.toarray())[0])


def test_the_problem_is_the_spin_chain_and_its_exact_ground_state():
    m = VQEModel(n_qubits=4, D=0.3, K=0.2, B=0.4, b=0.1)
    pb = m.problem()
    assert pb.E0 == pytest.approx(dense_E0(m), abs=1e-10)
    H = pb.H.toarray()
    np.testing.assert_allclose(vqe.terms_matrix(pb.terms, 4).toarray(), H, atol=1e-12)
    # every ground vector has energy E0; DM and KSEA need the two mixed bases
    for g in pb.ground.T:
        assert np.real(g.conj() @ H @ g) == pytest.approx(pb.E0, abs=1e-9)
    assert sorted(b for b, _ in pb.groups) == sorted(["XXXX", "YYYY", "ZZZZ", "XYXY", "YXYX"])
    assert pb.ground_probabilities().sum() == pytest.approx(1.0)


def test_presets_set_the_couplings_and_couplings_name_their_preset():
    m = VQEModel(preset="xxx")
    assert (m.Jx, m.Jy, m.Jz) == PRESETS["xxx"][1]
    m.Jz = 0.5
    assert m.preset == "xxz"
    m.Jy = 0.9
    assert m.preset == "custom"
    m.preset = "ising"
    assert (m.Jx, m.Jy, m.Jz) == (0.0, 0.0, 1.0)


def test_a_link_is_read_clamped_and_explained():
    m = VQEModel.from_query({"n": "20", "layers": "3", "shots": "7", "p": "0.5", "opt": "adam", "iter": "nan",
                             "preset": "xxx", "Jz": "0.25"})
    assert m.n_qubits == 8 and m.layers == 3 and m.shots == "exact" and m.p == 0.05
    assert m.optimizer == "spsa" and m.iterations == 200
    assert m.preset == "custom" and (m.Jx, m.Jy, m.Jz) == (1.0, 1.0, 0.25)
    text = " ".join(m.notices)
    for name in ("'n=20'", "'shots=7'", "'p=0.5'", "'opt=adam'", "'iter'"):
        assert name in text, name


def test_a_run_records_every_iterate_consistently():
    m = VQEModel(iterations=30)
    run = m.full_run()
    r = run.records
    pb = m.problem()
    assert run.done and run.frames == 31 and r["k"] == list(range(31))
    assert r["evals"] == [2 * k for k in range(31)]                   # SPSA: two circuit runs a step
    for x, exact, measured, fid, probs in zip(r["params"], r["exact"], r["measured"], r["fidelity"], r["probs"]):
        psi = vqe.hea_state(4, x.reshape(vqe.params_shape(4, 2)))
        assert exact == pytest.approx(float(np.real(psi.conj() @ pb.H @ psi)), abs=1e-10)
        assert exact >= pb.E0 - 1e-9                                    # the variational principle
        assert measured == exact                                        # exact expectation, no noise
        assert fid == pytest.approx(float(np.sum(np.abs(pb.ground.conj().T @ psi) ** 2)), abs=1e-10)
        np.testing.assert_allclose(probs, np.abs(psi) ** 2, atol=1e-12)
    assert r["exact"][-1] < r["exact"][0] - 1.0                          # it went downhill
    # the same settings give the same run; another seed another one
    again = VQEModel(iterations=30).full_run()
    np.testing.assert_array_equal(np.array(again.records["exact"]), np.array(r["exact"]))
    other = VQEModel(iterations=30, seed=2).full_run()
    assert other.records["exact"][-1] != r["exact"][-1]


def test_chunks_hand_out_the_same_run_in_pieces():
    m = VQEModel(iterations=40, shots="1000", p=0.01)
    run = m.new_run()
    pieces = []
    while (chunk := run.next_chunk(7, max_seconds=10)) is not None:
        assert chunk["end"] - chunk["start"] <= 7
        pieces.append(chunk)
        if chunk["done"]:
            break
    assert [c["start"] for c in pieces] == list(range(0, 41, 7))
    assert run.next_chunk(7) is None
    whole = VQEModel(iterations=40, shots="1000", p=0.01).full_run()
    np.testing.assert_array_equal(np.concatenate([c["measured"] for c in pieces]), whole.records["measured"])


def test_noise_and_shots_are_what_the_optimiser_sees():
    m = VQEModel(iterations=20, shots="1000", p=0.02)
    run = m.full_run()
    r = run.records
    shape = vqe.params_shape(4, 2)
    for x, noisy, measured, err, probs in zip(r["params"], r["noisy"], r["measured"], r["stderr"], r["probs"]):
        assert noisy == pytest.approx(vqe.noisy_energy(4, x.reshape(shape), m.problem().H, 0.02), abs=1e-10)
        assert err > 0 and abs(measured - noisy) < 6 * err
        assert probs.sum() == pytest.approx(1.0)
    # depolarizing noise pulls the energy of a low-energy state up
    assert r["noisy"][-1] > r["exact"][-1]


def test_a_two_qubit_heisenberg_dimer_reaches_its_singlet():
    m = VQEModel(n_qubits=2, preset="xxx", layers=1, optimizer="gradient", step=0.1, iterations=200)
    run = m.full_run()
    assert m.problem().E0 == pytest.approx(-3.0)
    assert run.summary()["exact"] == pytest.approx(-3.0, abs=1e-4)
    assert run.summary()["fidelity"] == pytest.approx(1.0, abs=1e-4)
    assert run.records["evals"][1] == 2 * vqe.n_params(2, 1)       # parameter shift: two runs per angle


def test_cobyla_runs_one_circuit_per_iteration_and_stops_its_thread():
    before = threading.active_count()
    m = VQEModel(optimizer="cobyla", iterations=60)
    run = m.full_run()
    assert run.records["evals"] == list(range(61))
    assert run.summary()["exact"] < run.records["exact"][0]
    half = VQEModel(optimizer="cobyla", iterations=400)
    half.new_run().next_chunk(10)
    half.new_run()                                  # a new run stops the old one's thread
    half.run.close()
    for _ in range(100):
        if threading.active_count() <= before:
            break
        threading.Event().wait(0.02)
    assert threading.active_count() <= before


def test_expensive_settings_are_capped_and_say_so():
    m = VQEModel(n_qubits=8, layers=8, optimizer="gradient", iterations=500)
    assert m.iteration_cap() < 500
    assert any("stops after" in n for n in m.run_notes())
    cheap = VQEModel()
    assert cheap.iteration_cap() == cheap.iterations and cheap.run_notes() == []
    noisy = VQEModel(n_qubits=8, layers=4, p=0.01)          # density matrices of 4^8 numbers
    assert noisy.iteration_cap() < noisy.iterations and "density matrices" in " ".join(noisy.run_notes())
    assert VQEModel(n_qubits=6, layers=4, p=0.01).iteration_cap() == 200


def test_zero_noise_extrapolation_is_richardson_over_folded_circuits():
    m = VQEModel(iterations=40, p=0.02, zne_order=2)
    run = m.full_run()
    z = run.zne()
    x = run.final_params
    H = m.problem().H
    E = [vqe.noisy_energy(4, x, H, 0.02, scale=s) for s in ZNE_SCALES]
    np.testing.assert_allclose(z["E"], E, atol=1e-10)
    assert z["richardson"] == pytest.approx(np.polyval(np.polyfit(ZNE_SCALES, E, 2), 0.0), abs=1e-9)
    assert z["richardson_err"] == 0.0
    assert z["target"] == pytest.approx(vqe.energy(vqe.hea_state(4, x), H), abs=1e-10)
    # the extrapolations land closer to the noiseless energy than the measured one
    assert abs(z["richardson"] - z["target"]) < 0.3 * abs(z["noisy"] - z["target"])
    assert abs(z["nn"] - z["target"]) < abs(z["noisy"] - z["target"])
    levels = np.array(NN_LEVELS)
    np.testing.assert_allclose(z["nn_E"], [vqe.noisy_energy(4, x, H, 1 - (1 - 0.02) ** lv) for lv in levels], atol=1e-10)


def test_extrapolation_with_shots_carries_error_bars():
    m = VQEModel(iterations=20, p=0.02, shots="1000")
    z = m.full_run().zne()
    w = vqe.richardson_weights(ZNE_SCALES, 1)
    assert z["richardson_err"] == pytest.approx(float(np.sqrt(np.sum((w * z["dE"]) ** 2))))
    assert z["richardson_err"] > max(z["dE"])               # extrapolation amplifies the shot noise
    assert z["nn_err"] >= 0


def test_the_noise_floor_is_the_noisy_energy_of_the_noiseless_optimum():
    m = VQEModel(p=0.02)
    f = m.noise_floor()
    assert m.problem().E0 - 1e-9 <= f["best"] < f["floor"]
    assert VQEModel().noise_floor() is None
