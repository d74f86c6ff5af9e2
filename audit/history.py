"""The history of scheduled audits: each ``depaudit scan --history DB`` run, kept in SQLite.

One database file (e.g. ``.depaudit/history.sqlite``, kept as a CI cache or artifact) holds
every recorded run: when it was recorded, the commit and its date when the scanned root is
a git repository, the tool and policy versions, the full ``depaudit/report/1`` document, and
indexed rows for its components, consumer nodes and actions, so that ``depaudit history``
and ``depaudit diff`` answer without re-scanning.

Safety:

- The schema is versioned (table ``schema_version``) and migrated forward on open, inside
  one ``BEGIN IMMEDIATE`` transaction; a database written by a newer depaudit is refused.
- The database runs in WAL mode with a busy timeout, so that two runs writing at once
  wait for each other instead of failing, and readers never block writers.
- A run is written in one transaction: a run that fails half-way never appears.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from audit import __version__
from audit.errors import InputError
from audit.model import Report
from audit.safefile import depth_exceeds

DEFAULT_DB = Path(".depaudit") / "history.sqlite"
"""Where ``depaudit history`` and ``depaudit diff`` look without ``--db``."""

BUSY_TIMEOUT_MS = 30_000
"""How long a writer waits for another one before giving up."""

MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """CREATE TABLE runs (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                recorded_at TEXT NOT NULL,
                root TEXT NOT NULL,
                project TEXT,
                commit_sha TEXT,
                commit_date TEXT,
                remote TEXT,
                prefix TEXT NOT NULL DEFAULT '',
                tool_version TEXT NOT NULL,
                report_schema TEXT NOT NULL,
                policy_name TEXT NOT NULL,
                policy_source TEXT NOT NULL DEFAULT '',
                policy_read_on TEXT NOT NULL DEFAULT '',
                as_of TEXT,
                worst TEXT,
                summary TEXT NOT NULL,
                document TEXT NOT NULL
            )""",
            "CREATE INDEX runs_recorded_at ON runs (recorded_at)",
            """CREATE TABLE run_components (
                run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
                component_id TEXT NOT NULL,
                kind TEXT,
                name TEXT,
                version TEXT,
                license TEXT,
                context TEXT,
                distribution TEXT,
                status TEXT,
                PRIMARY KEY (run_id, component_id)
            ) WITHOUT ROWID""",
            "CREATE INDEX run_components_component ON run_components (component_id)",
            "CREATE INDEX run_components_status ON run_components (status)",
            """CREATE TABLE run_nodes (
                run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
                node_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                name TEXT NOT NULL,
                PRIMARY KEY (run_id, node_id)
            ) WITHOUT ROWID""",
            """CREATE TABLE run_actions (
                run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                action_key TEXT NOT NULL,
                kind TEXT NOT NULL,
                target TEXT NOT NULL,
                because TEXT NOT NULL,
                PRIMARY KEY (run_id, position)
            ) WITHOUT ROWID""",
            "CREATE INDEX run_actions_key ON run_actions (action_key)",
        ),
    ),
    (
        2,
        (
            # `depaudit org`: the repository a run audited (its key across an organisation)
            # and the digest of what went into it (tree or commit, configuration, options),
            # so that an unchanged repository is not audited again
            "ALTER TABLE runs ADD COLUMN repository TEXT",
            "ALTER TABLE runs ADD COLUMN input_digest TEXT",
            "CREATE INDEX runs_repository ON runs (repository, id)",
            """CREATE TABLE org_runs (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                recorded_at TEXT NOT NULL,
                options TEXT NOT NULL
            )""",
            """CREATE TABLE org_repositories (
                org_run_id INTEGER NOT NULL REFERENCES org_runs (id) ON DELETE CASCADE,
                repository TEXT NOT NULL,
                location TEXT NOT NULL,
                status TEXT NOT NULL,
                run_id INTEGER REFERENCES runs (id),
                input_digest TEXT,
                commit_sha TEXT,
                exit_code INTEGER,
                error TEXT,
                seconds REAL NOT NULL DEFAULT 0,
                attempts INTEGER NOT NULL DEFAULT 1,
                PRIMARY KEY (org_run_id, repository)
            ) WITHOUT ROWID""",
        ),
    ),
)
"""(version, statements) in order; each migration runs once, in the transaction that opens
the database, and the highest version applied is stored in ``schema_version``."""

SCHEMA_VERSION = MIGRATIONS[-1][0]


@dataclass(frozen=True)
class RunInfo:
    """One recorded run, as ``depaudit history`` lists it."""

    id: int
    recorded_at: str
    """When the run was recorded: ISO 8601, UTC, to the second."""
    root: str
    """The scanned path as given on the command line."""
    project: str | None
    commit: str | None
    """The commit scanned, when the root is in a git repository."""
    commit_date: str | None
    """Its committer date (ISO 8601), when known."""
    remote: str | None
    tool_version: str
    policy: str
    """The policy's name."""
    policy_read_on: str
    """When the policy's source was read to write it: its version."""
    as_of: str | None
    worst: str | None
    components: int
    by_status: tuple[tuple[str, int], ...]
    """Components per verdict status, worst first (as in the report's summary)."""
    by_action: tuple[tuple[str, int], ...]
    """Actions per kind, in the report's order."""
    repository: str | None = None
    """The repository's key when ``depaudit org`` recorded the run (None for ``scan``)."""

    @property
    def actions(self) -> int:
        return sum(n for _, n in self.by_action)

    def count(self, status: str) -> int:
        return dict(self.by_status).get(status, 0)


