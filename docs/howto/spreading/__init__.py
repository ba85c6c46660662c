"""Spreading: a free Gaussian packet moves and spreads (the smallest lesson: docs/howto/add_a_lesson.md).

``CARD`` makes the lesson known to the gallery, the server and the documentation
(:func:`lessons.catalogue`).
"""
from lessons.common.i18n import N_
from lessons.common.model import LessonCard

CARD = LessonCard(
    slug="spreading",
    title=N_("A free packet spreads"),
    short=N_("Spreading"),
    description=N_("A Gaussian packet with no force on it moves at its mean velocity and spreads: "
                   "the narrower it starts, the faster it spreads."),
    summary=N_("watch a free packet spread; compare its width with σ(t)"),
    order=90,
)
