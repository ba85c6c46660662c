"""`panel serve` entry point of the gallery: a card per lesson in lessons.CATALOGUE (lessons.common.gallery)."""
import panel as pn

from lessons.common.gallery import gallery_app

pn.extension()
app = gallery_app()
app.servable(title=app.ql_tr.gettext("Quantum Lessons"))
