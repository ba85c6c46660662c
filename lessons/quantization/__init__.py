"""The Quantization: the bit-width slider lesson.

``CARD`` makes the lesson known to the gallery, the server and the documentation
(:func:`lessons.catalogue`); its texts are English msgids (``N_``), shown in the page's language.
"""
from lessons.common.i18n import N_
from lessons.common.model import LessonCard

CARD = LessonCard(
    slug="quantization",
    title=N_("Quantization: how few bits?"),
    short=N_("Quantization"),
    page_title=N_("Quantization: the bit-width slider"),
    description=N_("Slide the bit width and watch what a number format can represent, what a small neural "
                   "network still gets right, and what a low-precision memory does to ψ."),
    summary=N_("one bit-width slider over many number formats; see the grid, a signal's error, a small network's "
               "accuracy and a Schrödinger run with a low-precision memory"),
    order=40,
    throttled=False,
)
