"""Project curations: the concluded license of a component whose metadata is missing or wrong.

File format (``.depaudit/curations.toml`` in the scanned root, or a path given)::

    [[curation]]
    component = "pypi:avocado-framework"   # an id, with or without @version, or a purl prefix
    license = "GPL-2.0-or-later"           # an SPDX expression (LicenseRef-… allowed)
    comment = "PyPI declares GPLv2+ and the classifier GPLv2+"
    source_url = "https://pypi.org/project/avocado-framework/69.0/"

Matching, most specific first (ties: first in the file wins):

1. an id with ``@version`` matches that exact component id;
2. an id without a version matches every version (``pypi:x`` matches ``pypi:x@1.0``;
   ``image:debian`` matches ``image:debian:12``);
3. a purl (``pkg:…``) matches the component's purl exactly, or as a prefix that ends at a
   purl boundary (``pkg:pypi/x`` matches ``pkg:pypi/x@1.0``; ``pkg:rpm/fedora/`` matches
   every Fedora rpm). Longer prefixes are more specific.

PyPI names in ids are compared PEP 503-normalized. Curations beat registry data; in-repo
evidence beats curations for first-party source. A bad file raises
:class:`audit.errors.ConfigError` naming the file and the key.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit.components import normalize_pypi_name
from audit.errors import ConfigError
from audit.licenses.freetext import normalize_expression
from audit.model import Component, Evidence, LicenseInfo
from audit.safefile import inside_root, parse_toml, read_regular

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover
    pass

DEFAULT_PATH = ".depaudit/curations.toml"
SOURCE = "curation"
_KEYS = frozenset({"component", "license", "comment", "source_url"})
_PURL_BOUNDARY = ("@", "?", "#", "/")


@dataclass(frozen=True)
class Curation:
    """One ``[[curation]]`` entry."""

    component: str
    """As written: an id (``pypi:x``, ``pypi:x@1.0``) or a purl prefix (``pkg:pypi/x``)."""
    expression: str
    """The concluded license, normalized SPDX."""
    comment: str = ""
    source_url: str = ""
    evidence: Evidence | None = None
    """The ``component = …`` line in the curations file."""
    raw: str = ""
    """The license as written in the file."""

    @property
    def is_purl(self) -> bool:
        return self.component.startswith("pkg:")

    def specificity(self, component: Component) -> int | None:
        """How closely this matches ``component`` (higher is closer); ``None``: no match."""
        if self.is_purl:
            purl = component.purl or ""
            pattern = self.component
            if purl == pattern:
                return 3_000 + len(pattern)
            if purl.startswith(pattern) and (
                pattern.endswith("/") or purl[len(pattern)] in _PURL_BOUNDARY
            ):
                return 1_000 + len(pattern)
            return None
        return _id_score(_canonical_id(self.component), _canonical_id(component.id))

    def to_license_info(self) -> LicenseInfo:
        return LicenseInfo(
            expression=self.expression,
            source=SOURCE,
            evidence=(self.evidence,) if self.evidence else (),
            raw=self.raw,
            url=self.source_url,
            reason=self.comment or f"curated for {self.component}",
        )


@dataclass(frozen=True)
class Curations:
    """All curations of a project, in file order."""

    entries: tuple[Curation, ...] = ()
    path: str = ""

    def match(self, component: Component) -> Curation | None:
        """The most specific curation for ``component``, if any."""
        best: tuple[int, int] | None = None
        chosen: Curation | None = None
        for index, curation in enumerate(self.entries):
            score = curation.specificity(component)
            if score is None:
                continue
            rank = (score, -index)
            if best is None or rank > best:
                best, chosen = rank, curation
        return chosen

    def license_for(self, component: Component) -> LicenseInfo | None:
        found = self.match(component)
        return found.to_license_info() if found else None

    def __len__(self) -> int:
        return len(self.entries)


def _id_score(want: str, have: str) -> int | None:
    if have == want:
        return 5_000
    kind, _, rest = want.partition(":")
    follows = have[len(want) : len(want) + 1] if have.startswith(want) else ""
    if kind == "image":
        # "image:debian" matches every tag and digest; "image:debian:12" that tag by digest.
        if follows in ("@", ":") and "@" not in rest:
            tagged = ":" in rest.rsplit("/", 1)[-1]
            return 4_500 if tagged else 4_000
        return None
    if follows == "@" and rest.rfind("@") <= 0:  # no version ("@scope/x" is a name)
        return 4_000
    return None


def _canonical_id(cid: str) -> str:
    """Ids compared with the PyPI name normalized (``pypi:Foo_Bar@1`` -> ``pypi:foo-bar@1``)."""
    if not cid.startswith("pypi:"):
        return cid
    name, at, version = cid[len("pypi:") :].partition("@")
    return f"pypi:{normalize_pypi_name(name)}{at}{version}"


def find_curations(root: Path) -> Path | None:
    """``<root>/.depaudit/curations.toml`` when it exists; ConfigError when a symlink leads it
    (or its directory) outside the root."""
    candidate = root / DEFAULT_PATH
    if not (candidate.is_file() or candidate.is_symlink()):
        return None
    return inside_root(root, DEFAULT_PATH, config=DEFAULT_PATH, key="path")


def load_curations(path: Path, root: Path | None = None) -> Curations:
    """Read a curations file. ``root`` makes evidence paths relative (default: as given).

    Raises :class:`ConfigError` (file and key named) for unreadable files, invalid TOML,
    unknown keys, missing ``component``/``license`` and licenses that are not SPDX.
    """
    shown = _display_path(path, root)
    try:
        text = read_regular(path, shown=shown).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read curations file: {exc}", path=shown) from exc
    return parse_curations(text, shown)


def parse_curations(text: str, path: str) -> Curations:
    """Parse curations from TOML text; ``path`` names the file in errors and evidence."""
    data = parse_toml(text, path)
    unknown_top = sorted(set(data) - {"curation"})
    if unknown_top:
        raise ConfigError(
            "unknown key (expected [[curation]] tables)", path=path, key=unknown_top[0]
        )
    raw_entries = data.get("curation", [])
    if not isinstance(raw_entries, list):
        raise ConfigError("must be an array of tables ([[curation]])", path=path, key="curation")
    lines = text.splitlines()
    entries: list[Curation] = []
    cursor = 0
    for index, entry in enumerate(raw_entries):
        where = f"curation[{index + 1}]"
        curation, cursor = _entry(entry, where, path, lines, cursor)
        entries.append(curation)
    return Curations(tuple(entries), path)


def _entry(
    entry: Any, where: str, path: str, lines: list[str], cursor: int
) -> tuple[Curation, int]:
    if not isinstance(entry, dict):
        raise ConfigError("must be a table", path=path, key=where)
    extra = sorted(set(entry) - _KEYS)
    if extra:
        raise ConfigError(
            f"unknown key (expected one of {', '.join(sorted(_KEYS))})",
            path=path,
            key=f"{where}.{extra[0]}",
        )
    for key in ("component", "license"):
        if key not in entry:
            raise ConfigError("missing", path=path, key=f"{where}.{key}")
    for key in _KEYS & set(entry):
        if not isinstance(entry[key], str):
            raise ConfigError("must be a string", path=path, key=f"{where}.{key}")
    component = entry["component"].strip()
    if not _valid_pattern(component):
        raise ConfigError(
            f"{component!r} is neither a component id (ecosystem:name[@version]) nor a purl",
            path=path,
            key=f"{where}.component",
        )
    license_text = entry["license"].strip()
    expression = normalize_expression(license_text)
    if expression is None:
        raise ConfigError(
            f"{license_text!r} is not a valid SPDX expression", path=path, key=f"{where}.license"
        )
    line, cursor = _find_line(lines, component, cursor)
    evidence = Evidence(path, line, lines[line - 1] if line else "", SOURCE) if path else None
    return (
        Curation(
            component=component,
            expression=expression,
            comment=" ".join(entry.get("comment", "").split()),
            source_url=entry.get("source_url", "").strip(),
            evidence=evidence,
            raw=license_text,
        ),
        cursor,
    )


def _valid_pattern(component: str) -> bool:
    if component.startswith("pkg:"):
        return len(component) > len("pkg:") and " " not in component
    kind, sep, rest = component.partition(":")
    return bool(sep and kind and rest and " " not in component)


def _find_line(lines: list[str], component: str, start: int) -> tuple[int, int]:
    """1-based line of the ``component = "…"`` key at or after ``start`` (0 if not found)."""
    for i in range(start, len(lines)):
        stripped = lines[i].strip()
        if stripped.startswith("component") and component in stripped:
            return i + 1, i + 1
    return 0, start


def _display_path(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def merge(curations: Iterable[Curations]) -> Curations:
    """Several curation files as one (earlier files win ties)."""
    entries: list[Curation] = []
    for c in curations:
        entries.extend(c.entries)
    return Curations(tuple(entries))


__all__ = [
    "DEFAULT_PATH",
    "Curation",
    "Curations",
    "find_curations",
    "load_curations",
    "merge",
    "parse_curations",
]
