"""Golden files: the whole text, JSON and request output of a scan of the bundled example.

The example is copied out of the repository first, so that the output does not depend on
the commit being tested. After an intended change, regenerate with
``DEPAUDIT_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from audit.cli import main

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "falco-2023"
GOLDEN = HERE / "golden"
UPDATE = os.environ.get("DEPAUDIT_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("golden") / "falco-2023"
    shutil.copytree(EXAMPLE, root, symlinks=True)
    return root


def _check(name: str, produced: str) -> None:
    golden = GOLDEN / name
    if UPDATE:
        golden.write_text(produced, encoding="utf-8")
    assert golden.exists(), f"missing {golden}: run with DEPAUDIT_UPDATE_GOLDEN=1"
    assert produced == golden.read_text(encoding="utf-8")


def _run(tree: Path, tmp_path: Path, *args: str) -> tuple[int, str]:
    out = tmp_path / "out"
    cwd = os.getcwd()
    os.chdir(tree.parent)
    try:
        code = main([*args, "--output", str(out)])
    finally:
        os.chdir(cwd)
    return code, out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("as_of", "code"),
    [("2023-08-03", 1), ("2024-03-01", 1)],
)
@pytest.mark.parametrize(("fmt", "ext"), [("text", "txt"), ("json", "json")])
def test_scan_golden(tree: Path, tmp_path: Path, as_of: str, code: int, fmt: str, ext: str) -> None:
    got, produced = _run(
        tree, tmp_path, "scan", "falco-2023", "--offline", "--as-of", as_of, "--format", fmt
    )
    assert got == code
    _check(f"scan-{as_of}.{ext}", produced)


def test_request_golden(tree: Path, tmp_path: Path) -> None:
    got, produced = _run(
        tree, tmp_path, "request", "falco-2023", "--offline", "--as-of", "2023-08-03"
    )
    assert got == 0
    _check("request-2023-08-03.md", produced)


def test_text_at_columns_100_and_quiet(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """COLUMNS=100: no line over 100 cells. --quiet: the summary, why the run failed and one
    line per decision, at most 15 lines; the report in a file leaves one line on stderr."""
    from rich.cells import cell_len

    monkeypatch.setenv("COLUMNS", "100")
    args = ("scan", "falco-2023", "--offline", "--as-of", "2023-08-03")
    code, full = _run(tree, tmp_path, *args)
    assert code == 1
    assert max(cell_len(line) for line in full.split("\n")) <= 100
    assert capsys.readouterr().err == (
        "depaudit: falco-2023: 43 components; 3 denied, 3 need an exception, 1 has an unknown "
        "license, 22 not required, 14 allowed; 7 decisions: 1 denied, 2 needs-exception, "
        "4 hygiene; 3 notes; exit 1: 3 decisions at or above needs-exception (1 replace, "
        f"2 request-exception); report in {tmp_path / 'out'}\n"
    )
    code, quiet = _run(tree, tmp_path, *args, "--quiet")
    assert code == 1
    assert quiet.split("\n") == [
        "falco-2023: 43 components; 3 denied, 3 need an exception, 1 has an unknown license, 22 "
        "not required,",
        "  14 allowed",
        "policy cncf (read 2026-11-23), as of 2023-08-03, project Falco",
        "exit 1: 3 decisions at or above needs-exception (1 replace, 2 request-exception)",
        "7 decisions: 1 denied, 2 needs-exception, 4 hygiene; 3 notes",
        "  1. [denied] replace image:registry.access.redhat.com/ubi8/ubi:latest",
        "  2. [needs-exception] request an exception for source:driver",
        "  3. [needs-exception] request an exception for source:driver/bpf",
        "  4. [hygiene] remove pypi:avocado-framework@69.0",
        "  5. [hygiene] fix the license notices of source:driver",
        "  6. [hygiene] fix the license notices of source:driver/bpf",
        "  7. [hygiene] fix the license notices of source:driver/modern_bpf",
        "",
    ]
    assert len(quiet.split("\n")) - 1 <= 15
