"""`panel serve` entry point of the Quantization lesson: one QuantizationView per browser tab."""
import panel as pn

from lessons.quantization.view import create_app

# not throttled: the read-outs and the number lines follow the bit slider while it is dragged
# (one update takes a few ms; the view coalesces bursts of values)
pn.extension("katex", throttled=False, notifications=False)
create_app().servable(title="Quantization: the bit-width slider · Quantum Lessons")
