"""The baked default runs of the docs embeds (docs/bake.py): the .qlb format round trip and what is baked."""
from __future__ import annotations

import gzip
import importlib.util
import json
import math
import pathlib
import struct

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("ql_docs_bake", REPO / "docs" / "bake.py")
bake = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bake)


def assert_same(decoded, original):
    """``decoded`` equals ``original`` (arrays: same values and dtype; tuples come back as lists)."""
    if isinstance(original, np.ndarray):
        assert isinstance(decoded, np.ndarray)
        assert decoded.shape == original.shape
        expected = original.astype(np.uint8) if original.dtype == np.bool_ else original
        if expected.dtype == np.int64:
            expected = expected.astype(np.int32)
        assert decoded.dtype == expected.dtype
        np.testing.assert_array_equal(decoded, expected)
    elif isinstance(original, dict):
        assert set(decoded) == set(original)
        for key in original:
            assert_same(decoded[key], original[key])
    elif isinstance(original, (list, tuple)):
        assert isinstance(decoded, list) and len(decoded) == len(original)
        for d, o in zip(decoded, original):
            assert_same(d, o)
    elif isinstance(original, float) and math.isnan(original):
        assert math.isnan(decoded)
    else:
        assert decoded == original


SAMPLE = {
    "kind": "chunk", "run": 3, "done": True, "label": "ψ ünïcode", "none": None,
    "f32": np.linspace(-1, 1, 1001, dtype=np.float32) ** 3,
    "f64": np.array([np.pi, -0.0, 1e-300, np.inf, -np.inf, np.nan]),
    "i32": np.arange(-5, 12, dtype=np.int32), "u8": np.arange(7, dtype=np.uint8),
    "i64": np.arange(3, dtype=np.int64), "flags": np.array([True, False, True]),
    "grid": np.arange(12, dtype=np.float32).reshape(3, 4), "empty": np.zeros(0, dtype=np.float32),
    "scalars": [1.5, float("nan"), float("inf"), -float("inf"), np.float64(2.25), np.int64(7), (1, 2)],
    "nested": {"a": [np.ones(5, dtype=np.float32), {"b": np.float32(0.5)}]},
}


@pytest.mark.parametrize("shuffle", [True, False])
def test_qlb_round_trip_gives_back_the_arrays(shuffle):
    data = bake.encode(SAMPLE, shuffle=shuffle)
    assert data[:2] == b"\x1f\x8b"                       # gzip, inflated by the browser
    raw = gzip.decompress(data)
    assert raw[:4] == bake.MAGIC
    (size,) = struct.unpack("<I", raw[4:8])
    assert raw[8 + size - 1:8 + size] == b"}"           # the JSON header ends there
    back = bake.decode(data)
    assert_same(back, SAMPLE)
    assert bake.decode(raw)["run"] == 3                  # an already inflated file decodes too


def test_arrays_are_aligned_and_the_header_holds_no_array_data():
    raw = gzip.decompress(bake.encode(SAMPLE))
    (size,) = struct.unpack("<I", raw[4:8])
    header = json.loads(raw[8:8 + size])
    refs = []

    def walk(v):
        if isinstance(v, dict):
            if "__nd__" in v:
                refs.append(v["__nd__"])
            else:
                for x in v.values():
                    walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(header)
    assert len(refs) == 9
    assert all(r["offset"] % 8 == 0 for r in refs)
    assert size < 2000


def test_unsupported_values_are_refused():
    with pytest.raises(TypeError):
        bake.encode({"x": object()})
    with pytest.raises(ValueError):
        bake.decode(gzip.compress(b"NOPE" + bytes(8)))


def test_round_mantissa_error_bound():
    rng = np.random.default_rng(1)
    a = (rng.standard_normal(10000) * 10.0 ** rng.integers(-8, 3, 10000)).astype(np.float32)
    r = bake.round_mantissa(a, 10)
    assert r.dtype == np.float32
    assert np.all(np.abs(r - a) <= np.abs(a) * 2.0 ** -11 * 1.0001)
    assert np.all((r.view(np.uint32) & np.uint32(0x1FFF)) == 0)      # 13 low bits dropped


def test_decimated_frames_keep_the_run_and_renumber_it():
    n, pts = 10, 4
    msgs = [{"kind": "setup", "run": 1}]
    for start, end in ((0, 3), (3, 6), (6, n)):
        frames = np.arange(start, end, dtype=np.float32)
        msgs.append({"kind": "chunk", "run": 1, "start": start, "end": end, "done": end == n,
                     "t": frames, "re": np.repeat(frames, pts), "im": -np.repeat(frames, pts),
                     "T": frames / 10, "R": frames / 20, "inside": 1 - frames / 10, "passed": frames / 9})
    out = bake.decimate_frames(msgs, 2)
    chunks = [m for m in out if m["kind"] == "chunk"]
    t = np.concatenate([c["t"] for c in chunks])
    np.testing.assert_array_equal(t, [0, 2, 4, 6, 8, 9])              # every other frame and the last
    assert [c["start"] for c in chunks] == [0, 2, 3] and chunks[-1]["end"] == 6 and chunks[-1]["done"]
    for c in chunks:
        np.testing.assert_array_equal(c["re"], np.repeat(c["t"], pts))
        np.testing.assert_array_equal(c["T"], c["t"] / 10)


