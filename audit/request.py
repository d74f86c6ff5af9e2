"""License exception requests: the CNCF issue form, filled in from evidence.

:func:`build_requests` groups the components that need an exception the way the form wants
them grouped: one request per set of components whose answers are all identical (same
license, context and distribution model, and the same ticks for how each is included, how it
interacts with the project's code and whether it is modified). Each component carries the
answers the evidence supports, each with its explanation and the lines behind it; what only
a human knows is ``TODO:`` and never guessed.

:func:`render_body` writes a request exactly as GitHub renders an issue submitted through a
form (:mod:`audit.issueform`): every question of the form, in order, as ``### <label>`` and
its answer; checkboxes as ``- [x]``/``- [ ]`` with the form's own option labels. The component
table's cells are plain text the foundation's workflows can read (name, upstream URL, usage
links, SPDX expression, purpose). :func:`render_json` writes the same values as JSON.
"""

from __future__ import annotations

import json
import posixpath
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar
from urllib.parse import quote, urlsplit

from audit.actions import (
    exception_group,
    matches_name,
    request_file,
    source_directory,
)
from audit.errors import InputError
from audit.graph import GraphIndex
from audit.issueform import FieldType, FormField, IssueForm
from audit.model import (
    Component,
    ComponentKind,
    ComponentResult,
    Evidence,
    Notice,
    RepoInfo,
    Report,
    Status,
    to_jsonable,
)
from audit.weburl import link_target

_T = TypeVar("_T")

SCHEMA = "depaudit/exception-request/2"
TODO = "TODO:"
NO_RESPONSE = "_No response_"
"""What GitHub writes for a question left empty."""
MAX_EVIDENCE = 20
"""Evidence lines shown per explanation (the JSON form has them all)."""
MAX_USAGE = 3
"""Usage links per component in the table."""

# The form's options, by the words they start with (matched case-insensitively, so that a
# revision that rewords the rest of an option still matches).
INCORPORATED = "Incorporated code"
VENDORED = "Vendored component"
BUILD_TIME = "Build-time dependency"
TOOLING = "Build and test tooling"
INSTALL_TIME = "Install-time dependency"
UPSTREAM = "Required upstream dependencies"
OTHER = "Other"
STATIC = "Static linking"
DYNAMIC = "Dynamic linking"
PROCESS = "Separate process"
NETWORK = "Network interaction only"
YES, NO = "Yes", "No"


@dataclass(frozen=True)
class Answer:
    """depaudit's answer to one question for one component."""

    choice: str
    """The option chosen (one of the constants above); ``''`` when the evidence cannot say."""
    explanation: tuple[str, ...]
    """Why; sentences a human must write start with ``TODO:``."""
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class RequestComponent:
    """One row of the form's component table, and the component's answers."""

    id: str
    name: str
    """The name the table gives it: a package name, a directory, never a decoration."""
    upstream_url: str
    """Where the component comes from; empty when not known (the table says TODO)."""
    usage: tuple[Evidence, ...]
    """The lines of this repository that declare or carry the component."""
    license: str
    """SPDX expression (the raw license text when there is none); empty when unknown."""
    purpose: str
    """What the component does for the project; empty when the evidence does not say."""
    version: str | None
    inclusion: Answer
    interaction: Answer
    modified: Answer
    license_evidence: tuple[str, ...] = ()
    """``"GPL" (module-license) in 2 files`` for each license string its files carry."""
    policy: tuple[str, ...] = ()
    """The policy's reasons (including prior exceptions that did not count)."""
    merged: tuple[str, ...] = ()
    """Further components this row stands for: the same code under the same name and
    license from another pinned tree (two pins of one repository)."""

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id, *self.merged)

    @property
    def answers_key(self) -> tuple[str, str, str]:
        """Components with the same key answer the form identically."""
        return (self.inclusion.choice, self.interaction.choice, self.modified.choice)


@dataclass(frozen=True)
class ExceptionRequest:
    """One License Exception Request: components whose answers are all identical."""

    request_file: str
    """Suggested path to keep the body in."""
    project: str | None
    repository: RepoInfo
    license: str
    context: str
    distribution: str
    components: tuple[RequestComponent, ...]
    trees: tuple[tuple[str, str], ...] = ()
    """``(tree, blob URL)`` of each pinned tree the rows' evidence comes from
    (``libs@0.11.3`` -> ``https://github.com/falcosecurity/libs/blob/0.11.3``)."""

    @property
    def title(self) -> str:
        return f"[License Exception Request] [{self.project or 'Project'}] [{self.license}]"


