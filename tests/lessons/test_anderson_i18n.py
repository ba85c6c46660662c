"""The Anderson lesson in German, Spanish and the pseudo-locale, without a browser: the widgets, cards,
figures, status lines, tabs and the player's strings come from the lesson's catalogue, numbers carry
the locale's decimal sign, and English stays as it was."""
import pathlib
import re

import numpy as np
import pytest

from lessons.anderson import CARD
from lessons.anderson.model import SCENES, AndersonModel, Run
from lessons.anderson.view import CARDS, AndersonView
from lessons.common.i18n import js_messages, translator
from tests.lessons.helpers import read_cards

CARD_KEYS = tuple(key for key, _, _ in CARDS)
WRAPPED = re.compile(r"^⟦.*⟧$", re.S)
PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "lessons" / "anderson"


def _outside(text: str) -> list[str]:
    """Words of three or more letters outside ⟦ ⟧ (what the pseudo-locale's browser test reports)."""
    return re.findall(r"[A-Za-z]{3,}", re.sub(r"⟦[^⟦⟧]*⟧", " ", text))


def _view(lang: str, **settings) -> AndersonView:
    settings = {"sites": 200, "t_max": 20.0, **settings}
    return AndersonView(AndersonModel(tr=translator(lang), **settings))


def _widgets(view):
    return (view.scene, view.W, view.seed, view.amplitude, view.speed, view.start, view.k0, view.sigma,
            view.sites, view.ends, view.t_max, view.scale)


@pytest.fixture
def german():
    v = _view("de", amplitude=1.0, speed=0.0, W=2.5)
    v.main()
    v.load_secondary()
    yield v
    v.stop()


def test_english_is_unchanged():
    v = _view("en")
    try:
        assert [w.label for w in _widgets(v)] == [
            "Scene", "Disorder W", "Seed", "Vibration amplitude A", "Sound speed c", "Start", "Packet wavenumber k₀",
            "Packet width σ (sites)", "Sites N", "Ends", "Run length", "Axis"]
        assert list(v.scene.options)[0] == "Static disorder: Anderson's prison"
        assert v.status.object.startswith("**200 sites**, static disorder W = 2; a packet of width 4 sites")
        assert "<span>Localization length ξ</span>" in v.cards.object
        assert v.W.format is None and v.scene.description == "A ready-made setting."
        assert type(v.states_fig.yaxis[0].formatter).__name__ == "BasicTickFormatter"
    finally:
        v.stop()


def test_german_widgets_cards_and_status_come_from_the_catalogue(german):
    de = translator("de")
    labels = [w.label for w in _widgets(german)]
    assert labels[:2] == ["Szene", "Unordnung W"]
    assert labels[3] == "Schwingungsamplitude A" and labels[7] == "Paketbreite σ (Plätze)"
    for english, shown in zip(["Scene", "Disorder W", "Vibration amplitude A", "Sound speed c", "Sites N", "Ends",
                               "Run length", "Axis"], [labels[i] for i in (0, 1, 3, 4, 8, 9, 10, 11)]):
        assert shown == de.gettext(english) != english
    assert list(german.scene.options) == [de.gettext(label) for label, _ in SCENES.values()]
    assert "Bewegtes Gitter: gefangen, dann frei" in german.scene.options
    assert german.scene.description == "Eine fertige Einstellung."
    # (sliders and axes write numbers with a comma on the page: tests/lessons/test_i18n.py)
    assert list(german.start.options) == ["Gauß-Paket", "ein Platz"]
    assert list(german.ends.options) == ["offen", "absorbierend"]
    # the cards: German labels and hints, a decimal comma
    html = german.cards.object
    assert "<span>Lokalisierungslänge ξ</span>" in html and "schwache Unordnung" in html
    assert "Localization length" not in html
    xi = read_cards(html, CARD_KEYS)["xi"]
    assert re.fullmatch(r"\d+,\d+", xi), xi
    assert xi == de.num(german.model.xi()["now"], ".3g")
    # the status line: a plural, numbers with a comma, the frozen field
    status = german.status.object
    assert status.startswith("**200 Plätze**, statische Unordnung W = 2,5;")
    assert "(eingefroren)" in status and "sites" not in status


def test_german_figures_tabs_and_text(german):
    f, g = german.xi_fig, german.states_fig
    assert f.title.text.startswith("Lokalisierungslänge ξ gegen die Unordnung W bei E = ")
    assert f.xaxis.axis_label == "Unordnung W (in Einheiten von J)" and f.yaxis.axis_label == "ξ (Plätze)"
    assert [item.label.value for item in f.legend[0].items][-1] == "dein W"
    assert g.title.text == "Eigenzustände nahe der Energie des Pakets" and g.xaxis.axis_label == "Platz i"
    states = [item.label.value for item in g.legend[0].items]
    assert all(re.fullmatch(r"E = -?\d+,\d{3}", s) for s in states), states
    # the saved files keep the English name (a file name, not a text)
    names = {getattr(t, "filename", None) for t in f.toolbar.tools} - {None}
    assert names == {"localization-length-against-the-disorder-w"}
    assert german.states_text.object.startswith("Die drei Eigenzustände der Kette")
    assert "Partizipationsverhältnis" in german.states_text.object
    tabs = german.layout[-1]
    assert list(tabs._names) == ["Lektion", "Hinweise für Lehrkräfte"]
    lesson = tabs[0].objects[0]
    assert "Anderson-Lokalisierung" in lesson.objects[0].object


