"""What each command imports before it does its work (start-up cost), pinned by module name.

Each case runs the command line's ``main`` in a fresh interpreter and reads ``sys.modules``
afterwards; no time is measured (bench/run.py does that). ``--version`` must not load the
data model, the policy, the pipeline or any parser; ``license`` loads the policy and the
SPDX machinery but nothing that scans a tree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audit.scanners import MODULES

_PROBE = """
import json, sys
from audit.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""

VERSION_AUDIT_MODULES = {"audit", "audit.cli", "audit.errors", "audit.gcpause", "audit.vocabulary"}
"""Every depaudit module that ``depaudit --version`` loads: the command line and the
modules it imports at the top (its error type, the collector's tuning, the word lists its
option parser offers). ``--version`` alone is answered before the parser is built."""

NEVER_FOR_LICENSE = {
    "audit.pipeline",
    "audit.scan",
    "audit.scanners",
    "audit.shell",
    "audit.bundled",
    "audit.cmake_graph",
    "audit.http",
    "audit.actions",
    "audit.report.diff",
    "audit.report.markdown",
    "bashlex",
    "yaml",
    "requests",
}
"""Packages that evaluating one expression has no use for."""


def _imported(*argv: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, check=True
    )
    modules: list[str] = json.loads(done.stdout.splitlines()[-1])
    return set(modules)


def _top(modules: set[str], names: set[str]) -> set[str]:
    """Those of ``names`` that ``modules`` holds, or holds a submodule of."""
    return {n for n in names if any(m == n or m.startswith(n + ".") for m in modules)}


def test_version_loads_only_the_command_line() -> None:
    modules = _imported("--version")
    assert {m for m in modules if m == "audit" or m.startswith("audit.")} == VERSION_AUDIT_MODULES
    assert (
        _top(
            modules,
            {"license_expression", "bashlex", "yaml", "requests", "packaging", "dataclasses"},
        )
        == set()
    )


@pytest.mark.parametrize("argv", [("license", "MIT"), ("license", "GPL-2.0-only OR MIT")])
def test_license_loads_the_policy_and_nothing_that_scans(argv: tuple[str, ...]) -> None:
    modules = _imported(*argv)
    # license_expression too unless an earlier run kept its readings (audit/spdxcache.py)
    assert {"audit.policy.engine", "audit.spdx"} <= modules
    assert _top(modules, NEVER_FOR_LICENSE) == set()


def test_version_alone_and_through_the_parser_print_the_same(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from audit import __version__
    from audit.cli import build_parser, main

    assert main(["--version"]) == 0
    alone = capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["--version"])
    assert exit_info.value.code == 0
    assert alone == capsys.readouterr().out == f"depaudit {__version__}\n"


WARM_SCAN_NEVER = {
    "audit.scanners.notices",
    "audit.licenses.texts",
    "audit.licenses.matcher",
    "audit.shell.interpreter",
    "audit.shell.commands",
    "audit.shell.parse",
    "audit.scanners.dockerfile_text",
}
"""What reads files: a warm scan, whose results come from the scan cache, has no use for
the notices scanner (the later stages ask :mod:`audit.scanners.notice_files` which files
hold notices) or for the shell interpreter (the CI stage's readings are kept too, and
audit/cirun.py holds the words it shares with the shell reader)."""


NO_SOURCES_NEVER = {"audit.archive", "tarfile", "zipfile"}
"""What following bundled sources needs (archives extracted): a tree whose configuration
names none, as most, loads none of it, cold or warm."""


