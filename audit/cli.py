"""The ``depaudit`` command line: parses options and wires the pipeline stages together.

Exit codes: 0 clean, 1 findings at or above ``--fail-on``, 2 usage, configuration or input
error (one line on stderr; ``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from audit import __version__
from audit.errors import InputError

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise InputError(message)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, help="configuration file (default: PATH/.depaudit.toml)")
    p.add_argument("--format", "-f", action="append", dest="formats", metavar="FORMAT",
                   help="output format (repeatable, paired with --output)")
    p.add_argument("--output", "-o", action="append", dest="outputs", metavar="FILE",
                   help="write to FILE instead of stdout (repeatable, one per --format)")
    p.add_argument("--debug", action="store_true", help="show tracebacks for errors")


def _path_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", default=".", type=Path, help="repository root (default: .)")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="skip paths matching GLOB (repeatable; adds to the config's exclude)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="depaudit",
        description="Dependency and license audit: inventory, policy, actions.",
    )
    parser.add_argument("--version", action="version", version=f"depaudit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    inv = sub.add_parser("inventory", help="components and their graph (no network)")
    _path_arg(inv)
    _common(inv)
    inv.set_defaults(func=_cmd_inventory)
    return parser


def _root(path: Path) -> Path:
    if not path.exists():
        raise InputError(f"no such directory: {path}")
    if not path.is_dir():
        raise InputError(f"not a directory: {path}")
    return path


def _outputs(args: argparse.Namespace, default: str, allowed: Sequence[str]) -> list[tuple[str, str | None]]:
    formats = args.formats or [default]
    outputs = args.outputs or []
    for f in formats:
        if f not in allowed:
            raise InputError(f"unknown --format {f!r} (choose from {', '.join(allowed)})")
    if len(outputs) > len(formats):
        raise InputError("more --output than --format options")
    if len(formats) > 1 and len(outputs) < len(formats) - 1:
        raise InputError("several --format options need an --output for all but one")
    pairs: list[tuple[str, str | None]] = []
    for i, f in enumerate(formats):
        pairs.append((f, outputs[i] if i < len(outputs) else None))
    return pairs


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


def _cmd_inventory(args: argparse.Namespace) -> int:
    from audit.config import load_config
    from audit.graph import GraphIndex, removable
    from audit.model import ComponentKind
    from audit.pipeline import build_inventory
    from audit.report import inventory as render

    root = _root(args.path)
    pairs = _outputs(args, "json", ("json", "text"))
    config = load_config(root, args.config)
    if args.exclude:
        from dataclasses import replace

        config = replace(config, exclude=(*config.exclude, *args.exclude))
    run = build_inventory(root, config, display_root=str(args.path))
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
        return render.render_json(render.inventory_document(run.inventory, removals, run.findings))

    _emit(pairs, render_fmt)
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    try:
        parser = build_parser()
        args = parser.parse_args(args_list)
        return int(args.func(args))
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


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
