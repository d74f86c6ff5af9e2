"""License exception requests: the body of a CNCF License Exception Request, from evidence.

:func:`build_requests` groups the components that need an exception the way the plan stage
does (same license, context and distribution model give the same answers, so one request)
and fills every answer the evidence supports: where each component is declared, how it
ships, where it lives, which license strings its files carry and how many files carry them,
and the policy's reasons (including the prior exceptions that almost matched and why they
did not). What only a human knows is written as ``TODO:`` and never guessed.

:func:`render_markdown` lays a request out like the CNCF form (its sections, in the order
of :data:`FORM_SECTIONS`); :func:`render_json` writes the same values as JSON.
"""

from __future__ import annotations

import json
import posixpath
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from audit.actions import (
    component_label,
    exception_group,
    license_text,
    matches_name,
    request_file,
    source_directory,
)
from audit.errors import InputError
from audit.graph import GraphIndex
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

SCHEMA = "depaudit/exception-request/1"
TODO = "TODO:"
FORM_SECTIONS: tuple[str, ...] = (
    "Project details",
    "Component details",
    "Distribution and integration model",
    "Modification status",
    "Structural separation",
    "Communication mechanism",
    "Data exchange",
    "Additional information",
)
"""The request form's sections, in order: each is a ``## `` heading of the Markdown body."""
TABLE_HEADER = "| Component | Upstream URL | Project Usage URL | License(s) | Purpose |"
MAX_EVIDENCE = 20
"""Evidence lines shown per section in Markdown (the JSON form has them all)."""
MAX_USAGE = 3
"""Usage links per component in the table."""

_DISTRIBUTION = {
    "distributed": "Distributed: it ships in the project's released artifacts.",
    "user-fetched": (
        "Not distributed by the project: the user's package manager fetches it at install time."
    ),
    "system-component": "Not distributed by the project: it is a component of the user's system.",
    "internal-tooling": (
        "Not distributed: it is used only to build or test the project and never ships."
    ),
}
_INCLUSION = {
    "user-fetched": "Install-time dependency",
    "internal-tooling": "Build and test tooling",
    "system-component": "Required upstream dependencies",
}


@dataclass(frozen=True)
class RequestComponent:
    """One row of the form's component table."""

    id: str
    name: str
    upstream_url: str
    """Where the component comes from; empty when not known (the Markdown says TODO)."""
    usage: tuple[Evidence, ...]
    """The lines of this repository that declare or carry the component."""
    licenses: str
    purpose: str
    """What the component does for the project; empty when not known (TODO)."""


@dataclass(frozen=True)
class Section:
    """One section of the form: answers, then the evidence behind them."""

    title: str
    answers: tuple[str, ...]
    """Sentences; those a human must give start with ``TODO:``."""
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class ExceptionRequest:
    """The body of one License Exception Request (one license, context, distribution)."""

    request_file: str
    """Suggested path to keep the request in, as the plan stage names it."""
    project: str | None
    repository: RepoInfo
    license: str
    context: str
    distribution: str
    components: tuple[RequestComponent, ...]
    sections: tuple[Section, ...]
    """Every section of :data:`FORM_SECTIONS` but the component table, in order."""

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
    groups: dict[tuple[str, str, str], list[ComponentResult]] = defaultdict(list)
    for r in chosen:
        groups[exception_group(r)].append(r)
    index = GraphIndex.build(report.inventory)
    notices = _notices_by_location(report.inventory.notices)
    name = project or report.project
    out = []
    for key in sorted(groups):
        members = sorted(groups[key], key=lambda r: r.component_id)
        out.append(_build(report, index, notices, components, members, name))
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


def _notices_by_location(notices: Sequence[Notice]) -> dict[tuple[str, int], Notice]:
    return {(n.path, n.line): n for n in notices}


def _build(
    report: Report,
    index: GraphIndex,
    notices: dict[tuple[str, int], Notice],
    components: dict[str, Component],
    members: list[ComponentResult],
    project: str | None,
) -> ExceptionRequest:
    lic, context, distribution = exception_group(members[0])
    pairs = [(components.get(r.component_id) or _placeholder(r.component_id), r) for r in members]
    several = len(pairs) > 1
    sections = [
        _project_section(project, report.repository, lic),
        _distribution_section(index, pairs, several),
        _modification_section(pairs, several),
        _separation_section(index, pairs, several),
        _communication_section(pairs, several),
        _data_section(pairs, several),
        _additional_section(notices, pairs, several),
    ]
    return ExceptionRequest(
        request_file=request_file(members[0]),
        project=project,
        repository=report.repository,
        license=lic,
        context=context,
        distribution=distribution,
        components=tuple(_row(c, r) for c, r in pairs),
        sections=tuple(sections),
    )


