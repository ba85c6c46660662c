"""A ``panel serve --setup`` script for benchmarks: cProfile the server between two signals.

``SIGUSR1`` starts a profile of the server's main thread (Tornado's event loop, where every session
runs); ``SIGUSR2`` stops it and writes it to ``$QL_PROFILE_DIR/profile-<n>.prof`` (n counts from
1).  ``bench/lesson_cost.py --profile`` sends the signals around the part it measures and prints
what the profile holds.  cProfile makes pure-Python code slower (calls cost more), so times in a
profile are for finding where the time goes; the bench's CPU figures are measured without it.
"""
from __future__ import annotations

import cProfile
import itertools
import os
import pathlib
import signal

_OUT = pathlib.Path(os.environ.get("QL_PROFILE_DIR", "."))
_COUNT = itertools.count(1)
_profile: cProfile.Profile | None = None


def _start(*_):
    global _profile
    if _profile is None:
        _profile = cProfile.Profile()
        _profile.enable()


def _stop(*_):
    global _profile
    if _profile is not None:
        _profile.disable()
        _profile.dump_stats(_OUT / f"profile-{next(_COUNT)}.prof")
        _profile = None


signal.signal(signal.SIGUSR1, _start)
signal.signal(signal.SIGUSR2, _stop)
