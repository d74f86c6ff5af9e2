"""What ``depaudit org`` prints about its run: one row per repository (text or JSON)."""

from __future__ import annotations

import json
from collections import Counter

from audit.org.run import OrgRun
from audit.org.store import RepoRow

SCHEMA = "depaudit/org-run/1"


def exit_code(org: OrgRun) -> int:
    """1 when a repository failed or has a decision at or above its ``--fail-on`` (its
    scan exited 1), else 0."""
    bad = any(r.status == "failed" or r.exit_code == 1 for r in org.rows)
    return 1 if bad else 0


def counts(org: OrgRun) -> dict[str, int]:
    by = Counter(r.status for r in org.rows)
    return {s: by.get(s, 0) for s in ("audited", "skipped", "failed")}


def _row_json(r: RepoRow) -> dict[str, object]:
    return {
        "repository": r.repository,
        "location": r.location,
        "status": r.status,
        "run": r.run_id,
        "exit_code": r.exit_code,
        "commit": r.commit,
        "input_digest": r.input_digest,
        "error": r.error,
        "seconds": r.seconds,
        "attempts": r.attempts,
    }


def render_run(org: OrgRun, db: str, fmt: str) -> str:
    if fmt == "json":
        doc = {
            "schema": SCHEMA,
            "org_run": org.id,
            "history": db,
            "counts": counts(org),
            "exit_code": exit_code(org),
            "repositories": [_row_json(r) for r in org.rows],
        }
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    c = counts(org)
    lines = [
        f"org run {org.id}: {len(org.rows)} repositories: {c['audited']} audited, "
        f"{c['skipped']} skipped (unchanged), {c['failed']} failed; history in {db}",
        "",
    ]
    table = [("repository", "status", "exit", "run", "seconds", "note")]
    for r in org.rows:
        note = r.error or ("retried after a lost worker" if r.attempts > 1 else "")
        table.append(
            (
                r.repository,
                r.status,
                "-" if r.exit_code is None else str(r.exit_code),
                "-" if r.run_id is None else str(r.run_id),
                f"{r.seconds:.1f}",
                note,
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(5)]
    for row in table:
        cells = [row[i].ljust(widths[i]) for i in range(5)]
        lines.append("  ".join([*cells, row[5]]).rstrip())
    return "\n".join(lines) + "\n"
