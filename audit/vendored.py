"""Vendored third-party code inside a tree: each copy is a component, with its placement.

Two shapes, as the CNCF allowlist policy's reviews tell them apart:

- *a designated third-party folder*: a directory named ``third-party``, ``third_party``,
  ``thirdparty``, ``3rdparty`` (and alike), ``vendor`` or ``vendored``. Each sub-directory of
  it is one component (``third-party/tinydir``), each file directly in it one more. Its
  license is what the notices inside say (SPDX tags, license texts), else what the known-file
  table says of a known file in it. A Go ``vendor/`` with ``modules.txt`` gives the vendored
  Go modules (the same ids as go.mod's requirements, marked vendored); an npm
  ``node_modules/<pkg>`` with a ``package.json`` gives that npm package;
- *intermingled*: a known single-file library (``uthash.h``) sitting among first-party
  files. It is recognized by name and confirmed by a marker string in its head, from the
  table ``data/vendored-files.toml``, which also gives its upstream license and where its
  version is written.

Vendored code is reported as a ``source`` component (it ships with the tree, its license is
stated in the tree) with properties ``vendored``, ``placement`` (``third-party-folder`` or
``intermingled``), ``upstream`` and ``license``; each intermingled copy is also a finding.
"""

from __future__ import annotations

import json
import re
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from operator import attrgetter
from pathlib import Path

from audit.components import package_component
from audit.model import Component, ComponentKind, Evidence, Finding, Notice
from audit.resources import data_dir
from audit.scanners.notice_files import is_license_file

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

NAME = "vendored"
THIRD_PARTY_DIRS = frozenset(
    {
        "third-party", "third_party", "thirdparty", "3rdparty", "3rd-party", "3rd_party",
        "vendor", "vendored",
    }
)  # fmt: skip
FOLDER = "third-party-folder"
INTERMINGLED = "intermingled"
HEAD_CHARS = 32 * 1024
WHOLE_FILES = ("modules.txt",)
"""Read whole, never by their head: a Go ``vendor/modules.txt`` lists hundreds of modules
(kubernetes' is over 100 KiB)."""
WHOLE_CHARS = 4 * 1024 * 1024


def read_limit(path: str) -> int:
    """How much of ``path`` :func:`find_vendored` needs: its head, or all of a listing."""
    return WHOLE_CHARS if path.rsplit("/", 1)[-1] in WHOLE_FILES else HEAD_CHARS


_VERSION = re.compile(r"[0-9][0-9A-Za-z.+\-]{0,40}")
_LICENSE_KINDS = frozenset({"spdx-tag", "prose", "license-text"})
_MAX_EVIDENCE = 6
_PATH_LINE = attrgetter("path", "line")

Reader = Callable[[str], "str | None"]
"""Reads a tree file's head by its root-relative path (None when unreadable)."""


@dataclass(frozen=True)
class KnownLibrary:
    """One entry of ``data/vendored-files.toml``."""

    name: str
    files: tuple[str, ...]
    markers: tuple[str, ...]
    license: str
    version_marker: str = ""
    url: str = ""


