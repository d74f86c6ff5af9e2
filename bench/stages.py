"""Where the time of one offline audit goes, stage by stage, in one process. Run by hand::

    python bench/stages.py /tmp/depaudit-bench/synthetic-100000 [--jobs 2]

Figures are wall seconds of: discovery, the scan stage (cold, then warm from the scan
cache), the whole inventory (discover, scan, source grouping, link), the whole offline audit
(inventory, license resolution from the HTTP cache, policy, plan) and rendering the report.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from audit.config import load_config
from audit.discover import discover
from audit.gcpause import tuned
from audit.pipeline import AuditOptions, build_inventory, run_audit
from audit.report.registry import render
from audit.scan import ScanSettings, default_jobs, scan, scan_settings

T = TypeVar("T")


def timed(label: str, fn: Callable[[], T], *, tune: bool = True) -> T:
    """Run ``fn`` as the command line runs a pipeline call (``tune``: the collector tuned
    around it, audit.gcpause.tuned) and print its wall time."""
    start = time.perf_counter()
    if tune:
        with tuned():
            value = fn()
    else:
        value = fn()
    print(f"  {label:40} {time.perf_counter() - start:8.2f} s", flush=True)
    return value


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("root", type=Path)
    p.add_argument("--jobs", type=int, default=min(default_jobs(), 4))
    args = p.parse_args(argv)
    root = args.root.resolve()
    config = load_config(root)
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        settings = ScanSettings(jobs=args.jobs, cache_dir=cache)
        print(f"{root} (--jobs {args.jobs})")
        found = timed("discover", lambda: discover(root, excludes=config.exclude), tune=False)
        print(f"    {len(found.files)} files")
        timed("scan, cold (fills the scan cache)", lambda: scan(found, settings=settings))
        timed("scan, warm", lambda: scan(found, settings=settings))
        with scan_settings(settings):
            timed("inventory (discover+scan+group+link)", lambda: build_inventory(root, config))
            options = AuditOptions(offline=True, cache_path=cache / "http.sqlite")
            report = timed("offline audit (all stages)", lambda: run_audit(root, config, options))
        for fmt in ("text", "json"):
            timed(f"render {fmt}", lambda fmt=fmt: render(fmt, report, color=False), tune=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
