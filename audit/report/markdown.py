"""Render a Report as GitHub-flavoured Markdown, for a pull-request comment or an issue.

A summary (the exit code and why, a verdict table), the decisions in priority order (each
with its severity, the order of every format), then the long sections (components, notes
grouped by cause, warnings, long removable lists) folded in ``<details>``. Evidence becomes
``path:line`` links to the exact commit when the report knows the repository's web URL and commit.

Text that comes from the scanned repository (evidence lines, messages) is escaped: it can
neither close a ``<details>`` nor break a table.

GitHub refuses a comment over 65,536 characters, so the output is kept within ``max_chars``
(:data:`MAX_CHARS` by default). When the whole report is longer, parts are left out in this
order until it fits (:data:`CUT_ORDER`): the components table, the warnings, the notes, the
evidence and "goes with it" lists of the actions, and then decisions from the last (least
urgent) one up; a list shown in part says ``(2 of 5)``. A note under the summary says what
was left out and how to get the full report.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from urllib.parse import quote, urlsplit

from audit.model import Action, Evidence, RepoInfo, Report
from audit.report.json_report import (
    ACTION_TITLE,
    STATUS_ORDER,
    component_ids,
    note_count,
    ordered_actions,
    rows,
    status_counts,
)
from audit.report.text import NOTE_EXAMPLES, decisions_line
from audit.weburl import link_target

DECISIONS = "Decisions ({}), most urgent first"

FOLD_AFTER = 5
"""Lists of removable items longer than this are folded."""

MAX_CHARS = 65_536
"""The default limit of the output, in characters: GitHub's limit for a comment body."""

MIN_CHARS = 1_000
"""The smallest limit accepted: the title, the summary and the note must fit."""

_SECTIONS_CUT = ("components", "warnings", "notes")
CUT_ORDER = (*_SECTIONS_CUT, "details", "actions")
"""What is left out first when the report is too long (module docstring)."""

FULL_REPORT = (
    "run depaudit with `--format json` or `--format html` (with the GitHub Action: name them "
    "in its `formats` input and keep its output directory as an artifact)"
)
"""How the note tells the reader to get the whole report."""


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]~"})


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _flat(value: str) -> str:
    """One line: whitespace runs to one space, other control characters dropped."""
    return _CONTROL.sub("", " ".join(value.split()))


def text(value: str) -> str:
    """Escape text for Markdown prose: emphasis, links, code, HTML and line breaks."""
    return html.escape(_flat(value), quote=False).translate(_MD_SPECIAL)


def cell(value: str) -> str:
    """Escape text for a table cell."""
    return text(value).replace("|", "\\|")


def code(value: str, *, in_table: bool = False) -> str:
    """An inline code span that survives backticks in ``value``."""
    value = _flat(value)
    fence = "`"
    while fence in value:
        fence += "`"
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    out = f"{fence}{pad}{value}{pad}{fence}"
    return out.replace("|", "\\|") if in_table else out


def blob_url(repo: RepoInfo, path: str, line: int) -> str | None:
    """Web URL of ``path`` (relative to the scanned root) at the report's commit, or None.

    GitHub (and hosts laid out like it) get ``/blob/COMMIT/PATH#L10``; GitLab gets
    ``/-/blob/``. Only ``https://`` remotes are linked.
    """
    if not repo.remote or not repo.commit:
        return None
    remote = repo.remote.strip().rstrip("/")
    remote = remote.removesuffix(".git")
    parts = urlsplit(remote)
    if parts.scheme != "https" or not parts.netloc:
        return None
    full = posixpath.join(repo.prefix.strip("/"), path) if repo.prefix.strip("/") else path
    blob = "/-/blob/" if "gitlab" in parts.netloc.lower() else "/blob/"
    url = f"{remote}{blob}{quote(repo.commit, safe='')}/{quote(full)}"
    if line > 0:
        url += f"#L{line}"
    return url


def location(repo: RepoInfo, evidence: Evidence) -> str:
    """``[`path:line`](url)`` when a URL can be built, else ``path:line`` in code."""
    label = code(evidence.location)
    url = link_target(blob_url(repo, evidence.path, evidence.line))
    return f"[{label}]({url})" if url else label


def _evidence_list(repo: RepoInfo, evidence: Sequence[Evidence], indent: str) -> list[str]:
    out = []
    for e in evidence:
        line = f"{indent}- {location(repo, e)}"
        if e.text:
            line += f" {code(e.text)}"
        out.append(line)
    return out


def _details(summary: str, body: list[str]) -> list[str]:
    return ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>"]


