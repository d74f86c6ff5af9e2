"""Render a Report as one self-contained HTML page (Jinja2 template, inline CSS and JS).

The page is what a maintainer opens or a CI job publishes as an artifact: summary cards,
the actions with their evidence links, the component table (sortable and filterable with
JavaScript; readable without), the graph of CI jobs -> images -> Dockerfiles -> packages
for the components with findings, and, given the recorded history, a chart of findings by
verdict over time. Graph and chart are inline SVG laid out here, so that they show with
JavaScript off; nothing is fetched at view time (the page's Content-Security-Policy forbids
it). Text from the scanned repository is escaped by Jinja2's autoescaping.

Without history the page is deterministic: the same report gives the same bytes.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from audit import __version__
from audit.keyhash import sha256
from audit.model import (
    STATUS_SEVERITY,
    Action,
    Evidence,
    Relation,
    RepoInfo,
    Report,
    Status,
)
from audit.report.json_report import (
    ACTION_TITLE,
    STATUS_ORDER,
    component_ids,
    note_count,
    ordered_actions,
    rows,
    severity_counts,
    status_counts,
    worst_status,
)
from audit.report.markdown import blob_url
from audit.report.text import decisions_line
from audit.weburl import link_target

if TYPE_CHECKING:
    from audit.history import RunInfo

TEMPLATE = "report.html.j2"

NOTE_ITEMS_SHOWN = 50
"""Items listed per note group (collapsed); the JSON report lists every one."""

STATUS_LABEL: dict[Status, str] = {
    Status.DENIED: "denied",
    Status.NEEDS_EXCEPTION: "needs exception",
    Status.UNKNOWN: "unknown license",
    Status.ALLOWED_BY_EXCEPTION: "allowed by exception",
    Status.NOT_REQUIRED: "not required",
    Status.ALLOWED: "allowed",
}

FINDING_STATUSES: tuple[Status, ...] = (
    Status.DENIED,
    Status.NEEDS_EXCEPTION,
    Status.UNKNOWN,
    Status.ALLOWED_BY_EXCEPTION,
)
"""The verdicts the history chart stacks (worst at the bottom)."""

GRAPH_FOCUS: frozenset[Status] = frozenset({Status.DENIED, Status.NEEDS_EXCEPTION})
"""Without decisions, components with these verdicts are drawn in the graph (with decisions,
their targets and the components they name)."""

MAX_GRAPH_NODES = 120
MAX_CHART_RUNS = 52
FOLD_AFTER = 5

_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")


def anchor(component_id: str) -> str:
    """A stable HTML id for a component's table row: readable part plus a short hash."""
    digest = sha256(component_id.encode("utf-8")).hexdigest()[:8]
    slug = _SLUG.sub("-", component_id).strip("-")[:60]
    return f"c-{slug}-{digest}"


def safe_url(url: str | None) -> str | None:
    """``url`` when it is http(s) with a plain host, percent-encoded so that it cannot end
    its attribute early; else None: nothing else becomes a link (see audit.weburl)."""
    return link_target(url)


def commit_url(repo: RepoInfo) -> str | None:
    remote = safe_url(repo.remote)
    if not remote or not repo.commit:
        return None
    remote = remote.rstrip("/").removesuffix(".git")
    sep = "/-/commit/" if "gitlab" in urlsplit(remote).netloc.lower() else "/commit/"
    return f"{remote}{sep}{quote(repo.commit, safe='')}"


# Page parts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceView:
    """One line of evidence as the HTML report shows it."""

    location: str
    url: str | None
    text: str


@dataclass(frozen=True)
class ActionView:
    """One decision as the HTML report shows it."""

    kind: str
    title: str
    """What to do, in words: ``remove``, ``request an exception for``..."""
    severity: str
    target: str
    target_anchor: str | None
    because: str
    properties: tuple[tuple[str, str], ...]
    evidence: tuple[EvidenceView, ...]
    removable: tuple[tuple[str, str | None], ...]
    """(graph id, anchor of its component row or None)."""
    fold: bool
    new: bool | None
    """With a baseline: whether the action is new; None without one."""


@dataclass(frozen=True)
class Card:
    """One summary card of the HTML report."""

    label: str
    value: str
    note: str
    css: str


@dataclass(frozen=True)
class Row:
    """One component row of the HTML report's table."""

    id: str
    anchor: str
    kind: str
    license: str
    license_source: str
    license_url: str | None
    context: str
    distribution: str
    status: str
    status_label: str
    severity: int
    rule: str
    detail: str
    reasons: tuple[str, ...]
    license_reason: str
    classification: tuple[str, ...]
    evidence: tuple[EvidenceView, ...]
    flagged: bool


