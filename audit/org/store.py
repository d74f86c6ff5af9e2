"""``depaudit org``'s runs in the history database (:mod:`audit.history`, schema 2).

A repository's audit is an ordinary run of the ``runs`` table with its ``repository`` key
and ``input_digest`` (so ``depaudit history --repository NAME`` and ``depaudit diff
--repository NAME`` work per repository); one ``org_runs`` row per ``depaudit org`` run and
one ``org_repositories`` row per repository in it say what happened to each: audited (the
run it recorded), skipped (the earlier run it still stands on), or failed (why).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from audit.history import now_utc, record_document
from audit.org.task import RepoOutcome, RepoStatus


@dataclass(frozen=True)
class Known:
    """A repository's newest recorded run."""

    run_id: int
    input_digest: str | None
    exit_code: int | None


@dataclass(frozen=True)
class RepoRow:
    """One repository of one ``depaudit org`` run, as recorded."""

    repository: str
    location: str
    status: str
    run_id: int | None
    input_digest: str | None
    commit: str | None
    exit_code: int | None
    error: str | None
    seconds: float
    attempts: int


def newest_runs(conn: sqlite3.Connection, names: Sequence[str]) -> dict[str, Known]:
    """The newest recorded run of each repository in ``names`` that has one."""
    found: dict[str, Known] = {}
    for name in names:
        row = conn.execute(
            "SELECT id, input_digest FROM runs WHERE repository = ? ORDER BY id DESC LIMIT 1",
            (name,),
        ).fetchone()
        if row is None:
            continue
        code = conn.execute(
            "SELECT exit_code FROM org_repositories WHERE run_id = ? AND status = ? LIMIT 1",
            (row[0], RepoStatus.AUDITED.value),
        ).fetchone()
        found[name] = Known(int(row[0]), row[1], code[0] if code else None)
    return found


def start_org_run(conn: sqlite3.Connection, options: Mapping[str, Any]) -> int:
    cur = conn.execute(
        "INSERT INTO org_runs (recorded_at, options) VALUES (?, ?)",
        (now_utc(), json.dumps(dict(options), sort_keys=True)),
    )
    return int(cur.lastrowid or 0)


def record_outcome(
    conn: sqlite3.Connection,
    org_run: int,
    location: str,
    outcome: RepoOutcome,
    known: Known | None,
) -> RepoRow:
    """Record one repository's outcome (its report as a run when it was audited)."""
    run_id: int | None = None
    exit_code = outcome.exit_code
    if outcome.status is RepoStatus.AUDITED and outcome.document is not None:
        run_id = record_document(
            conn, json.loads(outcome.document), outcome.document, recorded_at=now_utc(),
            commit_date=outcome.commit_date, repository=outcome.name,
            input_digest=outcome.input_digest,
        )  # fmt: skip
    elif outcome.status is RepoStatus.SKIPPED and known is not None:
        run_id, exit_code = known.run_id, known.exit_code
    row = RepoRow(
        outcome.name, location, outcome.status.value, run_id, outcome.input_digest,
        outcome.commit, exit_code, outcome.error, outcome.seconds, outcome.attempts,
    )  # fmt: skip
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            """INSERT INTO org_repositories (org_run_id, repository, location, status, run_id,
                input_digest, commit_sha, exit_code, error, seconds, attempts)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (org_run, row.repository, row.location, row.status, row.run_id, row.input_digest,
             row.commit, row.exit_code, row.error, row.seconds, row.attempts),
        )  # fmt: skip
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return row


def org_run_ids(conn: sqlite3.Connection) -> tuple[int, ...]:
    return tuple(int(r[0]) for r in conn.execute("SELECT id FROM org_runs ORDER BY id"))


def org_rows(conn: sqlite3.Connection, org_run: int) -> tuple[RepoRow, ...]:
    """The repositories of one ``depaudit org`` run, sorted by name."""
    rows = conn.execute(
        """SELECT repository, location, status, run_id, input_digest, commit_sha, exit_code,
            error, seconds, attempts FROM org_repositories WHERE org_run_id = ?
            ORDER BY repository""",
        (org_run,),
    ).fetchall()
    return tuple(RepoRow(*r) for r in rows)
