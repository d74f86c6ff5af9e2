"""What changed between two recorded audits: components, consumers, verdicts, actions.

Pure: two stored runs (their ``depaudit/report/1`` documents) in, one :class:`RunDiff` out.
Components and consumer nodes (CI jobs, Dockerfiles, manifests, build files) are compared
by id; a verdict changed when a component present in both runs has another status; an
action is known by its stable key ``kind:target`` (as baselines know it), so a change of
wording or evidence lines is not a new action.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from audit.history import RunInfo, StoredRun


@dataclass(frozen=True)
class ComponentRef:
    """A component as one run saw it."""

    id: str
    kind: str | None
    license: str | None
    """The concluded SPDX expression; None when unknown."""
    status: str | None
    """The verdict status; None when the run drew no conclusion."""


@dataclass(frozen=True)
class NodeRef:
    """A consumer node: a CI job, a workflow, a Dockerfile, a manifest, a build file."""

    id: str
    kind: str
    name: str


@dataclass(frozen=True)
class VerdictChange:
    """A component whose status or license differs between two runs."""

    id: str
    before: str | None
    after: str | None
    license_before: str | None
    license_after: str | None


@dataclass(frozen=True)
class ActionRef:
    """A decision of a recorded run, keyed to compare runs."""

    key: str
    """``kind:target``, e.g. ``remove:pypi:avocado-framework@69.0``."""
    kind: str
    target: str
    because: str


@dataclass(frozen=True)
class RunDiff:
    """Run ``before`` to run ``after``; every tuple sorted by id (actions: by key)."""

    before: RunInfo
    after: RunInfo
    components_added: tuple[ComponentRef, ...]
    components_removed: tuple[ComponentRef, ...]
    nodes_added: tuple[NodeRef, ...]
    nodes_removed: tuple[NodeRef, ...]
    verdicts_changed: tuple[VerdictChange, ...]
    actions_new: tuple[ActionRef, ...]
    actions_resolved: tuple[ActionRef, ...]

    @property
    def empty(self) -> bool:
        return not (
            self.components_added
            or self.components_removed
            or self.nodes_added
            or self.nodes_removed
            or self.verdicts_changed
            or self.actions_new
            or self.actions_resolved
        )


def _items(value: Any) -> list[Any]:
    """A stored list (a history database may hold anything: it can come with a checkout)."""
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _components(doc: Mapping[str, Any]) -> dict[str, ComponentRef]:
    out: dict[str, ComponentRef] = {}
    for c in _items(doc.get("components")):
        if not isinstance(c, Mapping) or not isinstance(c.get("id"), str):
            continue
        lic = v if isinstance(v := c.get("license"), Mapping) else {}
        verdict = v if isinstance(v := c.get("verdict"), Mapping) else {}
        out[c["id"]] = ComponentRef(
            c["id"], _str(c.get("kind")), _str(lic.get("expression")), _str(verdict.get("status"))
        )
    return out


def _nodes(doc: Mapping[str, Any]) -> dict[str, NodeRef]:
    graph = v if isinstance(v := doc.get("graph"), Mapping) else {}
    out: dict[str, NodeRef] = {}
    for n in _items(graph.get("nodes")):
        if isinstance(n, Mapping) and isinstance(n.get("id"), str):
            out[n["id"]] = NodeRef(n["id"], str(n.get("kind") or ""), str(n.get("name") or ""))
    return out


def _actions(doc: Mapping[str, Any]) -> dict[str, ActionRef]:
    out: dict[str, ActionRef] = {}
    for a in _items(doc.get("actions")):
        if not isinstance(a, Mapping):
            continue
        kind, target = a.get("kind"), a.get("target")
        if not isinstance(kind, str) or not isinstance(target, str):
            continue
        key = f"{kind}:{target}"
        out.setdefault(key, ActionRef(key, kind, target, str(a.get("because") or "")))
    return out


def diff_documents(
    before: Mapping[str, Any], after: Mapping[str, Any], before_info: RunInfo, after_info: RunInfo
) -> RunDiff:
    """Compare two report documents (``depaudit/report/1``)."""
    old_c, new_c = _components(before), _components(after)
    old_n, new_n = _nodes(before), _nodes(after)
    old_a, new_a = _actions(before), _actions(after)
    changed = tuple(
        VerdictChange(
            cid, old_c[cid].status, new_c[cid].status, old_c[cid].license, new_c[cid].license
        )
        for cid in sorted(old_c.keys() & new_c.keys())
        if old_c[cid].status != new_c[cid].status
    )
    return RunDiff(
        before=before_info,
        after=after_info,
        components_added=tuple(new_c[k] for k in sorted(new_c.keys() - old_c.keys())),
        components_removed=tuple(old_c[k] for k in sorted(old_c.keys() - new_c.keys())),
        nodes_added=tuple(new_n[k] for k in sorted(new_n.keys() - old_n.keys())),
        nodes_removed=tuple(old_n[k] for k in sorted(old_n.keys() - new_n.keys())),
        verdicts_changed=changed,
        actions_new=tuple(new_a[k] for k in sorted(new_a.keys() - old_a.keys())),
        actions_resolved=tuple(old_a[k] for k in sorted(old_a.keys() - new_a.keys())),
    )


def diff_runs(before: StoredRun, after: StoredRun) -> RunDiff:
    """Compare two recorded runs."""
    return diff_documents(before.document, after.document, before.info, after.info)