@dataclass(frozen=True)
class StoredRun:
    """A recorded run and its full report document (``depaudit/report/1``)."""

    info: RunInfo
    document: Mapping[str, Any]


# Opening and migrating -------------------------------------------------------------------


def connect(path: Path, *, create: bool) -> sqlite3.Connection:
    """Open (and, with ``create``, make) the history database at ``path``, migrated to
    :data:`SCHEMA_VERSION`; ``InputError`` when it is not one this depaudit can use."""
    where = str(path)
    if path.is_dir():
        raise InputError("expected a history database file, found a directory", path=where)
    if not path.exists():
        if not create:
            raise InputError(
                f"no history database (record runs with `depaudit scan --history {where}`)",
                path=where,
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the directory: {exc.strerror}", path=where) from None
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    except sqlite3.Error as exc:
        raise InputError(f"cannot open the history database: {exc}", path=where) from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        # Switching a new database to WAL takes an exclusive lock without waiting on the
        # busy handler, so two runs creating it at once retry rather than fail.
        _retry_locked(lambda: conn.execute("PRAGMA journal_mode = WAL"))
        _retry_locked(lambda: _migrate(conn, where))
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise InputError(f"not a usable depaudit history database: {exc}", path=where) from None
    except BaseException:
        conn.close()
        raise
    return conn


def _retry_locked(action: Callable[[], object]) -> None:
    """Run ``action``, again while SQLite says the database is locked, for up to the busy
    timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            action()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def _migrate(conn: sqlite3.Connection, where: str) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if "schema_version" not in tables:
            if tables - {"sqlite_sequence"}:
                raise InputError(
                    "not a depaudit history database (it has other tables)", path=where
                )
            conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
            conn.execute("INSERT INTO schema_version (version) VALUES (0)")
        row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        current = int(row[0] or 0)
        if current > SCHEMA_VERSION:
            raise InputError(
                f"history schema {current} was written by a newer depaudit "
                f"(this one reads up to {SCHEMA_VERSION})",
                path=where,
            )
        for version, statements in MIGRATIONS:
            if version <= current:
                continue
            for statement in statements:
                conn.execute(statement)
            conn.execute("UPDATE schema_version SET version = ?", (version,))
        conn.execute("COMMIT")
    except BaseException:
        _rollback(conn)
        raise


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def schema_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


@contextmanager
def open_history(path: Path, *, create: bool = False) -> Iterator[sqlite3.Connection]:
    """:func:`connect` as a context manager that closes the connection."""
    conn = connect(path, create=create)
    try:
        yield conn
    finally:
        conn.close()


# Writing -------------------------------------------------------------------------------


def now_utc() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def record(
    conn: sqlite3.Connection,
    report: Report,
    *,
    recorded_at: str | None = None,
    commit_date: str | None = None,
) -> int:
    """Store one run in one transaction and return its id."""
    from audit.report.json_report import dumps, report_document

    doc = report_document(report)
    return record_document(
        conn, doc, dumps(doc), recorded_at=recorded_at or now_utc(), commit_date=commit_date
    )


def record_document(
    conn: sqlite3.Connection,
    doc: Mapping[str, Any],
    text: str,
    *,
    recorded_at: str,
    commit_date: str | None = None,
    repository: str | None = None,
    input_digest: str | None = None,
) -> int:
    """Store a report document (``text`` is its JSON) as one run, in one transaction;
    ``repository`` and ``input_digest`` key a run of ``depaudit org``."""
    repo = doc.get("repository") or {}
    policy = doc.get("policy") or {}
    summary = doc.get("summary") or {}
    conn.execute("BEGIN IMMEDIATE")
    try:
        cur = conn.execute(
            """INSERT INTO runs (recorded_at, root, project, commit_sha, commit_date, remote,
                prefix, tool_version, report_schema, policy_name, policy_source,
                policy_read_on, as_of, worst, summary, document, repository, input_digest)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                recorded_at,
                doc.get("root") or "",
                doc.get("project"),
                repo.get("commit"),
                commit_date,
                repo.get("remote"),
                repo.get("prefix") or "",
                (doc.get("tool") or {}).get("version") or __version__,
                doc.get("schema") or "",
                policy.get("name") or "",
                policy.get("source_url") or "",
                policy.get("read_on") or "",
                doc.get("as_of"),
                summary.get("worst"),
                json.dumps(summary),
                text,
                repository,
                input_digest,
            ),
        )
        run_id = int(cur.lastrowid or 0)
        conn.executemany(
            """INSERT INTO run_components (run_id, component_id, kind, name, version, license,
                context, distribution, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                (
                    run_id,
                    c["id"],
                    c.get("kind"),
                    c.get("name"),
                    c.get("version"),
                    (c.get("license") or {}).get("expression"),
                    c.get("context"),
                    c.get("distribution"),
                    (c.get("verdict") or {}).get("status"),
                )
                for c in doc.get("components", [])
            ],
        )
        conn.executemany(
            "INSERT INTO run_nodes (run_id, node_id, kind, name) VALUES (?, ?, ?, ?)",
            [
                (run_id, n["id"], n.get("kind") or "", n.get("name") or "")
                for n in (doc.get("graph") or {}).get("nodes", [])
            ],
        )
        conn.executemany(
            """INSERT INTO run_actions (run_id, position, action_key, kind, target, because)
            VALUES (?, ?, ?, ?, ?, ?)""",
            [
                (run_id, i, f"{a['kind']}:{a['target']}", a["kind"], a["target"], a["because"])
                for i, a in enumerate(doc.get("actions", []))
            ],
        )
        conn.execute("COMMIT")
    except BaseException:
        _rollback(conn)
        raise
    return run_id


# Reading -------------------------------------------------------------------------------

MAX_SUMMARY_BYTES = 1024 * 1024
"""A stored summary longer than this is read as missing (it is a few hundred bytes)."""
MAX_STORED_DEPTH = 100
"""Stored JSON nested deeper than this is damaged (a report nests about 10 levels)."""
_RUN_COLUMNS = (
    "id, recorded_at, root, project, commit_sha, commit_date, remote, tool_version, "
    "policy_name, policy_read_on, as_of, worst, "
    f"CASE WHEN length(summary) <= {MAX_SUMMARY_BYTES} THEN summary END, repository"
)


def _json_table(text: Any) -> dict[str, Any] | None:
    """A JSON object stored in the database, or None when it is not one: the database may
    come with the scanned checkout, so a value can be of any type, malformed, or nested
    100,000 deep (``RecursionError`` in the decoder)."""
    if not isinstance(text, (str, bytes)):
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or depth_exceeds(data, MAX_STORED_DEPTH):
        return None
    return data


def _count(value: Any) -> int:
    """A stored count, 0 when it is not a non-negative integer."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _counts(value: Any) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, dict):
        return ()
    return tuple((str(k), _count(v)) for k, v in value.items())


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _info(row: Sequence[Any]) -> RunInfo:
    summary = _json_table(row[12]) or {}
    return RunInfo(
        id=_count(row[0]),
        recorded_at=_text(row[1]) or "",
        root=_text(row[2]) or "",
        project=_text(row[3]),
        commit=_text(row[4]),
        commit_date=_text(row[5]),
        remote=_text(row[6]),
        tool_version=_text(row[7]) or "",
        policy=_text(row[8]) or "",
        policy_read_on=_text(row[9]) or "",
        as_of=_text(row[10]),
        worst=_text(row[11]),
        components=_count(summary.get("components")),
        by_status=_counts(summary.get("by_status")),
        by_action=_counts(summary.get("by_action")),
        repository=_text(row[13]),
    )


def _of(repository: str | None) -> tuple[str, tuple[str, ...]]:
    """The WHERE clause (and its parameters) selecting one repository's runs, or all."""
    if repository is None:
        return "", ()
    return "WHERE repository = ?", (repository,)


def runs(
    conn: sqlite3.Connection, *, limit: int | None = None, repository: str | None = None
) -> tuple[RunInfo, ...]:
    """The recorded runs, oldest first; with ``limit``, only the newest ``limit``; with
    ``repository``, only the runs ``depaudit org`` recorded for that repository."""
    where, params = _of(repository)
    if limit is None:
        rows = conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs {where} ORDER BY id", params)
    else:
        rows = conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs {where} ORDER BY id DESC LIMIT ?",
            (*params, max(limit, 0)),
        )
    found = rows.fetchall()
    if limit is not None:
        found.reverse()
    return tuple(_info(r) for r in found)


