"""The license data a scan's worker processes inherit instead of loading it each.

The scan's worker pool forks its workers from one server process (:func:`audit.scan._context`),
which imports :mod:`audit.licenses.preloaded` before it forks any: importing that calls
:func:`load`, which loads the license database's matcher
(:func:`audit.licenses.matcher.default_matcher`) and the bundled license texts
(:func:`audit.licenses.texts.bundled_references`, with their shingle index), so that every
worker starts with them in memory (copy-on-write) rather than loading them itself.

Loading here is an optimization only: :func:`load` never raises; what it could not load
(no database installed, an unreadable cache, any failure) is left for each worker to load
as it would without it, and to meet (and report) the same trouble there.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def load() -> bool:
    """Load the matcher and the bundled license texts in this process; whether both are
    loaded (``False``: a worker loads what is missing itself, on first use)."""
    try:
        from audit.licenses import texts
        from audit.licenses.matcher import default_matcher

        references = texts.bundled_references()
        references.index  # noqa: B018 - built once here, inherited by every worker
        return default_matcher() is not None
    except Exception as exc:  # the workers load on their own
        log.debug("license data not loaded ahead of the scan workers: %s", exc)
        return False


def loaded() -> bool:
    """Whether this process holds the matcher and the bundled texts already (nothing is
    loaded to tell): true in a worker forked by a server that loaded them."""
    from audit.licenses import texts
    from audit.licenses.matcher import default_matcher

    return (
        default_matcher.cache_info().currsize == 1
        and texts.bundled_references.cache_info().currsize == 1
    )


__all__ = ["load", "loaded"]
