"""The documentation site (docs/build.py): pages, lesson embeds, API reference, live pages."""
from __future__ import annotations

import ast
import html
import importlib.util
import pathlib
import re

import pytest

from tests.docs.conftest import PYODIDE_TEST_URL, ROOT

LESSONS = ("bound_states", "tunneling", "anderson", "solitons", "spin_battery", "vqe", "quantization")
WHEEL = "quantum_lessons-0.1.0-py3-none-any.whl"


def _load_build():
    spec = importlib.util.spec_from_file_location("ql_docs_build", ROOT / "docs" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build()


def text_of(page: pathlib.Path) -> str:
    """The page's visible text: tags dropped, entities decoded, whitespace collapsed."""
    raw = page.read_text("utf-8")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def plain_lines(markdown: str, least: int = 40) -> list[str]:
    """Lines of a Markdown file that come through to HTML unchanged (no markup, quotes or dashes; a list
    item's marker left out, as the HTML shows it)."""
    lines = []
    for line in markdown.splitlines():
        line = re.sub(r"^[-*+]\s+", "", line.strip())
        if len(line) >= least and re.fullmatch(r"[\w\s,.;:()=+/%-]+", line) and "--" not in line:
            lines.append(" ".join(line.split()))
    return lines


def test_every_lesson_of_the_gallery_has_a_page():
    import runpy

    from lessons import CATALOGUE

    assert {c.slug for c in CATALOGUE} == set(LESSONS) == set(build.LESSONS)
    assert set(runpy.run_path(str(ROOT / "docs" / "conf.py"))["QL_LESSONS"]) == set(LESSONS)
    for slug in LESSONS:
        for page in (f"{slug}.md", f"{slug}-notes.md"):
            assert (ROOT / "docs" / "lessons" / page).is_file(), page
        assert (ROOT / "apps" / f"{slug}.py").is_file()


def test_pages_exist(built_site):
    for rel in ["index.html", "api/index.html", "genindex.html", "search.html",
                *[f"lessons/{x}.html" for x in LESSONS], *[f"lessons/{x}-notes.html" for x in LESSONS]]:
        assert (built_site / rel).is_file(), rel
    index = text_of(built_site / "index.html")
    for x in LESSONS:
        assert f'href="lessons/{x}.html"' in (built_site / "index.html").read_text("utf-8")
    assert "Physics API reference" in index


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_page_embeds_the_lesson(built_site, lesson):
    page = built_site / "lessons" / f"{lesson}.html"
    source = page.read_text("utf-8")
    root = ".."
    expected = (f'<div class="ql-embed" data-lesson="{lesson}" data-baked="{root}/_static/baked/{lesson}.qlb" '
                f'data-player="{root}/_static/baked/{lesson}.js" data-live="{root}/_static/live/{lesson}.html" '
                f'data-pyodide="{PYODIDE_TEST_URL}"></div>\n'
                f'<script type="module" src="{root}/_static/ql-embed.js"></script>')
    assert source.count('class="ql-embed"') == 1
    assert expected in source
    for attr in ("data-baked", "data-player", "data-live"):
        rel = re.search(attr + r'="([^"]+)"', source).group(1)
        assert (page.parent / rel).resolve().is_file(), (attr, rel)
    assert (built_site / "_static" / "ql-embed.js").is_file()


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_page_has_the_lesson_text_and_math(built_site, lesson):
    md = (ROOT / "lessons" / lesson / "lesson.md").read_text("utf-8")
    text = text_of(built_site / "lessons" / f"{lesson}.html")
    heading = md.splitlines()[0].lstrip("#").strip()
    assert heading in text
    lines = plain_lines(md)
    assert lines, "no plain line to look for"
    for line in lines[:5]:
        assert line in text
    source = (built_site / "lessons" / f"{lesson}.html").read_text("utf-8")
    if "$$" in md:
        assert '<div class="math notranslate nohighlight">' in source
        assert '<script defer="defer" src="../_static/mathjax/tex-chtml.js"></script>' in source
    # math renders offline: MathJax and its fonts are in the site
    mathjax = built_site / "_static" / "mathjax"
    assert (mathjax / "tex-chtml.js").is_file()
    assert list((mathjax / "output" / "chtml" / "fonts" / "woff-v2").glob("MathJax_Main-Regular.woff"))
    assert "cdn.jsdelivr.net/npm/mathjax" not in source


@pytest.mark.parametrize("lesson", LESSONS)
def test_teacher_notes(built_site, lesson):
    md = (ROOT / "lessons" / lesson / "model.md").read_text("utf-8")
    text = text_of(built_site / "lessons" / f"{lesson}-notes.html")
    assert md.splitlines()[0].lstrip("#").strip() in text
    lines = plain_lines(md)
    assert lines
    for line in lines[:5]:
        assert line in text
    if re.search(r"^\|[-| :]+\|$", md, flags=re.M):      # the controls table is a real table
        assert "<table" in (built_site / "lessons" / f"{lesson}-notes.html").read_text("utf-8")


def test_api_reference_is_generated_from_the_docstrings(built_site):
    import physics.scattering as scattering

    page = built_site / "api" / "scattering.html"
    text = text_of(page)
    assert "A particle of energy E > 0 comes in from the left, where V = 0" in text
    assert "Closed-form transmission of a rectangular barrier" in text
    source = page.read_text("utf-8")
    for name in scattering.__all__:
        assert f'id="physics.scattering.{name}"' in source, name
    for api_page in (built_site / "api").glob("*.html"):     # no rST errors left in a docstring
        assert 'class="problematic"' not in api_page.read_text("utf-8"), api_page.name
    # every module of physics/ that has a page: its docstring's first line is there
    for module in (ROOT / "physics").glob("*.py"):
        if module.name == "__init__.py":
            continue
        name = module.stem.lstrip("_") if module.stem != "_backend" else "backend"
        doc = ast.get_docstring(ast.parse(module.read_text("utf-8")))
        page = built_site / "api" / f"{name}.html"
        assert page.is_file(), f"no API page for physics.{module.stem}"
        assert " ".join(doc.split("\n\n")[0].split())[:60] in text_of(page)
    # the NumPy-style sections (napoleon) become field lists, not literal underlines
    pinn = (built_site / "api" / "pinn.html").read_text("utf-8")
    assert "----------" not in text_of(built_site / "api" / "pinn.html")
    assert "Parameters" in pinn


@pytest.mark.parametrize("lesson", LESSONS)
def test_live_page_requirements_and_pyodide_url(built_site, lesson):
    live = built_site / "_static" / "live"
    worker = (live / f"{lesson}.js").read_text("utf-8")
    reqs = build.worker_requirements(worker)
    names = [build._req_name(r) for r in reqs]
    assert not {"numba", "rocket-fft"} & set(names), reqs
    assert not any("numba" in r or "rocket" in r for r in reqs), reqs
    for name in ("numpy", "scipy", "scikit-learn"):
        assert name in names, reqs
    assert f"./{WHEEL}" in reqs
    assert (live / WHEEL).is_file()
    assert f"micropip.install(['./{WHEEL}'], deps=False)" in worker
    assert not any(r.startswith("emfs:") for r in reqs)
    # Pyodide from the configured base URL only
    assert f'try {{ importScripts("{PYODIDE_TEST_URL}pyodide.js"); qlPyodideLoaded = true; }}' in worker
    assert "if (qlPyodideLoaded) {\n  startApplication()" in worker
    assert f'loadPyodide({{indexURL: "{PYODIDE_TEST_URL}"}})' in worker
    assert "cdn.jsdelivr.net" not in worker
    assert "const data_archives = [];" in worker
    # Panel's and Bokeh's wheels from the site too, not the HoloViz CDN
    import bokeh
    import panel
    for name, version in (("bokeh", bokeh.__version__), ("panel", panel.__version__)):
        assert f"./{name}-{version}-py3-none-any.whl" in reqs, reqs
        assert (live / f"{name}-{version}-py3-none-any.whl").is_file()
    assert "cdn.holoviz.org" not in worker
    # every package named by name is one Pyodide provides; all others are wheels beside the page
    for req in reqs:
        if req.endswith(".whl"):
            assert req.startswith("./") and (live / req[2:]).is_file(), req
        else:
            assert build._req_name(req) in build.PYODIDE_PROVIDES, req
    wheels = [r[2:] for r in reqs if r.endswith(".whl")]
    for name in ("param", "pyviz-comms", "markdown"):
        assert [w for w in wheels if build._canonical(w.split("-")[0]) == name], (name, wheels)
    assert not list(live.glob("*.resources.zip"))


@pytest.mark.parametrize("lesson", LESSONS)
def test_live_page_links_bokeh_and_panel_from_the_site(built_site, lesson):
    live = built_site / "_static" / "live"
    page = (live / f"{lesson}.html").read_text("utf-8")
    assert f'new Worker("./{lesson}.js" + location.search)' in page      # the page's ?lang= reaches Python
    assert "cdn.bokeh.org" not in page
    assert not re.search(r"cdn\.holoviz\.org/panel/[^/]+/dist/(css|bundled|assets|panel)", page)
    linked = re.findall(r'(?:src|href)="(static/[^"]+)"', page)
    assert any(p.endswith("bokeh.min.js") for p in linked) and any(p.endswith("panel.min.js") for p in linked)
    for rel in linked:
        assert (live / rel).is_file(), rel


def test_panel_and_bokeh_wheels_are_slimmed_for_pyodide(built_site):
    """As Panel builds its own Pyodide wheels: no bundled JavaScript, Bokeh without Tornado."""
    import zipfile

    live = built_site / "_static" / "live"
    bokeh_whl, = live.glob("bokeh-*.whl")
    panel_whl, = live.glob("panel-*.whl")
    assert "tornado" not in " ".join(build.wheel_requirements(bokeh_whl)).lower()
    for whl, package in ((bokeh_whl, "bokeh"), (panel_whl, "panel")):
        with zipfile.ZipFile(whl) as zf:
            names = zf.namelist()
            assert f"{package}/__init__.py" in names
            assert not [n for n in names if n.endswith(".min.js")], whl.name
            record = zf.read(next(n for n in names if n.endswith(".dist-info/RECORD"))).decode()
            listed = {row.split(",")[0] for row in record.splitlines() if row}
            assert listed == set(names), whl.name
        assert whl.stat().st_size < 4_000_000, whl.name


def test_the_wheel_does_not_require_numba(built_site):
    reqs = build.wheel_requirements(built_site / "_static" / "live" / WHEEL)
    names = {build._req_name(r) for r in reqs}
    assert {"numpy", "scipy", "scikit-learn", "param", "panel", "bokeh"} <= names
    assert not names & {"numba", "rocket-fft"}


def test_default_pyodide_url_matches_panels_converter(monkeypatch):
    from panel.io import convert

    monkeypatch.delenv("QL_PYODIDE_URL", raising=False)
    default = build.configured_pyodide_url()
    assert default == "https://cdn.jsdelivr.net/pyodide/v0.29.3/full/"
    assert convert.PYODIDE_URL == default + "pyodide.js"      # the Pyodide Panel's converter targets
    monkeypatch.setenv("QL_PYODIDE_URL", "https://school.example/pyodide")
    assert build.configured_pyodide_url() == "https://school.example/pyodide/"


def test_postprocess_worker_on_the_converter_template():
    """The rewrite on Panel's own worker template (what a Panel upgrade could break)."""
    from panel.io.convert import PYODIDE_URL, WEB_WORKER_TEMPLATE

    js = WEB_WORKER_TEMPLATE.render({
        "PYODIDE_URL": PYODIDE_URL, "data_archives": "'app.resources.zip'", "code": "pass",
        "env_spec": "'https://x/bokeh-3.9.2-py3-none-any.whl', 'numpy', 'numba', "
                    "'emfs:packed_wheels/" + WHEEL + "'"})
    out = build.postprocess_worker(js, "https://m.example/p/", WHEEL)
    assert build.worker_requirements(out) == ["https://x/bokeh-3.9.2-py3-none-any.whl", "numpy", f"./{WHEEL}"]
    out = build.postprocess_worker(js, "https://m.example/p/", WHEEL, {"bokeh": "bokeh-3.9.2-py3-none-any.whl"},
                                   {"numpy": "numpy-0-py3-none-any.whl", "param": "param-2-py3-none-any.whl"})
    assert build.worker_requirements(out) == ["./bokeh-3.9.2-py3-none-any.whl", "./numpy-0-py3-none-any.whl",
                                              "./param-2-py3-none-any.whl", f"./{WHEEL}"]
    assert 'importScripts("https://m.example/p/pyodide.js"); qlPyodideLoaded = true;' in out
    assert PYODIDE_URL not in out


def test_live_page_relinks_what_python_sends_to_the_sites_copies(built_site, tmp_path):
    """The inline scripts of a converted page parse, and qlRelink maps Panel's CDN to the site."""
    import json
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("needs node to run the page's JavaScript")
    live = built_site / "_static" / "live"
    page = (live / "tunneling.html").read_text("utf-8")
    scripts = re.findall(r'<script(?: type="text/javascript")?>(.*?)</script>', page, flags=re.S)
    handler = [s for s in scripts if "qlRelink" in s]
    assert len(handler) == 1
    for i, script in enumerate(scripts):
        path = tmp_path / f"script{i}.js"
        path.write_text(script, "utf-8")
        subprocess.run([node, "--check", str(path)], check=True)
    for lesson in LESSONS:                       # the post-processed workers parse too
        subprocess.run([node, "--check", str(live / f"{lesson}.js")], check=True)
    assert "JSON.parse(qlRelink(msg.docs_json))" in handler[0]
    assert "apply_json_patch(qlRelink(msg.patch), msg.buffers)" in handler[0]
    h = handler[0]
    code = h[h.index("const QL_CDN_DIST"):h.index("const pyodideWorker")].replace(
        'new URL("static/panel/", document.baseURI).href', '"http://site/_static/live/static/panel/"')
    from panel.io.resources import CDN_DIST
    sample = {"held": CDN_DIST + "css/button.css", "theme": [CDN_DIST + "bundled/theme/default.css?v=1"],
              "missing": CDN_DIST + "css/no-such-file.css", "other": "https://example.org/x.css"}
    code += f"""
const doc = qlRelink(JSON.stringify({json.dumps(sample)}));
const obj = qlRelink({json.dumps(sample)});
console.log(JSON.stringify([JSON.parse(doc), obj]));
"""
    (tmp_path / "relink.js").write_text(code, "utf-8")
    out = json.loads(subprocess.run([node, str(tmp_path / "relink.js")], check=True, capture_output=True,
                                    text=True).stdout)
    local = "http://site/_static/live/static/panel/"
    for result in out:
        assert result["held"] == local + "css/button.css"
        assert result["theme"] == [local + "bundled/theme/default.css"]
        assert result["missing"] == sample["missing"] and result["other"] == sample["other"]
    assert (live / "static" / "panel" / "css" / "button.css").is_file()
