"""The Spin-chain quantum battery lesson.

``CARD`` makes the lesson known to the gallery, the server and the documentation
(:func:`lessons.catalogue`).
"""
from lessons.common.model import LessonCard

CARD = LessonCard(
    slug="spin_battery",
    title="A spin chain as a quantum battery",
    short="Spin-chain battery",
    page_title="Spin-chain quantum battery",
    description=("Tune the couplings, fields and temperature of a Heisenberg chain and see how much work its "
                 "thermal state stores, how much can be extracted, and how fast it charges."),
    summary="set couplings, fields and temperature of a Heisenberg chain; read ergotropy, capacity and coherence; charge the battery and watch it play",
    order=30,
    throttled=False,
)
