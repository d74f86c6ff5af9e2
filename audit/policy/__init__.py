"""The evaluate stage: license policies, exception registries, waivers and the engine.

Typical use::

    policy = load_policy()                      # policies/cncf.toml
    registry = load_exceptions([str(bundled_exceptions())])
    verdict = evaluate("GPL-2.0-only OR MIT", context="ebpf", distribution="distributed",
                       project="Falco", as_of=date(2023, 9, 1), policy=policy,
                       exceptions=registry)
"""

from __future__ import annotations

from pathlib import Path

from audit.policy.engine import Evaluator, evaluate
from audit.policy.exceptions import (
    ExceptionMatch,
    ExceptionRecord,
    ExceptionRegistry,
    load_exceptions,
    match_exceptions,
    parse_exceptions,
    scope_contexts,
)
from audit.policy.expressions import (
    ParsedExpression,
    is_equivalent,
    license_keys,
    normalize,
    parse_expression,
)
from audit.policy.policy import (
    CONTEXTS,
    DEFAULT_POLICY,
    DISTRIBUTIONS,
    KernelRule,
    Policy,
    Rule,
    load_policy,
    parse_policy,
)
from audit.policy.waivers import (
    Waiver,
    expired_waivers,
    load_waivers,
    parse_waivers,
    unused_waivers,
)
from audit.resources import data_dir

BUNDLED_EXCEPTIONS = "cncf-exceptions.json"


def bundled_exceptions() -> Path:
    """The hand-written CNCF exceptions excerpt shipped in data/ (the offline default)."""
    return data_dir() / BUNDLED_EXCEPTIONS


__all__ = [
    "BUNDLED_EXCEPTIONS",
    "CONTEXTS",
    "DEFAULT_POLICY",
    "DISTRIBUTIONS",
    "Evaluator",
    "ExceptionMatch",
    "ExceptionRecord",
    "ExceptionRegistry",
    "KernelRule",
    "ParsedExpression",
    "Policy",
    "Rule",
    "Waiver",
    "bundled_exceptions",
    "evaluate",
    "expired_waivers",
    "is_equivalent",
    "license_keys",
    "load_exceptions",
    "load_policy",
    "load_waivers",
    "match_exceptions",
    "normalize",
    "parse_exceptions",
    "parse_expression",
    "parse_policy",
    "parse_waivers",
    "scope_contexts",
    "unused_waivers",
]