@dataclass(frozen=True)
class _Block:
    """An action's lines."""

    lines: tuple[str, ...]
    details: tuple[str, ...] = ()
    """Left out at the ``details`` step."""


def _action(report: Report, action: Action) -> _Block:
    """One action: its line and properties, and the evidence and removable lists (which
    can be left out when the report is too long)."""
    kind = ACTION_TITLE[action.kind]
    main = [
        f"- **[{action.severity.value}]** {kind} **{code(action.target)}**: {text(action.because)}"
    ]
    for key, value in sorted(action.properties):
        main.append(f"  - {text(key)}: {text(value)}")
    out: list[str] = []
    if action.evidence:
        out.append("  - evidence:")
        out.extend(_evidence_list(report.repository, action.evidence, "    "))
    if action.removable:
        items = [f"- {code(item)}" for item in action.removable]
        if len(items) > FOLD_AFTER:
            out.append("")
            out.extend(
                "  " + line if line else ""
                for line in _details(f"Goes with it ({len(items)})", items)
            )
            out.append("")
        else:
            out.append("  - goes with it:")
            out.extend("    " + line for line in items)
    return _Block(tuple(main), tuple(out))


def _summary(report: Report) -> list[str]:
    policy = text(report.policy.name)
    policy_url = link_target(report.policy.source_url)
    if policy_url:
        policy = f"[{policy}]({policy_url})"
    facts = [f"policy {policy}"]
    facts.append(f"as of {text(report.as_of)}" if report.as_of else "as of today")
    if report.repository.commit:
        facts.append(f"commit {code(report.repository.commit[:12])}")
    n = len(component_ids(report))
    facts.append(f"{n} component{'s' if n != 1 else ''}")
    facts.append(text(decisions_line(report)))
    counts = status_counts(report)
    table = ["| verdict | components |", "|:--|--:|"]
    table.extend(f"| {s.value} | {counts[s.value]} |" for s in STATUS_ORDER if counts[s.value])
    outcome = [f"**{text(report.outcome.reason)}**", ""] if report.outcome else []
    return [*outcome, " · ".join(facts), "", *table]


def _components(report: Report) -> list[str]:
    body = [
        "| component | license | context | distribution | verdict |",
        "|:--|:--|:--|:--|:--|",
    ]
    for cid, _comp, result in rows(report):
        if result is None:
            body.append(f"| {code(cid, in_table=True)} | | | | |")
            continue
        verdict = result.verdict.status.value
        if result.verdict.exception:
            verdict += f" ({cell(result.verdict.exception)})"
        if result.verdict.election:
            verdict += f", elected {cell(result.verdict.election)}"
        lic = result.license.expression
        body.append(
            f"| {code(cid, in_table=True)} | {cell(lic) if lic else 'unknown'} | "
            f"{cell(result.context)} | {cell(result.distribution)} | {verdict} |"
        )
    return _details(f"Components ({len(component_ids(report))})", body)


@dataclass(frozen=True)
class _Parts:
    """The report's sections, rendered once; :func:`_assemble` joins what is kept."""

    head: tuple[str, ...]
    actions: tuple[tuple[str, tuple[_Block, ...]], ...]
    """(title, blocks): one group, the decisions in priority order."""
    optional: dict[str, tuple[str, ...]]
    """components, warnings, notes -> their lines (absent when empty)."""
    counts: dict[str, int]

    @property
    def action_count(self) -> int:
        return sum(len(blocks) for _, blocks in self.actions)


@dataclass(frozen=True)
class _Cut:
    """What is left out."""

    sections: tuple[str, ...] = ()
    details: bool = False
    actions: int | None = None
    """Actions kept, in section order (None: all)."""


def _parts(report: Report) -> _Parts:
    # a project named after its folder is titled by the folder alone
    named = (
        report.project if report.project != posixpath.basename(report.root.rstrip("/")) else None
    )
    title = text(named) if named else code(report.root)
    head = [f"## depaudit: {title}", ""]
    if named:
        head[0] += f" ({code(report.root)})"
    head.extend(_summary(report))
    ordered = ordered_actions(report.actions)
    actions = ((DECISIONS, tuple(_action(report, a) for a in ordered)),) if ordered else ()
    optional: dict[str, tuple[str, ...]] = {}
    counts: dict[str, int] = {}
    optional["components"] = ("", *_components(report))
    counts["components"] = len(component_ids(report))
    if report.notes:
        body = []
        for note in report.notes:
            body.append(f"- **{text(note.title)}** ({len(note.items)}, {text(note.cause.value)})")
            for item in note.items[:NOTE_EXAMPLES]:
                body.append(f"  - {code(item.subject)}: {text(item.message)}")
            if len(note.items) > NOTE_EXAMPLES:
                body.append(f"  - … {len(note.items) - NOTE_EXAMPLES} more in the JSON report")
        title = f"Notes ({note_count(report)}): not decisions, by cause"
        optional["notes"] = ("", *_details(title, body))
        counts["notes"] = note_count(report)
    if report.warnings:
        body = [f"- {text(w)}" for w in report.warnings]
        optional["warnings"] = ("", *_details(f"Warnings ({len(report.warnings)})", body))
        counts["warnings"] = len(report.warnings)
    return _Parts(tuple(head), actions, optional, counts)


