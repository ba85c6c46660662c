"""URL query values are clamped to the parameters' bounds, each correction explained."""
import math

import param
import pytest

from lessons.common.urlstate import sanitize


class Demo(param.Parameterized):
    width = param.Number(default=1.5, bounds=(0.1, 10.0))
    count = param.Integer(default=3, bounds=(1, 9))
    shape = param.Selector(default="a", objects=["a", "b"])
    flag = param.Boolean(default=False)


NAMES = {"w": "width", "n": "count", "shape": "shape", "flag": "flag"}


@pytest.mark.parametrize("raw,expected,needs_notice", [
    ("2.5", 2.5, False),
    ([b"2.5"], 2.5, False),          # what pn.state.session_args holds
    ("abc", 1.5, True),
    ("", 1.5, True),
    ("nan", 1.5, True),
    ("NaN", 1.5, True),
    ("inf", 10.0, True),
    ("-inf", 0.1, True),
    ("1e308", 10.0, True),
    ("1e999", 10.0, True),
    ("-3", 0.1, True),
    ("0x10", 1.5, True),
    ("9" * 500, 1.5, True),
])
def test_numbers_are_clamped_or_defaulted(raw, expected, needs_notice):
    values, notices = sanitize(Demo, {"w": raw}, NAMES)
    assert values["width"] == expected and math.isfinite(values["width"])
    assert bool(notices) == needs_notice
    if needs_notice:
        assert "w" in notices[0]
    Demo(**values)                     # always valid for the model


def test_selector_boolean_integer_and_unknown_names():
    values, notices = sanitize(Demo, {"shape": "<script>alert(1)</script>", "flag": "yes", "n": "4.6",
                                      "theme": "dark"}, NAMES)
    assert values == {"shape": "a", "flag": True, "count": 5}
    assert len(notices) == 1 and "shape" in notices[0]
    values, notices = sanitize(Demo, {"flag": "maybe", "n": "99"}, NAMES)
    assert values == {"flag": False, "count": 9} and len(notices) == 2


def test_setting_serialises_without_float_noise():
    from lessons.common.urlstate import Setting

    assert Setting.serialize(1.7 + 3 * 0.05) == 1.85          # 1.8500000000000003 in binary
    assert Setting.serialize(1.75) == 1.75 and Setting.serialize(None) is None
    assert Setting.serialize(-1e-20) == -1e-20
