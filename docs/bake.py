"""Bake each lesson's default animation for the documentation site (``python docs/bake.py OUTDIR``).

Why: the docs embed every lesson live through Pyodide, which takes many seconds to start and needs
the network.  So each embed first plays the lesson's *default run*, computed here at build time and
played in the browser by the very player module the lesson uses (``docs/_static/ql-embed.js`` feeds
it the baked messages through a stand-in for Panel's ``model``).  The live lesson takes over once
Python is ready; without it the baked run keeps playing.

For every lesson this builds the model with its defaults and the view (no server, as the view tests
do), drives it until the default run is complete (Tunnelling and VQE: pump until ``model.run.done``; the
battery and quantization players: open the tab that holds the player, which computes its run),
and writes three files:

``<lesson>.js``
    the player's ES module (``type(player)._esm``: the shared pieces.js and shell.js, then the lesson's pieces.js);

``<lesson>.qlb``
    the player's property values and the messages it would send the page, gzip-compressed::

        b"QLB1"  uint32-le header length  header (UTF-8 JSON)  zero padding to 8 bytes  array bytes

    The header is ``{"format": "qlb", "version": 1, "lesson", "props", "stylesheets", "vars",
    "messages", "initial", "info"}``: the player's parameters, its stylesheets (Panel puts them in
    its shadow root; so does the embed), the standard profile's CSS variables (``--ql-ink`` ...),
    the messages and a note of how they were made.  ``messages[:initial]`` answer the page's
    ``{"kind": "ready"}`` (what ``player._replay()`` sends a fresh page); the rest are Tunnelling's
    later chunks, delivered one per ``{"kind": "more", "run", "upto"}`` the page sends.  Every NumPy array in ``props``
    or ``messages`` is replaced by ``{"__nd__": {"dtype", "shape", "offset", "length", "shuffle"}}``:
    ``length`` little-endian bytes at ``offset`` from the start of the array section (offsets are
    multiples of 8).  ``shuffle: true`` means the bytes are stored as byte planes (all first bytes of
    the elements, then all second bytes, ...), which lets gzip find the structure of float data;
    the array is lossless either way.  Non-finite floats outside arrays are ``{"__num__": "nan"}``
    (``"inf"``, ``"-inf"``), which JSON cannot hold.

    A Tunnelling run larger than :data:`MAX_BYTES` compressed (the lossless default run is ~2.9 MB)
    is stored at reduced precision (:func:`reduce_precision`: ~0.8 MB, differences far below a
    pixel) and, only if still too large, with frames dropped (:func:`decimate_frames`); ``info``
    records which.

    The arrays are written in message order, so the browser (which inflates the file with
    ``DecompressionStream("gzip")`` as it arrives; the server need not send a ``Content-Encoding``)
    starts playing once the first messages' bytes are in.  :func:`decode` is the same decoder in
    Python (tests).

``<lesson>.strings.json``
    the player's strings in every language of the lessons (``lessons.common.i18n.LANGUAGES``):
    ``{lang: {"strings": {msgid: text}, "decimal": sign, "texts": {english: translated}}}``:
    ``strings`` and ``decimal`` are what ``Player.set_language`` gives a served page
    (:func:`player_translations`); ``texts`` (only where there are some) the translations of the
    labels the Python side writes into the messages (:func:`message_texts`).  The embed sets the
    baked player's ``strings`` and ``decimal`` from the entry of the docs page's language
    (``<html lang>``) before it renders and replaces the messages' labels found in ``texts``, so
    the baked player's buttons, read-outs and labels are in the page's language; the baked numbers
    are data and stay as they are.
"""
from __future__ import annotations

import gzip
import json
import math
import os
import pathlib
import struct
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

__all__ = ["LESSONS", "MAGIC", "bake_all", "bake_lesson", "default_run", "encode", "decode",
           "player_props", "player_translations", "profile_vars", "reduce_precision", "decimate_frames",
           "round_mantissa"]

MAGIC = b"QLB1"
from lessons import CATALOGUE  # noqa: E402  (the work tree's lessons)

