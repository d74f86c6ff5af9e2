"""One ``depaudit org`` run: a task per repository out to the executor, each outcome
recorded in the history database as it comes back."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from audit import __version__
from audit.history import open_history
from audit.org import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT
from audit.org.executors import ExecutorSpec, run_tasks
from audit.org.store import RepoRow, newest_runs, record_outcome, start_org_run
from audit.org.targets import Target
from audit.org.task import RepoOutcome, RepoTask

LOCAL = ExecutorSpec("local")


@dataclass(frozen=True)
class OrgSettings:
    """How ``depaudit org`` runs."""

    scan_args: tuple[str, ...] = ()
    """``depaudit scan`` options every repository is audited with."""
    as_of: date | None = None
    """The scan's ``--as-of``; None: today (then a run on another day audits again)."""
    executor: ExecutorSpec = LOCAL
    jobs: int = 2
    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB


@dataclass(frozen=True)
class OrgRun:
    """What one ``depaudit org`` run did, per repository (sorted by name)."""

    id: int
    rows: tuple[RepoRow, ...]


def options_digest(settings: OrgSettings, cwd: Path) -> str:
    """Everything but the tree a repository's result depends on: depaudit's code and data
    (the scan cache's fingerprint), the scan options, the bytes of every file they name,
    and the as-of date (today's when none is given)."""
    from audit.scancache import fingerprint

    h = hashlib.sha256(f"{__version__}\0{fingerprint()}\0".encode())
    h.update(f"as-of\0{(settings.as_of or date.today()).isoformat()}\0".encode())
    for arg in settings.scan_args:
        h.update(f"arg\0{arg}\0".encode())
        path = cwd / arg
        if path.is_file():
            h.update(hashlib.sha256(path.read_bytes()).hexdigest().encode())
    return h.hexdigest()


def run_org(
    targets: Sequence[Target],
    settings: OrgSettings,
    db: Path,
    *,
    progress: Callable[[RepoRow], None] | None = None,
) -> OrgRun:
    """Audit every target (skipping those unchanged since their newest run in ``db``) and
    record each outcome there."""
    cwd = Path.cwd()
    digest = options_digest(settings, cwd)
    by_name = {t.name: t for t in targets}
    with open_history(db, create=True) as conn:
        known = newest_runs(conn, list(by_name))
        org_run = start_org_run(
            conn,
            {
                "scan_args": list(settings.scan_args),
                "executor": settings.executor.kind,
                "repositories": len(targets),
            },
        )
        tasks = [
            RepoTask(
                name=t.name,
                location=t.location,
                ref=t.ref,
                scan_args=settings.scan_args,
                options_digest=digest,
                known_digest=known[t.name].input_digest if t.name in known else None,
                timeout=settings.timeout,
                memory_mb=settings.memory_mb,
                cwd=os.fspath(cwd),
            )
            for t in targets
        ]
        rows: list[RepoRow] = []
        outcome: RepoOutcome
        for outcome in run_tasks(settings.executor, tasks, settings.jobs):
            target = by_name[outcome.name]
            row = record_outcome(conn, org_run, target.describe(), outcome, known.get(outcome.name))
            rows.append(row)
            if progress is not None:
                progress(row)
    return OrgRun(org_run, tuple(sorted(rows, key=lambda r: r.repository)))
