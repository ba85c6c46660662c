"""The Anderson-localization lesson: an electron packet on a disordered chain, frozen or vibrating.

``CARD`` makes the lesson known to the gallery, the server and the documentation
(:func:`lessons.catalogue`).
"""
from lessons.common.i18n import N_
from lessons.common.model import LessonCard

CARD = LessonCard(
    slug="anderson",
    title=N_("Anderson localization, and a vibrating lattice that frees the electron"),
    short=N_("Anderson localization"),
    page_title=N_("Anderson localization"),
    description=N_("Send an electron along a chain of atoms: clean, it spreads ballistically; with disorder it "
                   "stops dead (Anderson's prison); when the lattice vibrates, it is trapped for a while and "
                   "then diffuses away."),
    summary=N_("set the disorder W and the lattice's vibrations; watch a packet spread, stop or diffuse; read "
               "⟨x²⟩(t), the participation ratio and the localization length"),
    order=25,
)
