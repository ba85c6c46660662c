"""The Quantization lesson in German, Spanish and the pseudo-locale, with no browser.

Expected strings come from the lesson's catalogues (``lessons/quantization/locale``), read here with
Babel; a German or Spanish view shows them and writes its numbers with a decimal comma, and the
pseudo-locale wraps every label, option, title, axis label and legend entry the view makes (what
escaped ``_()`` shows unwrapped).
"""
from __future__ import annotations

import pathlib
import re

import panel as pn
import pytest
from babel.messages.pofile import read_po

from lessons.common.i18n import translator
from lessons.common.page import lesson_app
from lessons.quantization import CARD
from lessons.quantization.model import FORMATS, QuantizationModel
from lessons.quantization.player import PsiPlayer
from lessons.quantization.view import CARDS, TABS, QuantizationView
from tests.lessons.helpers import read_cards, shown_run

LOCALE = pathlib.Path(__file__).resolve().parents[2] / "lessons" / "quantization" / "locale"
CARD_KEYS = tuple(key for key, _label, _hint in CARDS)
NETWORK, FSQ, RUN = 1, 2, 3
WRAPPED = re.compile(r"^⟦.*⟧$", re.S)


def unwrapped_words(text: str) -> list[str]:
    """English words (three letters or more, not all capitals) left outside ⟦ ⟧ in ``text``."""
    while True:                                  # translated strings hold translated strings
        stripped = re.sub(r"⟦[^⟦⟧]*⟧", " ", text)
        if stripped == text:
            break
        text = stripped
    return [w for w in re.findall(r"(?<![\w⟦])[A-Za-z][A-Za-z']+(?!\w)", text) if len(w) >= 3 and not w.isupper()]


