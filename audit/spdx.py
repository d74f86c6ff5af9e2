"""SPDX license expressions: the one place that parses, normalizes, compares and keys them.

Every stage that reads a license expression goes through here (license-expression's SPDX
``Licensing``, built once), so that ``GPL-2.0``, ``gpl-2.0-only`` and ``GPL-2.0-only`` are
one license everywhere and a deprecated id reads the same on every path
(``GPL-2.0-with-classpath-exception`` -> ``GPL-2.0-only WITH Classpath-exception-2.0``).
license-expression's errors are caught by their own types (:data:`ERRORS`).
``license_expression`` is imported lazily: importing this module costs nothing on the scan
hot path.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from license_expression import Licensing

NO_INFORMATION = frozenset({"NOASSERTION", "NONE"})
"""SPDX keywords that say there is no license information: the license is unknown."""

# SPDX deprecated ids that name a license together with an exception. license-expression
# knows them only as exception symbols, so they are rewritten before parsing. The license
# part follows license-expression's own reading of the bare id (GPL-2.0 -> GPL-2.0-only).
_DEPRECATED_WITH = {
    "gpl-2.0-with-autoconf-exception": "GPL-2.0-only WITH Autoconf-exception-2.0",
    "gpl-2.0-with-bison-exception": "GPL-2.0-only WITH Bison-exception-2.2",
    "gpl-2.0-with-classpath-exception": "GPL-2.0-only WITH Classpath-exception-2.0",
    "gpl-2.0-with-font-exception": "GPL-2.0-only WITH Font-exception-2.0",
    "gpl-2.0-with-gcc-exception": "GPL-2.0-only WITH GCC-exception-2.0",
    "gpl-3.0-with-autoconf-exception": "GPL-3.0-only WITH Autoconf-exception-3.0",
    "gpl-3.0-with-gcc-exception": "GPL-3.0-only WITH GCC-exception-3.1",
}
_TOKEN = re.compile(r"[A-Za-z0-9.+:_-]+")
_REF_PREFIXES = ("licenseref-", "documentref-")
_MAX_LENGTH = 4000


@dataclass(frozen=True)
class ParsedExpression:
    """The outcome of reading one license expression."""

    raw: str
    """The text as given."""
    normalized: str | None
    """The normalized SPDX expression; ``None`` when the license is unknown."""
    problem: str = ""
    """Why ``normalized`` is ``None`` (empty when it is not)."""


@functools.lru_cache(maxsize=1)
def licensing() -> Licensing:
    """The shared SPDX ``Licensing`` of license-expression (built once)."""
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


@functools.lru_cache(maxsize=1)
def errors() -> tuple[type[BaseException], ...]:
    """What reading an expression may raise: license-expression's own errors (its
    ``ExpressionError`` and the ``ParseError`` of boolean.py it builds on), the
    ``RecursionError`` of deeply nested input, and what boolean.py's parser raises on some
    malformed input instead of its ``ParseError``: ``IndexError`` (``( )``) and
    ``AssertionError`` (``( AND MIT``), plus, defensively, ``ValueError``/``TypeError``."""
    from license_expression import ExpressionError, ParseError

    return (
        ExpressionError,
        ParseError,
        RecursionError,
        IndexError,
        AssertionError,
        ValueError,
        TypeError,
    )


def is_reference(key: str) -> bool:
    """True for ``LicenseRef-…`` and ``DocumentRef-…:LicenseRef-…`` keys."""
    return key.lower().startswith(_REF_PREFIXES)


def _rewrite_deprecated(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        new = _DEPRECATED_WITH.get(m.group(0).lower())
        return f"({new})" if new else m.group(0)

    return _TOKEN.sub(repl, text)


@functools.lru_cache(maxsize=8192)
def parse_expression(text: str) -> ParsedExpression:
    """Parse and normalize ``text``; never raises.

    Deprecated ids are replaced by their current form (``GPL-2.0+`` -> ``GPL-2.0-or-later``,
    ``GPL-2.0-with-classpath-exception`` -> ``GPL-2.0-only WITH Classpath-exception-2.0``).
    ``NOASSERTION``, ``NONE``, unknown ids and unparseable text give ``normalized=None``
    with the reason in ``problem``. ``LicenseRef-`` ids are kept as written.
    """
    raw = text
    text = text.strip()
    if not text:
        return ParsedExpression(raw, None, "empty license expression")
    if len(text) > _MAX_LENGTH:
        return ParsedExpression(raw, None, "license expression too long")
    from audit import spdxcache

    readings = spdxcache.current()
    known = readings.get(raw)
    if known is not None:
        return ParsedExpression(raw, *known)
    parsed = _parse(raw, text)
    readings.put(raw, (parsed.normalized, parsed.problem))
    return parsed


def _parse(raw: str, text: str) -> ParsedExpression:
    """:func:`parse_expression` of a text not read in an earlier run, by license-expression."""
    lic = licensing()
    try:
        parsed = lic.parse(_rewrite_deprecated(text), validate=False, strict=True)
    except errors() as err:
        return ParsedExpression(raw, None, f"cannot parse: {err}")
    if parsed is None:
        return ParsedExpression(raw, None, "empty license expression")
    keys = [str(k) for k in lic.unknown_license_keys(parsed)]
    no_info = [k for k in keys if k.upper() in NO_INFORMATION]
    if no_info:
        return ParsedExpression(raw, None, f"{no_info[0].upper()}: no license information")
    unknown = [k for k in keys if not is_reference(k)]
    if unknown:
        return ParsedExpression(raw, None, f"unknown license id {unknown[0]!r}")
    return ParsedExpression(raw, parsed.render())


def normalize(expression: str) -> str | None:
    """The normalized SPDX form of ``expression``, or ``None`` when the license is unknown."""
    return parse_expression(expression).normalized


@functools.lru_cache(maxsize=8192)
def tree(normalized: str) -> Node:
    """The tree of an already normalized expression (:func:`parse_expression`'s form)."""
    return _read(normalized) or _node(expression_object(normalized))


@functools.lru_cache(maxsize=8192)
def expression_object(normalized: str) -> Any:
    """license-expression's own object of an already normalized expression, for the
    libraries that take one (spdx-tools); depaudit's stages use :func:`tree`."""
    return licensing().parse(normalized, validate=False, strict=True)


@functools.lru_cache(maxsize=65536)
def is_equivalent(a: str, b: str) -> bool:
    """Whether two normalized expressions mean the same (``MIT OR X`` == ``X OR MIT``)."""
    if a == b:
        return True
    if license_keys(a) != license_keys(b):
        return False
    if _canonical(tree(a)) == _canonical(tree(b)):
        return True  # the same up to order, grouping and repeats of AND/OR operands
    return bool(licensing().is_equivalent(expression_object(a), expression_object(b)))


def equivalent(a: str, b: str) -> bool:
    """Whether two expressions as written mean the same: equal text, or both valid and
    equivalent once normalized (``gpl-2.0+ OR MIT`` == ``MIT OR GPL-2.0-or-later``)."""
    if a == b:
        return True
    na, nb = normalize(a), normalize(b)
    return na is not None and nb is not None and is_equivalent(na, nb)


@functools.lru_cache(maxsize=8192)
def license_keys(normalized: str) -> frozenset[str]:
    """The license and exception ids named in a normalized expression."""
    return frozenset(
        k for leaf in leaves(tree(normalized)) for k in (leaf.key, leaf.exception) if k
    )


def references(normalized: str) -> frozenset[str]:
    """The ``LicenseRef-``/``DocumentRef-`` keys of a normalized expression."""
    return frozenset(k for k in license_keys(normalized) if is_reference(k))


# Tree access for the engine -------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """A node of a normalized expression: ``and``/``or`` over :attr:`args`, ``with``
    (:attr:`key` ``WITH`` :attr:`exception`) or ``license`` (:attr:`key`). Read from the
    normalized text by depaudit (:func:`tree`), so that judging an expression needs no
    license-expression ``Licensing`` (building one costs every run a few hundredths of a
    second); the same tree license-expression gives for that text."""

    kind: str
    args: tuple[Node, ...] = ()
    key: str = ""
    exception: str = ""


_TREE_TOKEN = re.compile(r"\(|\)|[^\s()]+")
_OPERATORS = {"AND": "and", "OR": "or"}


def _read(normalized: str) -> Node | None:
    """The tree of a normalized expression as license-expression renders one — operands of
    one operator in a row, a compound operand in parentheses, ``KEY WITH EXCEPTION`` — or
    ``None`` for any other text (then license-expression reads it)."""
    tokens = _TREE_TOKEN.findall(normalized)
    node, end = _read_expr(tokens, 0)
    return node if node is not None and end == len(tokens) else None


def _read_expr(tokens: list[str], i: int) -> tuple[Node | None, int]:
    operands: list[Node] = []
    kind = ""
    while True:
        operand, i = _read_operand(tokens, i)
        if operand is None:
            return None, i
        operands.append(operand)
        if i == len(tokens) or tokens[i] == ")":
            break
        op = _OPERATORS.get(tokens[i])
        if op is None or (kind and op != kind):
            return None, i  # AND and OR in one row: not a rendered expression
        kind = op
        i += 1
    if len(operands) == 1:
        return operands[0], i
    return Node(kind, tuple(operands)), i


def _read_operand(tokens: list[str], i: int) -> tuple[Node | None, int]:
    if i >= len(tokens):
        return None, i
    token = tokens[i]
    if token == "(":
        node, i = _read_expr(tokens, i + 1)
        if node is None or i >= len(tokens) or tokens[i] != ")":
            return None, i
        return node, i + 1
    if token == ")" or token in _OPERATORS or token == "WITH":
        return None, i
    if i + 1 < len(tokens) and tokens[i + 1] == "WITH":
        exception = tokens[i + 2] if i + 2 < len(tokens) else "("
        if exception in ("(", ")", "WITH") or exception in _OPERATORS:
            return None, i
        return Node("with", key=token, exception=exception), i + 3
    return Node("license", key=token), i + 1


def _node(parsed: Any) -> Node:
    """A license-expression tree as a :class:`Node` tree."""
    lic = licensing()
    if isinstance(parsed, lic.AND | lic.OR):
        kind = "and" if isinstance(parsed, lic.AND) else "or"
        return Node(kind, tuple(_node(a) for a in parsed.args))
    if hasattr(parsed, "license_symbol") and hasattr(parsed, "exception_symbol"):
        return Node(
            "with", key=str(parsed.license_symbol.key), exception=str(parsed.exception_symbol.key)
        )
    return Node("license", key=str(parsed.key))


def _canonical(node: Node) -> object:
    """``node`` with the operands of each AND/OR flattened, sorted and without repeats."""
    if node.kind not in ("and", "or"):
        return (node.kind, node.key, node.exception)
    flat: set[object] = set()
    for child in node.args:
        c = _canonical(child)
        if isinstance(c, tuple) and c[0] == node.kind and len(c) == 2:
            flat.update(c[1])
        else:
            flat.add(c)
    return (node.kind, frozenset(flat))


def node_kind(node: Node) -> str:
    """``and``, ``or``, ``with`` or ``license``."""
    return node.kind


def children(node: Node) -> tuple[Node, ...]:
    return node.args


def render(node: Node) -> str:
    """The text of a node as license-expression renders it, without outer parentheses."""
    if node.kind == "license":
        return node.key
    if node.kind == "with":
        return f"{node.key} WITH {node.exception}"
    joiner = " AND " if node.kind == "and" else " OR "
    return joiner.join(f"({render(c)})" if c.args else render(c) for c in node.args)


def leaf_license(node: Node) -> str:
    """The license id of a leaf (the license part of a ``WITH`` unit)."""
    return node.key


def leaves(node: Node) -> tuple[Node, ...]:
    """The leaves (license symbols and ``WITH`` units) of a node, in order."""
    if node.args:
        out: list[Node] = []
        for child in node.args:
            out.extend(leaves(child))
        return tuple(out)
    return (node,)
