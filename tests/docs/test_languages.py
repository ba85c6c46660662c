"""The documentation site in every language (docs/build.py, docs/conf.py): English at the root, German
and Spanish in de/ and es/, all sharing the root's baked runs and live pages; the live pages know
their language (the worker gets the page's query, Babel comes as a slimmed wheel)."""
from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile

import pytest

from lessons import CATALOGUE
from lessons.common.i18n import LANGUAGES, localized_path, translator
from tests.docs.conftest import ROOT
from tests.docs.test_site import LESSONS, WHEEL, build, plain_lines, text_of

OTHERS = ("de", "es")
#: the overview's sentences and the lessons table's heading in each language (docs/index.<lang>.md,
#: PAGE_TEXTS in docs/conf.py)
OVERVIEW = {"de": ("Interaktive Lektionen zur Quantenphysik", "Lektion was die Lernenden tun",
                   "Lektionen", "Hinweise für Lehrkräfte"),
            "es": ("Lecciones interactivas de física cuántica", "lección qué hace el alumnado",
                   "Lecciones", "Notas para el profesorado")}


def _heading(markdown_path) -> str:
    return markdown_path.read_text("utf-8").splitlines()[0].lstrip("#").strip()


def test_the_site_is_built_in_the_lessons_languages():
    """English first (the root), then every language of the lessons whose site texts exist (a new
    language of LANGUAGES joins once docs/index.<lang>.md and its PAGE_TEXTS entry are written)."""
    conf = build.load_conf()
    languages = conf["site_languages"]()
    assert languages[:3] == ["en", "de", "es"] and set(languages) <= set(LANGUAGES)
    embed_js = (ROOT / "docs" / "_static" / "ql-embed.js").read_text("utf-8")
    block = re.search(r"^const TEXTS = \{\n(.*?)^\}", embed_js, flags=re.M | re.S).group(1)
    keys = set(re.findall(r"^  (\w+): ", block, flags=re.M))
    assert "badge" in keys and "calmBaked" in keys
    for lang in languages[1:]:
        assert set(conf["PAGE_TEXTS"][lang]) == set(conf["PAGE_TEXTS"]["en"]), lang
        assert set(conf["PAGE_TEXTS"][lang]["embed"]) == keys, lang       # every line of the embed


@pytest.mark.parametrize("lang", ["en", *OTHERS])
def test_each_language_has_its_site(built_site, lang):
    site = built_site if lang == "en" else built_site / lang
    for rel in ["index.html", "search.html", "genindex.html", "api/index.html", "howto/translate.html",
                *[f"lessons/{x}.html" for x in LESSONS], *[f"lessons/{x}-notes.html" for x in LESSONS]]:
        page = site / rel
        assert page.is_file(), f"{lang}: {rel}"
        assert re.search(r'<html [^>]*lang="%s"' % lang, page.read_text("utf-8")[:400]), f"{lang}: {rel}"
    # the translation how-to is in every language's how-to table of contents
    assert 'href="howto/translate.html"' in (site / "index.html").read_text("utf-8")
    if lang != "en":       # the shared files are the root's: no second copy of them
        assert not (site / "_static" / "baked").exists() and not (site / "_static" / "live").exists()
        assert not (site / "_static" / "mathjax").exists()
        english_only = text_of(site / "api" / "scattering.html")
        assert {"de": "Diese Seite gibt es nur auf Englisch.",
                "es": "Esta página solo está disponible en inglés."}[lang] in english_only


@pytest.mark.parametrize("lang", OTHERS)
@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_and_notes_pages_are_in_the_language(built_site, lang, lesson):
    card = next(c for c in CATALOGUE if c.slug == lesson)
    tr = translator(lang)
    folder = ROOT / "lessons" / lesson
    page, notes = built_site / lang / "lessons" / f"{lesson}.html", built_site / lang / "lessons" / f"{lesson}-notes.html"
    text, notes_text = text_of(page), text_of(notes)
    lesson_md, model_md = localized_path(folder / "lesson.md", lang), localized_path(folder / "model.md", lang)
    assert lesson_md.name == f"lesson.{lang}.md" and model_md.name == f"model.{lang}.md"
    assert _heading(lesson_md) in text and _heading(model_md) in notes_text
    assert _heading(folder / "lesson.md") not in text          # the English text is not there
    for line in plain_lines(lesson_md.read_text("utf-8"))[:3]:
        assert line in text
    # the page's own words and the card's title in the language
    assert tr.gettext(card.title) in text and tr.gettext(card.description) in text
    assert {"de": "Die Animation oben startet sofort", "es": "La animación de arriba empieza"}[lang] in text
    assert {"de": "Hinweise für Lehrkräfte", "es": "notas para el profesorado"}[lang] in notes_text
    assert f"/{lesson}?lang={lang}" in text
    # the embed's own status lines in the language
    source = page.read_text("utf-8")
    texts = json.loads(html.unescape(re.search(r'data-texts="([^"]+)"', source).group(1)))
    assert texts["badge"] == {"de": "vorberechnet", "es": "precalculada"}[lang]


