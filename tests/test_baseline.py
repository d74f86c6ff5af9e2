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
    Outcome,
    Severity,
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
    Action(ActionKind.REPLACE, UBI, "not allowed", severity=Severity.DENIED),
    Action(
        ActionKind.REQUEST_EXCEPTION,
        DRIVER,
        "needs one",
        properties=(("components", f"{DRIVER}, {LEGACY}"),),
        severity=Severity.NEEDS_EXCEPTION,
    ),
    Action(ActionKind.ADD_CURATION, PATHTOOLS, "unknown", severity=Severity.UNKNOWN),
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
        f"add-curation:{PATHTOOLS}",
    ]


def test_compare_new_resolved_unchanged() -> None:
    doc = report_doc(("remove", AVOCADO), ("add-curation", PATHTOOLS), ("elect", "source:chisel"))
    assert compare(KEYS, doc) == BaselineDiff(
        new=(f"replace:{UBI}", f"request-exception:{DRIVER}"),
        resolved=("elect:source:chisel",),
        unchanged=(f"add-curation:{PATHTOOLS}", f"remove:{AVOCADO}"),
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
    ("fail_on", "code", "reason"),
    [
        ("denied", 1, "exit 1: 1 decision at or above denied (1 replace)"),
        (
            "needs-exception",
            1,
            "exit 1: 2 decisions at or above needs-exception (1 replace, 1 request-exception)",
        ),
        (
            "unknown",
            1,
            "exit 1: 3 decisions at or above unknown (1 replace, 1 request-exception, "
            "1 add-curation)",
        ),
        ("never", 0, "exit 0: --fail-on never"),
    ],
)
def test_gate_fails_on_actions_at_or_above(fail_on: str, code: int, reason: str) -> None:
    """The remove action is hygiene (the team's clean-up): it never fails a run by itself."""
    assert gate(ACTIONS, fail_on) == Outcome(code, reason)


def test_gate_passes_below_the_threshold_and_says_so() -> None:
    hygiene = (ACTIONS[0], ACTIONS[3])
    assert gate(hygiene, "needs-exception") == Outcome(
        0, "exit 0: no decision at or above needs-exception; 2 decisions below it"
    )
    assert gate((), "needs-exception") == Outcome(
        0, "exit 0: no decision at or above needs-exception"
    )


@pytest.mark.parametrize(
    ("new", "fail_on", "code"),
    [
        (set(), "unknown", 0),  # everything is known debt
        ({f"add-curation:{PATHTOOLS}"}, "unknown", 1),
        ({f"add-curation:{PATHTOOLS}"}, "needs-exception", 0),  # unknown < needs-exception
        ({f"replace:{UBI}"}, "denied", 1),
        ({f"request-exception:{DRIVER}"}, "denied", 0),
        ({f"remove:{AVOCADO}"}, "unknown", 0),  # hygiene
    ],
)
def test_gate_with_baseline_counts_only_new(new: set[str], fail_on: str, code: int) -> None:
    outcome = gate(ACTIONS, fail_on, new)
    assert outcome.code == code
    assert "new since the baseline" in outcome.reason


def test_gate_strict_lets_unknowns_decide() -> None:
    curation = (ACTIONS[3],)
    assert gate(curation, "needs-exception").code == 0
    assert gate(curation, "needs-exception", strict=True) == Outcome(
        1, "exit 1 (--strict): 1 decision at or above unknown (1 add-curation)"
    )
    # A distributed component whose lookup was not made decides a strict run only.
    assert gate((), "needs-exception", undecided=(PATHTOOLS,)).code == 0
    assert gate((), "needs-exception", strict=True, undecided=(PATHTOOLS,)) == Outcome(
        1,
        "exit 1 (--strict): 1 distributed component with a license unknown because a lookup "
        f"was not made (first: {PATHTOOLS})",
    )
