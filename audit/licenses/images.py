"""The curated table of well-known base images (``data/image-licenses.toml``).

An OS distribution image is many packages under many licenses, so it gets one ``LicenseRef``
per distribution (``LicenseRef-Debian-distribution``) and the URL where the distribution says
how its packages are licensed; Red Hat's UBI gets its EULA. Each entry also says how such an
image is used (``system-component``) for the classify stage, via :func:`image_entry`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path

from audit.components import parse_image_ref
from audit.licenses.freetext import normalize_expression
from audit.model import Component, ComponentKind, Distribution, LicenseInfo
from audit.resources import data_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SOURCE = "image-table"
_DISTRIBUTIONS = frozenset(d.value for d in Distribution)


@dataclass(frozen=True)
class ImageEntry:
    """One curated image family."""

    patterns: tuple[str, ...]
    """Image names (registry/repository, no tag), shell-style patterns."""
    expression: str
    url: str
    reason: str
    distribution: str = "system-component"
    distro: str = ""
    """Namespace of this distribution's OS packages (``rpm:fedora/…``), if it has them."""

    def matches(self, name: str) -> bool:
        return any(fnmatchcase(name, p) for p in self.patterns)

    def to_license_info(self) -> LicenseInfo:
        return LicenseInfo(
            expression=self.expression,
            source=SOURCE,
            raw=self.expression,
            url=self.url,
            reason=self.reason,
        )


def load_image_table(path: Path | None = None) -> tuple[ImageEntry, ...]:
    """Read an image table; raises ``ValueError`` naming the entry when it is malformed."""
    source = path or data_dir() / "image-licenses.toml"
    with open(source, "rb") as fh:
        raw = tomllib.load(fh)
    entries: list[ImageEntry] = []
    for index, item in enumerate(raw.get("image", []), start=1):
        where = f"{source}: image[{index}]"
        patterns = item.get("match")
        if isinstance(patterns, str):
            patterns = [patterns]
        if not patterns or not all(isinstance(p, str) and p for p in patterns):
            raise ValueError(f"{where}.match: expected a list of image name patterns")
        expression = normalize_expression(str(item.get("license", "")))
        if expression is None:
            raise ValueError(f"{where}.license: not an SPDX expression")
        distribution = str(item.get("distribution", Distribution.SYSTEM_COMPONENT.value))
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(f"{where}.distribution: {distribution!r} is not a distribution model")
        for key in ("url", "reason"):
            if not isinstance(item.get(key), str) or not item[key]:
                raise ValueError(f"{where}.{key}: missing")
        entries.append(
            ImageEntry(
                patterns=tuple(p.lower() for p in patterns),
                expression=expression,
                url=item["url"],
                reason=" ".join(item["reason"].split()),
                distribution=distribution,
                distro=str(item.get("distro", "")),
            )
        )
    return tuple(entries)


@lru_cache(maxsize=1)
def image_table() -> tuple[ImageEntry, ...]:
    """The bundled table (read once)."""
    return load_image_table()


def image_name(component: Component) -> str | None:
    """``registry/repository`` of an image component (no tag), lower-case."""
    if component.kind != ComponentKind.IMAGE:
        return None
    ref = parse_image_ref(component.id.removeprefix("image:"))
    return ref.name if ref else component.name.lower()


def lookup_image(name: str, table: tuple[ImageEntry, ...] | None = None) -> ImageEntry | None:
    """The first entry whose patterns match an image name."""
    name = name.lower()
    for entry in image_table() if table is None else table:
        if entry.matches(name):
            return entry
    return None


def image_entry(
    component: Component, table: tuple[ImageEntry, ...] | None = None
) -> ImageEntry | None:
    """The curated entry of an image component (``None`` for other kinds or unknown images)."""
    name = image_name(component)
    return lookup_image(name, table) if name else None


def image_license(
    component: Component, table: tuple[ImageEntry, ...] | None = None
) -> LicenseInfo | None:
    """The curated license of an image component, if the table knows it."""
    entry = image_entry(component, table)
    return entry.to_license_info() if entry else None


__all__ = [
    "SOURCE",
    "ImageEntry",
    "image_entry",
    "image_license",
    "image_name",
    "image_table",
    "load_image_table",
    "lookup_image",
]
