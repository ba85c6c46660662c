"""The classroom layer without a browser: colour profiles, their contrast, the restyled figures, the
link's classroom settings (profile, hide, lecture mode), the slides, and every lesson page built in each
profile."""
from __future__ import annotations

import pathlib
import re

import numpy as np
import panel as pn
import pytest

from lessons.bound_states.model import QUERY_NAMES as BOUND_Q, BoundStatesModel
from lessons.bound_states.view import BoundStatesView
from lessons.common.classroom import CLASSROOM_QUERY, Classroom, hide_css, split_slides, url_with
from lessons.common.palette import _NAMED, C, CSS_ROLES, PROFILES, ROLES, contrast, css_var, normalized, profile
from lessons.common.figures import lesson_figure
from lessons.common.page import lesson_app
from lessons.quantization.model import QUERY_NAMES as QUANT_Q, QuantizationModel
from lessons.quantization.view import QuantizationView
from lessons.spin_battery.model import QUERY_NAMES as SPIN_Q, SpinBatteryModel
from lessons.spin_battery.view import SpinBatteryView
from lessons.tunneling.model import QUERY_NAMES as TUNNEL_Q, TunnelingModel
from lessons.tunneling.view import TunnelingView

REPO = pathlib.Path(__file__).resolve().parents[2]
LESSONS = {
    "tunneling": (TunnelingModel, TunnelingView, TUNNEL_Q),
    "bound_states": (BoundStatesModel, BoundStatesView, BOUND_Q),
    "spin_battery": (SpinBatteryModel, SpinBatteryView, SPIN_Q),
    "quantization": (QuantizationModel, QuantizationView, QUANT_Q),
}
CURVES = ["blue", "navy", "deep", "sky", "green", "olive", "lime", "red", "vermilion", "orange", "violet",
          "purple", "magenta"]
TEXTS = ["muted", "slate", "soft", "charcoal", "axis", "text", "ink"]


def build(lesson: str, **query):
    model_cls, view_cls, names = LESSONS[lesson]
    args = {k: [str(v).encode()] for k, v in query.items()}
    return lesson_app(lesson, model_cls, view_cls, args=args)


# ---- the palette ---------------------------------------------------------------------------

def test_standard_profile_draws_what_the_views_name():
    std = profile(None)
    assert std.name == "standard"
    for name, values in _NAMED.items():
        assert getattr(std.swatches(), name) == values[0] == getattr(C, name)


@pytest.mark.parametrize("name", ["standard", "projector", "dark"])
def test_every_named_colour_and_role_has_a_value_in_every_profile(name):
    look = PROFILES[name]
    for key in _NAMED:
        assert normalized(look.named(key)) == look.named(key), key
        assert getattr(look.swatches(), key) == look.named(key)
    roles = look.js()["roles"]
    assert set(roles) == set(ROLES)
    for role, (swatch, alpha) in ROLES.items():
        assert swatch in _NAMED, role
        if alpha == 1:
            assert roles[role] == look.named(swatch)
        else:
            r, g, b = (int(look.named(swatch)[i:i + 2], 16) for i in (1, 3, 5))
            assert roles[role] == f"rgba({r},{g},{b},{alpha:g})"
    css = look.css()
    for role, swatch in CSS_ROLES.items():
        assert f"--ql-{role}: {look.named(swatch)}" in css


def test_projector_colours_are_darker_and_text_is_black_enough_for_a_washed_out_projector():
    proj, std = PROFILES["projector"], profile(None)
    white = proj.named("white")
    for name in CURVES:
        # curves: at least AA contrast on white, and more than the standard colour has
        assert contrast(proj.named(name), white) >= 4.5, name
        assert contrast(proj.named(name), white) > contrast(std.named(name), white), name
    for name in TEXTS:
        assert contrast(proj.named(name), white) >= 7, name      # WCAG AAA for text
    assert proj.font_scale >= 1.3 and proj.line_scale >= 1.5


