"""Time depaudit on synthetic trees (and real ones), against the read-every-file floor.

Run by hand, never in CI::

    python bench/run.py                       # the 10k and 100k synthetic trees
    python bench/run.py --sizes 10000 ~/src/falcosecurity-libs   # plus a real tree
    python bench/run.py --repeat 5 --markdown # a table for docs/performance.md

For each tree it measures, as separate processes (whole-process wall time, median of
``--repeat`` runs, page cache warm):

- ``floor``: a plain Python pass that walks the tree and reads every file once;
- ``scan cold``: ``depaudit scan --offline --no-cache``;
- ``scan warm``: ``depaudit scan --offline`` with the scan cache filled by a previous run;
- ``inventory``: ``depaudit inventory --no-cache``;
- ``reuse lint`` and ``scancode --license`` when they are installed (scancode only on trees
  under ``--scancode-max`` files: it needs about a second per file).

It prints files per second, the peak memory of the process tree (the sum of the resident
sizes of the process and its children, sampled every 20 ms) and the ratio to the floor.
Synthetic trees are built once under ``--work`` (see ``bench/synth.py``).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import synth  # bench/synth.py: run as a script, bench/ is on sys.path

FLOOR = """
import os, sys
total = 0
for top, dirs, files in os.walk(sys.argv[1]):
    dirs[:] = [d for d in dirs if d != ".git"]
    for name in files:
        path = os.path.join(top, name)
        if not os.path.islink(path):
            with open(path, "rb") as fh:
                total += len(fh.read())
print(total)
"""


@dataclass(frozen=True)
class Timing:
    label: str
    wall: float
    """Median wall time, seconds."""
    peak_mb: float
    """Largest process-tree resident size seen over the runs, MiB."""
    code: int


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (Linux /proc; 0 elsewhere)."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    total = 0
    todo = [pid]
    page = os.sysconf("SC_PAGE_SIZE")
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, ()))
        try:
            with open(f"/proc/{p}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * page
        except OSError:
            continue
    return total


def _run_once(argv: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """``(wall seconds, peak tree RSS bytes, exit code)`` of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.stderr is not None:
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        if proc.returncode not in (0, 1):
            print(f"  ! {' '.join(argv[:3])}... exited {proc.returncode}: {err[-500:]}")
    peak = max(peak, usage.ru_maxrss * 1024)  # the largest single process, at least
    return wall, peak, proc.returncode


def measure(label: str, argv: list[str], env: dict[str, str], repeat: int) -> Timing:
    runs = [_run_once(argv, env) for _ in range(repeat)]
    return Timing(
        label,
        statistics.median(r[0] for r in runs),
        max(r[1] for r in runs) / 2**20,
        runs[-1][2],
    )


def depaudit_command() -> list[str]:
    local = Path(sys.executable).parent / "depaudit"
    if local.exists():
        return [str(local)]
    found = shutil.which("depaudit")
    return [found] if found else [sys.executable, "-m", "audit"]


def count_files(root: Path) -> int:
    n = 0
    for _, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        n += len(files)
    return n


def bench_tree(root: Path, args: argparse.Namespace) -> list[Timing]:
    files = count_files(root)
    cache = Path(tempfile.mkdtemp(prefix="depaudit-bench-cache-"))
    env = {**os.environ, "DEPAUDIT_CACHE_DIR": str(cache)}
    dep = depaudit_command()
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    scan = [*dep, "scan", str(root), "--offline", "--fail-on", "never", "-o", os.devnull, *jobs]
    timings = [measure("floor (read every file)", [sys.executable, "-c", FLOOR, str(root)], env,
                       args.repeat)]  # fmt: skip
    timings.append(measure("depaudit scan --offline, cold", [*scan, "--no-cache"], env,
                           args.repeat))  # fmt: skip
    _run_once(scan, env)  # fill the scan cache
    timings.append(measure("depaudit scan --offline, warm cache", scan, env, args.repeat))
    inventory = [*dep, "inventory", str(root), "-o", os.devnull, "--no-cache", *jobs]
    timings.append(measure("depaudit inventory, cold", inventory, env, args.repeat))
    if shutil.which("reuse"):
        timings.append(measure("reuse lint", ["reuse", "--root", str(root), "lint"], env, 1))
    if shutil.which("scancode") and files <= args.scancode_max:
        out = cache / "scancode.json"
        argv = ["scancode", "--license", "-n", str(os.cpu_count() or 1), "--json", str(out)]
        timings.append(measure("scancode --license", [*argv, str(root)], env, 1))
    shutil.rmtree(cache, ignore_errors=True)
    floor = timings[0].wall
    print(f"\n{root}: {files} files")
    print(f"  {'command':40} {'wall s':>8} {'files/s':>9} {'peak MiB':>9} {'x floor':>8}")
    for t in timings:
        rate = files / t.wall if t.wall else 0.0
        print(f"  {t.label:40} {t.wall:8.2f} {rate:9.0f} {t.peak_mb:9.0f} {t.wall / floor:8.1f}")
    if args.markdown:
        print(f"\n| {root.name} ({files} files) | wall | files/s | peak memory | × floor |")
        print("|---|---|---|---|---|")
        for t in timings:
            rate = files / t.wall if t.wall else 0.0
            print(
                f"| {t.label} | {t.wall:.2f} s | {rate:,.0f} | {t.peak_mb:.0f} MiB "
                f"| {t.wall / floor:.1f} |"
            )
    return timings


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {cores} CPUs available, {mem:.0f} GiB RAM; {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("trees", nargs="*", type=Path, help="real trees to measure too")
    p.add_argument("--sizes", default="10000,100000", help="synthetic tree sizes ('' for none)")
    p.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "depaudit-bench")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--jobs", type=int, default=0, help="pass --jobs N to depaudit")
    p.add_argument("--scancode-max", type=int, default=2000)
    p.add_argument("--markdown", action="store_true", help="also print Markdown tables")
    args = p.parse_args(argv)
    print(machine())
    trees: list[Path] = []
    for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
        root = args.work / f"synthetic-{size}"
        if not root.exists():
            print(f"building {root} ...", flush=True)
            tmp = args.work / f".building-{size}"
            shutil.rmtree(tmp, ignore_errors=True)
            synth.build(tmp, size)
            tmp.rename(root)
        trees.append(root)
    trees += [t.resolve() for t in args.trees]
    for root in trees:
        bench_tree(root, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
