"""The evaluate stage: license + context + distribution + policy + exceptions + date -> Verdict.

How an expression is judged (docs/policy-format.md has the long form):

* a license (or a ``X WITH Y`` unit, judged as one) is denied by a deny rule, allowed by an
  allow rule in effect on the as-of date, covered by an exception or waiver, unknown
  (``LicenseRef-`` the policy does not name) or else needs an exception;
* ``A OR B`` takes its best alternative and records the election (``elect MIT``); in the
  policy's kernel contexts, when the policy says so, only a GPL alternative can clear it;
* ``A AND B`` takes its worst part;
* a compound that does not pass can still be covered as a whole by an exception or waiver
  (``GPL-2.0-only OR MIT`` for Falco's kernel module);
* distribution models the policy does not review turn needs-exception and unknown into
  not-required, still reported.

:func:`evaluate` is pure: everything it knows comes in through its arguments. An
:class:`Evaluator` fixes the arguments that are the same for a whole report (policy,
exceptions, waivers, project, date) and gives the same verdicts, remembered: thousands of
components share a few license expressions.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from audit.model import STATUS_SEVERITY, Component, Status, Verdict
from audit.policy import expressions
from audit.policy.exceptions import ExceptionRegistry, match_exceptions, records_applying
from audit.policy.policy import CONTEXTS, DISTRIBUTIONS, Policy, Rule
from audit.policy.waivers import Waiver, match_waivers, waivers_naming

_PASSING = (Status.ALLOWED, Status.ALLOWED_BY_EXCEPTION)


class _Probe:
    """What of its component an evaluation read: for each license it tried to cover, the
    exception records that could cover it (each reads the component), and whether a waiver
    naming a component was tried."""

    __slots__ = ("covered", "waivers")

    def __init__(self) -> None:
        self.covered: list[str] = []
        self.waivers = False


@dataclass(frozen=True)
class _Inputs:
    """What the evaluation of one expression depends on."""

    context: str
    distribution: str
    project: str | None
    as_of: datetime.date | None
    policy: Policy
    exceptions: ExceptionRegistry
    waivers: tuple[Waiver, ...]
    component: Component | None
    probe: _Probe | None = None


@dataclass(frozen=True)
class _Outcome:
    """The evaluation of one node of an expression."""

    status: Status
    text: str
    """The node as written (normalized)."""
    form: str
    """The license actually used: ``text`` with each OR replaced by its election."""
    elected: bool = False
    rules: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Cover:
    """The exceptions and waivers that cover one license, and the notes on those that did not."""

    granted: tuple[str, ...] = ()
    denied: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def evaluate(
    expression: str | None,
    *,
    context: str,
    distribution: str,
    project: str | None,
    as_of: datetime.date | None,
    policy: Policy,
    exceptions: ExceptionRegistry,
    waivers: Sequence[Waiver] = (),
    component: Component | None = None,
) -> Verdict:
    """Judge one license expression in one context and distribution model.

    ``expression`` need not be normalized; ``None`` means no license information.
    ``as_of`` limits the policy rules, exceptions and waivers to those in effect on that
    date (``None``: no date limit, waiver expiry unchecked). ``component``, when given,
    lets package exceptions and component waivers match.
    """
    _check(context, distribution)
    inp = _Inputs(
        context, distribution, project, as_of, policy, exceptions, tuple(waivers), component
    )
    return _evaluate(expression, inp)


def _check(context: str, distribution: str) -> None:
    if context not in CONTEXTS:
        raise ValueError(f"unknown context {context!r}; expected one of {', '.join(CONTEXTS)}")
    if distribution not in DISTRIBUTIONS:
        raise ValueError(
            f"unknown distribution model {distribution!r}; expected one of "
            f"{', '.join(DISTRIBUTIONS)}"
        )


def _evaluate(expression: str | None, inp: _Inputs) -> Verdict:
    parsed = expressions.parse_expression(expression) if expression is not None else None
    if parsed is None or parsed.normalized is None:
        outcome = _unknown(expression, parsed.problem if parsed else "", inp)
    else:
        outcome = _judge(expressions.tree(parsed.normalized), inp, whole=True)
    return _verdict(_distribution(outcome, inp))


class Evaluator:
    """:func:`evaluate` for one report: the policy, exceptions, waivers, project and as-of
    date fixed, and the verdicts remembered.

    Only two things read the component while judging: an exception record that could cover
    a license being covered (does its package name the component? is the component the
    project's own source?) and a waiver naming a component (does its glob match?). A
    verdict that read neither holds for every component with the same expression, context
    and distribution model. One that did holds for every component that gives the same
    answers to the questions that judging asked: with the same answers, judging takes the
    same path.
    """

    def __init__(
        self,
        *,
        project: str | None,
        as_of: datetime.date | None,
        policy: Policy,
        exceptions: ExceptionRegistry,
        waivers: Sequence[Waiver] = (),
    ) -> None:
        self.project = project
        self.as_of = as_of
        self.policy = policy
        self.exceptions = exceptions
        self.waivers = tuple(waivers)
        self._known: dict[tuple[str | None, str, str], Verdict | list[_Path]] = {}

    def __call__(
        self,
        expression: str | None,
        *,
        context: str,
        distribution: str,
        component: Component | None = None,
    ) -> Verdict:
        """The same verdict as :func:`evaluate` with this evaluator's fixed arguments."""
        key = (expression, context, distribution)
        known = self._known.get(key)
        if isinstance(known, Verdict):
            return known
        answered: dict[str, tuple[bool, ...]] = {}
        if known is None:
            _check(context, distribution)
        else:
            for path in known:
                if self._answers(path.covered, path.waivers, component, answered) == path.answers:
                    return path.verdict
        probe = _Probe()
        inp = _Inputs(
            context,
            distribution,
            self.project,
            self.as_of,
            self.policy,
            self.exceptions,
            self.waivers,
            component,
            probe,
        )
        verdict = _evaluate(expression, inp)
        if not probe.covered and not probe.waivers:
            # Nothing read: every component takes this path.
            self._known[key] = verdict
        else:
            covered = tuple(probe.covered)
            answers = self._answers(covered, probe.waivers, component, answered)
            paths = known if known is not None else []
            paths.append(_Path(covered, probe.waivers, answers, verdict))
            self._known[key] = paths
        return verdict

    def _answers(
        self,
        covered: tuple[str, ...],
        waivers: bool,
        component: Component | None,
        answered: dict[str, tuple[bool, ...]],
    ) -> tuple[tuple[bool, ...], ...]:
        out: list[tuple[bool, ...]] = []
        for text in covered:
            got = answered.get(text)
            if got is None:
                got = records_applying(self.exceptions, text, component, self.project)
                answered[text] = got
            out.append(got)
        if waivers:
            out.append(waivers_naming(self.waivers, component))
        return tuple(out)


@dataclass(frozen=True)
class _Path:
    """One way judging went that read the component: the licenses whose exception records
    it asked about, whether it asked the waivers naming a component, the answers, and the
    verdict it reached."""

    covered: tuple[str, ...]
    waivers: bool
    answers: tuple[tuple[bool, ...], ...]
    verdict: Verdict


# Verdict assembly -----------------------------------------------------------------------


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


def _verdict(o: _Outcome) -> Verdict:
    return Verdict(
        status=o.status,
        rule=", ".join(_unique(o.rules)),
        exception=", ".join(_unique(o.exceptions)),
        election=o.form if o.elected and o.status in _PASSING else "",
        reasons=_unique(o.reasons),
    )


def _distribution(o: _Outcome, inp: _Inputs) -> _Outcome:
    policy = inp.policy
    if inp.distribution in policy.applies_to:
        return o
    if o.status not in (Status.NEEDS_EXCEPTION, Status.UNKNOWN):
        return o
    note = f" ({policy.not_required})" if policy.not_required else ""
    return _Outcome(
        Status.NOT_REQUIRED,
        o.text,
        o.form,
        rules=(f"not-required:{inp.distribution}",),
        reasons=(
            *o.reasons,
            f"distribution {inp.distribution}: no exception required by policy "
            f"{policy.name}{note}; reported only",
        ),
    )


def _unknown(raw: str | None, problem: str, inp: _Inputs) -> _Outcome:
    if raw is None:
        what = "no license information"
    elif problem:
        what = f"license {raw!r} is unknown: {problem}"
    else:
        what = f"license {raw!r} is unknown"
    text = raw or ""
    # Only waivers that name no license can cover a license that cannot be read.
    waivers = tuple(w for w in inp.waivers if not w.license)
    if inp.probe is not None and any(w.component for w in waivers):
        inp.probe.waivers = True
    match = match_waivers(
        waivers,
        text,
        whole=True,
        context=inp.context,
        project=inp.project,
        as_of=inp.as_of,
        component=inp.component,
    )
    if match.granted:
        return _Outcome(
            Status.ALLOWED_BY_EXCEPTION,
            text,
            text,
            exceptions=tuple(w.id for w in match.granted),
            reasons=(
                what,
                *match.notes,
                *(f"covered by waiver {w.id} ({w.describe()})" for w in match.granted),
            ),
        )
    return _Outcome(Status.UNKNOWN, text, text, reasons=(what, *match.notes))


# Judging the tree -----------------------------------------------------------------------


def _judge(node: Any, inp: _Inputs, *, whole: bool) -> _Outcome:
    kind = expressions.node_kind(node)
    if kind == "or":
        outcome = _or(node, inp)
    elif kind == "and":
        outcome = _and(node, inp)
    else:
        return _leaf(node, inp, whole=whole)
    if outcome.status in (Status.NEEDS_EXCEPTION, Status.UNKNOWN):
        return _cover_compound(outcome, inp, whole=whole)
    return outcome


def _cover(text: str, inp: _Inputs, *, whole: bool) -> _Cover:
    if inp.probe is not None:  # what of the component the matching below reads
        if inp.exceptions.candidates(text):
            inp.probe.covered.append(text)
        if any(w.component for w in inp.waivers):
            inp.probe.waivers = True
    exc = match_exceptions(
        inp.exceptions,
        text,
        context=inp.context,
        project=inp.project,
        as_of=inp.as_of,
        component=inp.component,
    )
    wav = match_waivers(
        inp.waivers,
        text,
        whole=whole,
        context=inp.context,
        project=inp.project,
        as_of=inp.as_of,
        component=inp.component,
    )
    return _Cover(
        granted=(*(r.id for r in exc.granted), *(w.id for w in wav.granted)),
        denied=tuple(r.id for r in exc.denied),
        reasons=(
            *(f"{text} covered by exception {r.id} ({r.describe()})" for r in exc.granted),
            *(f"{text} covered by waiver {w.id} ({w.describe()})" for w in wav.granted),
            *(f"{text}: exception request {r.id} was denied ({r.describe()})" for r in exc.denied),
        ),
        notes=(*exc.notes, *wav.notes),
    )


def _cover_compound(o: _Outcome, inp: _Inputs, *, whole: bool) -> _Outcome:
    cover = _cover(o.text, inp, whole=whole)
    if cover.granted:
        return _Outcome(
            Status.ALLOWED_BY_EXCEPTION,
            o.text,
            o.text,
            exceptions=cover.granted,
            reasons=(*o.reasons, *cover.notes, *cover.reasons),
        )
    if cover.denied:
        return _Outcome(
            Status.DENIED,
            o.text,
            o.text,
            exceptions=cover.denied,
            reasons=(*o.reasons, *cover.notes, *cover.reasons),
        )
    return _Outcome(
        o.status, o.text, o.form, o.elected, o.rules, o.exceptions, (*o.reasons, *cover.notes)
    )


def _in_effect(rule: Rule, as_of: datetime.date | None) -> bool:
    return rule.since is None or as_of is None or as_of >= rule.since


def _listed(text: str, written: str) -> str:
    return "" if written == text else f" (listed as {written})"


def _leaf(node: Any, inp: _Inputs, *, whole: bool) -> _Outcome:
    policy = inp.policy
    text = expressions.render(node)
    license_id = expressions.leaf_license(node)
    notes: list[str] = []

    for rule in policy.deny:
        models = rule.distribution if rule.distribution is not None else policy.applies_to
        if rule.contexts is not None and inp.context not in rule.contexts:
            continue
        if inp.distribution not in models or not _in_effect(rule, inp.as_of):
            continue
        written = rule.match(text) or rule.match(license_id)
        if written is None:
            continue
        cover = _cover(text, inp, whole=whole)
        ignored = [
            f"{text}: {g} is not counted: exceptions and waivers do not lift a deny rule"
            for g in cover.granted
        ]
        return _Outcome(
            Status.DENIED,
            text,
            text,
            rules=(f"{rule.id}:{text}",),
            reasons=(
                f"{text} is denied by policy {policy.name}: {rule.title}{_listed(text, written)}",
                *ignored,
            ),
        )

    for rule in policy.allow:
        written = rule.match(text)
        if written is None:
            continue
        listed = _listed(text, written)
        if rule.contexts is not None and inp.context not in rule.contexts:
            where = ", ".join(sorted(rule.contexts))
            notes.append(
                f"{text} is {rule.title}{listed} ({policy.name}) only in context {where}, "
                f"not {inp.context}"
            )
            continue
        if rule.distribution is not None and inp.distribution not in rule.distribution:
            where = ", ".join(sorted(rule.distribution))
            notes.append(
                f"{text} is {rule.title}{listed} ({policy.name}) only for distribution {where}, "
                f"not {inp.distribution}"
            )
            continue
        if not _in_effect(rule, inp.as_of):
            assert rule.since is not None and inp.as_of is not None
            notes.append(
                f"{text} is {rule.title}{listed} only since {rule.since.isoformat()}, "
                f"after the as-of date {inp.as_of.isoformat()}"
            )
            continue
        since = f", since {rule.since.isoformat()}" if rule.since else ""
        return _Outcome(
            Status.ALLOWED,
            text,
            text,
            rules=(f"{rule.id}:{text}",),
            reasons=(*notes, f"{text} is {rule.title}{listed} ({policy.name}{since})"),
        )

    cover = _cover(text, inp, whole=whole)
    if cover.granted:
        return _Outcome(
            Status.ALLOWED_BY_EXCEPTION,
            text,
            text,
            exceptions=cover.granted,
            reasons=(*notes, *cover.notes, *cover.reasons),
        )
    if cover.denied:
        return _Outcome(
            Status.DENIED,
            text,
            text,
            exceptions=cover.denied,
            reasons=(*notes, *cover.notes, *cover.reasons),
        )
    if expressions.is_reference(license_id):
        final = (
            f"{text} is not a known license and policy {policy.name} does not name it: "
            "review its text"
        )
        status = Status.UNKNOWN
    else:
        final = f"{text} is not allowed by policy {policy.name}: it needs an exception"
        status = Status.NEEDS_EXCEPTION
    return _Outcome(status, text, text, reasons=(*notes, *cover.notes, final))


def _best(outcomes: Sequence[_Outcome]) -> _Outcome:
    return min(outcomes, key=lambda o: STATUS_SEVERITY[o.status])


def _is_gpl_alternative(node: Any, inp: _Inputs) -> bool:
    kernel = inp.policy.kernel
    assert kernel is not None
    return any(kernel.is_gpl(expressions.leaf_license(x)) for x in expressions.leaves(node))


def _or(node: Any, inp: _Inputs) -> _Outcome:
    text = expressions.render(node)
    kids = [_judge(child, inp, whole=False) for child in expressions.children(node)]
    reasons = [r for k in kids for r in k.reasons]
    rules: list[str] = []
    candidates = kids
    restricted = False
    kernel = inp.policy.kernel
    if kernel and kernel.require_gpl_alternative and inp.context in kernel.contexts:
        flags = [_is_gpl_alternative(c, inp) for c in expressions.children(node)]
        if any(flags) and not all(flags):
            candidates = [k for k, gpl in zip(kids, flags, strict=True) if gpl]
            restricted = True
            others = _best([k for k, gpl in zip(kids, flags, strict=True) if not gpl])
            line = (
                f"context {inp.context}: policy {inp.policy.name} requires the GPL alternative "
                "to be covered in kernel code"
            )
            if kernel.note:
                line += f" ({kernel.note})"
            if others.status in _PASSING:
                line += f"; electing {others.form} does not clear it"
            reasons.append(line)
            if _best(candidates).status not in _PASSING:
                rules.append("kernel:gpl-alternative")
    best = _best(candidates)
    if best.status in _PASSING:
        reasons.append(f"{text}: elect {best.form}")
        return _Outcome(
            best.status,
            text,
            best.form,
            elected=True,
            rules=(*best.rules, *rules),
            exceptions=best.exceptions,
            reasons=tuple(reasons),
        )
    return _Outcome(
        best.status,
        text,
        text,
        rules=(*rules, *best.rules),
        exceptions=best.exceptions,
        reasons=(*reasons, _no_pass(text, candidates, restricted)),
    )


def _no_pass(text: str, candidates: Sequence[_Outcome], restricted: bool) -> str:
    if restricted:
        names = " or ".join(_unique(c.text for c in candidates))
        return f"{text}: its GPL alternative {names} does not pass"
    return f"{text}: no alternative passes"


_FAILING = {
    Status.NEEDS_EXCEPTION: ("needs an exception", "need an exception"),
    Status.DENIED: ("is denied", "are denied"),
    Status.UNKNOWN: ("is unknown", "are unknown"),
}


def _and(node: Any, inp: _Inputs) -> _Outcome:
    text = expressions.render(node)
    kids = [_judge(child, inp, whole=False) for child in expressions.children(node)]
    reasons = [r for k in kids for r in k.reasons]
    worst = max(kids, key=lambda o: STATUS_SEVERITY[o.status])
    if worst.status in _PASSING:
        return _Outcome(
            worst.status,
            text,
            " AND ".join(f"({k.form})" if " OR " in k.form else k.form for k in kids),
            elected=any(k.elected for k in kids),
            rules=tuple(r for k in kids for r in k.rules),
            exceptions=tuple(e for k in kids for e in k.exceptions),
            reasons=tuple(reasons),
        )
    failing = [k for k in kids if k.status == worst.status]
    one, many = _FAILING[worst.status]
    names = ", ".join(_unique(k.text for k in failing))
    verb = one if len(_unique(k.text for k in failing)) == 1 else many
    return _Outcome(
        worst.status,
        text,
        text,
        rules=tuple(r for k in failing for r in k.rules),
        exceptions=tuple(e for k in failing for e in k.exceptions),
        reasons=(*reasons, f"{text}: every part must pass; {names} {verb}"),
    )