# Building --------------------------------------------------------------------------------


def build_requests(
    report: Report, component_ids: Sequence[str] | None = None, project: str | None = None
) -> tuple[ExceptionRequest, ...]:
    """The requests for ``component_ids`` (ids, ids without version, or names), or for every
    component whose verdict is needs-exception when ``None``. ``project`` overrides the
    report's project name. A name that matches no component is an :class:`InputError`."""
    components = {c.id: c for c in report.inventory.components}
    if component_ids is None:
        chosen = [r for r in report.results if r.verdict.status == Status.NEEDS_EXCEPTION]
    else:
        chosen = _select(report, components, component_ids)
    index = GraphIndex.build(report.inventory)
    notices = {(n.path, n.line): n for n in report.inventory.notices}
    pins = {
        c.prop("bundled_tree") or "": c
        for c in report.inventory.components
        if c.prop("bundled_tree")
    }
    name = project or report.project
    groups: dict[tuple[str, str, str], list[RequestComponent]] = defaultdict(list)
    first: dict[tuple[str, str, str], ComponentResult] = {}
    for r in sorted(chosen, key=lambda r: r.component_id):
        comp = components.get(r.component_id) or Component(
            r.component_id, ComponentKind.PACKAGE, r.component_id
        )
        key = exception_group(r)
        pin = pins.get(comp.prop("origin") or "")
        groups[key].append(_row(report.repository, index, notices, comp, r, pin))
        first.setdefault(key, r)
    out = []
    for key in sorted(groups):
        by_answers: dict[tuple[str, str, str], list[RequestComponent]] = defaultdict(list)
        for row in groups[key]:
            by_answers[row.answers_key].append(row)
        path = request_file(first[key])
        for n, answers in enumerate(sorted(by_answers, key=lambda k: by_answers[k][0].id)):
            lic, context, distribution = key
            out.append(
                ExceptionRequest(
                    request_file=path if n == 0 else f"{path[:-3]}-{n + 1}.md",
                    project=name,
                    repository=report.repository,
                    license=lic,
                    context=context,
                    distribution=distribution,
                    components=_merge_rows(by_answers[answers]),
                    trees=_trees(by_answers[answers], pins),
                )
            )
    return tuple(out)


def _select(
    report: Report, components: dict[str, Component], wanted: Sequence[str]
) -> list[ComponentResult]:
    chosen: dict[str, ComponentResult] = {}
    for name in wanted:
        hits = [
            r
            for r in report.results
            if r.component_id in components and matches_name(components[r.component_id], name)
        ]
        if not hits:
            raise InputError(f"no component of the report matches {name!r}", key="request")
        chosen.update((r.component_id, r) for r in hits)
    return [chosen[k] for k in sorted(chosen)]


def _first_party(comp: Component) -> bool:
    """Source the project wrote itself (vendored third-party copies are source too, and so
    is the source of a pinned tree the build fetches, ``origin``)."""
    return (
        comp.kind == ComponentKind.SOURCE
        and comp.prop("vendored") != "true"
        and not comp.prop("origin")
        and not comp.prop("system_headers")
    )


def _in_tree(comp: Component, pin: Component | None = None) -> str | None:
    """The directory of source, inside its pinned repository when it comes from a pinned
    tree (``libs@0.11.3:driver/bpf`` -> ``driver/bpf``; a tree that is the pin's
    ``source_subdir`` ``driver`` gives ``driver`` for its top)."""
    directory = source_directory(comp)
    origin = comp.prop("origin")
    if not (directory and origin) or (
        directory != origin and not directory.startswith(f"{origin}:")
    ):
        return directory
    inner = directory[len(origin) + 1 :]
    subdir = (pin.prop("source_subdir") or "").strip("/") if pin is not None else ""
    return posixpath.join(subdir, inner).strip("/") if subdir else (inner or None)