def _parse_table(data: dict[str, object], where: str) -> tuple[KnownLibrary, ...]:
    entries = data.get("file", [])
    if not isinstance(entries, list):
        raise ValueError(f"{where}: expected [[file]] entries")
    out: list[KnownLibrary] = []
    for i, e in enumerate(entries):
        if not isinstance(e, dict):
            raise ValueError(f"{where}: file[{i}] is not a table")
        try:
            out.append(
                KnownLibrary(
                    name=str(e["name"]),
                    files=tuple(str(f).lower() for f in e["files"]),
                    markers=tuple(str(m) for m in e["markers"]),
                    license=str(e["license"]),
                    version_marker=str(e.get("version", "")),
                    url=str(e.get("url", "")),
                )
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{where}: file[{i}]: missing or bad key {exc}") from None
    return tuple(out)


def load_known(path: Path | None = None) -> tuple[KnownLibrary, ...]:
    """The known-file table (the bundled one by default)."""
    if path is None:
        return _bundled()
    with path.open("rb") as fh:
        return _parse_table(tomllib.load(fh), str(path))


@lru_cache(maxsize=1)
def _bundled() -> tuple[KnownLibrary, ...]:
    path = data_dir() / "vendored-files.toml"
    with path.open("rb") as fh:
        return _parse_table(tomllib.load(fh), str(path))


@dataclass(frozen=True)
class Match:
    """A file recognized as a known library."""

    library: KnownLibrary
    path: str
    line: int
    """The line holding the marker."""
    text: str
    version: str | None


def match_file(path: str, text: str, known: Sequence[KnownLibrary]) -> Match | None:
    """The known library ``path`` is a copy of: its name is listed and a marker is in it."""
    base = path.rsplit("/", 1)[-1].lower()
    head = text[:HEAD_CHARS]
    for lib in known:
        if base not in lib.files:
            continue
        lines = head.splitlines()
        hit = next((i for i, ln in enumerate(lines, 1) if any(m in ln for m in lib.markers)), None)
        if hit is None:
            continue
        return Match(lib, path, hit, lines[hit - 1], _version(lines, lib.version_marker))
    return None


def _version(lines: Sequence[str], marker: str) -> str | None:
    if not marker:
        return None
    for line in lines:
        at = line.find(marker)
        if at < 0:
            continue
        rest = line[at + len(marker) :].strip().strip('"')
        m = _VERSION.match(rest)
        if m and "." in m[0]:
            return m[0]
    return None


# Finding vendored units ---------------------------------------------------------------------


def _folder_index(parts: Sequence[str]) -> int | None:
    for i, p in enumerate(parts[:-1]):
        if p.lower() in THIRD_PARTY_DIRS or p == "node_modules":
            return i
    return None


@dataclass(frozen=True)
class VendoredFacts:
    """The vendored components found in a tree, their findings and the files they hold."""

    components: tuple[Component, ...]
    """Sorted by id."""
    findings: tuple[Finding, ...]
    paths: frozenset[str] = frozenset()
    """Every file that belongs to a vendored component."""
    folders: frozenset[str] = frozenset()
    """The designated third-party folders found."""

    @cached_property
    def _ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.components)

    def supersedes(self, component: Component) -> bool:
        """Whether a first-party ``source`` unit (from the notice grouping) is vendored code
        already reported here: it lies inside a third-party folder, or its notices are all in
        vendored files and it is a license group (``source:dir#License``) or counts no more
        files than the vendored ones under its directory."""
        if component.kind != ComponentKind.SOURCE or component.prop("vendored"):
            return False
        if component.prop("system_headers"):
            return False  # headers of the build machine, not code of this tree
        if component.id in self._ids:
            return False
        directory = component.prop("directory") or ""
        if any(directory == f or directory.startswith(f + "/") for f in self.folders):
            return True
        paths = {e.path for e in component.evidence}
        if not paths or not paths <= self.paths:
            return False
        if "#" in component.id:
            return True
        inside = [p for p in self.paths if directory in ("", ".") or p.startswith(directory + "/")]
        try:
            return int(component.prop("files") or "0") <= len(inside)
        except ValueError:
            return False


def _same(path: str) -> str:
    return path


def candidates(files: Iterable[str], known: Sequence[KnownLibrary] | None = None) -> list[str]:
    """The paths among ``files`` that :func:`find_vendored` looks at, in order: those in a
    third-party folder and those named like a file of a known library. Given these alone
    (with the same ``known`` table, or a part of it), it finds what it finds in all."""
    table = tuple(known) if known is not None else load_known()
    names = {f for lib in table for f in lib.files}
    inside: dict[str, bool] = {}
    """Per directory: whether it lies in a third-party folder."""
    out: list[str] = []
    for path in files:
        directory, _, name = path.rpartition("/")
        held = inside.get(directory)
        if held is None:
            held = inside[directory] = _folder_index(path.split("/")) is not None
        if held or name.lower() in names:
            out.append(path)
    return out


