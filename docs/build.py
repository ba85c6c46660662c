"""Build the documentation site: ``python docs/build.py OUTDIR`` (``make docs`` builds ``build/docs``).

The site is static: any web server (or a folder on a USB stick, for everything but the live
lessons) can serve it.  Steps:

1. the project's wheel, built from the work tree (its metadata requires neither Numba nor
   rocket-fft: those are the optional ``jit`` extra, and Pyodide has neither);
2. each lesson converted with ``panel convert apps/<lesson>.py --to pyodide-worker`` with explicit
   requirements (NumPy, SciPy, scikit-learn, param, the project's other requirements such as Babel,
   and the wheel; the converter's own scan would add numba), then post-processed so that

   - Pyodide and its packages load from the configured base URL (``ql_pyodide_url`` in
     docs/conf.py, or ``QL_PYODIDE_URL`` at build time), not the converter's hard-wired CDN;
   - the project's wheel is fetched from beside the page (``_static/live/``) and installed with
     ``deps=False``: its exact pins (numpy==2.4.6, ...) name versions Pyodide does not have, and
     Pyodide's own NumPy/SciPy/scikit-learn are what it must use;
   - the Bokeh and Panel JavaScript and CSS the page links are copied from the installed bokeh and
     panel packages into ``_static/live/static/`` and linked from there, and what the Python side
     sends later (documents, patches) is relinked to those copies in the page (``RELINK_JS``);
   - Panel's and Bokeh's Pyodide wheels come from beside the page too, slimmed from the package
     index's wheels as Panel slims the ones on its CDN, and so do the pure-Python packages of the
     dependency closure that Pyodide does not ship; Babel's wheel (``lessons.common.i18n`` needs it)
     keeps only the locale data of the lessons' languages (``slim_babel``: 11 MB -> 0.5 MB);
   - each page starts its Python worker with the page's own query (``add_worker_query``): the
     worker reads the link's ``lang`` (and settings) from it (``session_request`` in
     lessons/common/workarounds.py), and the docs embed loads the page with ``?lang=<its language>``;

   (``--cdn-resources`` skips the third and fourth: the HoloViz and Bokeh CDNs and PyPI then serve
   those);
3. each lesson's default run baked by docs/bake.py (``bake_all``) into ``_static/baked/``, with the
   player's strings in every language;
4. the pages (docs/*.md, the lessons' lesson.md and model.md, the physics docstrings) by Sphinx,
   once per language (``site_languages`` in docs/conf.py): English at the site's root, every other
   language in ``<lang>/``, all sharing the root's ``_static/live`` and ``_static/baked``.

Steps 2, 3 and 4 (its builds side by side too) run at the same time.  The one thing the live
lessons fetch from elsewhere is Pyodide with the packages it ships (the configured base URL): the pure-Python packages Panel needs that
Pyodide does not ship (param, pyviz-comms, markdown, ...) are wheels beside the pages as well
(``pure_wheels``), so micropip never asks PyPI (README, "Documentation site").
"""
from __future__ import annotations

import argparse
import ast
import os
import pathlib
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from lessons import CATALOGUE  # noqa: E402  (the work tree's lessons)

LESSONS = tuple(c.slug for c in CATALOGUE)   # every lesson, in teaching order
#: What the live pages install in Pyodide besides Panel, Bokeh (the converter adds those) and the
#: project's wheel.  Pyodide ships these built for WebAssembly; no numba, no rocket-fft.
PYODIDE_REQUIREMENTS = ("numpy", "scipy", "scikit-learn", "param")
#: never in a live page's requirements (no WebAssembly builds; physics/_backend.py falls back)
EXCLUDED = ("numba", "rocket-fft", "rocket_fft")

_INSTALL = re.compile(r"await micropip\.install\(\[(?P<items>[^\]]*)\](?P<kw>[^)]*)\);")


# ---- configuration --------------------------------------------------------------------------

def load_conf() -> dict:
    """docs/conf.py's names (running it also writes the generated lesson pages, docs/lessons/)."""
    return runpy.run_path(str(DOCS / "conf.py"))


