"""What the notices scanner costs on one tree, in one process. Run by hand::

    python bench/notices.py /tmp/depaudit-corpus/libs-0.13.1 [--runs 5]

Reads every discovered file the notices scanner wants (binary files are left out, as the
scan stage does) and times only ``SCANNER.scan`` over them: the median of ``--runs`` runs,
after one warm-up run (which also builds or loads the license index).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from audit.discover import discover
from audit.scan import decode, is_binary
from audit.scanners.base import SourceFile
from audit.scanners.notices import SCANNER


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("root", type=Path)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    root = args.root.resolve()
    found = discover(root)
    sources: list[SourceFile] = []
    for cand in found.files:
        if not SCANNER.matches(cand.path):
            continue
        data = (root / cand.path).read_bytes()
        if not is_binary(data[:8192]):
            sources.append(SourceFile(cand.path, decode(data).text))
    start = time.perf_counter()
    notices = sum(len(SCANNER.scan(s).notices) for s in sources)
    first = time.perf_counter() - start
    print(f"{root.name}: {len(sources)} files, {notices} notices; first run {first:.3f} s")
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        for s in sources:
            SCANNER.scan(s)
        times.append(time.perf_counter() - start)
    each = ", ".join(f"{t:.3f}" for t in times)
    print(f"  median of {args.runs}: {statistics.median(times):.3f} s  ({each})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
