"""``FrameRun``: a run computed frame by frame, as the page pulls its frames while it plays.

A lesson whose player pulls frames (``clock.pull`` in its ``LESSON``; Anderson localization,
Solitons) keeps its run as a subclass that says how to get from one frame to the next
(:meth:`FrameRun._advance`) and what to keep of a frame (:meth:`FrameRun._record`, which appends to
``records`` and may end the run early by setting ``done``).  :meth:`FrameRun.next_chunk` computes
as many frames as the page asked for within a time slice, so that one student's request never
holds the server for long; an error of the numerics ends the run with a message in the page's
language instead of a traceback.  No Panel import: models use it and are tested without a browser.
"""
from __future__ import annotations

import time
from typing import ClassVar

from lessons.common.i18n import Translator

__all__ = ["FrameRun"]


class FrameRun:
    """Frames 0 .. ``frame_count`` of a run, computed on demand with :meth:`next_chunk`.

    A subclass sets ``frame_count``, ``records`` (name -> list, with ``"t"`` among them), ``tr`` (the
    language of :attr:`error`), ``done = False`` and ``error = ""`` in its ``__init__``, and
    implements :meth:`_advance` and :meth:`_record`.
    """

    #: the numerics' errors that end a run with a message (its text: an English msgid, or NumPy's own)
    ERRORS: ClassVar[tuple[type[Exception], ...]] = (FloatingPointError, ValueError)

    frame_count: int
    records: dict[str, list]
    tr: Translator
    done: bool
    error: str

    @property
    def frames(self) -> int:
        """How many frames have been computed."""
        return len(self.records["t"])

    def _advance(self, k: int) -> None:
        """Evolve the state from frame k - 1 to frame k."""
        raise NotImplementedError

    def _record(self, k: int) -> None:
        """Append frame k's values to ``records`` (set ``done`` to end the run after it)."""
        raise NotImplementedError

    def next_chunk(self, max_frames: int, max_seconds: float = 0.05) -> dict | None:
        """Compute up to ``max_frames`` more frames (at least one, then as many as fit in
        ``max_seconds``): ``start``, ``end``, ``done`` and the records of those frames; None once done."""
        if self.done:
            return None
        start = self.frames
        t0 = time.perf_counter()
        try:
            while not self.done and self.frames - start < max_frames and self.frames <= self.frame_count:
                k = self.frames
                if k > 0:
                    self._advance(k)
                self._record(k)
                if time.perf_counter() - t0 > max_seconds:
                    break
            if self.frames > self.frame_count:
                self.done = True
        except self.ERRORS as err:
            self.done = True
            self.error = self.tr._("The simulation stopped: {reason}.").format(reason=self.tr._(str(err)))
        end = self.frames
        return {"start": start, "end": end, "done": self.done,
                **{key: values[start:end] for key, values in self.records.items()}}

    def finish(self) -> "FrameRun":
        """Run to the end at once (tests, notebooks, benchmarks)."""
        while not self.done and self.next_chunk(10_000, max_seconds=1e9) is not None:
            pass
        return self
