"""Plan stage: verdicts + graph -> the decisions a maintainer must take, and the notes.

One pure function, :func:`plan`, turns the evaluated components, the first-party findings and
the scan problems into a :class:`Plan`: :class:`~audit.model.Action` values (decisions,
each with a :class:`~audit.model.Severity`) and :class:`~audit.model.Note` values (what is
not a decision, grouped by cause). The rules, in the order they claim a component (a
component gets at most one of remove, replace, request-exception or add-curation):

``remove`` (severity of the verdict: ``denied`` for a denied license)
    A component the policy denies (no exception can allow it), or one that the configuration
    names in ``remove`` (by name, id, or id without version: a clean-up the team decided).
    ``removable`` lists what goes with it (:func:`audit.graph.removable`): CI jobs, images,
    Dockerfiles, manifests, plugins; ``evidence`` holds the target's lines and the lines of
    every removable item, i.e. what to delete. Upstream jobs that would then feed only
    removed jobs are *not* removed: their ids are in the property ``review`` and the
    ``because`` says why, so the one action carries the whole decision.
    Components removed with another one get no action of their own.
``replace`` (severity of the base image's verdict)
    A base image (``FROM`` of a Dockerfile whose image ships) under a license the policy
    does not allow (needs-exception, denied, or unknown with a ``LicenseRef-``). The
    property ``alternatives`` holds what the configuration's ``[replace]`` table offers.
``request-exception`` (``needs-exception``)
    Components that need an exception, one action per group of the same license
    expression, context and distribution model (the answers of one request form). The
    target is the group's first id; properties ``components`` (all ids), ``request_file``
    (where to write the request body), ``license``, ``context``, ``distribution``.
``add-curation`` (``unknown``)
    A distributed third-party component whose license is unknown although every lookup
    was made: its verdict decides the exit code under ``--fail-on unknown``. An unknown
    that comes from a lookup not made (``--offline``, a network fault) is a note.
``fix-notice`` (``hygiene``)
    First-party files whose notices contradict each other (``license-conflict``) or point
    to a license file that does not exist (``missing-license-file``); one per component.
``elect`` (``hygiene``)
    Third-party code (never the project's own) allowed through one alternative of an
    ``OR``: properties ``election``, ``where`` (``NOTICE or README``) and ``text``.

Everything else is a note (:class:`~audit.model.NoteCause`): lookups not made, unknown
licenses of what does not ship, values not expanded, downloads a default build does not
fetch, source files without notices (one item per component, never vendored trees), notice
details that contradict nothing, parse problems, configuration entries that match nothing.

Actions come in priority order (:func:`priority`): severity (denied first), then kind (as
listed above), then target. Multi-valued properties are joined with ``", "``.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from audit.components import normalize_pypi_name, parse_image_ref
from audit.config import Config
from audit.graph import GraphIndex, Removal, removable
from audit.http import OFFLINE_MISS
from audit.model import (
    SEVERITY_RANK,
    STATUS_SEVERITY,
    Action,
    ActionKind,
    Component,
    ComponentKind,
    ComponentResult,
    Distribution,
    Evidence,
    Finding,
    Inventory,
    LicenseInfo,
    Note,
    NoteCause,
    NoteItem,
    Problem,
    Relation,
    Severity,
    Status,
    evidence_key,
)
from audit.policy.waivers import Waiver

KIND_ORDER: dict[ActionKind, int] = {
    ActionKind.REMOVE: 0,
    ActionKind.REPLACE: 1,
    ActionKind.REQUEST_EXCEPTION: 2,
    ActionKind.ADD_CURATION: 3,
    ActionKind.FIX_NOTICE: 4,
    ActionKind.ELECT: 5,
}
"""Order of kinds within one severity: what frees the most first, elections last."""

FIX_NOTICE_FINDINGS = frozenset({"license-conflict", "missing-license-file"})
"""Finding kinds that are decisions (first-party notices to put right)."""

NOTE_FINDINGS: dict[str, NoteCause] = {
    "uncovered-files": NoteCause.FILES_WITHOUT_NOTICE,
    "conditional-download": NoteCause.NOT_FETCHED_BY_DEFAULT,
}
"""Finding kinds that are notes of their own cause; any other kind is a notice detail."""

PROBLEM_NOTES: dict[str, NoteCause] = {
    "unresolved": NoteCause.UNEXPANDED_VALUE,
    "network": NoteCause.LOOKUP_NOT_MADE,
    "config": NoteCause.CONFIGURATION,
}
"""Problem kinds by note cause; any other kind (parse-error, unreadable...) is a parse problem."""

NOTE_TITLES: dict[NoteCause, str] = {
    NoteCause.LOOKUP_NOT_MADE: "License lookups not made (offline or failed): license unknown",
    NoteCause.UNKNOWN_NOT_DECIDING: "Unknown licenses of what does not ship",
    NoteCause.UNEXPANDED_VALUE: "Values not expanded (variables the repository does not set)",
    NoteCause.NOT_FETCHED_BY_DEFAULT: "Downloads a default build does not fetch",
    NoteCause.FILES_WITHOUT_NOTICE: "Source files without a license notice (they inherit one)",
    NoteCause.NOTICE_DETAIL: "License notices worth a look (no contradiction)",
    NoteCause.PARSE_PROBLEM: "Files not read or parsed completely",
    NoteCause.CONFIGURATION: "Configuration entries that match nothing",
}
"""Note causes in report order, with the title each group is shown under."""

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
        if component.prop("system_headers"):
            return component.name  # linux-uapi-headers: no directory of the tree
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


@dataclass(frozen=True)
class Plan:
    """What the plan stage concludes: decisions in priority order, and the grouped notes."""

    actions: tuple[Action, ...]
    notes: tuple[Note, ...]


def plan(
    inventory: Inventory,
    results: Sequence[ComponentResult],
    findings: Sequence[Finding],
    problems: Sequence[Problem],
    config: Config,
    index: GraphIndex | None = None,
) -> Plan:
    """The actions and notes of one audit, ordered and deduplicated (see the module
    docstring)."""
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
    order = sorted(removal_reasons, key=lambda cid: (-_rank(by_id.get(cid)), cid))
    for cid in order:
        if cid in covered:
            continue
        action = _remove(index, components[cid], removal_reasons[cid], by_id.get(cid))
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

    notes: dict[NoteCause, list[NoteItem]] = defaultdict(list)
    to_curate: dict[tuple[str, str, str], list[tuple[Component, ComponentResult]]] = defaultdict(
        list
    )
    for r in results:
        comp = components.get(r.component_id)
        if r.verdict.status != Status.UNKNOWN or r.component_id in covered or comp is None:
            continue
        if lookup_not_made(r.license):
            notes[NoteCause.LOOKUP_NOT_MADE].append(_unknown_item(comp, r))
        elif decides(comp, r):
            to_curate[curation_group(comp)].append((comp, r))
        else:
            notes[NoteCause.UNKNOWN_NOT_DECIDING].append(_unknown_item(comp, r))
    for key in sorted(to_curate):
        actions.append(_curate(sorted(to_curate[key], key=lambda cr: cr[0].id)))

    actions.extend(_fix_notices(findings, components))
    for f in findings:
        third_party = _third_party(components.get(f.subject))
        if f.kind in FIX_NOTICE_FINDINGS and not third_party:
            continue  # a fix-notice action carries it
        if f.kind == "uncovered-files" and third_party:
            continue  # a vendored tree's files are its authors' business
        cause = NOTE_FINDINGS.get(f.kind, NoteCause.NOTICE_DETAIL)
        notes[cause].append(NoteItem(f.subject, f"{f.message} ({f.kind})", f.evidence))
    _problem_notes(problems, notes)
    notes[NoteCause.CONFIGURATION].extend(_unmatched_removals(inventory, config))

    for r in results:
        comp = components.get(r.component_id)
        if r.verdict.election and _third_party(comp) and r.component_id not in covered:
            assert comp is not None
            actions.append(_elect(comp, r))

    return Plan(
        tuple(sorted(set(actions), key=priority)),
        tuple(
            Note(cause, NOTE_TITLES[cause], tuple(sorted(set(notes[cause]), key=_item_key)))
            for cause in NOTE_TITLES
            if notes.get(cause)
        ),
    )


def priority(action: Action) -> tuple[object, ...]:
    """Sort key of the report order: what blocks a release first (denied), then what needs
    an exception, then unknowns that decide, then hygiene; by kind, then target within (the
    rest of the action breaks ties, so the order never depends on how a set iterated)."""
    return (
        -SEVERITY_RANK[action.severity],
        KIND_ORDER[action.kind],
        action.target,
        action.because,
        action.removable,
        _evidence_key(action.evidence),
        action.properties,
    )


def _evidence_key(evidence: Iterable[Evidence]) -> tuple[tuple[str, int, str, str], ...]:
    return tuple(map(evidence_key, evidence))


def lookup_not_made(info: LicenseInfo) -> bool:
    """Whether a license is unknown only because a lookup was not made or failed."""
    return info.expression is None and (info.confidence == 0.0 or OFFLINE_MISS in info.reason)


def _third_party(comp: Component | None) -> bool:
    """Third-party code: anything but the project's own source (vendored source is not)."""
    if comp is None:
        return False
    return comp.kind != ComponentKind.SOURCE or comp.prop("vendored") == "true"


