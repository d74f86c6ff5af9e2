"""Plan stage: verdicts + graph -> the actions a maintainer must take.

One pure function, :func:`plan`, turns the evaluated components, the first-party findings and
the scan problems into :class:`~audit.model.Action` values. The rules, in the order they
claim a component (a component gets at most one of remove, replace or request-exception):

``remove``
    A component the policy denies (no exception can allow it), or one that the configuration
    names in ``remove`` (by name, id, or id without version: a clean-up the team decided).
    ``removable`` lists what goes with it (:func:`audit.graph.removable`): CI jobs, images,
    Dockerfiles, manifests, plugins; ``evidence`` holds the target's lines and the lines of
    every removable item, i.e. what to delete. Upstream jobs that would then feed only
    removed jobs are *not* removed: their ids are in the property ``review`` and the
    ``because`` says why, so the one action carries the whole decision (a separate review
    action would ask about a job whose question only arises if the removal is done).
    Components removed with another one get no action of their own.
``replace``
    A base image (``FROM`` of a Dockerfile whose image ships) under a license the policy
    does not allow (needs-exception, denied, or unknown with a ``LicenseRef-``). The
    property ``alternatives`` holds what the configuration's ``[replace]`` table offers.
``request-exception``
    Components that need an exception, one action per group of the same license
    expression, context and distribution model (the answers of one request form). The
    target is the group's first id; properties ``components`` (all ids), ``request_file``
    (where to write the request body), ``license``, ``context``, ``distribution``.
``review``
    Unknown licenses (with the reason), first-party findings (conflicting notices, missing
    license file...), files with unresolved variables or parse errors, and ``remove``
    entries of the configuration that match nothing. One review action per target: the
    reasons for one target are joined.
``elect``
    An ``OR`` expression allowed through one alternative: properties ``election``,
    ``where`` (``NOTICE or README``) and ``text``, the sentence to write there.

Actions come ordered by kind (remove, replace, request-exception, review, elect), then by
the severity of the target's verdict (denied first), then by target. Multi-valued
properties are joined with ``", "``.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date

from audit.components import normalize_pypi_name, parse_image_ref
from audit.config import Config
from audit.graph import GraphIndex, Removal, removable
from audit.model import (
    STATUS_SEVERITY,
    Action,
    ActionKind,
    Component,
    ComponentKind,
    ComponentResult,
    Evidence,
    Finding,
    Inventory,
    Problem,
    Relation,
    Status,
)
from audit.policy.waivers import Waiver

KIND_ORDER: dict[ActionKind, int] = {
    ActionKind.REMOVE: 0,
    ActionKind.REPLACE: 1,
    ActionKind.REQUEST_EXCEPTION: 2,
    ActionKind.REVIEW: 3,
    ActionKind.ELECT: 4,
}
"""Action order in a report: what frees the most first, elections last."""

REVIEW_PROBLEM_KINDS = frozenset({"parse-error"})
"""Problem kinds that become review actions (the others are listed as incomplete only).
A value not known here (``unresolved``: an architecture, a tag, a workflow input, a name)
is a note in the incomplete list, never a decision to take."""

ELECTION_WHERE = "NOTICE or README"
REQUEST_DIR = "exception-requests"
JOIN = ", "

_SHIPS = frozenset({"distributed", "system-component"})
"""Distribution models of what ships (see audit/context.py)."""
_NOT_ALLOWED = frozenset({Status.NEEDS_EXCEPTION, Status.DENIED})
_PASSING = frozenset({Status.ALLOWED, Status.ALLOWED_BY_EXCEPTION, Status.NOT_REQUIRED})
_SLUG_RUN = re.compile(r"[^a-z0-9.]+")
_NOUNS = {
    "ci-job": ("CI job", "CI jobs"),
    "dockerfile": ("Dockerfile", "Dockerfiles"),
    "image": ("image", "images"),
    "manifest": ("manifest", "manifests"),
    "build-file": ("build file", "build files"),
    "package": ("package", "packages"),
}
_NOUN_ORDER = {noun: i for i, noun in enumerate(_NOUNS)}


# Helpers shared with the request stage ---------------------------------------------------


def license_text(result: ComponentResult) -> str:
    """The license as a maintainer should read it: the expression, else the raw text."""
    return result.license.expression or result.license.raw or "an unknown license"


def exception_group(result: ComponentResult) -> tuple[str, str, str]:
    """The answers one request form gives: (license, context, distribution)."""
    return (license_text(result), result.context, result.distribution)


def request_file(result: ComponentResult) -> str:
    """Suggested path of the request body for ``result``'s group, e.g.
    ``exception-requests/gpl-2.0-only-kernel-module-distributed.md``."""
    slug = _SLUG_RUN.sub("-", "-".join(exception_group(result)).lower()).strip("-.")
    return f"{REQUEST_DIR}/{slug or 'request'}.md"


def source_directory(component: Component) -> str | None:
    """The directory a first-party source unit lives in (``driver``), when it has one."""
    for key in ("directory", "path"):
        value = component.prop(key)
        if value:
            return value.strip("/") or None
    dirs = {posixpath.dirname(e.path) for e in component.evidence if e.path}
    if not dirs:
        return None
    common = posixpath.commonpath(sorted(dirs)) if all(dirs) else ""
    return common or None


def component_label(component: Component) -> str:
    """How a sentence names a component: ``driver/`` for source, else ``name version``."""
    if component.kind == ComponentKind.SOURCE:
        upstream = component.prop("upstream")
        if component.prop("vendored") == "true" and upstream:
            return f"{upstream} ({component.name})"
        directory = source_directory(component)
        return f"{directory}/" if directory else component.name
    return f"{component.name} {component.version}" if component.version else component.name


def id_without_version(component: Component) -> str:
    """``pypi:avocado-framework@69.0`` -> ``pypi:avocado-framework``;
    ``image:fedora:31`` -> ``image:fedora``."""
    cid = component.id
    if component.kind == ComponentKind.IMAGE:
        return f"image:{component.name}"
    if component.version:
        for sep in ("@", ":"):
            if cid.endswith(sep + component.version):
                return cid[: -len(component.version) - 1]
    return cid


def matches_name(component: Component, wanted: str) -> bool:
    """Whether a configured name designates ``component``: by name, id or id without version."""
    wanted = wanted.strip()
    if not wanted:
        return False
    if wanted in (component.id, id_without_version(component)):
        return True
    if component.ecosystem == "pypi":
        return normalize_pypi_name(wanted) == component.name
    return wanted.lower() == component.name.lower()


# The plan --------------------------------------------------------------------------------


def plan(
    inventory: Inventory,
    results: Sequence[ComponentResult],
    findings: Sequence[Finding],
    problems: Sequence[Problem],
    config: Config,
    index: GraphIndex | None = None,
) -> tuple[Action, ...]:
    """The actions for one audit, ordered and deduplicated (see the module docstring)."""
    index = index or GraphIndex.build(inventory)
    by_id = {r.component_id: r for r in results}
    components = {c.id: c for c in inventory.components}
    actions: list[Action] = []
    covered: set[str] = set()

    replaceable = {
        r.component_id
        for r in results
        if r.component_id in components
        and _base_of_shipped(index, by_id, r.component_id)
        and _replaceable_license(r)
    }

    # OS packages installed on top of a base image that must be replaced come from that
    # image's repositories: replacing the base replaces them, so they get no action of
    # their own (the replace action lists them).
    riders = _os_riders(index, by_id, replaceable)
    removal_reasons = _removal_targets(
        inventory, by_id, config, replaceable | {p for ps in riders.values() for p in ps}
    )
    order = sorted(removal_reasons, key=lambda cid: (-_severity(by_id.get(cid)), cid))
    for cid in order:
        if cid in covered:
            continue
        action = _remove(index, components[cid], removal_reasons[cid])
        actions.append(action)
        covered.update((cid, *action.removable))

    for cid in sorted(replaceable - covered):
        actions.append(_replace(index, by_id, components[cid], config, riders.get(cid, ())))
        covered.update((cid, *riders.get(cid, ())))

    groups: dict[tuple[str, str, str], list[ComponentResult]] = defaultdict(list)
    for r in results:
        if r.verdict.status == Status.NEEDS_EXCEPTION and r.component_id not in covered:
            groups[exception_group(r)].append(r)
    for key in sorted(groups):
        actions.append(_request(components, sorted(groups[key], key=lambda r: r.component_id)))

    reviews: list[Action] = []
    for r in results:
        if r.verdict.status == Status.UNKNOWN and r.component_id not in covered:
            reviews.append(_review_unknown(components.get(r.component_id), r))
    reviews.extend(_review_finding(f) for f in findings)
    reviews.extend(_review_problems(problems))
    reviews.extend(_review_unmatched_removals(inventory, config))
    actions.extend(_merge_reviews(reviews))

    for r in results:
        comp = components.get(r.component_id)
        if r.verdict.election and comp is not None and r.component_id not in covered:
            actions.append(_elect(comp, r))

    unique = set(actions)
    return tuple(sorted(unique, key=lambda a: _order(a, by_id)))


def _severity(result: ComponentResult | None) -> int:
    return STATUS_SEVERITY[result.verdict.status] if result is not None else -1


def _order(action: Action, by_id: dict[str, ComponentResult]) -> tuple[int, int, str, str]:
    return (
        KIND_ORDER[action.kind],
        -_severity(by_id.get(action.target)),
        action.target,
        action.because,
    )


def _evidence(*groups: Iterable[Evidence]) -> tuple[Evidence, ...]:
    """Sorted, one per location (``path:line``): the lines to open or delete."""
    by_location: dict[tuple[str, int], Evidence] = {}
    for e in sorted({e for g in groups for e in g}):
        by_location.setdefault((e.path, e.line), e)
    return tuple(by_location.values())


def _props(**kw: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in kw.items() if v))


def _verdict_words(result: ComponentResult | None) -> str:
    if result is None:
        return ""
    rule = f", rule {result.verdict.rule}" if result.verdict.rule else ""
    return f"licensed {license_text(result)} (verdict {result.verdict.status.value}{rule})"


def _sentences(parts: Iterable[str]) -> str:
    out = []
    for p in parts:
        p = p.strip()
        if p:
            out.append(p if p.endswith((".", "!", "?")) else p + ".")
    return " ".join(out)


# remove ----------------------------------------------------------------------------------


def _removal_targets(
    inventory: Inventory,
    by_id: dict[str, ComponentResult],
    config: Config,
    replaceable: set[str],
) -> dict[str, list[str]]:
    """Component id -> why it goes (denied, named by the configuration, or both)."""
    where = config.path or "the configuration"
    reasons: dict[str, list[str]] = defaultdict(list)
    for c in inventory.components:
        result = by_id.get(c.id)
        if (
            result is not None
            and result.verdict.status == Status.DENIED
            and (c.id not in replaceable)
        ):
            rule = f" ({result.verdict.rule})" if result.verdict.rule else ""
            reasons[c.id].append(
                f"The policy denies {license_text(result)}{rule}, the license of "
                f"{component_label(c)}: no exception can allow it"
            )
        named = [n for n in config.remove if matches_name(c, n)]
        if named:
            words = _verdict_words(result)
            reasons[c.id].append(
                f"The team decided to remove {component_label(c)} "
                f'({where}, remove: "{named[0]}")' + (f"; it is {words}" if words else "")
            )
    return reasons


def _count_phrase(index: GraphIndex, ids: Sequence[str]) -> str:
    """``3 CI jobs, 1 Dockerfile and 1 package``."""
    counts: dict[str, int] = defaultdict(int)
    for gid in ids:
        comp = index.components.get(gid)
        counts[comp.kind.value if comp is not None else gid.split(":", 1)[0]] += 1
    parts = []
    for noun, n in sorted(counts.items(), key=lambda kv: (_NOUN_ORDER.get(kv[0], 99), kv[0])):
        one, many = _NOUNS.get(noun, (noun, noun + "s"))
        parts.append(f"{n} {one if n == 1 else many}")
    if len(parts) > 1:
        return ", ".join(parts[:-1]) + " and " + parts[-1]
    return parts[0] if parts else ""


def _remove(index: GraphIndex, comp: Component, reasons: list[str]) -> Action:
    removal: Removal = removable(index, comp.id)
    ids = tuple(i.id for i in removal.removable)
    parts = list(reasons)
    if ids:
        parts.append(f"Removable with it, as nothing else needs them: {_count_phrase(index, ids)}")
    for item in removal.review:
        parts.append(f"Review, do not remove blindly: {item.id} {item.reason}")
    return Action(
        kind=ActionKind.REMOVE,
        target=comp.id,
        because=_sentences(parts),
        removable=ids,
        evidence=_evidence(comp.evidence, *(i.evidence for i in removal.removable)),
        properties=_props(review=JOIN.join(i.id for i in removal.review)),
    )


# replace ---------------------------------------------------------------------------------


def _shipped_images(
    index: GraphIndex, by_id: dict[str, ComponentResult], dockerfile: str
) -> list[str]:
    out = []
    for e in index.consumers(dockerfile):
        r = by_id.get(e.src)
        if e.relation == Relation.BUILT_FROM and r is not None and r.distribution == "distributed":
            out.append(e.src)
    return sorted(set(out))


def _base_of_shipped(index: GraphIndex, by_id: dict[str, ComponentResult], cid: str) -> bool:
    comp = index.components.get(cid)
    if comp is None or comp.kind != ComponentKind.IMAGE:
        return False
    bases = [e for e in index.consumers(cid) if e.relation == Relation.BASE]
    if not bases:
        return False
    if any(_shipped_images(index, by_id, e.src) for e in bases):
        return True
    own = by_id.get(cid)
    return own is not None and own.distribution in _SHIPS


def _replaceable_license(result: ComponentResult) -> bool:
    status = result.verdict.status
    if status in _NOT_ALLOWED:
        return True
    expr = result.license.expression or ""
    return status == Status.UNKNOWN and "licenseref-" in expr.lower()


def _image_key(name: str) -> str:
    ref = parse_image_ref(name)
    return ref.name if ref is not None else name.strip().lower()


_OS_ECOSYSTEMS = frozenset({"deb", "rpm", "apk"})


def _os_riders(
    index: GraphIndex, by_id: dict[str, ComponentResult], replaceable: set[str]
) -> dict[str, tuple[str, ...]]:
    """Base image id -> the not-allowed OS packages installed on top of it."""
    out: dict[str, tuple[str, ...]] = {}
    for base in sorted(replaceable):
        riders: set[str] = set()
        for e in index.consumers(base):
            if e.relation != Relation.BASE:
                continue
            for inst in index.uses(e.src):
                pkg = index.components.get(inst.dst)
                result = by_id.get(inst.dst)
                if (
                    inst.relation == Relation.INSTALLS
                    and pkg is not None
                    and pkg.ecosystem in _OS_ECOSYSTEMS
                    and result is not None
                    and result.verdict.status not in _PASSING
                ):
                    riders.add(pkg.id)
        if riders:
            out[base] = tuple(sorted(riders))
    return out


def _replace(
    index: GraphIndex,
    by_id: dict[str, ComponentResult],
    comp: Component,
    config: Config,
    riders: Sequence[str] = (),
) -> Action:
    result = by_id[comp.id]
    alternatives: tuple[str, ...] = ()
    for key, alts in sorted(config.replace.items()):
        if _image_key(key) == comp.name.lower():
            alternatives = alts
            break
    bases = sorted(
        (e for e in index.consumers(comp.id) if e.relation == Relation.BASE),
        key=lambda e: (e.src, e.evidence.line if e.evidence else 0),
    )
    dockerfiles = sorted({e.src.removeprefix("dockerfile:") for e in bases})
    shipped = sorted({i for e in bases for i in _shipped_images(index, by_id, e.src)})
    lic = license_text(result)
    url = f" ({result.license.url})" if result.license.url else ""
    built = ", ".join(i.removeprefix("image:") for i in shipped)
    parts = [
        f"The base image {comp.name} of {', '.join(dockerfiles)} "
        + (
            f"is built into {built}, which {'ships' if len(shipped) == 1 else 'ship'}"
            if shipped
            else "ships"
        ),
        f"It is licensed {lic}{url}, which the policy does not allow "
        f"(verdict {result.verdict.status.value})",
    ]
    if riders:
        parts.append(
            "The OS packages installed from its repositories go with it: " + JOIN.join(riders)
        )
    if alternatives:
        parts.append(f"Replace it with one of: {JOIN.join(alternatives)}")
    else:
        where = config.path or ".depaudit.toml"
        parts.append(
            f"No alternative is configured: list allowed images under [replace] in {where}, "
            "or request an exception"
        )
    return Action(
        kind=ActionKind.REPLACE,
        target=comp.id,
        because=_sentences(parts),
        evidence=_evidence(comp.evidence, (e.evidence for e in bases if e.evidence)),
        removable=tuple(riders),
        properties=_props(
            alternatives=JOIN.join(alternatives), license=lic, license_url=result.license.url
        ),
    )


# request-exception -----------------------------------------------------------------------


def _request(components: dict[str, Component], members: list[ComponentResult]) -> Action:
    first = members[0]
    lic, context, distribution = exception_group(first)
    ids = [r.component_id for r in members]
    # The short form: the rule that decided, and the prior exceptions that almost match
    # (the request must say why they do not apply). `depaudit explain` has the whole chain.
    rules: list[str] = []
    near: list[str] = []
    for r in members:
        if r.verdict.rule and r.verdict.rule not in rules:
            rules.append(r.verdict.rule)
        for reason in r.verdict.reasons:
            if "not counted" in reason and reason not in near:
                near.append(reason)
    path = request_file(first)
    names = [component_label(components[i]) if i in components else i for i in ids]
    why = f" (rule {', '.join(rules)})" if rules else ""
    parts = [
        f"{lic} is not allowed for {context} code that is {distribution} without an exception{why}",
        f"{'Components' if len(ids) > 1 else 'Component'}: {', '.join(names)}",
    ]
    if near:
        parts.append("Near misses: " + "; ".join(near))
    parts.append(
        f"Write the request with `depaudit request` to {path} and submit it to the foundation"
    )
    evidence = _evidence(*(components[i].evidence for i in ids if i in components))
    return Action(
        kind=ActionKind.REQUEST_EXCEPTION,
        target=ids[0],
        because=_sentences(parts),
        evidence=evidence,
        properties=_props(
            components=JOIN.join(ids),
            request_file=path,
            license=lic,
            context=context,
            distribution=distribution,
        ),
    )


# review ----------------------------------------------------------------------------------


def _review_unknown(comp: Component | None, result: ComponentResult) -> Action:
    name = component_label(comp) if comp is not None else result.component_id
    why = result.license.reason or "no source stated a license"
    parts = [f"The license of {name} is unknown: {why}", *result.verdict.reasons]
    return Action(
        kind=ActionKind.REVIEW,
        target=result.component_id,
        because=_sentences(parts),
        evidence=_evidence(comp.evidence if comp else (), result.license.evidence),
        properties=_props(review="unknown-license"),
    )


def _review_finding(finding: Finding) -> Action:
    return Action(
        kind=ActionKind.REVIEW,
        target=finding.subject,
        because=_sentences([f"{finding.message} ({finding.kind})"]),
        evidence=_evidence(finding.evidence),
        properties=_props(review=finding.kind),
    )


def _review_problems(problems: Sequence[Problem]) -> list[Action]:
    by_path: dict[str, list[Problem]] = defaultdict(list)
    for p in problems:
        if p.kind in REVIEW_PROBLEM_KINDS:
            by_path[p.path].append(p)
    out = []
    for path, group in sorted(by_path.items()):
        group = sorted(set(group))
        lines = [
            f"line {p.line}: {p.message} ({p.kind})" if p.line else f"{p.message} ({p.kind})"
            for p in group
        ]
        out.append(
            Action(
                kind=ActionKind.REVIEW,
                target=path,
                because=_sentences(
                    [f"{path} could not be read completely; check by hand: " + "; ".join(lines)]
                ),
                evidence=_evidence(Evidence(p.path, p.line, "", p.scanner) for p in group),
                properties=_props(review=JOIN.join(sorted({p.kind for p in group}))),
            )
        )
    return out


def _review_unmatched_removals(inventory: Inventory, config: Config) -> list[Action]:
    where = config.path or "the configuration"
    out = []
    for name in config.remove:
        if not any(matches_name(c, name) for c in inventory.components):
            out.append(
                Action(
                    kind=ActionKind.REVIEW,
                    target=where,
                    because=_sentences(
                        [f"remove = {name!r} matches no component: already gone, or misspelled"]
                    ),
                    properties=_props(review="config"),
                )
            )
    return out


def _merge_reviews(reviews: Sequence[Action]) -> list[Action]:
    """One review action per target: reasons, evidence and review kinds joined."""
    by_target: dict[str, list[Action]] = defaultdict(list)
    for a in reviews:
        by_target[a.target].append(a)
    out = []
    for target, group in sorted(by_target.items()):
        becauses: list[str] = []
        kinds: list[str] = []
        for a in group:
            if a.because not in becauses:
                becauses.append(a.because)
            for k in (a.prop("review") or "").split(JOIN):
                if k and k not in kinds:
                    kinds.append(k)
        out.append(
            Action(
                kind=ActionKind.REVIEW,
                target=target,
                because=" ".join(becauses),
                evidence=_evidence(*(a.evidence for a in group)),
                properties=_props(review=JOIN.join(sorted(kinds))),
            )
        )
    return out


# elect -----------------------------------------------------------------------------------


def _elect(comp: Component, result: ComponentResult) -> Action:
    election = result.verdict.election
    lic = license_text(result)
    label = component_label(comp)
    text = f"{label} is used under the {election} license (elected from {lic})"
    return Action(
        kind=ActionKind.ELECT,
        target=comp.id,
        because=_sentences(
            [
                f"{label} is offered under {lic}; the policy allows it through {election}",
                f"Record the election in {ELECTION_WHERE}",
            ]
        ),
        evidence=_evidence(comp.evidence),
        properties=_props(election=election, where=ELECTION_WHERE, text=text),
    )


def waive_reviews(
    actions: Sequence[Action], waivers: Iterable[Waiver], *, as_of: date | None, project: str | None
) -> tuple[tuple[Action, ...], frozenset[str]]:
    """The actions without the reviews a finding waiver in force covers (see
    :mod:`audit.policy.waivers`), and the ids of the waivers that covered one."""
    finding_waivers = [w for w in waivers if w.finding and w.in_force(as_of, project)]
    if not finding_waivers:
        return tuple(actions), frozenset()
    kept: list[Action] = []
    used: set[str] = set()
    for action in actions:
        if action.kind == ActionKind.REVIEW:
            kinds = [k for k in (action.prop("review") or "").split(JOIN) if k]
            hit = next((w for w in finding_waivers if w.covers_review(kinds, action.target)), None)
            if hit is not None:
                used.add(hit.id)
                continue
        kept.append(action)
    return tuple(kept), frozenset(used)
