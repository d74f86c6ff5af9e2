"""Values computed from texts and kept between runs: what one process found and made.

A cache of this shape (:mod:`audit.spdxcache`: the readings of license expressions;
:mod:`audit.classcode`: the compiled methods of data classes) reads its file once, answers
from it, adds what the process computes, and writes the file again at the end only when
something is new. The file stays bounded: past :attr:`Kept.limit` texts it keeps those this
process used or made, the last ones first to go. How a file is read, checked and written is
each cache's own; the bookkeeping is here.
"""

from __future__ import annotations

import threading
from itertools import islice
from typing import Generic, TypeVar

V = TypeVar("V")


class Kept(Generic[V]):
    """The values of one process: ``known`` (read from the file), the new ones made here,
    and which known ones were used. Safe to use from several threads."""

    def __init__(self, known: dict[str, V], limit: int) -> None:
        self.known = known
        self.limit = limit
        self.new: dict[str, V] = {}
        self.used: set[str] = set()
        self.lock = threading.Lock()

    def get(self, text: str) -> V | None:
        with self.lock:
            found = self.known.get(text)
            if found is not None:
                self.used.add(text)
            return found

    def put(self, text: str, value: V) -> None:
        with self.lock:
            self.new[text] = value

    def made(self) -> int:
        """How many values this process has made so far (a mark for :meth:`made_since`)."""
        with self.lock:
            return len(self.new)

    def made_since(self, mark: int) -> dict[str, V]:
        """The values made here after :meth:`made` returned ``mark``, for another process
        to :meth:`put` (a forked copy's, sent back to the one that keeps them)."""
        with self.lock:
            return dict(islice(self.new.items(), mark, None))

    def forget(self, text: str) -> None:
        """Not use ``text``'s known value again (it turned out unusable)."""
        with self.lock:
            self.known.pop(text, None)
            self.used.discard(text)

    def take(self) -> dict[str, V] | None:
        """What to write, when something is new (else ``None``): the known values and the
        new ones, at most :attr:`limit` (past that, those used or made here). They become
        the known ones."""
        with self.lock:
            if not self.new:
                return None
            entries = {**self.known, **self.new}
            if len(entries) > self.limit:
                keep = self.used | self.new.keys()
                entries = {t: v for t, v in entries.items() if t in keep}
                entries = dict(list(entries.items())[-self.limit :])
            self.known, self.new = entries, {}
            return entries


__all__ = ["Kept"]
