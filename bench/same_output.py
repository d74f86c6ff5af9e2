"""Check that a change leaves depaudit's output byte-identical on real trees.

Run by hand, never in CI. Record the reports of one checkout, then compare another's::

    python bench/same_output.py record /tmp/before                     # this checkout
    python bench/same_output.py record /tmp/before --src /tmp/base      # another checkout
    python bench/same_output.py compare /tmp/before                     # this checkout again

For every tree (by default each corpus tree under ``/tmp/depaudit-corpus`` or
``../shared/corpus`` and ``examples/falco-2023``) it runs ``depaudit scan TREE --offline``
writing the JSON and the Markdown report in one run, twice: cold (``--no-cache``, an empty
cache directory) and warm (the scan cache filled by a first run). ``compare`` names every
report that differs and exits 1 when one does. ``--src DIR`` runs the ``audit`` package of
another checkout (``python -m audit`` with ``PYTHONPATH=DIR``) with this interpreter.

The example lives in this repository: it is scanned from a copy at a fixed place outside
it, so that its reports do not hold the checkout's commit and path. The hash seed is fixed
to 0 (the output no longer depends on it on the corpus, but a change might make it); compare
a checkout with itself to see any noise before blaming a change. Two runs at once (two
people comparing on one machine) take turns: each holds a lock on that fixed place.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS_DIRS = (Path("/tmp/depaudit-corpus"), HERE.parent.parent / "shared" / "corpus")
FORMATS = (("json", "json"), ("markdown", "md"))
SHARED_COPIES = Path(tempfile.gettempdir()) / "depaudit-same-output"


@contextlib.contextmanager
def _turn() -> Iterator[None]:
    """Wait for, then hold, the lock on the fixed place where copies are scanned: another
    run would delete a copy under this one's scan."""
    with open(f"{SHARED_COPIES}.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another run ({SHARED_COPIES}.lock)", file=sys.stderr)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def default_trees() -> list[Path]:
    trees: list[Path] = []
    for base in CORPUS_DIRS:
        if base.is_dir():
            trees = sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))
            break
    example = HERE.parent / "examples" / "falco-2023"
    if example.is_dir():
        trees.append(example)
    return trees


def _outside_the_checkout(tree: Path) -> Path:
    """``tree`` itself, or, for a tree inside this repository (the example), a copy at a
    fixed place outside it: its report would otherwise hold the checkout's commit and
    path, which differ between any two checkouts compared."""
    repo = HERE.parent.resolve()
    if not tree.resolve().is_relative_to(repo):
        return tree
    copy = SHARED_COPIES / tree.name
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(tree, copy, symlinks=True)
    return copy


def run_reports(tree: Path, out: Path, src: Path | None) -> None:
    """Write ``out/TREE.{cold,warm}.{json,md}``."""
    tree = _outside_the_checkout(tree)
    # one hash seed for every run: main's output still depends on it in places (set order
    # reaching the report), which would hide what a change did
    env = {**os.environ, "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0")}
    command = [sys.executable, "-m", "audit"]
    if src is not None:
        env["PYTHONPATH"] = str(src)
    with tempfile.TemporaryDirectory(prefix="depaudit-same-") as cache:
        env["DEPAUDIT_CACHE_DIR"] = cache
        for mode, extra in (("cold", ["--no-cache"]), ("fill", []), ("warm", [])):
            argv = [*command, "scan", str(tree), "--offline", "--fail-on", "never", *extra]
            for fmt, ext in FORMATS:
                target = out / f"{tree.name}.{mode}.{ext}"
                argv += ["--format", fmt, "-o", str(target)]
            done = subprocess.run(
                argv, env=env, capture_output=True, text=True, cwd=tempfile.gettempdir()
            )
            if done.returncode != 0:
                raise SystemExit(f"{tree}: exit {done.returncode}: {done.stderr[-800:]}")
            if mode == "fill":
                for _fmt, ext in FORMATS:
                    (out / f"{tree.name}.fill.{ext}").unlink()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("action", choices=("record", "compare"))
    p.add_argument("reports", type=Path, help="directory of the recorded reports")
    p.add_argument(
        "trees", nargs="*", type=Path, help="trees (default: the corpus and the example)"
    )
    p.add_argument("--src", type=Path, help="checkout whose audit package runs (default: this one)")
    args = p.parse_args(argv)
    trees = [t.resolve() for t in args.trees] or default_trees()
    with _turn():
        return _record(args, trees) if args.action == "record" else _compare(args, trees)


def _record(args: argparse.Namespace, trees: list[Path]) -> int:
    args.reports.mkdir(parents=True, exist_ok=True)
    for tree in trees:
        run_reports(tree, args.reports, args.src)
        print(f"recorded {tree}")
    return 0


def _compare(args: argparse.Namespace, trees: list[Path]) -> int:
    differ = 0
    with tempfile.TemporaryDirectory(prefix="depaudit-same-now-") as now:
        for tree in trees:
            run_reports(tree, Path(now), args.src)
            for mode in ("cold", "warm"):
                for _fmt, ext in FORMATS:
                    name = f"{tree.name}.{mode}.{ext}"
                    before = (args.reports / name).read_bytes()
                    after = (Path(now) / name).read_bytes()
                    if before == after:
                        print(f"same     {name} ({len(after):,} bytes)")
                        continue
                    differ += 1
                    print(f"DIFFERS  {name}")
                    diff = difflib.unified_diff(
                        before.decode(errors="replace").splitlines(),
                        after.decode(errors="replace").splitlines(),
                        "before", "after", lineterm="", n=1,
                    )  # fmt: skip
                    for line in list(diff)[:20]:
                        print(f"    {line}")
    print(f"{differ} report(s) differ" if differ else "all reports byte-identical")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