@pytest.mark.parametrize("lang", OTHERS)
def test_overview_and_lessons_table_are_in_the_language(built_site, lang):
    index = built_site / lang / "index.html"
    text, source = text_of(index), index.read_text("utf-8")
    for words in OVERVIEW[lang]:
        assert words in text, words
    tr = translator(lang)
    for card in CATALOGUE:
        assert f'href="lessons/{card.slug}.html"' in source
        assert tr.gettext(card.name) in text and tr.gettext(card.summary) in text, card.slug
    translated = [c for c in CATALOGUE if tr.gettext(c.summary) != c.summary]
    assert len(translated) >= 4, "the table shows the cards' translations"
    for card in translated:
        assert card.summary not in text


def _switcher_links(page) -> list[tuple[str, str]]:
    nav = re.search(r'<nav class="ql-languages".*?</nav>', page.read_text("utf-8"), flags=re.S)
    assert nav, f"{page}: no language switcher"
    return re.findall(r'<a class="ql-language" href="([^"]+)" hreflang="(\w+)"', nav.group(0))


def test_every_page_has_a_language_switcher_whose_links_resolve(built_site):
    pages = 0
    for lang in ["en", *OTHERS]:
        site = built_site if lang == "en" else built_site / lang
        for page in site.rglob("*.html"):
            parts = page.relative_to(site).parts
            if "_static" in parts or (lang == "en" and parts[0] in OTHERS):
                continue
            links = _switcher_links(page)
            assert sorted(code for _, code in links) == sorted(x for x in ["en", *OTHERS] if x != lang), page
            rel = page.relative_to(site)
            for href, code in links:
                target = (page.parent / href).resolve()
                assert target.is_file(), (page, href)
                other = built_site if code == "en" else built_site / code
                assert target == (other / rel).resolve(), (page, href)       # the same page
            pages += 1
    assert pages > 3 * 2 * len(LESSONS)


@pytest.mark.parametrize("lesson", LESSONS)
def test_embed_of_a_german_page_uses_the_roots_files(built_site, lesson):
    page = built_site / "de" / "lessons" / f"{lesson}.html"
    source = page.read_text("utf-8")
    assert 'data-baked="../../_static/baked/' in source
    for attr, folder in (("data-baked", "baked"), ("data-player", "baked"), ("data-live", "live")):
        rel = re.search(attr + r'="([^"]+)"', source).group(1)
        target = (page.parent / rel).resolve()
        assert target.is_file() and target.parent == (built_site / "_static" / folder).resolve(), (attr, rel)
    script = re.search(r'<script type="module" src="([^"]+ql-embed\.js)"', source).group(1)
    assert (page.parent / script).resolve() == (built_site / "_static" / "ql-embed.js").resolve()
    strings = built_site / "_static" / "baked" / f"{lesson}.strings.json"
    assert json.loads(strings.read_text("utf-8"))["de"]["strings"]["Restart"] == "Neustart"
    # math from the root's MathJax
    mathjax = re.search(r'<script defer="defer" src="([^"]+tex-chtml\.js)"', source).group(1)
    assert (page.parent / mathjax).resolve() == (built_site / "_static" / "mathjax" / "tex-chtml.js").resolve()


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_live_page_starts_its_worker_with_the_pages_query(built_site, lesson):
    page = (built_site / "_static" / "live" / f"{lesson}.html").read_text("utf-8")
    assert f'const pyodideWorker = new Worker("./{lesson}.js" + location.search);' in page
    assert page.count("new Worker(") == 1


