"""The Solitons lesson in German, Spanish and the pseudo-locale, without a browser: the widgets, cards,
figures, status lines, tabs and the player's strings come from the lesson's catalogue, numbers carry
the locale's decimal sign, and English stays as it was."""
import pathlib
import re

import numpy as np
import pytest

from lessons.common.i18n import js_messages, translator
from lessons.solitons import CARD
from lessons.solitons.model import POTENTIALS, SCAN_SPEEDS, SCENES, Run, SolitonsModel
from lessons.solitons.view import SCENE_CARDS, SolitonsView
from tests.lessons.helpers import read_cards

WRAPPED = re.compile(r"^⟦.*⟧$", re.S)
PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "lessons" / "solitons"


def _outside(text: str) -> list[str]:
    """Words of three or more letters outside ⟦ ⟧ (what the pseudo-locale's browser test reports)."""
    while True:                         # (a bracket may hold another: the kinks' name in the status)
        inner = re.sub(r"⟦[^⟦⟧]*⟧", " ", text)
        if inner == text:
            return re.findall(r"[A-Za-z]{3,}", text)
        text = inner


def _view(lang: str, **settings) -> SolitonsView:
    settings = {"t_max": 20.0, **settings}
    return SolitonsView(SolitonsModel(tr=translator(lang), **settings))


def _finished(view: SolitonsView) -> SolitonsView:
    """``view`` with its run computed to the end and the cards of the finished run shown."""
    view.model.run.finish()
    view._show_cards(view.model.run)
    return view


def _widgets(view):
    return (view.scene, view.potential, view.v, view.boost, view.omega, view.mass, view.k0, view.sigma,
            view.t_max, view.exact)


def _legend(fig) -> list[str]:
    return [item.label.value for item in fig.legend[0].items]


@pytest.fixture
def german():
    v = _view("de")
    v.main()
    v.load_secondary()
    yield v
    v.stop()


def test_english_is_unchanged():
    v = _view("en")
    try:
        v.main()
        v.load_secondary()
        assert [w.label for w in _widgets(v)] == [
            "Scene", "Potential", "Speed of each kink v", "Kink speed v", "Breather frequency ω", "Mass m",
            "Wavenumber k₀", "Packet width σ", "Run length", "Draw the closed-form solution"]
        assert list(v.scene.options) == list(SCENES.values())
        assert list(v.potential.options) == list(POTENTIALS.values())
        assert v.status.object.startswith("**φ⁴ kinks** start at x = ∓10 and come together at v = 0.22 each "
                                          "(γ = 1.025).")
        assert "<span>Closed-form energy</span>" in v.cards.object and "M = 0.9428" in v.cards.object
        assert v.scan_fig.title.text == "φ⁴ kink collisions: outgoing against incoming speed"
        assert v.scan_fig.xaxis.axis_label == "incoming speed v"
        assert _legend(v.scan_fig)[-1] == "trapped: a bion"
        assert "v_c ≈ 0.26" in v.scan_text.object and "from 0.15 to 0.4." in v.scan_text.object
        assert v.scan_button.label == "Scan the speeds"
        assert list(v.layout[-1]._names) == ["Lesson", "Teacher notes"]
    finally:
        v.stop()


def test_german_widgets_cards_and_status_come_from_the_catalogue(german):
    de = translator("de")
    labels = [w.label for w in _widgets(german)]
    assert labels[:3] == ["Szene", "Potential", "Geschwindigkeit je Kink v"]
    assert labels[4] == "Breather-Frequenz ω" and labels[8] == "Laufzeit"
    for english, shown in zip(["Scene", "Speed of each kink v", "Kink speed v", "Breather frequency ω", "Mass m",
                               "Wavenumber k₀", "Packet width σ", "Run length", "Draw the closed-form solution"],
                              [labels[i] for i in (0, 2, 3, 4, 5, 6, 7, 8, 9)]):
        assert shown == de.gettext(english) != english
    assert list(german.scene.options) == [de.gettext(label) for label in SCENES.values()]
    assert list(german.scene.options) == ["Kink trifft Antikink", "Ein bewegter Kink", "Sine-Gordon-Breather",
                                          "Lineare Wellen zerfließen"]
    assert list(german.potential.options) == ["φ⁴: V = (φ² − 1)²/4", "Sine-Gordon: V = 1 − cos φ"]
    # the cards: German labels and hints, a decimal comma
    html = german.cards.object
    assert "<span>Exakte Energie</span>" in html and "<span>Endgeschwindigkeit</span>" in html
    assert "2γM: zwei Kinks der Ruheenergie M = 0,9428" in html
    assert "Closed-form" not in html and "kinks" not in html
    values = read_cards(html, SCENE_CARDS["collision"])
    assert re.fullmatch(r"\d+,\d+", values["expected"]), values
    assert values["expected"] == de.num(german.model.expected_energy(), ".4g")
    # the status line: the kinks' name in bold, numbers with a comma
    status = german.status.object
    assert status.startswith("**φ⁴-Kinks** starten bei x = ∓10 und laufen mit je v = 0,22 aufeinander zu "
                             "(γ = 1,025).")
    assert "Sag voraus" in status and "come together" not in status


