"""Command-line conventions (issue 16, item 5): formats from --output's extension, outputs
checked before the audit, one-line errors with exit 2, --debug anywhere, choices in --help,
a project name that is never a path."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from audit.cli import build_parser, main
from audit.model import RepoInfo
from audit.repo import default_project_name


def _tree(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "requirements.txt").write_text("requests==2.31.0\n")
    return root


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("report.json", lambda t: json.loads(t)["schema"].startswith("depaudit/report")),
        ("sbom.cdx.json", lambda t: json.loads(t)["bomFormat"] == "CycloneDX"),
        ("sbom.spdx.json", lambda t: json.loads(t)["spdxVersion"] == "SPDX-2.3"),
        ("report.sarif", lambda t: json.loads(t)["version"] == "2.1.0"),
        ("report.md", lambda t: t.startswith("#")),
        ("report.html", lambda t: t.lstrip().lower().startswith("<!doctype html")),
        ("report.log", lambda t: "requests" in t and not t.lstrip().startswith("{")),
    ],
)
def test_format_from_the_output_extension(tmp_path: Path, name: str, check: object) -> None:
    root = _tree(tmp_path / "proj")
    out = tmp_path / name
    code = main(["scan", str(root), "--offline", "-o", str(out)])
    assert code in (0, 1)
    assert check(out.read_text(encoding="utf-8"))  # type: ignore[operator]


def test_several_outputs_each_from_its_extension(tmp_path: Path) -> None:
    root = _tree(tmp_path / "proj")
    a, b = tmp_path / "a.json", tmp_path / "b.spdx.json"
    assert main(["scan", str(root), "--offline", "-o", str(a), "-o", str(b)]) in (0, 1)
    assert "schema" in json.loads(a.read_text())
    assert "spdxVersion" in json.loads(b.read_text())


def test_inventory_json_from_extension(tmp_path: Path) -> None:
    root = _tree(tmp_path / "proj")
    out = tmp_path / "inv.txt"
    assert main(["inventory", str(root), "-o", str(out)]) == 0
    assert not out.read_text().lstrip().startswith("{")  # .txt names the text format


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("missing-dir/report.json", "missing-dir/report.json: cannot write: no such directory"),
        (".", ".: cannot write: is a directory"),
    ],
)
def test_unwritable_output_fails_before_the_audit(
    tmp_path: Path,
    output: str,
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = _tree(tmp_path / "proj")
    first = tmp_path / "first.json"
    monkeypatch.chdir(tmp_path)
    argv = ["scan", str(root), "--offline", "-o", str(first), "-o", output]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"depaudit: error: {message}"
    assert not first.exists()  # nothing written: the check came before the audit


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_read_only_directory_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _tree(tmp_path / "proj")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        assert main(["scan", str(root), "--offline", "-o", str(ro / "r.json")]) == 2
    finally:
        ro.chmod(0o700)
    assert capsys.readouterr().err.strip().endswith("r.json: cannot write: permission denied")


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["license", "MIT OR"],
            "depaudit: error: not an SPDX license expression: 'MIT OR' (cannot parse: OR requires"
            " two or more licenses as in: MIT OR BSD)",
        ),
        (
            ["license", "  "],
            "depaudit: error: not an SPDX license expression: '  ' (empty license expression)",
        ),
        (
            ["license", "MIT", "--as-of", "2023-13-45"],
            "depaudit: error: argument --as-of: expected a date as YYYY-MM-DD, got '2023-13-45'"
            " (see `depaudit license --help`)",
        ),
        (
            ["scan", ".", "--as-of", "yesterday"],
            "depaudit: error: argument --as-of: expected a date as YYYY-MM-DD, got 'yesterday'"
            " (see `depaudit scan --help`)",
        ),
        (
            ["license", "MIT", "--context", "kernel"],
            "depaudit: error: argument --context: invalid choice: 'kernel' (choose from"
            " 'kernel-module', 'ebpf', 'userspace', 'build', 'test', 'ci',"
            " 'documentation')"
            " (see `depaudit license --help`)",
        ),
    ],
)
def test_one_line_and_exit_2(
    argv: list[str], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [line]


@pytest.mark.parametrize(
    ("relpath", "content", "argv_tail", "line"),
    [
        (
            ".depaudit.toml",
            b"project = '\xff'\n",
            [],
            "depaudit: error: .depaudit.toml: not UTF-8 text",
        ),
        (
            "pyproject.toml",
            b"[tool.depaudit]\nproject = '\xfe'\n",
            [],
            None,  # the pyproject scanner reports it; the scan goes on without a depaudit table
        ),
        (
            "w.toml",
            b"[[waiver]]\nreason = '\xff'\n",
            ["--waivers", "{dir}/w.toml"],
            "w.toml: not UTF-8 text",
        ),
        ("c.toml", b"[[curation]]\ncomment = '\xff'\n", ["--curations", "{dir}/c.toml"], "c.toml"),
        ("p.toml", b"name = '\xff'\n", ["--policy", "{dir}/p.toml"], "p.toml: not UTF-8 text"),
        ("e.json", b'{"x": "\xff"}', ["--exceptions", "{dir}/e.json"], "e.json: not UTF-8 text"),
    ],
)
def test_bad_utf8_in_any_config_file(
    tmp_path: Path,
    relpath: str,
    content: bytes,
    argv_tail: list[str],
    line: str | None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = _tree(tmp_path / "proj")
    (root / relpath).write_bytes(content)
    tail = [a.replace("{dir}", str(root)) for a in argv_tail]
    code = main(["scan", str(root), "--offline", *tail])
    err = capsys.readouterr().err
    assert "internal error" not in err
    if line is None:
        assert code in (0, 1)
        return
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert line in err


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_before_and_after_the_subcommand(
    where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["license", "MIT OR"]
    argv = ["--debug", *argv] if where == "before" else [*argv, "--debug"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err  # --debug shows where the error came from
    assert err.rstrip().splitlines()[-1].startswith("depaudit: error: not an SPDX license")
    args = build_parser().parse_args(argv)
    assert args.debug is True


@pytest.mark.parametrize(
    ("command", "listed"),
    [
        ("scan", "output format: text, json, markdown, sarif, cyclonedx, spdx, html"),
        ("inventory", "output format: json, text"),
        (
            "license",
            "execution context: kernel-module, ebpf, userspace, build, test, ci, documentation",
        ),
        ("request", "output format: markdown, json"),
        ("diff", "output format: text, json, markdown"),
    ],
)
def test_choices_in_help(command: str, listed: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert listed in out


@pytest.mark.parametrize(
    ("repo", "expected"),
    [
        (RepoInfo(remote="https://github.com/falcosecurity/falco"), "falco"),
        (RepoInfo(remote="https://github.com/falcosecurity/falco", prefix="docker/tester"), "tree"),
        (RepoInfo(), "tree"),
    ],
)
def test_default_project_name(tmp_path: Path, repo: RepoInfo, expected: str) -> None:
    (tmp_path / "tree").mkdir()
    assert default_project_name(tmp_path / "tree", repo) == expected


def test_report_names_the_folder_not_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path / "my-project")
    out = tmp_path / "r.json"
    monkeypatch.chdir(root)
    assert main(["scan", ".", "--offline", "-o", str(out)]) in (0, 1)
    doc = json.loads(out.read_text())
    assert doc["project"] == "my-project"
    sbom = tmp_path / "s.cdx.json"
    assert main(["scan", ".", "--offline", "-o", str(sbom)]) in (0, 1)
    assert str(tmp_path) not in sbom.read_text()
    assert json.loads(sbom.read_text())["metadata"]["component"]["name"] == "my-project"