def load_run(conn: sqlite3.Connection, run_id: int) -> StoredRun:
    """One run with its report document; ``InputError`` when there is no such run."""
    row = conn.execute(
        f"SELECT {_RUN_COLUMNS}, document FROM runs WHERE id = ?", (run_id,)
    ).fetchone()
    if row is None:
        raise InputError(f"no run {run_id} in the history (see `depaudit history`)")
    document = _json_table(row[14])
    if document is None:
        raise InputError(f"run {run_id} holds a damaged report document")
    return StoredRun(_info(row), document)


def resolve_ref(conn: sqlite3.Connection, ref: str, repository: str | None = None) -> int:
    """A run reference as the command line gives it, to a run id.

    ``7`` is run 7; ``-1`` (or ``latest``) is the newest run, ``-2`` (or ``previous``) the
    one before it, and so on (among ``repository``'s runs when it is given).
    """
    where, params = _of(repository)
    text = ref.strip().lower()
    text = {"latest": "-1", "last": "-1", "previous": "-2"}.get(text, text)
    if text.startswith("-") and text[1:].isdigit() and int(text[1:]) > 0:
        back = int(text[1:])
        row = conn.execute(
            f"SELECT id FROM runs {where} ORDER BY id DESC LIMIT 1 OFFSET ?", (*params, back - 1)
        ).fetchone()
        if row is None:
            total = conn.execute(f"SELECT COUNT(*) FROM runs {where}", params).fetchone()[0]
            raise InputError(f"run {ref}: the history holds {total} run(s)")
        return int(row[0])
    if text.isdigit():
        run_id = int(text)
        if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
            raise InputError(f"no run {run_id} in the history (see `depaudit history`)")
        return run_id
    raise InputError(f"expected a run id (7), or -N counting back from the newest; got {ref!r}")


