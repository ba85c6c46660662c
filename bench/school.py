"""Load test of a whole school: hundreds of students on every lesson through HAProxy and several lesson processes, and a crash.

What it does
------------
It starts a :class:`deploy.school.School` as ``make school`` does (``--procs`` ``panel serve``
processes, each serving every lesson, a static server and HAProxy with cookie stickiness,
``balance leastconn``, health checks on ``/liveness`` and ``option redispatch``; see
``deploy/school.py`` and ``deploy/haproxy.cfg.in``) on free ports of this machine, then:

1. **Connects** ``--students`` protocol students (``ProtocolStudent`` of ``bench/classroom.py``: Bokeh's
   websocket protocol with a page's handshake, the Tunnelling / VQE / Anderson ones pulling their
   frames as they play, as the pages do), the seven lessons of ``classroom.LESSONS`` given out in
   turn, ``--connect-at-once`` at a time.  Each keeps HAProxy's cookie as a browser does: the page
   GET's ``Set-Cookie: QLSERVER=pN`` goes with its websocket request, so the websocket reaches the
   process that made the session.  A process therefore holds students of every lesson.
2. **Class**: ``--quiet`` seconds everybody watches, then for ``--minutes`` every student moves its
   lesson's slider one step every ``--move-every`` seconds (±20 %, a random walk: ``walk_step``).
3. **The crash drill**, ``--kill-at`` seconds after the first move (default half way):
   ``school.kill("p1")`` (SIGKILL, as a crash).  The students whose cookie pointed at p1 see their
   websocket close; each then does what the page does (lessons/common/classroom.js,
   ``onConnectionLost``): after 0.8 s it probes the page's Bokeh script through the proxy (a HEAD,
   with its old cookie; every 2 s until answered) and loads its lesson again, still with the old
   cookie (HAProxy's ``redispatch`` must send it to a live process and set a new cookie) and with its
   settings in the link (``?height=...``: the page's address bar holds them).  Its slider walk goes
   on from the restored value.  Meanwhile a supervisor ticks every second as ``deploy/school.py``'s
   foreground loop does (``school.supervise_once()``: p1 is started again); once HAProxy has p1
   UP again, ``--fresh`` new students connect and we look where they land (leastconn: p1 holds no
   one, so they should go there).  The drill goes on after the class's end if p1 is not back yet
   (the class stays connected, nobody moves then).

Figures
-------
Sampled every second from /proc (``classroom.cpu_seconds``: utime + stime of a pid; ``VmRSS``):

- **per lesson process**: CPU in cores (mean and p95 of 1 s windows over the class; the window in
  which p1 died or was started again is left out for p1), RSS, and the students it holds: HAProxy's
  ``scur`` (its stats page) and counted from the cookie each student holds, at the start, before the
  kill and at the end (they agree when every websocket reached the process its cookie names; a
  student keeps the cookie HAProxy sets on the page and on the websocket's upgrade, as a browser
  does); the time its main thread waited for a CPU (``/proc/<pid>/schedstat``); how often HAProxy
  marked it DOWN while it was alive (its ``/liveness`` checks timed out: too busy to answer within
  ``timeout check``, ``fall`` times in a row (deploy/haproxy.cfg.in); from HAProxy's log) and for how
  long (its status polled every second).  While a
  process is DOWN nobody new goes to it and a request with its cookie goes elsewhere: the report
  counts the students whose websocket reached another process than their page;
- **server cores**: the sum over the processes, per 1 s window (mean, p95); **students per core** =
  students / mean server cores over the class (and over the minutes before the kill, without the
  drill's reconnections and p1's start): the figure the README quotes.  CPU time is what the
  processes used, not what they would have wanted: when the machine is saturated (2 CPUs, 4 lesson
  processes and this client), moves are coalesced (see "moves answered") and the figure flatters;
- **slider -> new run** latency (change sent -> first message of the new run, this process's
  clock: the client's own delays count), p50/p95 overall, per lesson, before the kill and after it
  (the students not on the killed process); new runs received per move; frames (pulled lessons)
  and bytes of binary buffers received; students that failed to connect;
- **moves answered**: a move is unanswered when the next move (or the class's end) comes before a
  new run: a server behind coalesces moves, a dead one answers nothing;
- **the crash drill**: affected students (their websocket closed after the kill) against those
  whose cookie said p1 (they should be the same set); unaffected students' moves after the kill and
  how many got no answer; the time from the kill to each affected student's first new run after
  its reload (p50/p95/max), where it landed, whether its slider came back at its value; when
  HAProxy saw p1 DOWN, when it was started again and UP again, and where the fresh students went;
- **the client side**: this process's CPU (one asyncio thread does all the students' websockets:
  at ~1 core it is the bottleneck), its event loop's lag (how late a 100 ms sleep wakes: latencies
  include it), the machine's run queue (``procs_running`` of /proc/stat) and the CPU of the other
  processes on the machine (a shared machine: their load is in every figure).  The report says
  which side set the pace: the clients (client CPU >= 0.85 core or loop lag p95 >= 100 ms), the
  machine (>= 90 % of its CPUs busy: the lesson processes got what was left and coalesced moves),
  CPU contention (the lesson processes waited >= 100 ms/s for a CPU), or none.  Nothing is pinned
  (``--procs`` processes and this client share the machine's CPUs, whose count is printed).

The students' page requests run in threads (one per student at most, as browsers are independent);
HAProxy's stats page is read in a thread of its own.  The students' websocket reader ends on a
close in the middle of a message (``Tracked._read``): ``ProtocolStudent._read`` would wait for ever
there, and a student killed mid-run would never reload.

Timings seen here (2 CPUs): HAProxy marks a killed process DOWN a few seconds after the kill (once
``fall`` checks were refused; a request meanwhile is retried and redispatched), and a restarted one
(``--warm``) is UP again ~15-30 s after, depending on the load.

The lesson processes' logs (in ``school.workdir``) are read at the end for tracebacks, grouped.
It is a bench: it prints, it never fails.

Run (from the repo root; HAProxy from the PATH or /usr/sbin/haproxy)::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/school.py                      # 200 students, 2 min
    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/school.py --students 400
    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/school.py --students 24 --minutes 0.5   # a quick look
"""
from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import itertools
import json
import os
import random
import re
import statistics
import sys
import time
import traceback
import types
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import classroom  # noqa: E402
from classroom import LESSONS, ProtocolStudent, Server, cpu_seconds, machine_busy, pct, rss_mb, run_queue_wait  # noqa: E402
from deploy.school import School, free_port  # noqa: E402

#: The link argument of each lesson's slider (its model's ``query_names``): a reloaded page keeps it.
SETTING = {"tunneling": "height", "bound_states": "width", "spin_battery": "omega", "quantization": "bits",
           "vqe": "step", "anderson": "W", "solitons": "v"}
