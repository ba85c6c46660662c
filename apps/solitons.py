"""`panel serve` entry point of a lesson: one page of lessons/solitons per browser tab (its card in lessons.CATALOGUE)."""
from lessons.common.page import serve_lesson

serve_lesson("solitons")
