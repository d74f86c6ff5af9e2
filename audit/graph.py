"""Link stage: all scan results -> one Inventory graph, and questions asked of it.

Linking merges what several scanners said about the same component, joins image names to
the in-repo Dockerfiles that build them (each join says how it was made), resolves paths
named from scripts (``-r test/requirements.txt``, ``-f docker/x/Dockerfile``) to the nodes
scanned for those files, and sorts everything so that two runs diff cleanly.

:func:`removable` answers "what goes with X": the consumers (CI jobs, Dockerfiles, images,
manifests) that exist only to serve X, and the upstream jobs that would then feed only
removed jobs.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import posixpath
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from operator import attrgetter
from typing import TypeVar

from audit.model import (
    Component,
    ComponentKind,
    Edge,
    Evidence,
    Inventory,
    Node,
    Notice,
    Relation,
    ScanResult,
    SkippedFile,
    edge_key,
    evidence_key,
    unique_edges,
)

T = TypeVar("T", Component, Node)

LANGUAGE_ECOSYSTEMS = frozenset({"pypi", "npm", "gem", "cargo", "golang", "maven", "nuget"})

_NOTICE_ORDER = attrgetter("path", "line", "kind", "raw")
_PATH = attrgetter("path")


def _merge_evidence(*groups: Iterable[Evidence]) -> tuple[Evidence, ...]:
    # each once, told by its fields (as a set would, without Evidence's Python __hash__)
    unique = {evidence_key(e): e for g in groups for e in g}
    return tuple(unique[key] for key in sorted(unique))


def _in_order(evidence: Sequence[Evidence]) -> bool:
    """Whether ``evidence`` is sorted, each once: :func:`_merge_evidence` gives it back as
    it is (told without hashing each)."""
    if len(evidence) < 2:
        return True
    keys = list(map(evidence_key, evidence))
    return all(map(operator.lt, keys, keys[1:]))


def _merge_by_id(items: Iterable[T]) -> dict[str, T]:
    """Items with the same id become one: evidence and properties united (first value wins).

    Each id's items are gathered first and merged once: a package named in thousands of
    files must not have its evidence re-sorted for each of them.
    """
    groups: dict[str, list[T]] = {}
    for item in items:
        group = groups.get(item.id)
        if group is None:
            groups[item.id] = [item]
        else:
            group.append(item)
    out: dict[str, T] = {}
    for gid, group in groups.items():
        first = group[0]
        if len(group) == 1 and _in_order(first.evidence):
            out[gid] = first  # nothing to unite or sort
            continue
        evidence = _merge_evidence(*(item.evidence for item in group))
        if len(group) == 1:
            out[gid] = first if evidence == first.evidence else replace(first, evidence=evidence)
            continue
        properties = dict(first.properties)
        for item in group[1:]:
            for k, v in item.properties:
                properties.setdefault(k, v)
        merged = replace(first, evidence=evidence, properties=tuple(sorted(properties.items())))
        if isinstance(merged, Component):
            purl = first.purl if isinstance(first, Component) else None
            for item in group[1:]:
                purl = purl or (item.purl if isinstance(item, Component) else None)
            merged = replace(merged, purl=purl)
        out[gid] = merged
    return out


class _NodeIds:
    """The scanned nodes' ids, with an index by last path component built on first need
    (the suffix match of :func:`_resolve_path_id`; no pass over every id per target)."""

    def __init__(self, ids: Iterable[str]) -> None:
        self.ids = set(ids)
        self._by_last: dict[str, list[str]] | None = None

    def __contains__(self, node_id: str) -> bool:
        return node_id in self.ids

    def ending(self, prefix: str, suffix: str) -> str | None:
        """The one id of kind ``prefix`` (``manifest``, ``dockerfile``) whose path ends with
        ``suffix`` (which starts with "/"); None when none or several do."""
        if self._by_last is None:
            self._by_last = defaultdict(list)
            for i in self.ids:  # (the answer does not depend on the order)
                if "/" in i:
                    self._by_last[i.rsplit("/", 1)[1]].append(i)
        kind = prefix + ":"
        found = None
        for i in self._by_last.get(suffix.rsplit("/", 1)[1], ()):
            if i.startswith(kind) and i.endswith(suffix):
                if found is not None:
                    return None
                found = i
        return found


def _resolve_path_id(target: str, known: _NodeIds, src_path: str | None) -> str:
    """Map ``manifest:x`` / ``dockerfile:x`` named from a script to a scanned node id.

    Tries the path as given (root-relative), then relative to the directory of the file
    that named it, then a unique suffix match (scripts often run from a subdirectory).
    """
    if target in known:
        return target
    prefix, _, path = target.partition(":")
    candidates: list[str] = []
    clean = posixpath.normpath(path.lstrip("/")) if path else path
    candidates.append(f"{prefix}:{clean}")
    if src_path:
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(src_path), path))
        candidates.append(f"{prefix}:{joined}")
    for cand in candidates:
        if cand in known:
            return cand
    return known.ending(prefix, "/" + clean.lstrip("./")) or target


def _dockerfile_dir(node: Node) -> str:
    return posixpath.basename(posixpath.dirname(node.name))


def link(
    root: str,
    result: ScanResult,
    *,
    skipped: Sequence[SkippedFile] = (),
    files_scanned: int = 0,
    extra_components: Sequence[Component] = (),
) -> Inventory:
    """Join every scan result into one sorted Inventory."""
    comps = _merge_by_id([*result.components, *extra_components])
    nodes = _merge_by_id(result.nodes)
    known = _NodeIds(nodes)

    edges: list[Edge] = []  # (each once: unique_edges)
    for e in result.edges:
        src_path = e.evidence.path if e.evidence else None
        src = _resolve_path_id(e.src, known, src_path) if e.src not in comps else e.src
        dst = _resolve_path_id(e.dst, known, src_path) if e.dst not in comps else e.dst
        edges.append(e if src == e.src and dst == e.dst else replace(e, src=src, dst=dst))

    # Join images to the in-repo Dockerfiles that build them.
    dockerfiles = [n for n in nodes.values() if n.kind == "dockerfile"]
    by_label: dict[str, list[Node]] = defaultdict(list)
    for n in dockerfiles:
        label = n.prop("label.name")
        if label:
            by_label[label.strip().lower()].append(n)
    has_builder = {e.src for e in edges if e.relation == Relation.BUILT_FROM}
    for c in comps.values():
        if c.kind != ComponentKind.IMAGE or c.id in has_builder:
            continue
        matched = by_label.get(c.name.lower(), [])
        how = "LABEL name"
        if not matched and not c.name.count(".") and "/" in c.name:
            # Last resort: a Dockerfile in a directory named like the image (falco-tester ->
            # docker/tester). Only for images without a registry host, and only when unique.
            last = c.name.rsplit("/", 1)[-1]
            weak = [
                n
                for n in dockerfiles
                if n.prop("label.name") is None
                and _dockerfile_dir(n)
                and (last == _dockerfile_dir(n) or last.endswith("-" + _dockerfile_dir(n)))
            ]
            if len(weak) == 1:
                matched, how = weak, "directory name (weak)"
        for n in matched:
            ev = next(iter(n.evidence), None)
            edges.append(Edge(c.id, n.id, Relation.BUILT_FROM, ev, how))

    # Nodes referenced by edges but never scanned (e.g. a -r file that does not exist) stay
    # as dangling ids: the report shows them; no placeholder nodes are invented.
    return Inventory(
        root=root,
        components=tuple(sorted(comps.values(), key=lambda c: c.id)),
        nodes=tuple(sorted(nodes.values(), key=lambda n: n.id)),
        edges=tuple(sorted(unique_edges(edges), key=edge_key)),
        notices=_by_place(result.notices),
        problems=tuple(sorted(set(result.problems))),
        skipped=tuple(sorted(skipped, key=lambda s: s.path)),
        files_scanned=files_scanned,
    )


def _by_place(notices: Sequence[Notice]) -> tuple[Notice, ...]:
    """``notices`` by path, line, kind and text; as they are when each is of another file
    than the one before, in path order (a cold scan gives a tree's files in path order,
    most with one notice or none: no key is made for each of 100,000s)."""
    if all(itertools.starmap(operator.lt, itertools.pairwise(map(_PATH, notices)))):
        return tuple(notices)
    return tuple(sorted(notices, key=_NOTICE_ORDER))


# Questions asked of the graph -----------------------------------------------------------


@dataclass(frozen=True)
class GraphIndex:
    """Adjacency of an inventory, built once and queried many times."""

    inventory: Inventory
    out_edges: dict[str, tuple[Edge, ...]]
    in_edges: dict[str, tuple[Edge, ...]]
    components: dict[str, Component]
    nodes: dict[str, Node]

    @staticmethod
    def build(inventory: Inventory) -> GraphIndex:
        out: dict[str, list[Edge]] = defaultdict(list)
        inc: dict[str, list[Edge]] = defaultdict(list)
        for e in inventory.edges:
            out[e.src].append(e)
            inc[e.dst].append(e)
        return GraphIndex(
            inventory,
            {k: tuple(v) for k, v in out.items()},
            {k: tuple(v) for k, v in inc.items()},
            {c.id: c for c in inventory.components},
            {n.id: n for n in inventory.nodes},
        )

    def consumers(self, gid: str) -> tuple[Edge, ...]:
        return self.in_edges.get(gid, ())

    def uses(self, gid: str) -> tuple[Edge, ...]:
        return self.out_edges.get(gid, ())

    def chains_to(self, gid: str, limit: int = 20) -> list[list[Edge]]:
        """Every path of edges from a root consumer down to ``gid`` (bounded, acyclic).

        Job ordering (a job ``requires`` another) is not a way of reaching content, so
        those edges are not followed.
        """
        chains: list[list[Edge]] = []

        def walk(cur: str, path: list[Edge], seen: frozenset[str]) -> None:
            if len(chains) >= limit:
                return
            ups = [e for e in self.consumers(cur) if e.src not in seen and not _is_job_order(e)]
            if not ups:
                if path:
                    chains.append(list(reversed(path)))
                return
            for e in sorted(ups, key=edge_key):
                walk(e.src, [*path, e], seen | {e.src})

        walk(gid, [], frozenset({gid}))
        return chains


def _is_job_order(e: Edge) -> bool:
    return e.relation == Relation.REQUIRES and e.src.startswith("ci-job:")


@dataclass(frozen=True)
class RemovableItem:
    """Something that goes with a removed component, and why."""

    id: str
    reason: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Removal:
    """What goes with a component when it is removed."""

    target: str
    removable: tuple[RemovableItem, ...]
    """Jobs, images, Dockerfiles, manifests (and requirement lines) that exist only for it."""
    review: tuple[RemovableItem, ...]
    """Upstream jobs that would feed only removed jobs: review, do not remove blindly."""


class _RemovalCache:
    """What :func:`removable` learns about one index, kept for its next calls: the packages
    by ecosystem and name, what each consumer exists to provide, and the removal of each
    set of satellites (every version of a package shares one)."""

    def __init__(self, index: GraphIndex) -> None:
        self.packages: dict[tuple[str | None, str], list[str]] = defaultdict(list)
        for c in index.components.values():
            if c.kind == ComponentKind.PACKAGE:
                self.packages[(c.ecosystem, c.name)].append(c.id)
        names: dict[str | None, set[str]] = defaultdict(set)
        for eco, name in self.packages:
            names[eco].add(name)
        self.names = {eco: sorted(n) for eco, n in names.items()}
        """Package names per ecosystem, sorted: the plugins of X are a run from ``X-``."""
        self.payloads: dict[str, frozenset[str]] = {}
        self.removals: dict[frozenset[str], Removal] = {}


def _removal_cache(index: GraphIndex) -> _RemovalCache:
    # GraphIndex is frozen: the cache is set once, beside its fields (never compared).
    cache: _RemovalCache | None = index.__dict__.get("_removal_cache")
    if cache is None:
        cache = _RemovalCache(index)
        object.__setattr__(index, "_removal_cache", cache)
    return cache


def _satellites(index: GraphIndex, target: Component) -> frozenset[str]:
    """The target and its plugins (same ecosystem, name ``<target>-...``), e.g. avocado's.

    Every version of the target's package is one too: they all go with it.
    """
    if target.kind != ComponentKind.PACKAGE:
        return frozenset({target.id})
    cache = _removal_cache(index)
    eco = target.ecosystem
    out = {target.id, *cache.packages.get((eco, target.name), ())}
    names = cache.names.get(eco, [])
    prefix = target.name + "-"
    i = bisect.bisect_left(names, prefix)
    while i < len(names) and names[i].startswith(prefix):
        out.update(cache.packages[(eco, names[i])])
        i += 1
    return frozenset(out)


def _is_payload(index: GraphIndex, gid: str, e: Edge) -> bool:
    """Is ``e.dst`` something consumer ``gid`` exists to provide?"""
    node = index.nodes.get(gid)
    dst = index.components.get(e.dst)
    if e.relation in (Relation.INSTALLS, Relation.REQUIRES):
        if dst is None:
            return False
        in_manifest = node is not None and node.kind == "manifest"
        language = dst.kind == ComponentKind.PACKAGE and dst.ecosystem in LANGUAGE_ECOSYSTEMS
        return in_manifest or language
    if e.relation == Relation.INCLUDES:
        return True
    if e.relation == Relation.RUNS_IN:
        return node is not None and node.kind == "ci-job"
    return e.relation == Relation.BUILT_FROM and gid in index.components


def _payload(index: GraphIndex, gid: str) -> frozenset[str]:
    """What a consumer exists to provide: its language packages, manifests, job images."""
    payloads = _removal_cache(index).payloads
    payload = payloads.get(gid)
    if payload is None:
        payload = frozenset(e.dst for e in index.uses(gid) if _is_payload(index, gid, e))
        payloads[gid] = payload
    return payload


def removable(index: GraphIndex, component_id: str) -> Removal:
    """Consumers that become removable with ``component_id`` (a fixpoint over the graph).

    A Dockerfile or manifest is removable when every language package it installs (and
    every manifest it includes) goes; OS packages and base images are means, not ends. An
    image is removable when all the in-repo Dockerfiles that build it are; a CI job when
    every image it runs in goes and it installs nothing that stays.

    Components with the same satellites (the versions of one package) share one removal,
    computed once per index: asking for every component of a large tree stays cheap.
    """
    target = index.components.get(component_id)
    if target is None:
        return Removal(component_id, (), ())
    satellites = _satellites(index, target)
    removals = _removal_cache(index).removals
    shared = removals.get(satellites)
    if shared is None:
        shared = removals[satellites] = _removal(index, target, satellites)
    items = tuple(i for i in shared.removable if i.id != component_id)
    return Removal(component_id, items, shared.review)


def _removal(index: GraphIndex, target: Component, satellites: frozenset[str]) -> Removal:
    """The removal of ``satellites`` together; its items include the satellites."""
    gone = set(satellites)
    reasons: dict[str, str] = {c: f"a plugin of {target.name}" for c in satellites}
    # A worklist fixpoint: a consumer is looked at again whenever something it uses goes.
    todo = sorted({e.src for g in gone for e in index.consumers(g)} - gone)
    while todo:
        gid = todo.pop()
        if gid in gone:
            continue
        payload = _payload(index, gid)
        if payload and payload <= gone:
            gone.add(gid)
            reasons[gid] = "serves only " + ", ".join(sorted(payload))
            todo.extend(e.src for e in index.consumers(gid) if e.src not in gone)

    items: list[RemovableItem] = []
    for gid in sorted(gone):
        evidence: list[Evidence] = []
        node = index.nodes.get(gid)
        comp = index.components.get(gid)
        if node is not None:
            evidence.extend(node.evidence)
        if comp is not None:
            evidence.extend(comp.evidence)
        # The lines that mention what is removed (requirement lines, RUN lines).
        for e in index.uses(gid):
            if e.dst in gone and e.evidence is not None:
                evidence.append(e.evidence)
        items.append(RemovableItem(gid, reasons[gid], _merge_evidence(evidence)))

    review: list[RemovableItem] = []
    removed_jobs = sorted(g for g in gone if g.startswith("ci-job:"))
    removed = set(removed_jobs)
    for job in removed_jobs:
        for e in index.uses(job):
            upstream = e.dst
            if e.relation != Relation.REQUIRES or upstream in gone:
                continue
            dependents = {
                d.src for d in index.consumers(upstream) if d.relation == Relation.REQUIRES
            }
            if dependents and dependents <= removed:
                node = index.nodes.get(upstream)
                review.append(
                    RemovableItem(
                        upstream,
                        "feeds only removed jobs: " + ", ".join(sorted(dependents)),
                        node.evidence if node else (),
                    )
                )
    # Jobs that stay but wait for a removed job: their requires must be edited.
    for job in removed_jobs:
        for e in index.consumers(job):
            if e.relation != Relation.REQUIRES or e.src in gone:
                continue
            waits_for = sorted(
                d.dst for d in index.uses(e.src) if _is_job_order(d) and d.dst in removed
            )
            review.append(
                RemovableItem(
                    e.src,
                    "requires removed jobs: edit its requires (" + ", ".join(waits_for) + ")",
                    tuple(
                        d.evidence
                        for d in index.uses(e.src)
                        if _is_job_order(d) and d.dst in removed and d.evidence
                    ),
                )
            )
    uniq = {r.id: r for r in review}
    return Removal(target.id, tuple(items), tuple(uniq[k] for k in sorted(uniq)))
