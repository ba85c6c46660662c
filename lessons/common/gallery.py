"""The gallery: the served index page, a card per lesson of :data:`lessons.CATALOGUE`, in the
visitor's language (its link's ``lang``, else the browser's).  Views only."""
from __future__ import annotations

import html

import panel as pn

from lessons.common.classroom import LanguageMenu
from lessons.common.i18n import Translator
from lessons.common.page import ASSETS, TEMPLATE_STYLE, notice_alert_text, page_language
from lessons.common.palette import css_var
from lessons.common.workarounds import served_page_guards, session_request

__all__ = ["gallery_app", "card_html", "CARD_CSS"]

CARD_CSS = f"""
.ql-grid {{ display: flex; flex-wrap: wrap; gap: 24px; }}
.ql-card {{ width: min(330px, 100%); border: 1px solid {css_var("border")}; border-radius: 10px; overflow: hidden;
           text-decoration: none; color: {css_var("ink")}; background: {css_var("bg")};
           box-shadow: 0 1px 3px {css_var("shade", 8)}; }}
.ql-card:hover, .ql-card:focus-visible {{ box-shadow: 0 4px 14px {css_var("shade", 18)}; outline: 3px solid {css_var("focus")}; }}
.ql-card img, .ql-card .ql-tile {{ width: 100%; height: 190px; object-fit: cover; display: block; background: {css_var("tile")}; }}
.ql-card .ql-tile {{ display: flex; align-items: center; justify-content: center; font-size: 26px; font-weight: 600; }}
.ql-card h3 {{ margin: 12px 14px 4px; font-size: 20px; hyphens: auto; overflow-wrap: break-word; }}
.ql-card p {{ margin: 0 14px 16px; font-size: 15px; line-height: 1.4; hyphens: auto; overflow-wrap: break-word; }}
"""


def card_html(lesson, tr: Translator, query: str = "") -> str:
    """One lesson's card: its picture (or its name on a plain tile), title and description; the link
    keeps the gallery's ``query`` (its language)."""
    _ = tr.gettext
    title, name = html.escape(_(lesson.title)), html.escape(_(lesson.name))
    alt = html.escape(_("{title}: picture").format(title=_(lesson.title)))
    image = (f'<img src="./assets/{lesson.thumbnail}" alt="{alt}">'
             if (ASSETS / lesson.thumbnail).is_file() else f'<div class="ql-tile" aria-hidden="true">{name}</div>')
    return (f'<a class="ql-card" href="./{lesson.slug}{query}">{image}'
            f"<h3>{title}</h3><p>{html.escape(_(lesson.description))}</p></a>")


def gallery_app(args: dict | None = None, headers: dict | None = None):
    """One session of the gallery page (``args``/``headers``: a served page's own when None)."""
    from lessons import CATALOGUE

    served_page_guards()
    if args is None:
        args, headers = session_request()
    tr, notices = page_language(args, headers)
    _ = tr.gettext
    query = f"?lang={tr.lang}" if "lang" in args else ""
    intro = pn.pane.Markdown(
        _("Interactive lessons in quantum physics. Every number on screen is checked against a closed form "
          "or an independent library in the project's tests. Pick a lesson:"),
        styles={"font-size": "17px"}, sizing_mode="stretch_width")
    grid = pn.pane.HTML('<div class="ql-grid">' + "".join(card_html(c, tr, query) for c in CATALOGUE) + "</div>",
                        stylesheets=[CARD_CSS], sizing_mode="stretch_width")
    main = [intro, grid]
    if notices:
        main.insert(0, pn.pane.Alert(notice_alert_text(notices, tr), alert_type="warning", sizing_mode="stretch_width"))
    template = pn.template.BootstrapTemplate(
        title=_("Quantum Lessons"), meta_viewport="width=device-width, initial-scale=1", main=main,
        header=[pn.Row(pn.layout.HSpacer(), LanguageMenu.of(tr, margin=(4, 12)), sizing_mode="stretch_width")],
        **TEMPLATE_STYLE)
    template.ql_tr = tr
    return template
