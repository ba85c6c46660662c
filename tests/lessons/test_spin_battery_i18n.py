"""The Spin-battery lesson in German, Spanish and the pseudo-locale, without a browser: widget labels,
options, cards, status line, figures, notes and the player's strings come from the catalogues, and
numbers are written with the language's decimal sign."""

import re

import panel as pn
import pytest

from lessons.common.i18n import translator
from lessons.spin_battery.model import (AXIS_LABELS, CHARGER_HAMILTONIANS, CHARGERS, MAX_MAP_SITES, PRESETS,
                                        QUANTITY_LABELS, SpinBatteryModel)
from lessons.spin_battery.player import ChargePlayer
from lessons.spin_battery.view import CARDS, TABS, SpinBatteryView
from lessons.common.text import plain_text
from tests.lessons.helpers import read_cards, shown_run

CARD_KEYS = tuple(key for key, _label, _hint in CARDS)
MAPS, CHARGING = 1, 2
WRAPPED = re.compile(r"^⟦.*⟧$", re.S)


def make_view(lang: str, **settings) -> SpinBatteryView:
    return SpinBatteryView(SpinBatteryModel(tr=translator(lang), **settings))


def widgets(view) -> list:
    return [view.preset, *view.sliders.values(), view.n_sites, view.profile, view.map_axes, view.map_quantity,
            view.curve_axis, view.charger, view.omega, view.t_max]


def card_labels(html: str) -> list[str]:
    return re.findall(r'<div class="ql-card" data-q="\w+"><span>(.*?)</span>', html)


@pytest.fixture(scope="module")
def de():
    return translator("de")


def test_german_widgets_are_labelled_from_the_catalogue(de):
    view = make_view("de")
    assert view.preset.name == de._("Couplings") == "Kopplungen"
    assert view.sliders["D"].name == "DM-Kopplung D" and view.sliders["T"].name == "Temperatur T"
    assert view.n_sites.name == "Anzahl der Spins N" and view.omega.name == "Anregungsstärke Ω"
    # options: German names, the same keys the model stores
    assert view.preset.options[de._(PRESETS["xxz_afm"][0])] == "xxz_afm"
    assert "XXZ-Antiferromagnet (1; 1; 0,5)" in view.preset.options
    assert view.charger.options == {de._(v): k for k, v in CHARGERS.items()}
    assert "Resonante Anregung je Spin" in view.charger.options
    assert view.map_axes.options["DM-Kopplung D × Temperatur T"] == "D_T"
    assert view.curve_axis.options["Temperatur T"] == "T"
    assert view.map_quantity.options == {de._(v): k for k, v in QUANTITY_LABELS.items()}
    # the help text of a select is its parameter's doc, translated
    assert view.charger.description == "Was die Batterie lädt."
    # every label differs from the English (symbols alone, Jx/Jy/Jz, excepted)
    english = SpinBatteryView(SpinBatteryModel())
    for w, e in zip(widgets(view), widgets(english)):
        if e.name not in ("Jx", "Jy", "Jz"):
            assert w.name != e.name, e.name
    # choosing a German option sets the model
    view.charger.value = view.charger.options["Nur die Kopplungen (Quench)"]
    assert view.model.charger == "chain"
    assert view.charger_text.object == plain_text(de._(CHARGER_HAMILTONIANS["chain"]))
    assert view.charger_text.object.startswith("H\\_charge = H: Die Kopplungen werden eingeschaltet")


def test_german_cards_and_status_use_the_decimal_comma(de):
    view = make_view("de")
    html = view.cards.object
    labels = card_labels(html)
    assert labels == [de._(label) for _k, label, _h in CARDS]
    assert labels[0] == "Ergotropie W" and labels[1] == "Kapazität C"
    assert "die größte Arbeit, die eine unitäre Transformation entnehmen kann" in html
    values = read_cards(html, CARD_KEYS)
    r = view.model.readouts()
    assert values == {k: f"{r[k]:.4f}".replace(".", ",") for k in CARD_KEYS}
    assert values["ergotropy"] == "1,8108"
    status = view.status.object
    assert status.startswith("N = 2 Spins, Felder B_i = 1,30; 0,70.")
    assert f"**{100 * r['efficiency']:.1f} %**".replace(".", ",") in status
    assert "der Kapazität sind entnehmbar" in status and not re.search(r"\d\.\d", status)


