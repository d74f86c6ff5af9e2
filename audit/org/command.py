"""The ``depaudit org`` command: its options, and the wiring of targets, run and report.

``depaudit org PATH [options] [--scan SCAN OPTIONS...]`` audits every repository PATH names (a
folder of repositories, or a list file), each exactly as ``depaudit scan [SCAN OPTIONS]``
would; ``depaudit org report`` renders the cross-project report from the history.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from audit.errors import InputError

RUN_FORMATS = ("text", "json")
REPORT_FORMATS = ("markdown", "html")
REFUSED_SCAN_OPTIONS = (
    "--format", "-f", "--output", "-o", "--history", "--baseline", "--base", "--project",
    "--jobs", "-j", "--quiet", "-q", "--no-progress", "--debug",
)  # fmt: skip
"""Scan options ``depaudit org`` decides itself (per repository, or for the whole run)."""


def add_parsers(sub: Any, options: bool = True) -> None:
    """Add ``org`` to the command line's subcommands (``options=False``: listed only, its
    options not added: another command runs, :func:`audit.cli.build_parser`)."""
    from audit import cli
    from audit.org import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT

    org = sub.add_parser(
        "org",
        help="audit many repositories (a folder of them, or a list file), each as scan would;"
        " `org report` for the cross-project report",
        description="Audit every repository PATH names, each exactly as `depaudit scan "
        "[SCAN OPTIONS]` would, and record the runs in the history database; or, with "
        "`depaudit org report`, render the cross-project report from it.",
    )
    if not options:
        return
    org.add_argument(
        "target",
        metavar="PATH|report",
        help="a folder whose subfolders are repositories, or a list file (`LOCATION [REF]` "
        "per line: a local directory, or a git URL and its ref); `report`: the cross-project"
        " report of the newest org run (write ./report for a folder of that name)",
    )
    org.add_argument(
        "--scan",
        nargs=argparse.REMAINDER,
        default=[],
        dest="scan_args",
        metavar="SCAN-OPTION",
        help="the rest of the command line: options of `depaudit scan` for every repository "
        "(e.g. --scan --offline --as-of 2023-06-29)",
    )
    org.add_argument(
        "--history",
        type=Path,
        metavar="DB",
        help="the history database (default: .depaudit/history.sqlite)",
    )
    org.add_argument(
        "--executor",
        default="local",
        metavar="EXECUTOR",
        help="where repositories are audited: local (a process per repository, --jobs at "
        "once), dask-local (a Dask cluster of --jobs workers started here) or "
        "dask://HOST:PORT (a Dask scheduler; needs depaudit[distributed])",
    )
    org.add_argument(
        "--jobs",
        "-j",
        type=cli._jobs,
        metavar="N",
        help="repositories audited at once (default: the CPUs, at most 4)",
    )
    org.add_argument(
        "--repo-timeout",
        type=cli._seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"time one repository may take (default: {DEFAULT_TIMEOUT:g})",
    )
    org.add_argument(
        "--memory",
        type=cli.whole_number(64, "MiB, at least 64"),
        default=DEFAULT_MEMORY_MB,
        metavar="MIB",
        help=f"address space one repository's audit may use (default: {DEFAULT_MEMORY_MB})",
    )
    org.add_argument(
        "--min-projects",
        type=cli.whole_number(1, "a positive number of projects"),
        default=2,
        metavar="N",
        help="report: a license needed in one context by N or more projects is a "
        "blanket-exception candidate (default: 2)",
    )
    org.add_argument(
        "--org-run",
        type=cli.whole_number(1, "an org run id (a positive number)"),
        metavar="ID",
        help="report: the org run to report on (default: the newest)",
    )
    cli._format_options(org, (*RUN_FORMATS, *REPORT_FORMATS), "text (run), markdown (report)")
    org.set_defaults(func=cmd_org)


def _scan_options(scan_args: list[str]) -> argparse.Namespace:
    """``depaudit scan``'s reading of the options given after ``--scan`` (checked now,
    not once per repository)."""
    from audit.cli import build_parser

    for arg in scan_args:
        name = arg.split("=", 1)[0]
        if name in REFUSED_SCAN_OPTIONS:
            raise InputError(f"{name} is not a scan option `depaudit org` passes on")
    parsed: argparse.Namespace = build_parser().parse_args(["scan", ".", *scan_args])
    return parsed


def cmd_org(args: argparse.Namespace) -> int:
    if args.target == "report":
        return cmd_report(args)
    from audit import cli
    from audit.history import DEFAULT_DB
    from audit.org.executors import ExecutorSpec
    from audit.org.run import OrgSettings, run_org
    from audit.org.targets import load_targets
    from audit.scan import default_jobs

    pairs = cli._outputs(args, "text", RUN_FORMATS)
    scan = _scan_options(list(args.scan_args))
    try:
        executor = ExecutorSpec.parse(args.executor)
    except ValueError as exc:
        raise InputError(f"--executor: {exc}") from None
    targets = load_targets(Path(args.target))
    settings = OrgSettings(
        scan_args=tuple(args.scan_args), as_of=scan.as_of, executor=executor,
        jobs=args.jobs or min(default_jobs(), 4), timeout=args.repo_timeout,
        memory_mb=args.memory,
    )  # fmt: skip
    if executor.kind != "local":
        from audit.org.executors import _distributed

        _distributed()  # one line saying what to install, before anything runs
    db = args.history or DEFAULT_DB
    total = len(targets)
    done = [0]

    def progress(row: Any) -> None:
        done[0] += 1
        if not args.no_progress:
            print(f"depaudit org: [{done[0]}/{total}] {_row_line(row)}", file=sys.stderr)

    org = run_org(targets, settings, db, progress=progress)
    from audit.org.summary import exit_code, render_run

    cli._emit(pairs, lambda fmt: render_run(org, str(db), fmt))
    return exit_code(org)


def _row_line(row: Any) -> str:
    if row.status == "failed":
        return f"{row.repository}: failed: {row.error}"
    code = f", exit {row.exit_code}" if row.exit_code is not None else ""
    return f"{row.repository}: {row.status}{code} ({row.seconds:.1f} s)"


def cmd_report(args: argparse.Namespace) -> int:
    """``depaudit org report``: the cross-project report of an org run."""
    import json
    from datetime import date

    from audit import cli
    from audit.config import Config
    from audit.history import DEFAULT_DB, open_history
    from audit.issueform import load_form
    from audit.org.crossreport import Judge, build_report, newest_org_run
    from audit.pipeline import AuditOptions, audit_policy, exception_sources
    from audit.policy import load_exceptions
    from audit.report.registry import ORG_FORMATS, render_org

    pairs = cli._outputs(args, "markdown", tuple(ORG_FORMATS))
    with open_history(args.history or DEFAULT_DB) as conn:
        org_run = args.org_run or newest_org_run(conn)
        row = conn.execute(
            "SELECT options, recorded_at FROM org_runs WHERE id = ?", (org_run,)
        ).fetchone()
        if row is None:
            raise InputError(f"no org run {org_run} in the history")
        scan_args = [str(a) for a in json.loads(row[0]).get("scan_args", [])]
        scan = _scan_options(scan_args)
        options = AuditOptions(policy=scan.policy, exceptions=tuple(scan.exceptions))
        registry = load_exceptions(
            list(exception_sources(options, Config())),
            fetch_json=cli._fetcher(scan.offline, scan.timeout),
        )
        as_of = scan.as_of or date.fromisoformat(str(row[1])[:10])
        judge = Judge(audit_policy(options, Config(), Path.cwd()), registry, as_of)
        report = build_report(conn, org_run, judge, min_projects=args.min_projects)
    form = load_form(None, as_of=None)
    cli._emit(pairs, lambda fmt: render_org(fmt, report, form=form))
    return 0
