"""Work done here while forked copies scan (``meanwhile`` of audit.forked, audit.later).

A forked run calls its ``meanwhile`` job once, in this process, once the copies work and
before this process takes tasks; a run that does not fork does not call it. A
:class:`~audit.later.Later` is made once, early or when its value is asked, and raises a
failure where the value is asked. The pipeline makes what the stages after the scan need
of the file list alone that way: a run that forks and one that does not give the same
inventory, the job is done once either way, and the modules of the later stages are not
imported before the scan forks; the tree's CMake files are read and parsed then, once.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from audit import cmake_cli, cmake_graph, forked, scancache
from audit.bundled import CMakeReading, follow_bundled, read_cmake, tree_files
from audit.config import Config
from audit.discover import Candidate, discover
from audit.later import Later
from audit.model import Finding, Inventory
from audit.pipeline import AFTER_SCAN, _build_tree, build_inventory
from audit.scan import ScanSettings, _one_task_first, scan, scan_ahead, scan_settings

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


@pytest.fixture(autouse=True)
def _forkable(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process may fork here, whatever other tests loaded (no tree below that this
    process scans holds a Dockerfile: a copy that runs the Go parser can hang)."""
    monkeypatch.setattr(forked, "FORK_UNSAFE", ("a library that forbids forking",))
    assert forked.ready(), "another thread is running"


def _wait_for(path: Path) -> bool:
    for _ in range(3_000):  # a bounded wait, 30 s at most
        if path.exists():
            return True
        threading.Event().wait(0.01)
    return path.exists()


# forked.run and Feed.finish --------------------------------------------------------------


def test_run_calls_meanwhile_here_once_while_a_copy_takes_tasks(tmp_path: Path) -> None:
    """The job waits for a copy to have done a task: the copy works meanwhile, and this
    process takes the tasks left after the job."""
    here = os.getpid()
    calls: list[int] = []

    def work(i: int) -> tuple[int, int]:
        if os.getpid() != here:
            (tmp_path / "copy worked").touch()
        return i, os.getpid()

    def meanwhile() -> None:
        calls.append(os.getpid())
        assert _wait_for(tmp_path / "copy worked")

    results = forked.run(200, work, 2, meanwhile=meanwhile)
    assert results is not None
    assert [i for i, _ in results] == list(range(200))
    assert calls == [here]
    assert {pid for _, pid in results} - {here}  # a copy did tasks


def test_run_that_cannot_fork_does_not_call_meanwhile() -> None:
    calls: list[str] = []
    assert forked.run(10, lambda i: i, 1, meanwhile=lambda: calls.append("x")) is None
    assert calls == []


def test_an_error_of_meanwhile_is_raised_and_the_copies_stopped(
    copies_started: list[int],
) -> None:
    pids = copies_started

    def failing() -> None:
        raise ValueError("meanwhile failed")

    with pytest.raises(ValueError, match="meanwhile failed"):
        forked.run(100, lambda i: i, 2, meanwhile=failing)
    assert len(pids) == 1
    with pytest.raises(ChildProcessError):  # stopped and reaped
        os.waitpid(pids[0], os.WNOHANG)


def test_feed_finish_calls_meanwhile_here_once_before_the_results() -> None:
    feed = forked.Feed.start(lambda i: (i, b"here"), lambda i, task: (i, task), 2)
    assert feed is not None
    for i in range(50):
        feed.give(f"task {i}".encode())
    calls: list[int] = []
    results = feed.finish(lambda: calls.append(os.getpid()))
    assert calls == [os.getpid()]
    assert [i for i, _ in results] == list(range(50))


# audit.later.Later --------------------------------------------------------------------------


def test_later_is_made_once_early_or_when_asked() -> None:
    made: list[int] = []

    def make() -> int:
        made.append(1)
        return 42

    early = Later(make)
    early.run()
    early.run()
    assert (early.value(), early.value(), made) == (42, 42, [1])
    asked = Later(make)
    assert (asked.value(), made) == (42, [1, 1])


def test_later_raises_its_failure_where_the_value_is_asked() -> None:
    def make() -> int:
        raise ValueError("cannot make it")

    later = Later(make)
    later.run()  # kept, not raised here
    with pytest.raises(ValueError, match="cannot make it"):
        later.value()
    with pytest.raises(ValueError, match="cannot make it"):
        Later(make).value()