#: What the page probes before it reloads (lessons/common/classroom.js): its Bokeh script, which every
#: lesson process serves; first after 0.8 s, then every 2 s.
PROBE, PROBE_FIRST, PROBE_EVERY = "/static/js/bokeh.min.js", 0.8, 2.0
COOKIE = "QLSERVER"
#: HAProxy's stats page is read in a thread of its own, never queued behind the students' page requests.
STATS_THREAD = concurrent.futures.ThreadPoolExecutor(max_workers=1)


def mean(values) -> float:
    values = list(values)
    return statistics.fmean(values) if values else float("nan")


def procs_running() -> int:
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("procs_running"):
            return int(line.split()[1])
    return 0


def health_downs(log: Path) -> dict[str, dict[str, int]]:
    """HAProxy's log: per process, how often it was marked DOWN, by reason: "busy" (its health check
    timed out: alive but too busy to answer /liveness within 1 s, twice) or "dead" (connection refused)."""
    out: dict[str, dict[str, int]] = {}
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return out
    for line in lines:
        m = re.search(r"Server lessons/(\w+) is DOWN, reason: ([^,]+)", line)
        if m and line.startswith("["):           # each event is logged twice (stderr and the log line)
            why = "busy" if "timeout" in m.group(2).lower() else "dead"
            out.setdefault(m.group(1), {"busy": 0, "dead": 0})[why] += 1
    return out


def log_problems(path: Path) -> dict[str, list[str]]:
    """A lesson process's log's tracebacks and errors, grouped (as ``classroom.Server.log_problems``)."""
    try:
        return Server.log_problems(types.SimpleNamespace(log_path=path))
    except OSError:
        return {}


# ---- students --------------------------------------------------------------------------------------

class Tracked(ProtocolStudent):
    """A protocol student that notes when it moved, which moves got no new run, when its handshake
    passed each stage and which process its page and its websocket reached (HAProxy's cookie)."""

    def __init__(self, *a, **k):
        super().__init__(*a, on_stage=self._stage, **k)
        self.sent: list[float] = []          # times of its moves
        self.unanswered: list[float] = []    # send times of moves that brought no new run before the next
        self.stages: dict[str, float] = {}   # "page" (GET done), "doc" (document pulled) -> time
        self.page_server: str | None = None  # the process that made the page (its cookie after the GET)
        self.ws_server: str | None = None    # the process its websocket reached (its cookie after the upgrade)

    async def open(self) -> None:
        await super().open()
        self.ws_server = self.cookies.get(COOKIE)

    async def _read(self):
        """As ``ProtocolStudent._read``, but a close in the middle of a message ends it: tornado gives one
        ``None`` for a closed websocket, and a read after it would wait for ever (a student whose process
        was killed while a run's frames were arriving would never notice, nor reload)."""
        header = await self.ws.read_message()
        if header is None:
            return None, None
        header = json.loads(header)
        if await self.ws.read_message() is None:
            return None, None
        content = await self.ws.read_message()
        if content is None:
            return None, None
        for _ in range(header.get("num_buffers", 0)):
            if await self.ws.read_message() is None:
                return None, None
            buffer = await self.ws.read_message()
            if buffer is None:
                return None, None
            self.bytes += len(buffer)
        return header, content

    def _stage(self, name: str) -> None:
        self.stages[name] = time.monotonic()
        if name == "page":
            self.page_server = self.cookies.get(COOKIE)

    def redispatched(self) -> bool:
        """Its websocket reached another process than its page (HAProxy set a new cookie on the upgrade)."""
        return self.page_server is not None and self.ws_server is not None and self.page_server != self.ws_server

    async def move(self) -> None:
        if self.pending is not None:
            self.unanswered.append(self.pending[0])
        self.sent.append(time.monotonic())
        await super().move()

    def server(self) -> str | None:
        return self.cookies.get(COOKIE)

    def answered(self) -> list[tuple[float, float]]:
        """(send time, latency ms) of each answered move: a move brings at most one latency sample, in
        order, and the others are in ``unanswered`` (a move still pending is added there on close)."""
        gone = set(self.unanswered)
        return list(zip([t for t in self.sent if t not in gone], self.lat))


