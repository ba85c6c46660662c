"""The Tunnelling lesson.

``CARD`` makes the lesson known to the gallery, the server and the documentation
(:func:`lessons.catalogue`).
"""
from lessons.common.model import LessonCard

CARD = LessonCard(
    slug="tunneling",
    title="Tunnelling through a barrier",
    short="Tunnelling",
    page_title="Tunnelling",
    description=("Fire a Gaussian wave packet at a barrier and watch the transmitted and reflected probability "
                 "build up, next to the exact T(E)."),
    summary="fire a Gaussian packet at a barrier; watch T and R build up live; compare with the exact T(E)",
    order=20,
    throttled=True,
)
