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
from dataclasses import dataclass
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
    name = project or report.project
    groups: dict[tuple[str, str, str], list[RequestComponent]] = defaultdict(list)
    first: dict[tuple[str, str, str], ComponentResult] = {}
    for r in sorted(chosen, key=lambda r: r.component_id):
        comp = components.get(r.component_id) or Component(
            r.component_id, ComponentKind.PACKAGE, r.component_id
        )
        key = exception_group(r)
        groups[key].append(_row(report.repository, index, notices, comp, r))
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
                    components=tuple(by_answers[answers]),
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
    """Source the project wrote itself (vendored third-party copies are source too)."""
    return comp.kind == ComponentKind.SOURCE and comp.prop("vendored") != "true"


def _table_name(comp: Component) -> str:
    """A plain name: the directory of first-party source, the upstream of a vendored copy,
    the package (image, action...) name otherwise — no version, id or remark."""
    if comp.kind == ComponentKind.SOURCE:
        if comp.prop("vendored") == "true" and comp.prop("upstream"):
            return comp.prop("upstream") or comp.name
        return source_directory(comp) or comp.name
    return comp.name


def _row(
    repo: RepoInfo,
    index: GraphIndex,
    notices: dict[tuple[str, int], Notice],
    comp: Component,
    result: ComponentResult,
) -> RequestComponent:
    lic = result.license
    policy = (f"verdict: {result.verdict.status.value}", *result.verdict.reasons)
    return RequestComponent(
        id=comp.id,
        name=_table_name(comp),
        upstream_url=(repo.remote or "") if _first_party(comp) else upstream_url(comp),
        usage=comp.evidence,
        license=lic.expression or lic.raw or "",
        purpose=_purpose(comp, result),
        version=comp.version,
        inclusion=_inclusion(index, comp, result),
        interaction=_interaction(comp, result),
        modified=_modified(comp),
        license_evidence=_license_strings(notices, comp),
        policy=policy,
    )


def _purpose(comp: Component, r: ComponentResult) -> str:
    stated = comp.prop("purpose") or comp.prop("description")
    if stated:
        return stated
    where = source_directory(comp) if comp.kind == ComponentKind.SOURCE else None
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


def _inclusion(index: GraphIndex, comp: Component, r: ComponentResult) -> Answer:
    why = tuple(r.classification)
    evidence = _consumer_evidence(index, comp.id) or comp.evidence
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


def _modified(comp: Component) -> Answer:
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


def _location(repo: RepoInfo, evidence: Evidence) -> str:
    url = link_target(usage_url(repo, evidence))
    return f"[{evidence.location}]({url})" if url else evidence.location


def _usage_cell(req: ExceptionRequest, comp: RequestComponent) -> str:
    shown = [_location(req.repository, e) for e in comp.usage[:MAX_USAGE]]
    if not shown:
        return f"{TODO} where the project uses it"
    more = len(comp.usage) - MAX_USAGE
    if more > 0:
        shown.append(f"and {more} more")
    if usage_url(req.repository, comp.usage[0]) is None:
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
        lines.append(f"- {_location(req.repository, e)}{text}")
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