def test_german_figures_tabs_and_text(german):
    f = german.scan_fig
    assert f.title.text == "φ⁴-Kink-Stöße: End- gegen Anfangsgeschwindigkeit"
    assert f.xaxis.axis_label == "Anfangsgeschwindigkeit v" and f.yaxis.axis_label == "Endgeschwindigkeit"
    assert _legend(f) == ["Sine-Gordon: aus = ein", "frei nach 1 Stoß", "frei nach 2 Stößen", "frei nach 3 oder mehr",
                          "gefangen: ein Bion"]
    # the saved files keep the English name (a file name, not a text)
    names = {getattr(t, "filename", None) for t in f.toolbar.tools} - {None}
    assert names == {"kink-collisions-outgoing-against-incoming-speed"}
    text = german.scan_text.object
    assert text.startswith(f"Jeder Punkt ist ein φ⁴-Stoß, {len(SCAN_SPEEDS)} Geschwindigkeiten von 0,15 bis 0,4.")
    assert "v_c ≈ 0,26" in text and text.endswith("Die durchgezogene Linie ist dein v.")
    assert german.scan_button.label == "Geschwindigkeiten abtasten"
    assert german.layout[-3].object == "### Resonanzfenster der φ⁴-Kinks"
    headings = [p.object for p in german.sidebar() if isinstance(getattr(p, "object", None), str)]
    assert headings == ["### Das Feld", "### Der Lauf"]
    tabs = german.layout[-1]
    assert list(tabs._names) == ["Lektion", "Hinweise für Lehrkräfte"]
    lesson = tabs[0].objects[0]
    assert lesson.objects[0].object.startswith("## Solitonen: Wellen, die sich wie Teilchen verhalten")
    assert "Lernziele" in lesson.objects[0].object


def test_the_scan_counts_in_german():
    v = _view("de")
    try:
        v.scan_slice(0.0)              # one collision (cached for the process)
        assert v.scan_progress.object == f"1 von {len(SCAN_SPEEDS)} Stößen"
    finally:
        v.stop()


def test_german_cards_of_a_finished_run_write_a_decimal_comma():
    de = translator("de")
    v = _finished(_view("de", scene="kink", boost=0.6))
    try:
        html = v.cards.object
        assert "<span>Länge ÷ Ruhelänge</span>" in html and "die Relativitätstheorie sagt 1/γ = 0,8" in html
        assert "des Energiemaximums; du hast v = 0,6 gewählt" in html
        values = read_cards(html, SCENE_CARDS["kink"])
        assert re.fullmatch(r"0,\d+", values["speed"]) and re.fullmatch(r"0,\d+", values["length"]), values
        assert values["drift"] != "–" and "." not in values["drift"]
        assert v.status.object.startswith("Ein Kink, der sich mit v = 0,6 bewegt: Lorentz-kontrahiert auf 1/γ = 0,8 ")
    finally:
        v.stop()
    v = _finished(_view("de", scene="collision", potential="sine_gordon", v=0.5, t_max=40.0))
    try:
        assert read_cards(v.cards.object, SCENE_CARDS[v.model.scene])["outcome"] == de.gettext("passed through each other") \
            == "durcheinander hindurchgelaufen"
        assert v.status.object.startswith("**Sine-Gordon-Kinks** starten bei x = ∓10")
        # a count of collisions in German
        out = {"met": True, "passed": False, "escaped": True, "bounces": 3}
        assert v._outcome_text(out) == "nach 3 Stößen auseinandergeprallt"
        assert v._outcome_text({**out, "bounces": 1}) == "auseinandergeprallt"
        assert v._outcome_text({**out, "escaped": False}) == "aneinander gebunden: ein Bion"
    finally:
        v.stop()


def test_spanish_status_and_cards():
    v = _view("es", scene="breather", omega=0.5)
    try:
        assert v.omega.label == "Frecuencia del breather ω" and v.t_max.label == "Duración de la ejecución"
        assert v.status.object.startswith("Un breather: un kink y un antikink ligados que respiran con frecuencia "
                                          "ω = 0,5 (período 12,6).")
        assert "<span>Energía exacta</span>" in v.cards.object and "<span>Período medido</span>" in v.cards.object
        assert read_cards(v.cards.object, SCENE_CARDS[v.model.scene])["expected"] == "13,86"
    finally:
        v.stop()
    v = _view("es", scene="packet")
    try:
        assert v.status.object.startswith("Un paquete del campo de Klein–Gordon lineal (ω² = k² + m²): sus crestas "
                                          "avanzan a ω/k₀ = 1,41, más rápido que la luz")
        assert "<span>Velocidad de fase ω/k₀</span>" in v.cards.object
        assert read_cards(v.cards.object, SCENE_CARDS[v.model.scene])["v_phase"] == "1,414"
    finally:
        v.stop()
    es = translator("es")
    assert es.ngettext("bounced apart after {n} collision", "bounced apart after {n} collisions", 2).format(n=2) \
        == "se separaron tras 2 colisiones"


