"""The Variational quantum eigensolver lesson: the spin chain's ground state found the way a quantum
computer would, with shot noise, gate noise and zero-noise extrapolation.

``CARD`` makes the lesson known to the gallery, the server and the documentation
(:func:`lessons.catalogue`).
"""
from lessons.common.i18n import N_
from lessons.common.model import LessonCard

CARD = LessonCard(
    slug="vqe",
    title=N_("A variational quantum eigensolver, with noise and its mitigation"),
    short=N_("Variational eigensolver"),
    page_title=N_("Variational quantum eigensolver"),
    description=N_("Find a spin chain's ground state as a quantum computer would: a trial circuit, an optimiser "
                    "that only sees measured energies, shot noise, gate noise, and zero-noise extrapolation "
                    "that wins some of it back."),
    summary=N_("choose a chain, a circuit depth and an optimiser; watch the energy converge under shots and "
               "noise; extrapolate to zero noise"),
    order=35,
)
