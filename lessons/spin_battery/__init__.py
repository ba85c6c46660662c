"""The Spin-chain quantum battery lesson.

``CARD`` makes the lesson known to the gallery, the server and the documentation
(:func:`lessons.catalogue`).  Its texts are English msgids (``N_``): the gallery and the page show
them in the session's language.
"""
from lessons.common.i18n import N_
from lessons.common.model import LessonCard

CARD = LessonCard(
    slug="spin_battery",
    title=N_("A spin chain as a quantum battery"),
    short=N_("Spin-chain battery"),
    page_title=N_("Spin-chain quantum battery"),
    description=N_("Tune the couplings, fields and temperature of a Heisenberg chain and see how much work its "
                   "thermal state stores, how much can be extracted, and how fast it charges."),
    summary=N_("set couplings, fields and temperature of a Heisenberg chain; read ergotropy, capacity and coherence; charge the battery and watch it play"),
    order=30,
    throttled=False,
)
