"""Time depaudit on real and synthetic trees, against the read-every-file floor and `reuse lint`.

Run by hand, never in CI::

    python bench/run.py                       # the 10k and 100k synthetic trees
    python bench/run.py --sizes 10000 ~/src/falcosecurity-libs   # plus a real tree
    python bench/run.py --sizes '' --corpus --copies libs-0.13.1:5,10,20 --repeat 5 --markdown
                                              # the corpus trees, libs x5, x10 and x20

For each tree it runs, as separate processes and *paired*: round after round, the floor,
``depaudit scan`` cold, warm (and ``inventory``) and ``reuse lint`` one after the other, so
that the ratios (cold ÷ floor, cold ÷ reuse...) are taken within a round and a busy moment
of a shared machine weighs on both sides of a ratio alike. Reported are medians over
``--repeat`` rounds of:

- ``floor``: a plain Python pass that walks the tree and reads every file once;
- ``scan cold``: ``depaudit scan --offline --no-cache``;
- ``scan warm``: ``depaudit scan --offline`` with the scan cache filled by a previous run;
- ``inventory``: ``depaudit inventory --no-cache`` (unless ``--no-inventory``);
- ``reuse lint`` and ``scancode --license`` when they are installed (on ``PATH`` or next to
  this interpreter; scancode once, only on trees under ``--scancode-max`` files);

each as wall seconds, CPU seconds (user + system of the process and of every process it
started, which a loaded machine inflates far less than wall time), files per second, the
peak memory of the process tree (the sum of the resident sizes of the process and its
children, sampled every 20 ms; and the sum of their proportional set sizes, which counts a
page the processes share once, as the machine holds it) and the ratios. Memory is sampled
in one extra run of each command, after the timed rounds: the sampling reads /proc and
takes a tenth of a CPU or more, which would slow a command that uses every CPU (a forked
scan) and not one that uses one (the floor, ``reuse lint``). Synthetic trees
are built once under ``--work`` (see ``bench/synth.py``); ``--copies NAME:N`` builds a
tree of N copies of the corpus tree NAME there. With two sizes or more (``--copies
libs-0.13.1:5,20``) the cost per file of each size follows, cold and warm, in wall and in
CPU seconds, with the change from the smallest to the largest and the straight line
through them: a fixed cost per run plus a cost per file. With three sizes or more
(``libs-0.13.1:5,10,20``) the cost of each added file follows too, step by step (the
growth of the time from one size to the next over the files added): the fixed cost of a
run cancels out of it, so that a step above linear shows as a cost per added file that
rises from the first step to the last.
"""

from __future__ import annotations

import argparse
import itertools
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

HERE = Path(__file__).resolve().parent

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
class Run:
    """One run of one command."""

    wall: float
    """Wall time, seconds."""
    cpu: float
    """User + system CPU seconds of the process and of the children it waited for."""
    peak: int
    """Largest process-tree resident size seen, bytes (0: the run was not sampled)."""
    peak_pss: int
    """Largest process-tree proportional set size seen, bytes: each page shared by several
    of the processes (a fork server's copy-on-write memory in its workers) counted once
    over them all, as the machine holds it."""
    code: int