def _evidence(repo: RepoInfo, evidence: Iterable[Evidence]) -> tuple[EvidenceView, ...]:
    return tuple(
        EvidenceView(e.location, safe_url(blob_url(repo, e.path, e.line)), e.text) for e in evidence
    )


def _actions(
    report: Report, known: set[str]
) -> tuple[tuple[str, str, tuple[ActionView, ...]], ...]:
    def view(a: Action) -> ActionView:
        props = tuple((k, v) for k, v in sorted(a.properties) if k != "new")
        new = a.prop("new")
        return ActionView(
            kind=a.kind.value,
            title=ACTION_TITLE[a.kind],
            severity=a.severity.value,
            target=a.target,
            target_anchor=anchor(a.target) if a.target in known else None,
            because=a.because,
            properties=props,
            evidence=_evidence(report.repository, a.evidence),
            removable=tuple((r, anchor(r) if r in known else None) for r in a.removable),
            fold=len(a.removable) > FOLD_AFTER,
            new=None if new is None else new == "yes",
        )

    ordered = ordered_actions(report.actions)
    if not ordered:
        return ()
    return (("decisions", "Most urgent first", tuple(view(a) for a in ordered)),)


def _cards(report: Report) -> tuple[Card, ...]:
    worst = worst_status(report)
    counts = status_counts(report)
    n = len(component_ids(report))
    cards = [
        Card(
            "worst verdict",
            STATUS_LABEL[worst] if worst else "none",
            f"{n} component{'s' if n != 1 else ''}, {report.inventory.files_scanned} files scanned",
            f"status-{worst.value}" if worst else "",
        ),
        Card(
            "decisions",
            str(len(report.actions)),
            ", ".join(f"{v} {k}" for k, v in severity_counts(report.actions).items() if v)
            or "nothing to do",
            "actions",
        ),
    ]
    for s in STATUS_ORDER:
        cards.append(Card(STATUS_LABEL[s], str(counts[s.value]), "components", f"status-{s.value}"))
    notes = note_count(report)
    cards.append(
        Card(
            "notes",
            str(notes),
            "lookups not made, values not expanded..." if notes else "the audit is complete",
            "incomplete" if notes else "",
        )
    )
    return tuple(cards)


def _rows(report: Report, flagged: set[str]) -> tuple[Row, ...]:
    out = []
    for cid, comp, result in rows(report):
        reasons: tuple[str, ...]
        classification: tuple[str, ...]
        if result is None:
            status, label, severity, rule, detail, reasons = "", "no verdict", -1, "", "", ()
            lic, source, url, context, dist = "", "", None, "", ""
            why_license, classification = "", ()
        else:
            v = result.verdict
            status, label = v.status.value, STATUS_LABEL[v.status]
            severity, rule, reasons = STATUS_SEVERITY[v.status], v.rule, v.reasons
            detail = ", ".join(
                x
                for x in (
                    f"exception {v.exception}" if v.exception else "",
                    f"elected {v.election}" if v.election else "",
                )
                if x
            )
            lic = result.license.expression or ""
            source, url = result.license.source, safe_url(result.license.url)
            context, dist = result.context, result.distribution
            why_license, classification = result.license.reason, result.classification
        out.append(
            Row(
                id=cid,
                anchor=anchor(cid),
                kind=comp.kind.value if comp else "",
                license=lic,
                license_source=source,
                license_url=url,
                context=context,
                distribution=dist,
                status=status,
                status_label=label,
                severity=severity,
                rule=rule,
                detail=detail,
                reasons=reasons,
                license_reason=why_license,
                classification=classification,
                evidence=_evidence(report.repository, comp.evidence if comp else ()),
                flagged=cid in flagged,
            )
        )
    return tuple(out)


# The graph ------------------------------------------------------------------------------

BOX_H = 26
ROW_GAP = 10
COL_GAP = 56
CHAR_W = 7.3
PAD_X = 10
MAX_LABEL = 42
HEAD_CHAR_W = 8.2
"""Width of a character of the column headings (bold capitals, spaced)."""
TOP = 34
MARGIN = 8

KIND_COLUMN_LABEL: dict[str, str] = {
    "ci-job": "CI jobs",
    "ci-workflow": "CI workflows",
    "image": "images",
    "dockerfile": "Dockerfiles",
    "manifest": "manifests",
    "build-file": "build files",
    "source-unit": "sources",
    "package": "packages",
    "action": "actions",
    "orb": "orbs",
    "download": "downloads",
    "submodule": "submodules",
    "source": "first-party source",
}


