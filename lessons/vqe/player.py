"""``OptimisationPlayer``: the VQE lesson's player (an optimisation, pulled iteration by iteration as it plays).

A run's ``setup`` carries what does not change while it plays: the circuit's shape (qubits, layers),
the exact ground energy and the ground state's probabilities, the top of the spectrum, the noise
floor (with noise) and what the run simulates (optimiser, shots, p).  Each ``chunk`` carries iterates
``start .. end - 1`` (and, with noise, the noise floor once it is known: computing it takes a
noiseless optimisation, so it follows the first chunk): the measured energy and its standard error, the noisy and the noiseless
energies, the fidelity, the circuit runs spent, the prepared state's probabilities and the angles
(frame-major, float32).  The page asks for more as it plays (``page.request``), so the server
computes only what is watched.  The drawing is ``pieces.js``: the circuit with a dial per angle,
the energy against iteration and the probabilities against the ground state's.
"""
from __future__ import annotations

import pathlib

import numpy as np
import param

from lessons.common.player import Player, player_module

__all__ = ["OptimisationPlayer"]

_RECORDS = ("k", "evals", "measured", "stderr", "noisy", "exact", "fidelity")


class OptimisationPlayer(Player):
    """Canvas animation of a VQE run: circuit, energy trace, probabilities."""

    plot_height = param.Integer(default=520, bounds=(240, 1200), doc="Canvas height in pixels.")

    _esm = player_module(pathlib.Path(__file__).with_name("pieces.js"))

    def show_setup(self, run, floor: dict | None) -> None:
        """Start ``run`` (a :class:`lessons.vqe.model.VQERun`) on the page; ``floor`` is
        :meth:`VQEModel.noise_floor`."""
        pb, s = run.pb, run.s
        self.start(run=run.run_id, n=run.n, layers=s.layers, iterations=s.iterations, E0=pb.E0, Etop=pb.E_top,
                   degeneracy=pb.degeneracy, ground=np.asarray(pb.ground_probabilities(), np.float32),
                   floor=None if floor is None else floor["floor"], best=None if floor is None else floor["best"],
                   optimizer=s.optimizer, shots=s.shots or 0, p=s.p)

    def push_chunk(self, chunk: dict, **extra) -> None:
        """Send the iterates of ``chunk`` (:meth:`VQERun.next_chunk`); ``extra``: ``floor`` and
        ``best`` once they are known (:meth:`VQEModel.noise_floor`)."""
        f32 = lambda a: np.nan_to_num(np.asarray(a, dtype=np.float64), nan=0.0, posinf=3e38,  # noqa: E731
                                      neginf=-3e38).clip(-3e38, 3e38).astype(np.float32).ravel()
        data = {key: f32(chunk[key]) for key in _RECORDS}
        if chunk["end"] > chunk["start"]:
            data["probs"] = f32(np.stack(chunk["probs"]))
            data["params"] = f32(np.stack(chunk["params"]))
        else:
            data["probs"] = data["params"] = np.zeros(0, np.float32)
        self.push(chunk["start"], chunk["end"], chunk["done"], **data, **extra)