def decides(comp: Component, result: ComponentResult) -> bool:
    """Whether an unknown license decides the outcome: third-party code that is distributed."""
    return _third_party(comp) and result.distribution == Distribution.DISTRIBUTED.value


def undecided(inventory: Inventory, results: Sequence[ComponentResult]) -> tuple[str, ...]:
    """Distributed third-party components whose license is unknown because a lookup was not
    made: they decide a ``--strict`` run (see :func:`audit.baseline.gate`)."""
    components = {c.id: c for c in inventory.components}
    return tuple(
        sorted(
            r.component_id
            for r in results
            if r.verdict.status == Status.UNKNOWN
            and lookup_not_made(r.license)
            and (comp := components.get(r.component_id)) is not None
            and decides(comp, r)
        )
    )


def _rank(result: ComponentResult | None) -> int:
    return STATUS_SEVERITY[result.verdict.status] if result is not None else -1


_STATUS_TO_SEVERITY = {
    Status.DENIED: Severity.DENIED,
    Status.NEEDS_EXCEPTION: Severity.NEEDS_EXCEPTION,
    Status.UNKNOWN: Severity.UNKNOWN,
}


def verdict_severity(result: ComponentResult | None) -> Severity:
    """The severity a verdict gives an action about its component: hygiene when it passes."""
    if result is None:
        return Severity.HYGIENE
    return _STATUS_TO_SEVERITY.get(result.verdict.status, Severity.HYGIENE)