def test_add_worker_query_on_panels_template():
    """The edit on Panel's own pyodide handler (what a Panel upgrade could break)."""
    import pathlib

    import panel

    handler = (pathlib.Path(panel.__file__).parent / "_templates" / "pyodide_handler.js").read_text("utf-8")
    out = build.add_worker_query(handler.replace("{{ name }}", "tunneling"), "tunneling")
    assert 'const pyodideWorker = new Worker("./tunneling.js" + location.search);' in out
    with pytest.raises(RuntimeError):
        build.add_worker_query(out, "tunneling")


def test_the_live_pages_install_babel_from_a_slimmed_wheel(built_site):
    live = built_site / "_static" / "live"
    wheel, = live.glob("babel-*-py3-none-any.whl")
    reqs = build.worker_requirements((live / "tunneling.js").read_text("utf-8"))
    assert f"./{wheel.name}" in reqs
    assert wheel.stat().st_size < 1_000_000, wheel.stat().st_size        # the full wheel: 11 MB
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        record = zf.read(next(n for n in names if n.endswith(".dist-info/RECORD"))).decode()
    data = sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("babel/locale-data/") and n.endswith(".dat"))
    assert data == sorted(f"{x}.dat" for x in ("root", *LANGUAGES))
    assert "babel/global.dat" in names and "babel/messages/mofile.py" in names
    assert {row.split(",")[0] for row in record.splitlines() if row} == set(names)


SLIM_BABEL = textwrap.dedent("""
    import sys
    sys.path[:0] = [sys.argv[1], sys.argv[2]]
    import babel
    assert babel.__file__.startswith(sys.argv[1]), babel.__file__
    from babel import Locale
    from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol
    assert (get_decimal_symbol("de"), get_group_symbol("de")) == (",", ".")
    assert get_decimal_symbol("es") == "," and get_decimal_symbol("en") == "."
    assert format_decimal(1234.5, locale="de") == "1.234,5"
    assert [Locale.parse(x).plural_form(n) for x in ("de", "es", "en") for n in (1, 2)] == ["one", "other"] * 3
    from lessons.common.i18n import Translator, choose_language
    de, es = Translator("de"), Translator("es")
    assert de.num(1.5) == "1,5" and es.num(0.25, ".2f") == "0,25" and Translator("en").num(1.5) == "1.5"
    one = de.ngettext("Reveal {n} hidden read-out", "Reveal {n} hidden read-outs", 1).format(n=1)
    two = de.ngettext("Reveal {n} hidden read-out", "Reveal {n} hidden read-outs", 2).format(n=2)
    assert (one, two) == ("1 verborgene Anzeige aufdecken", "2 verborgene Anzeigen aufdecken"), (one, two)
    assert es.ngettext("Reveal {n} hidden read-out", "Reveal {n} hidden read-outs", 2) != "Reveal {n} hidden read-outs"
    # a browser's regional code without locale data in the slimmed wheel still finds its language
    assert choose_language(None, "de-AT,de;q=0.9,en;q=0.5")[0] == "de"
    assert choose_language(None, "es-MX")[0] == "es" and choose_language(None, "fr-FR")[0] == "en"
    assert choose_language("de-CH")[0] == "de"
    print("ok")
""")


def test_the_slimmed_babel_has_the_numbers_and_plurals_of_every_language(built_site, tmp_path):
    wheel, = (built_site / "_static" / "live").glob("babel-*-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(tmp_path / "site")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", SLIM_BABEL, str(tmp_path / "site"), str(ROOT)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stdout + done.stderr[-3000:]


def test_the_project_wheel_carries_every_catalogue_compiled(built_site):
    """The wheel's catalogues: each package's .po and a .mo compiled from it (the work tree's .mo
    files are not in git; docs/build.py compiles them in its copy of the sources)."""
    import io

    from babel.support import Translations

    with zipfile.ZipFile(built_site / "_static" / "live" / WHEEL) as zf:
        names = set(zf.namelist())
        for package in sorted((ROOT / "lessons").glob("*/locale")):
            for lang in (x for x in LANGUAGES if x != "en"):
                po = f"lessons/{package.parent.name}/locale/{lang}/LC_MESSAGES/messages.po"
                if not (ROOT / po).is_file():
                    continue
                assert po in names and po[:-3] + ".mo" in names, po
        mo = Translations(io.BytesIO(zf.read("lessons/common/locale/de/LC_MESSAGES/messages.mo")))
    assert mo.gettext("Restart") == "Neustart"
