"""Colour profiles of the lessons: one palette of named colours, one value per profile (PhET's pattern).

Every view and canvas player names its colours from :data:`C` (the standard profile's values).  A
page opened with ``?profile=projector`` or ``?profile=dark`` is drawn with that profile's value of
each named colour instead, with the profile's type and line scale:

- ``standard``: the look the lessons were designed in (white, mid-tone colours, 13-15 px type);
- ``projector``: dark, saturated colours on white, thick lines and type about 1.4x larger.  A
  washed-out projector lightens and de-saturates everything, so light greys, lime and pale fills
  become darker and every text colour becomes black (WCAG contrast >= 7 on white, tested);
- ``dark``: light colours on a near-black background, for dimmed rooms and screens.

Views only: nothing here computes physics.  Bokeh figures are restyled after they are built
(:meth:`Profile.restyle`), canvas players get :meth:`Profile.js` and tint their colours in the browser,
page CSS reads the variables of :meth:`Profile.css`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import SimpleNamespace

__all__ = ["C", "PROFILES", "Profile", "profile", "normalized", "contrast"]

#: name: (standard, projector, dark).  The standard values are the ones the views name.
_NAMED = {
    # colours of curves and markers
    "blue": ("#1c7ed6", "#0a4fa3", "#4dabf7"),
    "navy": ("#1c4f82", "#062a57", "#74c0fc"),
    "deep": ("#1f4e79", "#062a57", "#a5d8ff"),
    "sky": ("#1f77b4", "#0a4fa3", "#4dabf7"),
    "green": ("#2b8a3e", "#135a24", "#69db7c"),
    "olive": ("#5c940d", "#365c00", "#a9e34b"),
    "lime": ("#94d82d", "#4f7f00", "#c0eb75"),
    "red": ("#c92a2a", "#a00000", "#ff6b6b"),
    "vermilion": ("#d9480f", "#a33000", "#ff922b"),
    "orange": ("#e8590c", "#b83c00", "#ffa94d"),
    "violet": ("#7048e8", "#4520b0", "#b197fc"),
    "purple": ("#862e9c", "#5a0f70", "#e599f7"),
    "magenta": ("#c2255c", "#930a3e", "#f783ac"),
    # greys, from light to dark (a projector needs them darker; a dark page lighter)
    "silver": ("#adb5bd", "#5f6870", "#868e96"),
    "stone": ("#8a94a0", "#4f5963", "#909aa5"),
    "steel": ("#8d99a6", "#4f5963", "#8d99a6"),
    "grey": ("#868e96", "#454c53", "#adb5bd"),
    "ash": ("#888888", "#3a3a3a", "#9a9a9a"),
    "dim": ("#787878", "#3a3a3a", "#a0a0a0"),
    "mid": ("#666666", "#222222", "#b8b8b8"),
    "muted": ("#555555", "#1a1a1a", "#c1c2c5"),
    "slate": ("#495057", "#1a1d20", "#ced4da"),
    "soft": ("#444444", "#111111", "#ced4da"),
    "charcoal": ("#3d4852", "#000000", "#dee2e6"),
    "axis": ("#333333", "#000000", "#dee2e6"),
    "text": ("#222222", "#000000", "#f1f3f5"),
    "ink": ("#111111", "#000000", "#f8f9fa"),
    "black": ("#000000", "#000000", "#ffffff"),
    # surfaces
    "white": ("#ffffff", "#ffffff", "#16191d"),
    "surface": ("#f8f9fa", "#ffffff", "#22262b"),
    "button": ("#f4f6f8", "#ffffff", "#2b3035"),
    "hover": ("#e3e8ee", "#dee2e6", "#343a40"),
    "border": ("#d0d7de", "#495057", "#495057"),
    "plotgrid": ("#e5e5e5", "#b8b8b8", "#343a40"),
}

#: The standard colours by name (``C.blue``): what views and players write.
C = SimpleNamespace(**{name: values[0] for name, values in _NAMED.items()})

_HEX = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_RGBA = re.compile(r"^rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*([0-9.]+)\s*)?\)$")
_NAMED_CSS = {"white": "#ffffff", "black": "#000000"}


def normalized(colour: str) -> str | None:
    """``#abc``, ``#AABBCC``, ``white`` or ``rgb(...)`` as ``#aabbcc`` (None if not a plain colour)."""
    if not isinstance(colour, str):
        return None
    c = _NAMED_CSS.get(colour.strip().lower(), colour.strip())
    if _HEX.match(c):
        h = c[1:].lower()
        return "#" + ("".join(ch * 2 for ch in h) if len(h) == 3 else h)
    m = _RGBA.match(c)
    if m and m.group(4) is None:
        return "#" + "".join(f"{int(v):02x}" for v in m.groups()[:3])
    return None


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21; 4.5 is the minimum for body text)."""
    la, lb = sorted((_luminance(normalized(a)), _luminance(normalized(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@dataclass(frozen=True)
class Profile:
    """One look of the lessons: a value for every named colour, a Panel theme, type and line scales."""

    name: str
    label: str
    index: int                  # column of _NAMED
    theme: str = "default"      # Panel's design theme ("default" or "dark")
    font_scale: float = 1.0     # type in figures, cards and players
    line_scale: float = 1.0     # line widths in figures
    colours: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        mapping = {values[0]: values[self.index] for values in _NAMED.values()}
        object.__setattr__(self, "colours", mapping)

    def named(self, name: str) -> str:
        """This profile's value of the named colour ``name``."""
        return _NAMED[name][self.index]

    def colour(self, value):
        """``value`` (a standard colour, possibly ``rgba(...)``) as this profile draws it; other values unchanged."""
        if not isinstance(value, str):
            return value
        m = _RGBA.match(value.strip())
        if m and m.group(4) is not None:
            base = "#" + "".join(f"{int(v):02x}" for v in m.groups()[:3])
            mapped = self.colours.get(base)
            if mapped is None:
                return value
            r, g, b = (int(mapped[i:i + 2], 16) for i in (1, 3, 5))
            return f"rgba({r},{g},{b},{m.group(4)})"
        key = normalized(value)
        return self.colours.get(key, value) if key else value

    @property
    def large(self) -> bool:
        """Whether canvas players should use their large type and lines."""
        return self.font_scale > 1.0

    def js(self) -> dict:
        """What a canvas player needs: the colour map (standard -> this profile) and the scale."""
        return {"name": self.name, "map": dict(self.colours), "big": self.font_scale}

    def css(self) -> str:
        """Page CSS: the variables the lessons' own styles read (they inherit into shadow DOM)."""
        n = self.named
        s = self.font_scale
        rules = [f"--ql-ink: {n('text')}", f"--ql-muted: {n('muted')}", f"--ql-surface: {n('surface')}",
                 f"--ql-border: {n('border')}", f"--ql-button: {n('button')}", f"--ql-hover: {n('hover')}",
                 f"--ql-focus: {n('blue')}", f"--ql-bg: {n('white')}", f"--ql-scale: {s}"]
        css = ":root { " + "; ".join(rules) + "; }\n"
        if s > 1:
            # widgets (Bokeh's --bokeh-font-size inherits into their shadow roots) and page text
            css += (f":root {{ --bokeh-font-size: {round(13 * s)}px; --bs-body-font-size: {s}rem; }}\n"
                    f"body {{ font-size: {round(16 * s)}px; }}\n")
        return css

    def widget_css(self) -> str:
        """A stylesheet for Panel widgets and tabs: the profile's type size inside their shadow roots."""
        if self.font_scale == 1:
            return ""
        size = f"{round(13 * self.font_scale)}px"
        return (f":host {{ --bokeh-font-size: {size}; }}\n"
                f".bk-input, .bk-btn, select, option, .bk-tab, label, .bk-input-group {{ font-size: {size} !important; }}\n"
                f".bk-input {{ min-height: {round(30 * self.font_scale)}px; }}\n"
                # large tab titles take a second row rather than running off the side
                ".bk-headers-wrapper { flex-wrap: wrap; }\n")

    _FONT = re.compile(r"^([0-9.]+)(px|pt|em|rem)$")

    def restyle(self, fig, done: set | None = None) -> None:
        """Draw a Bokeh figure in this profile: colours mapped, type and lines scaled.

        ``done`` holds the ids of models already restyled (so a figure may be passed again after
        renderers were added without scaling anything twice).
        """
        if self.index == 0:
            return
        done = set() if done is None else done
        from bokeh.models import ColumnDataSource

        n = self.named
        if fig.id not in done:
            done.add(fig.id)
            fig.background_fill_color = n("white")
            fig.border_fill_color = n("white")
            fig.outline_line_color = n("border")
            for axis in [*fig.xaxis, *fig.yaxis]:
                for prop in ("axis_line_color", "major_tick_line_color", "minor_tick_line_color",
                             "major_label_text_color", "axis_label_text_color"):
                    setattr(axis, prop, n("axis"))
            for grid in [*fig.xgrid, *fig.ygrid]:
                grid.grid_line_color = n("plotgrid")
            if fig.title is not None:
                fig.title.text_color = n("text")
        for model in fig.references():
            if model.id in done or model is fig:
                continue
            done.add(model.id)
            if isinstance(model, ColumnDataSource):
                for key in ("color", "colour", "line_color", "fill_color"):
                    if key in model.data:
                        model.data[key] = [self.colour(v) for v in model.data[key]]
                continue
            for prop in model.properties():
                if prop.endswith("_font_size") or prop.endswith("_width") or prop.endswith("_color") \
                        or prop == "size":
                    self._scale_prop(model, prop)

    def _scale_prop(self, model, prop: str) -> None:
        try:
            value = getattr(model, prop)
        except AttributeError:
            return
        if isinstance(value, dict):   # a value spec {"value": ...}; fields stay as they are
            if "value" not in value:
                return
            value = value["value"]
        if prop.endswith("_color"):
            new = self.colour(value)
        elif prop.endswith("_font_size"):
            m = self._FONT.match(value) if isinstance(value, str) else None
            new = f"{float(m.group(1)) * self.font_scale:.3g}{m.group(2)}" if m else value
        elif prop in ("line_width", "size") and isinstance(value, (int, float)) and not isinstance(value, bool):
            new = value * (self.line_scale if prop == "line_width" else self.font_scale)
        else:
            return
        if new != value:
            try:
                setattr(model, prop, new)
            except (ValueError, TypeError, AttributeError):
                pass


PROFILES = {
    "standard": Profile("standard", "Standard", 0),
    "projector": Profile("projector", "Projector", 1, font_scale=1.4, line_scale=1.8),
    "dark": Profile("dark", "Dark", 2, theme="dark", line_scale=1.2),
}


def profile(name: str | None) -> Profile:
    """The profile called ``name`` (the standard one for None)."""
    return PROFILES[name or "standard"]
