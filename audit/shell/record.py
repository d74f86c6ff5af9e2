"""Where command handlers record what a script fetches, with evidence, for one consumer."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Sequence

from audit.cirun import RUN_KIND, RUN_NODE
from audit.components import for_architecture
from audit.model import (
    Component,
    ComponentKind,
    Edge,
    Evidence,
    Node,
    Problem,
    ProblemKind,
    Relation,
    ScanResult,
)
from audit.scanners.base import SourceFile
from audit.shell.options import Arg
from audit.shell.words import short

ARCHITECTURES: tuple[tuple[str, str], ...] = (("x86_64", "amd64"), ("aarch64", "arm64"))
"""The architectures a command whose words depend on the machine is read for, as
``(uname -m, Go/Debian name)``: Linux on amd64 and arm64, what every repository of the
corpus builds (docs/what-ships.md)."""


class Recorder:
    """Components, edges and problems found in one script, in the order found."""

    def __init__(
        self,
        source: SourceFile,
        consumer: str,
        scanner: str,
        os_hint: str | None,
        cwd: str | None = ".",
    ) -> None:
        self.source = source
        self.consumer = consumer
        """Graph id of what runs the script; edges start there."""
        self.scanner = scanner
        self.os_hint = os_hint
        """Distro of the base image, the namespace of OS package ids."""
        self.cwd = cwd
        """The script's working directory relative to the scanned root (``cd``, a CI step's
        ``working-directory``); None once it has left the repository or is unknown."""
        self.arch: str | None = None
        """The machine architecture the current command is read for (``x86_64``,
        ``aarch64``) when its words depend on it; downloads are one component per
        architecture."""
        self.components: list[Component] = []
        self.edges: list[Edge] = []
        self.problems: list[Problem] = []
        self.runs: list[Node] = []
        """Makefile targets and scripts of the repository a CI step runs (read by
        audit/ci_follow.py after the scan)."""

    def result(self) -> ScanResult:
        """What was recorded, each item once, in first-found order."""
        return ScanResult(
            components=tuple(dict.fromkeys(self.components)),
            nodes=tuple(dict.fromkeys(self.runs)),
            edges=tuple(dict.fromkeys(self.edges)),
            problems=tuple(dict.fromkeys(self.problems)),
        )

    def run(
        self, kind: str, path: str, line: int, args: Sequence[str], env: dict[str, str]
    ) -> None:
        """A CI step runs ``make`` (``kind`` ``make``: ``path`` the Makefile, ``args`` its
        targets and ``NAME=value``s) or a script of the repository (``script``); ``env`` is
        what the step exports. Only a CI job's scripts are followed."""
        if not self.consumer.startswith("ci-job:") or self.cwd is None:
            return
        props = {
            RUN_KIND: kind,
            "file": path,
            "consumer": self.consumer,
            "cwd": self.cwd,
            "args": json.dumps(list(args)),
            "env": json.dumps(env, sort_keys=True),
            "scanner": self.scanner,
        }
        ev = self.evidence(line)
        nid = f"{RUN_NODE}:{self.consumer}:{ev.location}:{len(self.runs)}"
        self.runs.append(Node(nid, RUN_NODE, path, (ev,), tuple(sorted(props.items()))))

    def evidence(self, line: int) -> Evidence:
        return self.source.evidence(line, self.scanner)

    def problem(self, line: int, kind: ProblemKind, message: str) -> None:
        self.problems.append(Problem(self.source.path, line, kind, message, self.scanner))

    def emit(self, comp: Component, relation: Relation, ev: Evidence, how: str = "") -> None:
        """Record ``comp`` and the edge from the consumer to it."""
        if self.arch is not None and comp.kind == ComponentKind.DOWNLOAD:
            names = next((pair for pair in ARCHITECTURES if pair[0] == self.arch), (self.arch,))
            if not any(name in comp.id for name in names):
                comp = for_architecture(comp, self.arch)  # the id must tell them apart
        self.components.append(comp)
        self.edges.append(Edge(self.consumer, comp.id, relation, ev, how))

    def unresolved(self, arg: Arg, command: Sequence[Arg]) -> None:
        """An ``unresolved`` problem: ``arg`` of ``command`` needs something unknown."""
        names = ", ".join(m if m.startswith(("$", "`")) else f"${m}" for m in arg.missing)
        text = short(" ".join(a.raw for a in command), 120)
        self.problem(
            arg.line,
            "unresolved",
            f"`{short(arg.raw, 80)}` in `{text}` needs {names}, which is not known here;"
            " nothing recorded for it",
        )


def in_cwd(rec: Recorder, path: str) -> str:
    """``path`` named on a command line, relative to the scanned root when the script's
    working directory is known (``cd docker/falco && docker build .``)."""
    path = path.replace("\\", "/")
    if rec.cwd is None or path.startswith("/"):
        return norm_path(path)
    return norm_path(posixpath.join(rec.cwd, path))


def norm_path(path: str) -> str:
    """A path named on a command line, normalized for a graph id (``/`` separators)."""
    return posixpath.normpath(path.replace("\\", "/"))
