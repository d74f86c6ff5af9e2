"""``depaudit org``: many repositories, each audited exactly as ``depaudit scan`` audits it.

The corpus trees are read in place (a list file names them; nothing is written into them).
Three small trees keep the run short on CI's two cores: in-toto-2024-03 (37 components),
falco-0.35.1 (268) and falco-0.36.0 (211).
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tree_helpers import git

from audit.cli import main
from audit.history import load_run, open_history, runs
from audit.org.store import org_rows
from audit.org.task import RepoStatus, RepoTask, audit_repository

Corpus = Callable[[str], Path]
TREES = ("falco-0.35.1", "falco-0.36.0", "in-toto-2024-03")
SCAN = ("--offline", "--as-of", "2023-06-29")


def _listing(tmp_path: Path, lines: list[str]) -> Path:
    listing = tmp_path / "repos.txt"
    listing.write_text("# repositories\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return listing


def _org(*args: str) -> int:
    return main(["org", *args])


def _scan_json(path: str, out: Path) -> dict[str, Any]:
    assert main(["scan", path, "--format", "json", "--output", str(out), *SCAN]) in (0, 1)
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def _stored(db: Path) -> dict[str, dict[str, Any]]:
    """The newest run of each repository: its report document."""
    with open_history(db) as conn:
        newest = {r.repository: r.id for r in runs(conn) if r.repository}
        return {name: dict(load_run(conn, run).document) for name, run in newest.items()}


def _last_org(db: Path) -> dict[str, Any]:
    with open_history(db) as conn:
        org_run = conn.execute("SELECT MAX(id) FROM org_runs").fetchone()[0]
        return {r.repository: r for r in org_rows(conn, org_run)}


def test_local_pool_audits_each_tree_as_scan_and_skips_unchanged(
    corpus: Corpus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each repository's recorded report is the JSON `depaudit scan` writes for it; a
    second run over the unchanged trees skips every one and keeps pointing at its run;
    `history --repository` lists that repository's runs only."""
    trees = {name: corpus(name) for name in TREES}
    db = tmp_path / "h.sqlite"
    listing = _listing(tmp_path, [str(p) for p in trees.values()])
    assert _org(str(listing), "--history", str(db), "-j", "2", "--scan", *SCAN) == 1
    stored = _stored(db)
    assert sorted(stored) == sorted(TREES)
    for name, path in trees.items():
        assert stored[name] == _scan_json(str(path), tmp_path / f"{name}.json"), name
    first = _last_org(db)
    assert {n: (r.status, r.exit_code) for n, r in first.items()} == {
        "falco-0.35.1": ("audited", 1),  # a replace and a request-exception decision
        "falco-0.36.0": ("audited", 0),
        "in-toto-2024-03": ("audited", 0),
    }
    capsys.readouterr()
    assert _org(str(listing), "--history", str(db), "--format", "json", "--scan", *SCAN) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["counts"] == {"audited": 0, "skipped": 3, "failed": 0}
    again = _last_org(db)
    for name in TREES:
        assert (again[name].status, again[name].run_id) == ("skipped", first[name].run_id)
        assert again[name].input_digest == first[name].input_digest
        assert again[name].exit_code == first[name].exit_code
    assert main(["history", "--db", str(db), "--repository", "falco-0.36.0", "-f", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)["runs"]
    assert [(r["id"], r["project"]) for r in listed] == [
        (first["falco-0.36.0"].run_id, "falco-0.36.0")
    ]


def test_a_changed_tree_or_option_is_audited_again(tmp_path: Path) -> None:
    """The digest covers the tree's bytes and the scan options: one changed file re-audits
    that repository only; another --as-of re-audits all."""
    for name in ("a", "b"):
        (tmp_path / "repos" / name).mkdir(parents=True)
        (tmp_path / "repos" / name / "requirements.txt").write_text("requests==2.31.0\n")
    db = tmp_path / "h.sqlite"
    folder = str(tmp_path / "repos")
    assert _org(folder, "--history", str(db), "--scan", *SCAN) == 0
    (tmp_path / "repos" / "b" / "requirements.txt").write_text("requests==2.32.0\n")
    assert _org(folder, "--history", str(db), "--scan", *SCAN) == 0
    assert {n: r.status for n, r in _last_org(db).items()} == {"a": "skipped", "b": "audited"}
    assert _org(folder, "--history", str(db), "--scan", "--offline", "--as-of", "2024-01-01") == 0
    assert {n: r.status for n, r in _last_org(db).items()} == {"a": "audited", "b": "audited"}
    assert main(["diff", "--db", str(db), "--repository", "b", "1", "-1"]) == 0


def test_a_hostile_repository_fails_alone(
    corpus: Corpus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A repository whose .depaudit.toml is not TOML fails with scan's one-line error; the
    others are audited and recorded."""
    bad = tmp_path / "hostile"
    bad.mkdir()
    (bad / ".depaudit.toml").write_text("project = [unclosed\n", encoding="utf-8")
    db = tmp_path / "h.sqlite"
    listing = _listing(tmp_path, [str(corpus("in-toto-2024-03")), str(bad)])
    assert _org(str(listing), "--history", str(db), "--scan", *SCAN) == 1
    rows = _last_org(db)
    assert rows["in-toto-2024-03"].status == "audited"
    assert rows["hostile"].status == "failed"
    assert rows["hostile"].run_id is None
    assert rows["hostile"].error == (
        ".depaudit.toml: invalid TOML: Invalid value (at line 1, column 12)"
    )
    assert sorted(_stored(db)) == ["in-toto-2024-03"]
    out = capsys.readouterr().out
    assert "1 audited, 0 skipped (unchanged), 1 failed" in out


def test_a_repository_over_its_time_is_failed(tmp_path: Path) -> None:
    """The wall-clock bound: the child is killed and the time-out recorded."""
    (tmp_path / "r").mkdir()
    task = RepoTask("r", str(tmp_path / "r"), None, SCAN, "x", timeout=0.01)
    outcome = audit_repository(task)
    assert (outcome.status, outcome.error) == (RepoStatus.FAILED, "timed out after 0.01 s")


def test_a_git_url_is_fetched_at_its_ref(tmp_path: Path) -> None:
    """A `URL REF` line: the ref's tree is fetched (hardened git), audited under the
    repository's name, and its commit recorded."""
    src = tmp_path / "upstream"
    src.mkdir()
    git(src, "init", "-q", "-b", "main")
    (src / "requirements.txt").write_text("requests==2.31.0\n")
    git(src, "add", ".")
    git(src, "commit", "-q", "-m", "one", when="2023-01-02T03:04:05Z")
    commit = git(src, "rev-parse", "HEAD")
    (src / "requirements.txt").write_text("flask==3.0.0\n")
    git(src, "commit", "-q", "-am", "two")
    git(src, "tag", "v1", commit)
    db = tmp_path / "h.sqlite"
    listing = _listing(tmp_path, [f"file://{src} v1"])
    assert _org(str(listing), "--history", str(db), "--scan", *SCAN) == 0
    row = _last_org(db)["upstream"]
    assert (row.status, row.commit, row.location) == ("audited", commit, f"file://{src}@v1")
    doc = _stored(db)["upstream"]
    assert (doc["root"], doc["project"]) == ("upstream", "upstream")
    assert [c["id"] for c in doc["components"]] == ["pypi:requests@2.31.0"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("ssh://host/x.git main", "only https:// and file:// URLs are fetched"),
        ("https://host/x.git", "expected `URL REF`: a git URL needs the ref to audit"),
        ("https://host/x.git ../main", "not a git ref: '../main'"),
        ("no/such/dir", "no such directory"),
    ],
)
def test_a_bad_list_line_is_one_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, message: str
) -> None:
    listing = _listing(tmp_path, [line])
    assert _org(str(listing), "--history", str(tmp_path / "h.sqlite")) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"depaudit: error: {listing}:2: ")
    assert message in err