class Student:
    """One student of the school: its current page (a :class:`Tracked`) and the pages before a reload."""

    def __init__(self, i: int, base: str, lesson, drill):
        self.i, self.base, self.lesson, self.drill = i, base, lesson, drill
        self.s = Tracked(base, lesson)
        self.past: list[Tracked] = []     # the pages it had before a reload
        self.error: str | None = None     # it failed to connect (why)
        self.first_server: str | None = None
        self.closing = False
        self.reloading = False
        self.skipped = 0                  # moves not made while its page was reloading
        self.move_errors = 0
        self.move_error: str | None = None
        self.reader_error: str | None = None
        self.t_lost = self.t_back = None  # its websocket closed; its first new run after the reload
        self.lost_server = self.back_server = None
        self.kept = None                  # the reloaded page's slider holds the value of the link
        self.probes = 0                   # probes (HEAD) that failed before the reload
        self.t_probe = None               # the probe answered
        self.failed_reloads = 0           # tries of the reload that failed (and were made again 2 s later)
        self.failed_reload: str | None = None
        self.reload_error: str | None = None
        self.watcher = None

    @property
    def pages(self) -> list[Tracked]:
        return [*self.past, self.s]

    async def connect(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self.s.open(), timeout)
            self.first_server = self.s.server()
            self.watcher = asyncio.create_task(self.watch())
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"[:160]

    async def watch(self) -> None:
        """Wait until the page's websocket closes; if we did not close it, reload as the page does."""
        s = self.s
        try:
            await s.reader
        except asyncio.CancelledError:
            return
        except Exception as exc:           # the reader failed (not a close): note it; the page is dead too
            self.reader_error = f"{type(exc).__name__}: {exc}"[:200]
        if self.closing:
            return
        await self.reload(s)

    async def reload(self, old: Tracked) -> None:
        self.t_lost = time.monotonic()
        self.lost_server = old.server()
        self.reloading = True
        if old.player_task is not None:
            old.player_task.cancel()
        old.t_close = self.t_lost
        if old.pending is not None:            # the move in flight died with the process
            old.unanswered.append(old.pending[0])
            old.pending = None
        loop = asyncio.get_running_loop()
        deadline = self.t_lost + self.drill.reload_timeout
        await asyncio.sleep(PROBE_FIRST)
        while True:                            # the page's probe: answered means a process is there
            try:
                await loop.run_in_executor(None, old._get, self.base + PROBE, "HEAD")
                self.t_probe = time.monotonic()
                break
            except Exception:
                self.probes += 1
                if time.monotonic() > deadline:
                    self.reload_error = "the probe never answered"
                    return
                await asyncio.sleep(PROBE_EVERY)
        # the reload: the same link with its settings (the address bar follows the slider), old cookie
        new = Tracked(self.base, self.lesson)
        new.lang, new._ = old.lang, old._
        query = dict(urllib.parse.parse_qsl(old.query.lstrip("?")))
        query[SETTING[self.lesson.path]] = f"{old.value:.10g}"
        new.query = "?" + urllib.parse.urlencode(query)
        new.cookies = dict(old.cookies)
        new.rng, new.offset = old.rng, old.offset
        while True:
            try:
                await asyncio.wait_for(new.open(), max(1.0, deadline - time.monotonic()))
                break
            except Exception as exc:
                self.failed_reloads += 1           # e.g. 503 (no process UP) or 504 (one too busy to answer)
                self.failed_reload = f"{type(exc).__name__}: {exc}"[:120]
                await self._drop(new)
                if time.monotonic() > deadline:
                    self.reload_error = self.failed_reload
                    return
                new = self._again(new, old)
                await asyncio.sleep(PROBE_EVERY)
        self.kept = abs(new.value - old.value) <= 1e-9 * max(1.0, abs(old.value))
        self.back_server = new.server()
        self.past.append(old)
        self.s = new
        try:
            await asyncio.wait_for(new.first.wait(), max(1.0, deadline - time.monotonic()))
            self.t_back = time.monotonic()
        except asyncio.TimeoutError:
            self.reload_error = "no new run after the reload"
        self.reloading = False
        self.watcher = asyncio.create_task(self.watch())

    @staticmethod
    async def _drop(page: Tracked) -> None:
        """Close what a failed try of a reload left open (its websocket, if it got one)."""
        if page.ws is not None:
            page.ws.close()
        for task in (getattr(page, "reader", None), page.player_task):
            if task is not None:
                task.cancel()

    def _again(self, failed: Tracked, old: Tracked) -> Tracked:
        """A fresh page for another try of the reload (the failed one's cookies kept)."""
        new = Tracked(self.base, self.lesson)
        new.lang, new._, new.query = old.lang, old._, failed.query
        new.cookies = dict(failed.cookies)
        new.rng, new.offset = old.rng, old.offset
        return new

    async def move(self) -> None:
        if self.error or self.reload_error:
            return
        if self.reloading:
            self.skipped += 1
            return
        try:
            await self.s.move()
        except Exception as exc:
            self.move_errors += 1
            self.move_error = f"{type(exc).__name__}: {exc}"[:160]

    async def close(self) -> None:
        self.closing = True
        if self.watcher is not None:
            self.watcher.cancel()
        if self.error is None and self.s.ws is not None:
            if self.s.pending is not None:
                self.s.unanswered.append(self.s.pending[0])
                self.s.pending = None
            try:
                await self.s.close()
            except Exception:
                pass


# ---- sampling ---------------------------------------------------------------------------------------

class Sampler:
    """Every second: each lesson process's CPU, RSS and run-queue wait; HAProxy's, this client's and the
    machine's CPU; the run queue.  Also the event loop's lag (how late a 100 ms sleep wakes)."""

    def __init__(self, school: School):
        self.school = school
        self.rows: list[dict] = []
        self.lag: list[tuple[float, float]] = []
        self.status: list[tuple[float, dict[str, str]]] = []   # HAProxy's status of each process (UP, DOWN, ...)

    def sample(self) -> None:
        busy, total = machine_busy()
        row = {"t": time.monotonic(), "busy": busy, "total": total, "running": procs_running(),
               "client": cpu_seconds(os.getpid()), "client_wait": run_queue_wait(os.getpid()),
               "haproxy": cpu_seconds(self.school.haproxy.pid) if self.school.haproxy else None,
               "static": cpu_seconds(self.school.static.pid) if self.school.static else None, "procs": {}}
        for p in self.school.lessons:
            if p.alive:
                cpu = cpu_seconds(p.proc.pid)
                try:
                    rss = rss_mb(p.proc.pid)
                except OSError:
                    rss = float("nan")
                if cpu is not None:
                    row["procs"][p.name] = (p.proc.pid, cpu, rss, run_queue_wait(p.proc.pid))
        self.rows.append(row)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self.sample()
            try:
                rows = await loop.run_in_executor(STATS_THREAD, self.school.stats)
                self.status.append((time.monotonic(), {n: row.get("status", "?") for n, row in rows.items()}))
            except Exception:
                pass
            await asyncio.sleep(1.0)

    def down(self, name: str, t0: float, t1: float, skip=(None, None)) -> float:
        """Seconds HAProxy had ``name`` DOWN between t0 and t1 (``skip``: a span left out)."""
        total = 0.0
        for (t, st), nxt in zip(self.status, self.status[1:]):
            if t0 <= t <= t1 and st.get(name, "").startswith("DOWN") and not (skip[0] and skip[0] <= t <= (skip[1] or t1)):
                total += nxt[0] - t
        return total

    async def loop_lag(self) -> None:
        while True:
            t = time.monotonic()
            await asyncio.sleep(0.1)
            self.lag.append((t, time.monotonic() - t - 0.1))

    def lags(self, t0: float, t1: float) -> list[float]:
        return [x for t, x in self.lag if t0 <= t <= t1]

    def windows(self, t0: float, t1: float) -> dict:
        """Per 1 s window between t0 and t1: cores of each process (left out where its pid changed),
        their sum, HAProxy, the client, the machine; the run queue; each process's RSS."""
        rows = [r for r in self.rows if t0 <= r["t"] <= t1]
        names = [p.name for p in self.school.lessons]
        out = {"t": [], "servers": [], "client": [], "haproxy": [], "machine": [], "running": [], "client_wait": [],
               **{n: [] for n in names}, **{f"rss {n}": [] for n in names}, **{f"wait {n}": [] for n in names}}
        ncpu = os.cpu_count()
        for a, b in zip(rows, rows[1:]):
            dt = b["t"] - a["t"]
            if dt <= 0:
                continue
            total = 0.0
            for n in names:
                pa, pb = a["procs"].get(n), b["procs"].get(n)
                if pa and pb and pa[0] == pb[0]:
                    out[n].append((pb[1] - pa[1]) / dt)
                    out[f"wait {n}"].append((pb[3] - pa[3]) / dt)
                    total += (pb[1] - pa[1]) / dt
                if pb:
                    out[f"rss {n}"].append(pb[2])
            out["t"].append(b["t"])
            out["servers"].append(total)
            out["client"].append((b["client"] - a["client"]) / dt)
            out["client_wait"].append((b["client_wait"] - a["client_wait"]) / dt)
            out["haproxy"].append(((b["haproxy"] or 0) - (a["haproxy"] or 0) + (b["static"] or 0) - (a["static"] or 0)) / dt)
            out["machine"].append((b["busy"] - a["busy"]) / max(1e-9, b["total"] - a["total"]) * ncpu)
            out["running"].append(b["running"])
        return out


