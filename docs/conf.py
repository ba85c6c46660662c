"""Sphinx configuration of the documentation site (built by ``python docs/build.py OUTDIR``).

The site: an overview, one page per lesson (its ``lesson.md`` and the lesson embedded live), the
teacher notes (``model.md``) and the physics API reference from the docstrings.

One site per language (docs/build.py: English at the root, the others in ``<lang>/``): the
environment variable ``QL_DOCS_LANG`` sets this build's ``language`` (default English).  In a
language, the lesson pages include ``lesson.<lang>.md`` and ``model.<lang>.md`` (English where a
file is missing), their own words and the overview's table and tables of contents come from
:data:`PAGE_TEXTS` and the lesson cards' translations (the lessons' gettext catalogues), and the
overview is ``index.<lang>.md``.  A language is built once both exist (:func:`site_languages`;
docs/howto/translate.md).  The physics API reference and the developers' how-tos stay English,
with a note saying so.  Every page has a language switcher in its sidebar (links to the same page
in the other languages the build names in ``QL_DOCS_LANGUAGES``).

``ql_pyodide_url`` is where the live lessons load Pyodide and its packages from.  It defaults to the
public CDN; a school with its own mirror builds with ``QL_PYODIDE_URL=https://.../`` (README,
"Documentation site").  docs/build.py reads the same value from this file, so the embed's
``data-pyodide`` and the converted pages always agree.
"""
from __future__ import annotations

import html
import json
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
from lessons.common.i18n import DEFAULT, LANGUAGES, localized_path, translator  # noqa: E402

#: the lessons, in teaching order (lessons.CATALOGUE); one page and one live app each
QL_LESSONS = tuple(c.slug for c in CATALOGUE)

# ---- languages -----------------------------------------------------------------------------------
# The words of the pages this file makes (the lesson pages around lesson.md and model.md, the
# overview's table and tables of contents, the language switcher, the note on the English-only
# pages) and the embed's own status lines (docs/_static/ql-embed.js TEXTS), per language.  A new
# language: copy the "en" entry, translate it (keep every {name} field and the Markdown), and write
# docs/index.<lang>.md, the overview (docs/howto/translate.md).

