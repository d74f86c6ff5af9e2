"""Imported by the scan's fork server before it forks workers: importing this module loads
the license data they inherit (:func:`audit.licenses.preload.load`, which never raises)."""

from __future__ import annotations

from audit.licenses.preload import load

LOADED = load()
"""Whether the matcher and the bundled texts were loaded (else each worker loads them)."""

__all__ = ["LOADED"]
