"""Render a Report as text for a terminal or a CI log.

A summary line, the actions grouped by kind (each with its reason, the evidence lines and
what goes with it), a component table, then findings, what left the report incomplete and
warnings. Colors are off unless asked for, so that the output is the same on every machine;
the CLI asks for colors when stdout is a TTY.

The text is built with plain string formatting (rich only styles it), so a report of tens
of thousands of lines renders in well under a second. It is a summary for a person: an
action or finding shows at most :data:`LIST_LIMIT` evidence lines and removable items, and
a value line at most :data:`LINE_LIMIT` characters; each cut says how much it left out and
that ``--format json`` has everything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.cells import cell_len
from rich.color import ColorSystem
from rich.style import Style

from audit.model import Action, ComponentResult, Evidence, Report, Status
from audit.report.json_report import (
    ACTION_TITLE,
    STATUS_ORDER,
    actions_by_kind,
    component_ids,
    ordered_findings,
    rows,
    status_counts,
)

LIST_LIMIT = 10
"""Evidence lines (and removable items) shown per action or finding; the rest are counted."""

LINE_LIMIT = 1000
"""Characters shown of one value line (``because: ...``); the rest are counted."""

MORE = "use --format json for all of them"

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")

TAB_SIZE = 8


def clean(value: str) -> str:
    """Control characters from scanned files (ESC, BEL, newlines) written as ``\\xNN``, so
    that a repository cannot send escape sequences to the terminal or break a line."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


def _width(value: str) -> int:
    """Terminal cells of a :func:`clean`, tab-free value: one per character when it is
    ASCII (no control character, that would take none, is left), else rich's count."""
    return len(value) if value.isascii() else cell_len(value)


def expand_tabs(value: str) -> str:
    """Tabs as spaces up to the next multiple of :data:`TAB_SIZE` cells."""
    if "\t" not in value:
        return value
    out: list[str] = []
    width = 0
    for i, part in enumerate(value.split("\t")):
        if i:
            pad = TAB_SIZE - width % TAB_SIZE
            out.append(" " * pad)
            width += pad
        out.append(part)
        width += cell_len(part)
    return "".join(out)


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

COLUMNS: tuple[tuple[str, int], ...] = (
    # header, minimum width
    ("component", 30),
    ("license", 20),
    ("context", 7),
    ("distribution", 12),
    ("verdict", 15),
)
GAP = "   "
RULE = "─"


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


def _more(total: int, indent: str, what: tuple[str, str]) -> list[str]:
    """``… N more <what>: use --format json ...`` when ``total`` exceeds :data:`LIST_LIMIT`;
    ``what`` is the noun (one, many)."""
    more = total - LIST_LIMIT
    if more <= 0:
        return []
    return [f"{indent}… {more} more {what[0] if more == 1 else what[1]}: {MORE}"]


