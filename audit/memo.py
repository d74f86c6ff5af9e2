"""Remembering what a pure function made of a text, within one process.

Some files are read by two stages (a CMake file by the scan and by the include graph; a
reusable workflow by the scan and again for each caller): :func:`per_text` keeps the last
results of such a function for texts up to a size, so that the memory it holds stays
bounded. The results must be immutable: every caller gets the same object.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

MAX_CHARS = 65536
"""Longer texts are not remembered (read again each time)."""


def per_text(
    maxsize: int, max_chars: int = MAX_CHARS
) -> Callable[[Callable[Concatenate[str, P], R]], Callable[Concatenate[str, P], R]]:
    """Remember the last ``maxsize`` results of a function whose first argument is a text
    (the other arguments hashable), for texts of at most ``max_chars`` characters."""

    def decorate(fn: Callable[Concatenate[str, P], R]) -> Callable[Concatenate[str, P], R]:
        remembered = functools.lru_cache(maxsize=maxsize)(fn)

        @functools.wraps(fn)
        def call(text: str, /, *args: P.args, **kwargs: P.kwargs) -> R:
            if len(text) <= max_chars:
                return remembered(text, *args, **kwargs)  # type: ignore[arg-type]
            return fn(text, *args, **kwargs)

        return call

    return decorate


__all__ = ["MAX_CHARS", "per_text"]
