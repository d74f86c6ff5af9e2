"""Property tests: the OR/AND laws of the engine over random expressions (userspace)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from audit.model import Status
from audit.policy import ExceptionRegistry, evaluate, load_policy, normalize

POLICY = load_policy()
EMPTY = ExceptionRegistry()

ALLOWED = ("MIT", "Apache-2.0", "BSD-3-Clause", "ISC", "Zlib", "PostgreSQL")
NOT_ALLOWED = ("GPL-2.0-only", "LGPL-2.1-only", "MPL-2.0", "EPL-2.0", "GPL-3.0-or-later")
DENIED = ("SSPL-1.0", "BUSL-1.1")

leaf = st.sampled_from(ALLOWED + NOT_ALLOWED + DENIED)
expression = st.recursive(
    leaf,
    lambda inner: st.tuples(inner, st.sampled_from(["AND", "OR"]), inner).map(
        lambda t: f"({t[0]}) {t[1]} ({t[2]})"
    ),
    max_leaves=8,
)


def status(expr: str, context: str = "userspace") -> Status:
    return evaluate(
        expr,
        context=context,
        distribution="distributed",
        project=None,
        as_of=None,
        policy=POLICY,
        exceptions=EMPTY,
    ).status


@settings(deadline=None)
@given(expression, expression)
def test_or_is_allowed_whenever_one_side_is(a: str, b: str) -> None:
    combined = status(f"({a}) OR ({b})")
    if status(a) == Status.ALLOWED or status(b) == Status.ALLOWED:
        assert combined == Status.ALLOWED
    else:
        assert combined != Status.ALLOWED


@settings(deadline=None)
@given(expression, expression)
def test_and_is_allowed_only_when_both_sides_are(a: str, b: str) -> None:
    both = status(a) == Status.ALLOWED and status(b) == Status.ALLOWED
    assert (status(f"({a}) AND ({b})") == Status.ALLOWED) == both


@settings(deadline=None)
@given(expression, expression)
def test_or_and_and_are_commutative(a: str, b: str) -> None:
    assert status(f"({a}) OR ({b})") == status(f"({b}) OR ({a})")
    assert status(f"({a}) AND ({b})") == status(f"({b}) AND ({a})")


@settings(deadline=None)
@given(st.lists(st.sampled_from(NOT_ALLOWED + DENIED), min_size=1, max_size=5), st.data())
def test_nothing_allowed_is_never_allowed(ids: list[str], data: st.DataObject) -> None:
    ops = data.draw(
        st.lists(st.sampled_from(["AND", "OR"]), min_size=len(ids) - 1, max_size=len(ids) - 1)
    )
    expr = ids[0] + "".join(f" {op} {i}" for op, i in zip(ops, ids[1:], strict=True))
    assert status(expr) != Status.ALLOWED


@settings(deadline=None)
@given(expression)
def test_kernel_code_never_clears_a_gpl_alternative_by_electing_another(a: str) -> None:
    # Without exceptions, GPL-2.0-only is never covered, so no OR with it passes in the kernel.
    assert status(f"({a}) OR GPL-2.0-only", "kernel-module") != Status.ALLOWED


@settings(deadline=None)
@given(expression)
def test_normalize_is_idempotent(a: str) -> None:
    once = normalize(a)
    assert once is not None
    assert normalize(once) == once
