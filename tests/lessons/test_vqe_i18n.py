"""The VQE lesson in German, Spanish and the pseudo-locale, without a browser: the widgets, menus,
cards, status lines, notes and the extrapolation's summary come from the catalogues, numbers carry
the locale's decimal comma, and the pseudo-locale wraps every label (nothing escaped translation).
"""
import re

import numpy as np
import panel as pn
import pytest

from lessons.common.catalogs import missing
from lessons.common.i18n import N_, translator
from lessons.vqe import CARD
from lessons.vqe.model import OPTIMIZERS, PRESETS, VQEModel
from lessons.vqe.player import OptimisationPlayer
from lessons.vqe.view import CARDS, VQEView, create_app
from tests.lessons.helpers import Recorder, read_cards

CARD_KEYS = tuple(key for key, _l, _h in CARDS)
#: labels that are symbols alone (the same in every language)
SYMBOLS = {"Jx", "Jy", "Jz"}


def make_view(lang: str, **settings) -> VQEView:
    return VQEView(VQEModel(tr=translator(lang), **{"iterations": 30, **settings}))


def played(view: VQEView) -> VQEView:
    """The view after its page has played the run to its end (cards and extrapolation filled in)."""
    Recorder(view.player)
    run = view.model.run
    while not run.done:
        view.player._handle_msg({"kind": "more", "run": run.run_id, "upto": run.frames + 50})
    view.player._handle_msg({"kind": "ended", "run": run.run_id})
    return view


def widgets(view: VQEView) -> list:
    return [w for w in view.sidebar() if isinstance(w, pn.widgets.Widget)]


def headings(view: VQEView) -> list[str]:
    return [p.object[4:] for p in view.sidebar() if isinstance(p, pn.pane.Markdown) and p.object.startswith("### ")]


@pytest.fixture
def german():
    v = make_view("de")
    yield v
    v.stop()


def test_every_string_of_the_lesson_is_translated():
    assert missing("de", ["vqe"]) == {} and missing("es", ["vqe"]) == {}


def test_a_german_page_has_german_widgets_menus_and_headings(german):
    v, de = german, translator("de")
    assert v.preset.label == "Kopplungen" and v.layers.label == "Verschränkende Schichten"
    assert v.sliders["B"].label == "Feld B (entlang z)" and v.sliders["Jx"].label == "Jx"
    assert v.shots.label == "Shots pro Energie und Basis" and v.step.label == "Schrittweite"
    assert headings(v) == ["Die Kette", "Schaltkreis und Optimierer", "Der Quantencomputer", "Fehlerminderung"]
    # the menus show German names and keep the model's values
    assert v.preset.options["XXZ-Antiferromagnet (1; 1; 0,5)"] == "xxz"
    assert v.optimizer.options[de._(OPTIMIZERS["gradient"][0])] == "gradient"
    assert v.optimizer.options["SPSA (2 Läufe pro Schritt)"] == "spsa"
    assert v.shots.options == {"exakter Erwartungswert (keine Shots)": "exact", "100 Shots": "100",
                               "1 000 Shots": "1000", "10 000 Shots": "10000", "100 000 Shots": "100000"}
    assert v.zne_order.options == {"linear": 1, "quadratisch": 2}
    assert v.optimizer.description == "Der klassische Optimierer."
    v.optimizer.value = "cobyla"
    assert v.step_text.object.startswith("Schrittweite: der erste Vertrauensbereichsradius von COBYLA")
    assert v.model.optimizer == "cobyla"


def test_a_spanish_page_has_spanish_widgets_and_menus():
    v = make_view("es")
    try:
        assert v.preset.label == "Acoplamientos" and v.n_qubits.label == "Cúbits n"
        assert v.shots.options["1 000 disparos"] == "1000"
        assert v.zne_order.options == {"lineal": 1, "cuadrático": 2}
        assert headings(v)[2] == "El ordenador cuántico"
    finally:
        v.stop()


def test_german_cards_and_status_line_write_numbers_with_a_decimal_comma(german):
    v = german
    pb = v.model.problem()
    cards = read_cards(v.cards.object, CARD_KEYS)
    assert cards["E0"] == f"{pb.E0:.4f}".replace(".", ",")
    assert '<span>Exakte Grundenergie E₀</span>' in v.cards.object and "dichte Diagonalisierung" in v.cards.object
    status = v.status.object
    assert status.startswith("**4 Qubits, 2 Schichten:** 24 Winkel und 6 CNOTs. H hat 9 Pauli-Terme")
    assert re.search(r"E₀ = -\d,\d{4}; Energielücke zum ersten angeregten Niveau \d,\d+\.", status), status
    assert not re.search(r"\d\.\d", status), status
    assert v.zne_text.object.startswith("Die Extrapolation wird bei den Endwinkeln berechnet")


