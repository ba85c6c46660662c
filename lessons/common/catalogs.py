"""The translation catalogues of the lessons, managed with Babel: extract, update, compile, check.

Each lesson package (and the shared framework, ``lessons/common``) keeps its catalogue beside its
code: ``locale/messages.pot`` (the English msgids, extracted) and ``locale/<lang>/LC_MESSAGES/
messages.po`` per language, compiled to ``messages.mo``.  Run as a module::

    python -m lessons.common.catalogs update [package ...]   # extract the strings, update each .po
    python -m lessons.common.catalogs compile                # .po -> .mo (make install does this)
    python -m lessons.common.catalogs init fr                # start a new language: a .po per package
    python -m lessons.common.catalogs check [package ...]    # what is untranslated, per language

``make messages`` and ``make catalogs`` run the first two.  How a teacher adds a language:
docs/howto/translate.md.
"""
from __future__ import annotations

import io
import pathlib
import sys

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from lessons.common.i18n import LANGUAGES, DEFAULT

__all__ = ["packages", "extract", "update", "compile_all", "init", "missing", "KEYWORDS"]

ROOT = pathlib.Path(__file__).resolve().parents[2]
LESSONS = ROOT / "lessons"
#: the translating calls (Babel's defaults plus N_, which marks a string for later)
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def packages() -> list[pathlib.Path]:
    """The framework's folder and every lesson package's (each has its own catalogue)."""
    return [LESSONS / "common", *sorted(p for p in LESSONS.iterdir()
                                         if p.is_dir() and (p / "__init__.py").is_file() and p.name != "common")]


def _po_path(package: pathlib.Path, lang: str) -> pathlib.Path:
    return package / "locale" / lang / "LC_MESSAGES" / "messages.po"


def extract(package: pathlib.Path) -> Catalog:
    """Every translatable string of ``package`` (its Python and its JavaScript), as a template."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fp:
        method_map, options_map = parse_mapping_cfg(fp)
    catalog = Catalog(project="Quantum Lessons", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(package), method_map, options_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True):
        if package.name == "common" and "/locale/" in filename:
            continue
        catalog.add(message, None, [(f"{package.name}/{filename}", lineno)], auto_comments=comments, context=context)
    return catalog


def _write(path: pathlib.Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    write_po(buf, catalog, width=100, no_location=True, omit_header=False, sort_output=True, include_previous=False)
    path.write_bytes(buf.getvalue())


def update(langs=None, only=None) -> None:
    """Extract every package's strings (or those named in ``only``) into its ``messages.pot`` and
    update each language's ``.po`` (new msgids untranslated, vanished ones dropped)."""
    for package in packages():
        if only and package.name not in only:
            continue
        template = extract(package)
        if not len(template):
            continue
        _write(package / "locale" / "messages.pot", template)
        for lang in langs or [lang for lang in LANGUAGES if lang != DEFAULT]:
            path = _po_path(package, lang)
            if path.is_file():
                with path.open("rb") as fp:
                    catalog = read_po(fp, locale=lang)
            else:
                catalog = Catalog(locale=lang, project="Quantum Lessons", fuzzy=False)
            catalog.update(template, no_fuzzy_matching=True)
            catalog.obsolete.clear()
            _write(path, catalog)


def init(lang: str) -> None:
    """Start the language ``lang``: an untranslated ``.po`` in every package."""
    update([lang])


def compile_all(lessons: pathlib.Path | None = None) -> int:
    """Compile every ``.po`` into its ``.mo`` (of the work tree's ``lessons/``, or of the ``lessons``
    folder given: docs/build.py compiles its copy of the sources); returns how many."""
    n = 0
    folders = packages() if lessons is None else sorted(p for p in pathlib.Path(lessons).iterdir() if p.is_dir())
    for package in folders:
        for po in sorted((package / "locale").glob("*/LC_MESSAGES/messages.po")):
            with po.open("rb") as fp:
                catalog = read_po(fp)
            with po.with_suffix(".mo").open("wb") as out:
                write_mo(out, catalog, use_fuzzy=False)
            n += 1
    return n


def missing(lang: str, only=None) -> dict[str, list[str]]:
    """Per package (or those named in ``only``), the msgids with no (or only a fuzzy) translation into ``lang``."""
    out = {}
    for package in packages():
        if only and package.name not in only:
            continue
        template = extract(package)
        path = _po_path(package, lang)
        have = {}
        if path.is_file():
            with path.open("rb") as fp:
                have = {m.id: m for m in read_po(fp, locale=lang) if m.id}
        gone = []
        for message in template:
            if not message.id:
                continue
            got = have.get(message.id)
            strings = got.string if got is not None else None
            if got is None or got.fuzzy or not strings or (isinstance(strings, (tuple, list)) and not all(strings)):
                gone.append(message.id if isinstance(message.id, str) else message.id[0])
        if gone:
            out[package.name] = gone
    return out


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update(only=argv[1:] or None)
    elif command == "compile":
        print(f"compiled {compile_all()} catalogues")
    elif command == "init" and len(argv) == 2:
        init(argv[1])
    elif command == "check":
        bad = 0
        for lang in [lang for lang in LANGUAGES if lang != DEFAULT]:
            for package, ids in missing(lang, argv[1:] or None).items():
                bad += len(ids)
                print(f"{lang} {package}: {len(ids)} untranslated, e.g. {ids[0]!r}")
        return 1 if bad else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