def _first_party(comp: Component) -> bool:
    """Source the project wrote itself (vendored third-party copies are source too)."""
    return comp.kind == ComponentKind.SOURCE and comp.prop("vendored") != "true"


def _placeholder(cid: str) -> Component:
    return Component(cid, ComponentKind.PACKAGE, cid)


def _row(comp: Component, result: ComponentResult) -> RequestComponent:
    name = component_label(comp)
    if _first_party(comp):
        name += " (first-party)"
    elif comp.kind == ComponentKind.SOURCE:
        name += f" (vendored {comp.prop('placement') or 'copy'})"
    return RequestComponent(
        id=comp.id,
        name=name,
        upstream_url=upstream_url(comp),
        usage=comp.evidence,
        licenses=license_text(result),
        purpose=comp.prop("purpose") or comp.prop("description") or "",
    )


def _who(comp: Component, several: bool) -> str:
    return f"`{comp.id}`: " if several else ""


def _project_section(project: str | None, repo: RepoInfo, lic: str) -> Section:
    return Section(
        "Project details",
        (
            f"Project: {project}" if project else f"Project: {TODO} the CNCF project's name",
            f"Repository: {repo.remote}"
            if repo.remote
            else f"Repository: {TODO} the repository URL (no git remote was found)",
            f"Are you an official maintainer of this project? {TODO} yes or no",
            f"Suggested issue title: [License Exception Request] [{project or 'Project'}] [{lic}]",
        ),
    )


def _inclusion(comp: Component, distribution: str) -> str:
    if distribution in _INCLUSION:
        return _INCLUSION[distribution]
    if distribution != "distributed":
        return f"{TODO} choose the inclusion method"
    if comp.kind == ComponentKind.SOURCE:
        return "Incorporated code"
    if comp.kind == ComponentKind.SUBMODULE:
        return "Vendored component"
    if comp.kind == ComponentKind.DOWNLOAD:
        return "Build-time dependency (fetched at build time and built into the release)"
    if comp.kind == ComponentKind.IMAGE:
        return "Other: the base image of a container image the project publishes"
    return f"{TODO} choose the inclusion method (incorporated, vendored, build-time...)"


def _consumer_evidence(index: GraphIndex, cid: str) -> list[Evidence]:
    return [e.evidence for e in index.consumers(cid) if e.evidence is not None]


def _distribution_section(
    index: GraphIndex, pairs: list[tuple[Component, ComponentResult]], several: bool
) -> Section:
    answers: list[str] = []
    evidence: list[Evidence] = []
    for comp, r in pairs:
        who = _who(comp, several)
        answers.append(
            who
            + _DISTRIBUTION.get(
                r.distribution, f"{TODO} describe the distribution model ({r.distribution})"
            )
        )
        answers.append(f"{who}Inclusion: {_inclusion(comp, r.distribution)}.")
        answers.extend(f"{who}Why: {reason}" for reason in r.classification)
        evidence.extend(_consumer_evidence(index, comp.id))
    answers.append(
        f"Are all of the components mandatory dependencies for the project to function as "
        f"intended? {TODO} yes or no, and if no, explain"
    )
    return Section("Distribution and integration model", tuple(answers), _sorted(evidence))


def _modification_section(pairs: list[tuple[Component, ComponentResult]], several: bool) -> Section:
    answers: list[str] = []
    for comp, _ in pairs:
        who = _who(comp, several)
        if _first_party(comp):
            answers.append(
                f"{who}First-party code written by the project, not a modified copy of a "
                "third-party component."
            )
            continue
        if comp.kind == ComponentKind.SOURCE:
            upstream = comp.prop("upstream") or "an upstream project"
            answers.append(
                f"{who}A vendored copy of {upstream} kept in the tree "
                f"({comp.prop('placement') or 'placement unknown'})."
            )
            answers.append(f"{who}{TODO} say whether the copy is modified from upstream, and how")
            continue
        version = f" at version {comp.version}" if comp.version else " without a pinned version"
        pinned = comp.prop("url_hash") or comp.prop("digest")
        check = f", checked against {pinned}" if pinned else ""
        answers.append(f"{who}Used as published upstream: fetched{version}{check}.")
        answers.append(
            f"{who}{TODO} confirm that the project applies no patches (or describe them, and "
            "whether they will be contributed upstream)"
        )
    return Section("Modification status", tuple(answers))


