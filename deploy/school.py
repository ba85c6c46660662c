"""Serve a school: several ``panel serve`` processes behind HAProxy, on one machine.

``make school PROCS=4 PORT=8080`` runs this: ``python deploy/school.py --procs 4 --port 8080``.

- ``PROCS`` lesson processes, each serving every lesson (and the gallery) on a port of its own on
  127.0.0.1 (``--liveness`` for the proxy's health checks, ``--use-xheaders`` behind it, websockets
  accepted from the public address);
- a static file server beside them for ``/assets`` (the lessons' pictures);
- HAProxy on ``PORT`` (all addresses), configured from ``deploy/haproxy.cfg.in``: a student's page and
  websocket stay on one process (a cookie, which works behind a school's single NAT address), new
  students go to the process with the fewest connections, a process that fails its health check
  gets no one new, and a page reloaded after its process died goes to another one.

In the foreground: a process that dies is started again (it rejoins once its health check passes)
and Ctrl-C stops everything this started, HAProxy included.  :class:`School` is the same as an
object (the tests and ``bench/school.py`` start one and kill processes on purpose).
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("haproxy.cfg.in")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def apps() -> list[str]:
    """Every app ``make serve`` serves: the gallery first, then each lesson."""
    sys.path.insert(0, str(REPO))
    from lessons import CATALOGUE
    return ["apps/index.py", *(f"apps/{c.slug}.py" for c in CATALOGUE)]


def haproxy_binary() -> str | None:
    return shutil.which("haproxy") or next((p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy")
                                            if Path(p).is_file()), None)


@dataclass
class LessonProcess:
    """One ``panel serve`` behind the proxy."""
    name: str
    port: int
    log: Path
    proc: subprocess.Popen | None = None
    started: int = 0

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def healthy(self, timeout: float = 1.0) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/liveness", timeout=timeout) as r:
                return r.status == 200
        except OSError:
            return False


@dataclass
class School:
    """Lesson processes, a static server and HAProxy (see the module docstring)."""
    procs: int = 4
    port: int = 8080
    host: str = ""                 # the address students type (websocket origin), beside localhost
    bind: str = "*"
    workdir: Path | None = None
    env: dict = field(default_factory=dict)
    serve_args: tuple = ()
    lessons: list[LessonProcess] = field(default_factory=list)
    haproxy: subprocess.Popen | None = None
    static: subprocess.Popen | None = None

    def __post_init__(self):
        self.workdir = Path(self.workdir or tempfile.mkdtemp(prefix="ql-school-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.static_port = free_port()
        self.stats_port = free_port()
        self.lessons = [LessonProcess(f"p{i + 1}", free_port(), self.workdir / f"p{i + 1}.log")
                        for i in range(self.procs)]

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    # ---- the parts ---------------------------------------------------------------------------------------
    def serve_command(self, lesson: LessonProcess) -> list[str]:
        origins = [f"localhost:{self.port}", f"127.0.0.1:{self.port}"] + ([f"{self.host}:{self.port}"] if self.host else [])
        return [sys.executable, "-m", "panel", "serve", *apps(), "--port", str(lesson.port), "--address", "127.0.0.1",
                "--index", "index", "--static-dirs", "assets=assets", "--warm", "--liveness", "--use-xheaders",
                "--check-unused-sessions", "2000", "--unused-session-lifetime", "5000",
                *[f"--allow-websocket-origin={o}" for o in origins], *self.serve_args]

    def start_lesson(self, lesson: LessonProcess) -> None:
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "BOKEH_VALIDATE_DOC": "false",
               "BOKEH_PERFORM_ERROR_DIAGNOSTICS": "false", "PYTHONUNBUFFERED": "1",
               "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]), **self.env}
        with open(lesson.log, "ab") as log:
            lesson.proc = subprocess.Popen(self.serve_command(lesson), cwd=REPO, env=env, stdout=log,
                                           stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        lesson.started += 1

    def config(self) -> str:
        servers = "\n".join(f"    server {p.name} 127.0.0.1:{p.port} check cookie {p.name}" for p in self.lessons)
        assets = f"    server static 127.0.0.1:{self.static_port}"
        return TEMPLATE.read_text().format(bind=self.bind, port=self.port, servers=servers, assets=assets,
                                           stats_port=self.stats_port)

    def start(self, timeout: float = 300) -> "School":
        """Start everything and wait until the proxy passes students on (the processes stop if that fails)."""
        try:
            return self._start(timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, timeout: float) -> "School":
        binary = haproxy_binary()
        if binary is None:
            raise SystemExit("HAProxy is not installed: run 'make school' (it installs Debian's haproxy as root) "
                             "or 'sudo apt-get install haproxy'")
        for lesson in self.lessons:
            self.start_lesson(lesson)
        self.static = subprocess.Popen([sys.executable, "-m", "http.server", str(self.static_port), "--bind", "127.0.0.1",
                                        "--directory", str(REPO)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cfg = self.workdir / "haproxy.cfg"
        cfg.write_text(self.config())
        check = subprocess.run([binary, "-c", "-f", str(cfg)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy refuses {cfg}:\n{check.stdout}{check.stderr}")
        with open(self.workdir / "haproxy.log", "ab") as log:
            self.haproxy = subprocess.Popen([binary, "-db", "-f", str(cfg)], stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float = 300, lessons=None) -> None:
        """Wait until every lesson process (or those given) answers its health check."""
        t0 = time.monotonic()
        for lesson in lessons or self.lessons:
            while not lesson.healthy():
                if not lesson.alive:
                    raise RuntimeError(f"{lesson.name} exited:\n{lesson.log.read_text(errors='replace')[-3000:]}")
                if time.monotonic() - t0 > timeout:
                    raise TimeoutError(f"{lesson.name} not healthy after {timeout:.0f} s")
                time.sleep(0.3)
        # HAProxy marks a server up after two passed checks, 1 s apart
        while not self.proxy_ready(lessons):
            if self.haproxy is not None and self.haproxy.poll() is not None:
                raise RuntimeError("HAProxy exited:\n" + (self.workdir / "haproxy.log").read_text(errors="replace")[-3000:])
            if time.monotonic() - t0 > timeout:
                raise TimeoutError("the proxy does not answer")
            time.sleep(0.3)

    def stats(self) -> dict[str, dict]:
        """HAProxy's view of each lesson process: name -> its CSV row (``status`` UP/DOWN, ``scur``
        current sessions, ``stot`` sessions so far, ...)."""
        import csv
        import io
        with urllib.request.urlopen(f"http://127.0.0.1:{self.stats_port}/stats;csv", timeout=5) as r:
            text = r.read().decode().lstrip("# ")
        return {row["svname"]: row for row in csv.DictReader(io.StringIO(text))
                if row["pxname"] == "lessons" and row["svname"] not in ("FRONTEND", "BACKEND")}

    def proxy_ready(self, lessons=None) -> bool:
        """Whether HAProxy has every lesson process (or those given) up."""
        try:
            stats = self.stats()
        except OSError:
            return False
        return all(stats.get(p.name, {}).get("status") == "UP" for p in (lessons or self.lessons))

    def kill(self, name: str, sig: int = signal.SIGKILL) -> LessonProcess:
        """Kill the lesson process ``name`` (p1, p2, ...) as a crash would."""
        lesson = next(p for p in self.lessons if p.name == name)
        if lesson.alive:
            lesson.proc.send_signal(sig)
            lesson.proc.wait(timeout=30)
        return lesson

    def supervise_once(self) -> list[str]:
        """Start again every lesson process that died; returns their names."""
        restarted = []
        for lesson in self.lessons:
            if not lesson.alive:
                self.start_lesson(lesson)
                restarted.append(lesson.name)
        return restarted

    def stop(self) -> None:
        for p in [self.haproxy, self.static, *(lesson.proc for lesson in self.lessons)]:
            if p is not None and p.poll() is None:
                p.terminate()
        for p in [self.haproxy, self.static, *(lesson.proc for lesson in self.lessons)]:
            if p is not None:
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=15)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--procs", type=int, default=4, help="lesson processes (one per core is the rule)")
    ap.add_argument("--port", type=int, default=8080, help="the port students open")
    ap.add_argument("--host", default="", help="the address students type (its websockets are accepted)")
    args = ap.parse_args(argv)
    school = School(procs=args.procs, port=args.port, host=args.host)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    try:
        print(f"school: starting {args.procs} lesson processes and HAProxy (logs in {school.workdir})", flush=True)
        school.start()
        print(f"school: open {school.url} (or http://<this machine>:{args.port}); Ctrl-C stops everything", flush=True)
        while not stopping:
            for name in school.supervise_once():
                print(f"school: {name} had stopped; started again (it rejoins when its health check passes)",
                      flush=True)
            if school.haproxy.poll() is not None:
                print("school: HAProxy stopped", flush=True)
                return 1
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        print("school: stopping", flush=True)
        school.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
