"""Languages with no browser: choosing a page's language, the translator, the catalogues and the texts.

The catalogues are checked against the code itself: every string the code marks (Python and the
players' JavaScript) has a translation in every language of ``LANGUAGES``, every translation keeps
its placeholders, and no marked string hides where Babel's extraction cannot see it.
"""
from __future__ import annotations

import ast
import builtins
import pathlib
import re
import string
import sys
import types

import panel as pn
import pytest
from babel.messages.pofile import read_po

from lessons import CATALOGUE
from lessons.common import catalogs
from lessons.common.classroom import Classroom, ClassroomBar
from lessons.common.i18n import (DEFAULT, LANGUAGES, PSEUDO, Translator, choose_language, js_messages,
                                 localized_path, parse_accept_language, pseudo_markdown, translator)
from lessons.common.page import page_language
from lessons.common.text import sci

ROOT = pathlib.Path(__file__).resolve().parents[2]
TRANSLATED = [lang for lang in LANGUAGES if lang != DEFAULT]


# ---- choosing the language ------------------------------------------------------------------------------

@pytest.mark.parametrize("asked, accept, expected, noticed", [
    (None, None, "en", False),
    (None, "de-CH,de;q=0.9,en;q=0.8", "de", False),
    (None, "fr-FR,fr;q=0.9,es;q=0.5", "es", False),          # the first language we have
    (None, "fr, it;q=0.8", "en", False),
    ("es", "de", "es", False),                                 # the link wins
    ("de-AT", None, "de", False),                              # a region takes its language
    ("qps", None, "qps", False),
    ("xx", "de", "de", True),                                  # unknown: the browser's, with a notice
    ("<script>", None, "en", True),
    ("", "es", "es", False),                                   # an empty lang= is no request
])
def test_a_page_language_comes_from_the_link_then_the_browser_then_english(asked, accept, expected, noticed):
    lang, notice = choose_language(asked, accept)
    assert lang == expected
    assert (notice is not None) == noticed


def test_accept_language_is_read_by_weight_and_junk_is_ignored():
    assert parse_accept_language("en;q=0.5, de-DE;q=0.9, es") == ["es", "de-DE", "en"]
    assert parse_accept_language("de;q=0, *;q=0.1, <x>, es;q=abc") == []
    assert parse_accept_language(None) == [] and parse_accept_language("") == []
    assert len(parse_accept_language(",".join(["de"] * 1000))) <= 32


def test_a_link_with_an_unknown_language_gets_a_notice_in_the_language_chosen():
    tr, notices = page_language({"lang": [b"klingon"]}, {"Accept-Language": "es-MX,es;q=0.9"})
    assert tr.lang == "es"
    assert len(notices) == 1 and "lang=klingon" in notices[0] and "Español" in notices[0]
    assert notices[0] == translator("es").gettext(
        "'lang={asked}' is not a language of these lessons ({known}): showing {used}.").format(
        asked="klingon", known="en, de, es", used="Español")
    assert page_language({}, {"accept-language": "de"})[0].lang == "de"   # header names are case-blind


# ---- the translator --------------------------------------------------------------------------------------

def test_numbers_are_written_the_locales_way():
    de, es, en = translator("de"), translator("es"), translator("en")
    assert de.num(0.25, ".2f") == "0,25" and es.num(0.25, ".2f") == "0,25" and en.num(0.25, ".2f") == "0.25"
    assert de.num(1234567.5, ",.1f") == "1.234.567,5"
    assert en.num(1234567.5, ",.1f") == "1,234,567.5"
    assert de.num(3, "d") == "3"
    assert de.localized(sci(1.55e-3)) == "1,55\u202f×\u202f10⁻³"
    assert de.localized("v1.2 of 3.5 m") == "v1,2 of 3,5 m"
    assert en.localized("3.5") == "3.5"


def test_plural_forms_follow_each_language():
    msg = ("Reveal {n} hidden read-out", "Reveal {n} hidden read-outs")
    de, es = translator("de"), translator("es")
    assert de.ngettext(*msg, 1).format(n=1) == "1 verborgene Anzeige aufdecken"
    assert de.ngettext(*msg, 2).format(n=2) == "2 verborgene Anzeigen aufdecken"
    assert es.ngettext(*msg, 1).format(n=1) == "Mostrar 1 lectura oculta"
    assert es.ngettext(*msg, 5).format(n=5) == "Mostrar 5 lecturas ocultas"
    assert es.ngettext(*msg, 1_000_000).format(n=1_000_000).endswith("lecturas ocultas")