def test_german_tabs_and_figures(de):
    view = make_view("de")
    assert view.tabs._names == [de._(t) for t in TABS] == ["Batteriezustand", "Karten und Kurven", "Laden"]
    # the first tab is built under its German title and drawn
    assert view.tabs.built("Batteriezustand")
    assert view.bars_fig.title.text == "Energien (J); gestrichelt: volle Batterie"
    assert list(view.bars.data["y"]) == ["Kapazität C", "Ergotropie W", "gespeicherte Energie E"]
    assert list(view.bars_fig.y_range.factors) == list(view.bars.data["y"])
    assert list(view.res.data["y"]) == ["Concurrence", "l1-Kohärenz"]
    assert view.ladder_fig.xaxis.axis_label == "Besetzung" and view.ladder_fig.yaxis.axis_label == "Energie von H_B"
    assert ".replace('.', ',')" in view.ladder_fig.xaxis.formatter.code
    assert view.heat_fig.title.text == "|ρ| in der Spinbasis (↑ = |0⟩, σz = +1)"
    legend = [item.label.value for item in view.ladder_fig.legend[0].items]
    assert legend == ["ρ", "passiver Zustand π", "mittlere Energie (der Abstand ist W)"]
    # the PNG tool still saves under the English title's name
    assert view.bars_fig.toolbar.tools[0].filename == "energies-j-dashed-full-battery"
    # the maps tab: German axes and titles, drawn when opened
    view.tabs.active = MAPS
    assert view.tabs.built("Karten und Kurven")
    assert view.map_fig.xaxis.axis_label == "DM-Kopplung D" and view.map_fig.yaxis.axis_label == "Temperatur T"
    assert view.map_fig.title.text.startswith("Ergotropie W (")
    assert "Punkte, N = 2); ⊕ = deine Einstellungen" in view.map_fig.title.text
    assert view.curve_fig.title.text == "Über Temperatur T (rote Linie: dein Wert)"
    assert view.map_src.data["image"][0].shape[0] > 2          # computed, not the placeholder
    # the charging tab: a run is sent under its German title
    view.tabs.active = CHARGING
    assert shown_run(view.player)["run"] == 1
    view.load_secondary()
    assert view.tabs._names[3:] == ["Lektion", "Hinweise für Lehrkräfte"]


def test_german_notes_and_notices(de):
    view = make_view("de", n_sites=MAX_MAP_SITES + 1)
    view.tabs.active = MAPS
    assert view.map_note.visible
    assert view.map_note.object.startswith("Karten werden bis N = 8 Spins berechnet")
    assert "zwei 256-dimensionale Diagonalisierungen" in view.map_note.object
    view.model.curve_axis = "D"
    assert view.map_note.object.startswith("Karten und Kurven über Kopplungen werden bis N = 8 Spins berechnet")
    # a long chain charges from T = 0: the player's note says so in German
    view.tabs.active = CHARGING
    assert shown_run(view.player)["note"] == ("Bei 9 Spins startet das Laden mit der leeren Batterie bei T = 0 "
                                              "(ein gemischter Anfangszustand wird bis 7 Spins simuliert).")
    # the heat map of a long chain: the reduced state, in German
    view.tabs.active = 0
    assert view.heat_fig.title.text == "|ρ| der ersten 6 Spins (Spur über den Rest); Kets beim Darüberfahren"
    # a link's correction is a German notice
    model = SpinBatteryModel.from_query({"N": "3", "map_q": "concurrence"}, tr=de)
    assert model.map_quantity == "ergotropy"
    assert "'map_q=concurrence' gibt es als Karte nur für zwei Spins: Gezeigt wird die Ergotropie." in model.notices


