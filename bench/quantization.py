"""Benchmark of the Quantization lesson's live computations (run: PYTHONPATH=. python bench/quantization.py).

Prints, measured in the same run and with one BLAS thread:
- the full accuracy-against-bits sweep of the digits network (bits 1..16 for integer per-tensor,
  integer per-channel, power companding a = 0.65 and the minifloat E/M split of each width), against
  the goal of 50 ms, and as a ratio to one float forward pass over the test set;
- one stored-psi Schrödinger run (2000 steps) against the same run without quantization;
- what the lesson computes when its bit slider moves (cards, signal, number lines) and when its
  Network tab needs new curves, against the sweep above.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from functools import partial  # noqa: E402

from bench.timing import seconds_per_call  # noqa: E402
from physics import digits as dg  # noqa: E402
from physics import lowprec as lp  # noqa: E402
from physics import quantize as qz  # noqa: E402

GOAL_S = 0.050


def minifloat_for(bits: int):
    """The minifloat of that width with the lesson's automatic E/M split (E4M3 at 8 bits)."""
    return partial(qz.minifloat, fmt=qz.minifloat_split(bits, 0))


def main():
    net = dg.trained_network(0)
    schemes = {
        "int per-tensor": lambda b: partial(qz.uniform, bits=b),
        "int per-channel": lambda b: partial(qz.uniform, bits=b, granularity="channel"),
        "power a=0.65": lambda b: partial(qz.power, bits=max(b, 2), exponent=0.65),
        "minifloat": lambda b: minifloat_for(max(b, 2)),
    }
    bits = range(1, 17)
    result = dg.sweep(net, schemes, bits)
    t_sweep = seconds_per_call(lambda: dg.sweep(net, schemes, bits), 1.0)
    t_fwd = seconds_per_call(lambda: dg.accuracy(net), 0.5)
    n = len(schemes) * len(bits)
    print(f"accuracy sweep: {len(schemes)} schemes x {len(bits)} widths = {n} evaluations")
    print(f"  {t_sweep * 1e3:.1f} ms (goal {GOAL_S * 1e3:.0f} ms: goal/ours = {GOAL_S / t_sweep:.1f}); "
          f"{t_sweep / t_fwd / n:.2f} float forward passes per evaluation")
    print("  bits " + " ".join(f"{b:5d}" for b in bits))
    for name, acc in result.items():
        print(f"  {name:16s}" + " ".join(f"{100 * a:5.1f}" for a in acc))
    t_ref = seconds_per_call(lambda: lp.stored_run(None, steps=2000), 1.0)
    t_q = seconds_per_call(lambda: lp.stored_run(partial(qz.uniform, bits=8), steps=2000), 1.0)
    print(f"stored-psi run, 2000 steps: int8 storage {t_q:.3f} s, unquantized {t_ref:.3f} s "
          f"(ratio {t_q / t_ref:.2f})")
    lesson(t_sweep)


def lesson(t_sweep: float) -> None:
    """The lesson model's work per slider move and per new set of curves."""
    from lessons.quantization.model import QuantizationModel

    m = QuantizationModel()

    def slider_move():
        sv = m.signal_view()
        m.accuracy_now(), m.number_line(sv["x"]), m.weights_view()

    t_move = seconds_per_call(slider_move, 1.0)
    t_curves = seconds_per_call(m.accuracy_curves, 1.0)
    print(f"lesson, one bit-slider move (cards, signal, three number lines): {t_move * 1e3:.1f} ms "
          f"({t_move / t_sweep:.2f} sweeps)")
    print(f"lesson, accuracy curves (3 schemes x 16 widths + kernel): {t_curves * 1e3:.1f} ms "
          f"(goal/ours = {GOAL_S / t_curves:.1f})")


if __name__ == "__main__":
    main()