PAGE_TEXTS = {
    "en": {
        "after_embed": (
            "The animation above starts at once with the lesson's default settings; the live lesson takes over\n"
            "when Python has loaded in your browser (the first visit downloads it, later visits use the cache).\n"
            "The same lesson served by a class server is at `/{slug}`, and the\n"
            "[teacher notes]({slug}-notes.md) list every control, its link name and its idealisations."),
        "notes_title": "{title}: teacher notes",
        "notes_intro": ('From `lessons/{slug}/{notes_file}` (also the "Teacher notes" tab of the lesson). Back to the\n'
                        "[lesson]({slug}.md)."),
        "table_head": "| lesson | what students do |",
        "toc_lessons": "Lessons",
        "toc_notes": "Teacher notes",
        "switcher": "Language",
        "english_only": "",
        "embed": {},
    },
    "de": {
        "after_embed": (
            "Die Animation oben startet sofort mit den Standardeinstellungen der Lektion; die Live-Lektion\n"
            "übernimmt, sobald Python in deinem Browser geladen ist (beim ersten Besuch wird es heruntergeladen,\n"
            "danach kommt es aus dem Cache). Dieselbe Lektion auf einem Klassenserver liegt unter\n"
            "`/{slug}?lang=de`, und die [Hinweise für Lehrkräfte]({slug}-notes.md) nennen jedes Bedienelement,\n"
            "seinen Namen im Link und die Idealisierungen des Modells."),
        "notes_title": "{title}: Hinweise für Lehrkräfte",
        "notes_intro": ("Aus `lessons/{slug}/{notes_file}` (auch der Reiter „Hinweise für Lehrkräfte“ der Lektion).\n"
                        "Zurück zur [Lektion]({slug}.md)."),
        "table_head": "| Lektion | was die Lernenden tun |",
        "toc_lessons": "Lektionen",
        "toc_notes": "Hinweise für Lehrkräfte",
        "switcher": "Sprache",
        "english_only": "Diese Seite gibt es nur auf Englisch.",
        "embed": {
            "runtime": "Die Live-Steuerung braucht die Python-Laufzeitumgebung, die nicht geladen werden konnte; "
                       "dies ist der vorberechnete Standardlauf.",
            "slow": "Die Live-Steuerung konnte nicht rechtzeitig gestartet werden; dies ist der vorberechnete "
                    "Standardlauf.",
            "missing": "Die Live-Steuerung ist hier nicht verfügbar; dies ist der vorberechnete Standardlauf.",
            "failed": "Die Live-Steuerung konnte hier nicht gestartet werden; dies ist der vorberechnete Standardlauf.",
            "loading": "Vorberechneter Standardlauf – die Live-Steuerung wird geladen …",
            "loadingLive": "Die Live-Steuerung wird geladen …",
            "unavailable": "Vorberechneter Standardlauf: Dafür braucht es die Live-Lektion.",
            "bakedFailed": "Die vorberechnete Animation konnte nicht gezeigt werden; die Live-Steuerung wird geladen …",
            "badge": "vorberechnet",
            "liveTitle": "Live-Lektion",
            "calmBaked": "; dies ist der vorberechnete Standardlauf.",
        },
    },
    "es": {
        "after_embed": (
            "La animación de arriba empieza enseguida con los ajustes por defecto de la lección; la lección en\n"
            "vivo toma el relevo cuando Python se ha cargado en tu navegador (la primera visita lo descarga; las\n"
            "siguientes usan la caché). La misma lección servida por un servidor de clase está en\n"
            "`/{slug}?lang=es`, y las [notas para el profesorado]({slug}-notes.md) enumeran cada control, su\n"
            "nombre en el enlace y las idealizaciones del modelo."),
        "notes_title": "{title}: notas para el profesorado",
        "notes_intro": ("De `lessons/{slug}/{notes_file}` (también la pestaña «Notas para el profesorado» de la\n"
                        "lección). Volver a la [lección]({slug}.md)."),
        "table_head": "| lección | qué hace el alumnado |",
        "toc_lessons": "Lecciones",
        "toc_notes": "Notas para el profesorado",
        "switcher": "Idioma",
        "english_only": "Esta página solo está disponible en inglés.",
        "embed": {
            "runtime": "Los controles en vivo necesitan el entorno de Python, que no se pudo cargar; esta es la "
                       "ejecución por defecto precalculada.",
            "slow": "Los controles en vivo no se pudieron iniciar a tiempo; esta es la ejecución por defecto "
                    "precalculada.",
            "missing": "Los controles en vivo no están disponibles aquí; esta es la ejecución por defecto precalculada.",
            "failed": "Los controles en vivo no se pudieron iniciar aquí; esta es la ejecución por defecto "
                      "precalculada.",
            "loading": "Ejecución por defecto precalculada: los controles en vivo se están cargando…",
            "loadingLive": "Los controles en vivo se están cargando…",
            "unavailable": "Ejecución por defecto precalculada: esto necesita la lección en vivo.",
            "bakedFailed": "No se pudo mostrar la animación precalculada; los controles en vivo se están cargando…",
            "badge": "precalculada",
            "liveTitle": "Lección en vivo",
            "calmBaked": "; esta es la ejecución por defecto precalculada.",
        },
    },
}


def site_languages() -> list[str]:
    """The languages the site can be built in: English, and every language of the lessons
    (``lessons.common.i18n.LANGUAGES``) that has its words here (:data:`PAGE_TEXTS`) and its
    overview page (``docs/index.<lang>.md``)."""
    return [DEFAULT, *(lang for lang in LANGUAGES if lang != DEFAULT and lang in PAGE_TEXTS
                       and (DOCS / f"index.{lang}.md").is_file())]


#: this build's language (docs/build.py sets QL_DOCS_LANG per build)
QL_LANGUAGE = os.environ.get("QL_DOCS_LANG", "").strip() or DEFAULT
if QL_LANGUAGE not in site_languages():
    raise ValueError(f"QL_DOCS_LANG={QL_LANGUAGE!r}: no such site language (known: {', '.join(site_languages())}; "
                     "docs/howto/translate.md)")
#: the languages of the site this build belongs to (the switcher's links): docs/build.py names them
QL_SITE_LANGUAGES = [x for x in (y.strip() for y in os.environ.get("QL_DOCS_LANGUAGES", QL_LANGUAGE).split(","))
                     if x in site_languages()] or [QL_LANGUAGE]

# ---- the lessons' pages, made from the catalogue -----------------------------------------------
# A new lesson package with a CARD gets its page, its teacher notes' page, a row in the overview's
# table and its entries in the tables of contents without any file here being edited.  The files
# are written here (they are not in git: .gitignore) only when their text changes.