def _table_name(comp: Component, pin: Component | None) -> str:
    """A plain name: the directory of first-party source (``repository/directory`` for the
    source of a pinned tree), the upstream of a vendored copy, the package (image,
    action...) name otherwise — no version, id or remark."""
    if comp.kind == ComponentKind.SOURCE:
        if comp.prop("vendored") == "true" and comp.prop("upstream"):
            return comp.prop("upstream") or comp.name
        if comp.prop("system_headers"):
            return comp.prop("upstream") or comp.name
        directory = _in_tree(comp, pin) or comp.name
        if pin is not None:
            return f"{pin.prop('repository') or pin.name}/{directory}"
        return directory
    return comp.name


def _tree_url(pin: Component) -> str | None:
    """Where a pinned GitHub tree's files are shown at the pinned version."""
    repository = pin.prop("repository")
    if not repository or not pin.version or pin.ecosystem != "github":
        return None
    subdir = (pin.prop("source_subdir") or "").strip("/")
    base = f"https://github.com/{repository}/blob/{quote(pin.version, safe='')}"
    return f"{base}/{quote(subdir, safe='/')}" if subdir else base


def _trees(
    rows: Sequence[RequestComponent], pins: dict[str, Component]
) -> tuple[tuple[str, str], ...]:
    out = {}
    for tree, pin in pins.items():
        url = _tree_url(pin)
        if url and any(e.path.startswith(f"{tree}:") for row in rows for e in row.usage):
            out[tree] = url
    return tuple(sorted(out.items()))


def _union(*parts: Sequence[_T]) -> tuple[_T, ...]:
    return tuple(dict.fromkeys(x for part in parts for x in part))


def _merge_rows(rows: Sequence[RequestComponent]) -> tuple[RequestComponent, ...]:
    """One row per name, license and purpose: the same code from two pins is one record."""
    merged: dict[tuple[str, str, str], RequestComponent] = {}
    for row in rows:
        key = (row.name, row.license, row.purpose)
        seen = merged.get(key)
        if seen is None:
            merged[key] = row
            continue
        merged[key] = replace(
            seen,
            usage=_union(seen.usage, row.usage),
            version=", ".join(_union([seen.version or ""], [row.version or ""])).strip(", ")
            or None,
            inclusion=_merge_answer(seen.inclusion, row.inclusion),
            interaction=_merge_answer(seen.interaction, row.interaction),
            modified=_merge_answer(seen.modified, row.modified),
            license_evidence=_union(seen.license_evidence, row.license_evidence),
            policy=_union(seen.policy, row.policy),
            merged=(*seen.merged, row.id),
        )
    return tuple(merged.values())


def _merge_answer(a: Answer, b: Answer) -> Answer:
    return Answer(a.choice, _union(a.explanation, b.explanation), _union(a.evidence, b.evidence))


def _row(
    repo: RepoInfo,
    index: GraphIndex,
    notices: dict[tuple[str, int], Notice],
    comp: Component,
    result: ComponentResult,
    pin: Component | None = None,
) -> RequestComponent:
    lic = result.license
    policy = (f"verdict: {result.verdict.status.value}", *result.verdict.reasons)
    return RequestComponent(
        id=comp.id,
        name=_table_name(comp, pin),
        upstream_url=_upstream(repo, comp, pin),
        usage=(*pin.evidence[:1], *comp.evidence) if pin is not None else comp.evidence,
        license=lic.expression or lic.raw or "",
        purpose=_purpose(comp, result, pin),
        version=comp.version,
        inclusion=_inclusion(index, comp, result, pin),
        interaction=_interaction(comp, result),
        modified=_modified(comp, pin),
        license_evidence=_license_strings(notices, comp),
        policy=policy,
    )


def _upstream(repo: RepoInfo, comp: Component, pin: Component | None) -> str:
    if _first_party(comp):
        return repo.remote or ""
    if pin is not None and comp.prop("vendored") != "true" and not comp.prop("system_headers"):
        return upstream_url(pin)
    return upstream_url(comp)


def _purpose(comp: Component, r: ComponentResult, pin: Component | None = None) -> str:
    stated = comp.prop("purpose") or comp.prop("description")
    if stated:
        return stated
    where = _in_tree(comp, pin) if comp.kind == ComponentKind.SOURCE else None
    built = f" built from {where}/" if where else ""
    if r.context == "kernel-module":
        return f"Linux kernel module{built}: the project's driver, loaded into the kernel"
    if r.context == "ebpf":
        return f"In-kernel eBPF programs{built}: the project's driver, loaded by its userspace"
    return ""


