"""The Bound-states lesson in German, Spanish and the pseudo-locale, with no browser: the view's
widgets, tabs, figures and read-outs, the model's messages and the player's strings come from the
lesson's catalogue, numbers carry the locale's decimal sign, and the English page is unchanged."""
from __future__ import annotations

import pathlib
import re

import panel as pn
import pytest
from bokeh.models import CustomAction, SaveTool

from lessons.bound_states import CARD
from lessons.bound_states.model import LABELS, PINN_DEMOS, SHAPE_LABELS, SHAPE_NAMES, BoundStatesModel
from lessons.bound_states.player import EigenPlayer
from lessons.bound_states.view import BoundStatesView
from lessons.common.i18n import js_messages, translator
from lessons.common.page import lesson_app
from tests.lessons.helpers import Recorder
from physics import potentials

PIECES = pathlib.Path(__file__).resolve().parents[2] / "lessons" / "bound_states" / "pieces.js"


def _view(lang: str, **settings) -> BoundStatesView:
    view = BoundStatesView(BoundStatesModel(seed=3, tr=translator(lang), **settings))
    view.load_secondary()
    return view


@pytest.fixture
def german():
    view = _view("de")
    yield view
    view.stop()


def _widgets(view: BoundStatesView) -> list:
    """Every widget of the sidebar and of the PINN tab (opened)."""
    view.tabs.active = 1
    found = []
    for part in [*view.sidebar(), view.tabs]:
        if isinstance(part, pn.widgets.Widget):
            found.append(part)
        elif isinstance(part, pn.viewable.Viewable):
            found += list(part.select(pn.widgets.Widget))
    return list({id(w): w for w in found}.values())


def _figures(view: BoundStatesView) -> list:
    view.tabs.active = 0
    view.tabs.active = 1
    return [view.e_fig, view.x_fig, view.loss_fig, view.energy_fig, view.psi_fig]


def test_the_well_names_are_the_physics_labels():
    """The picker's msgids (model.SHAPE_NAMES) are physics.potentials.WELLS' labels, for every well."""
    assert SHAPE_NAMES == {key: well.label for key, well in potentials.WELLS.items()}


def test_the_english_page_shows_the_msgids():
    view = _view("en")
    assert view.shape.label == "Potential" and "Finite square well" in view.shape.options
    assert view.sliders["width"].label == "Well width"
    assert list(view.pinn_lr.options) == ["0.0001", "0.0003", "0.001", "0.003", "0.01", "0.03"]
    assert view.readout.object.startswith('**⟨E⟩ =** <b class="ql-mean-E">1.031</b>, spread ΔE = ')
    assert view.player.strings == {} and view.player.decimal == "."
    view.stop()


def test_german_widgets_tabs_and_headings_come_from_the_catalogue(german):
    v = german
    assert v.shape.label == "Potential"          # the same word in German: check the rest
    assert v.shape.value == "finite" and v.shape.options["Endlich tiefer Potentialtopf"] == "finite"
    assert v.sliders["width"].label == "Breite des Topfes"
    assert v.sliders["depth"].label == "Tiefe (Höhe der Wände)"
    assert v.levels.label == "Gezeichnete Niveaus" and v.speed.label == "Wiedergabetempo"
    assert set(v.mode.options) == {"Überlagerung", "Eigenzustände"}
    assert v.predict.label == "Erst vorhersagen: Niveaus ausblenden"
    assert v.reveal.label == "Niveaus aufdecken" and v.prepare.label == "Diesen Zustand erneut präparieren (t = 0)"
    assert v.coeff_rows[2][1].label == "Phase 3 (°)"
    assert v.tabs._names == ["Messungen", "Neuronales Netz (PINN)", "Lektion", "Hinweise für Lehrkräfte"]
    assert v.train.name == "▶ Trainieren" and v.pinn_state.label == "Zu lernender Zustand"
    assert v.pinn_demo.options["Kein Normierungsterm (Skalenmehrdeutigkeit)"] == "no_norm"
    assert v.pinn_demo.description == "Was das PINN vorführt." and v.mode.description.startswith("Die Überlagerung")
    assert list(v.pinn_lr.options)[0] == "0,0001" and v.pinn_lr.value == 1e-3
    headings = [p.object for p in v.sidebar() if isinstance(p, pn.pane.Markdown) and p.object.startswith("###")]
    assert headings[:3] == ["### Potential", "### Darstellung", "### Vorhersagen, dann aufdecken"]
    assert headings[3].startswith("### Überlagerung\nBetrag und Phase")
    # the lesson text of the tab is the German file
    v.tabs.active = 2
    lesson = v.tabs[2]
    assert "Gebundene Zustände" in lesson[0].objects[0].object


