"""A blanket-exception candidate laid out like the license exception request form: every
question of the form (:mod:`audit.issueform`), in order, with what the org run's evidence
answers — the projects, one component-table row per project's component (the form's own
header), the license, each project's evidence lines and why the code runs where it does —
and ``TODO:`` for what only people can answer (as :mod:`audit.request` does for one
project)."""

from __future__ import annotations

from audit.issueform import FieldType, FormField, IssueForm
from audit.org.crossreport import Candidate, Need
from audit.request import DEFAULT_HEADER, TODO


def candidate_answers(candidate: Candidate, form: IssueForm) -> tuple[tuple[str, str], ...]:
    """``(label, answer)`` for each question of ``form``."""
    return tuple((f.label, _answer(candidate, form, f)) for f in form.questions)


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _column(need: Need, column: str) -> str:
    name = column.strip().lower()
    if name == "component":
        return f"{need.project}: {need.component}"
    if name == "project usage url":
        where = ", ".join(e.where() for e in need.evidence[:3])
        more = len(need.evidence) - 3 + need.more_evidence
        return where + (f" and {more} more" if more > 0 else "") + f" ({need.repository})"
    if name == "license(s)":
        return need.expression
    if name == "purpose":
        return need.purpose or f"{TODO} what it does"
    return f"{TODO} {column}"


def component_table(candidate: Candidate, header: tuple[str, ...]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for n in candidate.needs:
        lines.append("| " + " | ".join(_cell(_column(n, c)) for c in header) + " |")
    return "\n".join(lines)


def evidence_text(candidate: Candidate) -> str:
    """Each project's components, why they run in the context, and their evidence lines."""
    parts = [
        f"Needed in context `{candidate.context}` by {len(candidate.projects)} projects: "
        f"{', '.join(candidate.projects)}."
    ]
    for n in candidate.needs:
        parts.append(f"\n**{n.project}** `{n.component}` ({n.expression}; {n.repository})")
        if n.purpose:
            parts.append(f"- {n.purpose}")
        for e in n.evidence:
            text = f" `{e.text.replace('`', chr(39))}`" if e.text else ""
            parts.append(f"- {e.where()}{text}")
        if n.more_evidence:
            parts.append(f"- and {n.more_evidence} more lines (see the JSON report)")
    return "\n".join(parts)


def _answer(candidate: Candidate, form: IssueForm, field: FormField) -> str:
    fid = field.id
    if fid == "project_name":
        return f"Blanket exception for {len(candidate.projects)} projects: " + ", ".join(
            candidate.projects
        )
    if fid in ("component_details", "introduction"):
        return component_table(candidate, form.table_header or DEFAULT_HEADER)
    if fid == "name":
        return candidate.license
    if fid == "inclusion_method_explanation":
        return evidence_text(candidate)
    if fid == "interaction_explanation":
        return "\n".join(
            f"- **{n.project}** `{n.component}`: {n.purpose or TODO}" for n in candidate.needs
        )
    if field.type in (FieldType.CHECKBOXES, FieldType.DROPDOWN):
        return f"{TODO} choose for the projects ({', '.join(field.options[:3])}…)"
    return f"{TODO} answer this question"