def _plural(n: int, one: str) -> str:
    return f"{n:,} {one if n == 1 else one + 's'}"


def _left_out(parts: _Parts, name: str) -> str:
    n = parts.counts.get(name, 0)
    return {
        "components": f"the components table ({_plural(n, 'component')})",
        "warnings": f"the warnings ({n:,})",
        "notes": f"the notes ({_plural(n, 'item')})",
        "details": 'the evidence and "goes with it" lists of the actions',
    }[name]


def _note(parts: _Parts, cut: _Cut, limit: int, full_report: str) -> str:
    phrases = [_left_out(parts, name) for name in cut.sections]
    if cut.details:
        phrases.append(_left_out(parts, "details"))
    total = parts.action_count
    if cut.actions is not None and cut.actions < total:
        gone = total - cut.actions
        last = f"the last {gone:,} of {total:,} decisions"
        phrases.append(f"all {total:,} decisions" if cut.actions == 0 else last)
    listed = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    return (
        f"> **This report is shortened to fit in {limit:,} characters.** Left out: {listed}. "
        f"For the full report, {full_report}."
    )


def _assemble(parts: _Parts, cut: _Cut, limit: int, full_report: str) -> str:
    out = list(parts.head)
    if cut.sections or cut.details or cut.actions is not None:
        out.extend(["", _note(parts, cut, limit, full_report)])
    if not parts.actions:
        out.extend(["", "No decisions."])
    else:
        remaining = parts.action_count if cut.actions is None else cut.actions
        for title, blocks in parts.actions:
            if remaining <= 0:
                break
            shown = blocks[:remaining]
            remaining -= len(shown)
            count = (
                f"{len(blocks)}" if len(shown) == len(blocks) else f"{len(shown)} of {len(blocks)}"
            )
            out.extend(["", "### " + title.format(count), ""])
            for block in shown:
                out.extend(block.lines)
                if not cut.details:
                    out.extend(block.details)
    for name in ("components", "notes", "warnings"):
        if name in parts.optional and name not in cut.sections:
            out.extend(parts.optional[name])
    return "\n".join(out) + "\n"


def _fit(parts: _Parts, limit: int, full_report: str) -> str:
    """The whole report if it fits in ``limit`` characters, else the least cut one that does
    (cutting in :data:`CUT_ORDER`)."""
    cut = _Cut()
    whole = _assemble(parts, cut, limit, full_report)
    if len(whole) <= limit:
        return whole
    for name in _SECTIONS_CUT:
        if name in parts.optional:
            cut = replace(cut, sections=(*cut.sections, name))
            done = _assemble(parts, cut, limit, full_report)
            if len(done) <= limit:
                return done
    if any(b.details for _, blocks in parts.actions for b in blocks):
        cut = replace(cut, details=True)
        done = _assemble(parts, cut, limit, full_report)
        if len(done) <= limit:
            return done
    # The most actions that fit (the length grows with the number kept).
    low, high = 0, parts.action_count - 1
    best = None
    while low <= high:
        mid = (low + high) // 2
        done = _assemble(parts, replace(cut, actions=mid), limit, full_report)
        if len(done) <= limit:
            best, low = done, mid + 1
        else:
            high = mid - 1
    if best is not None:
        return best
    # Only a giant title can get here: cut the text itself, at a line when one is near.
    done = _assemble(parts, replace(cut, actions=0), limit, full_report)
    tail = "\n\n(cut)\n"
    kept = done[: limit - len(tail)]
    line_end = kept.rfind("\n")
    if line_end > len(kept) // 2:
        kept = kept[:line_end]
    return kept + tail


def render(report: Report, *, max_chars: int = MAX_CHARS, full_report: str = FULL_REPORT) -> str:
    """The report as Markdown, at most ``max_chars`` characters long (module docstring).

    ``full_report`` ends the note shown when parts are left out ("For the full report,
    …"): how the reader gets the whole report."""
    if max_chars < MIN_CHARS:
        raise ValueError(f"the Markdown size limit must be at least {MIN_CHARS} characters")
    return _fit(_parts(report), max_chars, full_report)
