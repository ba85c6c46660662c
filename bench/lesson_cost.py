"""What a new session and a slider move cost the server, lesson by lesson, and where the time goes.

What it does
------------
It starts ``panel serve`` on the apps as ``make serve`` does (``--warm``, one BLAS thread; pinned
to one CPU, this process to the others) and, for each scenario (a lesson, the tab a student has
open, the slider she moves), one protocol client at a time (Bokeh's websocket protocol with a
page's handshake, :class:`classroom.ProtocolStudent`) does this:

1. **New sessions**: ``--sessions`` times, a client opens the lesson (GET the page, open the
   websocket, pull the document, ``document_ready``, open its tab, the player's ``ready``) and
   waits until the server is idle again.  The server CPU until the **first page** was complete
   is one sample of the session start cost: the page's HTML and document, and the player's first
   run when the player is on the first screen (a student who goes to a tab has first seen the
   first screen).  "Until idle" adds what follows the first paint (figures and lesson text,
   ``lessons.common.page.SECONDARY_DELAY_MS`` later) and the tab opened.  The sessions stay open
   (an idle session costs nothing).
2. **Moves**: the last client moves the slider ``--moves`` times, one step left or right at random
   within ``WALK_SPAN`` steps of its start and inside the slider's range (as a class explores a
   slider: settings recur), each time waiting until the server is idle again.  The server CPU of
   each is one sample of the **move cost**; moves to a setting the server had not been sent before
   in this run (*first visits*) are also reported apart.
3. **Watching** (Tunnelling only, whose page pulls its frames as it plays): the client asks for a
   run's frames 96 at a time to its end; server CPU per frame and per second watched.

Server CPU is the sum over the server's threads of ``/proc/<pid>/task/*/schedstat`` (time on a CPU,
in ns), read every 5 ms; "idle" means it rose by less than ``IDLE_NS`` over ``IDLE_WINDOW`` seconds.
Bokeh's own periodic work (checking for unused sessions every 2 s) is a fraction of a millisecond.

With ``--profile``, the server runs ``bench/profile_hook.py`` (``--setup``) and the bench turns
cProfile on around each phase (SIGUSR1 / SIGUSR2): it prints the functions with the most
cumulative and own time in each.  cProfile slows pure-Python code, so the CPU figures of a
``--profile`` run are higher than without it; compare runs without it.

Goals (issue 17): a move p50 <= 20 ms and p95 <= 60 ms of server CPU in every lesson; a new
session's first page <= 150 ms (p50).  It is a bench: it prints, it never fails.

Run (from the repo root)::

    PYTHONPATH=. python bench/lesson_cost.py                         # every scenario
    PYTHONPATH=. python bench/lesson_cost.py --only quantization     # the scenarios of one lesson
    PYTHONPATH=. python bench/lesson_cost.py --profile --moves 30    # where the time goes
    PYTHONPATH=. python bench/lesson_cost.py --lang de               # the same in German
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import pstats
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

from classroom import LESSONS, WALK_SPAN, Lesson, ProtocolStudent, Server, pct, slider_room, walk_step

GOAL_MOVE_P50_MS, GOAL_MOVE_P95_MS, GOAL_SESSION_MS = 20.0, 60.0, 150.0
IDLE_NS, IDLE_WINDOW = 300_000, 0.15          # idle: < 0.3 ms of CPU in 150 ms
#: the page asks for its figures and text this long after its player is ready (lessons.common.page)
SECONDARY_WAIT = 0.6


@dataclasses.dataclass(frozen=True)
class Scenario:
    """A student on one tab of a lesson, moving one slider."""
    name: str
    lesson: Lesson


def scenarios() -> list[Scenario]:
    q = LESSONS["quantization"]
    out = [Scenario("tunneling", LESSONS["tunneling"]),
           Scenario("bound_states", LESSONS["bound_states"]),
           Scenario("spin_battery (Charging tab)", LESSONS["spin_battery"]),
           Scenario("spin_battery (first tab, Jz)",
                    dataclasses.replace(LESSONS["spin_battery"], slider="Jz", tab=None, player=False)),
           Scenario("quantization (Schrödinger memory tab)", q),
           Scenario("quantization (first tab)", dataclasses.replace(q, tab=None, player=False)),
           Scenario("quantization (Network tab)", dataclasses.replace(q, tab="Network", player=False)),
           Scenario("vqe", LESSONS["vqe"]),
           Scenario("anderson", LESSONS["anderson"]),
           Scenario("solitons", LESSONS["solitons"])]
    return out


def server_ns(pid: int) -> int:
    """CPU time of all the server's threads, in ns."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            pass
    return total


