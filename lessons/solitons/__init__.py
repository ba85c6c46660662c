"""The Solitons lesson: the nonlinear Klein–Gordon equation's kinks, breathers and collisions.

``CARD`` makes the lesson known to the gallery, the server and the documentation
(:func:`lessons.catalogue`).
"""
from lessons.common.i18n import N_
from lessons.common.model import LessonCard

CARD = LessonCard(
    slug="solitons",
    title=N_("Solitons: kinks that move like particles, breathe, bounce and pass through"),
    short=N_("Solitons"),
    page_title=N_("Solitons"),
    description=N_("A wave that behaves like a particle: kinks of the φ⁴ and sine-Gordon fields, Lorentz "
                   "contracted when they move; a breather; and collisions in which sine-Gordon kinks pass "
                   "through each other while φ⁴ kinks bounce, stick, or escape in narrow windows of speed."),
    summary=N_("boost a kink, let a breather breathe, collide kinks at a speed of your choice; scan the φ⁴ "
               "bounce windows; read the energy and its drift"),
    order=28,
)