def _separation_section(
    index: GraphIndex, pairs: list[tuple[Component, ComponentResult]], several: bool
) -> Section:
    answers: list[str] = []
    evidence: list[Evidence] = []
    for comp, _ in pairs:
        who = _who(comp, several)
        if comp.kind == ComponentKind.SOURCE:
            directory = source_directory(comp)
            files = sorted({e.path for e in comp.evidence})
            if directory:
                answers.append(f"{who}Kept in its own directory `{directory}/`.")
            else:
                answers.append(f"{who}{TODO} say where the files live (no common directory)")
            answers.append(
                f"{who}Files with a license notice: "
                + (", ".join(f"`{f}`" for f in files[:MAX_EVIDENCE]) or "none found")
                + (f" and {len(files) - MAX_EVIDENCE} more" if len(files) > MAX_EVIDENCE else "")
                + "."
            )
            evidence.extend(comp.evidence)
            continue
        uses = _consumer_evidence(index, comp.id)
        if comp.kind in (ComponentKind.DOWNLOAD, ComponentKind.SUBMODULE):
            answers.append(
                f"{who}Not stored in the project's own source files: fetched from upstream by "
                "the build (lines below)."
            )
        elif comp.kind == ComponentKind.IMAGE:
            answers.append(f"{who}A separate container image, named by reference (lines below).")
        else:
            answers.append(
                f"{who}Not stored in the repository: installed by a package manager (lines below)."
            )
        evidence.extend(uses or comp.evidence)
    return Section("Structural separation", tuple(answers), _sorted(evidence))


def _communication_section(
    pairs: list[tuple[Component, ComponentResult]], several: bool
) -> Section:
    answers: list[str] = []
    for comp, r in pairs:
        who = _who(comp, several)
        if r.context == "kernel-module":
            answers.append(
                f"{who}A kernel module: loaded into the kernel and run in kernel space, "
                "apart from the project's userspace programs."
            )
            answers.append(f"{who}{TODO} name the interface userspace uses to talk to it")
        elif r.context == "ebpf":
            answers.append(
                f"{who}In-kernel eBPF programs, loaded by the project's userspace code through "
                "the bpf() syscall; they run in the kernel, not in the userspace processes."
            )
        elif r.distribution == "internal-tooling":
            answers.append(
                f"{who}Used only while building or testing: it does not interact with the "
                "shipped code at run time."
            )
        else:
            answers.append(
                f"{who}{TODO} static linking, dynamic linking, separate process, or network "
                "interaction only?"
            )
    return Section("Communication mechanism", tuple(answers))


def _data_section(pairs: list[tuple[Component, ComponentResult]], several: bool) -> Section:
    answers: list[str] = []
    for comp, r in pairs:
        who = _who(comp, several)
        if r.distribution == "internal-tooling":
            answers.append(f"{who}None at run time: it is not part of what ships.")
        elif r.context == "ebpf":
            answers.append(f"{who}{TODO} describe the data exchanged (which BPF maps or buffers)")
        else:
            answers.append(f"{who}{TODO} describe the data exchanged with the project's code")
    return Section("Data exchange", tuple(answers))


def _license_strings(notices: dict[tuple[str, int], Notice], comp: Component) -> list[str]:
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
    return out


