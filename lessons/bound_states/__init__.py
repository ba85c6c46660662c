"""The Bound states lesson.

``CARD`` makes the lesson known to the gallery, the server and the documentation
(:func:`lessons.catalogue`).  Its texts are English msgids (``N_``): the gallery and the page show
them in the page's language.
"""
from lessons.common.i18n import N_
from lessons.common.model import LessonCard

CARD = LessonCard(
    slug="bound_states",
    title=N_("Bound states and a learning network"),
    short=N_("Bound states"),
    page_title=N_("Bound states"),
    description=N_("Pick a well, see its energy levels and eigenstates, set a superposition in motion, measure "
                   "it, and watch a neural network learn the ground state."),
    summary=N_("pick one of ten wells; see levels and eigenstates; set a superposition and watch it move; measure E or x; watch a physics-informed neural network learn a state"),
    order=10,
    throttled=True,
)