def find_vendored(
    files: Sequence[str],
    read: Reader,
    notices: Sequence[Notice] = (),
    known: Sequence[KnownLibrary] | None = None,
    where: Callable[[str], str] = _same,
    project: str = "",
) -> VendoredFacts:
    """Vendored components of one tree, from its file list (``read`` opens the few needed).

    ``where`` names tree paths in messages (ids and evidence stay relative to the tree).
    ``project`` is the tree's own name: a library of that name is not vendored in its own
    repository (tinydir's ``tinydir.h``)."""
    table = tuple(known) if known is not None else load_known()
    if project:
        table = tuple(lib for lib in table if lib.name.lower() != project.lower())
    listed = set(files)
    units: dict[str, list[str]] = {}
    folders: dict[str, str] = {}
    loose: list[str] = []
    go_vendor: set[str] = set()
    npm: dict[str, list[str]] = {}
    in_folder: dict[str, int | None] = {}
    """Per directory: the index of its third-party folder among a path's parts, if any."""
    for path in sorted(files):
        directory = path.rpartition("/")[0]
        if directory in in_folder:
            i = in_folder[directory]
        else:
            i = in_folder[directory] = _folder_index(path.split("/"))
        if i is None:
            loose.append(path)
            continue
        parts = path.split("/")
        folder = "/".join(parts[: i + 1])
        if parts[i] == "node_modules":
            unit = _npm_unit(parts)
            if unit:
                npm.setdefault(unit, []).append(path)
            continue
        if parts[i] == "vendor" and f"{folder}/modules.txt" in listed:
            go_vendor.add(folder)
            continue
        unit = path if len(parts) == i + 2 else "/".join(parts[: i + 2])
        units.setdefault(unit, []).append(path)
        folders[unit] = folder
    units, folders = _license_roots(units, folders)

    components: list[Component] = []
    findings: list[Finding] = []
    licensed = _LicenseNotices(notices)
    for unit, members in sorted(units.items()):
        matches = [m for m in (_match(p, read, table) for p in members) if m is not None]
        components.append(_folder_component(unit, folders[unit], members, matches, licensed, where))
    known_files = {f for lib in table for f in lib.files}
    for path in loose:
        if path[path.rfind("/") + 1 :].lower() not in known_files:
            continue
        m = _match(path, read, table)
        if m is None:
            continue
        comp = _intermingled_component(m, licensed, where)
        components.append(comp)
        findings.append(_intermingled_finding(comp, m, where))
    for folder in sorted(go_vendor):
        components.extend(_go_modules(folder, read, notices))
    for unit in sorted(npm):
        package = _npm_package(unit, read, licensed)
        if package is not None:
            components.append(package)
    merged: dict[str, Component] = {}
    for c in components:
        merged.setdefault(c.id, c)
    covered = {p for members in units.values() for p in members}
    covered |= {c.name for c in merged.values() if c.prop("placement") == INTERMINGLED}
    return VendoredFacts(
        tuple(merged[k] for k in sorted(merged)),
        tuple(sorted(findings, key=lambda f: f.subject)),
        frozenset(covered),
        frozenset(folders.values()),
    )


def _match(path: str, read: Reader, table: Sequence[KnownLibrary]) -> Match | None:
    base = path.rsplit("/", 1)[-1].lower()
    if not any(base in lib.files for lib in table):
        return None
    text = read(path)
    return match_file(path, text, table) if text is not None else None


class _LicenseNotices:
    """The notices that state a license, sorted by path and line once for the whole tree
    (when a unit first asks: most trees vendor nothing), so that each unit finds its own by
    bisection (a unit's paths are contiguous)."""

    def __init__(self, notices: Sequence[Notice]) -> None:
        self.given = notices
        self.notices: list[Notice] | None = None
        self.paths: list[str] = []

    def under(self, unit: str) -> list[Notice]:
        """The notices of file ``unit`` and of the files under it, by path and line."""
        notices = self.notices
        if notices is None:
            wanted = (n for n in self.given if n.kind in _LICENSE_KINDS and n.expression)
            notices = self.notices = sorted(wanted, key=_PATH_LINE)
            self.paths = [n.path for n in notices]
        paths = self.paths
        exact = notices[bisect_left(paths, unit) : bisect_right(paths, unit)]
        # "unit/" .. "unit0": every path with the prefix "unit/" ("0" follows "/")
        below = notices[bisect_left(paths, unit + "/") : bisect_left(paths, unit + "0")]
        return exact + below


def _notice_licenses(
    unit: str, notices: _LicenseNotices, members: Sequence[str] | None = None
) -> tuple[list[str], list[Evidence]]:
    """The licenses the notices inside ``unit`` state (only those of ``members`` when
    given), with the first line of each."""
    found: dict[str, Evidence] = {}
    wanted = frozenset(members) if members is not None else None
    for n in notices.under(unit):
        if n.expression and (wanted is None or n.path in wanted):
            found.setdefault(n.expression, n.evidence)
    return sorted(found), [found[k] for k in sorted(found)]


def _root_texts(root: str, notices: _LicenseNotices) -> tuple[list[str], list[Evidence]]:
    """The license texts directly in ``root`` (``LICENSE``, ``COPYING``… identified by their
    text): the license of the code the directory roots."""
    found: dict[str, Evidence] = {}
    for n in notices.under(root):
        if n.kind == "license-text" and n.expression and _dir(n.path) == root:
            found.setdefault(n.expression, n.evidence)
    return sorted(found), [found[k] for k in sorted(found)]