def test_later_raises_an_interruption_at_once_and_makes_the_value_when_asked() -> None:
    calls: list[int] = []

    def make() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return 7

    later = Later(make)
    with pytest.raises(KeyboardInterrupt):
        later.run()
    assert (later.value(), calls) == (7, [1, 1])


# The scan --------------------------------------------------------------------------------


def _tree(root: Path, count: int) -> Path:
    for i in range(count):
        sub = root / f"d{i % 5}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{i}.c").write_text(f"// SPDX-License-Identifier: MIT\nint f{i};\n")
    return root


def test_a_forked_scan_calls_meanwhile_once_one_process_not_at_all(tmp_path: Path) -> None:
    root = _tree(tmp_path / "t", 60)
    plain_calls: list[int] = []
    plain = scan(discover(root, use_git=False), meanwhile=lambda: plain_calls.append(1))
    calls: list[int] = []
    settings = ScanSettings(jobs=2, fork_min_files=1, chunk_files=8)
    found = scan(
        discover(root, use_git=False), settings=settings, meanwhile=lambda: calls.append(1)
    )
    assert found == plain
    assert (calls, plain_calls) == ([1], [])


def test_a_scan_started_during_the_walk_calls_meanwhile_once(tmp_path: Path) -> None:
    root = _tree(tmp_path / "t", 60)
    plain = scan(discover(root, use_git=False))
    settings = ScanSettings(jobs=2, ahead_min_files=0, fork_min_files=10, chunk_files=8)
    calls: list[int] = []
    with scan_ahead(root, settings) as ahead:
        assert ahead is not None
        found = discover(root, use_git=False, found=ahead.add)
        out = scan(found, settings=settings, ahead=ahead, meanwhile=lambda: calls.append(1))
    assert out == plain
    assert calls == [1]


# The pipeline --------------------------------------------------------------------------


def _project(root: Path) -> Path:
    _tree(root, 250)
    (root / "LICENSE").write_text("MIT License\n\nCopyright (c) 2024 Example\n")
    (root / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.12)\nproject(x C)\nadd_subdirectory(d1)\n"
    )
    (root / "d1" / "CMakeLists.txt").write_text("add_library(one f1.c)\n")
    return root


def _inventory(root: Path, jobs: int, meanwhile: object = None):  # type: ignore[no-untyped-def]
    settings = ScanSettings(jobs=jobs, fork_min_files=10, chunk_files=16)
    with scan_settings(settings):
        return build_inventory(root, Config(), meanwhile=meanwhile)  # type: ignore[arg-type]


def test_build_inventory_forked_or_not_gives_the_same_and_calls_meanwhile_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path / "p")
    runs: list[bool] = []
    run = forked.run

    def recorded(*args, **kwargs):  # type: ignore[no-untyped-def]
        results = run(*args, **kwargs)
        runs.append(results is not None)
        return results

    monkeypatch.setattr(forked, "run", recorded)
    one: list[int] = []
    two: list[int] = []
    alone = _inventory(root, 1, lambda: one.append(os.getpid()))
    assert runs == []
    forked_run = _inventory(root, 2, lambda: two.append(os.getpid()))
    assert runs == [True]  # the root's scan forked
    assert forked_run == alone
    assert one == two == [os.getpid()]
    assert alone.inventory.files_scanned == 253
    assert [c.id for c in alone.inventory.components] == ["source:."]


@pytest.mark.parametrize("jobs", [1, 2])
def test_build_inventory_raises_what_meanwhile_raised(tmp_path: Path, jobs: int) -> None:
    root = _project(tmp_path / "p")

    def failing() -> None:
        raise ValueError("the caller's job failed")

    with pytest.raises(ValueError, match="the caller's job failed"):
        _inventory(root, jobs, failing)


_PROBE = """
import json, sys
from audit import forked
seen = []
run = forked.run
def recorded(*args, **kwargs):
    seen.append(sorted(sys.modules))
    return run(*args, **kwargs)
forked.run = recorded
from audit.cli import main
main(sys.argv[1:])
print(json.dumps(seen))
"""


def test_the_later_stages_are_not_imported_before_the_scan_forks(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    env = {**os.environ, "DEPAUDIT_CACHE_DIR": str(tmp_path / "cache")}
    argv = ["scan", str(root), "--offline", "--no-cache", "--jobs", "2", "-o", os.devnull]
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, env=env
    )
    (at_fork,) = json.loads(done.stdout.splitlines()[-1])
    assert set(AFTER_SCAN) & set(at_fork) == set()
    assert "audit.scan" in at_fork