@dataclass(frozen=True)
class Box:
    """A node of the HTML report's graph drawing."""

    id: str
    label: str
    kind: str
    x: float
    y: float
    w: float
    h: float
    status: str
    """The component's verdict status, '' for consumer nodes."""
    focus: bool
    href: str | None
    leads: tuple[str, ...] = ()
    """The decision targets this box leads to (itself included): the graph's filter."""


@dataclass(frozen=True)
class Line:
    """An edge of the HTML report's graph drawing."""

    src: str
    dst: str
    relation: str
    d: str


@dataclass(frozen=True)
class GraphView:
    """The HTML report's graph drawing: columns, boxes and lines."""

    width: float
    height: float
    columns: tuple[tuple[float, str], ...]
    """(x of the column's centre, heading)."""
    boxes: tuple[Box, ...]
    lines: tuple[Line, ...]
    omitted: int
    focus: int


def _kind_rank(kind: str) -> tuple[int, str]:
    order = list(KIND_COLUMN_LABEL)
    return (order.index(kind) if kind in order else len(order), kind)


STRIP_PREFIX = frozenset(
    {"ci-job", "ci-workflow", "dockerfile", "manifest", "build-file", "source-unit", "image"}
)
"""Kinds whose id prefix the graph leaves out: the box's colour and column say it."""


def _label(gid: str, kind: str) -> str:
    text = gid.split(":", 1)[1] if kind in STRIP_PREFIX and ":" in gid else gid
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _severity(status: Status | None) -> int:
    return -1 if status is None else STATUS_SEVERITY.get(status, -1)


def _decided(action: Action) -> frozenset[str]:
    """The components a decision is about: its target and, for a group, its members."""
    members = (action.prop("components") or "").split(", ")
    return frozenset({action.target, *(m for m in members if m)})


