"""Render a Report as text for a terminal or a CI log.

A summary line, the actions grouped by kind (each with its reason, the evidence lines and
what goes with it), a component table, then findings, what left the report incomplete and
warnings. The width is fixed (:data:`WIDTH`) and colors are off unless asked for, so that
the output is the same on every machine; the CLI asks for colors when stdout is a TTY.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from audit.model import Action, ActionKind, ComponentResult, Evidence, Report, Status
from audit.report.json_report import (
    STATUS_ORDER,
    actions_by_kind,
    component_ids,
    ordered_findings,
    rows,
    status_counts,
)

WIDTH = 120

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def clean(value: str) -> str:
    """Control characters from scanned files (ESC, BEL, newlines) written as ``\\xNN``, so
    that a repository cannot send escape sequences to the terminal or break a line."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


STATUS_PHRASE: dict[Status, tuple[str, str]] = {
    # status: (one, many)
    Status.DENIED: ("denied", "denied"),
    Status.NEEDS_EXCEPTION: ("needs an exception", "need an exception"),
    Status.UNKNOWN: ("has an unknown license", "have an unknown license"),
    Status.ALLOWED_BY_EXCEPTION: ("allowed by exception", "allowed by exception"),
    Status.NOT_REQUIRED: ("not required", "not required"),
    Status.ALLOWED: ("allowed", "allowed"),
}

STATUS_STYLE: dict[Status, str] = {
    Status.DENIED: "bold red",
    Status.NEEDS_EXCEPTION: "red",
    Status.UNKNOWN: "yellow",
    Status.ALLOWED_BY_EXCEPTION: "cyan",
    Status.NOT_REQUIRED: "dim",
    Status.ALLOWED: "green",
}

ACTION_TITLE: dict[ActionKind, str] = {
    ActionKind.REMOVE: "Remove",
    ActionKind.REPLACE: "Replace",
    ActionKind.REQUEST_EXCEPTION: "Request an exception",
    ActionKind.ELECT: "Elect a license",
    ActionKind.REVIEW: "Review",
}


def summary_line(report: Report) -> str:
    """``examples/falco-2023: 7 components; 3 need an exception, 2 not required, 2 allowed``."""
    n = len(component_ids(report))
    counts = status_counts(report)
    parts = []
    for status in STATUS_ORDER:
        k = counts[status.value]
        if k:
            one, many = STATUS_PHRASE[status]
            parts.append(f"{k} {one if k == 1 else many}")
    noun = "component" if n == 1 else "components"
    line = f"{report.root}: {n} {noun}"
    if parts:
        line += "; " + ", ".join(parts)
    return line


def _context_line(report: Report) -> str:
    bits = [f"policy {report.policy.name}"]
    if report.policy.read_on:
        bits[0] += f" (read {report.policy.read_on})"
    bits.append(f"as of {report.as_of}" if report.as_of else "as of today")
    if report.project:
        bits.append(f"project {report.project}")
    if report.repository.commit:
        bits.append(f"commit {report.repository.commit[:12]}")
    return ", ".join(bits)


def _actions_line(report: Report) -> str:
    groups = actions_by_kind(report.actions)
    if not groups:
        return "no actions"
    total = sum(len(g) for _, g in groups)
    detail = ", ".join(f"{len(g)} {kind.value}" for kind, g in groups)
    return f"{total} action{'s' if total != 1 else ''}: {detail}"


def _evidence_lines(evidence: Sequence[Evidence], indent: str) -> list[str]:
    return [f"{indent}{e.location}  {e.text}".rstrip() for e in evidence]


def _action_lines(action: Action) -> list[str]:
    out = [f"    because: {action.because}"]
    for key, value in sorted(action.properties):
        out.append(f"    {key}: {value}")
    if action.evidence:
        out.append("    evidence:")
        out.extend(_evidence_lines(action.evidence, "      "))
    if action.removable:
        out.append("    goes with it:")
        out.extend(f"      - {item}" for item in action.removable)
    return out


def _license_cell(result: ComponentResult | None) -> str:
    if result is None:
        return "-"
    return result.license.expression or "unknown"


def _verdict_text(result: ComponentResult | None) -> Text:
    if result is None:
        return Text("-")
    v = result.verdict
    text = Text(v.status.value, style=STATUS_STYLE.get(v.status, ""))
    if v.exception:
        text.append(f" ({clean(v.exception)})")
    return text


def _table(report: Report) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    table.add_column("component", no_wrap=True, min_width=30)
    table.add_column("license", no_wrap=True, min_width=20)
    table.add_column("context", no_wrap=True, min_width=7)
    table.add_column("distribution", no_wrap=True, min_width=12)
    table.add_column("verdict", overflow="fold", min_width=15)
    for cid, _comp, result in rows(report):
        table.add_row(
            Text(clean(cid)),
            Text(clean(_license_cell(result))),
            Text(clean(result.context) if result else "-"),
            Text(clean(result.distribution) if result else "-"),
            _verdict_text(result),
        )
    return table


def _console(buffer: io.StringIO, color: bool) -> Console:
    return Console(
        file=buffer,
        width=WIDTH,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
        legacy_windows=False,
        _environ={},
    )


def render(report: Report, *, color: bool = False) -> str:
    """The report as text; ``color`` adds ANSI styles (for a TTY)."""
    buffer = io.StringIO()
    console = _console(buffer, color)

    def line(value: str, style: str = "") -> None:
        console.print(Text(clean(value), style=style))

    def heading(title: str) -> None:
        console.print()
        line(title, "bold")

    line(summary_line(report), "bold")
    line(_context_line(report))
    line(_actions_line(report))

    for kind, group in actions_by_kind(report.actions):
        heading(f"{ACTION_TITLE[kind]} ({len(group)})")
        for action in group:
            line(f"  {action.target}", "bold")
            for text in _action_lines(action):
                line(text)

    heading(f"Components ({len(component_ids(report))})")
    if component_ids(report):
        # The table is as wide as its longest row needs (never wrapped), so that ids and
        # licenses stay whole and grep-able; the rest of the report keeps WIDTH.
        table = _table(report)
        needed = console.measure(table, options=console.options.update(width=10_000)).maximum
        console.width = max(WIDTH, needed)
        console.print(table, soft_wrap=False)
        console.width = WIDTH

    findings = ordered_findings(report.findings)
    if findings:
        heading(f"Findings ({len(findings)})")
        for f in findings:
            line(f"  [{f.kind}] {f.subject}: {f.message}")
            for text in _evidence_lines(f.evidence, "      "):
                line(text)

    if report.incomplete:
        heading(f"Incomplete ({len(report.incomplete)})")
        for p in sorted(report.incomplete):
            loc = f"{p.path}:{p.line}" if p.line else p.path
            line(f"  {loc}: {p.kind}: {p.message}")

    if report.warnings:
        heading(f"Warnings ({len(report.warnings)})")
        for w in report.warnings:
            line(f"  {w}")

    return "\n".join(row.rstrip() for row in buffer.getvalue().split("\n"))
