"""Colour profiles of the lessons: named colours and colours by role, one value per profile (PhET's pattern).

Every colour of the lessons lives here.  :data:`_NAMED` holds the swatches (``blue``, ``steel``, ...)
with one value per profile; :data:`ROLES` names what a colour is *for* (``potential``, ``packet``,
``transmitted``, ``reflected``, ``level``, ...) as a swatch and an opacity.  A page opened with
``?profile=projector`` or ``?profile=dark`` is drawn in that profile from the start:

- ``standard``: the look the lessons were designed in (white, mid-tone colours, 13-15 px type);
- ``projector``: dark, saturated colours on white, thick lines and type about 1.4x larger.  A
  washed-out projector lightens and de-saturates everything, so light greys, lime and pale fills
  become darker and every text colour becomes black (WCAG contrast >= 7 on white, tested);
- ``dark``: light colours on a near-black background, for dimmed rooms and screens.

Views build their Bokeh figures with their profile's swatches (:meth:`Profile.swatches`, a view's
``self.c``); players get the colour of every role by name (:meth:`Profile.js`) and their drawing
names roles only; page CSS reads the variables of :meth:`Profile.css` (:func:`css_var` writes a
variable with the standard value as its fallback).  Views only: nothing here computes physics.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import SimpleNamespace

from lessons.common.i18n import N_

__all__ = ["C", "ROLES", "CSS_ROLES", "PROFILES", "Profile", "profile", "normalized", "contrast", "css_var"]

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
    # notes and warnings in text; the page header (white text on it in every profile)
    "amber": ("#8a4b00", "#5c3100", "#ffc078"),
    "header": ("#1c4f82", "#0b2f57", "#1c3b5c"),
    "snow": ("#ffffff", "#ffffff", "#ffffff"),       # text on the header, in every profile
    "yellow": ("#ffd43b", "#ffd43b", "#ffd43b"),     # what needs the eye on the header (focus, Reveal)
}

#: role: (swatch, opacity).  What the players draw, named by what it is.
ROLES = {
    # every plot
    "background": ("white", 1), "text": ("text", 1), "axis": ("axis", 1), "grid": ("black", 0.08),
    "label_bg": ("white", 0.8), "cursor": ("black", 0.35), "time_cursor": ("red", 1),
    # a potential and a wave function
    "potential": ("steel", 1), "potential_edge": ("charcoal", 1), "potential_well": ("orange", 0.35),
    "absorber": ("dim", 0.13), "absorber_label": ("mid", 1),
    "packet": ("sky", 1), "packet_edge": ("deep", 1), "re": ("vermilion", 1), "im": ("violet", 1),
    "energy": ("green", 1), "mean_x": ("magenta", 1),
    # scattering
    "transmitted": ("green", 1), "reflected": ("red", 1), "inside": ("blue", 1), "predicted": ("ink", 1),
    # bound states
    "level": ("navy", 1), "level_box": ("stone", 1), "guess": ("orange", 1), "weight": ("green", 1),
    # a battery
    "stored": ("blue", 1), "ergotropy": ("green", 1), "local_ergotropy": ("orange", 1), "power": ("purple", 1),
    "spin_up": ("orange", 1), "spin_down": ("blue", 1), "ring": ("silver", 1), "gauge": ("green", 1),
    # a quantized memory
    "stored_psi": ("blue", 1), "exact_psi": ("slate", 1), "blowup": ("red", 1),
    # a variational eigensolver: its circuit, its energies, its probabilities
    "wire": ("stone", 1), "gate_fill": ("surface", 1), "gate_edge": ("slate", 1), "gate_ry": ("blue", 1),
    "gate_rz": ("magenta", 1), "cnot": ("ink", 1), "noise_mark": ("red", 1),
    "measured": ("blue", 1), "noisy_energy": ("orange", 1), "exact_energy": ("green", 1),
    "ground_energy": ("ink", 1), "noise_floor": ("red", 1), "circuit_best": ("violet", 1),
    "vqe_probs": ("sky", 1), "ground_probs": ("ink", 1),
    # a disordered chain
    "site_energy": ("stone", 1), "electron": ("sky", 1), "electron_edge": ("deep", 1), "msd": ("blue", 1),
    "ballistic": ("green", 1), "diffusive": ("orange", 1), "localized": ("red", 1), "start_site": ("magenta", 1),
    # a field and its solitons
    "field": ("blue", 1), "exact_field": ("ink", 1), "rest_kink": ("silver", 0.5), "vacuum": ("stone", 1), "kink_mark": ("magenta", 1),
    "energy_density": ("orange", 1), "energy_density_edge": ("vermilion", 1),
}

#: role: swatch of the page's CSS variables (``--ql-<role>``), which also reach into shadow roots.
CSS_ROLES = {"ink": "text", "muted": "muted", "surface": "surface", "border": "border", "button": "button",
             "hover": "hover", "focus": "blue", "bg": "white", "warning": "amber", "header": "header",
             "on_header": "snow", "highlight": "yellow", "shade": "black", "ink2": "axis", "tile": "button"}

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

    def swatches(self) -> SimpleNamespace:
        """Every named colour in this profile, as attributes (what a view draws with: ``self.c.blue``)."""
        return SimpleNamespace(**{name: values[self.index] for name, values in _NAMED.items()})

    def role(self, name: str) -> str:
        """The colour of role ``name`` (:data:`ROLES`) in this profile: ``#rrggbb``, or ``rgba(...)``."""
        swatch, alpha = ROLES[name]
        return _with_alpha(self.named(swatch), alpha)

    @property
    def large(self) -> bool:
        """Whether canvas players should use their large type and lines."""
        return self.font_scale > 1.0

    def js(self) -> dict:
        """What a canvas player needs: every role's colour in this profile, and the type scale."""
        return {"name": self.name, "roles": {role: self.role(role) for role in ROLES}, "big": self.font_scale}

    def css(self) -> str:
        """Page CSS: the variables the lessons' own styles read (they inherit into shadow DOM)."""
        s = self.font_scale
        rules = [f"--ql-{role}: {self.named(swatch)}" for role, swatch in CSS_ROLES.items()] + [f"--ql-scale: {s}"]
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
        """Give a Bokeh figure this profile's frame (background, axes, grid, title) and scale its type
        and lines.  Its curves are drawn in the profile already (a view builds them with
        :meth:`swatches`).

        ``done`` holds the ids of models already restyled (so a figure may be passed again after
        renderers were added without scaling anything twice).
        """
        if self.index == 0:
            return
        done = set() if done is None else done
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
            for prop in model.properties():
                if prop.endswith("_font_size") or prop in ("line_width", "size"):
                    self._scale_prop(model, prop)
            if hasattr(model, "label_text_color"):         # a legend's text
                model.label_text_color = n("text")

    def _scale_prop(self, model, prop: str) -> None:
        try:
            value = getattr(model, prop)
        except AttributeError:
            return
        if isinstance(value, dict):   # a value spec {"value": ...}; fields stay as they are
            if "value" not in value:
                return
            value = value["value"]
        if prop.endswith("_font_size"):
            m = self._FONT.match(value) if isinstance(value, str) else None
            new = f"{float(m.group(1)) * self.font_scale:.3g}{m.group(2)}" if m else value
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            new = value * (self.line_scale if prop == "line_width" else self.font_scale)
        else:
            return
        if new != value:
            try:
                setattr(model, prop, new)
            except (ValueError, TypeError, AttributeError):
                pass


def _with_alpha(hex_colour: str, alpha: float) -> str:
    if alpha >= 1:
        return hex_colour
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha:g})"


def css_var(role: str, percent: float | None = None) -> str:
    """``var(--ql-<role>, <standard value>)``: a page colour for CSS (:data:`CSS_ROLES`); with
    ``percent``, that much of it over transparent (``color-mix``)."""
    var = f"var(--ql-{role}, {_NAMED[CSS_ROLES[role]][0]})"
    return var if percent is None else f"color-mix(in srgb, {var} {percent:g}%, transparent)"


PROFILES = {
    "standard": Profile("standard", N_("Standard"), 0),
    "projector": Profile("projector", N_("Projector"), 1, font_scale=1.4, line_scale=1.8),
    "dark": Profile("dark", N_("Dark"), 2, theme="dark", line_scale=1.2),
}


def profile(name: str | None) -> Profile:
    """The profile called ``name`` (the standard one for None)."""
    return PROFILES[name or "standard"]
