"""SPDX license expressions as the policy reads them: the names it uses, re-exported from
:mod:`audit.spdx` (the one place that parses, normalizes, compares and keys them)."""

from __future__ import annotations

from audit.spdx import (
    NO_INFORMATION,
    ParsedExpression,
    children,
    is_equivalent,
    is_reference,
    leaf_license,
    leaves,
    license_keys,
    licensing,
    node_kind,
    normalize,
    parse_expression,
    render,
    tree,
)

__all__ = [
    "NO_INFORMATION",
    "ParsedExpression",
    "children",
    "is_equivalent",
    "is_reference",
    "leaf_license",
    "leaves",
    "license_keys",
    "licensing",
    "node_kind",
    "normalize",
    "parse_expression",
    "render",
    "tree",
]