def test_the_pseudo_locale_wraps_every_label_and_text():
    v = _view("qps")
    try:
        v.main()
        v.load_secondary()
        for w in (*_widgets(v), v.scan_button):
            assert WRAPPED.match(w.label), w.label
        options = [*v.scene.options, *v.potential.options]
        assert [o for o in options if not WRAPPED.match(o)] == []
        headings = [p.object for p in v.sidebar() if isinstance(getattr(p, "object", None), str)]
        assert len(headings) == 2 and all(WRAPPED.match(h.removeprefix("### ")) for h in headings)
        assert WRAPPED.match(v.layout[-3].object.removeprefix("### "))
        for scene in SCENES:
            v.model.scene = scene
            v._restart()
            cards = re.findall(r"<(span|small)>(.*?)</\1>", v.cards.object)
            assert cards and all(WRAPPED.match(text) for _, text in cards), cards
            status = v.status.object
            assert status.startswith("⟦") and _outside(status) == [], status
        f = v.scan_fig
        assert WRAPPED.match(f.title.text) and WRAPPED.match(f.xaxis.axis_label) and WRAPPED.match(f.yaxis.axis_label)
        assert all(WRAPPED.match(label) for label in _legend(f))
        assert WRAPPED.match(v.scan_text.object)
        assert all(WRAPPED.match(t) for t in v.layout[-1]._names)
        lesson = v.layout[-1][0].objects[0].objects[0].object          # the lesson text's first part
        assert lesson.startswith("## ⟦Solitons: waves that behave like particles⟧") and "⟦Goals.⟧" in lesson
        hidden = {k: translator("qps").gettext(label) for k, label in SolitonsView.HIDEABLE.items()}
        assert all(WRAPPED.match(t) for t in hidden.values())
    finally:
        v.stop()


def test_every_string_of_the_player_is_in_the_catalogue():
    """The player's msgids (its pieces.js and the shared shell) all have German and Spanish texts, the
    lesson's own canvas words are among them, and the page gets them with the decimal comma."""
    own = js_messages((PACKAGE / "pieces.js").read_text(encoding="utf-8"))
    assert {"field φ", "field φ(x, t)", "energy density", "position x", "closed form", "the kink at rest",
            "vacua (V = 0)", "energy E", "drift ΔE/E₀", "waiting for the run…", "Preparing the run…"} <= set(own)
    for lang in ("de", "es"):
        v = _view(lang)
        try:
            player = v.player
            assert set(own) <= set(player.messages())
            player.set_language(translator(lang))
            assert player.decimal == ","
            missing = [m for m in own if m not in player.strings]
            assert missing == [], f"{lang}: {missing}"
        finally:
            v.stop()
    assert translator("de").js_strings(["field φ", "energy density"]) == {"field φ": "Feld φ",
                                                                         "energy density": "Energiedichte"}
    assert translator("es").js_strings(["vacua (V = 0)"]) == {"vacua (V = 0)": "vacíos (V = 0)"}


def test_a_failed_run_says_so_in_the_page_language():
    m = SolitonsModel(tr=translator("de"), t_max=20.0)
    run = m.new_run()
    assert isinstance(run, Run) and run.tr.lang == "de"
    run.next_chunk(1)
    run.sim._pi[:] = np.nan
    run.next_chunk(5)
    assert run.done and run.error == "Die Simulation wurde angehalten: das Feld ist keine endliche Zahl."
    spanish = SolitonsModel(tr=translator("es"), t_max=20.0).new_run()
    spanish.sim._pi[:] = np.nan
    spanish.next_chunk(5)
    assert spanish.error == "La simulación se detuvo: el campo no es un número finito."
    english = SolitonsModel(t_max=20.0).new_run()
    english.sim._pi[:] = np.nan
    english.next_chunk(5)
    assert english.error == "The simulation stopped: the field is not a finite number."


def test_the_card_of_the_gallery_is_translated():
    de, es = translator("de"), translator("es")
    assert de.gettext(CARD.title) == ("Solitonen: Kinks, die sich wie Teilchen bewegen, atmen, abprallen und einander "
                                      "durchdringen")
    assert de.gettext(CARD.short) == "Solitonen" and es.gettext(CARD.short) == "Solitones"
    for text in (CARD.title, CARD.description, CARD.summary, CARD.page_title):
        assert de.gettext(text) != text and es.gettext(text) != text


@pytest.mark.parametrize("lang", ["de", "es"])
def test_translations_keep_their_placeholders(lang):
    from babel.messages.pofile import read_po

    with (PACKAGE / "locale" / lang / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        catalog = read_po(fp, locale=lang)
    fields = lambda s: sorted(re.findall(r"\{\w+\}", s))  # noqa: E731
    count = 0
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            assert text and fields(text) == fields(ids[-1]), (message.id, text)
            assert text.count("**") == ids[-1].count("**"), (message.id, text)
            count += 1
    assert count > 95