def _tree_with_every_reader(root: Path) -> Path:
    """A small tree whose cold scan loads each module of :data:`WARM_SCAN_NEVER`: notices
    (a license file, tagged and untagged sources), a Dockerfile with a RUN, a CMake file,
    and a workflow whose steps run ``make`` and a script of the repository; and a broken
    symbolic link (a file the scan skips: whether that leaves a gap is kept too). Its files are
    dated a day back: the scan cache trusts a file's time only once it has settled."""
    files = {
        "LICENSE": "MIT License\n\nCopyright (c) 2024 Example\n",
        "src/a.c": "// SPDX-License-Identifier: Apache-2.0\nint a;\n",
        "src/b.c": "/* no notice */\nint b;\n",
        "CMakeLists.txt": "cmake_minimum_required(VERSION 3.12)\nproject(x C)\n",
        "Dockerfile": "FROM alpine:3.19\nRUN apk add --no-cache curl\n",
        "Makefile": "build:\n\tpip install requests==2.31.0\n",
        "hack/build.sh": (
            "#!/bin/sh\nwhile read -r t; do go install example.com/tool@v1.2.3; done\n"
        ),
        ".github/workflows/ci.yml": (
            "on: push\njobs:\n  build:\n    runs-on: ubuntu-22.04\n    steps:\n"
            "      - uses: actions/checkout@v4\n"
            "      - run: cmake -DBUILD_X=ON .\n"
            "      - run: make build\n"
            "      - run: ./hack/build.sh\n"
        ),
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        os.utime(path, (time.time() - 86400,) * 2)
    (root / "rules").symlink_to("missing")  # a file the scan skips, as in falco-0.35.1
    return root


def test_warm_scan_loads_no_file_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPAUDIT_CACHE_DIR", str(tmp_path / "cache"))
    root = str(_tree_with_every_reader(tmp_path / "tree"))
    cold = _imported("scan", root, "--offline", "-o", str(tmp_path / "cold.txt"))
    warm = _imported("scan", root, "--offline", "-o", str(tmp_path / "warm.txt"))
    assert _top(cold, WARM_SCAN_NEVER) == WARM_SCAN_NEVER
    assert _top(warm, {*WARM_SCAN_NEVER, "bashlex"}) == set()
    assert _top(cold, NO_SOURCES_NEVER) == _top(warm, {*NO_SOURCES_NEVER, "tempfile"}) == set()
    # a scan reading fewer files than forking pays for (here: all) does not load it
    assert _top(cold, {"audit.forked"}) == _top(warm, {"audit.forked"}) == set()
    assert {"audit.scanners.notice_files", "audit.cirun", "audit.scan"} <= warm
    assert (tmp_path / "warm.txt").read_text() == (tmp_path / "cold.txt").read_text()


NO_CACHE_NEVER = {"shutil", "bz2", "lzma", "hashlib", "_hashlib", "sqlite3", "_sqlite3"}
"""What a scan without the cache has no use for: :mod:`shutil` (and the compression
modules it imports), which argparse and the text report's width would import only to ask
the terminal's width (audit/cli.py ``_terminal_columns``), OpenSSL's hashes, which
only hashing file contents for the cache needs (audit/keyhash.py), and, offline with no
HTTP cache file, SQLite (audit/httpindex.py ``sqlite_errors``)."""


def test_scan_without_the_cache_loads_no_shutil_or_openssl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPAUDIT_CACHE_DIR", str(tmp_path / "cache"))
    root = str(_tree_with_every_reader(tmp_path / "tree"))
    out = tmp_path / "report.txt"
    # the first run in a cache directory builds the license data's files (tempfile, shutil)
    _imported("scan", root, "--offline", "--no-cache", "-o", str(out))
    modules = _imported("scan", root, "--offline", "--no-cache", "-o", str(out))
    assert _top(modules, NO_CACHE_NEVER) == set()
    summary = " ".join(out.read_text().split())  # the report wraps the root's long path
    assert "6 components; 1 has an unknown license, 3 not required, 2 allowed" in summary
    _imported("license", "MIT")  # keeps its readings: that writes files (tempfile, shutil)
    assert _top(_imported("license", "MIT"), NO_CACHE_NEVER) == set()


@pytest.mark.parametrize("columns", [None, "60", "200", "0", "-5", "abc", ""])
def test_terminal_columns_as_shutil_tells_them(
    columns: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from audit.cli import _terminal_columns

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.setenv("LINES", "40")  # shutil asks the terminal only for what is unset
    assert _terminal_columns() == shutil.get_terminal_size().columns
    assert _terminal_columns() == (int(columns) if columns in ("60", "200") else 80)


@pytest.mark.parametrize(
    "argv",
    [
        ["scan", "."],
        ["--debug", "scan", "tree", "--offline", "--no-cache", "-o", "out.json", "-j", "2"],
        ["inventory", "tree", "-f", "cyclonedx"],
        ["license", "MIT", "--context", "kernel-module"],
        ["explain", "zlib", "tree", "--as-of", "2024-01-02"],
        ["request", "tree", "--component", "x"],
        ["history", "--limit", "3"],
        ["diff", "-2", "--repository", "r"],
        ["org", "repos", "--scan", "--offline"],
    ],
)
def test_the_parser_of_one_command_parses_as_the_whole_parser(argv: list[str]) -> None:
    """The command line adds only the options of the command it runs (argparse takes about
    3 ms to add every command's): the same arguments come out."""
    from audit.cli import build_parser, command_of

    assert command_of(argv) == next(a for a in argv if not a.startswith("-"))
    whole = vars(build_parser().parse_args(argv))
    one = vars(build_parser(command_of(argv)).parse_args(argv))
    assert one == whole


def test_the_parser_of_one_command_adds_no_other_command_options() -> None:
    from audit.cli import build_parser, command_of

    assert command_of(["--debug", "--help"]) is None
    assert command_of(["sacn", "."]) is None
    sub = build_parser("scan")._subparsers._group_actions[0]  # type: ignore[union-attr]
    options = {name: len(p._actions) for name, p in sub.choices.items()}
    assert list(options) == [
        "scan", "inventory", "license", "explain", "request", "history", "diff", "org"
    ]  # fmt: skip
    assert options["scan"] > 20
    assert {n for n, count in options.items() if count > 1} == {"scan"}  # only --help else


def test_a_forking_scan_loads_no_pure_python_pickler_and_only_its_scanners(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The forked copies send their results with the C pickler (``_pickle``): ``pickle``'s
    own module (its pure-Python classes, 1.3 ms to import) is not loaded; and only the
    scanners of the formats the tree has are imported (no go.mod, package.json, lockfile,
    pyproject.toml... here)."""
    monkeypatch.setenv("DEPAUDIT_CACHE_DIR", str(tmp_path / "cache"))
    root = _tree_with_every_reader(tmp_path / "tree")
    for n in range(200):  # enough files for the scan to fork (ScanSettings.fork_min_files)
        (root / "src" / f"f{n}.c").write_text(f"int f{n};\n")
    out = tmp_path / "report.txt"
    argv = ("scan", str(root), "--offline", "--no-cache", "-j", "2", "-o", str(out))
    _imported(*argv)  # the first run in a cache directory builds the license data's files
    modules = _imported(*argv)
    assert {"audit.forked", "_pickle"} <= modules
    assert "pickle" not in modules
    # the scanners of the formats the tree has (audit.scanners.preload), not the others
    assert {m for m in modules if m.startswith("audit.scanners.")} & set(MODULES) == {
        "audit.scanners.circleci",
        "audit.scanners.github_actions",
        "audit.scanners.gitlab",
        "audit.scanners.dockerfile",
        "audit.scanners.requirements",  # asked about CMakeLists.txt (names: *.txt)
        "audit.scanners.cmake",
        "audit.scanners.notices",
        "audit.scanners.uapi",
    }
    summary = " ".join(out.read_text().split())
    assert "6 components; 1 has an unknown license, 3 not required, 2 allowed" in summary
