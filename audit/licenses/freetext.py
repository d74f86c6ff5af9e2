"""Free-text license names and trove classifiers -> SPDX expressions.

Registries hold what authors typed: ``GPLv2+``, ``Apache 2.0``, ``BSD``. This module maps
them through the table in ``data/license-aliases.toml`` and, for anything not listed, through
license-expression's own SPDX parser (with its bundled index of ids and aliases) — there is no
second SPDX parser here. Names that do not say which license applies (``BSD``, ``GPL``) map to
``None`` with the question a human must answer: unknown is never replaced by a guess.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from audit import spdx
from audit.resources import data_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_MAX_EXPRESSION = 1000
_NO_ASSERTION = frozenset({"noassertion", "none", "other", "unknown", "non-standard"})
_ARTICLE = re.compile(r"^the\s+", re.IGNORECASE)
_LICENSE_WORD = re.compile(r"\s+licen[cs]e$", re.IGNORECASE)


@dataclass(frozen=True)
class Mapped:
    """The SPDX reading of a free-text license name."""

    expression: str | None
    """Normalized SPDX expression, or ``None`` when the text does not say which license."""
    reason: str
    """How it was read (``alias``, ``SPDX expression``...) or why it is unknown."""


@dataclass(frozen=True)
class AliasTable:
    """Free-text license names and classifiers mapped to SPDX ids (the ambiguous ones apart)."""

    aliases: dict[str, str]
    ambiguous: dict[str, str]
    classifiers: dict[str, str]
    ambiguous_classifiers: dict[str, str]


def normalize_key(text: str) -> str:
    """Lookup key: case-folded, whitespace collapsed, outer quotes and punctuation dropped."""
    return " ".join(text.split()).strip(" \"'.;,").casefold()


@lru_cache(maxsize=4096)
def normalize_expression(text: str) -> str | None:
    """A valid SPDX expression in normalized form (``gpl-2.0+`` -> ``GPL-2.0-or-later``).

    ``LicenseRef-…`` keys are accepted as they are; ``NOASSERTION``/``NONE`` and anything with
    an unknown license key give ``None`` (:func:`audit.spdx.normalize`, as on every path).
    Remembered: a large tree states the same few expressions in thousands of places.
    """
    text = text.strip()
    if not text or len(text) > _MAX_EXPRESSION or text.casefold() in _NO_ASSERTION:
        return None
    return spdx.normalize(text)


def _table_path() -> Path:
    return data_dir() / "license-aliases.toml"


def load_table(path: Path | None = None) -> AliasTable:
    """Read an alias table; keys normalized (duplicates after normalization are an error)."""
    source = path or _table_path()
    with open(source, "rb") as fh:
        raw = tomllib.load(fh)

    def section(name: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in raw.get(name, {}).items():
            norm = normalize_key(key)
            if norm in out:
                raise ValueError(f"{source}: [{name}] {key!r} duplicates another key")
            out[norm] = str(value)
        return out

    return AliasTable(
        aliases=section("aliases"),
        ambiguous=section("ambiguous"),
        classifiers=section("classifiers"),
        ambiguous_classifiers=section("ambiguous-classifiers"),
    )


@lru_cache(maxsize=1)
def table() -> AliasTable:
    """The bundled table (read once)."""
    return load_table()


def _lookup(text: str, tbl: AliasTable) -> Mapped | None:
    key = normalize_key(text)
    if key in tbl.ambiguous:
        return Mapped(None, tbl.ambiguous[key])
    if key in tbl.aliases:
        return Mapped(normalize_expression(tbl.aliases[key]), f"alias of {text.strip()!r}")
    expression = normalize_expression(text)
    if expression:
        return Mapped(expression, "SPDX expression")
    return None


def to_spdx(text: str) -> Mapped:
    """Map a registry's free-text license field to SPDX (or ``None`` with the reason)."""
    stripped = " ".join(text.split()).strip(" \"'.;,")
    if not stripped:
        return Mapped(None, "no license stated")
    tbl = table()
    found = _lookup(stripped, tbl)
    if found:
        return found
    # "The Foo License" -> "Foo": try the name without its article and trailing "License".
    shorter = _LICENSE_WORD.sub("", _ARTICLE.sub("", stripped))
    if shorter and shorter != stripped:
        found = _lookup(shorter, tbl)
        if found:
            return found
    shown = stripped if len(stripped) <= 80 else stripped[:77] + "..."
    return Mapped(None, f"{shown!r} is not a known license name or SPDX expression")


def classifier_to_spdx(classifier: str) -> Mapped:
    """Map one ``License :: …`` trove classifier to SPDX (or ``None`` with the reason)."""
    key = normalize_key(classifier)
    tbl = table()
    if key in tbl.classifiers:
        return Mapped(normalize_expression(tbl.classifiers[key]), "trove classifier")
    if key in tbl.ambiguous_classifiers:
        return Mapped(None, tbl.ambiguous_classifiers[key])
    return Mapped(None, f"unknown license classifier {classifier.strip()!r}")


__all__ = [
    "AliasTable",
    "Mapped",
    "classifier_to_spdx",
    "load_table",
    "normalize_expression",
    "normalize_key",
    "table",
    "to_spdx",
]
