"""Baselines and the exit-code gate: what is new since a previous report, and pass or fail.

A baseline is a previous JSON report (schema ``depaudit/report/1``). Each action is known
by a stable key, ``f"{kind}:{target}"`` (e.g. ``remove:pypi:avocado-framework@69.0``):
the key survives changes of wording, evidence lines and removable sets, so an action stays
"unchanged" until what it is about changes.

:func:`gate` turns the actions into the process exit code (0 clean, 1 findings); usage
and input errors (exit 2) are raised as :class:`~audit.errors.InputError` elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from audit.errors import InputError
from audit.model import SEVERITY_RANK, STATUS_SEVERITY, Action, Outcome, Status

REPORT_SCHEMA_PREFIX = "depaudit/report/"
EXIT_CLEAN = 0
EXIT_FINDINGS = 1


@dataclass(frozen=True)
class BaselineDiff:
    """Action keys compared with a baseline; each tuple sorted."""

    new: tuple[str, ...]
    """In the current run, not in the baseline."""
    resolved: tuple[str, ...]
    """In the baseline, gone from the current run."""
    unchanged: tuple[str, ...]
    """In both."""


def action_key(action: Action) -> str:
    """The stable key of an action: ``kind:target``."""
    return f"{action.kind.value}:{action.target}"


def baseline_keys(doc: Any, source: str = "baseline") -> frozenset[str]:
    """The action keys of a previous report; ``source`` names the file in errors.

    Expected: a JSON object whose ``schema`` (when present) starts with
    ``depaudit/report/`` and whose ``actions`` is a list of objects with string ``kind``
    and ``target``. Anything else is an :class:`InputError`.
    """
    if not isinstance(doc, Mapping):
        raise InputError("expected a depaudit JSON report (an object)", path=source)
    schema = doc.get("schema")
    if schema is not None and not (
        isinstance(schema, str) and schema.startswith(REPORT_SCHEMA_PREFIX)
    ):
        raise InputError(
            f"expected a depaudit report (schema {REPORT_SCHEMA_PREFIX}N), found {schema!r}",
            path=source,
            key="schema",
        )
    actions = doc.get("actions")
    if not isinstance(actions, list):
        raise InputError("expected a list of actions", path=source, key="actions")
    keys: set[str] = set()
    for i, item in enumerate(actions):
        if not (
            isinstance(item, Mapping)
            and isinstance(item.get("kind"), str)
            and isinstance(item.get("target"), str)
        ):
            raise InputError(
                'expected an object with string "kind" and "target"',
                path=source,
                key=f"actions[{i}]",
            )
        keys.add(f"{item['kind']}:{item['target']}")
    return frozenset(keys)


def load_baseline(path: Path) -> frozenset[str]:
    """Read a previous JSON report and return its action keys (errors name the file)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the baseline: {exc.strerror}", path=str(path)) from None
    except UnicodeDecodeError:
        raise InputError("expected a UTF-8 JSON report", path=str(path)) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"expected a depaudit JSON report, not valid JSON (line {exc.lineno}: {exc.msg})",
            path=str(path),
        ) from None
    return baseline_keys(doc, str(path))


def compare(
    current_keys: Iterable[str],
    baseline_doc: Mapping[str, Any] | frozenset[str],
    source: str = "baseline",
) -> BaselineDiff:
    """Current action keys against a baseline (a parsed report, or keys already read)."""
    old = (
        baseline_doc if isinstance(baseline_doc, frozenset) else baseline_keys(baseline_doc, source)
    )
    cur = set(current_keys)
    return BaselineDiff(
        new=tuple(sorted(cur - old)),
        resolved=tuple(sorted(old - cur)),
        unchanged=tuple(sorted(cur & old)),
    )


def mark_new(actions: Sequence[Action], diff: BaselineDiff) -> tuple[Action, ...]:
    """The actions with property ``new`` = ``yes`` or ``no`` (order kept)."""
    new = set(diff.new)
    out = []
    for a in actions:
        props = dict(a.properties)
        props["new"] = "yes" if action_key(a) in new else "no"
        out.append(replace(a, properties=tuple(sorted(props.items()))))
    return tuple(out)


def concerned(action: Action) -> frozenset[str]:
    """Component ids an action is about: its target, the ids of a grouped request
    (property ``components``) and what goes with a removal."""
    ids = {action.target, *action.removable}
    ids.update(x.strip() for x in (action.prop("components") or "").split(",") if x.strip())
    return frozenset(ids)


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def gate(
    actions: Sequence[Action],
    fail_on: str,
    new_keys: Iterable[str] | None = None,
    *,
    strict: bool = False,
    undecided: Sequence[str] = (),
) -> Outcome:
    """The exit code of an audit: 1 (findings) or 0 (clean), decided by the actions.

    - 1 when an action's severity is at or above ``fail_on`` (``denied``,
      ``needs-exception``, ``unknown``; ``never`` always passes). Severities rank as the
      verdicts do (:data:`~audit.model.SEVERITY_RANK`): hygiene actions never fail a run,
      ``add-curation`` (unknown) fails only with ``fail_on="unknown"``.
    - With a baseline, ``new_keys`` are the action keys not in it: only new actions count,
      so a known debt does not fail every run.
    - ``strict``: unknowns decide too — actions of severity ``unknown``, and ``undecided``,
      the distributed third-party components whose license is unknown because a lookup was
      not made (offline, network): a strict run wants a complete answer.

    ``reason`` names the count and kinds of what failed the run, or why it passed.
    """
    if fail_on == "never":
        return Outcome(EXIT_CLEAN, "exit 0: --fail-on never")
    threshold = STATUS_SEVERITY[Status(fail_on)]
    if strict:
        threshold = min(threshold, STATUS_SEVERITY[Status.UNKNOWN])
    counted = list(actions)
    fresh = ""
    if new_keys is not None:
        new = set(new_keys)
        counted = [a for a in counted if action_key(a) in new]
        fresh = " new since the baseline"
    failing = [a for a in counted if SEVERITY_RANK[a.severity] >= threshold]
    level = Status.UNKNOWN.value if strict else fail_on
    flag = " (--strict)" if strict else ""
    if failing:
        kinds: dict[str, int] = {}
        for a in failing:
            kinds[a.kind.value] = kinds.get(a.kind.value, 0) + 1
        detail = ", ".join(f"{n} {k}" for k, n in kinds.items())
        return Outcome(
            EXIT_FINDINGS,
            f"exit 1{flag}: {_plural(len(failing), 'decision')}{fresh} at or above {level} "
            f"({detail})",
        )
    if strict and undecided:
        return Outcome(
            EXIT_FINDINGS,
            f"exit 1 (--strict): {_plural(len(undecided), 'distributed component')} with a "
            "license unknown because a lookup was not made (first: "
            f"{sorted(undecided)[0]})",
        )
    below = len(counted) - len(failing)
    tail = f"; {_plural(below, 'decision')}{fresh} below it" if below else ""
    return Outcome(EXIT_CLEAN, f"exit 0{flag}: no decision{fresh} at or above {level}{tail}")
