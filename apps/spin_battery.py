"""`panel serve` entry point of the Spin-chain battery lesson: one SpinBatteryView per browser tab."""
import panel as pn

from lessons.spin_battery.view import create_app

# not throttled: the read-outs, the map's marker and the curves follow a slider while it is dragged
# (a two-spin map takes ~10-50 ms; the view coalesces bursts of values)
pn.extension("katex", throttled=False, notifications=False)
create_app().servable(title="Spin-chain quantum battery · Quantum Lessons")