def graph_view(report: Report) -> GraphView | None:
    """The upstream graph of the components with findings, laid out in columns.

    Every component whose verdict is in :data:`GRAPH_FOCUS` or that an action targets, and
    everything that leads to it (CI jobs, images, Dockerfiles, manifests), left to right,
    with the components with findings in the rightmost column.
    """
    inv = report.inventory
    comps = {c.id: c for c in inv.components}
    nodes = {n.id: n for n in inv.nodes}
    statuses = {r.component_id: r.verdict.status for r in report.results}
    focus = {cid for a in report.actions for cid in _decided(a) if cid in comps}
    if not focus:
        focus = {cid for cid, s in statuses.items() if s in GRAPH_FOCUS and cid in comps}
    if not focus:
        return None

    def kind_of(gid: str) -> str:
        if gid in comps:
            return comps[gid].kind.value
        return nodes[gid].kind if gid in nodes else gid.split(":", 1)[0]

    consumer_kinds = {"ci-job", "ci-workflow"}
    relations: dict[tuple[str, str], str] = {}
    parents: dict[str, set[str]] = defaultdict(set)
    for e in sorted(inv.edges):
        if e.src == e.dst:
            continue
        if e.relation is Relation.REQUIRES and kind_of(e.src) in consumer_kinds:
            continue  # job -> job ordering is not a dependency
        relations.setdefault((e.src, e.dst), e.relation.value)
        parents[e.dst].add(e.src)

    # Breadth-first from the findings up, so that a cap keeps what is nearest to them.
    order = sorted(focus, key=lambda c: (-_severity(statuses.get(c)), c))
    seen = set(order)
    queue = deque(order)
    included: list[str] = list(order)
    while queue:
        gid = queue.popleft()
        for p in sorted(parents.get(gid, ())):
            if p not in seen:
                seen.add(p)
                included.append(p)
                queue.append(p)
    omitted = max(len(included) - MAX_GRAPH_NODES, 0)
    keep = set(included[:MAX_GRAPH_NODES])
    children: dict[str, list[str]] = defaultdict(list)
    for src, dst in sorted(relations):
        if src in keep and dst in keep:
            children[src].append(dst)

    height: dict[str, int] = {}

    def measure(gid: str, stack: set[str]) -> int:
        if gid in height:
            return height[gid]
        stack.add(gid)
        h = 0
        for c in children.get(gid, ()):
            if c not in stack:  # a cycle: ignore the back edge
                h = max(h, measure(c, stack) + 1)
        stack.discard(gid)
        height[gid] = h
        return h

    for gid in sorted(keep):
        measure(gid, set())
    targets = {a.target: _decided(a) for a in report.actions}
    reaches: dict[str, frozenset[str]] = {}

    def reach(gid: str, stack: set[str]) -> frozenset[str]:
        if gid in reaches:
            return reaches[gid]
        stack.add(gid)
        found = {gid} if gid in focus else set()
        for c in children.get(gid, ()):
            if c not in stack:
                found |= reach(c, stack)
        stack.discard(gid)
        reaches[gid] = frozenset(found)
        return reaches[gid]

    def leads(gid: str) -> tuple[str, ...]:
        got = reach(gid, set())
        return tuple(sorted(t for t, ids in targets.items() if got & ids))

    depth = max(height.values())
    columns: list[list[str]] = [[] for _ in range(depth + 1)]
    for gid in sorted(keep):
        columns[depth - height[gid]].append(gid)

    # Rows: the findings by severity, top down; then, right to left, each box at the mean
    # height of what it leads to (pushed down when taken), which keeps lines short.
    step = BOX_H + ROW_GAP
    rank = {gid: i for i, gid in enumerate(order)}
    columns[-1].sort(key=lambda g: (rank.get(g, len(rank)), g))
    ys: dict[str, float] = {g: float(TOP + i * step) for i, g in enumerate(columns[-1])}
    for col in reversed(columns[:-1]):
        wanted: dict[str, float] = {}
        for g in col:
            below = [ys[c] for c in children.get(g, ()) if c in ys]
            wanted[g] = sum(below) / len(below) if below else float(TOP)
        col.sort(key=lambda g: (wanted[g], g))
        y = float(TOP)
        i = 0
        while i < len(col):
            group = [g for g in col[i:] if wanted[g] == wanted[col[i]]]
            y = max(y, wanted[col[i]] - (len(group) - 1) * step / 2)  # centred on the target
            for g in group:
                ys[g] = y
                y += step
            i += len(group)
    bottom = max(ys.values()) + BOX_H
    boxes: dict[str, Box] = {}
    heads: list[tuple[float, str]] = []
    x = float(MARGIN)
    for col in columns:
        labels = [_label(g, kind_of(g)) for g in col]
        if col is columns[-1]:
            head = "with findings"
        else:
            kinds = sorted({kind_of(g) for g in col}, key=_kind_rank)
            head = " · ".join(KIND_COLUMN_LABEL.get(k, k) for k in kinds)
        w = max(max(len(lbl) for lbl in labels) * CHAR_W + 2 * PAD_X, len(head) * HEAD_CHAR_W)
        heads.append((round(x + w / 2, 1), head))
        for gid, lbl in zip(col, labels, strict=True):
            status = statuses.get(gid)
            boxes[gid] = Box(
                id=gid,
                label=lbl,
                kind=kind_of(gid),
                x=round(x, 1),
                y=round(ys[gid], 1),
                w=round(w, 1),
                h=BOX_H,
                status=status.value if status else "",
                focus=gid in focus,
                href=f"#{anchor(gid)}" if gid in comps else None,
                leads=leads(gid),
            )
        x += w + COL_GAP
    lines = []
    for (src, dst), rel in sorted(relations.items()):
        if src not in boxes or dst not in boxes:
            continue
        a, b = boxes[src], boxes[dst]
        x1, y1 = a.x + a.w, a.y + a.h / 2
        x2, y2 = b.x, b.y + b.h / 2
        mid = (x1 + x2) / 2
        d = f"M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2 - 4:.1f},{y2:.1f}"
        lines.append(Line(src, dst, rel, d))
    return GraphView(
        width=round(x - COL_GAP + MARGIN, 1),
        height=bottom + MARGIN,
        columns=tuple(heads),
        boxes=tuple(boxes[g] for col in columns for g in col),
        lines=tuple(lines),
        omitted=omitted,
        focus=len(focus),
    )


# The history chart ----------------------------------------------------------------------

CHART_H = 220
CHART_LEFT = 44
CHART_TOP = 12
CHART_BOTTOM = 46
BAR_W = 28
BAR_GAP = 18


@dataclass(frozen=True)
class Segment:
    """One status's part of a history chart's bar."""

    status: str
    label: str
    count: int
    y: float
    h: float


@dataclass(frozen=True)
class Bar:
    """One recorded run in the HTML history chart."""

    run: int
    label: str
    """The run's date (YYYY-MM-DD)."""
    x: float
    total: int
    segments: tuple[Segment, ...]
    commit: str


@dataclass(frozen=True)
class ChartView:
    """The HTML history chart: its size, grid, bars and legend."""

    width: float
    height: float
    plot_bottom: float
    ticks: tuple[tuple[float, int], ...]
    """(y, value) of the horizontal grid lines."""
    bars: tuple[Bar, ...]
    legend: tuple[tuple[str, str], ...]
    """(status, label), in stacking order."""
    omitted: int
    bar_w: int = BAR_W


