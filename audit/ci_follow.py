"""What CI runs from other files of the repository, read with what the caller supplies.

The scan stage reads one file at a time (and caches each file's result); this stage runs
after it, over the scan results, and reads again the few files CI hands values to:

- **Reusable workflows.** A job that calls one (``uses: ./.github/workflows/x.yaml``, or
  ``OWNER/REPO/.github/workflows/x.yaml@REF`` where OWNER/REPO is the scanned repository)
  records its ``with:`` (audit/scanners/github_actions.py, ``call_inputs``). The called
  file is read once more per distinct ``with:`` (its inputs' defaults fill what a caller
  leaves out), up to :data:`MAX_DEPTH` calls deep and :data:`MAX_READINGS` readings of one
  file. A same-repository remote call is the repository's own workflow, not a third-party
  action: its ``action:`` component is dropped and the job uses the workflow.
  When a workflow runs only on ``workflow_call`` and has callers, the values its
  input-defaults-only reading could not expand are not noted: no run of it lacks a caller.

How the repository knows its own name: the ``origin`` remote of its git checkout (read by
audit/repo.py, only when a job calls a remote workflow), and the names its workflows test
``github.repository`` against (``if: github.repository == 'owner/name'``).

Nothing here runs anything; every file is read through the scan stage's reader (inside
the root, no symlink out of it, size-bounded).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from audit.cirun import RUN_KIND, RUN_NODE
from audit.discover import Candidate, by_path
from audit.model import Evidence, Node, ScanResult
from audit.scanners import github_actions
from audit.scanners.base import Scanner, SourceFile

MAX_DEPTH = 3
"""Reusable workflows are followed this many calls deep."""
MAX_READINGS = 32
"""A called workflow is read at most this many times (distinct callers' inputs)."""
MAX_RUNS = 256
"""At most this many Makefile targets or scripts are read for one tree."""

_REMOTE_WORKFLOW = re.compile(
    r"(?P<repo>[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+)/(?P<path>\.github/workflows/[^@]+\.ya?ml)@.+"
)

Inputs = Mapping[str, str]
ReadFile = Callable[[Path, Candidate, Sequence[Scanner]], ScanResult]
"""The scan stage's reader: one file, the given scanners."""


@dataclass
class _Reader:
    """A scanner object (audit.scanners.base.Scanner) that reads one called workflow with
    one caller's inputs."""

    inputs: Inputs
    name: str = github_actions.NAME

    def matches(self, path: str) -> bool:
        return True

    def scan(self, source: SourceFile) -> ScanResult:
        return github_actions.scan(source, self.inputs)

    def cache_key(self) -> str:
        """Everything the reading depends on besides the file: the inputs."""
        return json.dumps(["workflow", self.name, sorted(self.inputs.items())])


@dataclass(frozen=True)
class _Call:
    """A job that calls a reusable workflow of the same repository."""

    job: Node
    target: str
    """Root-relative path of the called workflow."""
    remote: str | None
    """The ``uses:`` text when the call is a same-repository remote reference."""
    inputs: tuple[dict[str, str], ...]


def follow(
    root: Path,
    files: Sequence[Candidate] | Mapping[str, Candidate],
    result: ScanResult,
    read: ReadFile,
    own_names: Callable[[], frozenset[str]] = frozenset,
) -> ScanResult:
    """``result`` with the readings of called workflows added (see the module docstring).

    ``files`` are the tree's files, or the map of them by path. ``read(root, candidate,
    scanners)`` reads one file with the given scanners (the scan stage's reader);
    ``own_names()`` gives the repository's ``owner/name`` from outside the tree (its git
    remote), asked only when a job calls a remote workflow."""
    known = files if isinstance(files, Mapping) else by_path(files)
    named = _named_in_workflows(result.nodes)
    names: frozenset[str] | None = None

    def own() -> frozenset[str]:
        nonlocal names
        if names is None:
            names = frozenset(n.lower() for n in (*named, *own_names()))
        return names

    base_ids = {c.id for c in result.components}
    extra: list[ScanResult] = []
    dropped: dict[str, str] = {}  # action id of a same-repository call -> workflow id
    readings: dict[str, set[str]] = {}
    called_files: set[str] = set()
    frontier = list(result.nodes)
    for _ in range(MAX_DEPTH):
        calls = list(_calls(frontier, own))
        if not calls:
            break
        frontier = []
        for call in calls:
            cand = known.get(call.target)
            if cand is None:
                continue
            called_files.add(call.target)
            if call.remote is not None:
                workflow = github_actions.workflow_id(posixpath.basename(call.target))
                dropped[f"action:{call.remote}"] = workflow
            seen = readings.setdefault(call.target, set())
            for inputs in call.inputs:
                key = json.dumps(inputs, sort_keys=True)
                if key in seen or len(seen) >= MAX_READINGS:
                    continue
                seen.add(key)
                got = read(root, cand, [_Reader(inputs)])
                got = _with_evidence(got, call.job.evidence[:1], base_ids)
                extra.append(got)
                frontier.extend(got.nodes)
    runs = [n for r in (result, *extra) for n in r.nodes if n.kind == RUN_NODE]
    if not extra and not dropped and not runs:
        return result
    extra.extend(_follow_runs(root, known, runs, read))
    base = _without_calls_to_self(result, dropped)
    quiet = _called_only(result.nodes, called_files)
    problems = tuple(p for p in base.problems if not (p.kind == "unresolved" and p.path in quiet))
    merged = ScanResult.merge([replace(base, problems=problems), *extra])
    return replace(merged, nodes=tuple(n for n in merged.nodes if n.kind != RUN_NODE))


def _follow_runs(
    root: Path, by_path: Mapping[str, Candidate], runs: list[Node], read: ReadFile
) -> list[ScanResult]:
    """Read the Makefile targets and scripts CI steps run, and what those run in turn, up
    to :data:`MAX_DEPTH` deep; each distinct run once. What is found carries the chain of
    lines that ran it (the CI step, then each Makefile or script line on the way)."""
    out: list[ScanResult] = []
    seen: set[tuple[str, ...]] = set()
    frontier = [(n, n.evidence[:1]) for n in runs]
    for _ in range(MAX_DEPTH):
        following: list[tuple[Node, tuple[Evidence, ...]]] = []
        for node, chain in frontier:
            key = tuple(node.prop(k) or "" for k in (RUN_KIND, "file", "args", "env", "cwd"))
            if key in seen or len(seen) >= MAX_RUNS:
                continue
            seen.add(key)
            cand = by_path.get(node.name)
            if cand is None:
                continue  # generated (CMake's build/Makefile) or built (./app.test)
            got = _with_evidence(read(root, cand, [_RunReader(node)]), chain)
            out.append(got)
            following.extend(
                (n, (*chain, *n.evidence[:1])) for n in got.nodes if n.kind == RUN_NODE
            )
        frontier = following
        if not frontier:
            break
    return out


@dataclass
class _RunReader:
    """A scanner object that reads one Makefile's targets, or one script, as the CI step
    that runs it does (its environment and working directory)."""

    node: Node
    name: str = "ci-follow"

    def matches(self, path: str) -> bool:
        return True

    def cache_key(self) -> str:
        """Everything the reading depends on besides the file: the node's properties
        :meth:`scan` reads (a Makefile is read alone: ``include`` is not followed)."""
        props = {
            k: self.node.prop(k) for k in (RUN_KIND, "consumer", "scanner", "cwd", "env", "args")
        }
        return json.dumps(["run", self.name, props], sort_keys=True)

    def scan(self, source: SourceFile) -> ScanResult:
        from audit.shell import makefile, scan_script

        node = self.node
        consumer = node.prop("consumer") or ""
        scanner = node.prop("scanner") or self.name
        cwd = node.prop("cwd") or "."
        env = _json_map(node.prop("env"))
        args = [a for a in _json_list(node.prop("args")) if isinstance(a, str)]
        if node.prop(RUN_KIND) != "make":
            return scan_script(source.text, source, 1, consumer, scanner, env=env, cwd=cwd)
        directory = posixpath.normpath(posixpath.join(cwd, args[0] if args else "."))
        words = args[1:]
        overrides = dict(w.split("=", 1) for w in words if _MAKE_ASSIGN.match(w))
        targets = [w for w in words if not _MAKE_ASSIGN.match(w) and not w.startswith("-")]
        ctx = makefile.Context(overrides, env, directory)
        parsed = makefile.parse(source.text)
        results = [
            scan_script(text, source, line, consumer, scanner, env=env, cwd=directory)
            for line, _target, text in makefile.recipes(parsed, targets, ctx)
        ]
        return ScanResult.merge(results)


_MAKE_ASSIGN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*=")


def _json_map(text: str | None) -> dict[str, str]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def _json_list(text: str | None) -> list[object]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _with_evidence(
    got: ScanResult, evidence: tuple[Evidence, ...], keep: Collection[str] = ()
) -> ScanResult:
    """Each component found (but those in ``keep``) also carries ``evidence``: the CI step
    line that ran the file, or the job that called the workflow with its values."""
    if not evidence:
        return got
    comps = tuple(
        c if c.id in keep else replace(c, evidence=tuple(sorted({*c.evidence, *evidence})))
        for c in got.components
    )
    return replace(got, components=comps)


def _named_in_workflows(nodes: Iterable[Node]) -> list[str]:
    out: list[str] = []
    for n in nodes:
        if n.kind == "ci-workflow" and n.prop("repository_named"):
            out.extend((n.prop("repository_named") or "").split(","))
    return out


def _calls(nodes: Iterable[Node], own: Callable[[], frozenset[str]]) -> Iterable[_Call]:
    for node in nodes:
        uses = node.prop("calls") if node.kind == "ci-job" else None
        if not uses:
            continue
        target: str | None = None
        remote: str | None = None
        if uses.startswith("./"):
            target = posixpath.normpath(uses[2:])
        else:
            m = _REMOTE_WORKFLOW.fullmatch(uses)
            if m is not None and m["repo"].lower() in own():
                target, remote = m["path"], uses
        if target is None or target.startswith("../"):
            continue
        inputs = [i for i in _json_list(node.prop("call_inputs") or "[{}]") if isinstance(i, dict)]
        yield _Call(node, target, remote, tuple(inputs))


def _called_only(nodes: Iterable[Node], called: set[str]) -> set[str]:
    """Files among ``called`` that only ``workflow_call`` starts."""
    return {
        n.prop("file") or ""
        for n in nodes
        if n.kind == "ci-workflow" and n.prop("file") in called and n.prop("workflow_call_only")
    }


def _without_calls_to_self(result: ScanResult, dropped: Mapping[str, str]) -> ScanResult:
    """Same-repository remote calls: the ``action:`` component goes, the job uses the
    workflow."""
    if not dropped:
        return result
    comps = tuple(c for c in result.components if c.id not in dropped)
    edges = tuple(replace(e, dst=dropped[e.dst]) if e.dst in dropped else e for e in result.edges)
    return replace(result, components=comps, edges=edges)


__all__ = ["MAX_DEPTH", "MAX_READINGS", "MAX_RUNS", "follow"]