LESSONS = tuple(c.slug for c in CATALOGUE)   # every lesson of the catalogue
#: Above this many bytes (compressed) a Tunnelling run is stored at reduced precision, and if it is
#: still larger, with frames dropped (see :func:`bake_lesson`).
MAX_BYTES = 2_000_000
#: Reduced precision of Tunnelling's frames: mantissa bits kept (float16 keeps 10) and the fraction of
#: the run's largest |Re psi|, |Im psi| below which a value is stored as 0 (far below one pixel).
MANTISSA_BITS = 10
FLUSH = 1e-3
_ALIGN = 8
#: dtypes the browser can view as typed arrays (others are converted before writing)
_DTYPES = {"float32", "float64", "int8", "uint8", "int16", "uint16", "int32", "uint32"}


# ---- driving the lessons ------------------------------------------------------------------------

def _views():
    """lesson -> (model class, view class) of every lesson in the catalogue (imported late: Panel is heavy)."""
    import importlib
    import inspect

    from lessons import CATALOGUE
    from lessons.common.model import LessonModel
    from lessons.common.view import LessonView
    out = {}
    for card in CATALOGUE:
        module = importlib.import_module(f"lessons.{card.slug}.view")
        members = [v for _, v in inspect.getmembers(module, inspect.isclass) if v.__module__.startswith("lessons.")]
        view = next(v for v in members if issubclass(v, LessonView) and v is not LessonView)
        model = next(v for v in vars(importlib.import_module(f"lessons.{card.slug}.model")).values()
                     if isinstance(v, type) and issubclass(v, LessonModel) and v is not LessonModel)
        out[card.slug] = (model, view)
    return out


def _open_player_tab(view) -> None:
    """Open the tab of ``view.tabs`` holding the player, if any (its run is computed when shown).

    A lesson's tabs may be built when first opened (``lessons.common.sections.LazyTabs``): each is
    opened in turn until the one with the player."""
    tabs = getattr(view, "tabs", None)
    if tabs is None:
        return
    for i in range(len(tabs.objects)):
        if tabs.active != i:
            tabs.active = i
        if any(obj is view.player for obj in tabs.objects[i].select()):
            return


def player_props(player) -> dict:
    """The player's own parameters (those the JS reads: palette, speed, autoplay, plot_height, ...).

    Everything a lesson player declares beyond Panel's ``JSComponent`` (layout and styling
    parameters are left out), as JSON-able values.
    """
    from panel.custom import JSComponent
    base = set(JSComponent.param)
    props = {}
    for name in player.param:
        if name in base:
            continue
        value = getattr(player, name)
        if isinstance(value, tuple):
            value = list(value)
        props[name] = value
    return props


def player_translations(player_cls) -> dict[str, dict]:
    """The strings of a player class's JavaScript in every language of the lessons:
    ``{lang: {"strings": {msgid: text}, "decimal": sign}}`` (as ``Player.set_language`` sets them on
    a served page; English: no strings, the dot)."""
    from lessons.common.i18n import LANGUAGES, translator

    out = {}
    for lang in LANGUAGES:
        tr = translator(lang)
        out[lang] = {"strings": tr.js_strings(player_cls.messages()), "decimal": tr.decimal}
    return out


#: message fields that are protocol, never text a student reads
_PROTOCOL_KEYS = frozenset({"kind"})


def _texts(value, key: str = "") -> list[str]:
    """The strings in ``value`` (a message), in order, protocol fields left out."""
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _texts(v, str(k))]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _texts(v, key)]
    if isinstance(value, str) and key not in _PROTOCOL_KEYS and any(c.isalpha() for c in value):
        return [value]
    return []