def _item_key(item: NoteItem) -> tuple[object, ...]:
    """Subject, message, then the evidence lines: two items that differ only in where they
    were found keep one order whatever the hash seed."""
    return (item.subject, item.message, _evidence_key(item.evidence))


def _evidence(*groups: Iterable[Evidence]) -> tuple[Evidence, ...]:
    """Sorted, one per location (``path:line``): the lines to open or delete. (Each once,
    told by its fields: thousands, for a request that covers thousands of components.)"""
    unique = {(e.path, e.line, e.text, e.scanner): e for g in groups for e in g}
    by_location: dict[tuple[str, int], Evidence] = {}
    for key in sorted(unique):
        by_location.setdefault(key[:2], unique[key])
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


def _remove(
    index: GraphIndex, comp: Component, reasons: list[str], result: ComponentResult | None
) -> Action:
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
        severity=_severity_of(comp, result),
    )


def _severity_of(comp: Component, result: ComponentResult | None) -> Severity:
    """The verdict's severity; an unknown license weighs only where it decides."""
    severity = verdict_severity(result)
    if severity == Severity.UNKNOWN and (result is None or not decides(comp, result)):
        return Severity.HYGIENE
    return severity


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
        severity=verdict_severity(result),
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
        severity=Severity.NEEDS_EXCEPTION,
    )


# add-curation ----------------------------------------------------------------------------


def curation_group(comp: Component) -> tuple[str, str, str]:
    """What one curation decision covers: components of one kind from one place (the
    directory of their id, e.g. ``download:download.falco.org/dependencies``) declared in
    one file: the Debian packages a Dockerfile downloads from one mirror are one decision."""
    where = comp.evidence[0].path if comp.evidence else ""
    return (comp.kind.value, comp.id.rsplit("/", 1)[0] if "/" in comp.id else comp.id, where)


CURATION_NAMES = 5
"""Components named in a grouped curation's reason; ``components`` lists them all."""