def _consumer_evidence(index: GraphIndex, cid: str) -> tuple[Evidence, ...]:
    return tuple(e.evidence for e in index.consumers(cid) if e.evidence is not None)


_BY_DISTRIBUTION = {
    "internal-tooling": TOOLING,
    "user-fetched": INSTALL_TIME,
    "system-component": UPSTREAM,
}


def _fetched(pin: Component) -> str:
    """``falcosecurity/libs 0.11.3, fetched by the build from URL (checked against H)``."""
    pinned = pin.prop("url_hash") or pin.prop("digest")
    check = f", checked against {pinned}" if pinned else ""
    name = pin.prop("repository") or pin.name
    version = f" {pin.version}" if pin.version else ""
    return f"{name}{version}, fetched by the build from {pin.prop('url') or 'upstream'}{check}"


def _inclusion(
    index: GraphIndex, comp: Component, r: ComponentResult, pin: Component | None = None
) -> Answer:
    why = tuple(r.classification)
    evidence = _consumer_evidence(index, comp.id) or comp.evidence
    if comp.prop("system_headers"):
        return Answer(
            BUILD_TIME,
            (
                "Headers installed on the build machine (its kernel headers package) and "
                "compiled into the project's code by `#include <linux/...>`; the project "
                "keeps no copy.",
                *why,
            ),
            comp.evidence,
        )
    if pin is not None and r.distribution == "distributed" and comp.prop("vendored") != "true":
        return Answer(
            BUILD_TIME,
            (f"Part of {_fetched(pin)}, and built into the release.", *why),
            (*pin.evidence, *comp.evidence),
        )
    if r.distribution in _BY_DISTRIBUTION:
        return Answer(_BY_DISTRIBUTION[r.distribution], why, evidence)
    if r.distribution != "distributed":
        return Answer("", (f"{TODO} say how it is included ({r.distribution})", *why), evidence)
    if _first_party(comp):
        where = source_directory(comp)
        kept = f"kept in `{where}/`" if where else "kept in this repository"
        return Answer(INCORPORATED, (f"First-party source {kept}.", *why), comp.evidence)
    if comp.kind in (ComponentKind.SOURCE, ComponentKind.SUBMODULE):
        placement = comp.prop("placement") or comp.kind.value
        return Answer(VENDORED, (f"A copy kept in the tree ({placement}).", *why), evidence)
    if comp.kind == ComponentKind.DOWNLOAD:
        return Answer(
            BUILD_TIME, ("Fetched by the build and built into the release.", *why), evidence
        )
    if comp.kind == ComponentKind.IMAGE:
        return Answer(
            OTHER, ("The base image of a container image the project ships.", *why), evidence
        )
    return Answer("", (f"{TODO} say how it is included", *why), evidence)


def _interaction(comp: Component, r: ComponentResult) -> Answer:
    if comp.prop("system_headers") and r.distribution != "internal-tooling":
        return Answer(
            STATIC,
            (
                "Compiled together with the project's code: the headers' constants, structures "
                "and inline definitions become part of its binaries, which use the kernel "
                "through system calls (the Linux-syscall-note).",
            ),
        )
    if r.context == "kernel-module":
        return Answer(
            OTHER,
            (
                "A Linux kernel module: it is loaded into the kernel and runs in kernel space, "
                "apart from the project's userspace programs.",
                f"{TODO} name the interface userspace uses to talk to it",
            ),
        )
    if r.context == "ebpf":
        return Answer(
            OTHER,
            (
                "In-kernel eBPF programs: the project's userspace code loads them through the "
                "bpf() syscall; they run in the kernel, not in the project's processes.",
            ),
        )
    if r.distribution == "internal-tooling":
        return Answer(
            OTHER,
            ("Used only while building or testing: it does not run with what ships.",),
        )
    if r.context == "build":
        return Answer(
            OTHER,
            (
                "A build script kept in the source tree: the build tool runs it while the "
                "project is built; it is not linked into or run with what ships.",
            ),
        )
    return Answer(
        "",
        (
            f"{TODO} static linking, dynamic linking, separate process or network interaction "
            "only? (the build's use of it does not say)",
        ),
    )


