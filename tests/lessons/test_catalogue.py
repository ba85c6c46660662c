"""The catalogue: a lesson package with a CARD is served, listed in the gallery and built into the docs.

What a new lesson needs is its package (``lessons/<slug>``: ``CARD`` in ``__init__.py``, ``model.py``,
``view.py`` with ``create_app()``, ``lesson.md``, ``model.md``) and its three-line ``apps/<slug>.py``;
the Makefile, the gallery, the documentation and the test servers find it from the catalogue.
"""
from __future__ import annotations

import importlib
import pathlib
import subprocess

import pytest

import lessons
from lessons import CATALOGUE, LessonCard, card, catalogue
from lessons.common.model import LessonModel
from lessons.common.sections import LazyTabs
from lessons.common.view import LessonView

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_the_catalogue_finds_every_lesson_package_in_teaching_order():
    packages = sorted(p.parent.name for p in (REPO / "lessons").glob("*/__init__.py") if p.parent.name != "common")
    assert sorted(c.slug for c in CATALOGUE) == packages
    assert [c.slug for c in CATALOGUE] == ["bound_states", "tunneling", "anderson", "solitons", "spin_battery", "vqe", "quantization"]
    assert catalogue() == CATALOGUE and card("tunneling").page_title == "Tunnelling"
    with pytest.raises(KeyError):
        card("nonsense")


@pytest.mark.parametrize("lesson", [c.slug for c in CATALOGUE])
def test_each_lesson_has_what_the_shell_needs(lesson):
    root = REPO / "lessons" / lesson
    for name in ("model.py", "view.py", "lesson.md", "model.md"):
        assert (root / name).is_file(), name
    view = importlib.import_module(f"lessons.{lesson}.view")
    assert callable(view.create_app)
    assert any(isinstance(v, type) and issubclass(v, LessonView) and v is not LessonView for v in vars(view).values())
    model = importlib.import_module(f"lessons.{lesson}.model")
    assert any(isinstance(v, type) and issubclass(v, LessonModel) and v.query_names for v in vars(model).values())
    app = (REPO / "apps" / f"{lesson}.py").read_text(encoding="utf-8")
    assert f'serve_lesson("{lesson}")' in app


def test_the_makefile_serves_every_app_found():
    out = subprocess.run(["make", "-s", "--no-print-directory", "--eval", "ql-print-%: ; @echo $($*)", "ql-print-APPS"],
                         cwd=REPO, capture_output=True, text=True, check=True)
    served = out.stdout.split()
    assert served[0] == "apps/index.py"
    assert sorted(served[1:]) == sorted(f"apps/{c.slug}.py" for c in CATALOGUE)


def test_a_new_lesson_package_joins_the_catalogue(tmp_path, monkeypatch):
    """A package with a CARD is found without any list being edited; one without is ignored."""
    pkg = tmp_path / "lessons"
    (pkg / "demo").mkdir(parents=True)
    (pkg / "notalesson").mkdir()
    (pkg / "demo" / "__init__.py").write_text(
        "from lessons.common.model import LessonCard\nCARD = LessonCard(slug='demo', title='Demo', "
        "description='A demo.', order=15)\n")
    (pkg / "notalesson" / "__init__.py").write_text("")
    monkeypatch.setattr(lessons, "__path__", [*lessons.__path__, str(pkg)])
    try:
        found = [c.slug for c in catalogue()]
    finally:
        import sys
        for name in ("lessons.demo", "lessons.notalesson"):
            sys.modules.pop(name, None)
    assert found == ["bound_states", "demo", "tunneling", "anderson", "solitons", "spin_battery", "vqe", "quantization"]
    assert isinstance(LessonCard("x", "X", "x."), LessonCard)


@pytest.mark.parametrize("lesson", [c.slug for c in CATALOGUE])
def test_a_view_made_with_no_model_shows_as_a_notebook_cell(lesson):
    # what a notebook does: `TunnelingView()` in a cell (after pn.extension())
    import panel as pn

    view_module = importlib.import_module(f"lessons.{lesson}.view")
    view_cls = next(v for v in vars(view_module).values()
                    if isinstance(v, type) and issubclass(v, LessonView) and v is not LessonView)
    view = view_cls()
    default = view_cls.MODEL()
    assert type(view.model) is view_cls.MODEL
    settings = [n for n in view_cls.MODEL.query_names.values()]
    assert settings and all(getattr(view.model, n) == getattr(default, n) for n in settings)
    cell = view.__panel__()
    assert cell is view.__panel__()                       # built once
    def player_shown():
        return any(o is view.player for o in cell.select())

    # Spin battery's and Quantization's players are on a tab of their own: open it, as a reader would
    for tabs in cell.select(LazyTabs):
        for i in range(len(tabs)):
            if player_shown():
                break
            tabs.active = i
    assert player_shown(), "the player is not in the cell"
    root = cell.get_root()                                # what the notebook's comm renders
    assert root.ref["id"] in view.player._models          # the player is drawn in that root
    # (a real JupyterLab in Chromium was checked by hand: README, "In a notebook")


def test_a_view_without_a_model_class_asks_for_a_model():
    class Bare(LessonView):
        pass

    with pytest.raises(TypeError, match="names no MODEL"):
        Bare()