def test_a_slider_label_follows_the_well_in_the_pages_language(german):
    german.model.shape = "asymmetric"
    assert german.sliders["depth"].label == "Höhe der linken Wand"
    german.model.shape = "morse"
    assert german.sliders["depth"].label == "Dissoziationsenergie D"


def test_every_label_table_has_german_and_spanish():
    for lang in ("de", "es"):
        tr = translator(lang)
        for msgid in [*SHAPE_NAMES.values(), *LABELS.values(), *SHAPE_LABELS.values(), *PINN_DEMOS.values(),
                      CARD.title, CARD.description, CARD.summary, CARD.short]:
            if msgid != "Pöschl–Teller":          # a name: the same in every language
                assert tr.gettext(msgid) != msgid, (lang, msgid)


def test_german_read_out_and_measurements_use_a_decimal_comma(german):
    m = german.model
    assert re.match(r'^\*\*⟨E⟩ =\*\* <b class="ql-mean-E">1,031</b>, Streuung ΔE = 0,617 · '
                    r"langsamste Schwebungsperiode 2π/ΔE = 5,09", german.readout.object), german.readout.object
    assert not re.search(r"\d\.\d", german.readout.object)
    n = m.measure_energy(1.0)
    assert re.fullmatch(r"Energie gemessen: E%d = \d+,\d+\. Der Zustand ist jetzt dieser Eigenzustand\." % (n + 1),
                        m.collapsed), m.collapsed
    assert german.collapse_note.visible and "Energie gemessen" in german.collapse_note.object
    m.measure_position(2.0)
    assert re.match(r"Ort gemessen: x = -?\d+,\d\d\. .*Auflösung des Detektors 0,2\)", m.collapsed), m.collapsed
    m.measure_ensemble("energy", 2.5)
    assert german.measure_count.object.startswith("100 Energie- und 1 Ortsergebnisse")


def test_the_rim_sentence_takes_the_languages_plural():
    # a shallow narrow well holds one level below its rim
    one = _view("de", shape="finite", width=0.5, depth=1.0)
    assert "1 der 40 berechneten Niveaus liegt unterhalb des Rands V = 1 " in one.readout.object
    many = _view("es")
    assert re.search(r"5 de los 40 niveles calculados están por debajo del borde V = 10 ", many.readout.object)
    for v in (one, many):
        v.stop()


def test_predict_and_reveal_in_spanish():
    view = _view("es")
    view.model.predict = True
    assert view.readout.object == "Niveles ocultos hasta que los reveles."
    view.model.guess = 1.25
    view.reveal.clicks += 1
    assert re.fullmatch(r"Tu estimación E₁ = 1,25; E₁ exacta = \d,\d+ \(\d+% de error\)\.",
                        view.reveal_text.object.replace("\\", "")), view.reveal_text.object
    view.stop()


