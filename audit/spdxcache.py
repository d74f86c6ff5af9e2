"""License expressions read in earlier runs, kept in the cache directory.

Reading an expression (:func:`audit.spdx.parse_expression`) needs license-expression's SPDX
``Licensing``, which every process would build anew (a few hundredths of a second: its
index of some 2,400 licenses, their symbols and their automaton) although the expressions
a project meets are few and the same from run to run: the bundled policy's, the exceptions
database's, those its files and packages state. Each reading (the normalized expression or
the reason there is none) depends only on the text, on license-expression and boolean.py
as installed and on :mod:`audit.spdx`'s own rules, so it is kept in
``<cache dir>/spdx/expressions.json`` under a key naming all three; a file of another key,
another format or damaged is not used (and is replaced when the run has readings to keep).

Only the command line keeps them (:func:`save`, at the end of a command); any process
reads them (the scan's workers too). At most :data:`MAX_ENTRIES` readings of at most
:data:`MAX_TEXT` characters each are kept: past that, the readings of the last run.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from audit import atomicfile
from audit.kept import Kept

log = logging.getLogger(__name__)

FORMAT = "depaudit/spdx-expressions/1"
MAX_ENTRIES = 5_000
MAX_TEXT = 400
"""Longer texts are read every time (the memory and file this keeps stay small)."""

Reading = tuple[str | None, str]
"""``(normalized expression or None, problem)`` of one text."""


class Readings(Kept[Reading]):
    """The readings of one process: those found in the cache file and those made here."""

    def __init__(self, path: Path | None, key: str, known: dict[str, Reading]) -> None:
        super().__init__(known, MAX_ENTRIES)
        self.path = path
        self.key = key

    def put(self, text: str, reading: Reading) -> None:
        if len(text) <= MAX_TEXT:
            super().put(text, reading)

    def save(self) -> None:
        """Write the readings out when this process made new ones; a failure is logged."""
        entries = self.take() if self.path is not None else None
        if self.path is None or entries is None:
            return
        data = {"format": FORMAT, "key": self.key, "entries": dict(sorted(entries.items()))}
        try:
            atomicfile.write(self.path, json.dumps(data, separators=(",", ":")).encode())
        except OSError as exc:
            log.warning("cannot cache license expressions in %s: %s", self.path.parent, exc)


_LOCK = threading.Lock()
_CURRENT: Readings | None = None


def current() -> Readings:
    """This process's readings, loaded from the cache directory on first use."""
    global _CURRENT
    with _LOCK:
        if _CURRENT is None:
            _CURRENT = _open()
        return _CURRENT


def save() -> None:
    """Keep this process's new readings (the command line calls it once a command ends)."""
    with _LOCK:
        readings = _CURRENT
    if readings is not None:
        readings.save()


def _open() -> Readings:
    from audit.cachedir import default_cache_dir

    key = _key()
    try:
        path = default_cache_dir() / "spdx" / "expressions.json"
    except RuntimeError:  # no home directory to hold a cache
        return Readings(None, key, {})
    return Readings(path, key, _load(path, key))


def _load(path: Path, key: str) -> dict[str, Reading]:
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.debug("license expression cache %s not used: %s", path, exc)
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("key") != key:
        return {}
    entries = data.get("entries")
    if not isinstance(entries, dict):
        return {}
    out: dict[str, Reading] = {}
    for text, reading in entries.items():
        if (
            isinstance(reading, list)
            and len(reading) == 2
            and (reading[0] is None or isinstance(reading[0], str))
            and isinstance(reading[1], str)
        ):
            out[text] = (reading[0], reading[1])
    return out


def _key() -> str:
    """What a reading depends on besides its text: :mod:`audit.spdx`'s source, and
    license-expression (its code and license index) and boolean.py as installed, by their
    files' sizes and times (:func:`audit.scancache.files_key`), found without importing
    them."""
    from importlib.util import find_spec

    from audit.scancache import files_key

    trees = [(Path(__file__).parent, "spdx.py")]
    for name in ("license_expression", "boolean"):
        try:
            spec = find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin:
            trees.append((Path(spec.origin).parent, ""))
    return files_key(FORMAT, trees)[:32]


__all__ = ["FORMAT", "MAX_ENTRIES", "MAX_TEXT", "Readings", "current", "save"]
