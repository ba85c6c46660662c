"""`panel serve` entry point of the Tunnelling lesson: one TunnelingView per browser tab."""
import panel as pn

from lessons.tunneling.view import create_app

pn.extension("katex", throttled=True, notifications=False)
create_app().servable(title="Tunnelling · Quantum Lessons")
