"""The Tunnelling lesson in German, Spanish and the pseudo-locale, with no browser: the view's controls,
figures, read-outs and the player's strings come from the lesson's catalogue, numbers carry the
locale's decimal sign, and file names and the CSV stay English."""
from __future__ import annotations

import pathlib
import re

import numpy as np
import pytest
from babel.messages.pofile import read_po
from bokeh.models import SaveTool

from lessons.common.i18n import js_messages, translator
from lessons.common.sections import LazyTabs
from lessons.tunneling import CARD
from lessons.tunneling.model import TunnelingModel
from lessons.tunneling.view import MEASURED_MARK, PREDICTED_MARK, SHAPE_LABELS, TunnelingView
from physics import potentials
from tests.lessons.helpers import Recorder

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "lessons" / "tunneling"
WRAPPED = re.compile(r"⟦[^⟦⟧]*⟧")
WORD = re.compile(r"(?<![\w⟦])[A-Za-z][A-Za-z'’]{2,}")
DECIMAL_POINT = re.compile(r"\d\.\d")


def catalogue(lang: str) -> dict[str, str]:
    """msgid -> msgstr of the lesson's own catalogue in ``lang``."""
    with (PACKAGE / "locale" / lang / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        return {m.id: m.string for m in read_po(fp) if m.id}


def make_view(lang: str, **settings) -> TunnelingView:
    return TunnelingView(TunnelingModel(tr=translator(lang), **settings))


def sidebar_widgets(view):
    return [view.shape, view.height, view.width, view.position, view.separation, view.energy, view.sigma,
            view.x0, view.display, view.phase, view.speed]


def english_left(text: str) -> list[str]:
    """English words of ``text`` outside ⟦ ⟧, where each run of text between markup (``**``, tags)
    must be wrapped on its own (as a page shows it: one text node per run)."""
    bad = []
    for run in re.split(r"\*\*|<[^>]+>|\n", text):
        rest = run
        while WRAPPED.search(rest):
            rest = WRAPPED.sub(" ", rest)
        bad += [w for w in WORD.findall(rest) if not w.isupper()]
    return bad


def legend_texts(fig) -> list[str]:
    """The fixed labels of a figure's legend (not those read from a data column)."""
    return [v for item in fig.legend[0].items if isinstance(v := getattr(item.label, "value", None), str)]


def finish(view):
    """Compute the whole run and report it played to its end, as the page does."""
    Recorder(view.player)
    while not view.model.run.done:
        view._pump()
    view.player._handle_msg({"kind": "ended", "run": view.model.run.run_id})


@pytest.fixture(scope="module")
def de():
    return catalogue("de")


def test_the_catalogues_translate_every_string_and_keep_placeholders():
    template = {m.id for m in read_po((PACKAGE / "locale" / "messages.pot").open("rb")) if m.id}
    assert len(template) > 60
    for lang in ("de", "es"):
        found = catalogue(lang)
        assert set(found) == template, lang
        for msgid, text in found.items():
            assert text, f"{lang}: {msgid!r} untranslated"
            assert sorted(re.findall(r"\{\w+\}", msgid)) == sorted(re.findall(r"\{\w+\}", text)), (lang, msgid, text)


def test_english_view_is_unchanged():
    """English keeps the labels the browser tests look for; the marked shape names are physics' own."""
    view = make_view("en")
    assert {key: label for key, (_f, label, _s) in potentials.SHAPES.items()} == SHAPE_LABELS
    assert list(view.shape.options) == [label for _f, label, _s in potentials.SHAPES.values()]
    assert view.width.name == "Barrier width" and view.height.name == "Barrier height V₀"
    assert view.readout.object.startswith("**Predicted packet transmission** (exact T(E) averaged over the packet): "
                                          f'<b class="ql-predicted">{view.predicted:.4f}</b>')
    assert view.t_fig.title.text == "Exact transmission T(E) of this barrier"
    view.stop()


def test_german_controls_come_from_the_catalogue(de):
    view = make_view("de")
    assert view.width.name == de["Barrier width"] == "Barrierenbreite"
    assert view.height.name == de["Barrier height V₀"]
    assert view.energy.name == de["Packet energy k₀²/2"]
    assert view.phase.name == de["Colour |ψ|² by phase (advanced)"]
    assert view.speed.name == de["Playback speed"]
    # the shape menu shows German names and still selects the model's keys
    assert view.shape.options == {de[SHAPE_LABELS[k]]: k for k in potentials.SHAPES}
    assert view.shape.value == "rectangular" and de["Rectangular barrier"] in view.shape.options
    assert view.display.options[de["both"]] == "both"
    headings = [p.object for p in view.sidebar() if hasattr(p, "object") and isinstance(p.object, str)]
    assert headings == ["### " + de["Barrier"], "### " + de["Wave packet"], "### " + de["Display"]]
    view.stop()


def test_german_figures_are_translated_and_their_files_keep_english_names(de):
    view = make_view("de")
    assert view.t_fig.title.text == de["Exact transmission T(E) of this barrier"]
    assert view.k_fig.title.text == de["Momentum distribution |φ(k)|² and T at each k"]
    assert view.t_fig.xaxis[0].axis_label == de["energy E"] and view.t_fig.yaxis[0].axis_label == de["transmission T"]
    labels = legend_texts(view.t_fig)
    assert de["packet's energies (±1σ)"] in labels and de["exact T(E)"] in labels
    assert view.marks.data["label"] == [de[PREDICTED_MARK]]
    # a file a student saves is named by the English title
    save = next(t for t in view.t_fig.tools if isinstance(t, SaveTool))
    assert save.filename == "exact-transmission-t-e-of-this-barrier"
    finish(view)
    assert view.marks.data["label"] == [de[PREDICTED_MARK], de[MEASURED_MARK]]
    view.stop()


def test_german_read_outs_write_numbers_with_a_comma(de):
    view = make_view("de", width=1.55)               # edges snap to cells: the width note shows
    text = view.readout.object
    assert f"**{de['Predicted packet transmission']}**" in text
    assert translator("de").num(view.predicted, ".4f") in text and "," in translator("de").num(view.predicted, ".4f")
    assert de["Barrier edges sit on grid cells of {dx}: the simulated width is"].split("{")[0] in text
    assert "(du hast 1,550 gewählt)" in text
    assert not DECIMAL_POINT.search(text), text
    finish(view)
    text, health = view.readout.object, view.health.object
    assert f"**{de['Simulation:']}** T = " in text
    assert "noch im Inneren" in text and not DECIMAL_POINT.search(text), text
    assert health.startswith("Numerische Kontrolle: T + R + innen − 1 = ") and de["✓ within 1e-6"] in health
    assert not DECIMAL_POINT.search(health.replace("1e-6", "")), health
    view.stop()


def test_spanish_and_german_warnings_and_errors(de, monkeypatch):
    es = translator("es")
    model = TunnelingModel(tr=es, x0=-10.0, position=-12.0, sigma=6.0)   # the packet starts on the barrier
    warning = model.overlap_warning()
    assert warning.startswith("El paquete empieza con el ") and re.search(r"\d,\d%", warning), warning
    view = make_view("de")
    real_new_run = view.model.new_run

    def broken_run():
        run = real_new_run()
        run.sim.psi[:] = np.nan
        return run

    monkeypatch.setattr(view.model, "new_run", broken_run)
    view.height.value = 1.25
    assert view.model.run.error == "The simulation produced a non-finite value and was stopped."   # English kept
    assert de[view.model.run.error] in view.readout.object
    view.stop()


def test_german_lesson_text_and_tabs(de):
    view = make_view("de")
    view.main()
    view.load_secondary()
    tabs = next(t for t in view.layout.select(LazyTabs))
    assert tabs._names == [de["Lesson"], de["Teacher notes"]]
    shown = " ".join(str(p.object) for p in tabs[0].select() if isinstance(getattr(p, "object", None), str))
    assert "Tunneleffekt" in shown and "Lernziele" in shown
    view.stop()


def test_the_player_gets_every_string_of_its_javascript_in_german_and_spanish():
    own = js_messages((PACKAGE / "pieces.js").read_text(encoding="utf-8"))
    assert {"absorber", "potential V(x)", "Passed the barrier", "time → ({tmax})", "waiting for the simulation…"} <= set(own)
    for lang in ("de", "es"):
        view = make_view(lang)
        view.player.set_language(translator(lang))
        assert view.player.decimal == ","
        missing = [m for m in own if m not in view.player.strings]
        assert missing == [], f"{lang}: {missing}"
        assert "{tmax}" in view.player.strings["time → ({tmax})"]
        view.stop()


def test_pseudo_locale_wraps_every_label_and_read_out():
    view = make_view("qps")
    for widget in sidebar_widgets(view):
        assert WRAPPED.fullmatch(widget.name), widget.name
    for option in view.shape.options:
        assert WRAPPED.fullmatch(option), option
    assert english_left(" ".join(view.display.options)) == []
    for fig in (view.t_fig, view.k_fig):
        assert english_left(fig.title.text) == []
        assert english_left(fig.xaxis[0].axis_label + " " + fig.yaxis[0].axis_label) == []
        assert legend_texts(fig) and english_left(" ".join(legend_texts(fig))) == []
    assert english_left(view.readout.object) == []
    bad_width = make_view("qps", width=1.55, shape="thin")
    assert "⟦Strength" in bad_width.readout.object and english_left(bad_width.readout.object) == []
    finish(view)
    assert english_left(view.readout.object) == [] and english_left(view.health.object) == []
    assert english_left(" ".join(translator("qps").gettext(v) for v in TunnelingView.HIDEABLE.values())) == []
    for text in (CARD.title, CARD.description, CARD.short, CARD.summary):
        assert english_left(translator("qps").gettext(text)) == []
    view.stop()
    bad_width.stop()


def test_the_test_of_wrapping_finds_english():
    assert english_left("**⟦Simulation:⟧** T = <b>0,5</b>, ⟦still inside⟧") == []
    assert english_left("⟦Barrier edges: the simulated width is **1,5** (you asked)⟧") != []
