"""Sphinx configuration of the documentation site (built by ``python docs/build.py OUTDIR``).

The site: an overview, one page per lesson (its ``lesson.md`` and the lesson embedded live), the
teacher notes (``model.md``) and the physics API reference from the docstrings.

``ql_pyodide_url`` is where the live lessons load Pyodide and its packages from.  It defaults to the
public CDN; a school with its own mirror builds with ``QL_PYODIDE_URL=https://.../`` (README,
"Documentation site").  docs/build.py reads the same value from this file, so the embed's
``data-pyodide`` and the converted pages always agree.
"""
from __future__ import annotations

import os
import pathlib
import re
import shutil
import sys

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent
if str(ROOT) not in sys.path:            # autodoc imports physics from the work tree
    sys.path.insert(0, str(ROOT))

#: Pyodide's version is the one Panel 1.9.4's converter targets (panel.io.convert.PYODIDE_VERSION).
PYODIDE_VERSION = "v0.29.3"
PYODIDE_URL_DEFAULT = f"https://cdn.jsdelivr.net/pyodide/{PYODIDE_VERSION}/full/"


def pyodide_url() -> str:
    """The configured Pyodide base URL (env ``QL_PYODIDE_URL`` over the default), ending in '/'."""
    url = os.environ.get("QL_PYODIDE_URL", "").strip() or PYODIDE_URL_DEFAULT
    return url if url.endswith("/") else url + "/"


ql_pyodide_url = pyodide_url()

from lessons import CATALOGUE  # noqa: E402  (the work tree is on sys.path now)

#: the lessons, in teaching order (lessons.CATALOGUE); one page and one live app each
QL_LESSONS = tuple(c.slug for c in CATALOGUE)

# ---- the lessons' pages, made from the catalogue -----------------------------------------------
# A new lesson package with a CARD gets its page, its teacher notes' page, a row in the overview's
# table and its entries in the tables of contents without any file here being edited.  The files
# are written here (they are not in git: .gitignore) only when their text changes.

LESSON_PAGE = """# {title}

{description}

```{{ql-embed}} {slug}
```

The animation above starts at once with the lesson's default settings; the live lesson takes over
when Python has loaded in your browser (the first visit downloads it, later visits use the cache).
The same lesson served by a class server is at `/{slug}`, and the
[teacher notes]({slug}-notes.md) list every control, its link name and its idealisations.

```{{include}} ../../lessons/{slug}/lesson.md
```
"""

NOTES_PAGE = """# {title}: teacher notes

From `lessons/{slug}/model.md` (also the "Teacher notes" tab of the lesson). Back to the
[lesson]({slug}.md).

```{{include}} ../../lessons/{slug}/model.md
```
"""


def _write(path: pathlib.Path, text: str) -> None:
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def write_lesson_pages() -> None:
    """docs/lessons/<slug>.md and <slug>-notes.md per lesson, and the overview's table and tables of
    contents (docs/_lessons_table.md, docs/_lessons_toc.md, included by index.md)."""
    for c in CATALOGUE:
        fields = dict(title=c.title, description=c.description, slug=c.slug)
        _write(DOCS / "lessons" / f"{c.slug}.md", LESSON_PAGE.format(**fields))
        _write(DOCS / "lessons" / f"{c.slug}-notes.md", NOTES_PAGE.format(**fields))
    rows = [f"| [{c.name}](lessons/{c.slug}.md) | {c.summary or c.description} |" for c in CATALOGUE]
    _write(DOCS / "_lessons_table.md", "| lesson | what students do |\n|---|---|\n" + "\n".join(rows) + "\n")
    toc = ["```{toctree}", ":caption: Lessons", ":maxdepth: 1", "", *(f"lessons/{c.slug}" for c in CATALOGUE),
           "```", "", "```{toctree}", ":caption: Teacher notes", ":maxdepth: 1", "",
           *(f"lessons/{c.slug}-notes" for c in CATALOGUE), "```", ""]
    _write(DOCS / "_lessons_toc.md", "\n".join(toc))


write_lesson_pages()

