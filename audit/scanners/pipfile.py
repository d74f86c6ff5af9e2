"""``Pipfile`` (pipenv): ``[packages]``, ``[dev-packages]`` and custom package categories.

Values are ``"*"``, a specifier (``"==1.0"`` is a pin), or a table with ``version``,
``extras``, ``markers`` (and marker keys such as ``sys_platform``), ``git``/``ref``,
``file`` or ``path``/``editable`` (local: first-party, skipped).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from audit.components import manifest_id
from audit.model import Node, Problem, Relation, ScanResult
from audit.scanners.base import SourceFile
from audit.scanners.pyproject import TomlLines, load_toml, poetry_spec_component
from audit.scanners.requirements import Collector

NAME = "pipfile"

_NOT_PACKAGES = {"source", "requires", "pipenv", "scripts"}
_MARKER_KEYS = (
    "os_name",
    "sys_platform",
    "platform_machine",
    "platform_python_implementation",
    "platform_release",
    "platform_system",
    "platform_version",
    "python_version",
    "python_full_version",
    "implementation_name",
    "implementation_version",
)


def _markers(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Fold pipenv's marker keys (``sys_platform = "== 'linux'"``) into ``markers``."""
    parts = [str(spec["markers"])] if isinstance(spec.get("markers"), str) else []
    parts += [f"{k} {spec[k]}" for k in _MARKER_KEYS if isinstance(spec.get(k), str)]
    out = {k: v for k, v in spec.items() if k not in _MARKER_KEYS and k != "markers"}
    if parts:
        out["markers"] = " and ".join(parts)
    if "ref" in out and "git" in out:
        out["rev"] = out.pop("ref")
    return out


def _scope(category: str) -> str:
    if category == "packages":
        return ""
    if category == "dev-packages":
        return "dev"
    return f"group:{category}"


@dataclass(frozen=True)
class PipfileScanner:
    """pipenv's ``Pipfile``."""

    name: str = NAME

    def matches(self, path: str) -> bool:
        return path.rsplit("/", 1)[-1] == "Pipfile"

    def scan(self, source: SourceFile) -> ScanResult:
        node_id = manifest_id(source.path)
        out = Collector.for_node(node_id)
        node = Node(node_id, "manifest", source.path, properties=(("format", "pipfile"),))
        data = load_toml(source, NAME)
        if isinstance(data, Problem):
            out.add(data, Relation.REQUIRES)
            return out.result(node)
        toml = TomlLines.of(source.text)
        for category, table in data.items():
            if category in _NOT_PACKAGES or not isinstance(table, Mapping):
                continue
            scope = _scope(category)
            for name, spec in table.items():
                line = toml.line_of((category, name), default=toml.line_of((category,)))
                value = _markers(spec) if isinstance(spec, Mapping) else spec
                props = {"scope": scope} if scope else {}
                found = poetry_spec_component(
                    name, value, source, line, NAME, props, bare_is_exact=False
                )
                out.add(found, Relation.REQUIRES)
        return out.result(node)


SCANNER = PipfileScanner()

__all__ = ["SCANNER"]