# ---- the run -----------------------------------------------------------------------------------------

class Drill:
    """What the crash drill saw."""

    def __init__(self, args):
        self.reload_timeout = args.reload_timeout
        self.t_kill = self.t_down = self.t_restart = self.t_up = None
        self.on_p1: set[int] = set()            # students whose cookie said p1 at the kill
        self.stats_before: dict = {}
        self.cookies_before: dict[str, int] = {}
        self.fresh: list[Student] = []
        self.fresh_stats: dict = {}
        self.notes: list[str] = []


def cookie_counts(students) -> dict[str, int]:
    out: dict[str, int] = {}
    for st in students:
        if st.error is None and not st.reloading:
            name = st.s.server() or "?"
            out[name] = out.get(name, 0) + 1
    return out


async def stats(school: School) -> dict:
    try:
        return await asyncio.get_running_loop().run_in_executor(STATS_THREAD, school.stats)
    except Exception as exc:
        return {"error": str(exc)}


async def connect_all(students, at_once: int, timeout: float, t_start: float, label: str = "") -> None:
    sem = asyncio.Semaphore(at_once)
    done = itertools.count(1)

    async def one(st):
        async with sem:
            await st.connect(timeout)
        n = next(done)
        if n % 50 == 0 or n == len(students):
            print(f"  {label}{n} students connected ({time.monotonic() - t_start:.0f} s)", flush=True)

    await asyncio.gather(*(one(st) for st in students))