def test_the_pseudo_locale_wraps_every_string_and_english_is_the_msgid():
    q = translator(PSEUDO)
    assert q.gettext("Play") == "⟦Play⟧" and q.ngettext("a", "b", 2) == "⟦b⟧" and q.gettext("") == ""
    assert translator("en").gettext("Play") == "Play"
    assert translator("de").gettext("Play") == "Abspielen"
    assert translator("de").gettext("a string no catalogue has") == "a string no catalogue has"
    assert q.js_strings(["Play", "Pause"]) == {"Play": "⟦Play⟧", "Pause": "⟦Pause⟧"}
    assert translator("en").js_strings(["Play"]) == {}          # English sends nothing
    with pytest.raises(ValueError, match="no translation"):
        Translator("xx")


def test_a_translator_is_shared_per_language_and_nothing_is_installed_process_wide():
    assert translator("de") is translator("de") and translator("de") is not translator("es")
    assert not hasattr(builtins, "_")                           # no gettext.install()


def test_pseudo_markdown_wraps_text_and_leaves_equations():
    text = ("## Title\n\nA line with $x$ and **bold** words.\n\n$$\nE = \\hbar\\omega\n$$\n\n- item\n1. first\n"
            "$$ a = b $$\n| a | b |\n|---|---|")
    out = pseudo_markdown(text).split("\n")
    assert out[0] == "## ⟦Title⟧" and out[2] == "⟦A line with⟧ $x$ ⟦and⟧ **⟦bold⟧** ⟦words.⟧"
    assert out[4:7] == ["$$", "E = \\hbar\\omega", "$$"]
    assert out[8] == "- ⟦item⟧" and out[9] == "1. ⟦first⟧" and out[10] == "$$ a = b $$"
    assert out[11] == "| ⟦a⟧ | ⟦b⟧ |" and out[12] == "|---|---|"


def test_javascript_strings_are_found_in_templates_nested_calls_and_not_in_comments():
    source = ('// a comment naming _("Not this")\n'
              'const h = `<b title="${_("In a template")}">${_("Too")}</b>`\n'
              'clear(g, _(L.waiting || N_("Nested")))\n'
              'const k = {name: N_("Marked")}, s = _(\'single\\\'s\')\n'
              'xs.map((_, i) => i)\n')
    assert js_messages(source) == ("In a template", "Too", "Nested", "Marked", "single's")


# ---- the catalogues against the code ---------------------------------------------------------------------

