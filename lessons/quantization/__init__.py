"""The Quantization: the bit-width slider lesson.

``CARD`` makes the lesson known to the gallery, the server and the documentation
(:func:`lessons.catalogue`).
"""
from lessons.common.model import LessonCard

CARD = LessonCard(
    slug="quantization",
    title="Quantization: how few bits?",
    short="Quantization",
    page_title="Quantization: the bit-width slider",
    description=("Slide the bit width and watch what a number format can represent, what a small neural "
                 "network still gets right, and what a low-precision memory does to ψ."),
    summary="one bit-width slider over many number formats; see the grid, a signal's error, a small network's accuracy and a Schrödinger run with a low-precision memory",
    order=40,
    throttled=False,
)