def test_dark_profile_keeps_every_curve_and_text_readable_on_its_background():
    dark = PROFILES["dark"]
    bg = dark.named("white")
    assert contrast(bg, "#000") < 1.5                           # a dark background
    for name in CURVES:
        assert contrast(dark.named(name), bg) >= 4.5, name
    for name in TEXTS:
        assert contrast(dark.named(name), bg) >= 7, name


def test_contrast_matches_the_wcag_reference_values():
    assert contrast("#000", "#fff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)   # WebAIM's example


def test_css_var_falls_back_on_the_standard_value():
    assert css_var("ink") == f"var(--ql-ink, {C.text})"
    assert css_var("shade", 45) == f"color-mix(in srgb, var(--ql-shade, {C.black}) 45%, transparent)"


COLOUR_LITERAL = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b|rgba?\(\s*\d")


def test_no_colour_is_written_outside_the_palette():
    """Views name swatches (self.c), players name roles, CSS reads the profile's variables."""
    files = [p for p in [*REPO.glob("lessons/**/*.py"), *REPO.glob("lessons/**/*.js"), *REPO.glob("apps/*.py")]
             if p.name != "palette.py" and "__pycache__" not in p.parts]
    assert len(files) > 20
    found = [f"{p.relative_to(REPO)}: {m.group(0)}" for p in files for m in COLOUR_LITERAL.finditer(p.read_text())]
    assert found == [], found
    players = [*REPO.glob("lessons/*/pieces.js"), REPO / "lessons/common/pieces.js"]
    roles = {r for p in players for r in re.findall(r'\bcolor\("(\w+)"\)', p.read_text())}
    assert roles and roles <= set(ROLES), roles - set(ROLES)


def test_the_scan_finds_a_colour_literal():
    assert COLOUR_LITERAL.search('x = "#1c7ed6"') and COLOUR_LITERAL.search("fill: rgba(0, 0, 0, .1)")
    assert not COLOUR_LITERAL.search('href="#top"') and not COLOUR_LITERAL.search("var(--ql-ink)")


def test_restyle_scales_lines_and_type_once_and_paints_the_frame():
    proj = PROFILES["projector"]
    c = proj.swatches()
    fig = lesson_figure("t", "x", "y")
    line = fig.line([0, 1], [0, 1], color=c.blue, line_width=2, legend_label="a")
    done: set = set()
    proj.restyle(fig, done)
    proj.restyle(fig, done)                                          # a second pass changes nothing
    assert line.glyph.line_color == proj.named("blue")              # drawn in the profile by the view
    assert line.glyph.line_width == pytest.approx(2 * proj.line_scale)
    assert fig.title.text_font_size == f"{15 * proj.font_scale:.3g}px"
    assert fig.background_fill_color == proj.named("white")
    assert fig.xaxis[0].axis_label_text_color == proj.named("axis")
    more = fig.line([0, 1], [1, 0], color=c.red, line_width=1)       # added later: styled on the next pass
    proj.restyle(fig, done)
    assert more.glyph.line_width == pytest.approx(proj.line_scale)
    assert line.glyph.line_width == pytest.approx(2 * proj.line_scale)


# ---- the link's classroom settings ---------------------------------------------------------------

def test_classroom_names_do_not_clash_with_any_lessons_settings():
    for lesson, (_, _, names) in LESSONS.items():
        assert not set(CLASSROOM_QUERY) & set(names), lesson


def test_classroom_from_query_accepts_good_values_and_explains_bad_ones():
    hideable = {"T": "T", "R": "R"}
    good, notes = Classroom.from_query({"profile": [b"dark"], "hide": [b"T,R,T"], "lecture": [b"1"],
                                        "slide": [b"3"]}, hideable)
    assert (good.profile, good.hidden, good.lecture, good.slide, notes) == ("dark", ["T", "R"], True, 3, [])
    lecture, _ = Classroom.from_query({"lecture": [b"true"]}, hideable)
    assert lecture.profile == "projector"                           # a lecture is projected
    bad, notes = Classroom.from_query({"profile": [b"<b>neon</b>"], "hide": [b"T,secret,<img>"],
                                       "lecture": [b"exam"], "slide": [b"two"]}, hideable)
    assert (bad.profile, bad.hidden, bad.lecture, bad.slide) == ("standard", ["T"], False, 1)
    assert len(notes) == 4
    assert any("secret" in n and "T, R" in n for n in notes)


def test_hide_css_names_only_safe_keys():
    css = hide_css(["T", "mean-E", "x}body{display:none", "<script>"])
    assert 'b.ql-T' in css and 'b.ql-mean-E' in css and '.ql-card[data-q="T"] b' in css
    assert "body{" not in css and "<script>" not in css
    assert hide_css([]) == ""


def test_url_with_changes_only_the_named_parameters():
    assert url_with("?a=1&hide=T,R&b=x", hide=None) == "?a=1&b=x"
    assert url_with("", slide=2) == "?slide=2"
    assert url_with("?hide=T", hide=None) == ""


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_text_splits_into_slides_that_keep_every_line(lesson):
    text = (REPO / f"lessons/{lesson}/lesson.md").read_text(encoding="utf-8")
    slides = split_slides(text)
    assert len(slides) >= 4
    joined = "\n".join(body for _, body in slides)
    assert [line for line in text.splitlines() if line.strip()] == [line for line in joined.splitlines() if line.strip()]
    assert all(title and not title.startswith("#") for title, _ in slides)


# ---- whole lesson pages, per profile ---------------------------------------------------------

@pytest.mark.parametrize("lesson", LESSONS)
@pytest.mark.parametrize("name", ["standard", "projector", "dark"])
def test_every_lesson_page_builds_in_every_profile(lesson, name):
    page = build(lesson, profile=name)
    look = PROFILES[name]
    assert page.ql_view.player.palette == look.js()
    assert page.ql_view.player.large_text == look.large
    assert page.theme.__name__.lower().startswith("dark") == (name == "dark")
    figures = [p.object for item in page.ql_main for p in item.select(pn.pane.Bokeh)]
    assert figures, "the page shows at least one figure"
    for fig in figures:
        assert fig.background_fill_color == (look.named("white") if name != "standard" else "#ffffff")
    assert page.ql_model.notices == []


def test_projector_draws_thicker_lines_than_standard():
    def widths(page):
        return [r.glyph.line_width for item in page.ql_main for p in item.select(pn.pane.Bokeh)
                for r in p.object.renderers if hasattr(r.glyph, "line_width") and np.isscalar(r.glyph.line_width)]
    std, proj = widths(build("tunneling")), widths(build("tunneling", profile="projector"))
    assert len(std) == len(proj) > 0
    assert np.allclose(proj, np.array(std) * PROFILES["projector"].line_scale)


@pytest.mark.parametrize("lesson, keys", [("tunneling", "T,predicted"), ("bound_states", "mean-E"),
                                          ("spin_battery", "ergotropy,W"), ("quantization", "quantized,norm")])
def test_hidden_readouts_are_styled_away_until_revealed(lesson, keys):
    page = build(lesson, hide=keys)
    wanted = keys.split(",")
    css = hide_css(wanted)
    player = page.ql_view.player
    assert player.hidden == wanted and css in player.stylesheets
    panes = [p for item in page.ql_main for p in [*item.select(pn.pane.HTML), *item.select(pn.pane.Markdown)]]
    assert any(css in p.stylesheets for p in panes)
    assert page.ql_bar.hidden == [type(page.ql_view).HIDEABLE[k] for k in wanted]
    page.ql_bar._handle_msg({"kind": "reveal"})
    assert player.hidden == [] and css not in player.stylesheets
    assert not any(css in p.stylesheets for p in panes)
    assert page.ql_bar.hidden == [] and page.ql_classroom.hidden == []


def test_hiding_an_unknown_readout_is_a_notice():
    page = build("tunneling", hide="answer")
    assert any("answer" in n for n in page.ql_model.notices)


def test_lecture_mode_shows_one_slide_and_turns_pages_within_the_deck():
    page = build("tunneling", lecture=1, slide=99)
    deck_text = lambda: "".join(getattr(o, "object", "") or "" for o in page.ql_main[0][0].select(pn.pane.Markdown))  # noqa: E731
    slides = split_slides((REPO / "lessons/tunneling/lesson.md").read_text(encoding="utf-8"))
    assert page.ql_classroom.slide == len(slides)                   # clamped to the last
    assert page.collapsed_sidebar and page.ql_view.player.large_text
    assert slides[-1][0] in deck_text()
    page.ql_bar._handle_msg({"kind": "slide", "step": 1})           # past the end: stays
    assert page.ql_classroom.slide == len(slides)
    for _ in range(len(slides) + 2):
        page.ql_bar._handle_msg({"kind": "slide", "step": -1})
    assert page.ql_classroom.slide == 1 and slides[0][0] in deck_text()
    page.ql_bar._handle_msg({"kind": "slide", "step": 7})           # only ±1 is a page turn
    assert page.ql_classroom.slide == 1


# ---- a class on one server: what each session costs the others -----------------------------

@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_a_page_registers_no_process_wide_busy_indicator(lesson):
    # Panel sets the value of every registered indicator whenever any session starts or ends an
    # event: with one per page, each student's work repainted every other student's spinner.
    before = list(pn.state._indicators)
    template = build(lesson)
    assert template.busy_indicator is None
    assert pn.state._indicators == before


@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_every_control_passes_a_change_on_at_the_next_tick(lesson):
    template = build(lesson)
    widgets = [w for item in template.sidebar for w in item.select(pn.widgets.Widget)]
    assert len(widgets) >= 3
    assert all(w._debounce == 0 for w in widgets)
    assert pn.widgets.FloatSlider._debounce > 0      # Panel's own default is untouched


def test_wells_levels_are_shared_read_only_and_follow_the_settings():
    from lessons.bound_states import model as bsm

    a, b = BoundStatesModel(shape="finite", width=2.0, depth=8.0), BoundStatesModel(shape="finite", width=2.0, depth=8.0)
    Ea, psia = a.spectrum()
    Eb, psib = b.spectrum()
    assert Ea is Eb and psia is psib
    for array in (Ea, psia, a.potential()):
        with pytest.raises(ValueError):
            array[0] = 0.0                       # no session can change what another one reads
    b.width = 2.5
    assert b.energies[0] < Ea[0]                # a wider well: a lower ground state
    assert a.energies is Ea                     # the other session keeps its well
    bsm._well_levels.cache_clear()
    fresh = BoundStatesModel(shape="finite", width=2.0, depth=8.0)
    np.testing.assert_array_equal(fresh.energies, Ea)   # the cache returns what a fresh solve gives
    assert bsm._well_levels.cache_info().maxsize == bsm.WELL_CACHE


# ---- the address bar ---------------------------------------------------------------------------

@pytest.fixture
def address_bar():
    """A page's Location (what the browser's address bar holds), as a served session has one."""
    from bokeh.document import Document
    from panel.io.location import Location

    doc = Document()
    location = Location(search="?profile=projector&show_re=true&show_im=true&width=2&mode=free")
    pn.state._locations[doc] = location
    pn.state.curdoc = doc
    try:
        yield location
    finally:
        pn.state.curdoc = None
        pn.state._locations.pop(doc, None)


def _query(location) -> dict:
    from urllib.parse import parse_qs
    return {k: v[-1] for k, v in parse_qs(location.search.lstrip("?"), keep_blank_values=True).items()}


def test_the_address_bar_follows_every_setting_and_keeps_the_spelling_of_the_rest(address_bar):
    from lessons.common.urlsync import sync_url

    model = BoundStatesModel.from_query({"show_re": [b"true"], "show_im": [b"true"], "width": [b"2"]})
    sync_url(model, BOUND_Q)
    q = _query(address_bar)
    assert set(BOUND_Q) <= set(q) and q["profile"] == "projector"        # every setting, others kept
    assert address_bar.search.startswith("?profile=projector&show_re=true&show_im=true&width=2.0")
    assert q["mode"] == model.mode != "free"     # not a valid mode: the model's value was written
    model.show_re = False
    q = _query(address_bar)
    assert (q["show_re"], q["show_im"]) == ("false", "true")   # never Python's True/False
    model.param.update(show_re=True, show_im=False)            # two at once (the Draw buttons)
    q = _query(address_bar)
    assert (q["show_re"], q["show_im"]) == ("true", "false")
    model.width = 2.5
    assert _query(address_bar)["width"] == "2.5" and _query(address_bar)["show_re"] == "true"


def test_a_query_the_browser_reports_is_sanitised_like_a_link(address_bar):
    from lessons.common.urlsync import sync_url
    from lessons.common.classroom import url_with

    model = BoundStatesModel.from_query({"width": [b"2"]})
    sync_url(model, BOUND_Q)
    address_bar.search = url_with(address_bar.search, width="3", show_im="True")   # good values: taken
    assert model.width == 3.0 and model.show_im is True
    assert _query(address_bar)["show_im"] == "true"
    address_bar.search = url_with(address_bar.search, width="wide")                # bad: a notice
    assert model.width == BoundStatesModel.param.width.default
    assert any("width=wide" in n for n in model.notices)
    assert _query(address_bar)["width"] == json_number(model.width)
    address_bar.search = url_with(address_bar.search, depth="")                   # blank: the model's
    assert _query(address_bar)["depth"] == json_number(model.depth)
    address_bar.search = url_with(address_bar.search, width="true")               # a bool is no number
    assert model.width == BoundStatesModel.param.width.default
    assert _query(address_bar)["width"] == json_number(model.width)


def json_number(value) -> str:
    import json
    return json.dumps(value)


def test_a_value_the_link_rounds_is_not_sent_back_to_the_page(address_bar):
    """Found by the fuzz: ``?tmax=1.82180288287474`` was written as ``tmax=1.821802883`` (links keep 10
    digits), read back as a change, and the rounded value sent to the slider on a hidden tab, where
    BokehJS failed ('Cannot read properties of undefined (reading firstChild)')."""
    from lessons.common.urlsync import sync_url
    from lessons.spin_battery.model import QUERY_NAMES as SPIN_Q, SpinBatteryModel

    model = SpinBatteryModel.from_query({"tmax": [b"1.82180288287474"], "K": [b"1e-320"]})
    changes = []
    model.param.watch(changes.append, ["t_max", "K"])
    sync_url(model, SPIN_Q)
    assert _query(address_bar)["tmax"] == "1.821802883"
    address_bar.search = address_bar.search + "&x=1"          # the page reports the link it shows
    assert changes == [] and model.t_max == 1.82180288287474


def test_the_link_a_page_reports_when_it_connects_changes_nothing(address_bar):
    """Found by the fuzz: ``/anderson?W=8&scene=-1`` opened at W = 8 (the bad scene corrected to
    'anderson' with a notice, the explicit W kept); the page then reported the same link, whose
    corrected scene was applied as a change and its preset set W back to 2."""
    from lessons.anderson.model import QUERY_NAMES as ANDERSON_Q, AndersonModel
    from lessons.common.urlsync import sync_url

    address_bar.search = "?W=8.0&scene=-1&n=600"
    model = AndersonModel.from_query({"W": [b"8.0"], "scene": [b"-1"], "n": [b"600"]})
    assert model.W == 8.0 and model.scene == "custom" and any("scene=-1" in n for n in model.notices)
    sync_url(model, ANDERSON_Q)
    address_bar.search = "?W=8.0&scene=-1&n=600"           # the page reports the link it was opened with
    assert model.W == 8.0 and model.scene == "custom"
    assert _query(address_bar)["W"] == "8.0" and _query(address_bar)["scene"] == "custom"
    address_bar.search = url_with(address_bar.search, scene="clean")    # a real change is still taken
    assert model.scene == "clean" and model.W == 0.0
