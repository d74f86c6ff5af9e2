"""``setup.py``: the requirement keywords of ``setup(...)``, read through ``ast`` only.

Never executed. Literal lists, tuples, strings and dicts are read, as are module-level
``NAME = [...]`` assignments referenced by name and ``+`` of such lists; anything else
(a call, a comprehension, ``open(...).read()``) is an ``unresolved`` Problem at its line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from audit.components import manifest_id
from audit.model import Node, Relation, ScanResult
from audit.scanners.base import SourceFile
from audit.scanners.requirements import Collector, requirement_component

NAME = "setup.py"

_LIST_KEYWORDS = {
    "install_requires": "",
    "tests_require": "test",
    "setup_requires": "build",
}
_MAX_DEPTH = 20


@dataclass(frozen=True)
class _Str:
    """A requirement string and the line it is written on."""

    text: str
    line: int


class _Unresolved(Exception):
    def __init__(self, node: ast.AST, why: str) -> None:
        super().__init__(why)
        self.line = getattr(node, "lineno", 0)
        self.why = why


def _module_names(tree: ast.Module) -> dict[str, ast.expr | None]:
    """Module-level single-name assignments; ``None`` for names assigned more than once."""
    names: dict[str, ast.expr | None] = {}
    for stmt in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            names[stmt.target.id] = None
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                names[target.id] = None if target.id in names else value
    return names


def _string_lines(node: ast.Constant) -> Iterator[_Str]:
    """A string constant: one requirement per non-comment line (setuptools accepts this)."""
    text = str(node.value)
    multiline = (node.end_lineno or node.lineno) > node.lineno  # a triple-quoted literal
    for offset, line in enumerate(text.splitlines()):
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            yield _Str(line, node.lineno + offset if multiline else node.lineno)


def _strings(node: ast.expr, names: Mapping[str, ast.expr | None], depth: int = 0) -> list[_Str]:
    """The requirement strings of a literal expression, or raise :class:`_Unresolved`."""
    if depth > _MAX_DEPTH:
        raise _Unresolved(node, "reference chain too deep")
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return list(_string_lines(node))
    if isinstance(node, (ast.List, ast.Tuple)):
        out: list[_Str] = []
        for elt in node.elts:
            if isinstance(elt, ast.Constant) and isinstance(elt.value, str):
                out.append(_Str(elt.value, elt.lineno))
            else:
                out.extend(_strings(elt, names, depth + 1))
        return out
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _strings(node.left, names, depth + 1) + _strings(node.right, names, depth + 1)
    if isinstance(node, ast.Name):
        value = names.get(node.id)
        if value is None:
            why = "assigned more than once" if node.id in names else "not a module-level literal"
            raise _Unresolved(node, f"{node.id} is {why}")
        return _strings(value, names, depth + 1)
    raise _Unresolved(node, f"not a literal: {_snippet(node)}")


def _snippet(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except (RecursionError, ValueError):
        return type(node).__name__
    return text if len(text) <= 80 else text[:77] + "..."


def _extras(
    node: ast.expr, names: Mapping[str, ast.expr | None], depth: int = 0
) -> list[tuple[str, ast.expr]]:
    """``(extra, value expression)`` pairs of a literal ``extras_require`` dict."""
    if depth > _MAX_DEPTH:
        raise _Unresolved(node, "reference chain too deep")
    if isinstance(node, ast.Name):
        value = names.get(node.id)
        if value is None:
            raise _Unresolved(node, f"{node.id} is not a module-level literal")
        return _extras(value, names, depth + 1)
    if isinstance(node, ast.Dict):
        out: list[tuple[str, ast.expr]] = []
        for key, value in zip(node.keys, node.values, strict=True):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                raise _Unresolved(key or value, f"extras key is not a literal: {_snippet(value)}")
            out.append((key.value, value))
        return out
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "dict"
        and not node.args
        and all(k.arg for k in node.keywords)
    ):
        return [(str(k.arg), k.value) for k in node.keywords]
    raise _Unresolved(node, f"extras_require is not a literal: {_snippet(node)}")


def _is_setup_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id == "setup") or (
        isinstance(func, ast.Attribute) and func.attr == "setup"
    )


def _add_strings(
    source: SourceFile,
    value: ast.expr,
    names: Mapping[str, ast.expr | None],
    props: Mapping[str, str],
    label: str,
    out: Collector,
) -> None:
    try:
        strings = _strings(value, names)
    except _Unresolved as exc:
        msg = f"{label}: {exc.why}"
        out.add(source.problem(exc.line, "unresolved", msg, NAME), Relation.REQUIRES)
        return
    for item in strings:
        found = requirement_component(item.text, source, item.line, NAME, props)
        out.add(found, Relation.REQUIRES)


def _scan_call(
    source: SourceFile, call: ast.Call, names: Mapping[str, ast.expr | None], out: Collector
) -> None:
    for kw in call.keywords:
        if kw.arg is None:
            msg = f"setup() takes **{_snippet(kw.value)}: its requirements are not read"
            out.add(source.problem(kw.value.lineno, "unresolved", msg, NAME), Relation.REQUIRES)
        elif kw.arg in _LIST_KEYWORDS:
            scope = _LIST_KEYWORDS[kw.arg]
            props = {"scope": scope} if scope else {}
            _add_strings(source, kw.value, names, props, kw.arg, out)
        elif kw.arg == "extras_require":
            try:
                extras = _extras(kw.value, names)
            except _Unresolved as exc:
                msg = f"extras_require: {exc.why}"
                out.add(source.problem(exc.line, "unresolved", msg, NAME), Relation.REQUIRES)
                continue
            for extra, value in extras:
                props = {"scope": f"optional:{extra}"}
                _add_strings(source, value, names, props, f"extras_require[{extra!r}]", out)


@dataclass(frozen=True)
class SetupPyScanner:
    """``setup.py`` requirement keywords (static reading only)."""

    name: str = NAME

    def matches(self, path: str) -> bool:
        return path.rsplit("/", 1)[-1] == "setup.py"

    def scan(self, source: SourceFile) -> ScanResult:
        node_id = manifest_id(source.path)
        out = Collector.for_node(node_id)
        node = Node(node_id, "manifest", source.path, properties=(("format", "setup.py"),))
        try:
            tree = ast.parse(source.text, filename=source.path)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            line = getattr(exc, "lineno", None) or 0
            msg = f"not Python: {getattr(exc, 'msg', None) or type(exc).__name__}"
            out.add(source.problem(line, "parse-error", msg, NAME), Relation.REQUIRES)
            return out.result(node)
        names = _module_names(tree)
        calls = sorted(
            (n for n in ast.walk(tree) if isinstance(n, ast.Call) and _is_setup_call(n)),
            key=lambda n: (n.lineno, n.col_offset),
        )
        for call in calls:
            assert isinstance(call, ast.Call)
            _scan_call(source, call, names, out)
        return out.result(node)


SCANNER = SetupPyScanner()

__all__ = ["SCANNER"]