def test_dask_without_the_extra_says_what_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "distributed", None)
    (tmp_path / "repos" / "a").mkdir(parents=True)
    code = _org(str(tmp_path / "repos"), "--executor", "dask://127.0.0.1:8786")
    assert code == 2
    assert capsys.readouterr().err == (
        "depaudit: error: the Dask executor needs the distributed extra: "
        "pip install 'depaudit[distributed]'\n"
    )


try:
    from distributed import WorkerPlugin
except ImportError:  # the test that needs it skips
    WorkerPlugin = object  # type: ignore[assignment,misc]


class KillOnce(WorkerPlugin):  # type: ignore[misc]
    """A Dask worker plugin: the first worker to start executing ``target``'s task dies
    (SIGKILL, as a lost machine), once (a marker file remembers)."""

    name = "depaudit-test-kill-once"

    def __init__(self, target: str, marker: str) -> None:
        self.target = target
        self.marker = marker

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        if finish == "executing" and str(key).endswith(f"-{self.target}"):
            try:
                fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return
            os.close(fd)
            os.kill(os.getpid(), signal.SIGKILL)


def test_dask_cluster_audits_as_scan_and_retries_a_killed_workers_repository(
    corpus: Corpus, tmp_path: Path
) -> None:
    """On a LocalCluster of two worker processes the test starts: every repository's report
    equals scan's JSON; the worker executing falco-0.36.0 is killed once and that repository
    is audited on the retry (two starts recorded)."""
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    trees = {name: corpus(name) for name in ("falco-0.36.0", "in-toto-2024-03")}
    marker = tmp_path / "killed"
    db = tmp_path / "h.sqlite"
    listing = _listing(tmp_path, [str(p) for p in trees.values()])
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.register_plugin(KillOnce("falco-0.36.0", str(marker)))
        address = cluster.scheduler_address.replace("tcp://", "dask://")
        code = _org(str(listing), "--history", str(db), "--executor", address, "--scan", *SCAN)
    assert code == 0
    assert marker.exists()  # the worker was killed while executing it
    rows = _last_org(db)
    assert {n: r.status for n, r in rows.items()} == dict.fromkeys(trees, "audited")
    assert rows["falco-0.36.0"].attempts == 2
    assert rows["in-toto-2024-03"].attempts == 1
    stored = _stored(db)
    for name, path in trees.items():
        assert stored[name] == _scan_json(str(path), tmp_path / f"{name}.json"), name


