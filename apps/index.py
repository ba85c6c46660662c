"""`panel serve` entry point of the gallery: a card per lesson in lessons.CATALOGUE."""
import panel as pn

from lessons import CATALOGUE
from lessons.common.page import ASSETS, TEMPLATE_STYLE
from lessons.common.palette import css_var
from lessons.common.workarounds import served_page_guards

pn.extension()
served_page_guards()

CARD_CSS = f"""
.ql-grid {{ display: flex; flex-wrap: wrap; gap: 24px; }}
.ql-card {{ width: min(330px, 100%); border: 1px solid {css_var("border")}; border-radius: 10px; overflow: hidden;
           text-decoration: none; color: {css_var("ink")}; background: {css_var("bg")};
           box-shadow: 0 1px 3px {css_var("shade", 8)}; }}
.ql-card:hover, .ql-card:focus-visible {{ box-shadow: 0 4px 14px {css_var("shade", 18)}; outline: 3px solid {css_var("focus")}; }}
.ql-card img, .ql-card .ql-tile {{ width: 100%; height: 190px; object-fit: cover; display: block; background: {css_var("tile")}; }}
.ql-card .ql-tile {{ display: flex; align-items: center; justify-content: center; font-size: 26px; font-weight: 600; }}
.ql-card h3 {{ margin: 12px 14px 4px; font-size: 20px; }}
.ql-card p {{ margin: 0 14px 16px; font-size: 15px; line-height: 1.4; }}
"""


def card(lesson) -> str:
    # a lesson without a picture in assets/ gets its title on a plain tile
    image = (f'<img src="./assets/{lesson.thumbnail}" alt="{lesson.title} thumbnail">'
             if (ASSETS / lesson.thumbnail).is_file() else f'<div class="ql-tile" aria-hidden="true">{lesson.name}</div>')
    return (f'<a class="ql-card" href="./{lesson.slug}">{image}'
            f"<h3>{lesson.title}</h3><p>{lesson.description}</p></a>")


intro = pn.pane.Markdown(
    "Interactive lessons in quantum physics. Every number on screen is checked against a closed form "
    "or an independent library in the project's tests. Pick a lesson:",
    styles={"font-size": "17px"}, sizing_mode="stretch_width")
grid = pn.pane.HTML('<div class="ql-grid">' + "".join(card(c) for c in CATALOGUE) + "</div>",
                    stylesheets=[CARD_CSS], sizing_mode="stretch_width")
pn.template.BootstrapTemplate(
    title="Quantum Lessons", meta_viewport="width=device-width, initial-scale=1", main=[intro, grid], **TEMPLATE_STYLE,
).servable(title="Quantum Lessons")