def diff_pair(
    conn: sqlite3.Connection, a: str | None, b: str | None, repository: str | None = None
) -> tuple[int, int]:
    """The two run ids ``depaudit diff [A] [B]`` compares (``-N`` counting among
    ``repository``'s runs when it is given).

    Neither given: the two newest runs. Only ``A``: ``A`` against the newest.
    """
    where, params = _of(repository)
    if a is None:
        newest = conn.execute(
            f"SELECT id FROM runs {where} ORDER BY id DESC LIMIT 2", params
        ).fetchall()
        if len(newest) < 2:
            raise InputError(
                f"the history holds {len(newest)} run(s): a diff needs two "
                "(record another with `depaudit scan --history DB`)"
            )
        return int(newest[1][0]), int(newest[0][0])
    return resolve_ref(conn, a, repository), resolve_ref(
        conn, b if b is not None else "-1", repository
    )


# The repository ------------------------------------------------------------------------


def commit_date(root: Path, commit: str | None) -> str | None:
    """The committer date (ISO 8601) of ``commit`` in the repository at ``root``, or None."""
    from audit import repo

    return repo.commit_date(root, commit)


def record_report(db: Path, report: Report, root: Path) -> tuple[RunInfo, ...]:
    """Record ``report`` (a scan of ``root``) in the database at ``db``, creating it when
    needed; return every recorded run, oldest first (the new one last)."""
    when = commit_date(root, report.repository.commit)
    with open_history(db, create=True) as conn:
        try:
            record(conn, report, commit_date=when)
            return runs(conn)
        except sqlite3.Error as exc:
            raise InputError(f"cannot record the run: {exc}", path=str(db)) from None