def shortened(line: str) -> str:
    """``line`` cut after :data:`LINE_LIMIT` characters (at a space when there is one in the
    second half), saying how many characters were left out."""
    if len(line) <= LINE_LIMIT:
        return line
    cut = line.rfind(" ", LINE_LIMIT // 2, LINE_LIMIT + 1)
    kept = line[: cut if cut > 0 else LINE_LIMIT].rstrip()
    return f"{kept} … {len(line) - len(kept)} more characters: {MORE}"


def _evidence_lines(evidence: Sequence[Evidence], indent: str) -> list[str]:
    lines = [f"{indent}{e.location}  {e.text}".rstrip() for e in evidence[:LIST_LIMIT]]
    return lines + _more(len(evidence), indent, ("evidence line", "evidence lines"))


def _action_lines(action: Action) -> list[str]:
    out = [shortened(f"    because: {action.because}")]
    for key, value in sorted(action.properties):
        out.append(shortened(f"    {key}: {value}"))
    if action.evidence:
        out.append("    evidence:")
        out.extend(_evidence_lines(action.evidence, "      "))
    if action.removable:
        out.append("    goes with it:")
        out.extend(f"      - {item}" for item in action.removable[:LIST_LIMIT])
        out.extend(_more(len(action.removable), "      ", ("item", "items")))
    return out


def _license_cell(result: ComponentResult | None) -> str:
    if result is None:
        return "-"
    return result.license.expression or "unknown"


class _Out:
    """Lines of text, styled with ANSI codes when ``color`` is set."""

    def __init__(self, color: bool) -> None:
        self.color = color
        self.lines: list[str] = []
        self._styles: dict[str, Style] = {}

    def style(self, text: str, style: str) -> str:
        if not self.color or not style or not text:
            return text
        s = self._styles.get(style)
        if s is None:
            s = self._styles[style] = Style.parse(style)
        return s.render(text, color_system=ColorSystem.STANDARD)

    def line(self, value: str, style: str = "") -> None:
        self.lines.append(self.style(expand_tabs(clean(value)).rstrip(), style))

    def heading(self, title: str) -> None:
        self.lines.append("")
        self.line(title, "bold")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _table(out: _Out, report: Report) -> None:
    """The component table: every column as wide as its widest cell (never wrapped), so
    that ids and licenses stay whole and grep-able."""
    table: list[tuple[list[str], str]] = []  # (cells, style of the verdict)
    for cid, _comp, result in rows(report):
        if result is None:
            table.append(([clean(cid), "-", "-", "-", "-"], ""))
            continue
        v = result.verdict
        verdict = v.status.value + (f" ({clean(v.exception)})" if v.exception else "")
        cells = [cid, _license_cell(result), result.context, result.distribution]
        table.append(([*map(clean, cells), verdict], STATUS_STYLE.get(v.status, "")))
    widths = [max(minimum, _width(header)) for header, minimum in COLUMNS]
    for cells, _style in table:
        for i, cell in enumerate(cells):
            cells[i] = cell = expand_tabs(cell)
            widths[i] = max(widths[i], _width(cell))

    def padded(cells: Sequence[str]) -> list[str]:
        return [c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)]

    out.lines.append(out.style(GAP.join(padded([h for h, _ in COLUMNS])).rstrip(), "bold"))
    out.lines.append(RULE * (sum(widths) + len(GAP) * (len(widths) - 1)))
    for cells, style in table:
        line = padded(cells)
        if out.color and style:
            # Only the status word is colored; the exception name after it is not.
            status, sep, rest = cells[-1].partition(" ")
            line[-1] = f"{out.style(status, style)}{sep}{rest}"
        out.lines.append(GAP.join(line).rstrip())


def render(report: Report, *, color: bool = False) -> str:
    """The report as text; ``color`` adds ANSI styles (for a TTY)."""
    out = _Out(color)
    out.line(summary_line(report), "bold")
    out.line(_context_line(report))
    out.line(_actions_line(report))

    for kind, group in actions_by_kind(report.actions):
        out.heading(f"{ACTION_TITLE[kind]} ({len(group)})")
        for action in group:
            out.line(f"  {action.target}", "bold")
            for text in _action_lines(action):
                out.line(text)

    ids = component_ids(report)
    out.heading(f"Components ({len(ids)})")
    if ids:
        _table(out, report)

    findings = ordered_findings(report.findings)
    if findings:
        out.heading(f"Findings ({len(findings)})")
        for f in findings:
            out.line(shortened(f"  [{f.kind}] {f.subject}: {f.message}"))
            for text in _evidence_lines(f.evidence, "      "):
                out.line(text)

    if report.incomplete:
        out.heading(f"Incomplete ({len(report.incomplete)})")
        for p in sorted(report.incomplete):
            loc = f"{p.path}:{p.line}" if p.line else p.path
            out.line(shortened(f"  {loc}: {p.kind}: {p.message}"))

    if report.warnings:
        out.heading(f"Warnings ({len(report.warnings)})")
        for w in report.warnings:
            out.line(shortened(f"  {w}"))

    return out.text()