@pytest.mark.parametrize("lesson", ["spin_battery", "quantization", "bound_states"])
def test_baked_lesson_decodes_to_what_the_player_would_send(lesson, tmp_path):
    qlb, js, strings = bake.bake_lesson(lesson, tmp_path)
    doc = bake.decode(qlb.read_bytes())
    run = bake.default_run(lesson)
    assert doc["format"] == "qlb" and doc["version"] == 1 and doc["lesson"] == lesson
    assert_same(doc["messages"], run["messages"])
    assert doc["initial"] == len(run["messages"])        # the whole run answers "ready"
    assert doc["props"]["autoplay"] is True and doc["props"]["palette"]["roles"]
    assert doc["props"]["plot_height"] >= 200 and doc["props"]["hidden"] == []
    assert js.read_text(encoding="utf-8") == run["esm"] and "export function render" in run["esm"]
    assert any(".ql-player" in css for css in doc["stylesheets"])
    assert doc["vars"]["--ql-ink"] == "#222222" and doc["vars"]["--ql-bg"] == "#ffffff"
    assert all(k.startswith("--ql-") for k in doc["vars"])
    assert qlb.stat().st_size < 300_000
    # the player's strings in every language, as a served page sets them (Player.set_language)
    from lessons.common.i18n import LANGUAGES, js_messages, translator
    translations = json.loads(strings.read_text(encoding="utf-8"))
    assert set(translations) == set(LANGUAGES)
    assert translations["en"]["strings"] == {} and translations["en"]["decimal"] == "."
    msgids = js_messages(run["esm"])                    # what Player.messages() reads
    for lang in LANGUAGES:
        tr = translator(lang)
        assert translations[lang]["strings"] == tr.js_strings(msgids)
        assert translations[lang]["decimal"] == tr.decimal
    assert translations["de"]["strings"]["Restart"] == "Neustart"
    assert translations["es"]["strings"]["Restart"] == "Reiniciar"


def test_baked_tunneling_run_is_complete_small_and_close_to_the_computed_one(tmp_path):
    qlb, js, _strings = bake.bake_lesson("tunneling", tmp_path)
    assert qlb.stat().st_size < bake.MAX_BYTES
    doc = bake.decode(qlb.read_bytes())
    run = bake.default_run("tunneling")
    setup, *chunks = doc["messages"]
    assert setup["kind"] == "setup" and doc["initial"] == 2      # setup + first chunk; the rest on "more"
    assert_same(setup, run["messages"][0])
    assert chunks[-1]["done"] and not any(c["done"] for c in chunks[:-1])
    assert [c["start"] for c in chunks] == [0] + [c["end"] for c in chunks[:-1]]
    frames = chunks[-1]["end"]
    assert frames == doc["info"]["frames"] and frames > 300
    assert "decimated" not in doc["info"]                          # reduced precision was enough
    assert doc["props"]["speed"] == 1.0
    originals = run["messages"][1:]
    amp = max(float(np.abs(m[k]).max()) for m in originals for k in ("re", "im"))
    for got, want in zip(chunks, originals, strict=True):
        for key in ("t", "T", "R", "inside", "passed"):
            np.testing.assert_array_equal(got[key], want[key])      # the read-outs are exact
        for key in ("re", "im"):
            err = np.abs(got[key] - want[key])
            assert np.all(err <= bake.FLUSH * amp + np.abs(want[key]) * 2.0 ** -(bake.MANTISSA_BITS + 1))
    # far below a pixel of a 430-px canvas whose packet spans 30 % of it
    assert bake.FLUSH * 0.3 * 430 < 0.5
    assert doc["info"]["lossless_bytes"] > qlb.stat().st_size


def test_bake_all_writes_the_three_files_of_each_lesson(tmp_path):
    written = bake.bake_all(tmp_path, lessons=("spin_battery",))
    assert [p.name for p in written] == ["spin_battery.qlb", "spin_battery.js", "spin_battery.strings.json"]
    assert all(p.stat().st_size > 1000 for p in written)


def test_labels_the_python_side_writes_are_translated_for_the_baked_run():
    """Quantization's messages carry labels made in Python ("Integer (uniform), 4 bits (nearest)"):
    the embed replaces them by the run made in the page's language (message_texts)."""
    run = bake.default_run("quantization")
    english = set(bake._texts(run["messages"]))
    assert english, "Quantization's messages hold no label any more: pick another lesson here"
    texts = bake.message_texts("quantization", run["messages"])
    for lang, pairs in texts.items():
        assert set(pairs) <= english and all(pairs[k] != k for k in pairs), lang
    german = bake._texts(bake.default_run("quantization", "de")["messages"])
    assert [texts.get("de", {}).get(e, e) for e in bake._texts(run["messages"])] == german
    assert bake._texts({"kind": "setup", "n": 3, "label": "a b", "list": ["x1", "", "2.5"]}) == ["a b", "x1"]