_PUBLISHED = frozenset(
    {ComponentKind.PACKAGE, ComponentKind.IMAGE, ComponentKind.ACTION, ComponentKind.ORB}
)


def _modified(comp: Component, pin: Component | None = None) -> Answer:
    if comp.prop("system_headers"):
        return Answer(NO, ("Used as the build machine's kernel headers package installs them.",))
    if pin is not None and comp.prop("vendored") != "true":
        return Answer(
            "",
            (f"Part of {_fetched(pin)}.", f"{TODO} say whether the build patches it"),
            pin.evidence,
        )
    if _first_party(comp):
        return Answer(
            NO, ("First-party code written by the project, not a copy of a third-party one.",)
        )
    if comp.kind in _PUBLISHED and comp.prop("vendored") != "true":
        version = f" {comp.version}" if comp.version else ""
        return Answer(
            NO,
            (f"Used as published: {comp.kind.value} {comp.name}{version}, fetched by name.",),
            comp.evidence,
        )
    if comp.kind == ComponentKind.DOWNLOAD:
        pinned = comp.prop("url_hash") or comp.prop("digest")
        check = f", checked against {pinned}" if pinned else ""
        return Answer(
            "",
            (
                f"Fetched by the build from {comp.prop('url') or 'upstream'}{check}.",
                f"{TODO} say whether the build patches it",
            ),
            comp.evidence,
        )
    return Answer(
        "",
        (
            "A copy kept in the tree; depaudit has not compared it with upstream.",
            f"{TODO} say whether the copy is modified, and how",
        ),
        comp.evidence,
    )


def _license_strings(notices: dict[tuple[str, int], Notice], comp: Component) -> tuple[str, ...]:
    """``"GPL" (module-license) in 2 files`` for each license string the component's
    evidence lines carry, as written (kernel and eBPF strings, SPDX tags...)."""
    files: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in comp.evidence:
        n = notices.get((e.path, e.line))
        if n is not None:
            files[(n.raw, n.kind)].add(e.path)
    out = []
    for (raw, kind), paths in sorted(files.items()):
        count = len(paths)
        out.append(f"`{raw}` ({kind}) in {count} file{'' if count == 1 else 's'}")
    return tuple(out)


# URLs ------------------------------------------------------------------------------------


def usage_url(repo: RepoInfo, evidence: Evidence) -> str | None:
    """``https://github.com/OWNER/REPO/blob/COMMIT/PATH#L10``; ``None`` without a web URL
    and a commit. GitLab URLs get GitLab's ``/-/blob/`` form."""
    if not repo.remote or not repo.commit:
        return None
    path = posixpath.join(repo.prefix, evidence.path) if repo.prefix else evidence.path
    base = repo.remote.rstrip("/")
    blob = "/-/blob/" if "gitlab" in (urlsplit(base).hostname or "") else "/blob/"
    anchor = f"#L{evidence.line}" if evidence.line else ""
    return f"{base}{blob}{repo.commit}/{quote(path, safe='/')}{anchor}"


_REGISTRY_PAGES = {
    "pypi": "https://pypi.org/project/{name}/",
    "npm": "https://www.npmjs.com/package/{name}",
    "golang": "https://pkg.go.dev/{name}",
    "cargo": "https://crates.io/crates/{name}",
    "gem": "https://rubygems.org/gems/{name}",
}


def upstream_url(comp: Component) -> str:
    """Where the component comes from; ``""`` when the inventory does not say."""
    if _first_party(comp):
        return "this repository (first-party)"
    if comp.kind == ComponentKind.SOURCE:
        return comp.prop("url") or comp.prop("upstream") or ""
    page = _REGISTRY_PAGES.get(comp.ecosystem or "")
    if page and comp.kind == ComponentKind.PACKAGE:
        return page.format(name=comp.name)
    repository = comp.prop("repository")
    if repository and comp.ecosystem == "github":
        return f"https://github.com/{repository}"
    if comp.kind == ComponentKind.IMAGE:
        source = comp.prop("label.org.opencontainers.image.source")
        if source:
            return source
        first = comp.name.split("/", 1)[0]
        if "." in first or ":" in first or first == "localhost":
            return ""
        hub = "_" if "/" not in comp.name else "r"
        return f"https://hub.docker.com/{hub}/{comp.name}"
    if comp.kind == ComponentKind.ORB:
        return f"https://circleci.com/developer/orbs/orb/{comp.name}"
    if comp.ecosystem == "git" and "/" in comp.name:
        return f"https://{comp.name}"
    return comp.prop("url") or ""


