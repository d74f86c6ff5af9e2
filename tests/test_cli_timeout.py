"""``--timeout SECONDS``: the connect and read timeout of each HTTP request try.

The value reaches the HTTP client through ``run_audit``'s ``client`` (``scan``, ``explain``,
``request``) and the exceptions fetcher (``license``); a value that is not a positive
number stops the run with exit 2 and one line naming the option. Nothing here goes on the
wire: the runs are ``--offline``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import audit.http
from audit.cli import main


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, float]]:
    """The (connect, read) timeouts of each HTTP client the command line makes."""
    timeouts: list[tuple[float, float]] = []

    class Recording(audit.http.HttpClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            timeouts.append(self.timeout)

    monkeypatch.setattr(audit.http, "HttpClient", Recording)
    return timeouts


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "requirements.txt").write_text("requests==2.31.0\n")
    return tmp_path


@pytest.mark.parametrize("command", ["scan", "explain", "request"])
def test_timeout_reaches_the_audit_client(
    command: str, tree: Path, made: list[tuple[float, float]], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [command, *(["requests"] if command == "explain" else []), str(tree)]
    argv += ["--offline", "--timeout", "2.5", "-o", str(tree / "out")]
    main(argv)
    assert "Traceback" not in capsys.readouterr().err
    assert made == [(2.5, 2.5)]


def test_without_timeout_the_library_defaults_apply(
    tree: Path, made: list[tuple[float, float]]
) -> None:
    main(["scan", str(tree), "--offline", "--fail-on", "never", "-o", str(tree / "out")])
    assert made == []  # run_audit makes its own client: 5 s to connect, 20 s to read
    assert audit.http.HttpClient().timeout == (5.0, 20.0)


def test_timeout_reaches_the_exceptions_fetcher(
    made: list[tuple[float, float]], capsys: pytest.CaptureFixture[str]
) -> None:
    url = "https://exceptions.invalid/db.json"
    argv = ["license", "MIT", "--offline", "--timeout", "7", "--exceptions", url]
    assert main(argv) == 2  # offline and not in the cache
    assert "cannot fetch the exceptions database: offline" in capsys.readouterr().err
    assert made == [(7.0, 7.0)]


@pytest.mark.parametrize("value", ["0", "-1", "abc", "nan", "inf", "1e400", ""])
@pytest.mark.parametrize("command", ["scan", "license"])
def test_timeout_must_be_a_positive_number(
    value: str, command: str, tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = "MIT" if command == "license" else str(tree)
    assert main([command, target, "--offline", f"--timeout={value}"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        "depaudit: error: argument --timeout: expected a positive number of seconds, got"
        f" {value!r} (see `depaudit {command} --help`)"
    )
