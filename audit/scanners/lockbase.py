"""What every lockfile scanner shares: the lockfile's node and its locked packages.

A lockfile (poetry.lock, uv.lock, pdm.lock, Pipfile.lock, package-lock.json, yarn.lock,
pnpm-lock.yaml) names the exact version the installer takes of every package, direct or
not. Each locked package is a component with that version and the lockfile's line as
evidence, with the properties ``lockfile`` (the path), ``scope`` (``dev`` and groups,
as the lockfile records them), ``nested_in`` (npm: the package whose nested
``node_modules`` holds this copy) and ``lock_specs`` (yarn: the ranges resolved to it),
required by the lockfile's ``manifest:`` node (properties ``format`` and ``lockfile``).
Which manifest line asked for a package is joined later, per tree, by
:func:`audit.lockfiles.apply_locks`.

Bounds: the discovery's file size limit, and :data:`MAX_PACKAGES` packages per lockfile
(the rest is a ``skipped`` Problem).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from audit.components import manifest_id, package_component
from audit.model import Component, Edge, Node, Problem, Relation, ScanResult
from audit.scanners.base import SourceFile

MAX_PACKAGES = 50_000
"""Packages read from one lockfile (npm's largest real lockfiles hold a few thousand)."""


@dataclass
class Locked:
    """One lockfile's finds, in order (internal to a single ``scan`` call)."""

    source: SourceFile
    scanner: str
    format: str
    components: dict[str, Component] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def node_id(self) -> str:
        return manifest_id(self.source.path)

    @property
    def full(self) -> bool:
        """True once :data:`MAX_PACKAGES` are recorded (a Problem says so once)."""
        if len(self.components) < MAX_PACKAGES:
            return False
        if not self.problems or self.problems[-1].kind != "skipped":
            self.problems.append(
                self.source.problem(
                    1,
                    "skipped",
                    f"more than {MAX_PACKAGES} locked packages: the rest are not read",
                    self.scanner,
                )
            )
        return True

    def add(
        self,
        ecosystem: str,
        name: str,
        version: str,
        line: int,
        scope: str = "",
        *,
        nested_in: str = "",
        specs: str = "",
    ) -> None:
        """A locked package at ``line`` (the first time a name@version is seen wins).
        ``nested_in``: the package whose own copy this is (npm's nested ``node_modules``);
        ``specs``: the ranges the lockfile resolves to it (yarn's ``^1.3.0, ^1.1.0``)."""
        if not name or not version or self.full:
            return
        props = {
            "lockfile": self.source.path,
            "scope": scope,
            "nested_in": nested_in,
            "lock_specs": specs,
        }
        comp = package_component(
            ecosystem, name, version, (self.source.evidence(line, self.scanner),), props
        )
        self.components.setdefault(comp.id, comp)

    def json_object(self, expected: str) -> dict[str, Any] | None:
        """The lockfile as a JSON object (a parse-error Problem and None when it is not)."""
        try:
            data = json.loads(self.source.text)
        except (ValueError, RecursionError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else "invalid JSON"
            line = min(getattr(exc, "lineno", 1), max(len(self.source.lines), 1))
            self.problem(line, f"not JSON: {first}")
            return None
        if not isinstance(data, dict):
            self.problem(1, f"expected a JSON object with {expected}")
            return None
        return data

    def problem(self, line: int, message: str) -> None:
        self.problems.append(self.source.problem(line, "parse-error", message, self.scanner))

    def result(self) -> ScanResult:
        node = Node(
            self.node_id,
            "manifest",
            self.source.path,
            properties=(("format", self.format), ("lockfile", "true")),
        )
        comps = tuple(self.components.values())
        edges = tuple(Edge(self.node_id, c.id, Relation.REQUIRES, c.evidence[0]) for c in comps)
        return ScanResult(
            components=comps,
            nodes=(node,),
            edges=edges,
            problems=tuple(self.problems),
        )


__all__ = ["MAX_PACKAGES", "Locked"]
