"""Pieces shared by every lesson: URL-state clamping and the browser-side frame player."""
