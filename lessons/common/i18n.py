"""Lessons in the students' own language: gettext catalogues (managed with Babel), one translator per
session, numbers written the locale's way, and a pseudo-locale that shows what escaped translation.

Every string a student or teacher sees is an English ``msgid`` looked up in a gettext catalogue.
Each lesson package keeps its own catalogue beside its code (``lessons/<slug>/locale/<lang>/
LC_MESSAGES/messages.po``, compiled to ``.mo`` by ``make catalogs``), and so does the shared
framework (``lessons/common/locale``); a language's translations of all of them are merged once per
process and shared read-only by the sessions in that language.  Nothing is installed process-wide
(no ``gettext.install``): a page gets its :class:`Translator` from its link or its browser
(:func:`choose_language`) and hands it to its model and view, so one server serves every language
at once.

In code:

- ``tr._("Disorder W")`` (or ``tr.gettext``) where a string is shown; ``tr.ngettext(singular,
  plural, n)`` where it counts; placeholders are ``str.format`` names: ``tr._("{n} sites").format(n=…)``;
- ``N_("...")`` marks a string defined before any session exists (a module's table of card titles,
  scene names): it returns the string unchanged, Babel's extraction finds it, and the view
  translates it when it shows it (``tr._(label)``);
- ``tr.num(x, ".3g")`` writes a number with the locale's decimal sign (``0,25`` in German); data a
  program reads (CSV, links) keep the dot;
- in a player's JavaScript, ``_("Play")`` and ``num(x, digits)`` (lessons/common/pieces.js): the
  page sends the session's translations of every ``_("...")`` in the player's module
  (:meth:`Translator.js_strings`).

The pseudo-locale ``qps`` wraps every translated string in ⟦ ⟧: English left unwrapped on a page
opened with ``?lang=qps`` escaped translation (tests/ui/test_i18n_ui.py looks for it).

Adding a language: docs/howto/translate.md.  Views and models only; no Panel import.
"""
from __future__ import annotations

import ast
import functools
import io
import pathlib
import re
from typing import Iterable

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import get_decimal_symbol, get_group_symbol
from babel.support import NullTranslations, Translations

__all__ = ["N_", "Translator", "translator", "LANGUAGES", "PSEUDO", "DEFAULT", "choose_language",
           "parse_accept_language", "catalogue_dirs", "extract_js", "pseudo_markdown", "js_messages", "localized_path"]

#: The languages the lessons are translated into: code -> the language's name in itself.
LANGUAGES = {"en": "English", "de": "Deutsch", "es": "Español"}
#: The pseudo-locale: every translated string wrapped in ⟦ ⟧ (finds strings that escaped translation).
PSEUDO = "qps"
#: A page with no language asked for, and a browser that names none we have, is in English.
DEFAULT = "en"
#: What the pseudo-locale wraps a translated string in.
WRAP = ("⟦", "⟧")

_LESSONS = pathlib.Path(__file__).resolve().parents[1]
_CODE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$")


def N_(message: str) -> str:
    """Mark ``message`` for translation where no session exists yet; returns it unchanged."""
    return message


def catalogue_dirs() -> list[pathlib.Path]:
    """The ``locale`` folders of the framework and of every lesson package (framework first)."""
    return [_LESSONS / "common" / "locale",
            *sorted(p for p in _LESSONS.glob("*/locale") if p.parent.name != "common")]


def _load(path_po: pathlib.Path) -> Translations:
    """One catalogue: its compiled ``.mo`` if that is up to date, else the ``.po`` compiled in memory
    (a working copy whose catalogues were edited since ``make catalogs``)."""
    mo = path_po.with_suffix(".mo")
    if mo.is_file() and mo.stat().st_mtime >= path_po.stat().st_mtime:
        with mo.open("rb") as fp:
            return Translations(fp)
    with path_po.open("rb") as fp:
        catalog = read_po(fp)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf)


@functools.lru_cache(maxsize=None)
def _translations(lang: str, own: str | None = None):
    """Every catalogue of ``lang`` merged into one table (shared read-only by the sessions in that
    language); the package ``own`` (a lesson's page) last, so where two packages translate one
    msgid differently its page shows its own."""
    merged = None
    folders = catalogue_dirs()
    folders = [f for f in folders if f.parent.name != own] + [f for f in folders if f.parent.name == own]
    for folder in folders:
        po = folder / lang / "LC_MESSAGES" / "messages.po"
        if not po.is_file():
            continue
        one = _load(po)
        if merged is None:
            merged = one
        else:
            merged.merge(one)
    return merged if merged is not None else NullTranslations()


_JS_CALL = re.compile(r"""(?<![\w$.])(N_|_)\(\s*("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')""")