def message_texts(lesson: str, messages: list[dict]) -> dict[str, dict[str, str]]:
    """What the Python side writes into ``lesson``'s baked messages (labels such as Quantization's
    "Integer (uniform), 4 bits (nearest)"), per language: ``{lang: {english: translated}}``.

    Only for a lesson whose English messages hold text: its default run is made again in each
    language and its messages' strings paired with the English ones, in order (a run whose messages
    differ in shape gives no pairs)."""
    from lessons.common.i18n import DEFAULT, LANGUAGES

    english = _texts(messages)
    out = {}
    if not english:
        return out
    for lang in LANGUAGES:
        if lang == DEFAULT:
            continue
        there = _texts(default_run(lesson, lang)["messages"])
        if len(there) != len(english):
            continue
        pairs = {e: t for e, t in zip(english, there) if e != t}
        if pairs:
            out[lang] = pairs
    return out


def profile_vars(look) -> dict[str, str]:
    """The CSS variables of a colour profile (``--ql-ink`` ...: the ``:root`` rule of ``look.css()``).

    The embed sets them on the baked player's host, so it keeps the standard look (its canvas is
    drawn in the standard profile) whatever the docs theme defines around it.
    """
    rule = look.css().split("\n", 1)[0]
    body = rule[rule.index("{") + 1:rule.rindex("}")]
    return {k.strip(): v.strip() for k, v in (part.split(":", 1) for part in body.split(";") if ":" in part)}


def default_run(lesson: str, lang: str | None = None) -> dict:
    """Build ``lesson``'s default model and view, run it to completion and return what to bake.

    ``lang``: the model's and view's language (None: English, as a page with no language asked for).

    ``{"props", "stylesheets", "vars", "messages", "initial", "esm", "translations", "info"}``:
    ``translations`` are the player's strings per language (:func:`player_translations`); ``messages`` is what the
    player's ``_replay()`` sends a page that reports ready once the run is complete, ``initial`` how
    many of them a freshly opened page gets before asking for more (Tunnelling sends its first chunk
    at once and the rest on request).
    """
    from lessons.common.palette import profile
    model_cls, view_cls = _views()[lesson]
    if lang is None:
        model = model_cls()
    else:
        from lessons.common.i18n import translator
        model = model_cls(tr=translator(lang))
    view = view_cls(model)
    try:
        player = view.player
        look = profile("standard")
        player.param.update(palette=look.js(), large_text=look.large, hidden=[])
        _open_player_tab(view)
        initial = len(player._replay())
        run = getattr(model, "run", None)
        if hasattr(run, "done") and hasattr(view, "_pump"):
            # a pulled run (Tunnelling, VQE): the page asks for the rest as it plays
            steps = 0
            while not model.run.done:
                view._pump()
                steps += 1
                if steps > 1000:
                    raise RuntimeError("the tunnelling run did not finish")
        messages = player._replay()
        if not messages:
            raise RuntimeError(f"{lesson}: the player has nothing to show")
        info = {"lesson": lesson, "player": type(player).__name__, "messages": len(messages)}
        if lesson == "tunneling":
            run = model.run
            info.update(frames=run.frames, transmitted=float(run.transmitted), reflected=float(run.reflected))
        return {"props": player_props(player), "stylesheets": [str(s) for s in type(player)._stylesheets],
                "vars": profile_vars(look),
                "messages": messages, "initial": min(max(initial, 1), len(messages)),
                "esm": type(player)._esm, "translations": player_translations(type(player)), "info": info}
    finally:
        stop = getattr(view, "stop", None)
        if stop is not None:
            stop()


def round_mantissa(a: np.ndarray, bits: int) -> np.ndarray:
    """float32 ``a`` rounded to ``bits`` mantissa bits (to nearest), still float32.

    The dropped low bits become zero, which the byte-plane shuffle and gzip then store almost for
    free; the relative error is at most 2**-(bits + 1).
    """
    drop = 23 - int(bits)
    if drop <= 0:
        return np.asarray(a, dtype=np.float32).copy()
    u = np.asarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = (u + (1 << (drop - 1))) & ~np.uint64((1 << drop) - 1)
    return np.minimum(u, 0xFFFFFFFF).astype(np.uint32).view(np.float32)