def test_spanish_status_and_cards():
    v = _view("es", ends="absorbing", W=0.5)
    try:
        assert v.W.label == "Desorden W" and v.t_max.label == "Duración de la ejecución"
        assert v.status.object.startswith("**200 sitios**, desorden estático W = 0,5;")
        assert v.status.object.endswith("extremos absorbentes.")
        assert "<span>Razón de participación</span>" in v.cards.object
    finally:
        v.stop()


def test_the_pseudo_locale_wraps_every_label_and_text():
    v = _view("qps", amplitude=1.0)
    try:
        v.main()
        v.load_secondary()
        for w in _widgets(v):
            assert WRAPPED.match(w.label), w.label
        options = [*v.scene.options, *v.start.options, *v.ends.options, *v.scale.options]
        assert [o for o in options if not WRAPPED.match(o)] == ["log₁₀ |ψ|²"]       # symbols only
        headings = [p.object for p in v.sidebar() if isinstance(getattr(p, "object", None), str)]
        assert len(headings) == 5 and all(WRAPPED.match(h.removeprefix("### ")) for h in headings)
        cards = re.findall(r"<(span|small)>(.*?)</\1>", v.cards.object)
        assert len(cards) == 2 * len(CARDS) and all(WRAPPED.match(text) for _, text in cards)
        for fig in (v.xi_fig, v.states_fig):
            assert WRAPPED.match(fig.title.text) and WRAPPED.match(fig.xaxis.axis_label)
        assert all(WRAPPED.match(item.label.value) for item in v.xi_fig.legend[0].items)
        status = v.status.object
        assert status.startswith("**⟦200 sites⟧**, ⟦static disorder W = 2⟧; ") and _outside(status) == []
        assert WRAPPED.match(v.states_text.object)
        assert all(WRAPPED.match(t) for t in v.layout[-1]._names)
        lesson = v.layout[-1][0].objects[0].objects[0].object          # the lesson text's first part
        assert lesson.startswith("## ⟦Anderson localization: an electron that stops") and "⟦Goals.⟧" in lesson
        hidden = {k: translator("qps").gettext(label) for k, label in AndersonView.HIDEABLE.items()}
        assert all(WRAPPED.match(t) for t in hidden.values())
    finally:
        v.stop()


def test_every_string_of_the_player_is_in_the_catalogue():
    """The player's msgids (its pieces.js and the shared shell) all have German and Spanish texts, and the
    lesson's own canvas words are among them."""
    player = AndersonView(AndersonModel(sites=200, t_max=20.0)).player
    messages = player.messages()
    own = js_messages((PACKAGE / "pieces.js").read_text(encoding="utf-8"))
    assert {"site i", "|ψ|² per site", "time t (units of 1/J)", "∝ t² ballistic", "waiting for the run…",
            "Preparing the run…", "spread √⟨x²⟩", "sites"} <= set(own)
    assert set(own) <= set(messages)
    for lang in ("de", "es"):
        strings = translator(lang).js_strings(own)
        assert set(own) - set(strings) <= {"Start"}, set(own) - set(strings)     # "Start" is German too
    assert translator("de").js_strings(["site i"]) == {"site i": "Platz i"}


def test_a_failed_run_says_so_in_the_page_language():
    m = AndersonModel(tr=translator("de"), sites=200, t_max=20.0)
    run = m.new_run()
    assert isinstance(run, Run) and run.tr.lang == "de"
    run.psi = np.full_like(run.psi, np.nan)
    run.next_chunk(5)
    assert run.done and run.error == "Die Simulation wurde angehalten: der Zustand ist keine endliche Zahl."
    english = AndersonModel(sites=200, t_max=20.0).new_run()
    english.psi = np.full_like(english.psi, np.nan)
    english.next_chunk(5)
    assert english.error == "The simulation stopped: the state is not a finite number."


def test_the_card_of_the_gallery_is_translated():
    de, es = translator("de"), translator("es")
    assert de.gettext(CARD.title) == "Anderson-Lokalisierung und ein schwingendes Gitter, das das Elektron befreit"
    assert es.gettext(CARD.short) == "Localización de Anderson"
    for text in (CARD.description, CARD.summary, CARD.page_title):
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
            count += 1
    assert count > 90
