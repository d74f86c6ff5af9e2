"""Cyclic garbage collection paused while a stage builds large acyclic data.

An audit of a large tree builds millions of small objects (scan results, notices,
components, verdicts) and makes almost no cyclic garbage (a few thousand objects for a
100,000-file tree), yet each automatic collection walks every live object: on such a tree
the collector took about a quarter of the post-scan time. Reference counting still frees
everything as usual; the collector runs again when the block ends.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No automatic cyclic garbage collection inside the block (nests; restores the state)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


__all__ = ["paused"]
