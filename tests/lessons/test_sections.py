"""lessons.common.sections.Section: a part of the page redrawn when what it declares it depends on changes."""
import numpy as np
import param

from lessons.common.sections import Section


class Settings(param.Parameterized):
    a = param.Number(1.0)
    b = param.Integer(2)
    axis = param.Selector(default="a", objects=["a", "b"])
    state = param.Parameter(None)


def test_a_section_draws_once_per_change_of_what_it_depends_on():
    s, drawn = Settings(), []
    section = Section(s, ("a",), lambda: drawn.append(s.a))
    assert section.stale and section.refresh() and drawn == [1.0]
    assert not section.refresh() and not section.stale        # nothing changed
    s.b = 5                                                    # not a dependency
    assert not section.refresh()
    s.a = 3.0
    assert section.stale and section.refresh() and drawn == [1.0, 3.0]


def test_a_hidden_section_draws_when_it_is_next_shown():
    s, drawn, open_ = Settings(), [], [False]
    section = Section(s, ("a", "b"), lambda: drawn.append((s.a, s.b)), lambda: open_[0])
    s.a, s.b = 2.0, 7
    assert not section.refresh() and drawn == [] and section.stale
    open_[0] = True
    assert section.refresh() and drawn == [(2.0, 7)]


def test_dependencies_can_depend_on_a_setting():
    # a map drawn over two settings depends on the others, whichever are its axes
    s, drawn = Settings(), []
    section = Section(s, lambda: tuple(n for n in ("a", "b") if n != s.axis), lambda: drawn.append(1))
    section.refresh()
    s.a = 9.0                     # the axis: no redraw
    assert not section.refresh()
    s.b = 9                       # not the axis: redraw
    assert section.refresh() and len(drawn) == 2
    s.axis = "b"                  # now it depends on a
    assert section.refresh() and len(drawn) == 3


def test_a_computed_state_counts_by_identity_and_a_failed_drawing_is_tried_again():
    s, drawn = Settings(), []
    s.state = {"x": np.arange(3)}
    fail = [True]

    def draw():
        if fail[0]:
            raise ValueError("no")
        drawn.append(s.state)

    section = Section(s, ("state",), draw)
    try:
        section.refresh()
    except ValueError:
        pass
    assert section.stale
    fail[0] = False
    assert section.refresh() and not section.refresh()
    s.state = {"x": np.arange(3)}              # equal arrays, a new state: drawn again
    assert section.refresh() and len(drawn) == 2