async def until_idle(pid: int, at_least: float = 0.0, timeout: float = 120.0) -> int:
    """Wait ``at_least`` seconds, then until the server is idle; its CPU time (ns) at that point."""
    start = time.monotonic()
    await asyncio.sleep(at_least)
    history = [(time.monotonic(), server_ns(pid))]
    while time.monotonic() - start < timeout:
        await asyncio.sleep(0.005)
        now, ns = time.monotonic(), server_ns(pid)
        history.append((now, ns))
        old = [h for h in history if h[0] <= now - IDLE_WINDOW]
        if old and ns - old[-1][1] < IDLE_NS:
            return old[-1][1]
    return history[-1][1]


class Profiler:
    """cProfile in the server between :meth:`start` and :meth:`stop` (``--profile``)."""

    def __init__(self, server: Server | None, out: Path | None):
        self.server, self.out, self.count = server, out, 0

    def start(self):
        if self.out:
            os.kill(self.server.proc.pid, signal.SIGUSR1)

    async def stop(self, title: str, top: int):
        if not self.out:
            return
        os.kill(self.server.proc.pid, signal.SIGUSR2)
        self.count += 1
        path = self.out / f"profile-{self.count}.prof"
        for _ in range(200):
            if path.exists() and path.stat().st_size:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        print(f"\n    profile of {title} ({path}): cumulative, then own time")
        stats = pstats.Stats(str(path))
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)


async def measure(args, server: Server, scenario: Scenario, profiler: Profiler) -> dict:
    pid = server.proc.pid
    lesson = scenario.lesson
    await until_idle(pid)
    clients, first, whole, stages = [], [], [], {"page": [], "doc": [], "tab": []}
    profiler.start()
    for _ in range(args.sessions):
        t0 = server_ns(pid)
        c = ProtocolStudent(server.url, lesson, play=False,
                            on_stage=lambda name: stages[name].append((server_ns(pid) - t0) / 1e6))
        await c.open()
        if lesson.player:                  # the player is on the open tab: wait for its run
            await asyncio.wait_for(c.first.wait(), 60)
        # the first page: its document, and the player's first run if the player is on the first
        # screen (a student on a tab has first seen the first screen, then opened the tab)
        first.append(stages["tab"][-1] if lesson.tab else (server_ns(pid) - t0) / 1e6)
        whole.append((await until_idle(pid, SECONDARY_WAIT) - t0) / 1e6)
        clients.append(c)
    await profiler.stop(f"{args.sessions} new sessions of {scenario.name}", args.top)

    c = clients[-1]
    rng = random.Random(20261207)
    seen = {c.value}
    costs, firsts = [], []
    profiler.start()
    offset = 0
    for _ in range(args.moves):
        step = walk_step(rng, offset, slider_room(c.slider, c.value))
        offset += step
        c.value = round(c.value + step * c.step, 10)
        t0 = server_ns(pid)
        await c.set_slider(c.slider, c.value)
        cost = (await until_idle(pid) - t0) / 1e6
        costs.append(cost)
        if c.value not in seen:
            firsts.append(cost)
            seen.add(c.value)
    await profiler.stop(f"{args.moves} moves in {scenario.name}", args.top)

    watch = None
    if scenario.lesson.pull:
        watch = await watching(pid, c)
    for client in clients:
        await client.close()
    return dict(first=first, whole=whole, moves=costs, firsts=firsts, watch=watch, stages=stages,
                tab=lesson.tab, fps=lesson.fps)


async def watching(pid: int, c: ProtocolStudent) -> tuple[int, float]:
    """Ask for the current run's frames 96 at a time to its end: (frames, server ms per frame)."""
    await until_idle(pid)
    c.asked = False
    start_frames = c.held
    t0 = server_ns(pid)
    while not c.run_done:
        c.wake.clear()
        await c._player_event({"kind": "more", "run": c.play_run, "upto": c.held + 96})
        await asyncio.wait_for(c.wake.wait(), 30)
    ns = await until_idle(pid) - t0
    frames = c.held - start_frames
    return frames, ns / 1e6 / max(frames, 1)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def report(name: str, r: dict) -> None:
    first, whole, moves, firsts = r["first"], r["whole"], r["moves"], r["firsts"]
    print(f"\n{name}")
    page, doc = r["stages"]["page"], r["stages"]["doc"]
    print(f"  new session: first page {pct(first, .5):6.1f} ms p50 (max {max(first):.1f}); until idle, with the "
          f"figures and text that follow it{' and the tab opened' if r['tab'] else ''}, {pct(whole, .5):6.1f} ms "
          f"p50 (max {max(whole):.1f}) over {len(whole)}")
    print(f"               the page's HTML {pct(page, .5):6.1f} ms p50, its document sent by {pct(doc, .5):6.1f} ms p50")
    print(f"  move:        p50 {pct(moves, .5):6.1f} ms, p95 {pct(moves, .95):6.1f}, max {max(moves):6.1f} over "
          f"{len(moves)} moves; the {len(firsts)} first visits of a setting p50 {pct(firsts, .5):.1f}, "
          f"max {max(firsts, default=float('nan')):.1f}")
    if r["watch"]:
        frames, per = r["watch"]
        fps = r["fps"]
        print(f"  watching:    {frames} frames pulled, {per:.2f} ms of server CPU per frame: "
              f"{per * fps / 1000:.3f} cores per student watching at {fps} frames/s")