def _curate(members: list[tuple[Component, ComponentResult]]) -> Action:
    comp, result = members[0]
    why = result.license.reason or "no source stated a license"
    if len(members) == 1:
        head = f"{component_label(comp)} is distributed and its license is unknown: {why}"
    else:
        names = [component_label(c) for c, _ in members[:CURATION_NAMES]]
        more = len(members) - len(names)
        listed = ", ".join(names) + (f" and {more} more" if more else "")
        head = (
            f"{len(members)} distributed components from "
            f"{curation_group(comp)[1].split(':', 1)[-1]} have an unknown license: {listed} "
            f"({why})"
        )
    parts = [
        head,
        "State the license of each in a curation (.depaudit/curations.toml), with where it is "
        "written",
    ]
    ids = [c.id for c, _ in members]
    return Action(
        kind=ActionKind.ADD_CURATION,
        target=comp.id,
        because=_sentences(parts),
        evidence=_evidence(
            *(c.evidence for c, _ in members), *(r.license.evidence for _, r in members)
        ),
        properties=_props(components=JOIN.join(ids) if len(ids) > 1 else ""),
        severity=Severity.UNKNOWN,
    )


# fix-notice ------------------------------------------------------------------------------


def _fix_notices(findings: Sequence[Finding], components: dict[str, Component]) -> list[Action]:
    """One fix-notice action per first-party subject with a real contradiction or a broken
    reference; its reasons, evidence and finding kinds joined."""
    by_subject: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.kind in FIX_NOTICE_FINDINGS and not _third_party(components.get(f.subject)):
            by_subject[f.subject].append(f)
    out = []
    for subject, group in sorted(by_subject.items()):
        group = sorted(set(group), key=lambda f: (f.kind, f.message))
        out.append(
            Action(
                kind=ActionKind.FIX_NOTICE,
                target=subject,
                because=_sentences(f"{f.message} ({f.kind})" for f in group),
                evidence=_evidence(*(f.evidence for f in group)),
                properties=_props(notice=JOIN.join(sorted({f.kind for f in group}))),
            )
        )
    return out


# notes -----------------------------------------------------------------------------------


def _unknown_item(comp: Component, result: ComponentResult) -> NoteItem:
    why = result.license.reason or "no source stated a license"
    return NoteItem(
        comp.id,
        f"{component_label(comp)} ({result.context}, {result.distribution}): {why}",
        _evidence(comp.evidence[:1]),
    )


def _problem_notes(problems: Sequence[Problem], notes: dict[NoteCause, list[NoteItem]]) -> None:
    """Each problem as a note item. A failed lookup is already an item when its component's
    license stayed unknown (its message starts with the component id)."""
    listed = {i.subject for i in notes.get(NoteCause.LOOKUP_NOT_MADE, ())}
    for p in sorted(set(problems)):
        cause = PROBLEM_NOTES.get(p.kind, NoteCause.PARSE_PROBLEM)
        if cause == NoteCause.LOOKUP_NOT_MADE and p.message.split(": ", 1)[0] in listed:
            continue
        loc = Evidence(p.path, p.line, "", p.scanner)
        notes[cause].append(NoteItem(p.path, f"{p.message} ({p.kind})", (loc,)))


def _unmatched_removals(inventory: Inventory, config: Config) -> list[NoteItem]:
    where = config.path or "the configuration"
    return [
        NoteItem(where, f"remove = {name!r} matches no component: already gone, or misspelled")
        for name in config.remove
        if not any(matches_name(c, name) for c in inventory.components)
    ]


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


def finding_kinds(action: Action) -> tuple[str, ...]:
    """What a finding waiver matches an action by: the finding kinds a ``fix-notice`` carries
    (``license-conflict``, ``missing-license-file``), ``unknown-license`` for an
    ``add-curation``; none for the other decisions (license waivers cover those)."""
    if action.kind == ActionKind.FIX_NOTICE:
        return tuple(k for k in (action.prop("notice") or "").split(JOIN) if k)
    if action.kind == ActionKind.ADD_CURATION:
        return ("unknown-license",)
    return ()


def waive_findings(
    actions: Sequence[Action], waivers: Iterable[Waiver], *, as_of: date | None, project: str | None
) -> tuple[tuple[Action, ...], frozenset[str]]:
    """The actions without those a finding waiver in force covers (see
    :mod:`audit.policy.waivers`), and the ids of the waivers that covered one."""
    finding_waivers = [w for w in waivers if w.finding and w.in_force(as_of, project)]
    if not finding_waivers:
        return tuple(actions), frozenset()
    kept: list[Action] = []
    used: set[str] = set()
    for action in actions:
        kinds = finding_kinds(action)
        targets = [action.target, *(action.prop("components") or "").split(JOIN)]
        hit = next(
            (
                w
                for w in finding_waivers
                if kinds and all(w.covers_review(kinds, t) for t in targets if t)
            ),
            None,
        )
        if hit is not None:
            used.add(hit.id)
            continue
        kept.append(action)
    return tuple(kept), frozenset(used)
