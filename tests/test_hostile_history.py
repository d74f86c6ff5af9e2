"""A history database that comes with the scanned checkout (the README's Action setup keeps
``.depaudit/history.sqlite`` in it) is hostile input: a summary or report document of the
wrong type, malformed, huge or nested 100,000 deep never ends ``history``, ``diff`` or the
HTML chart of ``scan --history`` in an internal error.

The database is a real one, recorded by depaudit, then tampered with; every run is a child
process under time and memory bounds (tests/bounds.py).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from bounds import run_depaudit

DEEP = "[" * 100_000 + "]" * 100_000
SUMMARIES = {
    "deep-array": DEEP,
    "deep-in-object": '{"by_status": ' + DEEP + "}",
    "not-json": "{not json",
    "a-list": "[1, 2]",
    "by-status-a-list": '{"by_status": [["denied", 3]]}',
    "counts-of-wrong-types": '{"components": "many", "by_status": {"denied": {"x": 1}, '
    '"unknown": 1e999, "allowed": -4, "needs-exception": true}, "by_action": {"remove": "2"}}',
    "an-integer-column": 42,
    "a-blob": b"\x00\xff",
    "empty": "",
    "huge": '{"pad": "' + "x" * (2 * 1024 * 1024) + '"}',
}
DOCUMENTS = {
    "deep": DEEP,
    "not-json": "{",
    "a-list": "[]",
    "wrong-types": '{"components": 5, "graph": {"nodes": "abc"}, "actions": {"a": 1}}',
    "wrong-typed-fields": '{"components": [{"id": "pypi:x@1", "kind": 3, '
    '"license": {"expression": ["MIT"]}, "verdict": {"status": {}}}]}',
}


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    """A history database with two runs of a small tree, recorded by depaudit."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "requirements.txt").write_text("x==1\n")
    db = tmp_path / "history.sqlite"
    for _ in range(2):
        ran = run_depaudit(
            ["scan", str(tree), "--offline", "--no-cache", "--history", str(db), "-f", "json"],
            cwd=tmp_path, env={"DEPAUDIT_CACHE_DIR": str(tmp_path / "cache")},
        )  # fmt: skip
        assert ran.code in (0, 1), ran.stderr
    return db


def _tamper(db: Path, column: str, value: object) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(f"UPDATE runs SET {column} = ? WHERE id = 1", (value,))


def _history(db: Path, cwd: Path, *args: str) -> tuple[int, str, str]:
    ran = run_depaudit([*args, "--db", str(db)], cwd=cwd, seconds=60, megabytes=1024)
    return ran.code, ran.stdout, ran.stderr


@pytest.mark.parametrize("case", sorted(SUMMARIES))
def test_a_damaged_summary_is_read_as_empty(recorded: Path, tmp_path: Path, case: str) -> None:
    _tamper(recorded, "summary", SUMMARIES[case])
    code, out, err = _history(recorded, tmp_path, "history", "-f", "json")
    assert (code, err) == (0, "")
    runs = json.loads(out)["runs"]
    assert [r["id"] for r in runs] == [1, 2]
    first, second = runs
    assert second["components"] == 1
    if case == "counts-of-wrong-types":
        assert first["components"] == 0
        assert first["by_status"] == {
            "denied": 0, "unknown": 0, "allowed": 0, "needs-exception": 0,
        }  # fmt: skip
        assert first["by_action"] == {"remove": 0}
    else:
        assert (first["components"], first["by_status"], first["by_action"]) == (0, {}, {})
    code, out, err = _history(recorded, tmp_path, "history")
    assert (code, err) == (0, "")
    assert len(out.splitlines()) == 3


@pytest.mark.parametrize("column", ["recorded_at", "root", "project", "commit_sha", "worst"])
def test_wrong_typed_columns_are_read_as_missing(
    recorded: Path, tmp_path: Path, column: str
) -> None:
    _tamper(recorded, column, b"\x1b[2J\x00")
    code, out, err = _history(recorded, tmp_path, "history", "-f", "json")
    assert (code, err) == (0, "")
    assert [r["id"] for r in json.loads(out)["runs"]] == [1, 2]
    code, out, _ = _history(recorded, tmp_path, "history")
    assert code == 0
    assert "\x1b" not in out


@pytest.mark.parametrize("case", sorted(DOCUMENTS))
def test_a_damaged_report_document_is_one_clear_error_or_read_as_empty(
    recorded: Path, tmp_path: Path, case: str
) -> None:
    _tamper(recorded, "document", DOCUMENTS[case])
    code, out, err = _history(recorded, tmp_path, "diff", "1", "2", "-f", "json")
    if case in ("deep", "not-json", "a-list"):
        assert (code, out) == (2, "")
        assert err == "depaudit: error: run 1 holds a damaged report document\n"
        return
    assert (code, err) == (0, ""), err
    doc = json.loads(out)
    added = [c["id"] for c in doc["components"]["added"]]
    assert added == ([] if case == "wrong-typed-fields" else ["pypi:x@1"])


def test_the_html_chart_over_a_damaged_history(recorded: Path, tmp_path: Path) -> None:
    _tamper(recorded, "summary", SUMMARIES["counts-of-wrong-types"])
    tree = tmp_path / "tree"
    ran = run_depaudit(
        ["scan", str(tree), "--offline", "--no-cache", "--history", str(recorded), "-f", "html"],
        cwd=tmp_path, env={"DEPAUDIT_CACHE_DIR": str(tmp_path / "cache")},
    )  # fmt: skip
    assert ran.code in (0, 1), ran.stderr
    assert ran.stdout.startswith("<!DOCTYPE html>")