# Rendering -------------------------------------------------------------------------------


def _cell(text: str) -> str:
    """A table cell the foundation's workflows split correctly: they split rows on every
    ``|`` (escaped or not), so none may remain."""
    return " ".join(text.replace("|", "/").split())


def evidence_url(req: ExceptionRequest, evidence: Evidence) -> str | None:
    """The exact line, in this repository or in the pinned tree the evidence comes from."""
    for tree, base in req.trees:
        if evidence.path.startswith(f"{tree}:"):
            path = quote(evidence.path[len(tree) + 1 :], safe="/")
            return f"{base}/{path}" + (f"#L{evidence.line}" if evidence.line else "")
    return usage_url(req.repository, evidence)


def _location(req: ExceptionRequest, evidence: Evidence) -> str:
    url = link_target(evidence_url(req, evidence))
    return f"[{evidence.location}]({url})" if url else evidence.location


def _usage_cell(req: ExceptionRequest, comp: RequestComponent) -> str:
    shown = [_location(req, e) for e in comp.usage[:MAX_USAGE]]
    if not shown:
        return f"{TODO} where the project uses it"
    more = len(comp.usage) - MAX_USAGE
    if more > 0:
        shown.append(f"and {more} more")
    if evidence_url(req, comp.usage[0]) is None:
        shown.append(f"{TODO} links (no web URL or commit known)")
    return " ".join(shown)


_COLUMNS: dict[str, Callable[[ExceptionRequest, RequestComponent], str]] = {
    "component": lambda req, c: c.name,
    "upstream url": lambda req, c: c.upstream_url or f"{TODO} upstream URL",
    "project usage url": _usage_cell,
    "license(s)": lambda req, c: c.license or f"{TODO} the license",
    "purpose": lambda req, c: c.purpose or f"{TODO} what it does for the project (1-2 sentences)",
}
DEFAULT_HEADER = ("Component", "Upstream URL", "Project Usage URL", "License(s)", "Purpose")


def render_table(req: ExceptionRequest, header: Sequence[str] = DEFAULT_HEADER) -> list[str]:
    """The component table with the form's own header, one row per component."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for c in req.components:
        cells = []
        for column in header:
            fill = _COLUMNS.get(column.strip().lower())
            cells.append(_cell(fill(req, c)) if fill else f"{TODO} {_cell(column)}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _evidence_lines(req: ExceptionRequest, evidence: Sequence[Evidence]) -> list[str]:
    unique = sorted(set(evidence))
    lines = []
    for e in unique[:MAX_EVIDENCE]:
        text = f" `{e.text.replace('`', chr(39))}`" if e.text else ""
        lines.append(f"- {_location(req, e)}{text}")
    if len(unique) > MAX_EVIDENCE:
        lines.append(f"- and {len(unique) - MAX_EVIDENCE} more (see the JSON form)")
    return lines


def _explain(req: ExceptionRequest, pick: Callable[[RequestComponent], Answer]) -> str:
    """The explanation of one question: each component's sentences, then the evidence."""
    several = len(req.components) > 1
    lines: list[str] = []
    evidence: list[Evidence] = []
    for c in req.components:
        answer = pick(c)
        lines += [f"- {c.name}: {s}" if several else f"- {s}" for s in answer.explanation]
        evidence += answer.evidence
    out = "\n".join(lines)
    ev = _evidence_lines(req, evidence)
    return out + ("\n\nEvidence:\n\n" + "\n".join(ev) if ev else "")


def _ticks(field: FormField, chosen: set[str]) -> str:
    """The checkbox list with the form's labels, ticked where an option starts with one of
    ``chosen``."""
    lines = []
    for option in field.options:
        hit = any(option.casefold().startswith(c.casefold()) for c in chosen if c)
        lines.append(f"- [{'x' if hit else ' '}] {option}")
    return "\n".join(lines)


def _dropdown(field: FormField, choice: str) -> str:
    if choice and choice in field.options:
        return choice
    return f"{TODO} choose one of: {', '.join(field.options)}"


def _same(req: ExceptionRequest, pick: Callable[[RequestComponent], Answer]) -> str:
    choices = {pick(c).choice for c in req.components}
    return choices.pop() if len(choices) == 1 else ""


