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
def tree(normalized: str) -> Any:
    """The license-expression object of an already normalized expression."""
    return licensing().parse(normalized, validate=False, strict=True)


@functools.lru_cache(maxsize=65536)
def is_equivalent(a: str, b: str) -> bool:
    """Whether two normalized expressions mean the same (``MIT OR X`` == ``X OR MIT``)."""
    if a == b:
        return True
    if license_keys(a) != license_keys(b):
        return False
    return bool(licensing().is_equivalent(tree(a), tree(b)))


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
    return frozenset(str(k) for k in licensing().license_keys(tree(normalized)))


def references(normalized: str) -> frozenset[str]:
    """The ``LicenseRef-``/``DocumentRef-`` keys of a normalized expression."""
    return frozenset(k for k in license_keys(normalized) if is_reference(k))


# Tree access for the engine -------------------------------------------------------------


def node_kind(node: Any) -> str:
    """``and``, ``or``, ``with`` or ``license``."""
    lic = licensing()
    if isinstance(node, lic.AND):
        return "and"
    if isinstance(node, lic.OR):
        return "or"
    if hasattr(node, "license_symbol") and hasattr(node, "exception_symbol"):
        return "with"
    return "license"


def children(node: Any) -> tuple[Any, ...]:
    return tuple(getattr(node, "args", ()))


def render(node: Any) -> str:
    """Render a node; a compound node's outer parentheses are dropped."""
    text = str(node.render())
    if text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        return text[1:-1]
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def leaf_license(node: Any) -> str:
    """The license id of a leaf (the license part of a ``WITH`` unit)."""
    symbol = node.license_symbol if node_kind(node) == "with" else node
    return str(symbol.key)


def leaves(node: Any) -> tuple[Any, ...]:
    """The leaves (license symbols and ``WITH`` units) of a node, in order."""
    if node_kind(node) in ("and", "or"):
        out: list[Any] = []
        for child in children(node):
            out.extend(leaves(child))
        return tuple(out)
    return (node,)
