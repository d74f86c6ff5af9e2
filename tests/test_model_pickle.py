"""Scan results cross processes pickled (forked copies, pool workers): what is loaded is
equal to what was sent, field for field, and is made by each class's own constructor."""

from __future__ import annotations

import pickle

from audit.model import Component, ComponentKind, Evidence, Notice, Problem, ScanResult
from audit.scan import _Outcome


def _outcome() -> _Outcome:
    ev = Evidence("driver/main.c", 67, '  MODULE_LICENSE("Dual MIT/GPL");  ', "notices")
    long = Evidence("LICENSE", 1, "x" * 400, "notices")
    notice = Notice(
        "driver/main.c", 67, "module-license", "GPL-2.0-only OR MIT", "Dual MIT/GPL", ev,
        confidence=0.9, rule="r1", end_line=68,
    )  # fmt: skip
    problem = Problem("a.yml", 3, "parse-error", "bad YAML", "github-actions")
    notices = (notice, Notice("LICENSE", 1, "license-text", None, "?", long))
    return _Outcome(True, ScanResult(notices=notices, problems=(problem,)), None, (1, 2, 3), True)


def test_a_scan_outcome_loads_equal_to_what_was_pickled() -> None:
    sent = _outcome()
    got = pickle.loads(pickle.dumps(sent, protocol=pickle.HIGHEST_PROTOCOL))
    assert got == sent
    assert got.result.notices[0].evidence.text == 'MODULE_LICENSE("Dual MIT/GPL");'
    # a trimmed text is not trimmed again when loaded (its __post_init__ runs again)
    assert got.result.notices[1].evidence.text == "x" * 297 + "..."
    problem = Problem("a.yml", 3, "parse-error", "bad YAML", "github-actions")
    assert got.result.problems == (problem,)
    assert (got.key, got.same, got.skipped) == ((1, 2, 3), True, None)


def test_results_are_pickled_as_their_constructor_and_fields() -> None:
    ev = Evidence("go.mod", 3, "require x v1", "gomod")
    assert ev.__reduce__() == (Evidence, ("go.mod", 3, "require x v1", "gomod"))
    empty = ScanResult()
    assert empty.__reduce__() == (ScanResult, ((), (), (), (), ()))
    assert _Outcome(False).__reduce__() == (_Outcome, (False, ScanResult(), None, None, False))
    component = Component("pypi:x@1", ComponentKind.PACKAGE, "x", "1", "pypi", None, (ev,))
    assert component.__reduce__() == (
        Component,
        ("pypi:x@1", ComponentKind.PACKAGE, "x", "1", "pypi", None, (ev,), ()),
    )
    assert pickle.loads(pickle.dumps(component)) == component