def configured_pyodide_url() -> str:
    """The Pyodide base URL docs/conf.py configures (``QL_PYODIDE_URL`` overrides its default)."""
    return load_conf()["pyodide_url"]()


def site_dir(outdir: pathlib.Path, lang: str, default: str = "en") -> pathlib.Path:
    """Where the site of ``lang`` goes: the root for English, ``<lang>/`` for the others."""
    return outdir if lang == default else outdir / lang


# ---- 1. the wheel ---------------------------------------------------------------------------

def build_wheel(dest: pathlib.Path) -> pathlib.Path:
    """Build the project's wheel into ``dest`` from a clean copy of the sources; return its path.

    A copy, so that setuptools' ``build/`` directory never leaks stale modules into the wheel.
    """
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ql-wheel-") as tmp:
        src = pathlib.Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, src / name)
        for pkg in ("physics", "lessons"):
            shutil.copytree(ROOT / pkg, src / pkg,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc", "*.mo"))
        compile_catalogues(src / "lessons")
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                               "--disable-pip-version-check", "-w", str(dest), str(src)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"pip wheel failed:\n{done.stdout}\n{done.stderr}")
    wheels = sorted(dest.glob("quantum_lessons-*-py3-none-any.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"expected one project wheel in {dest}, found {wheels}")
    required = wheel_requirements(wheels[0])
    bad = [r for r in required if _req_name(r) in {"numba", "rocket-fft"}]
    if bad:
        raise RuntimeError(f"the wheel must not require {bad}: keep them in the 'jit' extra")
    return wheels[0]


def compile_catalogues(lessons: pathlib.Path) -> int:
    """Compile every ``locale/*/LC_MESSAGES/messages.po`` under ``lessons`` into its ``.mo`` (what
    ``make catalogs`` does in the work tree), so that the wheel carries catalogues that match its
    ``.po`` files whatever state the work tree's ``.mo`` files are in (git ignores them).  The
    ``.po`` files go into the wheel as well (pyproject's package-data), and
    ``lessons.common.i18n`` would compile one in memory if its ``.mo`` were older."""
    from lessons.common.catalogs import compile_all

    return compile_all(lessons)


def wheel_requirements(wheel: pathlib.Path) -> list[str]:
    """The wheel's unconditional ``Requires-Dist`` entries (extras left out)."""
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        lines = zf.read(meta).decode("utf-8").splitlines()
    return [line.split(":", 1)[1].strip() for line in lines
            if line.startswith("Requires-Dist:") and "extra ==" not in line]


def _req_name(req: str) -> str:
    return re.split(r"[\s<>=!~;\[]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


# ---- 2. the live pages ----------------------------------------------------------------------

def live_requirements() -> list[str]:
    """What the live pages install besides Panel, Bokeh and the project's wheel (installed with
    ``deps=False``): :data:`PYODIDE_REQUIREMENTS` and the project's other requirements (Babel)."""
    reqs = list(PYODIDE_REQUIREMENTS)
    for name in project_requirements():
        if name not in reqs and name not in ("panel", "bokeh", *EXCLUDED):
            reqs.append(name)
    return reqs


def convert_command(live: pathlib.Path, wheel: pathlib.Path) -> list[str]:
    apps = [str(ROOT / "apps" / f"{lesson}.py") for lesson in LESSONS]
    return [sys.executable, "-m", "panel", "convert", *apps, "--to", "pyodide-worker",
            "--out", str(live), "--num-procs", "2",
            "--requirements", *live_requirements(), f"./{wheel.name}"]


def worker_requirements(worker_js: str) -> list[str]:
    """Every requirement the worker passes to ``micropip.install`` (all calls, in order)."""
    found = []
    for m in _INSTALL.finditer(worker_js):
        found += ast.literal_eval("[" + m.group("items") + "]")
    return found


def postprocess_worker(js: str, pyodide_url: str, wheel_name: str, local: dict | None = None,
                       extra: dict | None = None) -> str:
    """Point a converted worker at ``pyodide_url`` and install the wheel from beside the page.

    ``local`` maps package names (``panel``, ``bokeh``) to wheel files beside the page that replace
    the converter's CDN wheels of those packages; ``extra`` maps more package names to wheel files
    beside the page (they replace a plain requirement of the same name).
    """
    # Pyodide from the configured URL; if it cannot be loaded, say so in the page (the converter's
    # loading message) instead of an uncaught error and a spinner for ever.
    load = (f'let qlPyodideLoaded = false;\n'
            f'try {{ importScripts("{pyodide_url}pyodide.js"); qlPyodideLoaded = true; }}\n'
            f'catch (e) {{ console.warn("Python runtime not loaded from {pyodide_url}:", e); }}')
    js, n = re.subn(r'importScripts\("[^"]*pyodide\.js"\);', lambda m: load, js, count=1)
    if n != 1:
        raise RuntimeError("converted worker: no importScripts(pyodide.js) found")
    js, n = re.subn(r"^startApplication\(\)\s*$",
                    "if (qlPyodideLoaded) {\n  startApplication()\n} else {\n"
                    "  self.postMessage({type: 'status', msg: 'The Python runtime (Pyodide) could not be loaded.'})\n}\n",
                    js, count=1, flags=re.M)
    if n != 1:
        raise RuntimeError("converted worker: no final startApplication() call found")
    js, n = re.subn(r"loadPyodide\(\)", f'loadPyodide({{indexURL: "{pyodide_url}"}})', js, count=1)
    if n != 1:
        raise RuntimeError("converted worker: no loadPyodide() call found")
    # The converter packs a local wheel into <app>.resources.zip; fetch it as a file instead.
    js = re.sub(r"const data_archives = \[[^\]]*\];", "const data_archives = [];", js, count=1)

    m = _INSTALL.search(js)
    if m is None:
        raise RuntimeError("converted worker: no micropip.install([...]) found")
    reqs = [r for r in ast.literal_eval("[" + m.group("items") + "]")
            if not r.startswith("emfs:") and _req_name(r) not in EXCLUDED]
    for name, filename in (local or {}).items():
        cdn = [i for i, r in enumerate(reqs) if r.endswith(".whl") and r.rsplit("/", 1)[-1].startswith(name + "-")]
        if len(cdn) != 1:
            raise RuntimeError(f"converted worker: no single {name} wheel in {reqs}")
        reqs[cdn[0]] = "./" + filename
    # More wheels beside the page, in the same call: micropip counts a wheel named there as
    # installed when another package requires it (Panel's own converter relies on that for Bokeh).
    for name, filename in (extra or {}).items():
        same = [i for i, r in enumerate(reqs) if not r.endswith(".whl") and _req_name(r) == name]
        for i in reversed(same):
            del reqs[i]
        reqs.append("./" + filename)
    install = (f"await micropip.install({reqs!r});\n"
               f"      await micropip.install({['./' + wheel_name]!r}, deps=False);")
    return js[:m.start()] + install + js[m.end():]


# Static resources the converted pages link on the HoloViz and Bokeh CDNs, and where the same
# files are in the installed packages.
def _panel_dist() -> tuple[str, pathlib.Path]:
    import panel
    from panel.io.resources import CDN_DIST
    return CDN_DIST, pathlib.Path(panel.__file__).parent / "dist"


def _bokeh_js() -> tuple[str, pathlib.Path]:
    import bokeh
    return bokeh.__version__, pathlib.Path(bokeh.__file__).parent / "server" / "static" / "js"


#: Panel's stylesheets copied whole: components the live lesson creates later (another tab, a
#: dialog) link theirs from here too (see RELINK_JS).
PANEL_DIRS = ("css", "bundled/theme", "assets")

# Put before the converted page's worker handler: the Python side in Pyodide still names Panel's
# CDN in the documents and patches it sends; every such URL of a file the site holds is relinked to
# the site's copy (others are left as they are).
RELINK_JS = """
const QL_CDN_DIST = %(cdn)s;
const QL_LOCAL_DIST = new URL("static/panel/", document.baseURI).href;
const QL_BUNDLED = new Set(%(files)s);
function qlRelink(value) {
  if (typeof value === "string") {
    if (value.indexOf(QL_CDN_DIST) < 0) return value;
    return value.split(QL_CDN_DIST).map((part, i) => {
      if (i === 0) return part;
      const m = part.match(/^([^"'\\s)?]+)(\\?v=[^"'\\s)]*)?/);
      return (m && QL_BUNDLED.has(m[1])) ? QL_LOCAL_DIST + m[1] + part.slice(m[0].length) : QL_CDN_DIST + part;
    }).join("");
  }
  if (Array.isArray(value)) { for (let i = 0; i < value.length; i++) value[i] = qlRelink(value[i]); return value; }
  if (value instanceof Map) { for (const [k, v] of value) value.set(k, qlRelink(v)); return value; }
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const k of Object.keys(value)) value[k] = qlRelink(value[k]);
  }
  return value;
}
"""


def localize_resources(html: str, live: pathlib.Path) -> str:
    """Copy the Bokeh/Panel JS and CSS ``html`` links from a CDN into ``live/static``; relink."""
    cdn_dist, dist = _panel_dist()
    bk_version, bk_js = _bokeh_js()

    def copy(src: pathlib.Path, rel: str) -> bool:
        if not src.is_file():
            return False
        target = live / "static" / rel
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
            if src.suffix == ".css":      # fonts and images a stylesheet names relatively
                for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", src.read_text("utf-8", "replace")):
                    ref = ref.split("?")[0].split("#")[0]
                    if ref and not re.match(r"^(data:|[a-z]+://|/)", ref):
                        copy((src.parent / ref).resolve(),
                             os.path.normpath(str(pathlib.PurePosixPath(rel).parent / ref)).replace("\\", "/"))
        return True

    for sub in PANEL_DIRS:
        for src in sorted((dist / sub).rglob("*")):
            if src.is_file() and not src.name.endswith(".map"):
                copy(src, f"panel/{src.relative_to(dist).as_posix()}")

    def panel_url(m: re.Match) -> str:
        path = m.group(1)
        if path.startswith("wheels/"):
            return m.group(0)
        return f"static/panel/{path}" if copy(dist / path, f"panel/{path}") else m.group(0)

    def bokeh_url(m: re.Match) -> str:
        name = f"{m.group(1)}.min.js"
        return f"static/bokeh/{name}" if copy(bk_js / name, f"bokeh/{name}") else m.group(0)

    html = re.sub(re.escape(cdn_dist) + r"([^\"'\s)?]+)(?:\?v=[^\"'\s)]*)?", panel_url, html)
    html = re.sub(r"https://cdn\.bokeh\.org/bokeh/release/(bokeh(?:-[a-z]+)?)-"
                  + re.escape(bk_version) + r"(?:\.min)?\.js", bokeh_url, html)
    return html


def add_worker_query(html: str, lesson: str) -> str:
    """Start the page's Python worker with the page's query (``new Worker("./<lesson>.js" +
    location.search)``): in the worker, ``js.location.search`` is then the page's, and the lesson
    reads its link (``?lang=de``, settings) there (lessons.common.workarounds.session_request)."""
    call = f'new Worker("./{lesson}.js")'
    if html.count(call) != 1:
        raise RuntimeError(f"converted page: no single {call} found (Panel's pyodide handler changed?)")
    return html.replace(call, f'new Worker("./{lesson}.js" + location.search)')


def add_relinker(html: str, live: pathlib.Path) -> str:
    """Relink what the live Python sends (docs and patches) to the site's copies (RELINK_JS)."""
    import json

    cdn_dist, _ = _panel_dist()
    root = live / "static" / "panel"
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    edits = [
        (re.compile(r"(\n\s*)(const pyodideWorker = new Worker\()"),
         lambda m: m.group(1) + RELINK_JS % {"cdn": json.dumps(cdn_dist), "files": json.dumps(files)}
         + m.group(1) + m.group(2)),
        (re.compile(r"JSON\.parse\(msg\.docs_json\)"), lambda m: "JSON.parse(qlRelink(msg.docs_json))"),
        (re.compile(r"apply_json_patch\(msg\.patch, msg\.buffers\)"),
         lambda m: "apply_json_patch(qlRelink(msg.patch), msg.buffers)"),
    ]
    for pattern, repl in edits:
        html, n = pattern.subn(repl, html, count=1)
        if n != 1:
            raise RuntimeError(f"converted page: {pattern.pattern!r} not found (Panel's worker handler changed?)")
    return html


# Panel's and Bokeh's wheels for Pyodide, made as Panel makes the ones its converter links on the
# HoloViz CDN (panel/scripts/build_pyodide_wheels.py and the PANEL_LITE build): Bokeh without its
# JavaScript and without the Tornado requirement (no Tornado in Pyodide), Panel without its bundled
# JavaScript and tests.  The pages load Bokeh's and Panel's JavaScript from static/ instead.
def _drop_bokeh(name: str) -> bool:
    return (not name.startswith("bokeh/core/_templates")
            and (name.endswith("bokeh.json") or name.endswith((".js", ".d.ts", ".tsbuildinfo"))))


def _drop_panel(name: str) -> bool:
    return (name.startswith(("panel/dist/bundled/", "panel/dist/lib/", "panel/dist/dts/", "panel/tests/"))
            or name in ("panel/dist/panel.js", "panel/dist/panel.min.js", "panel/dist/panel.js.map"))


def _no_tornado(metadata: bytes) -> bytes:
    lines = metadata.decode("utf-8").split("\n")
    return "\n".join(l for l in lines if not (l.startswith("Requires-Dist:") and "tornado" in l)).encode("utf-8")


def slim_wheel(src: pathlib.Path, dest: pathlib.Path, drop, edit=None) -> pathlib.Path:
    """Copy wheel ``src`` to ``dest`` without the files ``drop`` names, METADATA through ``edit``;
    RECORD rewritten to match."""
    import base64
    import hashlib

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        record = next(n for n in zin.namelist() if n.endswith(".dist-info/RECORD"))
        rows = []
        for item in zin.infolist():
            name = item.filename
            if name == record or drop(name):
                continue
            data = zin.read(name)
            if edit is not None and name.endswith(".dist-info/METADATA"):
                data = edit(data)
            zout.writestr(item, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            rows.append(f"{name},sha256={digest},{len(data)}")
        rows.append(f"{record},,")
        zout.writestr(record, "\n".join(rows) + "\n")
    return dest


def pyodide_wheels(dest: pathlib.Path) -> list[pathlib.Path]:
    """Panel's and Bokeh's wheels (the installed versions, from the package index) slimmed for Pyodide."""
    import bokeh
    import panel

    specs = {"bokeh": (bokeh.__version__, _drop_bokeh, _no_tornado), "panel": (panel.__version__, _drop_panel, None)}
    out = []
    with tempfile.TemporaryDirectory(prefix="ql-wheels-") as tmp:
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                               "--only-binary=:all:", "--disable-pip-version-check", "-d", tmp,
                               *[f"{name}=={version}" for name, (version, _, _) in specs.items()]],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"pip download failed:\n{done.stdout}\n{done.stderr}")
        for name, (version, drop, edit) in specs.items():
            src = next(pathlib.Path(tmp).glob(f"{name}-{version}-py3-none-any.whl"))
            out.append(slim_wheel(src, dest / src.name, drop, edit))
    return out


#: Packages of the live pages' dependency closure that Pyodide 0.29.3 itself provides (its
#: pyodide-lock.json): micropip loads these from the Pyodide base URL.  Every other pure-Python
#: package of the closure is put in the site (``pure_wheels``), so that micropip needs no PyPI.
PYODIDE_PROVIDES = frozenset({
    "bleach", "certifi", "charset-normalizer", "cloudpickle", "contourpy", "idna", "jinja2", "joblib",
    "markupsafe", "narwhals", "nh3", "numpy", "packaging", "pandas", "pillow", "pyodide-http",
    "python-dateutil", "pytz", "pyyaml", "requests", "scikit-learn", "scipy", "six", "threadpoolctl",
    "tqdm", "typing-extensions", "tzdata", "urllib3", "webencodings", "xyzservices",
})
#: the environment markers are evaluated in (Pyodide 0.29.3: CPython 3.13 on Emscripten)
PYODIDE_MARKERS = {"python_version": "3.13", "python_full_version": "3.13.2", "sys_platform": "emscripten",
                   "platform_system": "Emscripten", "platform_machine": "wasm32", "os_name": "posix",
                   "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def project_requirements() -> list[str]:
    """The names of the project's own requirements (pyproject.toml ``[project] dependencies``; the
    optional extras, ``jit`` among them, left out): Babel for one."""
    import tomllib

    with (ROOT / "pyproject.toml").open("rb") as fp:
        deps = tomllib.load(fp)["project"]["dependencies"]
    return [_req_name(d) for d in deps]


def pure_closure(roots=None) -> dict[str, str]:
    """name -> installed version of every pure-Python package the live pages need that Pyodide lacks.

    The dependency closure of ``roots`` (default: Panel, Bokeh, :data:`PYODIDE_REQUIREMENTS` and the
    project's own requirements) as installed here (markers evaluated for Pyodide), less Panel and
    Bokeh (see pyodide_wheels), less what Pyodide provides, less compiled packages.
    """
    from importlib import metadata

    from packaging.requirements import Requirement

    if roots is None:
        roots = ("panel", "bokeh", *PYODIDE_REQUIREMENTS, *project_requirements())
    found, todo, seen = {}, list(roots), set()
    while todo:
        name = _canonical(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        for raw in dist.requires or []:
            req = Requirement(raw)
            if req.marker is None or req.marker.evaluate(PYODIDE_MARKERS):
                todo.append(req.name)
        pure = "Root-Is-Purelib: true" in (dist.read_text("WHEEL") or "")
        if pure and name not in PYODIDE_PROVIDES and name not in ("panel", "bokeh"):
            found[name] = dist.version
    return dict(sorted(found.items()))


def pure_wheels(dest: pathlib.Path, report: list | None = None) -> dict[str, str]:
    """Download the wheels of ``pure_closure()`` into ``dest`` (Babel's slimmed, :func:`slim_babel`;
    a line on it appended to ``report``); return name -> wheel file name."""
    wanted = pure_closure()
    if not wanted:
        return {}
    before = set(dest.glob("*.whl"))
    done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                           "--only-binary=:all:", "--disable-pip-version-check", "-d", str(dest),
                           *[f"{n}=={v}" for n, v in wanted.items()]], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"pip download failed:\n{done.stdout}\n{done.stderr}")
    out = {}
    for path in set(dest.glob("*.whl")) - before:
        name = _canonical(path.name.split("-")[0])
        if name in wanted:
            out[name] = path.name
    missing = set(wanted) - set(out)
    if missing:
        raise RuntimeError(f"no pure-Python wheel downloaded for {sorted(missing)}")
    if "babel" in out:
        path = dest / out["babel"]
        full = path.stat().st_size
        slim = dest / (path.name + ".slim")
        slim_babel(path, slim)
        slim.replace(path)
        if report is not None:
            report.append(f"{path.name} slimmed from {full / 1e6:.1f} MB to {path.stat().st_size / 1e6:.2f} MB "
                          f"(locale data of {', '.join(babel_locales())})")
    return dict(sorted(out.items()))


def babel_locales() -> list[str]:
    """The locales whose CLDR data the live pages' Babel keeps: ``root`` (every locale's parent)
    and each language of the lessons (``lessons.common.i18n.LANGUAGES``); what ``Locale.parse``,
    the decimal and group signs and the plural rules of those languages read."""
    from lessons.common.i18n import LANGUAGES

    return ["root", *LANGUAGES]


def _drop_babel(keep):
    keep = set(keep)

    def drop(name: str) -> bool:
        if not (name.startswith("babel/locale-data/") and name.endswith(".dat")):
            return False
        return name[len("babel/locale-data/"):-len(".dat")] not in keep
    return drop


def slim_babel(src: pathlib.Path, dest: pathlib.Path, locales=None) -> pathlib.Path:
    """Babel's wheel without the locale data (``babel/locale-data/<locale>.dat``, 10 of its 11 MB)
    of every locale but ``locales`` (default :func:`babel_locales`); its code, ``global.dat`` (likely
    subtags, parent locales) and the licence stay.  A browser's regional code (``de-AT``) that
    has no data then falls back to its language (``lessons.common.i18n.choose_language``)."""
    return slim_wheel(src, dest, _drop_babel(babel_locales() if locales is None else locales))


def postprocess_live(live: pathlib.Path, pyodide_url: str, wheel: pathlib.Path,
                     localize: bool = True, local_wheels: bool = True) -> list[str]:
    """Post-process the converted pages and workers in ``live`` (see the module's docstring);
    returns lines worth reporting (the slimmed Babel wheel)."""
    local, extra, report = {}, {}, []
    if local_wheels:
        for path in pyodide_wheels(live):
            local[path.name.split("-")[0]] = path.name
        extra = pure_wheels(live, report)
    for lesson in LESSONS:
        page, worker = live / f"{lesson}.html", live / f"{lesson}.js"
        if not (page.is_file() and worker.is_file()):
            raise RuntimeError(f"panel convert did not write {page.name} and {worker.name}")
        worker.write_text(postprocess_worker(worker.read_text("utf-8"), pyodide_url, wheel.name, local, extra),
                          "utf-8")
        html = add_worker_query(page.read_text("utf-8"), lesson)
        if localize:
            html = localize_resources(html, live)
        page.write_text(html, "utf-8")
    if localize:        # once every page's files are in static/
        for lesson in LESSONS:
            page = live / f"{lesson}.html"
            page.write_text(add_relinker(page.read_text("utf-8"), live), "utf-8")
    for packed in live.glob("*.resources.zip"):
        packed.unlink()
    if wheel.parent != live:
        shutil.copy2(wheel, live / wheel.name)
    return report


# ---- the whole build ------------------------------------------------------------------------

def _start(cmd: list[str], log: pathlib.Path, env: dict, cwd: pathlib.Path = ROOT):
    with open(log, "wb") as out:
        return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT), log


def _wait(proc: subprocess.Popen, log: pathlib.Path, what: str) -> None:
    if proc.wait() != 0:
        raise RuntimeError(f"{what} failed (exit {proc.returncode}):\n{log.read_text('utf-8', 'replace')[-6000:]}")


def build(outdir: pathlib.Path, pyodide_url: str | None = None, live: bool = True,
          bake: bool = True, localize: bool = True, quiet: bool = False) -> pathlib.Path:
    """Build the site into ``outdir`` (its HTML root) and return it.

    ``localize=False`` leaves the live pages on the HoloViz/Bokeh CDNs for Panel's and Bokeh's
    JavaScript, CSS and Pyodide wheels, and on PyPI for the pure-Python packages Pyodide lacks
    (a smaller site, more external hosts).
    """
    t0 = time.perf_counter()
    outdir = pathlib.Path(outdir).resolve()
    if outdir.exists() and any(outdir.iterdir()) and not (outdir / ".buildinfo").exists():
        raise SystemExit(f"{outdir} exists and is not a Sphinx site: refusing to replace it")
    shutil.rmtree(outdir, ignore_errors=True)
    outdir.mkdir(parents=True)
    # once, before the builds side by side: conf.py writes the lesson pages every build then reads
    conf = load_conf()
    languages = conf["site_languages"]()
    url = pyodide_url or conf["pyodide_url"]()
    url = url if url.endswith("/") else url + "/"
    env = dict(os.environ, QL_PYODIDE_URL=url, OPENBLAS_NUM_THREADS=os.environ.get("OPENBLAS_NUM_THREADS", "1"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))

    with tempfile.TemporaryDirectory(prefix="ql-docs-") as tmp:
        tmp = pathlib.Path(tmp)
        jobs = []
        if live:
            say("docs: building the wheel")
            live_dir = tmp / "live"
            wheel = build_wheel(live_dir)
            # The converter runs each app once to pre-render it: on the NumPy path, as in Pyodide.
            jobs.append(("panel convert", *_start(convert_command(live_dir, wheel), tmp / "convert.log",
                                                  dict(env, QL_PURE_NUMPY="1"), cwd=live_dir)))
        if bake:
            baked = tmp / "baked"
            code = ("import pathlib, sys; sys.path.insert(0, sys.argv[1]); from bake import bake_all; "
                    "bake_all(pathlib.Path(sys.argv[2]))")
            jobs.append(("docs/bake.py", *_start([sys.executable, "-c", code, str(DOCS), str(baked)],
                                                 tmp / "bake.log", env)))
        skipped = [lang for lang in conf["LANGUAGES"] if lang not in languages]
        if skipped:
            say(f"docs: no site in {', '.join(skipped)} (no docs/index.<lang>.md or no PAGE_TEXTS entry in "
                "docs/conf.py: docs/howto/translate.md)")
        say(f"docs: sphinx-build ({', '.join(languages)}), " + ", ".join(j[0] for j in jobs))
        # one Sphinx build per language, side by side: English at the root, the others in <lang>/
        builds = []
        for lang in languages:
            cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-d", str(tmp / f"doctrees-{lang}"),
                   str(DOCS), str(site_dir(outdir, lang, conf["DEFAULT"]))]
            lang_env = dict(env, QL_DOCS_LANG=lang, QL_DOCS_LANGUAGES=",".join(languages))
            builds.append((lang, time.perf_counter(), *_start(cmd, tmp / f"sphinx-{lang}.log", lang_env)))
        try:
            took = {}
            while len(took) < len(builds):
                for lang, started, proc, log in builds:
                    if lang not in took and proc.poll() is not None:
                        took[lang] = time.perf_counter() - started
                time.sleep(0.1)
            warnings = {}         # each warning once (the languages share most pages' sources)
            for lang, _, proc, log in builds:
                _wait(proc, log, f"sphinx-build ({lang})")
                warnings.update(dict.fromkeys(log.read_text("utf-8", "replace").strip().splitlines()))
            if warnings:
                say("\n".join(warnings))
            say("docs: sphinx-build " + ", ".join(f"{lang} {took[lang]:.0f} s" for lang in languages)
                + " (side by side)")
            for what, proc, log in jobs:
                _wait(proc, log, what)
        finally:
            for proc in [b[2] for b in builds] + [j[1] for j in jobs]:
                if proc.poll() is None:
                    proc.kill()
        # once, at the root: every language's pages embed these (docs/conf.py EMBED_HTML)
        static = outdir / "_static"
        if live:
            for line in postprocess_live(live_dir, url, wheel, localize=localize, local_wheels=localize):
                say(f"docs: {line}")
            shutil.copytree(live_dir, static / "live")
        if bake:
            shutil.copytree(baked, static / "baked")
    if not (static / "ql-embed.js").is_file():
        say("docs: warning: docs/_static/ql-embed.js is missing; the lesson embeds will not start")
    size = sum(p.stat().st_size for p in outdir.rglob("*") if p.is_file())
    say(f"docs: built in {time.perf_counter() - t0:.0f} s, {size / 1e6:.1f} MB; Pyodide from {url}")
    return outdir


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir", type=pathlib.Path)
    ap.add_argument("--pyodide-url", help="Pyodide base URL (default: docs/conf.py, or $QL_PYODIDE_URL)")
    ap.add_argument("--no-live", action="store_true", help="skip the wheel and the converted lessons")
    ap.add_argument("--no-bake", action="store_true", help="skip the baked animations")
    ap.add_argument("--cdn-resources", action="store_true",
                    help="leave the live pages' Bokeh/Panel JS, CSS and wheels on the HoloViz/Bokeh CDNs")
    args = ap.parse_args(argv)
    out = build(args.outdir, args.pyodide_url, live=not args.no_live, bake=not args.no_bake,
                localize=not args.cdn_resources)
    print(f"docs: open {out / 'index.html'}")
    print(f"docs: the live lessons need it served over HTTP, e.g. python -m http.server -d {out} 8000")
    return 0


if __name__ == "__main__":
    sys.exit(main())
