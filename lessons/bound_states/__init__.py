"""The Bound states lesson.

``CARD`` makes the lesson known to the gallery, the server and the documentation
(:func:`lessons.catalogue`).
"""
from lessons.common.model import LessonCard

CARD = LessonCard(
    slug="bound_states",
    title="Bound states and a learning network",
    short="Bound states",
    page_title="Bound states",
    description=("Pick a well, see its energy levels and eigenstates, set a superposition in motion, measure "
                 "it, and watch a neural network learn the ground state."),
    summary="pick one of ten wells; see levels and eigenstates; set a superposition and watch it move; measure E or x; watch a physics-informed neural network learn a state",
    order=10,
    throttled=True,
)