async def first_runs(students, timeout: float) -> int:
    """Wait until each connected student has its first run; how many never got one."""
    async def one(st):
        try:
            await asyncio.wait_for(st.s.first.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False
    ok = await asyncio.gather(*(one(st) for st in students if st.error is None))
    return sum(not x for x in ok)


async def supervisor(school: School, drill: Drill) -> None:
    """``deploy/school.py``'s foreground loop: every second, start again every process that died."""
    while True:
        restarted = school.supervise_once()
        if restarted and drill.t_kill is not None and drill.t_restart is None:
            drill.t_restart = time.monotonic()
        await asyncio.sleep(1.0)


async def crash_drill(args, school: School, students, drill: Drill, t_kill: float, base: str, lessons) -> None:
    await asyncio.sleep(max(0.0, t_kill - time.monotonic()))
    drill.stats_before = await stats(school)
    drill.cookies_before = cookie_counts(students)
    drill.on_p1 = {st.i for st in students if st.error is None and st.s.server() == args.kill}
    print(f"  crash drill: SIGKILL {args.kill} (pid {next(p.proc.pid for p in school.lessons if p.name == args.kill)}), "
          f"which {len(drill.on_p1)} students' cookies point at", flush=True)
    drill.t_kill = time.monotonic()
    school.kill(args.kill)
    # HAProxy's view: DOWN (two failed checks), then, once the supervisor has started it again, UP
    deadline = drill.t_kill + args.up_timeout
    while time.monotonic() < deadline:
        row = (await stats(school)).get(args.kill, {})
        status = row.get("status", "") if isinstance(row, dict) else ""
        if drill.t_down is None and status.startswith("DOWN"):
            drill.t_down = time.monotonic()
            print(f"  {args.kill} DOWN in HAProxy after {drill.t_down - drill.t_kill:.1f} s", flush=True)
        # UP again: after HAProxy had it DOWN (it still says UP for the two checks it takes to notice)
        if drill.t_down is not None and drill.t_restart is not None and status == "UP":
            drill.t_up = time.monotonic()
            break
        await asyncio.sleep(0.25)
    if drill.t_up is None:
        drill.notes.append(f"{args.kill} was not UP in HAProxy {args.up_timeout:.0f} s after the kill")
        print(f"  ! {drill.notes[-1]}", flush=True)
        return
    print(f"  {args.kill} UP again in HAProxy {drill.t_up - drill.t_kill:.1f} s after the kill "
          f"({drill.t_up - drill.t_restart:.1f} s after the supervisor started it); {args.fresh} fresh students "
          "connect", flush=True)
    drill.fresh = [Student(10_000 + i, base, lessons[i % len(lessons)], drill) for i in range(args.fresh)]
    await connect_all(drill.fresh, 1, 120, time.monotonic(), "fresh: ")   # one after another, as students arrive
    await first_runs(drill.fresh, 60)
    drill.fresh_stats = await stats(school)


async def class_run(args, school: School, sampler: Sampler) -> dict:
    base = school.url
    lessons = [LESSONS[name] for name in args.lessons.split(",")]
    drill = Drill(args)
    students = [Student(i, base, lessons[i % len(lessons)], drill) for i in range(args.students)]
    t_connect = time.monotonic()
    cpu0 = {p.name: cpu_seconds(p.proc.pid) for p in school.lessons}
    print(f"connecting {args.students} students ({args.connect_at_once} at a time) to {base}", flush=True)
    await connect_all(students, args.connect_at_once, args.connect_timeout, t_connect)
    no_first = await first_runs(students, 300)
    connected = time.monotonic() - t_connect
    failed = [st for st in students if st.error]
    connect_cpu = sum((cpu_seconds(p.proc.pid) or 0) - (cpu0[p.name] or 0) for p in school.lessons)
    print(f"  {len(students) - len(failed)} connected, {len(failed)} failed, {no_first} without a first run "
          f"({connected:.0f} s)", flush=True)
    await asyncio.sleep(3)
    sup = asyncio.create_task(supervisor(school, drill))
    tq = time.monotonic()
    stats_start = await stats(school)
    cookies_start = cookie_counts(students)
    print(f"  everybody watches for {args.quiet:g} s", flush=True)
    await asyncio.sleep(args.quiet)
    t0 = time.monotonic()
    end = t0 + args.minutes * 60
    kill_at = args.kill_at if args.kill_at is not None else args.minutes * 60 / 2
    rng = random.Random(1)
    print(f"class: {args.minutes:g} min, a move every {args.move_every:g} s each; crash drill at {kill_at:.0f} s",
          flush=True)

    async def student_loop(st):
        await asyncio.sleep(rng.uniform(0, args.move_every))
        while time.monotonic() < end:
            await st.move()
            await asyncio.sleep(min(args.move_every * rng.uniform(0.8, 1.2), max(0.0, end - time.monotonic())))

    async def progress():
        while time.monotonic() < end - 1:
            await asyncio.sleep(min(15.0, end - time.monotonic()))
            now = time.monotonic()
            w = sampler.windows(now - 15, now)
            lag = sampler.lags(now - 15, now)
            print(f"  {now - t0:4.0f} s: servers {mean(w['servers']):.2f} cores ("
                  + ", ".join(f"{p.name} {mean(w[p.name]):.2f}" for p in school.lessons)
                  + f"), client {mean(w['client']):.2f}, machine {mean(w['machine']):.2f} of {os.cpu_count()}, "
                  f"run queue {mean(w['running']):.1f}, loop lag p95 {pct(lag, .95) * 1000:.0f} ms", flush=True)

    drill_task = None
    if kill_at >= 0:
        drill_task = asyncio.create_task(crash_drill(args, school, students, drill, t0 + kill_at, base, lessons))
    await asyncio.gather(progress(), *(student_loop(st) for st in students))
    t1 = end
    await asyncio.sleep(3)                      # the last moves' runs arrive
    if drill_task is not None and not drill_task.done():
        print("  the class is over; the crash drill goes on (everybody stays connected, nobody moves)", flush=True)
        try:
            await drill_task
        except Exception as exc:
            drill.notes.append(f"the drill failed: {exc!r}")
    elif drill_task is not None and drill_task.exception():
        drill.notes.append(f"the drill failed: {drill_task.exception()!r}")
    # the reloads still under way get their time
    waiting = [st for st in students if st.reloading]
    if waiting:
        await asyncio.sleep(min(30.0, max(0.0, (drill.t_kill or 0) + args.reload_timeout - time.monotonic())))
    stats_end = await stats(school)
    cookies_end = cookie_counts(students + drill.fresh)
    t_end = time.monotonic()
    sup.cancel()
    for st in students + drill.fresh:
        await st.close()
    return dict(students=students, failed=failed, no_first=no_first, connected=connected, connect_cpu=connect_cpu,
                tq=tq, t0=t0, t1=t1, t_end=t_end, t_connect=t_connect, drill=drill, stats_start=stats_start, cookies_start=cookies_start,
                stats_end=stats_end, cookies_end=cookies_end, lessons=lessons, kill_at=kill_at)


# ---- the report ----------------------------------------------------------------------------------------

def fmt_s(x) -> str:
    return "-" if x is None or x != x else f"{x:.1f} s"


def report(args, school: School, sampler: Sampler, r: dict, t_started: float) -> None:
    students, drill, lessons = r["students"], r["drill"], r["lessons"]
    t0, t1, tq = r["t0"], r["t1"], r["tq"]
    ok = [st for st in students if st.error is None]
    pages = [p for st in ok for p in st.pages]
    names = [p.name for p in school.lessons]
    w = sampler.windows(t0, t1)
    quiet = sampler.windows(tq, t0)
    t_kill = drill.t_kill
    before = sampler.windows(t0, t_kill) if t_kill else w
    ncpu = os.cpu_count()

    print("\n=== A whole school " + "=" * 70)
    print(f"{args.students} students ({len(ok)} connected) on {', '.join(l.path for l in lessons)} in turn, through "
          f"HAProxy to {args.procs} lesson processes; a move every {args.move_every:g} s (±20 %) for "
          f"{args.minutes:g} min; CPUs: {ncpu} (nothing pinned); school {school.url}, logs in {school.workdir}")
    print(f"startup: the school was up after {r['startup']:.0f} s; connecting took {r['connected']:.0f} s "
          f"({r['connect_cpu'] * 1000 / max(1, len(ok)):.0f} ms of server CPU per student)")
    if r["failed"]:
        reasons: dict[str, int] = {}
        for st in r["failed"]:
            reasons[st.error] = reasons.get(st.error, 0) + 1
        print(f"  ! {len(r['failed'])} students failed to connect: "
              + "; ".join(f"{n} x {e}" for e, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:4]))
    if r["no_first"]:
        print(f"  ! {r['no_first']} connected students never got a first run")
    by_lesson = {l.path: sum(st.lesson == l for st in ok) for l in lessons}
    print("  students per lesson: " + ", ".join(f"{k} {v}" for k, v in by_lesson.items()))

    # --- per process
    print("\nLesson processes (CPU in cores over 1 s windows of the class; sessions: HAProxy's scur / by cookie)")
    print(f"  {'':4s} {'cores mean':>10s} {'p95':>6s} {'watching':>9s} {'RSS MB start/end/max':>22s} "
          f"{'sessions start':>15s} {'before kill':>12s} {'end':>10s} {'stot':>6s} {'waited for CPU':>15s} "
          f"{'DOWN while alive':>17s}")
    downs = health_downs(school.workdir / "haproxy.log")
    for n in names:
        rss = w[f"rss {n}"]
        ss, sb, se = (d.get(n, {}) if isinstance(d.get(n), dict) else {} for d in
                      (r["stats_start"], drill.stats_before, r["stats_end"]))
        print(f"  {n:4s} {mean(w[n]):10.2f} {pct(w[n], .95):6.2f} {mean(quiet[n]):9.2f} "
              f"{(rss[0] if rss else float('nan')):8.0f}/{(rss[-1] if rss else float('nan')):5.0f}/"
              f"{max(rss, default=float('nan')):5.0f}  {ss.get('scur', '?'):>6s} / {r['cookies_start'].get(n, 0):<5d}"
              f"{sb.get('scur', '?'):>5s} / {drill.cookies_before.get(n, 0):<4d}  {se.get('scur', '?'):>4s} / "
              f"{r['cookies_end'].get(n, 0):<4d}{se.get('stot', '?'):>6s} {mean(w['wait ' + n]) * 1000:11.0f} ms/s"
              f"{downs.get(n, {}).get('busy', 0):6d} x, "
              f"{sampler.down(n, r['t_connect'], r['t_end'], (t_kill, drill.t_up) if n == args.kill else (None, None)):4.0f} s")
    busy_downs = sum(d.get("busy", 0) for d in downs.values())
    redirected = [st for st in ok if st.pages[0].redispatched()]
    if busy_downs or redirected:
        print(f"  ! HAProxy marked live processes DOWN {busy_downs} times (\"DOWN while alive\": their /liveness health "
              "checks timed out while they were busy; the seconds are HAProxy's status polled each second, "
              f"the killed process's own outage left out): meanwhile no new student went to them and a request with "
              f"their cookie went elsewhere.  {len(redirected)} students' websockets reached another process than their "
              "page (HAProxy set a new cookie on the upgrade; Bokeh made the session again there from the token)")
    srv = w["servers"]
    srv_before = before["servers"]
    print(f"  sum: mean {mean(srv):.2f} cores, p95 {pct(srv, .95):.2f}, max {max(srv, default=float('nan')):.2f}"
          f" (before the kill: mean {mean(srv_before):.2f}, p95 {pct(srv_before, .95):.2f}); while everybody "
          f"watched and nobody moved: {mean(quiet['servers']):.2f}; HAProxy + static server {mean(w['haproxy']):.2f}")
    per_core = len(ok) / mean(srv) if srv and mean(srv) > 0 else float("nan")
    per_core_before = len(ok) / mean(srv_before) if srv_before and mean(srv_before) > 0 else float("nan")
    print(f"  students per core: {per_core:.0f} over the class ({len(ok)} / {mean(srv):.2f} cores), "
          f"{per_core_before:.0f} before the kill")

    # --- latency and moves
    print("\nSlider -> new run (ms; change sent -> first message of the new run, this process's clock)")
    lat = [x for p in pages for x in p.lat]
    moves = sum(p.moves for p in pages)
    unanswered = sum(len(p.unanswered) for p in pages)
    runs = sum(max(0, p.runs - 1) for p in pages)
    print(f"  all: n = {len(lat)}, p50 {pct(lat, .5):.0f}, p95 {pct(lat, .95):.0f}, max {max(lat, default=float('nan')):.0f}")
    for l in lessons:
        sub = [x for st in ok if st.lesson == l for p in st.pages for x in p.lat]
        m = sum(p.moves for st in ok if st.lesson == l for p in st.pages)
        un = sum(len(p.unanswered) for st in ok if st.lesson == l for p in st.pages)
        print(f"    {l.path:13s} n = {len(sub):5d}, p50 {pct(sub, .5):6.0f}, p95 {pct(sub, .95):6.0f}; "
              f"{m} moves, {un} unanswered")
    lb = []
    if t_kill:
        pairs = [x for p in pages for x in p.answered()]
        lb = [ms for t, ms in pairs if t < t_kill]
        la = [ms for st in ok if st.i not in drill.on_p1 for p in st.pages for t, ms in p.answered() if t >= t_kill]
        print(f"  before the kill: n = {len(lb)}, p50 {pct(lb, .5):.0f}, p95 {pct(lb, .95):.0f}; after it, the students "
              f"not on {args.kill}: n = {len(la)}, p50 {pct(la, .5):.0f}, p95 {pct(la, .95):.0f}")
    skipped = sum(st.skipped for st in ok)
    errors = sum(st.move_errors for st in ok)
    print(f"  {moves} moves, {moves - unanswered} answered by a new run before the next ({unanswered} not: a server "
          f"behind coalesces moves; a dead one answers none); {skipped} moves not made while a page reloaded"
          + (f"; {errors} failed to send ({len([st for st in ok if st.move_errors])} students, e.g. "
             f"{next(st.move_error for st in ok if st.move_errors)})" if errors else ""))
    reader_errors = [st for st in ok if st.reader_error]
    for st in reader_errors[:5]:
        print(f"  ! student {st.i} ({st.lesson.path}): its websocket reader failed: {st.reader_error}")
    span = t1 - t0
    mb = sum(p.bytes for p in pages) / 1e6
    frames = sum(p.frames for p in pages)
    print(f"  {runs} new runs received ({runs / max(1, moves):.2f} per move); {frames} frames pulled "
          f"({frames / span:.0f}/s), {mb:.0f} MB of binary buffers ({mb / span:.1f} MB/s)")
    pullers = [p for p in pages if p.lesson.pull and getattr(p, "t_close", None) and getattr(p, "t_open", None)]
    if pullers:
        pspan = sum(p.t_close - p.t_open for p in pullers)
        print(f"  pulling students (played at 30 frames/s): {frames / max(pspan, 1e-9):.1f} frames/s received each; "
              f"their playhead waited for frames {sum(p.stalled for p in pullers) / max(pspan, 1e-9) * 100:.1f} % "
              "of the time")

    # --- crash drill
    print(f"\nCrash drill: SIGKILL {args.kill} at {r['kill_at']:.0f} s into the class")
    drill_out = {}
    if t_kill is None:
        print("  (no drill)")
    else:
        lost = {st.i for st in ok if st.t_lost is not None and st.t_lost >= t_kill}
        soon = {st.i for st in ok if st.t_lost is not None and t_kill <= st.t_lost <= t_kill + 10}
        exact = lost == drill.on_p1
        print(f"  cookies said {args.kill}: {len(drill.on_p1)} students; websockets that closed after the kill: "
              f"{len(lost)} ({len(soon)} within 10 s) -> "
              + ("exactly those" if exact else f"NOT the same: {len(lost - drill.on_p1)} not on {args.kill} closed, "
                 f"{len(drill.on_p1 - lost)} on {args.kill} did not"))
        affected = [st for st in ok if st.i in drill.on_p1]
        others = [st for st in ok if st.i not in drill.on_p1]
        t_stop = t1
        o_moves = sum(1 for st in others for p in st.pages for t in p.sent if t_kill <= t <= t_stop)
        o_un = sum(1 for st in others for p in st.pages for t in p.unanswered if t_kill <= t <= t_stop)
        b_moves = sum(1 for st in others for p in st.pages for t in p.sent if t0 <= t < t_kill)
        b_un = sum(1 for st in others for p in st.pages for t in p.unanswered if t0 <= t < t_kill)
        closed_others = sum(st.t_lost is not None for st in others)
        print(f"  the {len(others)} others carried on: {o_moves} moves after the kill, {o_un} without an answer "
              f"({o_un / max(1, o_moves) * 100:.1f} %; before the kill {b_un} of {b_moves}, "
              f"{b_un / max(1, b_moves) * 100:.1f} %); {closed_others} of their websockets closed")
        back = [st.t_back - t_kill for st in affected if st.t_back is not None]
        lost_after = [st.t_lost - t_kill for st in affected if st.t_lost is not None]
        not_back = [st for st in affected if st.t_back is None]
        print(f"  the {len(affected)} affected: websocket closed {pct(lost_after, .5):.2f} s after the kill (p50; max "
              f"{max(lost_after, default=float('nan')):.2f}); back (first new run after the reload) after p50 "
              f"{fmt_s(pct(back, .5))}, p95 {fmt_s(pct(back, .95))}, max {fmt_s(max(back, default=None))}; "
              f"{len(back)} of {len(affected)} back")
        landed: dict[str, int] = {}
        for st in affected:
            if st.back_server:
                landed[st.back_server] = landed.get(st.back_server, 0) + 1
        kept = sum(st.kept is True for st in affected)
        probes = sum(st.probes for st in affected)
        print("    they landed on " + (", ".join(f"{k} {v}" for k, v in sorted(landed.items())) or "nothing")
              + f" (new cookie from HAProxy's redispatch); slider at its link's value again: {kept} of "
              f"{sum(st.kept is not None for st in affected)}; probes that failed before a reload: {probes}")
        tries = sum(st.failed_reloads for st in affected)
        if tries:
            print(f"    {tries} tries of a reload failed and were made again ({sum(bool(st.failed_reloads) for st in affected)}"
                  f" students; e.g. {next(st.failed_reload for st in affected if st.failed_reloads)})")
        stages = {"the probe answered": [st.t_probe for st in affected],
                  "the page came": [st.s.stages.get("page") if st.past else None for st in affected],
                  "the document came": [st.s.stages.get("doc") if st.past else None for st in affected],
                  "the first new run": [st.t_back for st in affected]}
        print("    after the kill (p50 / p95): " + "; ".join(
            f"{k} {pct([x - t_kill for x in v if x], .5):.1f} / {pct([x - t_kill for x in v if x], .95):.1f} s"
            for k, v in stages.items()))
        redis = sum(st.s.redispatched() for st in affected if st.past)
        if redis:
            print(f"    {redis} of the reloaded websockets reached another process than their page (a process DOWN as busy)")
        for st in not_back[:5]:
            after = [a for p in st.pages for a, _ in p.answered() if a >= t_kill]
            moved = [a for p in st.pages for a in p.sent if a >= t_kill]
            why = st.reload_error or (f"its websocket did not close ({len(after)} of its {len(moved)} moves after the "
                                      f"kill answered{'' if st.move_error is None else '; ' + st.move_error}"
                                      f"{'' if st.reader_error is None else '; reader: ' + st.reader_error})"
                                      if st.t_lost is None else "still reloading")
            print(f"    ! student {st.i} ({st.lesson.path}) not back: {why}")
        if len(not_back) > 5:
            print(f"    ! ... and {len(not_back) - 5} more")
        if drill.t_down:
            print(f"  HAProxy marked {args.kill} DOWN {drill.t_down - t_kill:.1f} s after the kill")
        if drill.t_restart:
            print(f"  the supervisor started {args.kill} again {drill.t_restart - t_kill:.1f} s after the kill")
        if drill.t_up:
            print(f"  {args.kill} UP again in HAProxy {drill.t_up - t_kill:.1f} s after the kill "
                  f"({drill.t_up - drill.t_restart:.1f} s after its start)")
        fresh = [st for st in drill.fresh if st.error is None]
        went: dict[str, int] = {}
        for st in fresh:
            went[st.first_server or "?"] = went.get(st.first_server or "?", 0) + 1
        if drill.fresh:
            print(f"  {len(drill.fresh)} fresh students then connected: "
                  + ", ".join(f"{k} {v}" for k, v in sorted(went.items()))
                  + (f" ({len(drill.fresh) - len(fresh)} failed)" if len(fresh) < len(drill.fresh) else "")
                  + f" -> {went.get(args.kill, 0)} of them on {args.kill}")
        for note in drill.notes:
            print(f"  ! {note}")
        drill_out = dict(affected=len(affected), others=len(others), exact=exact, back=back,
                         not_back=len(not_back), o_moves=o_moves, o_un=o_un,
                         up=(drill.t_up - t_kill) if drill.t_up else None,
                         restart=(drill.t_restart - t_kill) if drill.t_restart else None,
                         fresh_p1=went.get(args.kill, 0), fresh=len(drill.fresh))

    # --- client side
    lag = sampler.lags(t0, t1)
    cl = w["client"]
    others_load = [m - s - c - h for m, s, c, h in zip(w["machine"], w["servers"], w["client"], w["haproxy"])]
    print("\nThe client side (this process: every student's websocket on one asyncio thread)")
    print(f"  client CPU: mean {mean(cl):.2f} cores, p95 {pct(cl, .95):.2f} (while watching {mean(quiet['client']):.2f}); "
          f"its main thread waited for a CPU {mean(w['client_wait']) * 1000:.0f} ms/s; event loop lag (a 100 ms "
          f"sleep wakes late by) p50 {pct(lag, .5) * 1000:.0f} ms, p95 {pct(lag, .95) * 1000:.0f}, max "
          f"{max(lag, default=float('nan')) * 1000:.0f}")
    print(f"  machine: busy {mean(w['machine']):.2f} of {ncpu} CPUs (mean), run queue (runnable tasks) mean "
          f"{mean(w['running']):.1f}, p95 {pct(w['running'], .95):.0f}; other processes {mean(others_load):.2f} cores")
    client_bound = mean(cl) >= 0.85 or pct(lag, .95) >= 0.1
    machine_bound = mean(w["machine"]) >= 0.9 * ncpu
    server_wait = mean(mean(w["wait " + n]) for n in names)      # ms/s a lesson process's thread waited, mean
    contended = not machine_bound and server_wait >= 0.1
    verdicts = []
    if client_bound:
        verdicts.append(f"the CLIENTS were a bottleneck (client CPU {mean(cl):.2f} of its 1 core-thread, loop lag p95 "
                        f"{pct(lag, .95) * 1000:.0f} ms): latencies include the client's delays and the server's "
                        "load is what this client could generate")
    if machine_bound:
        verdicts.append(f"the MACHINE was saturated ({mean(w['machine']):.2f} of {ncpu} CPUs busy, run queue "
                        f"{mean(w['running']):.1f}): {args.procs} lesson processes and the client share the CPUs, so "
                        "the server cores are what the processes got and moves were coalesced")
    if contended:
        verdicts.append(f"the CPUs were CONTENDED (busy {mean(w['machine']):.2f} of {ncpu}, run queue "
                        f"{mean(w['running']):.1f}; each lesson process waited {server_wait * 1000:.0f} ms/s for a "
                        "CPU): latencies include that wait")
    if mean(others_load) >= 0.25:
        verdicts.append(f"OTHER processes used {mean(others_load):.2f} cores of the machine meanwhile: the figures are "
                        "this busy machine's, not the school's alone")
    if not verdicts:
        verdicts.append("neither the client nor the machine was saturated: the figures are the server's")
    for v in verdicts:
        print("  -> " + v)

    # --- logs
    print(f"\nLesson processes' logs ({school.workdir})")
    total = 0
    for p in school.lessons:
        problems = log_problems(p.log)
        n = sum(map(len, problems.values()))
        total += n
        print(f"  {p.name}: {n} tracebacks and errors (started {p.started} times)")
        for what, stamps in sorted(problems.items(), key=lambda kv: -len(kv[1]))[:5]:
            print(f"    {len(stamps):4d} x {what} (from {stamps[0]} to {stamps[-1]})")

    # --- the table
    back = drill_out.get("back", [])
    print("\n=== The figures " + "=" * 73)
    rows = [
        ("students", f"{len(ok)} of {args.students} connected ({len(r['failed'])} failed), {args.procs} processes "
                     f"on {ncpu} CPUs, a move every {args.move_every:g} s"),
        ("server cores", f"mean {mean(srv):.2f}, p95 {pct(srv, .95):.2f} (sum over processes; before the kill "
                         f"{mean(srv_before):.2f} / {pct(srv_before, .95):.2f})"),
        ("students per core", f"{per_core_before:.0f} before the kill (the class as it runs); {per_core:.0f} over the "
                              "whole class (with the drill: the reloads and the killed process's start)"),
        ("latency", f"p95 {pct(lat, .95):.0f} ms, p50 {pct(lat, .5):.0f} ms (n = {len(lat)})"
                    + (f"; before the kill p95 {pct(lb, .95):.0f} ms, p50 {pct(lb, .5):.0f} ms" if lb else "")),
        ("moves answered", f"{moves - unanswered} of {moves} ({(moves - unanswered) / max(1, moves) * 100:.1f} %)"),
    ]
    if drill_out:
        rows += [
            ("crash drill", f"affected {drill_out['affected']} / unaffected {drill_out['others']} "
                            f"({'exactly the students on ' + args.kill if drill_out['exact'] else 'NOT exactly those on ' + args.kill}); "
                            f"unaffected moves unanswered after the kill {drill_out['o_un']} of {drill_out['o_moves']}"),
            ("back after", f"p50 {fmt_s(pct(back, .5))}, p95 {fmt_s(pct(back, .95))}, max {fmt_s(max(back, default=None))}"
                           f" ({len(back)} of {drill_out['affected']} back)"),
            (f"{args.kill} back UP after", (f"{fmt_s(drill_out['up'])} (restarted at {fmt_s(drill_out['restart'])}); "
                                            f"fresh students on {args.kill}: {drill_out['fresh_p1']} of {drill_out['fresh']}")
             if drill_out["up"] is not None else "not UP"),
        ]
    pace = (["CLIENTS"] if client_bound else []) + (["MACHINE saturated (%.2f of %d CPUs busy)" % (mean(w["machine"]), ncpu)]
                                                  if machine_bound else []) \
        + (["CPU contention (run queue %.1f on %d CPUs, lesson processes waited %.0f ms/s)"
            % (mean(w["running"]), ncpu, server_wait * 1000)] if contended else [])
    rows.append(("bottleneck", "; ".join(pace or ["none"]) + "; the client: %.2f cores, loop lag p95 %.0f ms (%s)"
                 % (mean(cl), pct(lag, .95) * 1000, "the bottleneck" if client_bound else "not the bottleneck")
                 + "; other processes on the machine: %.2f cores" % mean(others_load)))
    rows.append(("health checks", f"live processes marked DOWN (busy) {busy_downs} times; {len(redirected)} students' "
                                  "websockets on another process than their page"))
    rows.append(("tracebacks", f"{total} in the lesson processes' logs"))
    for k, v in rows:
        print(f"  {k:20s} {v}")
    print(f"(the whole run took {time.monotonic() - t_started:.0f} s)")