def test_org_report_lists_the_ebpf_gpl_blanket_candidate(
    corpus: Corpus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As of 2023-06-29 (before the CNCF's blanket exception of 2023-08-31), the in-kernel
    eBPF GPL code of two projects is a blanket-exception candidate, with each project's
    evidence lines:

    - libs-5.0.1-driver driver/bpf/probe.c:325 `char __license[] __bpf_section("license") =
      "GPL";` and driver/bpf/CMakeLists.txt:4 (dual MIT or GPL 2: GPL-2.0-only OR MIT,
      whose GPL alternative must pass in kernel code);
    - inspektor-gadget-2024-08 gadgets/trace_open/program.bpf.c:1 `SPDX-License-Identifier:
      GPL-2.0` and :195 `char LICENSE[] SEC("license") = "GPL";`.

    The blanket record itself is shown, approved after the as-of date."""
    trees = [corpus("libs-5.0.1-driver"), corpus("inspektor-gadget-2024-08")]
    db = tmp_path / "h.sqlite"
    listing = _listing(tmp_path, [str(p) for p in trees])
    assert _org(str(listing), "--history", str(db), "--scan", *SCAN) == 1
    capsys.readouterr()
    assert _org("report", "--history", str(db), "--format", "json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "depaudit/org-report/1"
    assert doc["as_of"] == "2023-06-29"
    ebpf = next(
        c for c in doc["candidates"] if (c["license"], c["context"]) == ("GPL-2.0-only", "ebpf")
    )
    assert ebpf["projects"] == ["inspektor-gadget-2024-08", "libs-5.0.1-driver"]
    blanket = next(g for g in ebpf["granted"] if g["id"] == "blanket-ebpf-gpl")
    assert (blanket["approved"], blanket["after_as_of"]) == ("2023-08-31", True)
    needs = {(n["repository"], n["component_id"]): n for n in ebpf["needs"]}
    libs = needs[("libs-5.0.1-driver", "source:driver/bpf")]
    assert libs["expression"] == "GPL-2.0-only OR MIT"
    assert [(e["path"], e["line"], e["text"]) for e in libs["evidence"]] == [
        (
            "driver/bpf/CMakeLists.txt",
            4,
            "# This file is dual licensed under either the MIT or GPL 2. See",
        ),
        ("driver/bpf/probe.c", 325, 'char __license[] __bpf_section("license") = "GPL";'),
    ]
    ig = needs[("inspektor-gadget-2024-08", "source:gadgets/trace_open")]
    assert [(e["path"], e["line"]) for e in ig["evidence"]] == [
        ("gadgets/trace_open/program.bpf.c", 1),
        ("gadgets/trace_open/program.bpf.c", 195),
    ]
    form = [(f["label"], f["answer"]) for f in ebpf["request_form"]]
    assert form[0] == (
        "For which CNCF project are you requesting exceptions?",
        "Blanket exception for 2 projects: inspektor-gadget-2024-08, libs-5.0.1-driver",
    )
    answers = "\n".join(answer for _, answer in form)
    assert '- driver/bpf/probe.c:325 `char __license[] __bpf_section("license")' in answers
    assert "| libs-5.0.1-driver: driver/bpf | TODO:" in answers  # the component table
    # the kernel module: Falco's own exception (approved 2024-02-27) is one for another project
    module = next(
        n
        for n in doc["needs"]
        if (n["repository"], n["component_id"]) == ("libs-5.0.1-driver", "source:driver")
    )
    assert (module["license"], module["context"]) == ("GPL-2.0-only", "kernel-module")
    assert "exc-2024-02-27-001" in [g["id"] for g in module["granted_to_others"]]
    checkout = next(
        r for r in doc["recurring"] if (r["kind"], r["name"]) == ("action", "actions/checkout")
    )
    assert checkout["repositories"] == ["inspektor-gadget-2024-08", "libs-5.0.1-driver"]
    assert [r["status"] for r in doc["repositories"]] == ["audited", "audited"]
    assert _org("report", "--history", str(db), "--format", "markdown") == 0
    markdown = capsys.readouterr().out
    assert "### GPL-2.0-only in `ebpf`: 2 projects" in markdown
    out = tmp_path / "org.html"
    assert _org("report", "--history", str(db), "--output", str(out)) == 0
    assert "<h3>GPL-2.0-only in ebpf: 2 projects</h3>" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--jobs", "0", "argument --jobs/-j: expected a positive number of processes, got '0'"),
        ("--memory", "63", "argument --memory: expected MiB, at least 64, got '63'"),
        (
            "--min-projects",
            "x",
            "argument --min-projects: expected a positive number of projects, got 'x'",
        ),
        (
            "--org-run",
            "0",
            "argument --org-run: expected an org run id (a positive number), got '0'",
        ),
    ],
)
def test_a_bad_number_names_the_option_and_what_it_expects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str, message: str
) -> None:
    """Each option says what it counts (--min-projects used to say "processes")."""
    assert _org(str(tmp_path), option, value) == 2
    assert message in capsys.readouterr().err
