"""The Tunnelling lesson.

``CARD`` makes the lesson known to the gallery, the server and the documentation
(:func:`lessons.catalogue`).
"""
from lessons.common.i18n import N_
from lessons.common.model import LessonCard

CARD = LessonCard(
    slug="tunneling",
    title=N_("Tunnelling through a barrier"),
    short=N_("Tunnelling"),
    page_title=N_("Tunnelling"),
    description=N_("Fire a Gaussian wave packet at a barrier and watch the transmitted and reflected probability "
                   "build up, next to the exact T(E)."),
    summary=N_("fire a Gaussian packet at a barrier; watch T and R build up live; compare with the exact T(E)"),
    order=20,
    throttled=True,
)
