"""The ``depaudit`` command line: parses options and wires the pipeline stages together.

Exit codes: 0 clean, 1 findings at or above ``--fail-on``, 2 usage, configuration or input
error (one line on stderr; ``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from audit import __version__
from audit.errors import InputError
from audit.gcpause import tuned
from audit.vocabulary import CONTEXTS, DISTRIBUTIONS

if TYPE_CHECKING:
    from audit.config import Config
    from audit.history import RunInfo
    from audit.http import Endpoints, HttpClient
    from audit.model import Report
    from audit.scan import ScanSettings

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


def _terminal_columns() -> int:
    """The columns of the terminal as :func:`shutil.get_terminal_size` tells them (``COLUMNS``
    when set, else standard output's terminal, else 80), without importing :mod:`shutil`
    (and the compression modules it imports: 2.5 ms of every start)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, its width found by :func:`_terminal_columns` (argparse
    makes one for every option it adds, and finds the width with :mod:`shutil`)."""

    def __init__(self, prog: str, **kwargs: Any) -> None:
        if kwargs.get("width") is None:
            kwargs["width"] = _terminal_columns() - 2  # as argparse does
        super().__init__(prog, **kwargs)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        # one line, as for every other error; the usage is one --help away
        raise InputError(f"{message} (see `{self.prog} --help`)")


def _common(p: argparse.ArgumentParser, formats: Sequence[str], default: str) -> None:
    p.add_argument("--config", type=Path, help="configuration file (default: PATH/.depaudit.toml)")
    _format_options(p, formats, default)


def _format_options(p: argparse.ArgumentParser, formats: Sequence[str], default: str) -> None:
    """``--format`` (its choices listed in --help), ``--output`` and ``--debug``."""
    p.set_defaults(format_choices=tuple(formats), default_format=default)
    p.add_argument(
        "--format",
        "-f",
        action="append",
        dest="formats",
        metavar="FORMAT",
        help=f"output format: {', '.join(formats)} (default: {default}, or the one --output's"
        " extension names; repeatable, paired with --output)",
    )
    p.add_argument(
        "--output",
        "-o",
        action="append",
        dest="outputs",
        metavar="FILE",
        help="write to FILE instead of stdout (repeatable, one per --format; checked writable"
        " before the audit starts)",
    )
    _debug_option(p)


def _debug_option(p: argparse.ArgumentParser) -> None:
    # SUPPRESS: a subcommand's own default must not undo `depaudit --debug COMMAND`
    p.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks for errors"
    )
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar on stderr (it is drawn only on a terminal, for large trees)",
    )


def _path_arg(p: argparse.ArgumentParser) -> None:
    p.set_defaults(scans=True)  # main() sets up the scan settings for these commands only
    p.add_argument("path", nargs="?", default=".", type=Path, help="repository root (default: .)")
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="scan every file again (default: reuse the results of unchanged files, kept in "
        "the cache directory)",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        metavar="N",
        help="processes that scan files in large trees (default: the CPUs, at most 4)",
    )
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip paths matching GLOB (repeatable; adds to the config's exclude)",
    )
    p.add_argument(
        "--source",
        action="append",
        default=[],
        type=_source,
        metavar="NAME=PATH",
        help="audit bundled component NAME too, from a local checkout PATH; PATH@auto: a git "
        "mirror read at the pinned commit; @fetch: the pinned archive, downloaded and "
        "verified (repeatable; adds to the config's [sources])",
    )


def _endpoint(text: str) -> tuple[str, str]:
    from audit.endpoints import parse_arg

    try:
        return parse_arg(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _source(text: str) -> tuple[str, str]:
    from audit.bundled import parse_source_arg

    try:
        return parse_source_arg(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser. ``command``: the command the line names
    (:func:`command_of`): every command is listed (``--help``, its choices) but only that
    one gets its options (argparse takes about 3 ms to add every command's, on every run);
    ``None``: every command gets them."""
    parser = _Parser(
        prog="depaudit",
        description="Dependency and license audit: inventory, policy, actions.",
    )
    parser.add_argument("--version", action="version", version=VERSION)
    _debug_option(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, (help_text, options) in _COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        if command is None or command == name:
            options(p)
    from audit.org.command import add_parsers as add_org_parsers

    add_org_parsers(sub, options=command is None or command == "org")
    return parser


def command_of(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names: its first word that is no option (the top level's
    options take no value), when it is one of the commands; else None."""
    word = next((a for a in argv if not a.startswith("-")), None)
    return word if word in _COMMANDS or word == "org" else None


def _scan_options(scan: argparse.ArgumentParser) -> None:
    _path_arg(scan)
    _common(scan, report_formats(), "text")
    _audit_options(scan)
    scan.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default=None,
        help="lowest action severity that fails the run (default: needs-exception)",
    )
    scan.add_argument(
        "--baseline",
        type=Path,
        metavar="REPORT",
        help="a previous JSON report: only new findings fail the run",
    )
    scan.add_argument(
        "--base",
        metavar="REF",
        help="pull-request gate: also audit the tree at git REF (read with git archive, "
        "nothing run from it); only what is new or worse here fails the run, and the text "
        "and markdown reports end with what changed",
    )
    scan.add_argument(
        "--strict",
        action="store_true",
        help="unknowns decide: a distributed component whose license is unknown (a curation "
        "to add, or a lookup not made) fails the run",
    )
    scan.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="text format: only the summary and one line per decision (CI logs, pre-commit)",
    )
    scan.add_argument(
        "--history",
        type=Path,
        metavar="DB",
        help="record this run in the SQLite history DB (e.g. .depaudit/history.sqlite); "
        "the html format then charts the recorded runs",
    )
    scan.set_defaults(func=_cmd_scan)


def _inventory_options(inv: argparse.ArgumentParser) -> None:
    _path_arg(inv)
    _common(inv, INVENTORY_FORMATS, "json")
    inv.set_defaults(func=_cmd_inventory)


def _license_options(lic: argparse.ArgumentParser) -> None:
    lic.add_argument("expression", help="an SPDX license expression, e.g. 'GPL-2.0-only OR MIT'")
    lic.add_argument(
        "--context",
        default="userspace",
        choices=CONTEXTS,
        help=f"execution context: {', '.join(CONTEXTS)} (default: userspace)",
    )
    lic.add_argument(
        "--distribution",
        default="distributed",
        choices=DISTRIBUTIONS,
        help=f"distribution model: {', '.join(DISTRIBUTIONS)} (default: distributed)",
    )
    lic.add_argument("--project", help="the project asking (exceptions can be per project)")
    lic.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD")
    lic.add_argument("--policy", help="policy file or bundled policy name (default: cncf)")
    lic.add_argument(
        "--exceptions",
        action="append",
        default=[],
        metavar="SRC",
        help="exceptions database file or URL (repeatable)",
    )
    lic.add_argument("--waivers", metavar="FILE")
    lic.add_argument("--offline", action="store_true")
    _timeout_option(lic)
    _format_options(lic, ("text", "json"), "text")
    lic.set_defaults(func=_cmd_license)


def _explain_options(exp: argparse.ArgumentParser) -> None:
    exp.add_argument("id", help="a component id or name (e.g. avocado-framework)")
    _path_arg(exp)
    _common(exp, ("text", "json"), "text")
    _audit_options(exp)
    exp.set_defaults(func=_cmd_explain)


def _request_options(req: argparse.ArgumentParser) -> None:
    _path_arg(req)
    _common(req, ("markdown", "json"), "markdown")
    _audit_options(req)
    req.add_argument(
        "--component",
        action="append",
        default=[],
        metavar="ID",
        help="only these components (repeatable; default: all that need one)",
    )
    req.add_argument(
        "--output-dir",
        type=Path,
        metavar="DIR",
        help="write one body file per request (and requests.json) into DIR",
    )
    req.add_argument(
        "--form",
        metavar="FORM",
        help="the issue form to fill in: a FILE, a URL (needs the network), a shipped "
        "revision date, or 'as-of' for the one in force on --as-of (default: the newest "
        "shipped CNCF form)",
    )
    req.set_defaults(func=_cmd_request)


_DB_HELP = "the history database (default: .depaudit/history.sqlite)"


def _history_options(hist: argparse.ArgumentParser) -> None:
    hist.add_argument("--db", type=Path, metavar="DB", help=_DB_HELP)
    hist.add_argument("--limit", type=int, metavar="N", help="only the newest N runs")
    from audit.report.registry import HISTORY_FORMATS

    _runs_options(hist, _cmd_history, HISTORY_FORMATS)


def _diff_options(dif: argparse.ArgumentParser) -> None:
    dif.add_argument(
        "run_a",
        nargs="?",
        metavar="RUN_A",
        help="a run id, or -N back from the newest (default: the run before the newest)",
    )
    dif.add_argument("run_b", nargs="?", metavar="RUN_B", help="(default: the newest run)")
    dif.add_argument("--db", type=Path, metavar="DB", help=_DB_HELP)
    from audit.report.registry import DIFF_FORMATS

    _runs_options(dif, _cmd_diff, DIFF_FORMATS)


def _runs_options(
    p: argparse.ArgumentParser, func: Callable[[argparse.Namespace], int], formats: Sequence[str]
) -> None:
    p.add_argument(
        "--repository", metavar="NAME", help="only the runs `depaudit org` recorded for NAME"
    )
    _format_options(p, formats, "text")
    p.set_defaults(func=func)


_COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {
    "scan": ("the full audit (exit 0 clean, 1 findings, 2 error)", _scan_options),
    "inventory": ("components and their graph (no network)", _inventory_options),
    "license": ("evaluate one license expression", _license_options),
    "explain": ("the evidence and reasons behind one verdict", _explain_options),
    "request": ("license exception request bodies (Markdown/JSON)", _request_options),
    "history": ("the recorded runs of scheduled audits", _history_options),
    "diff": ("what changed between two recorded runs", _diff_options),
}
"""Each command (but ``org``, :mod:`audit.org.command`) in the order ``--help`` lists them:
its help and what adds its options."""


FAIL_ON = ("unknown", "needs-exception", "denied", "never")
INVENTORY_FORMATS = ("json", "text", "cyclonedx", "spdx")


def report_formats() -> tuple[str, ...]:
    from audit.report.registry import names

    return names()


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (0 < value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _timeout_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help="connect and read timeout of each HTTP request try (default: 5 s to connect, 20 s"
        " to read; 3 tries per request)",
    )


def _audit_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--policy", help="policy file or bundled policy name (default: cncf)")
    p.add_argument(
        "--exceptions",
        action="append",
        default=[],
        metavar="SRC",
        help="exceptions database file or URL (repeatable; default: bundled snapshot)",
    )
    p.add_argument("--waivers", metavar="FILE", help="the project's waivers file (TOML)")
    p.add_argument(
        "--curations",
        metavar="FILE",
        help="curations file (default: PATH/.depaudit/curations.toml)",
    )
    p.add_argument("--project", help="project name as exception records spell it")
    p.add_argument(
        "--allow-config-urls",
        action="store_true",
        help="let the scanned repository's own configuration name URLs to fetch (exceptions "
        "databases, @fetch sources); default: they are ignored, with a warning",
    )
    p.add_argument(
        "--as-of",
        type=_date,
        metavar="YYYY-MM-DD",
        help="evaluate the policy and exceptions as they stood on that date",
    )
    p.add_argument(
        "--offline",
        action="store_true",
        help="no network: answer from in-repo evidence, curations and the cache",
    )
    p.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="HTTP cache directory (default: $DEPAUDIT_CACHE_DIR or ~/.cache/depaudit)",
    )
    p.add_argument(
        "--image-labels",
        action="store_true",
        help="read the org.opencontainers.image.licenses label of images from their registries"
        " (anonymous pulls of manifest and config; off by default)",
    )
    p.add_argument(
        "--endpoint",
        action="append",
        default=[],
        type=_endpoint,
        metavar="NAME=URL",
        help="ask a mirror instead: NAME is pypi, depsdev, clearlydefined, github, docker_hub or "
        "registry:HOST (repeatable; over $DEPAUDIT_ENDPOINT_<NAME>, [endpoints] in the "
        "configuration and in ~/.config/depaudit/config.toml)",
    )
    _timeout_option(p)


def _root(path: Path) -> Path:
    if not path.exists():
        raise InputError(f"no such directory: {path}")
    if not path.is_dir():
        raise InputError(f"not a directory: {path}")
    return path


def _outputs(
    args: argparse.Namespace, default: str, allowed: Sequence[str]
) -> list[tuple[str, str | None]]:
    """``--format``/``--output`` pairs; a format left out is the one the output's extension
    names (``-o sbom.cdx.json``), else ``default``. Every output is checked writable now, so
    that a bad path fails before the audit rather than after it."""
    from audit.report.registry import infer_format

    outputs = args.outputs or []
    formats = list(args.formats or [])
    for f in formats:
        if f not in allowed:
            raise InputError(f"unknown --format {f!r} (choose from {', '.join(allowed)})")
    if formats and len(outputs) > len(formats):
        raise InputError("more --output than --format options")
    if not formats:
        formats = [infer_format(out, tuple(allowed)) or default for out in outputs] or [default]
    if len(formats) > 1 and len(outputs) < len(formats) - 1:
        raise InputError("several --format options need an --output for all but one")
    pairs: list[tuple[str, str | None]] = []
    for i, f in enumerate(formats):
        pairs.append((f, outputs[i] if i < len(outputs) else None))
    for _, out in pairs:
        if out is not None and out != "-":
            _check_writable(Path(out))
    return pairs


def _check_writable(path: Path) -> None:
    """InputError naming ``path`` unless a file can be written there."""
    import os

    if path.is_dir():
        raise InputError("cannot write: is a directory", path=str(path))
    if path.exists():
        ok = os.access(path, os.W_OK)
    else:
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise InputError("cannot write: no such directory", path=str(path))
        ok = os.access(parent, os.W_OK | os.X_OK)
    if not ok:
        raise InputError("cannot write: permission denied", path=str(path))


def _emit(pairs: Sequence[tuple[str, str | None]], render: Callable[[str], str]) -> None:
    for fmt, out in pairs:
        text = render(fmt)
        if out is None or out == "-":
            sys.stdout.write(text)
        else:
            try:
                Path(out).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise InputError(f"cannot write: {exc.strerror}", path=out) from None


def _emit_each(pairs: Sequence[tuple[str, str | None]], render: Callable[[str, bool], str]) -> None:
    """:func:`_emit` for renderers that need to know whether they write to a file."""
    for fmt, out in pairs:

        def one(f: str, to_file: bool = out is not None and out != "-") -> str:
            return render(f, to_file)

        _emit([(fmt, out)], one)


def _cmd_inventory(args: argparse.Namespace) -> int:
    from audit.graph import GraphIndex, removable
    from audit.model import ComponentKind
    from audit.pipeline import build_inventory
    from audit.report import inventory as render

    root = _root(args.path)
    pairs = _outputs(args, "json", INVENTORY_FORMATS)
    config = _config(args, root)
    run = build_inventory(root, config, display_root=str(args.path), sources=tuple(args.source))
    index = GraphIndex.build(run.inventory)
    removals = {}
    for c in run.inventory.components:
        if c.kind in (ComponentKind.SOURCE,):
            continue
        r = removable(index, c.id)
        if r.removable:
            removals[c.id] = r

    def render_fmt(fmt: str) -> str:
        if fmt == "text":
            return render.render_text(run.inventory, removals, run.findings)
        if fmt in ("cyclonedx", "spdx"):
            from audit.pipeline import inventory_report
            from audit.report.registry import render as render_report

            report = inventory_report(root, config, run, display_root=str(args.path))
            return render_report(fmt, report)
        return render.render_json(render.inventory_document(run.inventory, removals, run.findings))

    _emit(pairs, render_fmt)
    return EXIT_CLEAN


def _config(args: argparse.Namespace, root: Path) -> Config:
    from dataclasses import replace

    from audit.config import confine, load_config
    from audit.discover import DEFAULT_MAX_FILE_SIZE

    config = confine(
        load_config(root, args.config), root, max_file_size=DEFAULT_MAX_FILE_SIZE,
        allow_urls=getattr(args, "allow_config_urls", False),
    )  # fmt: skip
    if getattr(args, "exclude", None):
        config = replace(config, exclude=(*config.exclude, *args.exclude))
    return config


def _audit(
    args: argparse.Namespace,
    tree: Path | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> tuple[Config, Report]:
    """Audit PATH, or ``tree`` (the base of ``--base``) with PATH's configuration;
    ``meanwhile`` as :func:`audit.pipeline.run_audit`'s."""
    from audit.pipeline import AuditOptions, run_audit

    root = _root(args.path)
    config = _config(args, root)
    cache = args.cache_dir / "http.sqlite" if args.cache_dir else None
    from audit.endpoints import resolve as resolve_endpoints

    endpoints = resolve_endpoints(config.endpoints, args.endpoint)
    options = AuditOptions(
        policy=args.policy,
        exceptions=tuple(args.exceptions),
        waivers=args.waivers,
        curations=args.curations,
        project=args.project,
        as_of=args.as_of,
        offline=args.offline,
        cache_path=cache,
        endpoints=endpoints,
        registry_labels=args.image_labels,
        sources=tuple(args.source),
    )
    from audit.progress import scan_progress

    # without --timeout, run_audit makes its own client (the library's defaults)
    client = None
    if args.timeout is not None:
        client = _http_client(cache, args.offline, args.timeout, endpoints)
    # a bar on stderr for long scans, when it is a terminal
    with scan_progress(enabled=not getattr(args, "no_progress", False)):
        report = run_audit(
            tree or root,
            config,
            options,
            display_root=str(args.path),
            client=client,
            meanwhile=meanwhile,
        )
    return config, report


def _cmd_scan(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from audit.report.registry import FORMATS, render, renderer

    default = "text"
    pairs = _outputs(args, default, tuple(FORMATS))
    if args.base is not None and args.baseline is not None:
        raise InputError("--base and --baseline both say what is known: give one")

    def meanwhile() -> None:
        """What renders the report, imported while the scan's copies scan."""
        import importlib

        importlib.import_module("audit.baseline")
        for fmt, _ in pairs:
            renderer(fmt)

    config, report = _audit(args, meanwhile=meanwhile)
    from audit.actions import undecided
    from audit.baseline import action_key, compare, gate, load_baseline, mark_new

    history = _record_history(args, report)
    new_keys: set[str] | None = None
    known: frozenset[str] | None = None
    base_section: Callable[[str], str] | None = None
    if args.baseline is not None:
        known = load_baseline(args.baseline)
    elif args.base is not None:
        from audit.prgate import base_tree, render_base_diff

        with base_tree(_root(args.path), args.base) as tree:
            _, base_report = _audit(args, tree.root)
        known = frozenset(action_key(a) for a in base_report.actions)
        head = report

        def base_section(fmt: str) -> str:
            return render_base_diff(fmt, base_report, head, tree)

    if known is not None:
        diff = compare([action_key(a) for a in report.actions], known)
        report = replace(report, actions=mark_new(report.actions, diff))
        new_keys = set(diff.new)
    fail_on = args.fail_on or config.fail_on or "needs-exception"
    if fail_on not in FAIL_ON:
        raise InputError(f"fail_on must be one of {', '.join(FAIL_ON)}", path=config.path)
    outcome = gate(
        report.actions,
        fail_on,
        new_keys,
        strict=args.strict,
        undecided=undecided(report.inventory, report.results) if args.strict else (),
    )
    report = replace(report, outcome=outcome)

    def render_fmt(fmt: str, to_file: bool) -> str:
        tty = not to_file and sys.stdout.isatty()
        text = render(
            fmt,
            report,
            color=tty and not os.environ.get("NO_COLOR"),
            width=_text_width(tty),
            quiet=args.quiet,
            history=history,
        )
        if base_section is not None and fmt in ("text", "markdown"):
            text += "\n" + base_section(fmt)
        return text

    _emit_each(pairs, render_fmt)
    files = [out for _fmt, out in pairs if out not in (None, "-")]
    if files:
        from audit.report.text import decisions_line, summary_line

        print(
            f"depaudit: {summary_line(report)}; {decisions_line(report)}; {outcome.reason}; "
            f"report in {', '.join(str(f) for f in files)}",
            file=sys.stderr,
        )
    return outcome.code


def _text_width(tty: bool) -> int | None:
    """Columns of the text report: ``COLUMNS`` when set, else the terminal's, else the
    renderer's default (a file, a pipe, a CI log)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if tty:
        return _terminal_columns()
    return None


def _cmd_license(args: argparse.Namespace) -> int:
    import json

    from audit.model import STATUS_SEVERITY, Status, to_jsonable
    from audit.policy import (
        bundled_exceptions,
        evaluate,
        load_exceptions,
        load_policy,
        load_waivers,
    )
    from audit.policy.expressions import parse_expression

    pairs = _outputs(args, "text", ("text", "json"))
    parsed = parse_expression(args.expression)
    if parsed.problem and (
        parsed.problem.startswith("cannot parse") or parsed.problem.startswith("empty")
    ):
        raise InputError(f"not an SPDX license expression: {args.expression!r} ({parsed.problem})")
    if args.policy and (args.policy.endswith(".toml") or "/" in args.policy):
        policy = load_policy(Path(args.policy))
    else:
        policy = load_policy(name=args.policy) if args.policy else load_policy()
    sources = args.exceptions or [str(bundled_exceptions())]
    registry = load_exceptions(sources, fetch_json=_fetcher(args.offline, args.timeout))
    waivers = load_waivers(Path(args.waivers)) if args.waivers else ()
    verdict = evaluate(
        args.expression,
        context=args.context,
        distribution=args.distribution,
        project=args.project,
        as_of=args.as_of or date.today(),
        policy=policy,
        exceptions=registry,
        waivers=waivers,
    )

    def render_fmt(fmt: str) -> str:
        if fmt == "json":
            doc = {
                "expression": args.expression,
                "context": args.context,
                "distribution": args.distribution,
                "project": args.project,
                "as_of": args.as_of.isoformat() if args.as_of else None,
                "policy": policy.name,
                "verdict": to_jsonable(verdict),
            }
            return json.dumps(doc, indent=2) + "\n"
        lines = [f"{args.expression}: {verdict.status.value}"]
        if verdict.election:
            lines.append(f"  election: {verdict.election}")
        if verdict.exception:
            lines.append(f"  exception: {verdict.exception}")
        if verdict.rule:
            lines.append(f"  rule: {verdict.rule}")
        lines.extend(f"  - {r}" for r in verdict.reasons)
        lines.extend(f"  warning: {w}" for w in registry.warnings)
        return "\n".join(lines) + "\n"

    _emit(pairs, render_fmt)
    bad = STATUS_SEVERITY[verdict.status] >= STATUS_SEVERITY[Status.NEEDS_EXCEPTION]
    return EXIT_FINDINGS if bad else EXIT_CLEAN


def _http_client(
    cache_path: Path | None,
    offline: bool,
    timeout: float | None,
    endpoints: Endpoints | None = None,
) -> HttpClient:
    """An HTTP client; ``timeout`` (``--timeout``) is the connect and the read timeout."""
    from audit.http import HttpClient

    if timeout is None:
        return HttpClient(cache_path, offline=offline, endpoints=endpoints)
    return HttpClient(
        cache_path,
        offline=offline,
        connect_timeout=timeout,
        read_timeout=timeout,
        endpoints=endpoints,
    )


def _fetcher(offline: bool, timeout: float | None = None) -> Callable[[str], object]:
    def fetch_json(url: str) -> object:
        from audit.errors import ConfigError

        got = _http_client(None, offline, timeout).get_json(url)
        if not got.ok:
            raise ConfigError(f"cannot fetch the exceptions database: {got.error}", path=url)
        return got.data

    return fetch_json


def _find_component(report: Report, wanted: str) -> str:
    from audit.actions import matches_name

    ids = [c.id for c in report.inventory.components if c.id == wanted]
    if not ids:
        ids = [c.id for c in report.inventory.components if matches_name(c, wanted)]
    if not ids:
        raise InputError(f"no component matches {wanted!r} (see `depaudit inventory`)")
    if len(ids) > 1:
        raise InputError(f"{wanted!r} matches several components: {', '.join(ids)}")
    return ids[0]


def _cmd_explain(args: argparse.Namespace) -> int:
    import json

    from audit.explain import explain_document, explain_text

    pairs = _outputs(args, "text", ("text", "json"))
    _, report = _audit(args)
    cid = _find_component(report, args.id)

    def render_fmt(fmt: str) -> str:
        if fmt == "json":
            return json.dumps(explain_document(report, cid), indent=2, ensure_ascii=False) + "\n"
        return explain_text(report, cid)

    _emit(pairs, render_fmt)
    return EXIT_CLEAN


def _cmd_request(args: argparse.Namespace) -> int:
    from audit.filing import coverage, gh_command, new_issue_url
    from audit.issueform import load_form
    from audit.pipeline import AuditOptions, audit_policy, exception_sources
    from audit.policy import Evaluator, load_exceptions
    from audit.request import build_requests, render_body, render_json

    pairs = _outputs(args, "markdown", ("markdown", "json"))
    form = load_form(
        args.form, as_of=args.as_of, fetch_text=None if args.offline else _text_fetcher(args)
    )
    config, report = _audit(args)
    requests = build_requests(report, args.component or None, args.project or report.project)
    if not requests:
        print("depaudit: no component needs a license exception", file=sys.stderr)
        return EXIT_CLEAN
    options = AuditOptions(policy=args.policy, exceptions=tuple(args.exceptions))
    registry = load_exceptions(
        list(exception_sources(options, config)), fetch_json=_fetcher(args.offline, args.timeout)
    )
    today = Evaluator(
        project=requests[0].project,
        as_of=None,
        policy=audit_policy(options, config, _root(args.path)),
        exceptions=registry,
    )
    components = {c.id: c for c in report.inventory.components}
    results = {r.component_id: r for r in report.results}
    for cov in coverage(registry, today, requests, results, components):
        print(f"depaudit: note: {cov.describe()}", file=sys.stderr)
    revision = f" (revision {form.revision})" if form.revision else ""
    print(f"depaudit: form: {form.name}{revision}, {form.source}", file=sys.stderr)
    for n, r in enumerate(requests, 1):
        url = new_issue_url(r, form)
        names = ", ".join(c.name for c in r.components)
        print(f"depaudit: request {n}: {r.title}: {names}", file=sys.stderr)
        if url:
            print(f"  file it (text fields prefilled): {url}", file=sys.stderr)
        else:
            print(f"  file it: {gh_command(r, form, r.request_file)}", file=sys.stderr)
    if args.output_dir is not None:
        args.output_dir.mkdir(parents=True, exist_ok=True)
        for r in requests:
            target = args.output_dir / Path(r.request_file).name
            target.write_text(render_body(r, form), encoding="utf-8")
            print(f"wrote {target}", file=sys.stderr)
        (args.output_dir / "requests.json").write_text(
            render_json(requests, form), encoding="utf-8"
        )
        return EXIT_CLEAN

    def render_fmt(fmt: str) -> str:
        if fmt == "json":
            return render_json(requests, form)
        return "\n---\n\n".join(
            f"<!-- {r.title} ({r.request_file}) -->\n{render_body(r, form)}" for r in requests
        )

    _emit(pairs, render_fmt)
    return EXIT_CLEAN


def _text_fetcher(args: argparse.Namespace) -> Callable[[str], str]:
    """Reads a text document (an issue form) through the HTTP cache."""

    def fetch_text(url: str) -> str:
        from audit.issueform import MAX_FORM_BYTES

        cache = args.cache_dir / "http.sqlite" if args.cache_dir else None
        got = _http_client(cache, args.offline, args.timeout).get_bytes(
            url, max_bytes=MAX_FORM_BYTES
        )
        if not got.ok:
            raise InputError(f"cannot fetch the form: {got.error}", path=url)
        try:
            return bytes(got.data).decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("the form is not UTF-8 text", path=url) from None

    return fetch_text


def _record_history(args: argparse.Namespace, report: Report) -> tuple[RunInfo, ...] | None:
    """With ``--history DB``: record the run, and return every recorded run for the chart."""
    if args.history is None:
        return None
    from audit.history import record_report

    return record_report(args.history, report, args.path)


def _cmd_history(args: argparse.Namespace) -> int:
    from audit.history import DEFAULT_DB, open_history, runs
    from audit.report.diff import render_history
    from audit.report.registry import HISTORY_FORMATS

    pairs = _outputs(args, "text", HISTORY_FORMATS)
    with open_history(args.db or DEFAULT_DB) as conn:
        found = runs(conn, limit=args.limit, repository=args.repository)
    _emit(pairs, lambda fmt: render_history(found, fmt))
    return EXIT_CLEAN


def _cmd_diff(args: argparse.Namespace) -> int:
    from audit.diff import diff_runs
    from audit.history import DEFAULT_DB, diff_pair, load_run, open_history
    from audit.report.diff import render as render_diff
    from audit.report.registry import DIFF_FORMATS

    pairs = _outputs(args, "text", DIFF_FORMATS)
    with open_history(args.db or DEFAULT_DB) as conn:
        a, b = diff_pair(conn, args.run_a, args.run_b, args.repository)
        diff = diff_runs(load_run(conn, a), load_run(conn, b))
    _emit(pairs, lambda fmt: render_diff(fmt, diff))
    return EXIT_CLEAN


def whole_number(minimum: int, expected: str) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``, else the one-line error
    "expected EXPECTED, got 'TEXT'"."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


_jobs = whole_number(1, "a positive number of processes")


def _scan_settings(args: argparse.Namespace) -> ScanSettings:
    """How scans run for this command: ``--jobs``, and the cache unless ``--no-cache``."""
    from audit.cachedir import default_cache_dir
    from audit.scan import ScanSettings, default_jobs

    jobs = getattr(args, "jobs", None) or min(default_jobs(), 4)
    if getattr(args, "no_cache", False):
        return ScanSettings(jobs=jobs)
    cache_dir = getattr(args, "cache_dir", None) or default_cache_dir()
    return ScanSettings(jobs=jobs, cache_dir=cache_dir)


def _keep_readings() -> None:
    """Keep what this command read or compiled that later runs can reuse
    (audit/spdxcache.py, audit/classcode.py)."""
    for name in ("audit.spdxcache", "audit.classcode"):
        cache = sys.modules.get(name)  # not imported: nothing to keep
        if cache is not None:
            cache.save()


VERSION = f"depaudit {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list == ["--version"]:  # answered before the parser of every command is built
        print(VERSION)
        return EXIT_CLEAN
    debug = "--debug" in args_list
    try:
        from audit import classcode

        classcode.install()  # before the parser and the command define any data class
        parser = build_parser(command_of(args_list))
        args = parser.parse_args(args_list)
        if not getattr(args, "scans", False):
            code = int(args.func(args))
        else:
            from audit.scan import scan_settings

            # A command on one tree runs with the collector tuned from here to its end: its
            # imports, the pipeline and the report build acyclic data that lives until exit
            # (the collector walked it again and again: about a tenth of the import time).
            with tuned(), scan_settings(_scan_settings(args)):
                code = int(args.func(args))
        _keep_readings()
        return code
    except InputError as exc:
        if debug:
            traceback.print_exc()
        print(f"depaudit: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("depaudit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_CLEAN
    except Exception as exc:  # the last line of defence: one line, no traceback
        if debug:
            traceback.print_exc()
        print(
            f"depaudit: internal error: {type(exc).__name__}: {exc} (run with --debug for details)",
            file=sys.stderr,
        )
        return EXIT_ERROR


def run() -> NoReturn:
    """The ``depaudit`` command (and ``python -m audit``): :func:`main`, then the process
    ends without tearing the interpreter down, nor freeing the data the stages were done
    with (:mod:`audit.quickexit`)."""
    from audit.quickexit import exit_now, keep_until_exit

    keep_until_exit()
    exit_now(main())


if __name__ == "__main__":  # pragma: no cover
    run()