project = "Quantum Lessons"
author = "Quantum Lessons contributors"
copyright = "Quantum Lessons contributors"
release = version = "0.1.0"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",     # the NumPy-style "Parameters" sections of physics.pinn / wavepacket
]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "_lessons_table.md", "_lessons_toc.md",
                    "howto/spreading"]   # the example lesson's files: included into howto/add_a_lesson.md
templates_path = ["_templates"]

myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]   # lesson.md files start at '##' under the page's '#'

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = False
napoleon_numpy_docstring = True

html_theme = "furo"
html_title = "Quantum Lessons"
html_static_path = ["_static"]
html_css_files = ["ql-docs.css"]
# Math: MathJax 3 from the site itself, no CDN: its browser files come from the `docs` extra's
# django-static-mathjax (MathJax 3.2.2 as a pip package) and are copied by _write_static().
MATHJAX_DIR = "mathjax"
mathjax_path = f"{MATHJAX_DIR}/tex-chtml.js"
html_theme_options = {
    "light_css_variables": {"color-brand-primary": "#1c5fa8", "color-brand-content": "#1c5fa8"},
}
html_show_sourcelink = False
html_copy_source = False


# ---- local extension: the lesson embed, docstrings, offline math -------------------------------------

EMBED_HTML = (
    '<div class="ql-embed" data-lesson="{lesson}" data-baked="{root}/_static/baked/{lesson}.qlb" '
    'data-player="{root}/_static/baked/{lesson}.js" data-live="{root}/_static/live/{lesson}.html" '
    'data-pyodide="{pyodide}"></div>\n'
    '<script type="module" src="{root}/_static/ql-embed.js"></script>\n'
)

CSS = """
.ql-embed { min-height: 560px; margin: 1.5em 0; }
div.math { overflow-x: auto; }
"""
#: what tex-chtml.js needs of MathJax's es5/ folder: itself, the TeX extensions it loads on first
#: use of their macros, the CHTML fonts (2 MB of the 35 MB)
MATHJAX_FILES = ("tex-chtml.js", "input/tex/extensions", "output/chtml/fonts/woff-v2")


def _mathjax_source() -> pathlib.Path | None:
    """MathJax 3's browser bundle (es5/) as django-static-mathjax installs it, if it does."""
    try:
        import mathjax
    except ImportError:
        return None
    es5 = pathlib.Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    return es5 if (es5 / "tex-chtml.js").is_file() else None


if _mathjax_source() is None:    # not installed: MathJax from its CDN, as Sphinx does by default
    del mathjax_path


def _write_static(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    static = pathlib.Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    (static / "ql-docs.css").write_text(CSS, encoding="utf-8")
    src = _mathjax_source()
    if src is not None:          # tex-chtml.js loads its fonts and extensions relative to itself
        for rel in MATHJAX_FILES:
            target = static / MATHJAX_DIR / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if (src / rel).is_dir():
                shutil.copytree(src / rel, target, dirs_exist_ok=True)
            else:
                shutil.copy2(src / rel, target)


_LITERAL = re.compile(r"(``.*?``)")


def _escape_bars(app, what, name, obj, options, lines):
    """The docstrings write |x| for absolute values: plain text to them, a substitution to rST."""
    for i, line in enumerate(lines):
        parts = _LITERAL.split(line)
        lines[i] = "".join(p if p.startswith("``") else re.sub(r"(?<!\\)\|", r"\\|", p) for p in parts)


def setup(app):
    from docutils.parsers.rst import Directive, directives
    from docutils import nodes

    app.add_config_value("ql_pyodide_url", ql_pyodide_url, "html")

    class LessonEmbed(Directive):
        """``{ql-embed} <lesson>``: the baked animation, then the live lesson (docs/_static/ql-embed.js)."""

        required_arguments = 1
        has_content = False

        def run(self):
            lesson = directives.choice(self.arguments[0], QL_LESSONS)
            env = self.state.document.settings.env
            depth = env.docname.count("/")
            root = "/".join([".."] * depth) if depth else "."
            html = EMBED_HTML.format(lesson=lesson, root=root, pyodide=env.config.ql_pyodide_url)
            return [nodes.raw("", html, format="html")]

    app.add_directive("ql-embed", LessonEmbed)
    app.connect("autodoc-process-docstring", _escape_bars)
    app.connect("build-finished", _write_static)
    return {"parallel_read_safe": True}
