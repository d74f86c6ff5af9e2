"""What the notices scanner costs on one tree, in one process. Run by hand::

    python bench/notices.py /tmp/depaudit-corpus/libs-0.13.1 [--runs 5]

Reads every discovered file the notices scanner wants (binary files are left out, as the
scan stage does) and times only ``SCANNER.scan`` over them: the median of ``--runs`` runs,
after one warm-up run (which also builds or loads the license index; what the scanner
remembers of texts seen before is dropped before each run), in wall-clock and in
CPU time (``time.process_time``: on a machine others load too, compare CPU times, taken
by turns with the code compared against).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from audit.discover import discover
from audit.scan import decode, is_binary
from audit.scanners import notices as scanner
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
    total = sum(len(SCANNER.scan(s).notices) for s in sources)
    first = time.perf_counter() - start
    print(f"{root.name}: {len(sources)} files, {total} notices; first run {first:.3f} s")
    times: list[float] = []
    cpu: list[float] = []
    forget = getattr(scanner, "forget", lambda: None)  # older code remembers nothing
    for _ in range(args.runs):
        forget()
        start, start_cpu = time.perf_counter(), time.process_time()
        for s in sources:
            SCANNER.scan(s)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    if not times:
        return 0  # --runs 0: read and warm up only (the base of an instruction count)
    each = ", ".join(f"{t:.3f}" for t in times)
    print(f"  median of {args.runs}: {statistics.median(times):.3f} s  ({each})")
    print(f"  CPU median: {statistics.median(cpu):.3f} s  min {min(cpu):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
