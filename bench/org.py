"""Time ``depaudit org`` over many repositories: the local pool against a local Dask cluster.

Run by hand, never in CI::

    python bench/org.py                                 # 200 repositories, 2 jobs
    python bench/org.py --repos 400 --jobs 4 --synth-files 500

The repositories are the corpus trees (copied once under ``--work``: ``depaudit org`` takes
subfolders, not symlinks) and copies made by ``bench/synth.py`` (each its own seed, so no
two are alike) up to ``--repos``. For each executor it runs, as a separate process:

- ``depaudit org WORK --executor E --jobs J --history DB --scan --offline --no-cache`` over
  a fresh history database: every repository audited (cold: no scan cache);
- the same command again: every repository unchanged, so skipped (the digest walk only).

It prints the wall time, repositories per minute, the CPU seconds of the whole process tree
(per repository: the cost that does not depend on what else runs on the machine), the
wall seconds each repository took (median, mean, 90th percentile) and the projection for
``--project-repos`` repositories (200: the CNCF landscape) on 1, 4 and 16 machines of
``--project-cores`` cores: repositories x CPU seconds per repository / cores (a
repository's audit is single-threaded: one per core).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import synth  # bench/synth.py: run as a script, bench/ is on sys.path

CORPUS = Path(os.environ.get("DEPAUDIT_CORPUS_DIR", "/tmp/depaudit-corpus"))


def prepare(work: Path, repos: int, files: int) -> Path:
    folder = work / f"org-{repos}-{files}"
    if folder.is_dir() and len(list(folder.iterdir())) >= repos:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    made = 0
    for tree in sorted(CORPUS.iterdir()) if CORPUS.is_dir() else []:
        if tree.is_dir() and made < repos:
            if not (folder / tree.name).exists():
                shutil.copytree(tree, folder / tree.name, symlinks=True)
            made += 1
    seed = 0
    while made < repos:
        seed += 1
        target = folder / f"synth-{seed:04d}"
        if not target.exists():
            synth.build(target, files, seed=seed)
        made += 1
    return folder


def _cpu() -> float:
    """CPU seconds of every finished child process so far (the org run, its scans, Dask's
    workers): robust to other load on the machine, unlike wall time."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(folder: Path, db: Path, executor: str, jobs: int) -> tuple[float, float, dict[str, object]]:
    argv = [
        sys.executable, "-m", "audit", "org", str(folder), "--executor", executor,
        "--jobs", str(jobs), "--history", str(db), "--format", "json", "--no-progress",
        "--scan", "--offline", "--no-cache",
    ]  # fmt: skip
    start, cpu = time.monotonic(), _cpu()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall, cpu = time.monotonic() - start, _cpu() - cpu
    if done.returncode not in (0, 1):
        raise SystemExit(f"depaudit org failed ({done.returncode}): {done.stderr[-2000:]}")
    doc: dict[str, object] = json.loads(done.stdout)
    return wall, cpu, doc


def describe(label: str, wall: float, cpu: float, doc: dict[str, object]) -> dict[str, float]:
    rows = [r for r in doc["repositories"] if isinstance(r, dict)]  # type: ignore[attr-defined]
    secs = sorted(float(r["seconds"]) for r in rows)
    stats = {
        "wall": wall,
        "repos": float(len(rows)),
        "per_min": len(rows) / wall * 60,
        "median": statistics.median(secs),
        "mean": statistics.fmean(secs),
        "p90": secs[int(0.9 * (len(secs) - 1))],
        "sum": sum(secs),
        "cpu": cpu,
        "cpu_per_repo": cpu / max(1, len(rows)),
    }
    print(
        f"{label:30} wall {wall:7.1f} s  {stats['per_min']:6.1f} repos/min  CPU {cpu:6.0f} s "
        f"({stats['cpu_per_repo']:.2f} s/repo)  wall per repo: median {stats['median']:.2f} s,"
        f" mean {stats['mean']:.2f} s, p90 {stats['p90']:.2f} s  {doc['counts']}"
    )
    return stats


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repos", type=int, default=200)
    p.add_argument("--synth-files", type=int, default=400, help="files per synthetic repository")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--work", type=Path, default=Path("/tmp/depaudit-bench"))
    p.add_argument("--executors", default="local,dask-local")
    p.add_argument("--project-repos", type=int, default=200)
    p.add_argument("--project-cores", type=int, default=4)
    args = p.parse_args(argv)
    folder = prepare(args.work, args.repos, args.synth_files)
    print(f"{args.repos} repositories in {folder}; jobs {args.jobs}; {os.cpu_count()} CPUs")
    cold: dict[str, dict[str, float]] = {}
    for executor in args.executors.split(","):
        db = args.work / f"history-{executor}.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        cold[executor] = describe(f"{executor}: all audited", *run(folder, db, executor, args.jobs))
        describe(f"{executor}: re-run, unchanged", *run(folder, db, executor, args.jobs))
    base = cold.get("local") or next(iter(cold.values()))
    per_repo = base["cpu_per_repo"]
    print(
        f"\nprojection for {args.project_repos} repositories at {per_repo:.2f} CPU s each "
        f"(the local pool's measure), {args.project_cores} cores per machine, one "
        "repository per core:"
    )
    for machines in (1, 4, 16):
        cores = machines * args.project_cores
        total = args.project_repos * per_repo / cores
        print(f"  {machines:2} machine(s), {cores:3} workers: {total / 60:6.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