async def amain(args) -> None:
    t_started = time.monotonic()
    loop = asyncio.get_running_loop()
    # the students' page requests (urllib) run in threads: one each if they all reload at once (as
    # browsers would), so a slow page never holds up another student's request
    loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(max_workers=args.students + args.fresh + 16))
    print(f"CPUs: {os.cpu_count()} (nothing pinned); load average {os.getloadavg()[0]:.2f}; "
          f"{args.students} students, {args.procs} lesson processes", flush=True)
    school = School(procs=args.procs, port=args.port or free_port())
    print(f"starting the school ({args.procs} lesson processes + HAProxy; logs in {school.workdir})", flush=True)
    try:
        await loop.run_in_executor(None, school.start)
    except BaseException as exc:
        print(f"the school did not start: {exc!r}", flush=True)
        school.stop()
        return
    startup = time.monotonic() - t_started
    print(f"  up after {startup:.0f} s on {school.url}", flush=True)
    sampler = Sampler(school)
    tasks = [asyncio.create_task(sampler.run()), asyncio.create_task(sampler.loop_lag())]
    try:
        r = await class_run(args, school, sampler)
        r["startup"] = startup
        report(args, school, sampler, r, t_started)
    except Exception:
        print("the bench failed:\n" + traceback.format_exc(), flush=True)
    finally:
        for t in tasks:
            t.cancel()
        await loop.run_in_executor(None, school.stop)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0],
                                 epilog="See the module docstring (bench/school.py) for what the figures mean.")
    ap.add_argument("--students", type=int, default=200, help="protocol students (default 200)")
    ap.add_argument("--minutes", type=float, default=2.0, help="length of the class (default 2)")
    ap.add_argument("--move-every", type=float, default=5.0, help="seconds between a student's slider moves (±20 %%)")
    ap.add_argument("--procs", type=int, default=4, help="lesson processes behind HAProxy (default 4)")
    ap.add_argument("--port", type=int, default=0, help="HAProxy's port (default: a free one)")
    ap.add_argument("--lessons", default=",".join(LESSONS), help="comma-separated lessons, given out in turn (default: all seven)")
    ap.add_argument("--lang", default="en", choices=["en", "de", "es", "mix"], help="the students' language")
    ap.add_argument("--quiet", type=float, default=10.0, help="seconds everybody watches before the first move")
    ap.add_argument("--kill-at", type=float, default=None,
                    help="seconds into the class at which the crash drill kills a lesson process (default: half way; "
                         "negative: no drill)")
    ap.add_argument("--kill", default="p1", help="the lesson process the drill kills (default p1)")
    ap.add_argument("--fresh", type=int, default=6, help="students connected once the killed process is UP again")
    ap.add_argument("--up-timeout", type=float, default=300.0,
                    help="seconds after the kill to wait for the killed process to be UP again")
    ap.add_argument("--reload-timeout", type=float, default=180.0,
                    help="seconds an affected student tries to reload before it gives up")
    ap.add_argument("--connect-at-once", type=int, default=8, help="students connecting at the same time")
    ap.add_argument("--connect-timeout", type=float, default=180.0, help="seconds a student may take to connect")
    args = ap.parse_args(argv)
    unknown = set(args.lessons.split(",")) - set(LESSONS)
    if unknown:
        ap.error(f"unknown lessons {sorted(unknown)}")
    if args.kill not in {f"p{i + 1}" for i in range(args.procs)}:
        ap.error(f"--kill must be one of p1..p{args.procs}")
    classroom._LANGS = itertools.cycle(["en", "de", "es"] if args.lang == "mix" else [args.lang])
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        asyncio.run(amain(args))
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    except Exception:
        print("the bench failed:\n" + traceback.format_exc(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
