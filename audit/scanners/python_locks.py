"""Python lockfiles: ``poetry.lock``, ``uv.lock``, ``pdm.lock`` (TOML) and ``Pipfile.lock``.

The three TOML formats list ``[[package]]`` tables with ``name`` and ``version``; each is a
locked ``pypi`` package (see :mod:`audit.scanners.lockbase`) at the line of its ``name``.
Scopes: poetry's ``category = "dev"`` (before Poetry 1.5) or ``groups`` without ``main``,
pdm's ``groups`` without ``default`` (``group:<first>``, ``dev`` for ``dev``). Packages from a
local directory, file or the project itself (``source = { editable = "." }``,
``{ virtual = "." }``, poetry's ``[package.source] type = "directory"``) are first-party
and skipped. ``Pipfile.lock`` (JSON): ``default`` and ``develop`` (scope ``dev``) map names
to ``{"version": "==1.2.3", "hashes": [...]}``; entries without a ``==`` version (``git``,
``path``, ``editable``) are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from audit.model import ScanResult
from audit.scanners.base import SourceFile
from audit.scanners.lockbase import Locked
from audit.scanners.npm import key_lines
from audit.scanners.pyproject import TomlLines, load_toml

NAME = "python-lock"
TOML_LOCKS = {"poetry.lock": "poetry-lock", "uv.lock": "uv-lock", "pdm.lock": "pdm-lock"}
PIPFILE_LOCK = "Pipfile.lock"
_LOCAL_SOURCES = frozenset({"directory", "file", "editable", "virtual", "path"})
_MAIN_GROUPS = frozenset({"main", "default"})


def _scope(entry: Mapping[str, Any]) -> str:
    category = entry.get("category")
    if isinstance(category, str) and category != "main":
        return "dev" if category == "dev" else f"group:{category}"
    groups = entry.get("groups")
    if isinstance(groups, list) and groups and not _MAIN_GROUPS & {str(g) for g in groups}:
        first = str(groups[0])
        return "dev" if first == "dev" else f"group:{first}"
    return ""


def _local(entry: Mapping[str, Any]) -> bool:
    source = entry.get("source")
    if not isinstance(source, Mapping):
        return False
    kind = source.get("type")
    return (isinstance(kind, str) and kind in _LOCAL_SOURCES) or any(
        k in source for k in _LOCAL_SOURCES
    )


def _toml(source: SourceFile, out: Locked) -> None:
    data = load_toml(source, NAME)
    if not isinstance(data, dict):
        out.problems.append(data)
        return
    packages = data.get("package")
    if not isinstance(packages, list):
        return
    toml = TomlLines.of(source.text)
    starts = [line for line, key in toml.headers if key == ("package",)]
    for i, entry in enumerate(packages):
        if not isinstance(entry, Mapping) or _local(entry):
            continue
        name, version = entry.get("name"), entry.get("version")
        if not isinstance(name, str) or not isinstance(version, str):
            continue
        start = starts[i] if i < len(starts) else 1
        at = toml.assignments.get(start, {}).get(("name",))
        out.add("pypi", name, version, at[0] if at else start, _scope(entry))


def _pipfile_lock(source: SourceFile, out: Locked) -> None:
    data = out.json_object("default and develop")
    if data is None:
        return
    lines = key_lines(source.text)
    for section, scope in (("default", ""), ("develop", "dev")):
        table = data.get(section)
        if not isinstance(table, dict):
            continue
        for name, entry in table.items():
            version = entry.get("version") if isinstance(entry, dict) else None
            if not isinstance(version, str) or not version.startswith("=="):
                continue
            line = lines.get((section, name), lines.get((section,), 1))
            out.add("pypi", name, version[2:].strip(), line, scope)


@dataclass(frozen=True)
class PythonLockScanner:
    """Python lockfiles (poetry.lock, uv.lock, pdm.lock, Pipfile.lock)."""

    name: str = NAME

    def matches(self, path: str) -> bool:
        base = path.rsplit("/", 1)[-1]
        return base in TOML_LOCKS or base == PIPFILE_LOCK

    def scan(self, source: SourceFile) -> ScanResult:
        base = source.path.rsplit("/", 1)[-1]
        if base == PIPFILE_LOCK:
            out = Locked(source, NAME, "pipfile-lock")
            _pipfile_lock(source, out)
        else:
            out = Locked(source, NAME, TOML_LOCKS[base])
            _toml(source, out)
        return out.result()


SCANNER = PythonLockScanner()

__all__ = ["NAME", "SCANNER", "PythonLockScanner"]