def _additional_section(
    notices: dict[tuple[str, int], Notice],
    pairs: list[tuple[Component, ComponentResult]],
    several: bool,
) -> Section:
    answers: list[str] = []
    evidence: list[Evidence] = []
    for comp, r in pairs:
        who = _who(comp, several)
        lic = r.license
        source = f"Concluded license: {license_text(r)} (from {lic.source}"
        source += f", {lic.url})" if lic.url else ")"
        if lic.raw and lic.raw != lic.expression:
            source += f"; as stated: `{lic.raw}`"
        answers.append(who + source + ".")
        strings = _license_strings(notices, comp)
        if strings:
            answers.append(f"{who}License strings: " + "; ".join(strings) + ".")
        total, without = comp.prop("files"), comp.prop("files_without_notice")
        if total:
            answers.append(
                f"{who}{total} files in this unit"
                + (f", {without} of them without a license notice" if without else "")
                + "."
            )
        rule = f" (rule {r.verdict.rule})" if r.verdict.rule else ""
        answers.append(f"{who}Policy verdict: {r.verdict.status.value}{rule}.")
        answers.extend(f"{who}Policy: {reason}" for reason in r.verdict.reasons)
        evidence.extend(lic.evidence)
    answers.append(
        f"{TODO} anything else the reviewers should know (how the code is maintained "
        "and kept up to date with security fixes)"
    )
    return Section("Additional information", tuple(answers), _sorted(evidence))


def _sorted(evidence: list[Evidence]) -> tuple[Evidence, ...]:
    return tuple(sorted(set(evidence)))


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
    return text.replace("|", "\\|").replace("\n", " ")


def _location(repo: RepoInfo, evidence: Evidence) -> str:
    url = usage_url(repo, evidence)
    return f"[`{evidence.location}`]({url})" if url else f"`{evidence.location}`"


def _usage_cell(req: ExceptionRequest, comp: RequestComponent) -> str:
    shown = [_location(req.repository, e) for e in comp.usage[:MAX_USAGE]]
    more = len(comp.usage) - MAX_USAGE
    if more > 0:
        shown.append(f"and {more} more")
    if not shown:
        return f"{TODO} where the project uses it"
    if usage_url(req.repository, comp.usage[0]) is None:
        shown.append(f"{TODO} link to the repository (no web URL or commit known)")
    return "<br>".join(shown)


def _table(req: ExceptionRequest) -> list[str]:
    lines = [TABLE_HEADER, "|---|---|---|---|---|"]
    for c in req.components:
        cells = [
            f"{c.name}<br>`{c.id}`",
            c.upstream_url or f"{TODO} upstream URL",
            _usage_cell(req, c),
            c.licenses,
            c.purpose or f"{TODO} what it does for the project (1-2 sentences)",
        ]
        lines.append("| " + " | ".join(_cell(x) for x in cells) + " |")
    return lines


def _evidence_lines(req: ExceptionRequest, evidence: tuple[Evidence, ...]) -> list[str]:
    if not evidence:
        return []
    lines = ["", "Evidence:", ""]
    for e in evidence[:MAX_EVIDENCE]:
        text = f" — `{e.text.replace('`', chr(39))}`" if e.text else ""
        lines.append(f"- {_location(req.repository, e)}{text}")
    if len(evidence) > MAX_EVIDENCE:
        lines.append(f"- and {len(evidence) - MAX_EVIDENCE} more (see the JSON form)")
    return lines


def render_markdown(req: ExceptionRequest) -> str:
    """The request body, laid out like the CNCF License Exception Request form."""
    sections = {s.title: s for s in req.sections}
    lines = [f"# {req.title}", ""]
    lines.append(
        f"Prepared by depaudit for {req.license} ({req.context}, {req.distribution}). "
        f"Answer every `{TODO}` before submitting."
    )
    for title in FORM_SECTIONS:
        lines += ["", f"## {title}", ""]
        if title == "Component details":
            lines += _table(req)
            continue
        section = sections.get(title)
        if section is None:
            lines.append(f"- {TODO}")
            continue
        lines += [f"- {a}" for a in section.answers]
        lines += _evidence_lines(req, section.evidence)
    return "\n".join(lines) + "\n"


def render_json(reqs: Sequence[ExceptionRequest]) -> str:
    """Every request as one JSON document (``depaudit/exception-request/1``)."""
    doc = {
        "schema": SCHEMA,
        "form_sections": list(FORM_SECTIONS),
        "requests": [{"title": r.title, **to_jsonable(r)} for r in reqs],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


__all__ = [
    "FORM_SECTIONS",
    "TABLE_HEADER",
    "ExceptionRequest",
    "RequestComponent",
    "Section",
    "build_requests",
    "render_json",
    "render_markdown",
    "upstream_url",
    "usage_url",
]
