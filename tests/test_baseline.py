"""Baselines (new / resolved / unchanged action keys) and the exit-code gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit.baseline import (
    BaselineDiff,
    action_key,
    compare,
    gate,
    load_baseline,
    mark_new,
)
from audit.errors import InputError
from audit.model import (
    Action,
    ActionKind,
    ComponentResult,
    LicenseInfo,
    Status,
    Verdict,
)

AVOCADO = "pypi:avocado-framework@69.0"
PLUGIN = "pypi:avocado-framework-plugin-varianter-yaml-to-mux@69.0"
DRIVER = "source:driver"
LEGACY = "source:driver-legacy"
UBI = "image:registry.access.redhat.com/ubi8/ubi:latest"
PATHTOOLS = "pypi:pathtools@0.1.2"

ACTIONS = (
    Action(ActionKind.REMOVE, AVOCADO, "decided", removable=(PLUGIN, "ci-job:circleci/t")),
    Action(ActionKind.REPLACE, UBI, "not allowed"),
    Action(
        ActionKind.REQUEST_EXCEPTION,
        DRIVER,
        "needs one",
        properties=(("components", f"{DRIVER}, {LEGACY}"),),
    ),
    Action(ActionKind.REVIEW, PATHTOOLS, "unknown"),
)
KEYS = [action_key(a) for a in ACTIONS]


def result(cid: str, status: Status) -> ComponentResult:
    return ComponentResult(
        cid, LicenseInfo(None, "test"), "test", "distributed", (), Verdict(status)
    )


RESULTS = (
    result(AVOCADO, Status.NOT_REQUIRED),
    result(PLUGIN, Status.NEEDS_EXCEPTION),
    result(UBI, Status.UNKNOWN),
    result(DRIVER, Status.NEEDS_EXCEPTION),
    result(LEGACY, Status.DENIED),
    result(PATHTOOLS, Status.UNKNOWN),
)


def report_doc(*keys: tuple[str, str]) -> dict[str, object]:
    return {
        "schema": "depaudit/report/1",
        "actions": [{"kind": k, "target": t, "because": "..."} for k, t in keys],
    }


def test_action_keys() -> None:
    assert [action_key(a) for a in ACTIONS] == [
        f"remove:{AVOCADO}",
        f"replace:{UBI}",
        f"request-exception:{DRIVER}",
        f"review:{PATHTOOLS}",
    ]


def test_compare_new_resolved_unchanged() -> None:
    doc = report_doc(("remove", AVOCADO), ("review", PATHTOOLS), ("elect", "source:chisel"))
    assert compare(KEYS, doc) == BaselineDiff(
        new=(f"replace:{UBI}", f"request-exception:{DRIVER}"),
        resolved=("elect:source:chisel",),
        unchanged=(f"remove:{AVOCADO}", f"review:{PATHTOOLS}"),
    )


def test_compare_accepts_keys_already_loaded(tmp_path: Path) -> None:
    path = tmp_path / "base.json"
    path.write_text(json.dumps(report_doc(("remove", AVOCADO))), encoding="utf-8")
    keys = load_baseline(path)
    assert keys == frozenset({f"remove:{AVOCADO}"})
    assert compare(KEYS, keys).resolved == ()
    assert compare([], keys) == BaselineDiff((), (f"remove:{AVOCADO}",), ())


def test_report_without_schema_is_accepted() -> None:
    assert compare([], {"actions": []}) == BaselineDiff((), (), ())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "base.json: expected a depaudit JSON report, not valid JSON (line 1: "),
        ("[]", "base.json: expected a depaudit JSON report (an object)"),
        (
            '{"schema": "depaudit/inventory/1", "actions": []}',
            "base.json: schema: expected a depaudit report (schema depaudit/report/N), found "
            "'depaudit/inventory/1'",
        ),
        ('{"schema": "depaudit/report/1"}', "base.json: actions: expected a list of actions"),
        (
            '{"actions": [{"kind": "remove"}]}',
            'base.json: actions[0]: expected an object with string "kind" and "target"',
        ),
    ],
)
def test_bad_baseline_names_the_file_and_what_was_expected(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "base.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_baseline(path)
    assert str(err.value).replace(str(tmp_path) + "/", "").startswith(message)
    assert err.value.path == str(path)


def test_missing_baseline_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the baseline"):
        load_baseline(tmp_path / "nope.json")


def test_mark_new() -> None:
    diff = compare(KEYS, report_doc(("remove", AVOCADO)))
    marked = mark_new(ACTIONS, diff)
    assert [a.prop("new") for a in marked] == ["no", "yes", "yes", "yes"]
    assert marked[2].properties == (("components", f"{DRIVER}, {LEGACY}"), ("new", "yes"))


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [
        (Status.DENIED, 1),  # source:driver-legacy
        (Status.NEEDS_EXCEPTION, 1),
        (Status.UNKNOWN, 1),
        (Status.ALLOWED, 1),
    ],
)
def test_gate_any_verdict_at_or_above(fail_on: Status, expected: int) -> None:
    assert gate(ACTIONS, RESULTS, fail_on) == expected


@pytest.mark.parametrize(
    ("results", "fail_on", "expected"),
    [
        ((result(AVOCADO, Status.NOT_REQUIRED),), Status.NEEDS_EXCEPTION, 0),
        ((result(UBI, Status.UNKNOWN),), Status.NEEDS_EXCEPTION, 0),
        ((result(UBI, Status.UNKNOWN),), Status.UNKNOWN, 1),
        ((result(DRIVER, Status.ALLOWED_BY_EXCEPTION),), Status.UNKNOWN, 0),
        ((result(DRIVER, Status.ALLOWED_BY_EXCEPTION),), Status.ALLOWED_BY_EXCEPTION, 1),
        ((), Status.ALLOWED, 0),
    ],
)
def test_gate_thresholds(
    results: tuple[ComponentResult, ...], fail_on: Status, expected: int
) -> None:
    assert gate((), results, fail_on) == expected


@pytest.mark.parametrize(
    ("new", "fail_on", "expected"),
    [
        (set(), Status.UNKNOWN, 0),  # everything is known debt
        ({f"review:{PATHTOOLS}"}, Status.UNKNOWN, 1),
        ({f"review:{PATHTOOLS}"}, Status.NEEDS_EXCEPTION, 0),  # unknown < needs-exception
        ({f"replace:{UBI}"}, Status.NEEDS_EXCEPTION, 0),
        # A grouped request: every component it lists counts (source:driver-legacy is denied).
        ({f"request-exception:{DRIVER}"}, Status.DENIED, 1),
        # What goes with a removal counts with it (the plugin needs an exception).
        ({f"remove:{AVOCADO}"}, Status.NEEDS_EXCEPTION, 1),
        ({f"remove:{AVOCADO}"}, Status.DENIED, 0),
    ],
)
def test_gate_with_baseline_counts_only_new(new: set[str], fail_on: Status, expected: int) -> None:
    assert gate(ACTIONS, RESULTS, fail_on, new) == expected


@pytest.mark.parametrize(
    ("strict", "incomplete", "expected"),
    [(False, False, 0), (False, True, 0), (True, False, 0), (True, True, 1)],
)
def test_gate_strict_fails_on_incomplete(strict: bool, incomplete: bool, expected: int) -> None:
    clean = (result(AVOCADO, Status.ALLOWED),)
    assert gate((), clean, Status.NEEDS_EXCEPTION, strict=strict, incomplete=incomplete) == (
        expected
    )
