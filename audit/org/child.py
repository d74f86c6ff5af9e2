"""The child process that audits one repository: ``python -m audit.org.child TASK.json``.

It limits itself first (``RLIMIT_AS`` to the task's memory, ``RLIMIT_CPU`` a little over its
timeout, so that a child whose parent is gone ends too), then obtains the tree (a local
directory as it is; a git URL fetched at its ref through :mod:`audit.org.fetch`), computes
the input digest, and either reports the repository unchanged (the digest its newest run
recorded) or runs ``depaudit scan`` — :func:`audit.cli.main`, the command itself — writing
the JSON report next to the task file. ``result.json`` says what happened; an error is the
last line on stderr.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import sys
from pathlib import Path
from typing import Any

CPU_GRACE = 30
"""CPU seconds over the task's timeout before the kernel ends the child."""


def _limit(memory_mb: int, timeout: float) -> None:
    mem = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    cpu = int(timeout) + CPU_GRACE
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))


def input_digest(options_digest: str, tree: str) -> str:
    """What a run's result depends on: the options' digest and the tree's (or commit's)."""
    return hashlib.sha256(f"{options_digest}\0{tree}".encode()).hexdigest()


def run(spec: dict[str, Any]) -> int:
    from audit.org.treedigest import tree_digest

    work = Path(spec["work"])
    location: str = spec["location"]
    scan_args: list[str] = list(spec["scan_args"])
    commit: str | None = None
    if spec.get("ref"):
        from audit.org.fetch import fetch_tree

        checkout = work / "checkout"
        checkout.mkdir()
        commit = fetch_tree(location, spec["ref"], checkout / spec["name"], work / "fetch.git")
        # files the options name stay those of the caller's folder...
        scan_args = [str(Path(a).resolve()) if Path(a).is_file() else a for a in scan_args]
        os.chdir(checkout)  # ...and the report names the tree by the repository's name
        path = spec["name"]
        digest = input_digest(spec["options_digest"], f"commit:{commit}")
    else:
        path = location if not location.startswith("-") else f"./{location}"  # not an option
        digest = input_digest(spec["options_digest"], tree_digest(Path(location)))
    result: dict[str, Any] = {"digest": digest, "commit": commit}
    if digest == spec.get("known_digest"):
        result["skipped"] = True
    else:
        from audit import cli

        report = work / "report.json"
        argv = ["scan", path, "--format", "json", "--output", str(report), "--no-progress",
                "--jobs", "1", *scan_args]  # fmt: skip
        result["exit"] = cli.main(argv)
        if report.is_file() and commit is None:
            commit, result["commit_date"] = _head(Path(path), report)
            result["commit"] = commit
    (work / "result.json").write_text(json.dumps(result), encoding="utf-8")
    return 0


def _head(root: Path, report: Path) -> tuple[str | None, str | None]:
    """The commit the report names (a git work tree) and its date."""
    from audit.repo import commit_date

    try:
        doc = json.loads(report.read_text(encoding="utf-8"))
        commit = (doc.get("repository") or {}).get("commit")
    except (OSError, ValueError, AttributeError):
        return None, None
    if not isinstance(commit, str):
        return None, None
    return commit, commit_date(root, commit)


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    _limit(int(spec["memory_mb"]), float(spec["timeout"]))
    try:
        return run(spec)
    except Exception as exc:  # one line, recorded as the repository's error
        print(f"depaudit: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