def _details(req: ExceptionRequest, header: Sequence[str]) -> str:
    """The component table, then the license strings each component's files carry."""
    lines = render_table(req, header)
    notes = [
        f"- {c.name}: " + "; ".join(c.license_evidence)
        for c in req.components
        if c.license_evidence
    ]
    if notes:
        lines += ["", "License strings found in the files:", "", *notes]
    return "\n".join(lines)


def _modification_text(req: ExceptionRequest) -> str:
    choice = _same(req, lambda c: c.modified)
    head = {YES: "Yes.", NO: "No."}.get(choice, f"{TODO} yes or no.")
    return head + "\n\n" + _explain(req, lambda c: c.modified)


def _contribution(req: ExceptionRequest) -> str:
    if _same(req, lambda c: c.modified) == NO:
        return "Not applicable: the components are not modified."
    return f"{TODO} if modified, say whether the changes will be contributed upstream"


def _integration(req: ExceptionRequest) -> str:
    return _explain(req, lambda c: c.interaction) + "\n\n" + _explain(req, lambda c: c.inclusion)


def _answer(req: ExceptionRequest, form: IssueForm, field: FormField) -> str:
    """The text GitHub shows under ``### <label>`` for ``field``."""
    fid = field.id
    if fid == "project_name":
        return req.project or f"{TODO} the CNCF project's name"
    if fid == "component_details":
        return _details(req, form.table_header or DEFAULT_HEADER)
    if fid == "introduction":
        return _details(req, DEFAULT_HEADER)
    if fid == "name":
        return req.license
    if fid == "inclusion_method":
        return _ticks(field, {c.inclusion.choice for c in req.components})
    if fid == "inclusion_method_explanation":
        return _explain(req, lambda c: c.inclusion)
    if fid == "interaction_nature":
        return _ticks(field, {c.interaction.choice for c in req.components})
    if fid == "interaction_explanation":
        return _explain(req, lambda c: c.interaction)
    if fid == "modifications" and field.type == FieldType.DROPDOWN:
        return _dropdown(field, _same(req, lambda c: c.modified))
    if fid in ("modifications", "modifications_details"):
        return _modification_text(req)
    if fid in ("upstream_contribution", "license-exception"):
        if field.type == FieldType.DROPDOWN:
            return NO_RESPONSE if _same(req, lambda c: c.modified) == NO else _dropdown(field, "")
        return _contribution(req)
    if fid == "integration":
        return _integration(req)
    if field.type == FieldType.CHECKBOXES:
        return _ticks(field, set())
    if field.type == FieldType.DROPDOWN:
        return _dropdown(field, "")
    if not field.required and fid.endswith("_explanation"):
        return NO_RESPONSE
    return f"{TODO} answer this question"


def render_body(req: ExceptionRequest, form: IssueForm) -> str:
    """The issue body exactly as GitHub renders one submitted through ``form``."""
    parts = [f"### {f.label}\n\n{_answer(req, form, f)}" for f in form.questions]
    return "\n\n".join(parts) + "\n"


def prefill(req: ExceptionRequest, form: IssueForm) -> dict[str, str]:
    """The answers of the form's text fields (input, textarea), by field id: what a
    "new issue" URL can carry."""
    return {
        f.id: _answer(req, form, f)
        for f in form.questions
        if f.id and f.type in (FieldType.INPUT, FieldType.TEXTAREA)
    }


def render_json(reqs: Sequence[ExceptionRequest], form: IssueForm) -> str:
    """Every request as one JSON document (``depaudit/exception-request/2``): its values,
    and each answer of the form by field id."""
    doc = {
        "schema": SCHEMA,
        "form": {
            "name": form.name,
            "revision": form.revision,
            "source": form.source,
            "fields": [f.id for f in form.questions],
        },
        "requests": [
            {
                "title": r.title,
                **to_jsonable(r),
                "answers": {f.id: _answer(r, form, f) for f in form.questions},
            }
            for r in reqs
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


__all__ = [
    "DEFAULT_HEADER",
    "Answer",
    "ExceptionRequest",
    "RequestComponent",
    "build_requests",
    "prefill",
    "render_body",
    "render_json",
    "render_table",
    "upstream_url",
    "usage_url",
]