def test_a_played_german_run_shows_its_results_and_extrapolation_in_german():
    v = played(make_view("de", p=0.01, shots="1000", n_qubits=3, layers=1, iterations=40))
    try:
        z = v.model.run.zne()
        cards = read_cards(v.cards.object, CARD_KEYS)
        for key in ("measured", "exact", "fidelity", "richardson", "nn"):
            assert re.fullmatch(r"-?\d+,\d+( ± \d+,\d+)?", cards[key]), (key, cards[key])
        assert cards["richardson"].startswith(f"{z['richardson']:.4f}".replace(".", ","))
        text = v.zne_text.object
        assert text.startswith("Grüne Linie: die rauschfreie Energie dieser Winkel") and "neuronales Netz" in text
        assert "Richardson \\(linear\\)" in text and not re.search(r"\d\\?\.\d", text), text
        # the noise floor's sentence and the figure's legend entries at lambda = 0
        assert "die Rauschuntergrenze" in v.status.object and "Bei p = 1,0%" in v.status.object
        assert list(v.zero.data["name"]) == ["Richardson bei λ = 0", "neuronales Netz bei λ = 0"]
        assert v.zne_fig.title.text.startswith("Zero-Noise-Extrapolation bei den Endwinkeln")
        assert v.zne_fig.yaxis[0].axis_label == "Energie"
        assert {getattr(item.label, "value", None) for item in v.zne_fig.legend[0].items} >= {
            "Richardson-Anpassung", "Rauschstärken für das Netz", "gefaltete Schaltkreise (λ = 1, 3, 5)"}
    finally:
        v.stop()


def test_the_figure_files_keep_their_english_name(german):
    from bokeh.models import SaveTool
    save = [t for t in german.zne_fig.tools if isinstance(t, SaveTool)][0]
    assert save.filename.startswith("zero-noise-extrapolation-at-the-final-angles-after")


def test_the_pseudo_locale_wraps_every_label_menu_and_text():
    v = played(make_view("qps", iterations=10))
    try:
        wrapped = lambda text: text.startswith("⟦") and text.endswith("⟧")  # noqa: E731
        for w in widgets(v):
            assert wrapped(w.label) or w.label in SYMBOLS, w.label
            options = getattr(w, "options", None)
            if isinstance(options, dict):
                assert all(wrapped(k) for k in options), options
            if getattr(w, "description", None):
                assert wrapped(w.description), w.description
        assert all(wrapped(h) for h in headings(v))
        assert all(wrapped(label) for label in re.findall(r"<span>([^<]*)</span>", v.cards.object))
        assert all(wrapped(hint) for hint in re.findall(r"<small>([^<]*)</small>", v.cards.object))
        # every sentence of the status line and of the extrapolation's summary is wrapped
        for text in (v.status.object, v.zne_text.object, v.step_text.object):
            outside = re.sub(r"⟦[^⟦⟧]*⟧", "", re.sub(r"⟦[^⟦⟧]*⟧", "", text))   # wrapped strings hold wrapped strings
            assert not re.search(r"[A-Za-z]{3,}", outside), (text, outside)
        assert wrapped(v.zne_fig.title.text) and wrapped(v.zne_fig.xaxis[0].axis_label)
    finally:
        v.stop()


def test_the_notes_and_a_failed_run_are_in_the_page_language():
    m = VQEModel(tr=translator("de"), n_qubits=8, p=0.02, iterations=300)
    note = m.run_notes()[0]
    assert note.startswith("Dieser Lauf endet nach ") and "(Dichtematrizen aus 4ⁿ Zahlen)" in note
    run = m.new_run()

    def broken():
        raise FloatingPointError(N_("the energy is not a finite number"))
        yield

    run._steps = broken()
    run.next_chunk(5)
    assert run.done and run.error == "Die Optimierung wurde abgebrochen: die Energie ist keine endliche Zahl."
    es = VQEModel(tr=translator("es"), n_qubits=8, iterations=500, optimizer="gradient", layers=8)
    assert es.run_notes()[0].startswith("Esta ejecución se detiene tras ")


def test_the_player_strings_and_the_page_labels_have_translations():
    de, es = translator("de"), translator("es")
    messages = OptimisationPlayer.messages()
    for msgid in ("iteration {k} / {n}", "exact ground E₀ = {E0}", "noise floor {E}", "measured E =",
                  "finished — press Restart to replay", "Optimisation controls", "{d} basis states |q₀…q{last}⟩, 00…0 to 11…1"):
        assert msgid in messages, msgid
    assert de.js_strings(messages)["iteration {k} / {n}"] == "Iteration {k} / {n}"
    assert es.js_strings(messages)["noise floor {E}"] == "suelo de ruido {E}"
    # every English word of the player is translated into Spanish (German keeps "Pause" from the shared shell)
    assert set(es.js_strings(messages)) == set(messages)
    # the hideable read-outs' names, the page's title and the gallery card
    for label in VQEView.HIDEABLE.values():
        if label != "E(θ) − E₀":
            assert de._(label) != label and es._(label) != label, label
    for text in (CARD.title, CARD.short, CARD.page_title, CARD.description, CARD.summary, *(lab for lab, _J in PRESETS.values())):
        assert de._(text) != text and es._(text) != text, text
    assert create_app.__doc__ and de._("Variational quantum eigensolver") == "Variationeller Quanteneigenwertlöser"


def test_english_stays_as_it_was():
    v = make_view("en")
    try:
        assert v.preset.label == "Couplings" and v.p.label == "Depolarizing noise p per CNOT"
        assert "1 000 shots" in v.shots.options and "exact expectation (no shots)" in v.shots.options
        assert v.status.object.startswith("**4 qubits, 2 layers:** 24 angles and 6 CNOTs. H has 9 Pauli terms, "
                                          "measured in 3 bases (XXXX, YYYY, ZZZZ). Exact ground energy E₀ = ")
        assert read_cards(v.cards.object, CARD_KEYS)["E0"] == f"{v.model.problem().E0:.4f}"
        assert np.isfinite(v.model.problem().E0)
    finally:
        v.stop()