# The CMake files read while the scan runs (audit.bundled.read_cmake) ------------------------

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "falco-2023"
CMAKE_FILES = [
    "CMakeLists.txt",
    "cmake/modules/falcosecurity-libs.cmake",
    "cmake/modules/njson.cmake",
    "driver/modern_bpf/CMakeLists.txt",
]


def test_read_cmake_reads_and_parses_the_cmake_files_and_command_lines() -> None:
    files = tree_files(EXAMPLE)
    read = read_cmake(files)
    assert sorted(read.texts) == sorted(read.facts) == CMAKE_FILES
    for path, text in read.texts.items():
        assert text == files.read(path)
        assert read.facts[path] == cmake_graph.parsed_facts(path, text)
    assert read.builds == cmake_cli.build_configs(files.ci, files.read)
    assert [(b.path, b.line, b.defines) for b in read.builds] == [
        (".github/workflows/ci.yaml", 19, (("MINIMAL_BUILD", "On"),))
    ]


def test_follow_bundled_gives_the_same_with_the_cmake_files_read_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read ahead, each file is parsed once (by read_cmake), not again by the analysis."""
    root = tmp_path / "tree"
    shutil.copytree(EXAMPLE, root)
    run = build_inventory(root, Config())  # the analysis made in order (read_cmake within)
    with scan_settings(ScanSettings(jobs=1)):
        tree = _build_tree(root, Config())
    assert tree.files is not None
    parsed: list[str] = []
    real = cmake_graph.parsed_facts
    monkeypatch.setattr(
        cmake_graph, "parsed_facts", lambda path, text: parsed.append(path) or real(path, text)
    )

    def follow(cmake: CMakeReading | None) -> tuple[Inventory, tuple[Finding, ...]]:
        return follow_bundled(
            tree.inventory, tree.findings, root, Config(), scan_tree=_build_tree,
            files=tree.files, cmake=cmake,
        )  # fmt: skip

    ahead = read_cmake(tree.files)
    assert sorted(parsed) == CMAKE_FILES
    parsed.clear()
    assert follow(ahead) == (run.inventory, run.findings)
    assert parsed == []
    assert follow(None) == (run.inventory, run.findings)
    assert sorted(parsed) == CMAKE_FILES


def test_per_text_keeps_only_the_files_the_analysis_asked_about(tmp_path: Path) -> None:
    """A file read ahead that no analysis asked about leaves no entry (it would never be
    asked about again)."""
    root = tmp_path / "tree"
    root.mkdir()
    parse = scancache.PerText(cmake_graph.parsed_facts, cmake_graph.FileFacts, tmp_path, root, "x")
    parse("a.cmake", "set(A 1)\n")
    parse("b.cmake", "set(B 1)\n")
    parse.save({"a.cmake"})
    kept = scancache.load(scancache.cache_file(tmp_path, root, "x"), root)
    assert sorted(kept) == ["a.cmake"]
    again = scancache.PerText(cmake_graph.parsed_facts, cmake_graph.FileFacts, tmp_path, root, "x")
    assert again("a.cmake", "set(A 1)\n") == cmake_graph.parsed_facts("a.cmake", "set(A 1)\n")
    assert again.written == {}  # decoded, not parsed
    again.save()
    assert sorted(scancache.load(scancache.cache_file(tmp_path, root, "x"), root)) == ["a.cmake"]


def test_a_bundled_trees_cmake_files_are_parsed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bundled tree's CMake files, read while it is scanned, are not parsed again by its
    analysis; the inventory is the one the analysis gives parsing them itself."""
    root, libs = tmp_path / "falco", tmp_path / "libs"
    for base, files in (
        (root, {
            "CMakeLists.txt": "project(falco)\ninclude(falcosecurity-libs)\n",
            "cmake/modules/falcosecurity-libs.cmake": (
                "ExternalProject_Add(falcosecurity-libs\n  URL"
                ' "https://github.com/falcosecurity/libs/archive/0.13.1.tar.gz")\n'
            ),
        }),
        (libs, {
            "CMakeLists.txt": "project(libs)\ninclude(curl)\n",
            "cmake/modules/curl.cmake": (
                "ExternalProject_Add(curl\n  URL"
                ' "https://github.com/curl/curl/releases/download/curl-8_1_0/curl-8.1.0.tar.bz2")\n'
            ),
        }),
    ):  # fmt: skip
        for name, text in files.items():
            (base / name).parent.mkdir(parents=True, exist_ok=True)
            (base / name).write_text(text)
    parsed: list[str] = []
    real = cmake_graph.parse_cmake
    monkeypatch.setattr(
        cmake_graph, "parse_cmake", lambda text: parsed.append(text.split()[0]) or real(text)
    )
    sources = (("libs", str(libs)),)
    run = build_inventory(root, Config(), sources=sources)
    assert sorted(parsed) == [  # the first word of each file, once each
        "ExternalProject_Add(curl",
        "ExternalProject_Add(falcosecurity-libs",
        "project(falco)",
        "project(libs)",
    ]
    (curl,) = [c for c in run.inventory.components if c.name == "curl"]
    assert (curl.id, curl.prop("origin")) == (
        "download:github.com/curl/curl@curl-8_1_0",
        "libs@0.13.1",
    )