LESSON_PAGE = """# {title}

{description}

```{{ql-embed}} {slug}
```

{after_embed}

```{{include}} ../../lessons/{slug}/{lesson_file}
```
"""

NOTES_PAGE = """# {notes_title}

{notes_intro}

```{{include}} ../../lessons/{slug}/{notes_file}
```
"""


def _card_fields(card, lang: str) -> dict:
    """A lesson card's texts in ``lang`` (its catalogue's translations; English where it has none)."""
    tr = translator(lang)
    folder = ROOT / "lessons" / card.slug
    return dict(slug=card.slug, title=tr.gettext(card.title), description=tr.gettext(card.description),
                name=tr.gettext(card.name), summary=tr.gettext(card.summary or card.description),
                lesson_file=localized_path(folder / "lesson.md", lang).name,
                notes_file=localized_path(folder / "model.md", lang).name)


def lesson_page(card, lang: str = DEFAULT) -> str:
    """The Markdown of a lesson's page in ``lang``."""
    fields = _card_fields(card, lang)
    texts = PAGE_TEXTS[lang]
    return LESSON_PAGE.format(after_embed=texts["after_embed"].format(**fields), **fields)


def notes_page(card, lang: str = DEFAULT) -> str:
    """The Markdown of a lesson's teacher notes page in ``lang``."""
    fields = _card_fields(card, lang)
    texts = PAGE_TEXTS[lang]
    return NOTES_PAGE.format(notes_title=texts["notes_title"].format(**fields),
                             notes_intro=texts["notes_intro"].format(**fields), **fields)


def lessons_table(lang: str = DEFAULT) -> str:
    """The overview's table of the lessons (name and what students do) in ``lang``."""
    rows = []
    for c in CATALOGUE:
        f = _card_fields(c, lang)
        rows.append(f"| [{f['name']}](lessons/{c.slug}.md) | {f['summary']} |")
    return PAGE_TEXTS[lang]["table_head"] + "\n|---|---|\n" + "\n".join(rows) + "\n"


def lessons_toc(lang: str = DEFAULT) -> str:
    """The overview's tables of contents of the lessons and of their teacher notes in ``lang``."""
    texts = PAGE_TEXTS[lang]
    toc = ["```{toctree}", f":caption: {texts['toc_lessons']}", ":maxdepth: 1", "",
           *(f"lessons/{c.slug}" for c in CATALOGUE), "```", "", "```{toctree}",
           f":caption: {texts['toc_notes']}", ":maxdepth: 1", "", *(f"lessons/{c.slug}-notes" for c in CATALOGUE),
           "```", ""]
    return "\n".join(toc)


def _write(path: pathlib.Path, text: str) -> None:
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def write_lesson_pages() -> None:
    """docs/lessons/<slug>.md and <slug>-notes.md per lesson, and the overview's table and tables of
    contents (docs/_lessons_table.md, docs/_lessons_toc.md, included by index.md): the English pages.

    The same files serve every language's build (docs/build.py runs them side by side): a build in
    another language gets its own text of these pages, and of the overview, when Sphinx reads them
    (:func:`_translate_source`), so nothing here depends on the build's language."""
    for c in CATALOGUE:
        _write(DOCS / "lessons" / f"{c.slug}.md", lesson_page(c))
        _write(DOCS / "lessons" / f"{c.slug}-notes.md", notes_page(c))
    _write(DOCS / "_lessons_table.md", lessons_table())
    _write(DOCS / "_lessons_toc.md", lessons_toc())


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
language = QL_LANGUAGE
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "_lessons_table.md", "_lessons_toc.md",
                    "index.*.md",        # the overview in the other languages: read in place of index.md
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
# Furo's sidebar with the language switcher under the site's name (docs/_templates/sidebar/ql-languages.html)
html_sidebars = {"**": ["sidebar/brand.html", "sidebar/ql-languages.html", "sidebar/search.html",
                        "sidebar/scroll-start.html", "sidebar/navigation.html", "sidebar/ethical-ads.html",
                        "sidebar/scroll-end.html", "sidebar/variant-selector.html"]}
html_show_sourcelink = False
html_copy_source = False


# ---- local extension: the lesson embed, docstrings, offline math -------------------------------------

# ``root`` is the site's root (English), also from a page of another language's site: every language
# shares the root's baked runs, live pages and ql-embed.js.  ``extra``: data-texts, the embed's own
# lines in the page's language (PAGE_TEXTS "embed"; none in English).
EMBED_HTML = (
    '<div class="ql-embed" data-lesson="{lesson}" data-baked="{root}/_static/baked/{lesson}.qlb" '
    'data-player="{root}/_static/baked/{lesson}.js" data-live="{root}/_static/live/{lesson}.html" '
    'data-pyodide="{pyodide}"{extra}></div>\n'
    '<script type="module" src="{root}/_static/ql-embed.js"></script>\n'
)

