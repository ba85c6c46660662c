"""Quantum Lessons: one package per lesson (model.py = state, view.py = Panel rendering).

A lesson makes itself known by declaring ``CARD`` (a :class:`~lessons.common.model.LessonCard`) in
its package's ``__init__.py``: :func:`catalogue` finds every such package, and the gallery
(apps/index.py), the server (the Makefile serves ``apps/*.py``), the documentation (docs/conf.py,
docs/build.py) and the tests read the lessons from it.  :data:`CATALOGUE` is the catalogue at import.
"""
from __future__ import annotations

import importlib
import pkgutil

from lessons.common.model import LessonCard

__all__ = ["LessonCard", "CATALOGUE", "catalogue", "card"]


def catalogue() -> tuple[LessonCard, ...]:
    """Every lesson package's ``CARD``, in teaching order (``order``, then slug)."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if not info.ispkg or info.name == "common":
            continue
        found_card = getattr(importlib.import_module(f"{__name__}.{info.name}"), "CARD", None)
        if isinstance(found_card, LessonCard):
            if found_card.slug != info.name:
                raise ValueError(f"lessons.{info.name}.CARD names the slug {found_card.slug!r}")
            found.append(found_card)
    return tuple(sorted(found, key=lambda c: (c.order, c.slug)))


CATALOGUE: tuple[LessonCard, ...] = catalogue()


def card(slug: str) -> LessonCard:
    """The card of the lesson ``slug``."""
    for c in CATALOGUE:
        if c.slug == slug:
            return c
    raise KeyError(f"no lesson {slug!r} (known: {', '.join(c.slug for c in CATALOGUE)})")