# The Dockerfiles of a forked scan in one task --------------------------------------------


def _candidates(paths: list[str]) -> list[tuple[Candidate, str]]:
    return [(Candidate(p, 10), "") for p in paths]


def test_the_dockerfiles_go_first_in_order_the_others_after() -> None:
    batch = _candidates(
        ["a.c", "docker/builder/Dockerfile", "b.c", "test/x.Dockerfile", "z.c", "notes.md"]
    )
    assert _one_task_first(batch) == (2, [1, 3, 0, 2, 4, 5])
    assert _one_task_first(_candidates(["a.c", "b.c"])) == (0, [])
    assert _one_task_first(_candidates(["Dockerfile", "x/Dockerfile"])) == (0, [])


_DOCKERFILES_IN_A_COPY = """
import json, os, sys, threading
from pathlib import Path
from audit.discover import discover
from audit.scan import ScanSettings, scan
from audit.scanners.dockerfile import DockerfileScanner
root, marks = Path(sys.argv[1]), Path(sys.argv[2])
real = DockerfileScanner.scan
def marked(self, source):
    (marks / f"{os.getpid()}-{source.path.replace('/', '_')}").touch()
    return real(self, source)
DockerfileScanner.scan = marked
def meanwhile():  # the copy has taken the first task and parsed them
    for _ in range(3_000):  # a bounded wait, 30 s at most
        if len(list(marks.iterdir())) == 3:
            break
        threading.Event().wait(0.01)
unsafe = "dockerfile" in sys.modules
settings = ScanSettings(jobs=2, fork_min_files=1, chunk_files=8)
found = scan(discover(root, use_git=False), settings=settings, meanwhile=meanwhile)
names = sorted(m.name for m in marks.iterdir())
plain = scan(discover(root, use_git=False), settings=ScanSettings(jobs=1))
print(json.dumps({"unsafe": unsafe, "pid": os.getpid(), "names": names,
                  "same": found == plain, "components": len(plain.result.components)}))
"""


def test_a_copy_parses_every_dockerfile_while_this_process_runs_its_job(tmp_path: Path) -> None:
    """The Dockerfiles, far apart in path order, are one task, which a copy takes while
    the scanning process runs its job: one process (not that one) parses them all, and the
    outcomes are those of a scan in one process, in order. In a fresh interpreter: the
    parser is a Go library whose runtime does not survive a fork, and this test process may
    have loaded it already (a copy that runs it then can hang)."""
    root = _tree(tmp_path / "t", 120)
    for folder in ("a", "m", "z"):
        (root / folder).mkdir()
        (root / folder / "Dockerfile").write_text(f"FROM alpine:3.{len(folder)}\n")
    marks = tmp_path / "scanned"
    marks.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", _DOCKERFILES_IN_A_COPY, str(root), str(marks)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    got = json.loads(done.stdout.splitlines()[-1])
    assert got["unsafe"] is False  # the parser not loaded before the scan forks
    assert got["same"] is True
    assert got["components"] == 3
    pids = {name.split("-")[0] for name in got["names"]}
    assert len(pids) == 1
    assert pids != {str(got["pid"])}
    assert [name.split("-", 1)[1] for name in got["names"]] == [
        "a_Dockerfile",
        "m_Dockerfile",
        "z_Dockerfile",
    ]
