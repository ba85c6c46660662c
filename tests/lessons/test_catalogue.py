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
from lessons.common.view import LessonView

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_the_catalogue_finds_every_lesson_package_in_teaching_order():
    packages = sorted(p.parent.name for p in (REPO / "lessons").glob("*/__init__.py") if p.parent.name != "common")
    assert sorted(c.slug for c in CATALOGUE) == packages
    assert [c.slug for c in CATALOGUE] == ["bound_states", "tunneling", "spin_battery", "quantization"]
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
    assert found == ["bound_states", "demo", "tunneling", "spin_battery", "quantization"]
    assert isinstance(LessonCard("x", "X", "x."), LessonCard)
