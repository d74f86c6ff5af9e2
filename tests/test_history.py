"""The history store: schema and migrations, one transaction per run, WAL, two writers."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from report_fixtures import AVOCADO, COMMIT, REMOTE, falco_report, small_report

from audit import history
from audit.errors import InputError
from audit.report.json_report import render as render_json

TESTS = Path(__file__).parent
T1 = "2026-01-05T06:00:00+00:00"
T2 = "2026-01-12T06:00:00+00:00"


def _db(tmp_path: Path) -> Path:
    return tmp_path / ".depaudit" / "history.sqlite"


def test_record_and_read_back(tmp_path: Path) -> None:
    db = _db(tmp_path)
    with history.open_history(db, create=True) as conn:
        first = history.record(conn, falco_report(), recorded_at=T1, commit_date="2023-07-01")
        second = history.record(conn, small_report(), recorded_at=T2)
        runs = history.runs(conn)
        stored = history.load_run(conn, first)
    assert (first, second) == (1, 2)
    assert runs[0] == history.RunInfo(
        id=1,
        recorded_at=T1,
        root="examples/falco-2023",
        project="falco",
        commit=COMMIT,
        commit_date="2023-07-01",
        remote=REMOTE,
        tool_version="0.1.0",
        policy="cncf",
        policy_read_on="2023-07-01",
        as_of="2023-07-01",
        worst="needs-exception",
        components=8,
        by_status=(
            ("denied", 0),
            ("needs-exception", 3),
            ("unknown", 0),
            ("allowed-by-exception", 0),
            ("not-required", 2),
            ("allowed", 3),
        ),
        by_action=(
            ("remove", 1),
            ("replace", 1),
            ("request-exception", 2),
            ("add-curation", 0),
            ("fix-notice", 1),
            ("elect", 1),
        ),
    )
    assert runs[0].actions == 6
    assert runs[0].count("needs-exception") == 3
    assert (runs[1].id, runs[1].root, runs[1].commit, runs[1].worst, runs[1].actions) == (
        2,
        "svc",
        None,
        "denied",
        0,
    )
    assert stored.info == runs[0]
    assert stored.document == json.loads(render_json(falco_report()))


def test_indexed_rows(tmp_path: Path) -> None:
    db = _db(tmp_path)
    with history.open_history(db, create=True) as conn:
        run = history.record(conn, falco_report(), recorded_at=T1)
        comps = conn.execute(
            "SELECT component_id, kind, version, license, context, distribution, status "
            "FROM run_components WHERE run_id = ? AND component_id = ?",
            (run, AVOCADO),
        ).fetchall()
        n_comps = conn.execute("SELECT COUNT(*) FROM run_components").fetchone()[0]
        nodes = conn.execute("SELECT node_id, kind FROM run_nodes ORDER BY node_id").fetchall()
        actions = conn.execute(
            "SELECT position, action_key FROM run_actions ORDER BY position"
        ).fetchall()
    assert comps == [
        (
            AVOCADO,
            "package",
            "69.0",
            "GPL-2.0-or-later",
            "test",
            "internal-tooling",
            "not-required",
        )
    ]
    assert n_comps == 8
    assert nodes == [
        ("build-file:cmake/modules/falcosecurity-libs.cmake", "build-file"),
        ("ci-job:circleci/tests-integration", "ci-job"),
        ("dockerfile:docker/tester/Dockerfile", "dockerfile"),
        ("dockerfile:docker/ubi/Dockerfile", "dockerfile"),
        ("manifest:test/requirements.txt", "manifest"),
    ]
    assert actions == [
        (0, "replace:image:registry.access.redhat.com/ubi8/ubi:latest"),
        (1, "request-exception:source:driver"),
        (2, "request-exception:source:driver/bpf"),
        (3, "remove:pypi:avocado-framework@69.0"),
        (4, "fix-notice:source:driver/bpf"),
        (5, "elect:download:github.com/falcosecurity/libs@0.11.3"),
    ]


def test_schema_wal_and_busy_timeout(tmp_path: Path) -> None:
    db = _db(tmp_path)
    with history.open_history(db, create=True) as conn:
        assert history.schema_version(conn) == history.SCHEMA_VERSION == 2
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(2,)]
    with history.open_history(db) as conn:  # reopening migrates nothing twice
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(2,)]


def test_migrations_run_in_order_and_keep_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _db(tmp_path)
    with history.open_history(db, create=True) as conn:
        history.record(conn, small_report(), recorded_at=T1)
    v3 = (3, ("ALTER TABLE runs ADD COLUMN duration_ms INTEGER",))
    monkeypatch.setattr(history, "MIGRATIONS", (*history.MIGRATIONS, v3))
    monkeypatch.setattr(history, "SCHEMA_VERSION", 3)
    with history.open_history(db) as conn:
        assert history.schema_version(conn) == 3
        assert conn.execute("SELECT id, duration_ms FROM runs").fetchall() == [(1, None)]
        assert [r.id for r in history.runs(conn)] == [1]


@pytest.mark.parametrize(
    ("setup", "create", "message"),
    [
        ("missing", False, "no history database (record runs with `depaudit scan --history DB`)"),
        ("directory", True, "expected a history database file, found a directory"),
        ("garbage", True, "not a usable depaudit history database: file is not a database"),
        ("foreign", True, "not a depaudit history database (it has other tables)"),
        (
            "newer",
            True,
            "history schema 9 was written by a newer depaudit (this one reads up to 2)",
        ),
    ],
)
def test_refuses_what_it_cannot_use(tmp_path: Path, setup: str, create: bool, message: str) -> None:
    db = tmp_path / "h.sqlite"
    if setup == "directory":
        db.mkdir()
    elif setup == "garbage":
        db.write_bytes(b"this is not SQLite at all, just some text that is long enough" * 20)
    elif setup == "foreign":
        with sqlite3.connect(db) as other:
            other.execute("CREATE TABLE cache (key TEXT)")
        other.close()
    elif setup == "newer":
        with history.open_history(db, create=True) as conn:
            conn.execute("UPDATE schema_version SET version = 9")
    with pytest.raises(InputError) as err:
        history.connect(db, create=create)
    assert str(err.value) == f"{db}: {message}".replace("DB`", f"{db}`")


def test_a_failed_run_never_appears(tmp_path: Path) -> None:
    db = _db(tmp_path)
    doc = json.loads(render_json(falco_report()))
    del doc["actions"][3]["because"]  # the write fails on the fourth action row
    with history.open_history(db, create=True) as conn:
        with pytest.raises(KeyError):
            history.record_document(conn, doc, json.dumps(doc), recorded_at=T1)
        counts = [
            conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("runs", "run_components", "run_nodes", "run_actions")
        ]
        assert counts == [0, 0, 0, 0]
        assert not conn.in_transaction
        assert history.record(conn, small_report(), recorded_at=T2) == 1
        assert [r.recorded_at for r in history.runs(conn)] == [T2]


@pytest.mark.parametrize(
    ("ref", "expected"),
    [("1", 1), ("3", 3), ("-1", 3), ("latest", 3), ("-2", 2), ("previous", 2), ("-3", 1)],
)
def test_resolve_ref(tmp_path: Path, ref: str, expected: int) -> None:
    with history.open_history(_db(tmp_path), create=True) as conn:
        for when in (T1, T2, T2):
            history.record(conn, small_report(), recorded_at=when)
        assert history.resolve_ref(conn, ref) == expected


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("4", "no run 4 in the history (see `depaudit history`)"),
        ("-4", "run -4: the history holds 3 run(s)"),
        ("-0", "expected a run id (7), or -N counting back from the newest; got '-0'"),
        ("HEAD", "expected a run id (7), or -N counting back from the newest; got 'HEAD'"),
    ],
)
def test_resolve_ref_errors(tmp_path: Path, ref: str, message: str) -> None:
    with history.open_history(_db(tmp_path), create=True) as conn:
        for when in (T1, T2, T2):
            history.record(conn, small_report(), recorded_at=when)
        with pytest.raises(InputError) as err:
            history.resolve_ref(conn, ref)
    assert str(err.value) == message


def test_diff_pair(tmp_path: Path) -> None:
    with history.open_history(_db(tmp_path), create=True) as conn:
        with pytest.raises(InputError) as err:
            history.diff_pair(conn, None, None)
        assert str(err.value) == (
            "the history holds 0 run(s): a diff needs two "
            "(record another with `depaudit scan --history DB`)"
        )
        for when in (T1, T2, T2):
            history.record(conn, small_report(), recorded_at=when)
        assert history.diff_pair(conn, None, None) == (2, 3)
        assert history.diff_pair(conn, "1", None) == (1, 3)
        assert history.diff_pair(conn, "-1", "1") == (3, 1)


def test_commit_date_of_a_git_root(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "GIT_AUTHOR_DATE": "2023-07-14T10:20:30+02:00",
        "GIT_COMMITTER_DATE": "2023-07-14T10:20:30+02:00",
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(tmp_path),
    }
    (tmp_path / "README.md").write_text("x\n")
    for cmd in (["init", "-q"], ["add", "README.md"], ["commit", "-q", "-m", "first"]):
        subprocess.run(["git", *cmd], cwd=tmp_path, env=env, check=True, capture_output=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert history.commit_date(tmp_path, head) == "2023-07-14T10:20:30+02:00"
    assert history.commit_date(tmp_path, None) is None
    assert history.commit_date(tmp_path / "README.md", head) is None


def test_record_report_creates_the_database(tmp_path: Path) -> None:
    db = tmp_path / "deep" / "er" / "history.sqlite"
    runs = history.record_report(db, small_report(), tmp_path)
    assert [(r.id, r.root, r.commit_date) for r in runs] == [(1, "svc", None)]
    runs = history.record_report(db, small_report(), tmp_path)
    assert [r.id for r in runs] == [1, 2]


# Two processes writing at once ------------------------------------------------------------

RUNS_PER_WRITER = 8


def _writer(db: str, tests_dir: str, start: multiprocessing.synchronize.Barrier) -> None:
    sys.path.insert(0, tests_dir)
    from report_fixtures import falco_report as report

    from audit import history as h

    start.wait()
    for _ in range(RUNS_PER_WRITER):
        with h.open_history(Path(db), create=True) as conn:
            h.record(conn, report(), recorded_at=T1)


def test_two_writers_at_once_both_land(tmp_path: Path) -> None:
    db = _db(tmp_path)  # neither process finds it: both create and migrate it at once
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(2)
    procs = [ctx.Process(target=_writer, args=(str(db), str(TESTS), start)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    with history.open_history(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(2,)]
        assert [r.id for r in history.runs(conn)] == list(range(1, 2 * RUNS_PER_WRITER + 1))
        per_run = conn.execute(
            "SELECT run_id, COUNT(*) FROM run_components GROUP BY run_id ORDER BY run_id"
        ).fetchall()
        assert per_run == [(i, 8) for i in range(1, 2 * RUNS_PER_WRITER + 1)]
        actions = conn.execute("SELECT COUNT(*) FROM run_actions").fetchone()[0]
        assert actions == 2 * RUNS_PER_WRITER * 6
