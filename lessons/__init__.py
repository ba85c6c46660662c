"""Quantum Lessons: one package per lesson (model.py = state, view.py = Panel rendering).

:data:`CATALOGUE` lists the lessons the gallery shows, in teaching order.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LessonCard:
    """What the gallery needs to show one lesson."""

    slug: str          # the served app's path, /<slug>
    title: str
    description: str   # one line
    thumbnail: str     # file in assets/


CATALOGUE: tuple[LessonCard, ...] = (
    LessonCard(
        slug="bound_states",
        title="Bound states and a learning network",
        description="Pick a well, see its energy levels and eigenstates, set a superposition in "
                    "motion, measure it, and watch a neural network learn the ground state.",
        thumbnail="bound_states.svg",
    ),
    LessonCard(
        slug="tunneling",
        title="Tunnelling through a barrier",
        description="Fire a Gaussian wave packet at a barrier and watch the transmitted and "
                    "reflected probability build up, next to the exact T(E).",
        thumbnail="tunneling.svg",
    ),
    LessonCard(
        slug="spin_battery",
        title="A spin chain as a quantum battery",
        description="Tune the couplings, fields and temperature of a Heisenberg chain and see how much "
                    "work its thermal state stores, how much can be extracted, and how fast it charges.",
        thumbnail="spin_battery.svg",
    ),
    LessonCard(
        slug="quantization",
        title="Quantization: how few bits?",
        description="Slide the bit width and watch what a number format can represent, what a small "
                    "neural network still gets right, and what a low-precision memory does to ψ.",
        thumbnail="quantization.svg",
    ),
)