def _po(package: pathlib.Path, lang: str):
    with (package / "locale" / lang / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        return read_po(fp, locale=lang)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_marked_string_is_translated(lang):
    missing = catalogs.missing(lang)
    assert missing == {}, f"untranslated into {lang} (python -m lessons.common.catalogs check): " + "; ".join(
        f"{pkg}: {len(ids)}, e.g. {ids[:3]}" for pkg, ids in missing.items())


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_their_placeholders_and_add_no_markup(lang):
    bad = []
    for package in catalogs.packages():
        if not (package / "locale" / lang).is_dir():
            continue
        for m in _po(package, lang):
            if not m.id or not m.string:
                continue
            ids = [m.id] if isinstance(m.id, str) else list(m.id)
            strs = [m.string] if isinstance(m.string, str) else [s for s in m.string if s]
            allowed = set().union(*(_fields(i) for i in ids))
            for s in strs:
                try:
                    fields = _fields(s)
                    s.format(**{f: 1 for f in fields})
                except (ValueError, KeyError, IndexError) as err:
                    bad.append(f"{package.name}: {s!r}: {err}")
                    continue
                markup = {ch for ch in '<>&"`' if ch in s and not any(ch in i for i in ids)}
                if markup:       # translations go into the players' markup (tests/test_security.py)
                    bad.append(f"{package.name}: {s!r} carries {markup}, which its English lacks")
                if not fields <= allowed:
                    bad.append(f"{package.name}: {s!r} has {fields - allowed} that {ids[0]!r} lacks")
                if isinstance(m.id, str) and fields != allowed:
                    bad.append(f"{package.name}: {s!r} drops {allowed - fields} of {m.id!r}")
    assert bad == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_a_lesson_page_shows_its_own_translation_of_a_string_another_package_shares(lang):
    """A language's catalogues are merged into one table; where two packages translate one msgid
    differently, a lesson's page shows its own (the other lessons' pages theirs)."""
    tables = {}
    for package in catalogs.packages():
        if (package / "locale" / lang).is_dir():
            tables[package.name] = {m.id: m.string for m in _po(package, lang) if isinstance(m.id, str) and m.id and m.string}
    checked = 0
    for own, table in tables.items():
        if own == "common":
            continue
        tr = translator(lang, own)
        for msgid, text in table.items():
            assert tr.gettext(msgid) == text, (own, msgid)
            checked += 1
    assert checked > 100
    assert translator(lang, "anderson").gettext("Restart") == tables["common"]["Restart"]


_CALLS = {"_", "N_", "gettext", "ngettext"}


def _literal_msgids(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name in _CALLS:
                found.add(node.args[0].value)
    return found


@pytest.mark.parametrize("package", catalogs.packages(), ids=lambda p: p.name)
def test_no_marked_string_hides_from_the_extraction(package):
    """Babel (Python 3.11) cannot see a call inside an f-string: such a string would never reach a
    catalogue and stay English in every language."""
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogs.extract(package) if m.id}
    in_code = set()
    for path in package.rglob("*.py"):
        in_code |= _literal_msgids(ast.parse(path.read_text(encoding="utf-8")))
    assert in_code - extracted == set()


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.parametrize("slug", [c.slug for c in CATALOGUE])
def test_lesson_texts_and_teacher_notes_exist_with_the_same_equations(slug, lang):
    folder = ROOT / "lessons" / slug
    for name in ("lesson.md", "model.md"):
        english = (folder / name).read_text(encoding="utf-8")
        path = localized_path(folder / name, lang)
        assert path.name == name.replace(".md", f".{lang}.md"), f"no {path.name} in {lang}"
        text = path.read_text(encoding="utf-8")
        assert text.count("$$") == english.count("$$"), f"{slug}/{path.name}: display equations differ"
        assert len(re.findall(r"(?m)^#{2,3} ", text)) == len(re.findall(r"(?m)^#{2,3} ", english)), \
            f"{slug}/{path.name}: sections differ (lecture mode makes its slides from them)"


# ---- pages and models in a language ----------------------------------------------------------------------

def test_link_notices_are_written_in_the_pages_language():
    from lessons.tunneling.model import TunnelingModel

    import param
    name = next(q for q, p in TunnelingModel.query_names.items() if isinstance(TunnelingModel.param[p], param.Number))
    model = TunnelingModel.from_query({name: [b"abc"]}, tr=translator("de"))
    assert len(model.notices) == 1 and "ist keine Zahl" in model.notices[0]
    default = TunnelingModel.param[TunnelingModel.query_names[name]].default
    assert translator("de").num(default, "g") in model.notices[0]
    _classroom, notices = Classroom.from_query({"slide": [b"zwei"]}, {}, translator("es"))
    assert notices == ["'slide=zwei' no es un número de diapositiva: se muestra la diapositiva 1."]


def test_the_reveal_button_counts_in_the_pages_language():
    bar = ClassroomBar(hidden=["a", "b"], tr=translator("de"))
    assert bar.reveal_text == "2 verborgene Anzeigen aufdecken"
    bar.hidden = ["a"]
    assert bar.reveal_text == "1 verborgene Anzeige aufdecken"
    assert bar.strings["Copy link"] == "Link kopieren" and bar.profiles["projector"] == "Beamer"


def test_two_pages_in_one_process_each_keep_their_language():
    from lessons.tunneling.model import TunnelingModel
    from lessons.tunneling.view import TunnelingView
    from lessons.common.page import lesson_app

    de = lesson_app("Tunnelling", TunnelingModel, TunnelingView, args={"lang": [b"de"]})
    en = lesson_app("Tunnelling", TunnelingModel, TunnelingView, args={})
    es = lesson_app("Tunnelling", TunnelingModel, TunnelingView, args={"lang": [b"es"]})
    assert (de.ql_tr.lang, en.ql_tr.lang, es.ql_tr.lang) == ("de", "en", "es")
    assert de.ql_view.player.strings["Restart"] == "Neustart"
    assert es.ql_view.player.strings["Restart"] == "Reiniciar" and es.ql_view.player.decimal == ","
    assert en.ql_view.player.strings == {} and en.ql_view.player.decimal == "."
    assert de.ql_bar.strings["Lecture mode"] == "Vortragsmodus"
    for page in (de, en, es):
        page.ql_view.stop()


def test_the_gallery_is_in_the_visitors_language():
    from lessons.common.gallery import gallery_app

    page = gallery_app({}, {"Accept-Language": "de-DE,de;q=0.9"})
    assert page.ql_tr.lang == "de"
    html = "".join(str(p.object) for p in page.main.objects if hasattr(p, "object"))
    assert "Interaktive Lektionen" in html
    for card in CATALOGUE:
        assert translator("de").gettext(card.title) in html
    page = gallery_app({"lang": [b"es"]}, {})
    html = "".join(str(p.object) for p in page.main.objects if hasattr(p, "object"))
    assert 'href="./tunneling?lang=es"' in html       # the cards keep the language asked for


def test_a_pyodide_page_reads_its_link_and_browser_language(monkeypatch):
    """In Pyodide Panel gives a page no link arguments; session_request reads the browser's."""
    from lessons.common import workarounds

    fake = types.SimpleNamespace(location=types.SimpleNamespace(search="?lang=es&W=3"),
                                 navigator=types.SimpleNamespace(languages=["de-DE", "de"], language="de-DE"))
    monkeypatch.setitem(sys.modules, "js", fake)
    monkeypatch.setattr(type(pn.state), "_is_pyodide", property(lambda self: True))
    monkeypatch.setattr(type(pn.state), "curdoc", property(lambda self: object()))
    args, headers = workarounds.session_request()
    assert args == {"lang": [b"es"], "W": [b"3"]}
    assert headers == {"Accept-Language": "de-DE,de"}
    assert page_language(*workarounds.session_request())[0].lang == "es"


@pytest.mark.parametrize("slug", [c.slug for c in CATALOGUE])
def test_a_german_page_writes_slider_values_and_axis_ticks_with_a_comma(slug):
    """Bokeh writes numbers in English (its numbro knows no other language): on a German page every
    float slider and every linear axis or colour bar built so far gets the decimal comma, an English
    page keeps Bokeh's own formats."""
    import importlib

    from bokeh.models import BasicTickFormatter, CustomJSTickFormatter
    from lessons.common.page import lesson_app

    view_mod = importlib.import_module(f"lessons.{slug}.view")
    view_cls = next(v for v in vars(view_mod).values()
                    if isinstance(v, type) and v.__module__ == view_mod.__name__ and hasattr(v, "MODEL") and v.MODEL.__module__.startswith(f"lessons.{slug}"))
    pages = {lang: lesson_app("x", view_cls.MODEL, view_cls, args={"lang": [lang.encode()]}) for lang in ("de", "en")}
    try:
        found = {}
        for lang, page in pages.items():
            objects = [*page.ql_main, *page.sidebar]
            sliders = [w for o in objects for w in o.select(pn.widgets.FloatSlider)]
            figures = [p.object for o in objects for p in o.select(pn.pane.Bokeh) if hasattr(p.object, "axis")]
            rulers = [a for f in figures for a in f.axis if type(a.formatter) in (BasicTickFormatter, CustomJSTickFormatter)]
            found[lang] = (sliders, rulers)
        sliders, rulers = found["de"]
        assert sliders, "no float slider on the page"
        for s in sliders:
            assert isinstance(s.format, CustomJSTickFormatter) and s.format.args["sign"] == ",", s.name
        for a in rulers:
            assert isinstance(a.formatter, CustomJSTickFormatter), a
        sliders, rulers = found["en"]
        assert all(s.format is None or isinstance(s.format, str) for s in sliders)
        assert not any(isinstance(a.formatter, CustomJSTickFormatter) and "sign" in a.formatter.args for a in rulers)
    finally:
        for page in pages.values():
            page.ql_view.stop()
