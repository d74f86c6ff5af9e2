"""What a CI-config scanner gathers while it walks one file, folded into one ScanResult.

CircleCI, GitHub Actions and GitLab CI scanners find the same component in several places
(and the shell interpreter finds more in ``run:`` steps): the collector keeps one
component per id with all its evidence in order, drops repeated edges and problems, and
folds the script findings in at the end.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from audit.model import (
    Component,
    Edge,
    Evidence,
    Node,
    Notice,
    Problem,
    ProblemKind,
    Relation,
    ScanResult,
)
from audit.scanners.base import SourceFile


@dataclass
class Collector:
    """What a scanner found in one file so far, merged into one result at the end."""

    source: SourceFile
    scanner: str
    components: dict[str, Component] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    scripts: list[ScanResult] = field(default_factory=list)

    _evidence: dict[str, dict[Evidence, None]] = field(default_factory=dict, repr=False)
    """Component id -> its evidence in order (dicts keep big configs linear)."""
    _problem_set: set[Problem] = field(default_factory=set, repr=False)

    def component(self, comp: Component) -> None:
        seen = self._evidence.get(comp.id)
        if seen is None:
            self.components[comp.id] = comp
            self._evidence[comp.id] = dict.fromkeys(comp.evidence)
            return
        seen.update(dict.fromkeys(comp.evidence))

    def edge(self, src: str, dst: str, relation: Relation, line: int, how: str = "") -> None:
        # Duplicates are dropped in result(), keeping the first of each.
        self.edges.append(Edge(src, dst, relation, self.source.evidence(line, self.scanner), how))

    def problem(self, line: int, kind: ProblemKind, message: str) -> None:
        problem = self.source.problem(line, kind, message, self.scanner)
        if problem not in self._problem_set:
            self._problem_set.add(problem)
            self.problems.append(problem)

    def result(self) -> ScanResult:
        """Everything found, script findings folded in (one component per id)."""
        notices: list[Notice] = []
        have_nodes = set(self.nodes)
        for found in self.scripts:
            for comp in found.components:
                self.component(comp)
            self.nodes.extend(n for n in found.nodes if n not in have_nodes)
            have_nodes.update(found.nodes)
            self.edges.extend(found.edges)
            notices.extend(found.notices)
            self.problems.extend(found.problems)
        self.scripts = []
        components = []
        for cid, comp in self.components.items():
            evidence = tuple(self._evidence.get(cid, ()))
            if evidence != comp.evidence:
                comp = dataclasses.replace(comp, evidence=evidence)
            components.append(comp)
        return ScanResult(
            tuple(components),
            tuple(self.nodes),
            tuple(dict.fromkeys(self.edges)),
            tuple(notices),
            tuple(self.problems),
        )
