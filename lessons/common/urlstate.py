"""Turn URL query arguments into valid parameter values, clamping and explaining what it changed.

A shared link is untrusted input: text where a number belongs, NaN, inf, 1e308, negative widths.
:func:`sanitize` maps each query value onto the bounds of the matching ``param`` parameter and
returns one human-readable notice per value it had to change or ignore, so the lesson can show what
happened instead of crashing.  No Panel import: lesson models use this and are tested without a UI.
"""
from __future__ import annotations

import math
from typing import Mapping

import param

from lessons.common.i18n import Translator, translator

__all__ = ["sanitize", "Setting", "IntSetting", "MAX_QUERY_CHARS"]

#: Longer values are not even parsed (a pasted essay is not a number).
MAX_QUERY_CHARS = 64


class Setting(param.Number):
    """A numeric lesson setting whose URL form has no float noise (1.75, not 1.7500000000000004).

    Slider arithmetic leaves binary-rounding tails; the link should show what the student sees.
    """

    @classmethod
    def serialize(cls, value):
        return None if value is None else float(f"{value:.10g}")

    def _validate_value(self, value, allow_None):
        _no_bool(self, value)
        super()._validate_value(value, allow_None)


class IntSetting(param.Integer):
    """An integer lesson setting: like ``param.Integer``, but ``True``/``False`` are not integers."""

    def _validate_value(self, value, allow_None):
        _no_bool(self, value)
        super()._validate_value(value, allow_None)


def _no_bool(p: param.Parameter, value) -> None:
    # param takes bools as numbers, and Panel's URL sync turns '?width=true' into True: refuse it,
    # so the sync reports an error and the link is cleaned like any other bad value (see sanitize)
    if isinstance(value, bool):
        raise ValueError(f"Parameter {p.name!r} must be a number, not {value!r}.")


def _text(raw) -> str:
    if isinstance(raw, (list, tuple)):
        raw = raw[-1] if raw else ""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    return str(raw).strip()


def _number(p: param.Number, name: str, text: str, default, tr: Translator):
    lo, hi = p.bounds if p.bounds is not None else (None, None)
    shown = text if len(text) <= 24 else text[:21] + "..."
    _ = tr.gettext
    try:
        value = float(text)
    except ValueError:
        return default, _("'{name}={shown}' is not a number: using {default}.").format(
            name=name, shown=shown, default=tr.num(default, "g"))
    if math.isnan(value):
        return default, _("'{name}' was NaN: using {default}.").format(name=name, default=tr.num(default, "g"))
    if lo is not None and value < lo:
        return lo, _("'{name}={shown}' is below the smallest allowed value: clamped to {value}.").format(
            name=name, shown=shown, value=tr.num(lo, "g"))
    if hi is not None and value > hi:
        return hi, _("'{name}={shown}' is above the largest allowed value: clamped to {value}.").format(
            name=name, shown=shown, value=tr.num(hi, "g"))
    if isinstance(p, param.Integer):
        value = int(round(value))
    return value, None


def sanitize(model_cls: type[param.Parameterized], query: Mapping[str, object],
             names: Mapping[str, str], tr: Translator | None = None) -> tuple[dict, list[str]]:
    """Valid values for ``model_cls`` from ``query``; returns ``(values, notices)`` (the notices in
    ``tr``'s language, English by default).

    ``names`` maps query names to parameter names.  Unknown query names are ignored silently
    (other tools add their own, e.g. ``theme``); known names with bad values are replaced by the
    parameter's default or clamped to its bounds, each with a notice.
    """
    tr = tr or translator()
    _ = tr.gettext
    values: dict = {}
    notices: list[str] = []
    for qname, pname in names.items():
        if qname not in query:
            continue
        p = model_cls.param[pname]
        text = _text(query[qname])
        default = p.default
        if len(text) > MAX_QUERY_CHARS:
            notices.append(_("'{name}' was too long to be a setting: using {default}.").format(name=qname, default=repr(default)))
            values[pname] = default
            continue
        if isinstance(p, param.Number):
            value, notice = _number(p, qname, text, default, tr)
        elif isinstance(p, param.Selector):
            options = list(p.objects)
            if text in options:
                value, notice = text, None
            else:
                value = default
                shown = text if len(text) <= 24 else text[:21] + "..."
                notice = _("'{name}={shown}' is not one of {options}: using {default}.").format(
                    name=qname, shown=shown, options=", ".join(map(str, options)), default=default)
        elif isinstance(p, param.Boolean):
            lowered = text.lower()
            if lowered in ("1", "true", "yes", "on"):
                value, notice = True, None
            elif lowered in ("0", "false", "no", "off"):
                value, notice = False, None
            else:
                value, notice = default, _("'{name}' must be true or false: using {default}.").format(
                    name=qname, default=default)
        else:  # pragma: no cover - every synced parameter is one of the kinds above
            continue
        values[pname] = value
        if notice:
            notices.append(notice)
    return values, notices
