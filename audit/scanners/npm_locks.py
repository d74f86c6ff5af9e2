"""npm-family lockfiles: ``package-lock.json`` / ``npm-shrinkwrap.json``, ``yarn.lock``,
``pnpm-lock.yaml``. Each locked package is an ``npm`` component with its exact version
(see :mod:`audit.scanners.lockbase`).

- package-lock (JSON): ``packages`` (lockfile versions 2 and 3) maps
  ``node_modules/<name>`` (nested: ``node_modules/a/node_modules/b``) to ``version``,
  ``dev``; the root ``""``, workspace folders and ``link: true`` entries are first-party.
  Version 1 files: ``dependencies`` (and their nested ``dependencies``, at the line of the
  top-level entry). The line is the entry's key.
- yarn.lock, classic (v1) and Berry: an unindented line lists the specs
  (``"@babel/core@^7.0.0", "@babel/core@^7.1.0":``), the indented ``version "7.12.3"`` or
  ``version: 7.12.3`` below it the version; ``@workspace:``, ``@link:``, ``@portal:``,
  ``@file:`` and ``@patch:`` entries are skipped (first-party or a variant of another entry).
  yarn.lock records no dev flag.
- pnpm-lock.yaml (read with the safe YAML reader): the keys of ``packages``
  (``/name/1.2.3`` in v5, ``/name@1.2.3`` in v6, ``name@1.2.3`` in v9; a peer suffix
  ``(react@18.2.0)``, or ``_react@18.2.0`` in v5, is dropped), ``dev: true`` in v5/v6 entries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from audit import yamlsafe
from audit.model import ScanResult
from audit.scanners.base import SourceFile
from audit.scanners.lockbase import Locked
from audit.scanners.npm import key_lines

NAME = "npm-lock"
PACKAGE_LOCKS = frozenset({"package-lock.json", "npm-shrinkwrap.json"})
YARN_LOCK = "yarn.lock"
PNPM_LOCK = "pnpm-lock.yaml"
_NODE_MODULES = "node_modules/"
_YARN_SKIP = ("@workspace:", "@link:", "@portal:", "@file:", "@patch:")
_YARN_VERSION = re.compile(r'^\s+version:?\s+"?([^"\s]+)"?\s*$')
_PEER = re.compile(r"[(_]")


def split_spec(spec: str) -> tuple[str, str]:
    """``@babel/core@^7.0.0`` -> (``@babel/core``, ``^7.0.0``); no ``@`` -> (spec, "")."""
    at = spec.find("@", 1)
    return (spec[:at], spec[at + 1 :]) if at > 0 else (spec, "")


def _package_lock(source: SourceFile, out: Locked) -> None:
    data = out.json_object("packages or dependencies")
    if data is None:
        return
    lines = key_lines(source.text)
    packages = data.get("packages")
    if isinstance(packages, dict):
        for key, entry in packages.items():
            if _NODE_MODULES not in key or not isinstance(entry, dict) or entry.get("link"):
                continue
            outer, _, own = key.rpartition(_NODE_MODULES)
            name = entry.get("name") or own
            version = entry.get("version")
            if isinstance(name, str) and isinstance(version, str):
                line = lines.get(("packages", key), 1)
                nested = outer.removesuffix("/").rpartition(_NODE_MODULES)[2] if outer else ""
                scope = "dev" if entry.get("dev") else ""
                out.add("npm", name, version, line, scope, nested_in=nested)
        return
    dependencies = data.get("dependencies")
    if isinstance(dependencies, dict):
        for name, entry in dependencies.items():
            _v1(out, name, entry, lines.get(("dependencies", name), 1), 0)


def _v1(out: Locked, name: str, entry: Any, line: int, depth: int, parent: str = "") -> None:
    if not isinstance(entry, dict) or depth > 50:
        return
    version = entry.get("version")
    if isinstance(version, str) and not version.startswith(("file:", "link:")):
        scope = "dev" if entry.get("dev") else ""
        out.add("npm", name, version, line, scope, nested_in=parent)
    nested = entry.get("dependencies")
    if isinstance(nested, dict):
        for child, sub in nested.items():
            _v1(out, child, sub, line, depth + 1, name)


def _yarn_specs(line: str) -> tuple[str, str]:
    """(name, ranges) of an entry line: ``"a@^1.0.0", "a@~1.1.0":`` -> (a, ``^1.0.0, ~1.1.0``);
    Berry's ``npm:`` protocol is dropped from the ranges."""
    specs = [s.strip().strip('"') for s in line.rstrip()[:-1].strip('"').split(",")]
    split = [split_spec(s) for s in specs if s]
    name = split[0][0] if split else ""
    ranges = [r.removeprefix("npm:") for n, r in split if n == name]
    return name, ", ".join(ranges)


def _yarn_lock(source: SourceFile, out: Locked) -> None:
    name, ranges, start = "", "", 0
    for number, raw in enumerate(source.lines, 1):
        if not raw or raw.startswith("#"):
            continue
        if not raw[0].isspace():
            name, start = "", 0
            entry = raw.rstrip().endswith(":") and not raw.startswith("__metadata")
            if entry and not any(s in raw for s in _YARN_SKIP):
                name, ranges = _yarn_specs(raw)
                start = number
            continue
        if name:
            m = _YARN_VERSION.match(raw)
            if m:
                out.add("npm", name, m.group(1), start, specs=ranges)
                name = ""


def _pnpm_key(key: str, v5: bool) -> tuple[str, str] | None:
    """(name, version) of a ``packages`` key, without the peer suffix."""
    key = key.lstrip("/")
    if v5:  # /name/1.2.3, /@scope/name/1.2.3_peer@1.0.0
        name, _, version = key.rpartition("/")
    else:  # /name@1.2.3, name@1.2.3(peer@1.0.0)
        name, version = split_spec(key)
    version = _PEER.split(version, 1)[0]
    if not name or not version[:1].isdigit():
        return None
    return name, version


def _pnpm_lock(source: SourceFile, out: Locked) -> None:
    doc, problems = yamlsafe.load(source.text, source.path, NAME)
    out.problems.extend(problems)
    packages = doc.get("packages") if doc is not None else None
    if packages is None or not packages.is_map:
        return
    version = doc.get("lockfileVersion") if doc is not None else None
    v5 = version is not None and str(version.value).startswith("5")
    for key, entry in packages.value.items():
        found = _pnpm_key(str(key.value), v5)
        if found is None:
            continue
        dev = entry.get("dev")
        scope = "dev" if dev is not None and dev.value is True else ""
        out.add("npm", found[0], found[1], key.line, scope)


@dataclass(frozen=True)
class NpmLockScanner:
    """npm, Yarn and pnpm lockfiles."""

    name: str = NAME

    def matches(self, path: str) -> bool:
        base = path.rsplit("/", 1)[-1]
        return (
            base in PACKAGE_LOCKS or base in (YARN_LOCK, PNPM_LOCK)
        ) and "/node_modules/" not in f"/{path}"

    def scan(self, source: SourceFile) -> ScanResult:
        base = source.path.rsplit("/", 1)[-1]
        if base == YARN_LOCK:
            out = Locked(source, NAME, "yarn-lock")
            _yarn_lock(source, out)
        elif base == PNPM_LOCK:
            out = Locked(source, NAME, "pnpm-lock")
            _pnpm_lock(source, out)
        else:
            out = Locked(source, NAME, "package-lock")
            _package_lock(source, out)
        return out.result()


SCANNER = NpmLockScanner()

__all__ = ["NAME", "SCANNER", "NpmLockScanner", "split_spec"]