def reduce_precision(messages: list[dict], bits: int = MANTISSA_BITS, flush: float = FLUSH) -> list[dict]:
    """Tunnelling's chunks with ``re``/``im`` rounded to ``bits`` mantissa bits and values below
    ``flush`` times the run's largest amplitude set to 0 (other fields untouched).

    The canvas draws psi at most a few hundred pixels high, so both changes are far below a pixel;
    they shrink the compressed frames about 3.5 times.
    """
    chunks = [m for m in messages if m.get("kind") == "chunk"]
    amp = max((float(np.max(np.abs(m[k]))) for m in chunks for k in ("re", "im") if m[k].size), default=0.0)
    out = []
    for msg in messages:
        if msg.get("kind") == "chunk":
            msg = dict(msg)
            for key in ("re", "im"):
                a = round_mantissa(msg[key], bits)
                a[np.abs(a) < flush * amp] = 0.0
                msg[key] = a
        out.append(msg)
    return out


def decimate_frames(messages: list[dict], keep: int = 2) -> list[dict]:
    """Tunnelling's chunks with only every ``keep``-th frame, their times and ``start``/``end`` renumbered.

    The player plays a fixed number of frames per second, so :func:`bake_lesson` divides the baked
    ``speed`` by ``keep`` to keep the run's duration; used only when a baked run would be too large.
    """
    out, index = [], 0
    for msg in messages:
        if msg.get("kind") != "chunk":
            out.append(msg)
            continue
        n = len(msg["t"])
        start = msg["start"]
        rows = [j for j in range(n) if (start + j) % keep == 0 or (msg.get("done") and j == n - 1)]
        if not rows:
            continue
        new = dict(msg)
        npts = msg["re"].size // n
        for key in ("re", "im"):
            new[key] = msg[key].reshape(n, npts)[rows].ravel()
        for key, value in msg.items():
            if isinstance(value, np.ndarray) and key not in ("re", "im") and value.shape == (n,):
                new[key] = value[rows]
        new["start"], new["end"] = index, index + len(rows)
        index += len(rows)
        out.append(new)
    return out


# ---- the file format ----------------------------------------------------------------------------

def _shuffle(raw: bytes, itemsize: int) -> bytes:
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, itemsize).T.tobytes()


def _unshuffle(raw: bytes, itemsize: int) -> bytes:
    return np.frombuffer(raw, dtype=np.uint8).reshape(itemsize, -1).T.tobytes()


def encode(document: dict, shuffle: bool = True, level: int = 9) -> bytes:
    """``document`` (JSON-able apart from NumPy arrays and scalars) as gzip-compressed ``.qlb`` bytes."""
    blobs: list[bytes] = []
    offset = 0

    def convert(value):
        nonlocal offset
        if isinstance(value, np.ndarray):
            arr = value
            if arr.dtype == np.bool_:
                arr = arr.astype(np.uint8)
            elif arr.dtype.kind in "iu" and arr.dtype.name not in _DTYPES:
                arr = arr.astype(np.int32) if np.all(np.abs(arr) < 2 ** 31) else arr.astype(np.float64)
            elif arr.dtype.name not in _DTYPES:
                arr = arr.astype(np.float64)
            arr = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
            raw = arr.tobytes()
            shuffled = bool(shuffle and arr.dtype.itemsize > 1 and arr.size > 0)
            if shuffled:
                raw = _shuffle(raw, arr.dtype.itemsize)
            ref = {"dtype": arr.dtype.name, "shape": list(arr.shape), "offset": offset, "length": len(raw),
                   "shuffle": shuffled}
            pad = (-len(raw)) % _ALIGN
            blobs.append(raw + b"\0" * pad)
            offset += len(raw) + pad
            return {"__nd__": ref}
        if isinstance(value, dict):
            return {str(k): convert(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [convert(v) for v in value]
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, (int, np.integer)):
            return int(value)
        if isinstance(value, (float, np.floating)):
            v = float(value)
            if math.isfinite(v):
                return v
            return {"__num__": "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")}
        if value is None or isinstance(value, str):
            return value
        raise TypeError(f"cannot bake {type(value).__name__}: {value!r}")

    header = json.dumps(convert(document), separators=(",", ":"), allow_nan=False).encode("utf-8")
    head = MAGIC + struct.pack("<I", len(header)) + header
    head += b"\0" * ((-len(head)) % _ALIGN)
    return gzip.compress(head + b"".join(blobs), compresslevel=level, mtime=0)