def test_spanish_view():
    es = translator("es")
    view = make_view("es", n_sites=3)
    assert view.sliders["b"].name == "Inhomogeneidad b (sitios: B ± b)"
    assert card_labels(view.cards.object)[2] == es._("Stored energy E") == "Energía almacenada E"
    assert view.status.object.startswith("N = 3 espines, campos B_i = ")
    assert "de la capacidad es extraíble" in view.status.object
    assert all("," in v for v in read_cards(view.cards.object, CARD_KEYS).values())
    assert view.profile.options == {"B+b, B−b, …": "alternating", "gradiente B+b → B−b": "gradient"}
    assert view.tabs._names == ["Estado de la batería", "Mapas y curvas", "Carga"]


def test_pseudo_locale_wraps_every_label_option_and_title():
    view = make_view("qps")
    view.tabs.active = MAPS
    view.load_secondary()
    for w in widgets(view):
        assert WRAPPED.match(w.name), w.name
        options = getattr(w, "options", None)
        options = options if isinstance(options, dict) else {}
        for label in options:
            if label != "B+b, B−b, …":              # symbols only
                assert WRAPPED.match(label) or all(WRAPPED.match(p) for p in label.split(" × ")), label
    for pane in view.sidebar():
        if isinstance(pane, pn.pane.Markdown):
            assert WRAPPED.match(pane.object.removeprefix("### ")), pane.object
    assert all(WRAPPED.match(t) for t in view.tabs._names)
    for fig in (view.bars_fig, view.res_fig, view.ladder_fig, view.heat_fig, view.map_fig, view.curve_fig):
        assert WRAPPED.match(fig.title.text), fig.title.text
        for item in fig.legend[0].items if fig.legend else []:
            assert item.label.value in ("ρ",) or WRAPPED.match(item.label.value), item.label.value
        for axis in (*fig.xaxis, *fig.yaxis):
            assert not axis.axis_label or WRAPPED.match(axis.axis_label), axis.axis_label
    assert all(WRAPPED.match(label) for label in card_labels(view.cards.object))
    assert "⟦N = 2 spins, fields B_i = 1,30; 0,70.⟧" in view.status.object
    assert all(WRAPPED.match(label) for label in view.map_fig.xaxis.axis_label.split(" × "))


def test_english_is_unchanged():
    view = make_view("en")
    assert view.preset.name == "Couplings" and view.sliders["b"].name == "Inhomogeneity b (sites get B ± b)"
    assert card_labels(view.cards.object)[0] == "Ergotropy W"
    assert read_cards(view.cards.object, CARD_KEYS)["ergotropy"] == "1.8108"
    assert view.status.object.startswith("N = 2 spins, fields B_i = 1.30, 0.70. W/C = **")
    assert view.ladder_fig.xaxis.formatter.code == "return Math.abs(tick).toFixed(1)"
    assert view.map_axes.options[f"{AXIS_LABELS['D']} × {AXIS_LABELS['T']}"] == "D_T"
    assert view.charger.description == "What charges the battery."
    # English keeps Bokeh's own number formats
    assert view.sliders["T"].format is None and type(view.bars_fig.xaxis[0].formatter).__name__ == "BasicTickFormatter"


def test_the_players_strings_are_all_translated():
    messages = ChargePlayer.messages()
    for msgid in ("Charging animation", "Restart the charging", "stored E", "best average power {power} at t = {t}",
                  "{percent} % full", "time t (units of 1/J)", "local ergotropy (spin by spin)",
                  "Computing the charging run…"):
        assert msgid in messages, msgid
    own = [m for m in messages if m in {"Charging animation", "Restart the charging", "stored E", "local W",
                                        "average power E/t", "energy", "{percent} % full"}]
    for lang in ("de", "es"):
        strings = translator(lang).js_strings(messages)
        assert all(m in strings for m in own), (lang, [m for m in own if m not in strings])
        assert "{power}" in strings["best average power {power} at t = {t}"] and "{t}" in strings[
            "best average power {power} at t = {t}"]
    assert translator("de").js_strings(["{percent} % full"]) == {"{percent} % full": "{percent} % voll"}