def extract_js(fileobj, keywords, comment_tags, options):
    """Babel extraction method for the players' JavaScript (``babel.cfg``): every ``_("...")`` and
    ``N_("...")`` whose first argument is a string literal, also inside template literals and nested
    calls (where Babel's own JavaScript extractor, 2.19, misses some)."""
    # comment lines name these calls in their explanations: not strings a page shows
    text = re.sub(r"(?m)^\s*//.*$", "", fileobj.read().decode("utf-8"))
    for match in _JS_CALL.finditer(text):
        literal = match.group(2)
        message = ast.literal_eval(literal)
        yield text.count("\n", 0, match.start()) + 1, match.group(1), message, []


def js_messages(source: str) -> tuple[str, ...]:
    """The msgids of ``_("...")`` and ``N_("...")`` calls in JavaScript ``source`` (:func:`extract_js`,
    as ``make catalogs`` runs it)."""
    found = [m for _l, _f, m, _c in extract_js(io.BytesIO(source.encode("utf-8")), None, None, None) if m]
    return tuple(dict.fromkeys(found))


class Translator:
    """The strings and numbers of one language (a session's; :func:`translator` shares them).

    Parameters
    ----------
    lang : str
        A code of :data:`LANGUAGES` or :data:`PSEUDO`.
    own : str, optional
        The lesson package whose page it translates: its catalogue wins where another package
        translates the same msgid differently.
    """

    def __init__(self, lang: str = DEFAULT, own: str | None = None):
        if lang not in LANGUAGES and lang != PSEUDO:
            raise ValueError(f"no translation {lang!r} (known: {', '.join(LANGUAGES)}, {PSEUDO})")
        self.lang = lang
        self.pseudo = lang == PSEUDO
        self.locale = Locale.parse("en" if self.pseudo else lang)
        self._t = NullTranslations() if lang == DEFAULT or self.pseudo else _translations(lang, own)
        self.decimal = "," if self.pseudo else get_decimal_symbol(self.locale)
        self.group = get_group_symbol(self.locale)

        self.own = own

    def __repr__(self) -> str:
        return f"Translator({self.lang!r})" if self.own is None else f"Translator({self.lang!r}, {self.own!r})"

    # ---- strings -----------------------------------------------------------------------------------------
    def gettext(self, message: str) -> str:
        """``message`` in this language (the English itself where the catalogue has none)."""
        if self.pseudo:
            return f"{WRAP[0]}{message}{WRAP[1]}" if message else message
        return self._t.gettext(message) if message else message

    _ = gettext

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The form of ``singular``/``plural`` for the count ``n`` (the language's plural rule)."""
        if self.pseudo:
            return f"{WRAP[0]}{singular if n == 1 else plural}{WRAP[1]}"
        return self._t.ngettext(singular, plural, n)

    def js_strings(self, messages: Iterable[str]) -> dict[str, str]:
        """The translations a page's JavaScript needs: msgid -> text, only those that differ."""
        out = {}
        for m in messages:
            t = self.gettext(m)
            if t != m:
                out[m] = t
        return out

    # ---- numbers -----------------------------------------------------------------------------------------
    def num(self, value, spec: str = ".3g") -> str:
        """``value`` formatted by Python's ``spec`` with the locale's decimal sign (and group sign,
        where ``spec`` asks for grouping with ``,``).

        Examples
        --------
        >>> translator("de").num(0.25, ".2f"), translator("en").num(1234.5, ",.1f")
        ('0,25', '1,234.5')
        """
        text = format(value, spec)
        if self.decimal == "." and self.group == ",":
            return text
        return text.translate({ord("."): self.decimal, ord(","): self.group})

    def localized(self, text: str) -> str:
        """``text`` (numbers already written with a dot, e.g. :func:`lessons.common.text.sci`) with
        this locale's decimal sign between digits."""
        if self.decimal == ".":
            return text
        return re.sub(r"(?<=\d)\.(?=\d)", self.decimal, text)

    # ---- lesson texts --------------------------------------------------------------------------------------
    def text_path(self, path: pathlib.Path) -> pathlib.Path:
        """``lesson.md`` -> ``lesson.<lang>.md`` if that file exists, else ``path`` (English)."""
        return localized_path(path, self.lang)

    def markdown(self, path: pathlib.Path) -> str:
        """The Markdown of ``path`` in this language (:meth:`text_path`; the pseudo-locale wraps the
        English text's lines, :func:`pseudo_markdown`)."""
        text = self.text_path(path).read_text(encoding="utf-8")
        return pseudo_markdown(text) if self.pseudo else text


def localized_path(path: pathlib.Path, lang: str) -> pathlib.Path:
    """``dir/name.md`` -> ``dir/name.<lang>.md`` where it exists (English otherwise)."""
    path = pathlib.Path(path)
    if lang and lang != DEFAULT:
        candidate = path.with_name(f"{path.stem}.{lang}{path.suffix}")
        if candidate.is_file():
            return candidate
    return path


_MD_PREFIX = re.compile(r"^(\s*(?:#{1,6}\s+|[-*+]\s+|\d+\.\s+|>\s*)*)(.*)$")
#: inline markup a run of text ends at: emphasis, code, inline math, HTML tags
_MD_INLINE = re.compile(r"(\*\*|\*|`[^`\n]*`|\$[^$\n]+\$|<[^>\n]+>)")


def _wrap_runs(body: str) -> str:
    """Each run of text between inline markup wrapped on its own (a page shows each as a text node)."""
    out = []
    for part in _MD_INLINE.split(body):
        if not part.strip() or _MD_INLINE.fullmatch(part):
            out.append(part)
        else:
            core = part.strip()
            out.append(part[:len(part) - len(part.lstrip())] + WRAP[0] + core + WRAP[1] + part[len(part.rstrip()):])
    return "".join(out)


def pseudo_markdown(text: str) -> str:
    """Markdown with each run of text wrapped in ⟦ ⟧ (in headings, list items, paragraphs and tables,
    between emphasis, code, inline math and tags; display equations and table rules untouched): the
    pseudo-locale's lesson text."""
    out, in_math = [], False
    for line in text.split("\n"):
        stripped = line.strip()
        if in_math:                         # inside a $$ ... $$ block: up to the line ending it
            in_math = not stripped.endswith("$$")
            out.append(line)
            continue
        if stripped.startswith("$$"):       # a display equation: one line, or the first of a block
            in_math = stripped == "$$" or not (len(stripped) > 4 and stripped.endswith("$$"))
            out.append(line)
            continue
        if not stripped or set(stripped) <= set("|-: ") or stripped.startswith(("<", "```")):
            out.append(line)
            continue
        if stripped.startswith("|"):        # a table row: each cell on its own
            out.append("|".join(_wrap_runs(cell) if cell.strip() else cell for cell in line.split("|")))
            continue
        head, body = _MD_PREFIX.match(line).groups()
        out.append(f"{head}{_wrap_runs(body)}" if body else line)
    return "\n".join(out)


@functools.lru_cache(maxsize=None)
def translator(lang: str = DEFAULT, own: str | None = None) -> Translator:
    """The :class:`Translator` of ``lang`` for the pages of the package ``own`` (one per language and
    package in a process, shared by their sessions: it holds nothing of any session)."""
    return Translator(lang, own)


def parse_accept_language(header: str | None) -> list[str]:
    """The language codes of an HTTP ``Accept-Language`` header, most wanted first.

    >>> parse_accept_language("de-CH,de;q=0.9,en;q=0.8")
    ['de-CH', 'de', 'en']
    """
    wanted = []
    for i, part in enumerate(str(header or "").split(",")[:32]):
        code, _, params = part.strip().partition(";")
        code = code.strip()
        if not code or code == "*" or not _CODE.match(code):
            continue
        q = 1.0
        if "q" in params:                 # a weight that is no number drops its language
            m = re.fullmatch(r"\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*", params)
            q = float(m.group(1)) if m else 0.0
        if q > 0:
            wanted.append((-q, i, code))
    return [code for _q, _i, code in sorted(wanted)]


def _base(code: str) -> str:
    try:
        return Locale.parse(code.replace("-", "_")).language
    except (ValueError, UnknownLocaleError):
        return code.split("-")[0].split("_")[0].lower()


def choose_language(asked: str | None, accept_language: str | None = None) -> tuple[str, str | None]:
    """The page's language and, when the link asked for one we do not have, a notice (in English;
    the page translates it).

    ``asked`` is the link's ``lang`` (None: not given); else the browser's ``Accept-Language``
    decides; else English.  A regional code takes its language (``de-AT`` -> ``de``).

    Returns
    -------
    (code, notice) : tuple
        ``code`` in :data:`LANGUAGES` or :data:`PSEUDO`; ``notice`` None, or a message template with
        ``{asked}``, ``{known}`` and ``{used}`` fields.
    """
    if asked is not None:
        asked = asked.strip()
        if asked == PSEUDO or asked in LANGUAGES:
            return asked, None
        if asked and _CODE.match(asked) and _base(asked) in LANGUAGES:
            return _base(asked), None
    for code in parse_accept_language(accept_language):
        base = _base(code)
        if base in LANGUAGES:
            chosen = base
            break
    else:
        chosen = DEFAULT
    if asked is None or asked == "":
        return chosen, None
    return chosen, N_("'lang={asked}' is not a language of these lessons ({known}): showing {used}.")