CSS = """
.ql-embed { min-height: 560px; margin: 1.5em 0; }
div.math { overflow-x: auto; }
.ql-languages { display: flex; flex-wrap: wrap; gap: .25em .8em; align-items: baseline;
                margin: 0 var(--sidebar-item-spacing-horizontal, 1rem) .75em; font-size: var(--sidebar-item-font-size, .9em); }
.ql-languages .ql-languages-label { color: var(--color-foreground-secondary); }
.ql-languages .ql-current { font-weight: 600; }
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
elif QL_LANGUAGE != DEFAULT:     # the English site's copy at the root (docs/build.py builds it too)
    mathjax_path = f"../../_static/{MATHJAX_DIR}/tex-chtml.js"


def _write_static(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    static = pathlib.Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    (static / "ql-docs.css").write_text(CSS, encoding="utf-8")
    src = _mathjax_source()
    if src is not None and QL_LANGUAGE == DEFAULT:   # (the other languages use the root's copy)
        # tex-chtml.js loads its fonts and extensions relative to itself
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


_INCLUDE = re.compile(r"```\{include\}\s+(_lessons_table\.md|_lessons_toc\.md)[ \t]*\n```")
_LESSON_DOCS = {f"lessons/{c.slug}": c for c in CATALOGUE}
_NOTES_DOCS = {f"lessons/{c.slug}-notes": c for c in CATALOGUE}


def _translate_source(app, docname, source):
    """This build's language's text of the pages made here and of the overview; a note on the pages
    that stay English (the API reference, the developers' how-tos) in the other languages."""
    lang = QL_LANGUAGE
    if docname in _LESSON_DOCS:
        source[0] = lesson_page(_LESSON_DOCS[docname], lang)
    elif docname in _NOTES_DOCS:
        source[0] = notes_page(_NOTES_DOCS[docname], lang)
    elif docname == "index":
        text = source[0] if lang == DEFAULT else (DOCS / f"index.{lang}.md").read_text(encoding="utf-8")
        made = {"_lessons_table.md": lessons_table(lang), "_lessons_toc.md": lessons_toc(lang)}
        source[0] = _INCLUDE.sub(lambda m: made[m.group(1)], text)
    elif lang != DEFAULT and PAGE_TEXTS[lang]["english_only"]:
        note = f"\n```{{note}}\n{PAGE_TEXTS[lang]['english_only']}\n```\n"
        lines = source[0].split("\n")
        at = next((i + 1 for i, line in enumerate(lines) if line.startswith("# ")), 0)
        source[0] = "\n".join([*lines[:at], note, *lines[at:]])


def _language_links(app, pagename, templatename, context, doctree):
    """The language switcher's links (docs/_templates/sidebar/ql-languages.html): this page in each
    language of the site (English at the root, the others in <lang>/)."""
    up = "../" * (pagename.count("/") + (QL_LANGUAGE != DEFAULT))
    target = app.builder.get_target_uri(pagename)
    context["ql_languages_label"] = PAGE_TEXTS[QL_LANGUAGE]["switcher"]
    context["ql_languages"] = [
        {"code": code, "name": LANGUAGES.get(code, code), "current": code == QL_LANGUAGE,
         "href": up + ("" if code == DEFAULT else f"{code}/") + target}
        for code in QL_SITE_LANGUAGES]


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
            depth = env.docname.count("/") + (QL_LANGUAGE != DEFAULT)     # up to the root's site
            root = "/".join([".."] * depth) if depth else "."
            texts = PAGE_TEXTS[QL_LANGUAGE]["embed"]
            extra = f' data-texts="{html.escape(json.dumps(texts, ensure_ascii=False), quote=True)}"' if texts else ""
            markup = EMBED_HTML.format(lesson=lesson, root=root, pyodide=env.config.ql_pyodide_url, extra=extra)
            return [nodes.raw("", markup, format="html")]

    app.add_directive("ql-embed", LessonEmbed)
    app.connect("source-read", _translate_source)
    app.connect("html-page-context", _language_links)
    app.connect("autodoc-process-docstring", _escape_bars)
    app.connect("build-finished", _write_static)
    return {"parallel_read_safe": True}