def decode(data: bytes) -> dict:
    """The document of ``.qlb`` bytes (gzip-compressed or not), arrays as NumPy arrays."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if data[:4] != MAGIC:
        raise ValueError("not a .qlb file")
    (size,) = struct.unpack("<I", data[4:8])
    header = json.loads(data[8:8 + size].decode("utf-8"))
    base = 8 + size + ((-(8 + size)) % _ALIGN)

    def revive(value):
        if isinstance(value, dict):
            if set(value) == {"__nd__"}:
                ref = value["__nd__"]
                dtype = np.dtype(ref["dtype"]).newbyteorder("<")
                raw = data[base + ref["offset"]: base + ref["offset"] + ref["length"]]
                if ref.get("shuffle"):
                    raw = _unshuffle(raw, dtype.itemsize)
                return np.frombuffer(raw, dtype=dtype).reshape(ref["shape"]).astype(dtype.newbyteorder("="))
            if set(value) == {"__num__"}:
                return float(value["__num__"])
            return {k: revive(v) for k, v in value.items()}
        if isinstance(value, list):
            return [revive(v) for v in value]
        return value

    return revive(header)


# ---- baking -------------------------------------------------------------------------------------

def bake_lesson(lesson: str, outdir: pathlib.Path, max_bytes: int = MAX_BYTES) -> list[pathlib.Path]:
    """Write ``<lesson>.qlb``, ``<lesson>.js`` and ``<lesson>.strings.json`` into ``outdir``; returns
    their paths."""
    run = default_run(lesson)
    messages, info = run["messages"], dict(run["info"])
    document = {"format": "qlb", "version": 1, "lesson": lesson, "props": run["props"],
                "stylesheets": run["stylesheets"], "vars": run["vars"], "messages": messages,
                "initial": run["initial"], "info": info}
    data = encode(document)
    if len(data) > max_bytes and lesson == "tunneling":
        info["lossless_bytes"] = len(data)
        messages = reduce_precision(messages)
        info["precision"] = {"mantissa_bits": MANTISSA_BITS, "flush": FLUSH}
        document["messages"] = messages
        data = encode(document)
        keep = 1
        while len(data) > max_bytes and keep < 8:
            keep *= 2
            info["decimated"] = keep
            document["messages"] = decimate_frames(messages, keep)
            document["props"] = {**run["props"], "speed": run["props"]["speed"] / keep}
            data = encode(document)
    outdir.mkdir(parents=True, exist_ok=True)
    qlb, js, strings = outdir / f"{lesson}.qlb", outdir / f"{lesson}.js", outdir / f"{lesson}.strings.json"
    qlb.write_bytes(data)
    js.write_text(run["esm"], encoding="utf-8")
    translations = {lang: dict(entry) for lang, entry in run["translations"].items()}
    for lang, pairs in message_texts(lesson, run["messages"]).items():
        translations.setdefault(lang, {"strings": {}, "decimal": "."})["texts"] = pairs
    strings.write_text(json.dumps(translations, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
                       encoding="utf-8")
    return [qlb, js, strings]


def bake_all(outdir: pathlib.Path, lessons=LESSONS) -> list[pathlib.Path]:
    """Bake every lesson's default run into ``outdir`` (``<lesson>.qlb``, ``.js`` and ``.strings.json`` each)."""
    outdir = pathlib.Path(outdir)
    written = []
    for lesson in lessons:
        written += bake_lesson(lesson, outdir)
    return written


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python docs/bake.py OUTDIR", file=sys.stderr)
        return 2
    for path in bake_all(pathlib.Path(args[0])):
        print(f"{path}  {os.path.getsize(path) / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