def catalogue(lang: str) -> dict:
    """msgid -> msgstr (a plural entry: its singular -> the tuple of its forms) of the lesson's ``lang``."""
    with (LOCALE / lang / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        cat = read_po(fp)
    return {(m.id[0] if isinstance(m.id, tuple) else m.id): m.string for m in cat if m.id}


@pytest.fixture(scope="module")
def de():
    return catalogue("de")


@pytest.fixture(scope="module")
def es():
    return catalogue("es")


def make_view(lang: str, **settings) -> QuantizationView:
    return QuantizationView(QuantizationModel(tr=translator(lang), **settings))


def open_every_tab(view: QuantizationView) -> None:
    for i in range(len(TABS)):
        view.tabs.active = i
    view.load_secondary()


def figures(view: QuantizationView) -> list:
    return [view.signal_line.fig, view.signal_fig, view.w1_line.fig, view.w2_line.fig, view.acc_fig,
            view.usage_fig, view.entropy_fig, view.norm_fig, view.fid_fig]


def widgets(view: QuantizationView) -> list:
    return [view.bits, view.fmt, view.exp_bits, view.best_f, view.frac, view.exponent, view.granularity, view.block,
            view.clip, view.rounding, view.reroll, view.activations, view.signal, view.listen, view.qat_button,
            view.fsq_levels, view.latent_std]


def test_the_catalogues_translate_every_msgid_and_keep_its_placeholders(de, es):
    assert len(de) == len(es) > 150
    for lang, cat in (("de", de), ("es", es)):
        for msgid, text in cat.items():
            forms = text if isinstance(text, tuple) else (text,)
            assert all(forms), (lang, msgid)
            for form in forms:
                assert set(re.findall(r"\{\w+\}", form)) == set(re.findall(r"\{\w+\}", msgid)), (lang, msgid, form)


def test_a_german_view_shows_the_german_of_the_catalogue(de):
    view = make_view("de")
    assert view.bits.name == de["Bits per value"] == "Bits pro Wert"
    assert view.fmt.name == de["Grid G (number format)"]
    assert list(view.fmt.options) == [de[label] for label in FORMATS.values()]
    assert view.fmt.options[de["Integer (uniform)"]] == "int"           # the values stay the model's
    assert list(view.granularity.options) == [de["per tensor"], de["per channel"], de["per block"]]
    assert list(view.rounding.options.values()) == ["nearest", "stochastic"]
    assert view.reroll.description == de["Another seed for stochastic rounding and the noise signals"]
    assert view.qat_button.name == de["Fine-tune with this quantizer (QAT, 200 steps)"]
    assert view.tabs._names[:len(TABS)] == [de[t] for t in TABS]
    sidebar = [p.object for p in view.sidebar() if isinstance(p, pn.pane.Markdown)]
    assert f"### {de['Rounding']}" in sidebar and "### Rounding" not in sidebar
    # the cards: German labels and hints, numbers with a decimal comma
    html = view.cards.object
    for _key, label, hint in CARDS:
        assert f"<span>{de[label]}</span>" in html
        if hint in de:
            assert de[hint] in html
    shown = read_cards(html, CARD_KEYS)
    assert re.fullmatch(r"\d+,\d %", shown["quantized"]) and shown["storage"] == "4,5"
    assert re.fullmatch(r"\d+,\d dB", shown["sqnr"])
    # the status: whole German sentences, the format's German name, numbers with commas
    assert re.match(r"\*\*Ganzzahl \(gleichmäßig\), 4 Bit\*\*: Das Netz verliert \d+,\d Prozentpunkte", view.status.object)
    assert "(Gewichte quantisiert)" in view.status.object and "mittlerer Fehler" in view.status.object
    assert not re.search(r"\d\.\d", view.status.object)


def test_german_figures_titles_axes_and_legends(de):
    view = make_view("de")
    open_every_tab(view)
    assert view.signal_fig.title.text.startswith(de["Sine"] + ", quantisiert: SQNR ")
    assert view.signal_fig.xaxis[0].axis_label == de["time"]
    assert [i.label.value for i in view.acc_fig.legend[0].items] == [
        de[s] for s in ("integer, per tensor", "integer, per channel", "your quantizer",
                        "kernel of your quantizer (right axis)", "your setting")]
    assert view.norm_fig.title.text == de["‖ψ‖² of the stored state (log axis; exact: 1, dashed)"]
    assert view.usage_fig.title.text == "Nutzung der FSQ-Codes mit 17 Stufen, Streuung der latenten Werte 1"
    assert "Variationskoeffizient" in view.fsq_text.object and not re.search(r"\d\.\d", view.fsq_text.object)
    assert view.grid_note.object == de["The red comb is the grid of the row holding the largest |w|; smaller rows "
                                       "or blocks get finer grids of their own."]
    # the PNG and CSV files keep their English names
    save = next(t for t in view.norm_fig.toolbar.tools if type(t).__name__ == "SaveTool")
    assert save.filename == "of-the-stored-state-log-axis-exact-1-dashed"


def test_the_german_run_text_and_the_player_memory_label(de):
    view = make_view("de", bits=8)
    view.tabs.active = RUN
    run = shown_run(view.player)
    assert run["label"] == "Ganzzahl (gleichmäßig), 8 Bit (nächster Wert)"
    assert run["v_label"] == de["well V = x²/2"]
    assert view.run_text.object.startswith("ψ eines harmonischen Oszillators")
    assert "Runden auf nächsten Wert: ‖ψ‖² wächst auf **" in view.run_text.object
    assert not re.search(r"\*\*\d+\.\d", view.run_text.object)            # 1,49, not 1.49
    # the page hands the player's JavaScript its German strings and the comma
    page = lesson_app("x", QuantizationModel, QuantizationView, args={"lang": [b"de"]})
    player = page.ql_view.player
    assert player.decimal == ","
    assert player.strings["stored in {memory}: |ψ|²/‖ψ‖²"] == de["stored in {memory}: |ψ|²/‖ψ‖²"]
    assert player.strings["Computing the run…"] == "Lauf wird berechnet…"


def test_the_players_javascript_marks_its_strings():
    messages = PsiPlayer.messages()
    for msgid in ("position x", "exact (float64)", "▲ off the scale", "the stored run blew up at t = {t}",
                  "Quantized wave function animation", "Restart the run", "fidelity", "exact"):
        assert msgid in messages


def test_plural_forms_and_a_one_bit_label(de, es):
    one = make_view("es", bits=1)
    assert one.status.object.startswith("**Entero (uniforme), 1 bit**: la red ")
    two = make_view("es", bits=2)
    assert two.status.object.startswith("**Entero (uniforme), 2 bits**: la red ")
    assert make_view("en", bits=1).status.object.startswith("**Integer (uniform), 1 bit**: the network ")
    mx = make_view("de", fmt="mx", bits=5)
    assert de["MX elements have 4, 6 or 8 bits (MXINT8 above 8): {bits} bit uses {width}."][1].format(
        bits=5, width=4) in mx.applies_text.object


def test_a_spanish_view_writes_decimal_commas_and_spanish_figures(es):
    view = make_view("es", rounding="stochastic")
    open_every_tab(view)
    shown = read_cards(view.cards.object, CARD_KEYS)
    assert all("." not in v for v in shown.values()), shown
    assert view.rounding.name == es["Rounding"]
    assert view.fsq_levels.name == es["Levels L per channel"]
    assert view.entropy_fig.title.text == es["Against the number of levels"]
    assert es["stochastic rounding"] + ": ‖ψ‖² " in view.run_text.object
    assert view.fid_fig.yaxis[0].axis_label == es["fidelity"]


def test_the_model_notice_is_in_the_page_language(de):
    model = QuantizationModel.from_query({"F": [b"-20"]}, tr=translator("de"))
    assert model.frac_bits == -8
    expected = de["F={F} leaves nothing of the data (steps of 2^{steps}); using the page's lowest, F=-8."]
    assert expected.format(F=-20, steps=20) in model.notices
    english = QuantizationModel.from_query({"F": [b"-20"]})
    assert "F=-20 leaves nothing of the data (steps of 2^20); using the page's lowest, F=-8." in english.notices


def test_the_check_for_unwrapped_words_finds_them():
    assert unwrapped_words("⟦⟦Integer⟧, 4 bits⟧ ⟦ok⟧ MSE 1,5") == []
    assert unwrapped_words("⟦Signal⟧: mean error 2") == ["mean", "error"]


def test_the_pseudo_locale_wraps_every_label_title_axis_and_legend():
    view = make_view("qps", fmt="minifloat", bits=1)      # every note of the sidebar's applies text
    assert view.applies_text.object
    open_every_tab(view)
    for w in widgets(view):
        assert WRAPPED.match(w.name), w
        if getattr(w, "description", None):
            assert WRAPPED.match(w.description), w
        options = getattr(w, "options", None)
        if isinstance(options, dict):
            assert all(WRAPPED.match(k) for k in options), options
    for fig in figures(view):
        assert WRAPPED.match(fig.title.text), fig.title.text
        for axis in [*fig.xaxis, *fig.yaxis]:
            assert WRAPPED.match(axis.axis_label or "⟦⟧"), axis.axis_label
        for item in fig.legend[0].items:
            value = item.label.value
            assert WRAPPED.match(value) or value == "log₂ L", value
    for pane in (view.status, view.applies_text, view.fsq_text, view.grid_note, view.run_text):
        assert pane.object and unwrapped_words(pane.object) == [], pane.object
    assert all(WRAPPED.match(n) for n in view.tabs._names)
    html = view.cards.object
    assert html.count("<span>⟦") == len(CARDS)


def test_the_card_and_the_page_title_are_marked():
    de = translator("de")
    assert de.gettext(CARD.title) == "Quantisierung: Wie wenige Bits reichen?"
    assert de.gettext(CARD.description).startswith("Verschiebe die Bitbreite")
    assert translator("es").gettext(CARD.short) == "Cuantización"
    page = lesson_app("Quantization: the bit-width slider", QuantizationModel, QuantizationView,
                      args={"lang": [b"es"]})
    assert page.ql_tr.lang == "es"
    assert page.ql_view.bits.name == "Bits por valor"