def _ticks(top: int) -> tuple[int, ...]:
    if top <= 4:
        return tuple(range(top + 1))
    step = 1
    while top / step > 4:
        step = step * 5 // 2 if str(step).startswith("2") else step * 2
    last = -(-top // step) * step
    return tuple(range(0, last + 1, step))


def chart_view(history: Sequence[RunInfo]) -> ChartView | None:
    """Stacked bars of components per finding verdict, one bar per recorded run."""
    if not history:
        return None
    runs = list(history)[-MAX_CHART_RUNS:]
    totals = [sum(r.count(s.value) for s in FINDING_STATUSES) for r in runs]
    ticks = _ticks(max(max(totals), 1))
    top = max(ticks[-1], 1)
    plot_h = CHART_H - CHART_TOP - CHART_BOTTOM
    bottom = CHART_TOP + plot_h
    scale = plot_h / top
    bars = []
    for i, r in enumerate(runs):
        x = CHART_LEFT + BAR_GAP + i * (BAR_W + BAR_GAP)
        y = float(bottom)
        segs = []
        for s in FINDING_STATUSES:
            n = r.count(s.value)
            if not n:
                continue
            h = n * scale
            y -= h
            segs.append(Segment(s.value, STATUS_LABEL[s], n, y, h))
        bars.append(Bar(r.id, r.recorded_at[:10], x, totals[i], tuple(segs), (r.commit or "")[:12]))
    width = CHART_LEFT + BAR_GAP + len(runs) * (BAR_W + BAR_GAP) + 8
    return ChartView(
        width=max(width, 320.0),
        height=float(CHART_H),
        plot_bottom=float(bottom),
        ticks=tuple((bottom - t * scale, t) for t in ticks),
        bars=tuple(bars),
        legend=tuple((s.value, STATUS_LABEL[s]) for s in FINDING_STATUSES),
        omitted=len(history) - len(runs),
    )


# Rendering ------------------------------------------------------------------------------


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("audit.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def page_context(report: Report, history: Sequence[RunInfo] | None = None) -> dict[str, Any]:
    """Everything the template shows, as plain values."""
    known = set(component_ids(report))
    graph = graph_view(report)
    flagged = {b.id for b in graph.boxes if b.focus} if graph else set()
    counts = status_counts(report)
    notes = [
        {
            "cause": n.cause.value,
            "title": n.title,
            "count": len(n.items),
            "items": [
                {
                    "subject": i.subject,
                    "anchor": anchor(i.subject) if i.subject in known else None,
                    "message": i.message,
                    "evidence": _evidence(report.repository, i.evidence[:1]),
                }
                for i in n.items[:NOTE_ITEMS_SHOWN]
            ],
            "more": max(len(n.items) - NOTE_ITEMS_SHOWN, 0),
        }
        for n in report.notes
    ]
    repo = report.repository
    return {
        "title": report.project or report.root,
        "project": report.project,
        "root": report.root,
        "tool_version": __version__,
        "policy": report.policy,
        "policy_url": safe_url(report.policy.source_url),
        "as_of": report.as_of,
        "commit": repo.commit,
        "commit_url": commit_url(repo),
        "remote": safe_url(repo.remote),
        "cards": _cards(report),
        "action_groups": _actions(report, known),
        "action_total": len(report.actions),
        "decisions_line": decisions_line(report),
        "outcome": report.outcome.reason if report.outcome else "",
        "notes": notes,
        "note_total": note_count(report),
        "rows": _rows(report, flagged),
        "statuses": tuple(
            (s.value, STATUS_LABEL[s], counts[s.value]) for s in STATUS_ORDER if counts[s.value]
        ),
        "graph": graph,
        "graph_choices": tuple(
            (a.target, f"{a.severity.value}: {ACTION_TITLE[a.kind]} {a.target}")
            for a in ordered_actions(report.actions)
            if graph is not None and any(a.target in b.leads for b in graph.boxes)
        ),
        "chart": chart_view(history) if history is not None else None,
        "history": tuple(history[-MAX_CHART_RUNS:]) if history else (),
        "warnings": report.warnings,
        "chart_statuses": tuple(s.value for s in FINDING_STATUSES),
    }


def render(report: Report, history: Sequence[RunInfo] | None = None) -> str:
    """The report as one self-contained HTML page; ``history`` adds the chart over time."""
    page: str = _environment().get_template(TEMPLATE).render(**page_context(report, history))
    return page.rstrip() + "\n"
