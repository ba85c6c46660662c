"""`panel serve` entry point of the Bound-states lesson: one BoundStatesView per browser tab."""
import panel as pn

from lessons.bound_states.view import create_app

pn.extension("katex", throttled=True, notifications=False)
create_app().servable(title="Bound states · Quantum Lessons")