def test_german_figures_keep_english_file_names(german):
    figs = _figures(german)
    e_fig, x_fig, loss_fig, energy_fig, psi_fig = figs
    assert e_fig.title.text == "Energiemessungen: Anteil der Ergebnisse je Niveau"
    assert e_fig.xaxis[0].axis_label == "Niveau n" and e_fig.yaxis[0].axis_label == "Anteil"
    assert [item.label["value"] for item in e_fig.legend[0].items] == ["gemessen", "|cₙ|² vorhergesagt"]
    assert loss_fig.xaxis[0].axis_label == "Trainingsschritt"
    assert "Schrödinger-Residuum" in [item.label["value"] for item in loss_fig.legend[0].items]
    assert psi_fig.yaxis[1].axis_label == "Differenz"
    # the PNG and the CSV a student saves are named after the English title (machine-readable)
    save = next(t for t in e_fig.toolbar.tools if isinstance(t, SaveTool))
    csv = next(t for t in e_fig.toolbar.tools if isinstance(t, CustomAction))
    assert save.filename == "energy-measurements-fraction-of-outcomes-per-level"
    assert csv.callback.args["filename"] == "energy-measurements-fraction-of-outcomes-per-level.csv"


def test_german_pinn_status(german):
    german.tabs.active = 1
    assert german.pinn_status.object == "Drücke **Trainieren**, um zu starten."
    german.model.shape = "infinite"
    assert german.pinn_status.object.startswith("Einstellungen geändert")
    german.start_training()
    status = german.pinn_status.object
    assert status.startswith(f"Schritt **{german.model.pinn.steps}** · variationelle Aufwärmphase"), status
    assert re.search(r"E des Netzes = \*\*-?\d+,\d+\*\* · ∫ψ² = \d,\d{3} · exaktes E = \d+,\d+", status), status
    german.reset.clicks += 1
    assert german.pinn_status.object == "Zurückgesetzt: Drücke **Trainieren**, um neu zu starten."


def test_the_pseudo_locale_wraps_every_label_option_tab_and_figure_text():
    view = _view("qps")
    wrapped = re.compile(r"^⟦.*⟧$", re.S)
    symbols = {f"|c{n}|" for n in range(1, 7)} | {"Re ψ", "Im ψ", "|ψ|²"}
    for widget in _widgets(view):
        label = getattr(widget, "label", None) or widget.name
        if label and label not in symbols:
            assert wrapped.match(label), f"{type(widget).__name__} label {label!r}"
        options = getattr(widget, "options", None)
        if isinstance(options, dict):
            for key in options:
                assert key in symbols or wrapped.match(key) or re.fullmatch(r"\d,\d+", key), key
    assert all(wrapped.match(name) for name in view.tabs._names), view.tabs._names
    for fig in _figures(view):
        assert wrapped.match(fig.title.text), fig.title.text
        for axis in [*fig.xaxis, *fig.yaxis]:
            assert axis.axis_label in ("x", "E", "ψ") or wrapped.match(axis.axis_label), axis.axis_label
        for item in fig.legend[0].items:
            assert wrapped.match(item.label["value"]), item.label
    for text in (view.readout.object, view.measure_count.object, view.pinn_status.object):
        assert "⟦" in text, text
    view.stop()


def test_the_players_strings_are_translated_in_both_languages():
    ours = js_messages(PIECES.read_text(encoding="utf-8"))
    assert {"Measure E", "position x", "levels Eₙ", "your guess for E1 = {value}"} <= set(ours)
    for lang, measure in (("de", "E messen"), ("es", "Medir E")):
        tr = translator(lang)
        assert all(tr.gettext(m) != m for m in ours), [m for m in ours if tr.gettext(m) == m]
        player = EigenPlayer()
        player.set_language(tr)
        assert player.strings["Measure E"] == measure and player.decimal == ","
        assert "{value}" in player.strings["your guess for E1 = {value}"]


def test_a_german_page_sends_the_note_and_title_in_german():
    page = lesson_app(CARD.page_title, BoundStatesModel, BoundStatesView, args={"lang": [b"de"]})
    view = page.ql_view
    assert page.title == "Gebundene Zustände"
    assert view.player.strings["Animation and measurement"] == "Animation und Messung"
    rec = Recorder(view.player)
    view.player._handle_msg({"kind": "action", "name": "measure", "what": "energy", "shots": 1, "t": 1.0,
                             "state": view.model.state_id})
    assert rec.last("chunk")["note"] == "nach einer Messung"
    view.stop()