def _license_roots(
    units: dict[str, list[str]], folders: dict[str, str]
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Each directory below a third-party folder that holds a license file (``LICENSE``,
    ``COPYING``…) roots a unit of its own: ``third_party/github.com/o/a`` and
    ``third_party/github.com/o/b`` are two components, not one ``third_party/github.com``.
    A file belongs to the deepest root above it; files under no root stay in their
    first-level unit."""
    roots = {
        _dir(p)
        for unit, members in units.items()
        for p in members
        if p != unit and is_license_file(p) and _dir(p) != folders[unit]
    }
    if not roots:
        return units, folders
    out: dict[str, list[str]] = {}
    out_folders: dict[str, str] = {}
    for unit, members in units.items():
        for p in members:
            d, owner = _dir(p), unit
            while d.startswith(unit + "/") or d == unit:
                if d in roots:
                    owner = d
                    break
                d = _dir(d)
            out.setdefault(owner, []).append(p)
            out_folders[owner] = folders[unit]
    return out, out_folders


def _npm_unit(parts: Sequence[str]) -> str | None:
    """The package directory a ``node_modules`` path belongs to: after its last
    ``node_modules`` (``a/node_modules/@s/b/node_modules/c/index.js`` -> ``…/node_modules/c``)."""
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] != "node_modules":
            continue
        scoped = len(parts) > i + 3 and parts[i + 1].startswith("@")
        depth = i + 3 if scoped else i + 2
        if len(parts) > depth:
            return "/".join(parts[:depth])
    return None


def _dir(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else "."


def _folder_component(
    unit: str,
    folder: str,
    members: Sequence[str],
    matches: Sequence[Match],
    notices: _LicenseNotices,
    where: Callable[[str], str],
) -> Component:
    rooted, license_evidence = _root_texts(unit, notices)
    seen, seen_evidence = _notice_licenses(unit, notices, members)
    licenses = rooted or seen
    if not rooted:
        license_evidence = seen_evidence
    lib = matches[0] if matches else None
    props = {
        "vendored": "true",
        "placement": FOLDER,
        "folder": folder,
        "files": str(len(members)),
        "context": "userspace",
    }
    if rooted:
        props["license"] = " AND ".join(_paren(x) for x in rooted)
        props["license_from"] = "license files of the vendored copy"
        if set(seen) - set(rooted):
            props["licenses_seen"] = " | ".join(seen)
    elif licenses:
        props["license"] = " AND ".join(_paren(x) for x in licenses)
        props["license_from"] = "notices in the vendored code"
    elif lib is not None:
        props["license"] = lib.library.license
        props["license_from"] = f"known-file table ({lib.library.name}: {lib.library.url})"
    if lib is not None:
        props["upstream"] = lib.library.name
        props["url"] = lib.library.url
    what = f"{lib.library.name} " if lib else ""
    props["context_reason"] = (
        f"vendored third-party code {what}in the designated third-party folder {where(folder)}/"
    )
    first = Evidence(members[0], 0, f"in the designated third-party folder {folder}/", NAME)
    evidence = {first, *license_evidence[:_MAX_EVIDENCE]}
    if lib is not None:
        evidence.add(Evidence(lib.path, lib.line, lib.text, NAME))
    return Component(
        id=f"source:{unit}",
        kind=ComponentKind.SOURCE,
        name=unit,
        version=lib.version if lib else None,
        evidence=tuple(sorted(evidence)),
        properties=tuple(sorted(props.items())),
    )


def _paren(expr: str) -> str:
    return f"({expr})" if " " in expr else expr


def _intermingled_component(
    m: Match, notices: _LicenseNotices, where: Callable[[str], str]
) -> Component:
    licenses, license_evidence = _notice_licenses(m.path, notices)
    lib = m.library
    props = {
        "vendored": "true",
        "placement": INTERMINGLED,
        "upstream": lib.name,
        "url": lib.url,
        "context": "userspace",
        "license": lib.license,
        "license_from": f"known-file table ({lib.name}: {lib.url})",
        "context_reason": (
            f"vendored third-party code {lib.name}, intermingled with first-party code in "
            f"{where(_dir(m.path))}/"
        ),
    }
    if licenses and licenses != [lib.license]:
        props["licenses_seen"] = " | ".join(licenses)
    evidence = {Evidence(m.path, m.line, m.text, NAME), *license_evidence[:_MAX_EVIDENCE]}
    return Component(
        id=f"source:{m.path}",
        kind=ComponentKind.SOURCE,
        name=m.path,
        version=m.version,
        evidence=tuple(sorted(evidence)),
        properties=tuple(sorted(props.items())),
    )


def _intermingled_finding(comp: Component, m: Match, where: Callable[[str], str]) -> Finding:
    what = f"{m.library.name} {m.version}" if m.version else m.library.name
    return Finding(
        "intermingled-third-party",
        comp.id,
        f"{where(m.path)} is third-party code ({what}, {m.library.license}) copied among "
        f"first-party files in {where(_dir(m.path))}/ rather than kept in a third-party folder: "
        "move it under a designated third-party folder, or name it as intermingled in an "
        "exception request",
        comp.evidence,
    )


def _go_modules(folder: str, read: Reader, notices: Sequence[Notice] = ()) -> list[Component]:
    """``vendor/modules.txt``: ``# module version`` lines (``=> replacement`` kept apart).

    The license texts found directly in a module's root, ``vendor/<module>/`` (LICENSE,
    COPYING, NOTICE…, identified by their text), are that module's license (``license``,
    several joined with AND), with their lines as evidence: the unit is the module root, so
    ``vendor/github.com/o/a`` and ``vendor/github.com/o/a/v2`` each keep their own. A module
    replaced by a local path (``=> ./x``) is the project's own code: it is not a
    component."""
    path = f"{folder}/modules.txt"
    text = read(path)
    if text is None:
        return []
    texts: dict[str, dict[str, Evidence]] = {}
    for n in sorted(notices, key=_PATH_LINE):
        if n.kind == "license-text" and n.expression and n.path.startswith(folder + "/"):
            texts.setdefault(_dir(n.path), {}).setdefault(n.expression, n.evidence)
    out: list[Component] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith("# "):
            continue
        fields = line[2:].split()
        if len(fields) < 2 or not fields[1].startswith("v"):
            continue
        module, version = fields[0], fields[1]
        ev = Evidence(path, number, line, NAME)
        props = {"vendored": "true", "placement": FOLDER, "folder": folder}
        if "=>" in fields:
            target = " ".join(fields[fields.index("=>") + 1 :])
            if target.startswith(("./", "../", "/")):
                continue
            props["replaced_by"] = target
        found = texts.get(f"{folder}/{module}", {})
        evidence = [ev]
        if found:
            props["license"] = " AND ".join(_paren(x) for x in sorted(found))
            props["license_from"] = "license files of the vendored copy"
            evidence.extend(found[k] for k in sorted(found))
        out.append(package_component("golang", module, version, evidence, props))
    return out


def _npm_package(unit: str, read: Reader, notices: _LicenseNotices) -> Component | None:
    """``node_modules/<pkg>/package.json``: the npm package, its license the license texts
    directly in ``node_modules/<pkg>/`` (several joined with AND, their lines as evidence),
    else the ``license`` its package.json states."""
    path = f"{unit}/package.json"
    text = read(path)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        return None
    version = data.get("version") if isinstance(data.get("version"), str) else None
    line = next((i for i, ln in enumerate(text.splitlines(), 1) if '"name"' in ln), 1)
    ev = Evidence(path, line, text.splitlines()[line - 1] if text else "", NAME)
    folder = unit[: unit.rindex("node_modules") + len("node_modules")]
    props = {"vendored": "true", "placement": FOLDER, "folder": folder}
    evidence = [ev]
    licenses, found = _root_texts(unit, notices)
    stated = data.get("license")
    if licenses:
        props["license"] = " AND ".join(_paren(x) for x in licenses)
        props["license_from"] = "license files of the vendored copy"
        evidence.extend(found)
    elif isinstance(stated, str) and stated.strip():
        at = next((i for i, ln in enumerate(text.splitlines(), 1) if '"license"' in ln), 0)
        props["license"] = stated.strip()
        props["license_from"] = "the package.json of the vendored copy"
        if at:
            evidence.append(Evidence(path, at, text.splitlines()[at - 1].strip(), NAME))
    return package_component("npm", data["name"], version, evidence, props)


__all__ = [
    "FOLDER",
    "INTERMINGLED",
    "THIRD_PARTY_DIRS",
    "KnownLibrary",
    "Match",
    "VendoredFacts",
    "candidates",
    "find_vendored",
    "load_known",
    "match_file",
]
