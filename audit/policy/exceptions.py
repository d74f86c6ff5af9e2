"""License exception registries in the CNCF exceptions database format, and matching.

The format is the one of ``license-exceptions/exceptions.json`` in cncf/foundation: an
object with ``version``, ``lastUpdated``, ``blanketExceptions`` (id, name, description,
licenses, scope, approvedDate, documentUrl) and ``exceptions`` (id, package, packageUrl,
license, project, scope, status, approvedDate, results/issueUrl, comment).

Real records are messy, so reading is forgiving: a license may be a comma-separated list
or carry names that are not SPDX ids; a project may be a name, a list or
"All CNCF Projects"; scope is free text. A record that cannot be used is skipped with a
warning naming its id; loading never fails on a record. A whole file that is not in the
format is a ConfigError.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from audit.errors import ConfigError
from audit.model import Component, ComponentKind
from audit.policy import expressions
from audit.policy.policy import KERNEL_CONTEXTS
from audit.safefile import MAX_DEPTH, depth_exceeds, read_regular

STATUSES = ("approved", "denied", "allowlisted", "apache-2.0")
GRANTING = frozenset({"approved", "allowlisted", "apache-2.0"})
ALL_PROJECTS = "all cncf projects"

# Scope text -> contexts. The first pattern that matches decides; text that matches none
# is "not mapped": the record then applies in every context and its scope is shown.
_SCOPE_RULES: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (re.compile(r"\be?bpf\b", re.I), frozenset({"ebpf"})),
    (
        re.compile(r"\bkernel[\s-]+(?:modules?|drivers?)\b|\.ko\b", re.I),
        frozenset({"kernel-module"}),
    ),
    (
        re.compile(r"\bin[\s-]kernel\b|\binside the kernel\b|\bkernel[\s-]space\b", re.I),
        frozenset({"kernel-module", "ebpf"}),
    ),
    (
        re.compile(
            r"\b(?:use of|for|only to|only for)\s+(?:the\s+)?documentation\b"
            r"|\bdocumentation\s+only\b|\s(?:documentation|docs)$",
            re.I,
        ),
        frozenset({"documentation"}),
    ),
    (
        re.compile(
            r"\b(?:build|test)(?:[\s-]+time)?[\s-]+(?:dependency|dependencies|tool|tools|tooling)\b"
            r"|\bbuild and test\b",
            re.I,
        ),
        frozenset({"build", "test", "ci"}),
    ),
)


def scope_contexts(text: str) -> frozenset[str]:
    """The contexts a scope text names (empty when it names none that depaudit knows)."""
    for pattern, contexts in _SCOPE_RULES:
        if pattern.search(text):
            return contexts
    return frozenset()


@dataclass(frozen=True)
class LicenseTerm:
    """One license a record names."""

    text: str
    """As written in the record."""
    normalized: str
    """Normalized SPDX expression."""


@dataclass(frozen=True)
class ExceptionRecord:
    """One exception (or blanket exception) of a registry."""

    id: str
    source: str
    """The file or URL it was read from."""
    kind: str
    """``blanket`` (from ``blanketExceptions``) or ``exception``."""
    package: str
    """As written; empty for blanket entries. May be a description ("Falco kernel module")."""
    package_url: str
    license: str
    """The license field as written (blanket: the licenses joined with ", ")."""
    terms: tuple[LicenseTerm, ...]
    """The licenses it covers, each matched on its own (a comma list is several terms)."""
    projects: tuple[str, ...]
    all_projects: bool
    scope: str
    contexts: frozenset[str]
    """Contexts its scope maps to; empty when not mapped (then it applies in all)."""
    status: str
    approved: datetime.date | None
    url: str
    comment: str = ""
    name: str = ""

    @property
    def descriptive(self) -> bool:
        """True when ``package`` describes code ("In-kernel eBPF programs") rather than names
        a package: such records are matched by project, license and scope alone."""
        return not self.package or len(self.package.split()) > 1  # a space inside

    @property
    def projects_text(self) -> str:
        if self.all_projects:
            return "all CNCF projects"
        return ", ".join(self.projects) if self.projects else "no project named"

    def describe(self) -> str:
        """The facts a reason shows: approval date, scope, projects, package, link."""
        parts = [f"approved {self.approved.isoformat()}" if self.approved else "no approval date"]
        if self.scope and self.contexts:
            parts.append(f"scope: {self.scope}")
        elif self.scope:
            parts.append(f"scope (not mapped to a context): {self.scope!r}")
        parts.append(self.projects_text)
        if self.package:
            parts.append(f"package: {self.package}")
        if self.url:
            parts.append(self.url)
        return ", ".join(parts)


@dataclass(frozen=True)
class ExceptionRegistry:
    """All exception records read from the given sources, and the warnings of reading."""

    records: tuple[ExceptionRecord, ...] = ()
    warnings: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    _index: Mapping[frozenset[str], tuple[tuple[ExceptionRecord, LicenseTerm], ...]] = field(
        init=False, compare=False, hash=False, repr=False
    )

    def __post_init__(self) -> None:
        index: dict[frozenset[str], list[tuple[ExceptionRecord, LicenseTerm]]] = {}
        for record in self.records:
            for term in record.terms:
                keys = expressions.license_keys(term.normalized)
                index.setdefault(keys, []).append((record, term))
        object.__setattr__(self, "_index", {k: tuple(v) for k, v in index.items()})

    def candidates(self, expression: str) -> tuple[tuple[ExceptionRecord, LicenseTerm], ...]:
        """Records with a term equivalent to the normalized ``expression``, in file order."""
        keys = expressions.license_keys(expression)
        return tuple(
            (record, term)
            for record, term in self._index.get(keys, ())
            if expressions.is_equivalent(term.normalized, expression)
        )


@dataclass(frozen=True)
class ExceptionMatch:
    """The exception records that grant (or deny) one license, and why others did not count."""

    granted: tuple[ExceptionRecord, ...] = ()
    denied: tuple[ExceptionRecord, ...] = ()
    notes: tuple[str, ...] = ()
    """Why records for this license did not count (date, project, scope)."""


# Matching -------------------------------------------------------------------------------


def match_exceptions(
    registry: ExceptionRegistry,
    expression: str,
    *,
    context: str,
    project: str | None,
    as_of: datetime.date | None,
    component: Component | None = None,
) -> ExceptionMatch:
    """The records that cover ``expression`` (normalized) here, and notes on near misses.

    A record covers it when one of its licenses is equivalent to the expression, and:
    its package matches the component (records that describe code rather than name a
    package, and blanket records, are matched without a component; records naming a
    package need a component that matches); its project is the given one, or
    "All CNCF Projects", or it names none (old records; then the package must match);
    its scope maps to ``context`` or to no context; it was approved on or before ``as_of``.
    """
    granted: list[ExceptionRecord] = []
    denied: list[ExceptionRecord] = []
    notes: list[str] = []
    for record, _term in registry.candidates(expression):
        if not _package_applies(record, component, project):
            continue
        why, said = _not_counted(record, context=context, project=project, as_of=as_of)
        if why:
            if said:
                notes.append(f"exception {record.id} ({record.license}) not counted: {why}")
        elif record.status in GRANTING:
            granted.append(record)
        else:
            denied.append(record)
    return ExceptionMatch(tuple(granted), tuple(denied), tuple(notes))


def records_applying(
    registry: ExceptionRegistry, expression: str, component: Component | None, project: str | None
) -> tuple[bool, ...]:
    """For each record that could cover ``expression``, whether it applies to ``component``
    (its package, or the project's own source): all that :func:`match_exceptions` reads of
    the component."""
    return tuple(
        _package_applies(record, component, project)
        for record, _term in registry.candidates(expression)
    )


def _not_counted(
    record: ExceptionRecord, *, context: str, project: str | None, as_of: datetime.date | None
) -> tuple[str, bool]:
    """Why the record does not count here ("" when it does), and whether to say so.

    Near misses worth a maintainer's attention are said: a record for this very context
    but another project, a kernel record for the other kernel context, a record approved
    after the as-of date. Records for other projects or other uses are left out.
    """
    if not record.all_projects and record.projects:
        wanted = {_project_key(p) for p in record.projects}
        if project is None or _project_key(project) not in wanted:
            said = context in record.contexts
            if project is None:
                return f"it is for {record.projects_text}; no project given", said
            return f"it is for {record.projects_text}, not {project}", said
    if record.contexts and context not in record.contexts:
        covered = ", ".join(sorted(record.contexts))
        said = context in KERNEL_CONTEXTS
        return f"its scope ({record.scope!r}) covers {covered}, not {context}", said
    if as_of is not None:
        if record.approved is None:
            return f"it has no approval date, and the as-of date is {as_of.isoformat()}", True
        if record.approved > as_of:
            return (
                f"approved {record.approved.isoformat()}, after the as-of date {as_of.isoformat()}",
                True,
            )
    return "", False


def _package_applies(
    record: ExceptionRecord, component: Component | None, project: str | None
) -> bool:
    named_project = bool(record.projects) or record.all_projects
    if component is None:
        return record.descriptive and named_project
    if record.package and package_matches(record, component):
        return True
    if record.descriptive and named_project:
        return True
    # First-party source of the project named by the record (e.g. its own kernel module).
    return (
        component.kind == ComponentKind.SOURCE
        and project is not None
        and _project_key(project) in {_project_key(p) for p in record.projects}
    )


def _project_key(name: str) -> str:
    return " ".join(name.casefold().split())


_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_SEPARATORS = re.compile(r"[-_.]+")


@lru_cache(maxsize=8192)
def _segments(name: str) -> tuple[str, ...]:
    """The path segments of a package name or URL, compared alike (asked for each record
    that may cover a component: the same names again and again)."""
    text = _SCHEME.sub("", name.strip().casefold())
    if text.endswith(".git"):
        text = text[:-4]
    return tuple(_SEPARATORS.sub("-", seg) for seg in text.split("/") if seg)


def _component_names(component: Component) -> tuple[tuple[str, ...], ...]:
    return _names_of(
        component.name, component.purl, component.prop("repository"), component.prop("url")
    )


@lru_cache(maxsize=4096)
def _names_of(
    name: str, purl_text: str | None, repository: str | None, url: str | None
) -> tuple[tuple[str, ...], ...]:
    """The segments of each name of a component (:func:`_component_names`), once per
    component: asked for each record that may cover it."""
    names = [name]
    if purl_text:
        from packageurl import PackageURL

        try:
            purl = PackageURL.from_string(purl_text)
        except ValueError:
            purl = None
        if purl is not None:
            names.append(f"{purl.namespace}/{purl.name}" if purl.namespace else purl.name)
    for value in (repository, url):
        if value:
            names.append(value)
    return tuple(s for s in (_segments(n) for n in names) if s)


def package_matches(record: ExceptionRecord, component: Component) -> bool:
    """Whether the record's package (or packageUrl) names the component.

    Names compare by path segments, case-insensitively, with ``-``, ``_`` and ``.`` alike
    (PEP 503): ``hashicorp/raft`` matches ``github.com/hashicorp/raft``.
    """
    wanted = [s for s in (_segments(record.package), _segments(record.package_url)) if s]
    if record.package_url.startswith("pkg:") and component.purl:
        if _same_purl(record.package_url, component.purl):
            return True
        wanted = [_segments(record.package)] if record.package else []
    for have in _component_names(component):
        for want in wanted:
            if have[-len(want) :] == want:
                return True
            if len(have) >= 2 and want[-len(have) :] == have:
                return True
    return False


def _same_purl(a: str, b: str) -> bool:
    from packageurl import PackageURL

    try:
        pa, pb = PackageURL.from_string(a), PackageURL.from_string(b)
    except ValueError:
        return False
    return (pa.type, (pa.namespace or "").casefold(), pa.name.casefold()) == (
        pb.type,
        (pb.namespace or "").casefold(),
        pb.name.casefold(),
    )


# Loading --------------------------------------------------------------------------------


def load_exceptions(
    sources: Sequence[str], fetch_json: Callable[[str], Any] | None = None
) -> ExceptionRegistry:
    """Read exception registries from files or http(s) URLs, in order.

    URLs are fetched with ``fetch_json`` (the cached HTTP client); without one a URL is a
    ConfigError. A source that is unreadable or not in the format is a ConfigError; a bad
    record is skipped with a warning naming its id. Ids are unique: a repeated id is skipped.
    """
    records: list[ExceptionRecord] = []
    warnings: list[str] = []
    seen: dict[str, str] = {}
    for source in sources:
        got, warned = parse_exceptions(_read_source(source, fetch_json), source, seen)
        records.extend(got)
        warnings.extend(warned)
    return ExceptionRegistry(tuple(records), tuple(warnings), tuple(sources))


MAX_EXCEPTIONS_BYTES = 64 * 1024 * 1024
"""Size limit of an exceptions database file."""


def _read_source(source: str, fetch_json: Callable[[str], Any] | None) -> Any:
    if source.startswith(("http://", "https://")):
        if fetch_json is None:
            raise ConfigError("exceptions URL given but no HTTP client (offline?)", path=source)
        try:
            return fetch_json(source)
        except (OSError, ValueError) as err:
            raise ConfigError(f"cannot fetch exceptions: {err}", path=source) from err
    try:
        text = read_regular(Path(source), limit=MAX_EXCEPTIONS_BYTES, shown=source).decode()
    except UnicodeDecodeError as err:
        raise ConfigError("not UTF-8 text", path=source) from err
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise ConfigError(f"invalid JSON: {err}", path=source) from err
    if depth_exceeds(data):
        raise ConfigError(f"nested deeper than {MAX_DEPTH} levels; not read", path=source)
    return data


def parse_exceptions(
    data: Any, source: str, seen: dict[str, str] | None = None
) -> tuple[tuple[ExceptionRecord, ...], list[str]]:
    """Records and warnings from one parsed exceptions document.

    ``seen`` maps the ids already read (across sources) to their source; it is updated.
    """
    seen = {} if seen is None else seen
    if not isinstance(data, dict):
        raise ConfigError("expected a JSON object in the CNCF exceptions format", path=source)
    if "exceptions" not in data and "blanketExceptions" not in data:
        raise ConfigError(
            "expected the CNCF exceptions format: 'exceptions' and/or 'blanketExceptions'",
            path=source,
        )
    records: list[ExceptionRecord] = []
    warnings: list[str] = []
    for key, kind in (("blanketExceptions", "blanket"), ("exceptions", "exception")):
        items = data.get(key, [])
        if items is None:
            continue
        if not isinstance(items, list):
            raise ConfigError("expected an array", path=source, key=key)
        for i, item in enumerate(items):
            rid = item.get("id") if isinstance(item, dict) else None
            label = rid if isinstance(rid, str) and rid.strip() else f"{key}[{i}] (no id)"
            try:
                record, notes = _record(item, kind, source)
            except _Skip as skip:
                warnings.append(f"{source}: record {label}: skipped: {skip}")
                continue
            if record.id in seen:
                warnings.append(
                    f"{source}: record {record.id}: skipped: duplicate id (first read from "
                    f"{seen[record.id]})"
                )
                continue
            seen[record.id] = source
            warnings.extend(f"{source}: record {record.id}: {n}" for n in notes)
            records.append(record)
    return tuple(records), warnings


class _Skip(Exception):
    """A record that cannot be used."""


def _text(item: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = item.get(key)
    if value is None:
        if required:
            raise _Skip(f"missing {key!r}")
        return ""
    if not isinstance(value, str):
        raise _Skip(f"{key!r} is not a string")
    if required and not value.strip():
        raise _Skip(f"empty {key!r}")
    return value.strip()


def _date(item: dict[str, Any], key: str) -> datetime.date | None:
    value = item.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        if len(text) >= 10 and (len(text) == 10 or text[10] in "T "):
            try:
                return datetime.date.fromisoformat(text[:10])
            except ValueError:
                pass
    raise _Skip(f"{key} {value!r} is not a date (YYYY-MM-DD)")


def _terms(texts: Sequence[str]) -> tuple[tuple[LicenseTerm, ...], list[str]]:
    terms: list[LicenseTerm] = []
    notes: list[str] = []
    for text in texts:
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            parsed = expressions.parse_expression(part)
            normalized = parsed.normalized
            if normalized is None and not re.search(r"\b(?:AND|OR|WITH)\b", part, re.I):
                # "CC-BY-SA 4.0": an id written with a space.
                normalized = expressions.normalize(re.sub(r"\s+", "-", part))
            if normalized is None:
                notes.append(f"license {part!r} is not an SPDX expression; not matched")
            elif all(t.normalized != normalized for t in terms):
                terms.append(LicenseTerm(part, normalized))
    return tuple(terms), notes


def _record(item: Any, kind: str, source: str) -> tuple[ExceptionRecord, list[str]]:
    if not isinstance(item, dict):
        raise _Skip("not a JSON object")
    rid = _text(item, "id", required=True)
    if kind == "blanket":
        licenses = item.get("licenses")
        if isinstance(licenses, str):
            licenses = [licenses]
        if not isinstance(licenses, list) or not all(isinstance(x, str) for x in licenses):
            raise _Skip("'licenses' is not an array of strings")
        written = ", ".join(licenses)
        status = (_text(item, "status") or "approved").lower()
        package = _text(item, "package")
    else:
        license_value = item.get("license")
        if isinstance(license_value, list) and all(isinstance(x, str) for x in license_value):
            licenses = license_value
        else:
            licenses = [_text(item, "license", required=True)]
        written = ", ".join(licenses)
        status = _text(item, "status", required=True).lower()
        package = _text(item, "package", required=True)
    if status not in STATUSES:
        raise _Skip(f"status {status!r} is not one of {', '.join(STATUSES)}")
    terms, notes = _terms(licenses)
    if not terms:
        raise _Skip(f"no SPDX license in {written!r}")
    projects, all_projects = _projects(item.get("project"), blanket=kind == "blanket")
    scope = _text(item, "scope")
    name = _text(item, "name")
    description = _text(item, "description")
    package_is_text = any(ch.isspace() for ch in package)
    mapped = scope_contexts(
        " ".join(t for t in (package if package_is_text else "", name, scope, description) if t)
    )
    url = _text(item, "results") or _text(item, "issueUrl") or _text(item, "documentUrl")
    approved = _date(item, "approvedDate")
    if approved is None:
        notes.append("no approvedDate: not counted when an as-of date is given")
    return (
        ExceptionRecord(
            id=rid,
            source=source,
            kind=kind,
            package=package,
            package_url=_text(item, "packageUrl"),
            license=written,
            terms=terms,
            projects=projects,
            all_projects=all_projects,
            scope=scope,
            contexts=mapped,
            status=status,
            approved=approved,
            url=url,
            comment=_text(item, "comment"),
            name=name,
        ),
        notes,
    )


def _projects(value: Any, *, blanket: bool) -> tuple[tuple[str, ...], bool]:
    if value is None or value == "":
        return (), blanket
    if isinstance(value, str):
        values = [value]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        values = value
    else:
        raise _Skip("'project' is neither a string nor an array of strings")
    names: list[str] = []
    for v in values:
        names.extend(p.strip() for p in v.split(",") if p.strip())
    all_projects = blanket or any(_project_key(n) == ALL_PROJECTS for n in names)
    return tuple(n for n in names if _project_key(n) != ALL_PROJECTS), all_projects