def _tree_rss(pid: int) -> tuple[int, int]:
    """Resident and proportional bytes of ``pid`` and all its descendants (Linux /proc; 0
    elsewhere)."""
    tree: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0, 0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    total = pss = 0
    todo = [pid]
    page = os.sysconf("SC_PAGE_SIZE")
    while todo:
        p = todo.pop()
        todo.extend(tree.get(p, ()))
        try:
            with open(f"/proc/{p}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * page
            with open(f"/proc/{p}/smaps_rollup", "rb") as fh:
                for line in fh:
                    if line.startswith(b"Pss:"):
                        pss += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return total, pss


def _run_once(
    argv: list[str], env: dict[str, str], sample: bool = False, cwd: Path | None = None
) -> Run:
    """Run ``argv`` once.

    Its CPU time counts the process and every process it started, also those that outlive
    it (the pool's fork server, which reaps the workers it forked): this process is their
    subreaper (:func:`_adopt_orphans`) and reaps them once the command is over.

    ``sample``: also sample the memory of its process tree every 20 ms, from another thread
    of this process. The sampling takes a tenth of a CPU or more (it reads /proc), so a
    sampled run's times are not those of the command alone: timed runs are not sampled,
    and one sampled run per command gives the memory figures."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd
    )
    peak = peak_pss = 0
    done = threading.Event()

    def sampler() -> None:
        nonlocal peak, peak_pss
        while not done.is_set():
            rss, pss = _tree_rss(proc.pid)
            peak, peak_pss = max(peak, rss), max(peak_pss, pss)
            done.wait(0.02)

    thread = threading.Thread(target=sampler, daemon=True) if sample else None
    if thread is not None:
        thread.start()
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
    wall = time.perf_counter() - start
    done.set()
    if thread is not None:
        thread.join()
    _, status, usage = os.wait4(proc.pid, 0)
    cpu = usage.ru_utime + usage.ru_stime + _reap_orphans()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.stderr is not None:
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        if proc.returncode not in (0, 1):
            print(f"  ! {' '.join(argv[:3])}... exited {proc.returncode}: {err[-500:]}")
    if sample:
        peak = max(peak, usage.ru_maxrss * 1024)  # the largest single process, at least
    return Run(wall, cpu, peak, peak_pss, proc.returncode)


def _adopt_orphans() -> bool:
    """Make this process the subreaper of the commands it runs (Linux): a process they
    start and leave running is handed to this one when they exit, not to init, so that
    :func:`_reap_orphans` can wait for it and count its CPU time."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(36, 1, 0, 0, 0) == 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _reap_orphans(patience: float = 10.0) -> float:
    """Wait for every process left to this one (:func:`_adopt_orphans`) to exit, up to
    ``patience`` seconds; the CPU seconds of those it reaped."""
    cpu = 0.0
    until = time.monotonic() + patience
    while True:
        try:
            pid, _, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return cpu
        if pid:
            cpu += usage.ru_utime + usage.ru_stime
        elif time.monotonic() > until:
            print("  ! a process the command started is still running; its CPU is not counted")
            return cpu
        else:
            time.sleep(0.005)


def _tool(name: str) -> str | None:
    """``name`` next to this interpreter (a venv's bin/), else on PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


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


def bench_tree(root: Path, args: argparse.Namespace) -> dict[str, list[Run]]:
    root = root.resolve()  # the before scans run from another folder
    files = count_files(root)
    cache = Path(tempfile.mkdtemp(prefix="depaudit-bench-cache-"))
    env = {**os.environ, "DEPAUDIT_CACHE_DIR": str(cache)}
    dep = depaudit_command()
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    scan = [
        *dep,
        "scan",
        str(root),
        "--offline",
        "--fail-on",
        "never",
        "-o",
        os.devnull,
        *jobs,
    ]
    commands: dict[str, list[str]] = {
        "floor": [sys.executable, "-c", FLOOR, str(root)],
        "scan cold": [*scan, "--no-cache"],
        "scan warm": scan,
    }
    if not args.no_inventory:
        commands["inventory"] = [*dep, "inventory", str(root), "-o", os.devnull, "--no-cache",
                                 *jobs]  # fmt: skip
    reuse = None if args.no_reuse else _tool("reuse")
    if reuse:
        commands["reuse lint"] = [reuse, "--root", str(root), "lint"]
    envs = {label: env for label in commands}
    cwds: dict[str, Path | None] = {label: None for label in commands}
    before_src = args.before.resolve() if args.before is not None else None
    if before_src is not None:
        # the same scans by another checkout's audit package, in the same rounds
        before = {
            **env,
            "PYTHONPATH": str(before_src),
            "DEPAUDIT_CACHE_DIR": str(cache / "b"),
        }
        # ``python -m audit``: the console script names this checkout's entry point, which
        # another checkout may not have (as fast to start: 34 ms for ``--version`` either way).
        # Run from the other checkout's folder: ``-m`` puts the working folder first on the
        # path, so from this checkout's folder it would import this checkout's package.
        then = [sys.executable, "-m", "audit", *scan[len(dep) :]]
        for label in ("scan cold", "scan warm"):
            commands[f"{label} (before)"] = [*then, *commands[label][len(scan) :]]
            envs[f"{label} (before)"] = before
            cwds[f"{label} (before)"] = before_src
        _run_once(then, before, cwd=before_src)
    _run_once(scan, env)  # fill the scan cache
    runs: dict[str, list[Run]] = {label: [] for label in commands}
    for _ in range(args.repeat):
        for label, argv in commands.items():
            runs[label].append(_run_once(argv, envs[label], cwd=cwds[label]))
    # memory: one more run of each command, sampled (its times are not counted)
    memory = {
        label: _run_once(argv, envs[label], sample=True, cwd=cwds[label])
        for label, argv in commands.items()
    }
    scancode = _tool("scancode")
    if scancode and files <= args.scancode_max:
        out = cache / "scancode.json"
        argv = [
            scancode,
            "--license",
            "-n",
            str(os.cpu_count() or 1),
            "--json",
            str(out),
        ]
        runs["scancode --license"] = [_run_once([*argv, str(root)], env, sample=True)]
        memory["scancode --license"] = runs["scancode --license"][0]
    shutil.rmtree(cache, ignore_errors=True)
    _print_tree(root, files, runs, memory, args.markdown)
    return runs


def _ratio(runs: dict[str, list[Run]], top: str, bottom: str, cpu: bool = False) -> float | None:
    """Median over the rounds of ``top`` ÷ ``bottom`` (wall, or CPU), paired run by run."""
    if top not in runs or bottom not in runs:
        return None
    pairs = list(zip(runs[top], runs[bottom], strict=False))
    if not pairs:
        return None
    return statistics.median((a.cpu / b.cpu if cpu else a.wall / b.wall) for a, b in pairs)


def _print_tree(
    root: Path, files: int, runs: dict[str, list[Run]], memory: dict[str, Run], markdown: bool
) -> None:
    print(f"\n{root}: {files} files")
    print(f"  {'command':20} {'wall s':>8} {'cpu s':>8} {'files/s':>9} {'peak MiB':>9}"
          f" {'PSS MiB':>8} {'x floor':>8} {'cpu x floor':>11}")  # fmt: skip
    for label, rs in runs.items():
        wall = statistics.median(r.wall for r in rs)
        cpu = statistics.median(r.cpu for r in rs)
        peak = memory[label].peak / 2**20
        pss = memory[label].peak_pss / 2**20
        rate = files / wall if wall else 0.0
        ratio = _ratio(runs, label, "floor") or 0.0
        cpu_ratio = _ratio(runs, label, "floor", cpu=True) or 0.0
        print(f"  {label:20} {wall:8.3f} {cpu:8.3f} {rate:9.0f} {peak:9.0f} {pss:8.0f}"
              f" {ratio:8.1f} {cpu_ratio:11.1f}")  # fmt: skip
    vs_reuse = _ratio(runs, "scan cold", "reuse lint")
    if vs_reuse is not None:
        print(f"  scan cold ÷ reuse lint, paired run by run: {vs_reuse:.2f}")
    for label in ("scan cold", "scan warm"):
        was = _ratio(runs, label, f"{label} (before)", cpu=True)
        if was is not None:
            print(f"  {label} CPU ÷ before, paired run by run: {was:.2f}")
    if not markdown:
        return

    def cell(label: str) -> str:
        if label not in runs:
            return "–"
        return f"{statistics.median(r.wall for r in runs[label]):.3f} s"

    cold = _ratio(runs, "scan cold", "floor") or 0.0
    warm = _ratio(runs, "scan warm", "floor") or 0.0
    peak = max(memory[label].peak for label in ("scan cold", "scan warm")) / 2**20
    pss = max(memory[label].peak_pss for label in ("scan cold", "scan warm")) / 2**20
    reuse = f"{vs_reuse:.2f}" if vs_reuse is not None else "–"
    print("\n| tree | files | floor | scan cold | scan warm | reuse lint | cold ÷ floor "
          "| warm ÷ floor | cold ÷ reuse | peak memory (scan), RSS / PSS |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {root.name} | {files:,} | {cell('floor')} | {cell('scan cold')} "
        f"| {cell('scan warm')} | {cell('reuse lint')} | {cold:.1f}× | {warm:.1f}× "
        f"| {reuse} | {peak:.0f} / {pss:.0f} MiB |"
    )


def _per_file(name: str, series: list[tuple[int, int, dict[str, list[Run]]]]) -> None:
    """The per-file cost of a tree of copies of ``name`` at each size (copies, files, runs),
    in wall and in CPU seconds, and a straight line through the first and last: a cost per
    file that stays the same as the tree grows means no step above linear; a cost per file
    that falls means a fixed cost per run (start-up) spread over more files. CPU seconds are
    shown too because a shared machine's busy moment inflates them far less than wall time."""
    series = sorted(series)
    for measure in ("wall", "cpu"):
        print(f"\n{name}: cost per file as the tree grows (median {measure} ÷ files)")
        for label in ("scan cold", "scan warm"):
            points = [
                (files, statistics.median(getattr(r, measure) for r in runs[label]))
                for _, files, runs in series
                if runs.get(label)
            ]
            if len(points) < 2:
                continue
            _cost_line(label, points)


def _cost_line(label: str, points: list[tuple[int, float]]) -> None:
    """One command's cost per file at each size, its line, and the cost of each added file."""
    each = " → ".join(f"{1000 * seconds / files:.3f}" for files, seconds in points)
    (n0, t0), (n1, t1) = points[0], points[-1]
    change = (t1 / n1) / (t0 / n0) - 1
    slope = (t1 - t0) / (n1 - n0)
    fixed = t0 - slope * n0
    print(f"  {label:10} {each} ms per file ({change:+.1%});"
          f" line: {fixed:.3f} s per run + {1000 * slope:.3f} ms per file")  # fmt: skip
    if len(points) >= 3:
        steps = [
            (1000 * (t - s) / (n - m), f"{m:,}→{n:,}")
            for (m, s), (n, t) in itertools.pairwise(points)
        ]
        growth = steps[-1][0] / steps[0][0] - 1
        each_step = ", ".join(f"{cost:.3f} ({span})" for cost, span in steps)
        print(f"  {'':10} each added file: {each_step} ms;"
              f" last step vs first {growth:+.1%}")  # fmt: skip


def _corpus_dir(given: Path | None) -> Path | None:
    if given is not None and str(given) != "auto":
        return given
    for candidate in (
        Path("/tmp/depaudit-corpus"),
        HERE.parent.parent / "shared" / "corpus",
    ):
        if candidate.is_dir():
            return candidate
    return None


def _copies(tree: Path, n: int, work: Path) -> Path:
    """A tree holding ``n`` copies of ``tree`` side by side (built once under ``work``)."""
    root = work / f"{tree.name}-x{n}"
    if not root.exists():
        print(f"building {root} ...", flush=True)
        tmp = work / f".building-{tree.name}-x{n}"
        shutil.rmtree(tmp, ignore_errors=True)
        for i in range(1, n + 1):
            shutil.copytree(tree, tmp / f"{tree.name}-{i}", symlinks=True)
        tmp.rename(root)
    return root


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
    p.add_argument(
        "--before",
        type=Path,
        metavar="SRC",
        help="also scan with the audit package of checkout SRC (python -m audit with"
        " PYTHONPATH=SRC) in the same rounds: before/after figures of a change",
    )
    p.add_argument("--no-reuse", action="store_true", help="skip the reuse lint runs")
    p.add_argument("--no-inventory", action="store_true", help="skip the inventory runs")
    p.add_argument(
        "--corpus",
        nargs="?",
        const=Path("auto"),
        type=Path,
        help="also every tree of this corpus directory (default: /tmp/depaudit-corpus or"
        " ../shared/corpus)",
    )
    p.add_argument(
        "--copies",
        action="append",
        default=[],
        metavar="NAME:N[,N]",
        help="also trees of N copies of corpus tree NAME side by side (built once under --work)",
    )
    p.add_argument("--markdown", action="store_true", help="also print Markdown tables")
    args = p.parse_args(argv)
    _adopt_orphans()
    if args.before is not None:
        # audit/ alone would run with no bundled data (no license texts: far too fast)
        missing = [d for d in ("audit", "data", "policies") if not (args.before / d).is_dir()]
        if missing:
            p.error(
                f"--before {args.before}: no {', '.join(f'{d}/' for d in missing)} there"
                " (make it with `git archive REV | tar -x -C SRC`)"
            )
    print(machine())
    print(f"load average at start: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    trees: list[Path] = []
    copies: dict[Path, tuple[str, int]] = {}
    for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
        root = args.work / f"synthetic-{size}"
        if not root.exists():
            print(f"building {root} ...", flush=True)
            tmp = args.work / f".building-{size}"
            shutil.rmtree(tmp, ignore_errors=True)
            synth.build(tmp, size)
            tmp.rename(root)
        trees.append(root)
    corpus = _corpus_dir(args.corpus) if args.corpus or args.copies else None
    if args.corpus and corpus is not None:
        trees += sorted(p for p in corpus.iterdir() if p.is_dir() and not p.name.startswith("."))
    for spec in args.copies:
        name, _, counts = spec.partition(":")
        if corpus is None:
            raise SystemExit("--copies needs the corpus (see --corpus)")
        for n in [int(c) for c in counts.split(",") if c.strip()]:
            trees.append(_copies(corpus / name, n, args.work))
            copies[trees[-1]] = (name, n)
    trees += [t.resolve() for t in args.trees]
    series: dict[str, list[tuple[int, int, dict[str, list[Run]]]]] = {}
    for root in trees:
        runs = bench_tree(root, args)
        if root in copies:
            name, n = copies[root]
            series.setdefault(name, []).append((n, count_files(root), runs))
    for name, points in sorted(series.items()):
        if len(points) > 1:
            _per_file(name, points)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