async def main(args) -> None:
    chosen = [s for s in scenarios() if not args.only or s.lesson.path in args.only.split(",")]
    cpus = sorted(os.sched_getaffinity(0))
    pinned = ({cpus[0]}, set(cpus[1:])) if len(cpus) >= 2 else None
    extra, env = [], {}
    out = None
    if args.profile:
        out = Path(tempfile.mkdtemp(prefix="lesson-cost-"))
        extra = ["--setup", str(Path(__file__).with_name("profile_hook.py"))]
        env = {"QL_PROFILE_DIR": str(out)}
    server = Server(pinned[0] if pinned else None, extra_args=extra, env=env)
    if pinned:
        os.sched_setaffinity(0, pinned[1])
    print(f"panel serve on {server.url} (log {server.log_path}); CPUs {cpus}, server on {sorted(pinned[0]) if pinned else 'any'}",
          flush=True)
    results = {}
    try:
        t = time.monotonic()
        server.wait_ready(sorted({s.lesson.path for s in chosen}))
        print(f"ready after {time.monotonic() - t:.1f} s (start-up and --warm included)", flush=True)
        profiler = Profiler(server, out)
        for s in chosen:
            print(f"measuring {s.name} ...", flush=True)
            results[s.name] = await measure(args, server, s, profiler)
    finally:
        server.stop()
    print("\n=== Server CPU per new session and per slider move " + "=" * 40)
    print(f"{args.sessions} sessions and {args.moves} moves (random walk within {WALK_SPAN} steps) per scenario, "
          "one at a time, each until the server was idle")
    for name, r in results.items():
        report(name, r)
    print("\nGoals (per lesson: its worst scenario; the first page's p50)")
    lessons = sorted({s.lesson.path for s in chosen})
    for lesson in lessons:
        rs = [r for s in chosen if s.lesson.path == lesson for r in [results[s.name]]]
        p50 = max(pct(r["moves"], .5) for r in rs)
        p95 = max(pct(r["moves"], .95) for r in rs)
        sess = max(pct(r["first"], .5) for r in rs)
        whole = max(pct(r["whole"], .5) for r in rs)
        print(f"  {lesson:13s} move p50 {p50:5.1f} <= {GOAL_MOVE_P50_MS:g} ms -> {verdict(p50 <= GOAL_MOVE_P50_MS)}; "
              f"p95 {p95:5.1f} <= {GOAL_MOVE_P95_MS:g} ms -> {verdict(p95 <= GOAL_MOVE_P95_MS)}; first page "
              f"{sess:5.1f} <= {GOAL_SESSION_MS:g} ms -> {verdict(sess <= GOAL_SESSION_MS)} (all of a session: "
              f"{whole:.0f} ms)")
    problems = server.log_problems()
    print(f"\nServer log ({server.log_path}): {sum(map(len, problems.values()))} tracebacks and warnings")
    for what, stamps in sorted(problems.items(), key=lambda kv: -len(kv[1]))[:8]:
        print(f"  {len(stamps):4d} x {what}")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--only", default="", help=f"comma-separated lessons, of {', '.join(LESSONS)}")
    ap.add_argument("--sessions", type=int, default=10, help="new sessions per scenario")
    ap.add_argument("--moves", type=int, default=60, help="slider moves per scenario")
    ap.add_argument("--profile", action="store_true", help="cProfile each phase in the server and print the top")
    ap.add_argument("--top", type=int, default=25, help="functions printed per profile")
    ap.add_argument("--lang", default="en", choices=["en", "de", "es", "mix"],
                    help="the clients' language (?lang=..; mix: English, German and Spanish in turn)")
    args = ap.parse_args(argv)
    import itertools

    import classroom
    classroom._LANGS = itertools.cycle(["en", "de", "es"] if args.lang == "mix" else [args.lang])
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
