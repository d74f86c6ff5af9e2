"""The data model shared by every pipeline stage.

Everything here is a frozen dataclass: stages take these values and return new ones,
never mutate them. Sequences are tuples so that values hash and compare. Serialisation to
JSON goes through :func:`to_jsonable`, which sorts nothing by itself: callers build their
tuples in a stable order (see :func:`sort_key` helpers in :mod:`audit.graph`).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import chain
from typing import Any, Literal, TypeVar

from audit.vocabulary import Context as Context
from audit.vocabulary import Distribution as Distribution

_C = TypeVar("_C", bound=type)


def pickled_by_fields(cls: _C) -> _C:
    """Pickle instances of the data class ``cls`` as ``cls(*fields)``.

    By default a slotted frozen data class is pickled as an empty object and a list of
    field values that :mod:`dataclasses` sets one by one, in Python, when it is loaded; the
    values read in one go by :func:`operator.attrgetter` and handed to ``__init__`` take
    about half the time both ways. Scan results cross processes this way (forked copies and
    pool workers send every file's): on a 100,000-file tree, loading what one copy sent
    took about 0.4 s of the main process. ``__post_init__`` runs again on loading: it must
    give the same values for values it made itself."""
    get: Callable[[Any], tuple[Any, ...]] = operator.attrgetter(
        *(f.name for f in dataclasses.fields(cls))
    )

    def __reduce__(self: Any) -> tuple[type, tuple[Any, ...]]:
        return cls, get(self)

    cls.__reduce__ = __reduce__  # type: ignore[assignment]
    return cls


def set_by_slots(cls: _C) -> _C:
    """Make the slotted frozen data class ``cls`` by setting its fields as an ordinary class
    sets its slots, then running ``__post_init__`` as before. The ``__init__``
    :mod:`dataclasses` writes for a frozen class calls ``object.__setattr__`` for each field
    (an attribute lookup through the class and an argument tuple each time: a notice with
    its evidence took about 23,000 instructions to make, callgrind); setting each field
    through its slot's own setter took 14,600. Here ``__new__`` makes an object of a twin
    class that has the same slots and nothing else (so the same layout), whose slots are
    set as attributes (the interpreter's own store to a slot, no call), and then makes it
    an object of ``cls`` (``__class__`` assignment, which Python allows between classes of
    the same layout): about half that again. ``__init__`` is then
    ``object.__init__``. Scanners make these objects for most files, and loading what a
    forked copy sent makes each again (:func:`pickled_by_fields`). Same parameters,
    defaults and values (tests/test_model_init.py): only for fields with a plain default
    (no factory, no keyword-only field)."""
    fields = dataclasses.fields(cls)
    names = tuple(f.name for f in fields)
    if any(f.default_factory is not dataclasses.MISSING or not f.init or f.kw_only for f in fields):
        raise TypeError(f"{cls.__name__}: a field set_by_slots cannot make")
    if cls.__dict__.get("__slots__") != names or set(names) & _LOCALS or cls.__bases__ != (object,):
        raise TypeError(f"{cls.__name__}: set_by_slots needs the slots of its fields alone")
    twin = type(f"_{cls.__name__}Fields", (), {"__slots__": names, "__module__": cls.__module__})
    env: dict[str, Any] = {"_new_": object.__new__, "_twin_": twin}
    lines = [f"def __new__(_cls_, {', '.join(names)}):", "    _o_ = _new_(_twin_)"]
    lines += [f"    _o_.{name} = {name}" for name in names]
    lines.append("    _o_.__class__ = _cls_")  # the same slots: the same layout
    if hasattr(cls, "__post_init__"):
        lines.append("    _o_.__post_init__()")
    lines.append("    return _o_")
    exec("\n".join(lines), env)  # a text of the field names, as dataclasses writes __init__
    make = env["__new__"]
    make.__defaults__ = tuple(f.default for f in fields if f.default is not dataclasses.MISSING)
    make.__qualname__ = f"{cls.__qualname__}.__new__"
    make.__module__ = cls.__module__
    cls.__new__ = staticmethod(make)  # type: ignore[method-assign]
    delattr(cls, "__init__")  # object.__init__: its arguments went to __new__
    return cls


_LOCALS = frozenset({"_cls_", "_o_", "_new_", "_twin_"})
"""The names :func:`set_by_slots` gives its own variables (no field may be named so)."""


def lookup(properties: tuple[tuple[str, str], ...], key: str) -> str | None:
    """The value of ``key`` in sorted (key, value) pairs, or None."""
    for k, v in properties:
        if k == key:
            return v
    return None


class ComponentKind(str, enum.Enum):
    """What sort of third-party (or first-party licensed) thing a component is."""

    PACKAGE = "package"
    IMAGE = "image"
    ACTION = "action"
    ORB = "orb"
    DOWNLOAD = "download"
    SUBMODULE = "submodule"
    SOURCE = "source"


ROOT_ORIGIN = "."
"""The scanned root, in an ``origin`` list of a component found there and in a bundled tree
(``origin`` is set by audit/bundled.py)."""


class Relation(str, enum.Enum):
    """Edge relations of the inventory graph (see DESIGN.md)."""

    RUNS_IN = "runs-in"  # CI job -> image
    USES = "uses"  # CI job/workflow -> action, orb, reusable workflow
    BUILT_FROM = "built-from"  # image -> in-repo Dockerfile
    BASE = "base"  # Dockerfile -> image (FROM, COPY --from)
    INSTALLS = "installs"  # Dockerfile / CI job -> package
    REQUIRES = "requires"  # manifest -> package; CI job -> CI job (workflow requires/needs)
    INCLUDES = "includes"  # manifest -> manifest (-r), job/Dockerfile -> manifest
    BUNDLES = "bundles"  # build file -> download / submodule
    DECLARES = "declares"  # source unit -> license notice
    PUBLISHES = "publishes"  # CI job -> Dockerfile whose image it pushes under its LABEL name


@set_by_slots
@pickled_by_fields
@dataclass(frozen=True, order=True, slots=True)
class Evidence:
    """Where a finding comes from: the proof a maintainer can open."""

    path: str
    """Path relative to the scanned root, with forward slashes."""
    line: int
    """1-based line number (0 when the finding is about the whole file)."""
    text: str
    """The source line, trimmed (at most 300 characters)."""
    scanner: str
    """Name of the scanner that produced the finding."""

    def __post_init__(self) -> None:
        text = self.text.strip()
        if len(text) > 300:
            text = text[:297] + "..."
        if text is not self.text:  # most texts come trimmed (strip() gives them back)
            object.__setattr__(self, "text", text)

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@set_by_slots
@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Component:
    """A third-party thing the repository depends on, or first-party licensed source."""

    id: str
    """Stable readable id, e.g. ``pypi:avocado-framework@69.0``."""
    kind: ComponentKind
    name: str
    version: str | None = None
    ecosystem: str | None = None
    """pypi, npm, golang, deb, rpm, apk, gem, cargo, docker, github, circleci-orb, generic..."""
    purl: str | None = None
    evidence: tuple[Evidence, ...] = ()
    properties: tuple[tuple[str, str], ...] = ()
    """Extra facts as sorted (key, value) pairs: labels, url, hash, constraint, marker..."""

    def prop(self, key: str) -> str | None:
        return lookup(self.properties, key)


@dataclass(frozen=True)
class Node:
    """A consumer in the graph: a CI job, a Dockerfile, a manifest, a build file."""

    id: str
    """e.g. ``ci-job:circleci/tests-integration``, ``dockerfile:docker/tester/Dockerfile``."""
    kind: str
    """ci-job, ci-workflow, dockerfile, manifest, build-file, source-unit."""
    name: str
    evidence: tuple[Evidence, ...] = ()
    properties: tuple[tuple[str, str], ...] = ()

    def prop(self, key: str) -> str | None:
        return lookup(self.properties, key)


@dataclass(frozen=True, order=True)
class Edge:
    """A directed link between two graph ids (nodes or components)."""

    src: str
    dst: str
    relation: Relation
    evidence: Evidence | None = None
    how: str = ""
    """How the link was made, when it is inferred (e.g. ``label name``, ``docker build -t``)."""


evidence_key: Callable[[Evidence], tuple[str, int, str, str]] = operator.attrgetter(
    "path", "line", "text", "scanner"
)
"""Evidence's fields in its own order: what tells two pieces apart and sorts them as
Evidence's comparison does, without its Python ``__hash__`` and ``__lt__``."""


def edge_key(e: Edge) -> tuple[str, str, str, str, int, str]:
    """The order of an inventory's edges: source, relation, destination, evidence place."""
    ev = e.evidence
    # a Relation is a str: it sorts as its value does (its value is read by an enum
    # property, for each of 1,000s of edges)
    return (e.src, e.relation, e.dst, ev.path if ev else "", ev.line if ev else 0, e.how)


def unique_edges(edges: Iterable[Edge]) -> list[Edge]:
    """``edges`` each once, as a set of them holds them (equal fields), in the order first
    seen; told by their fields, not by hashing each edge and its evidence (the data
    classes' ``__hash__`` is a Python function, asked of thousands of edges on a large
    tree)."""
    unique: dict[tuple[object, ...], Edge] = {}
    for e in edges:
        ev = e.evidence
        fields = None if ev is None else evidence_key(ev)
        unique[(e.src, e.dst, e.relation, fields, e.how)] = e
    return list(unique.values())


ProblemKind = Literal[
    "skipped", "parse-error", "unreadable", "unresolved", "network", "config", "timeout"
]
"""What sort of incompleteness a :class:`Problem` is (mypy checks every use)."""


@set_by_slots
@pickled_by_fields
@dataclass(frozen=True, order=True, slots=True)
class Problem:
    """Something that made the scan incomplete or needs a human: the report lists these."""

    path: str
    line: int
    kind: ProblemKind
    """skipped, parse-error, unreadable, unresolved, network, config, timeout."""
    message: str
    scanner: str = ""


@set_by_slots
@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Notice:
    """A license statement found in a file: SPDX tag, kernel string, prose, license text."""

    path: str
    line: int
    kind: str
    """spdx-tag, module-license, ebpf-section, prose, license-text, reference."""
    expression: str | None
    """Normalized SPDX expression, or None when it could not be determined."""
    raw: str
    """The text as written (e.g. ``Dual MIT/GPL``)."""
    evidence: Evidence
    confidence: float = 1.0
    rule: str = ""
    """The license-database rule that matched (``boost-1.0_1``, ``mit.LICENSE``), if any."""
    end_line: int = 0
    """Last line of the matched text when it spans several lines (0: ``line`` only)."""


@dataclass(frozen=True)
class Finding:
    """A fact a human must look at, citing every line involved (e.g. two notices that disagree).

    The plan stage turns a real contradiction or a broken reference in first-party notices
    into a ``fix-notice`` action, the other findings into notes.
    """

    kind: str
    """license-conflict, missing-license-file, uncovered-files, ambiguous-license..."""
    subject: str
    """The component id (or path) the finding is about."""
    message: str
    evidence: tuple[Evidence, ...] = ()


@set_by_slots
@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ScanResult:
    """What one scanner found in one file."""

    components: tuple[Component, ...] = ()
    nodes: tuple[Node, ...] = ()
    edges: tuple[Edge, ...] = ()
    notices: tuple[Notice, ...] = ()
    problems: tuple[Problem, ...] = ()

    @staticmethod
    def merge(results: Iterable[ScanResult]) -> ScanResult:
        """``results`` as one, each list in the order the results came. A list that one
        result alone has is taken as it is, not copied item by item (a tree's 100,000s
        of notices, joined with what following its CI added)."""
        results = tuple(results)
        fields: list[tuple[Any, ...]] = []
        for name in _SCAN_RESULT_FIELDS:
            parts = [got for r in results if (got := getattr(r, name))]
            fields.append(parts[0] if len(parts) == 1 else tuple(chain.from_iterable(parts)))
        return ScanResult(*fields)


_SCAN_RESULT_FIELDS = tuple(f.name for f in dataclasses.fields(ScanResult))


class Merging:
    """Scan results being merged in order: their components, nodes, edges, notices and
    problems, each list in the order the results came (:meth:`ScanResult.merge`; the scan
    cache adds cached entries to it without building a result per file)."""

    def __init__(self) -> None:
        self.components: list[Component] = []
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.notices: list[Notice] = []
        self.problems: list[Problem] = []

    @property
    def lists(self) -> tuple[list[Any], ...]:
        """The five lists, in the order of :class:`ScanResult`'s fields."""
        return (self.components, self.nodes, self.edges, self.notices, self.problems)

    def add(self, r: ScanResult) -> None:
        self.components.extend(r.components)
        self.nodes.extend(r.nodes)
        self.edges.extend(r.edges)
        self.notices.extend(r.notices)
        self.problems.extend(r.problems)

    def result(self, first: Iterable[Problem] = ()) -> ScanResult:
        """The merged result, the problems ``first`` listed before the others."""
        return ScanResult(
            tuple(self.components),
            tuple(self.nodes),
            tuple(self.edges),
            tuple(self.notices),
            (*first, *self.problems),
        )


@dataclass(frozen=True)
class SkippedFile:
    """A file discovery or the scan left out, and why (a symlink out of the root, too large...)."""

    path: str
    reason: str


@dataclass(frozen=True)
class Inventory:
    """The linked graph of one scan: every component, consumer node and edge."""

    root: str
    components: tuple[Component, ...]
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    notices: tuple[Notice, ...] = ()
    problems: tuple[Problem, ...] = ()
    skipped: tuple[SkippedFile, ...] = ()
    files_scanned: int = 0

    def component(self, cid: str) -> Component | None:
        """The component with id ``cid`` (the first one listed), or None."""
        return self._by_id.get(cid)

    @functools.cached_property
    def _by_id(self) -> dict[str, Component]:
        """Components by id, built on the first look-up (callers look up in loops)."""
        out: dict[str, Component] = {}
        for c in self.components:
            out.setdefault(c.id, c)
        return out


@set_by_slots
@dataclass(frozen=True, slots=True)
class LicenseInfo:
    """The concluded license of a component and where that conclusion came from."""

    expression: str | None
    """Normalized SPDX expression; ``None`` when unknown."""
    source: str
    """in-repo, curation, pypi, deps.dev, clearlydefined, github, oci-label, image-table..."""
    evidence: tuple[Evidence, ...] = ()
    confidence: float = 1.0
    raw: str = ""
    """The license text as the source stated it, before normalization."""
    url: str = ""
    """A URL that states the license, when the source has one."""
    reason: str = ""
    """Why the expression is what it is, or why it is unknown."""


class Status(str, enum.Enum):
    ALLOWED = "allowed"
    ALLOWED_BY_EXCEPTION = "allowed-by-exception"
    NOT_REQUIRED = "not-required"
    NEEDS_EXCEPTION = "needs-exception"
    DENIED = "denied"
    UNKNOWN = "unknown"


# Severity order used by --fail-on and by action ordering (higher is worse).
STATUS_SEVERITY: dict[Status, int] = {
    Status.ALLOWED: 0,
    Status.NOT_REQUIRED: 1,
    Status.ALLOWED_BY_EXCEPTION: 2,
    Status.UNKNOWN: 3,
    Status.NEEDS_EXCEPTION: 4,
    Status.DENIED: 5,
}


@dataclass(frozen=True)
class Verdict:
    """The policy's answer for one license in its context: a status and what decided it."""

    status: Status
    rule: str = ""
    """The policy rule that decided (e.g. ``allowlist:MIT``, ``deny:SSPL-1.0``)."""
    exception: str = ""
    """Id of the exception or waiver that allowed it, if any."""
    election: str = ""
    """The alternative elected under OR (e.g. ``MIT``)."""
    reasons: tuple[str, ...] = ()


class ActionKind(str, enum.Enum):
    """A decision someone must take (see DESIGN.md, "Actions are decisions")."""

    REMOVE = "remove"
    REPLACE = "replace"
    REQUEST_EXCEPTION = "request-exception"
    ADD_CURATION = "add-curation"
    """A distributed third-party component whose license is unknown: state it."""
    FIX_NOTICE = "fix-notice"
    """First-party files whose notices contradict each other or point to a missing file."""
    ELECT = "elect"
    """Third-party code offered under a choice of licenses: record the one used."""


class Severity(str, enum.Enum):
    """How much an action weighs: what blocks a release first, hygiene last."""

    DENIED = "denied"
    """The policy denies what ships or is used: no exception can allow it."""
    NEEDS_EXCEPTION = "needs-exception"
    """Not allowed without a foundation exception."""
    UNKNOWN = "unknown"
    """A distributed component's license is unknown: it decides with ``--fail-on unknown``."""
    HYGIENE = "hygiene"
    """Notices and records to put right; never fails a run by itself."""


SEVERITY_RANK: dict[Severity, int] = {
    Severity.DENIED: STATUS_SEVERITY[Status.DENIED],
    Severity.NEEDS_EXCEPTION: STATUS_SEVERITY[Status.NEEDS_EXCEPTION],
    Severity.UNKNOWN: STATUS_SEVERITY[Status.UNKNOWN],
    Severity.HYGIENE: STATUS_SEVERITY[Status.ALLOWED],
}
"""On the scale of :data:`STATUS_SEVERITY`, so that ``--fail-on STATUS`` compares both."""


@dataclass(frozen=True)
class Action:
    """One decision a maintainer must take (remove, replace, request an exception...), on one
    target."""

    kind: ActionKind
    target: str
    """Component id (or path for file-level decisions)."""
    because: str
    removable: tuple[str, ...] = ()
    """Graph ids that go with the target when nothing else needs them."""
    evidence: tuple[Evidence, ...] = ()
    properties: tuple[tuple[str, str], ...] = ()
    """Extra facts as sorted pairs: alternatives (replace), election and where to declare it
    (elect), request file (request-exception), new (baseline)..."""
    severity: Severity = Severity.HYGIENE
    """What the action weighs; ``--fail-on`` compares it (see :data:`SEVERITY_RANK`)."""

    def prop(self, key: str) -> str | None:
        return lookup(self.properties, key)


class NoteCause(str, enum.Enum):
    """Why an item is a note of the report's incomplete section rather than an action."""

    LOOKUP_NOT_MADE = "lookup-not-made"
    """A registry lookup was not made or failed (``--offline``, network): license unknown."""
    UNKNOWN_NOT_DECIDING = "unknown-not-deciding"
    """License unknown for a component that does not ship (CI, build, system images)."""
    UNEXPANDED_VALUE = "unexpanded-value"
    """A value built from variables the repository does not supply."""
    NOT_FETCHED_BY_DEFAULT = "not-fetched-by-default"
    """A download a default build does not fetch."""
    FILES_WITHOUT_NOTICE = "files-without-notice"
    """First-party source files without a license notice (they inherit their directory's)."""
    NOTICE_DETAIL = "notice-detail"
    """First-party notices worth a look that contradict nothing (run-time markers, several
    licenses named in one header, third-party files among first-party ones)."""
    PARSE_PROBLEM = "parse-problem"
    """A file that could not be read or parsed completely."""
    CONFIGURATION = "configuration"
    """Configuration entries that match nothing."""


@dataclass(frozen=True)
class NoteItem:
    """One item of a note: what it is about, why, and where."""

    subject: str
    """A component id or a path."""
    message: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Note:
    """Items of one cause, grouped: the report shows the count and a few examples, the JSON
    every item."""

    cause: NoteCause
    title: str
    """What the items have in common, e.g. ``Registry lookups not made``."""
    items: tuple[NoteItem, ...]


@set_by_slots
@dataclass(frozen=True, slots=True)
class ComponentResult:
    """Everything the later stages concluded about one component."""

    component_id: str
    license: LicenseInfo
    context: str
    distribution: str
    classification: tuple[str, ...]
    """Why this context and distribution model."""
    verdict: Verdict


@dataclass(frozen=True)
class RepoInfo:
    """Where the scanned tree comes from, for usage URLs (None when unknown)."""

    remote: str | None = None
    """Web URL of the repository, e.g. https://github.com/falcosecurity/falco."""
    commit: str | None = None
    prefix: str = ""
    """Path of the scanned root inside the repository ('' at the top)."""


@dataclass(frozen=True)
class PolicyInfo:
    """The policy an audit ran under, as the report names it."""

    name: str
    source_url: str = ""
    read_on: str = ""


@dataclass(frozen=True)
class Outcome:
    """The exit code of an audit and the one line that says why (see audit.baseline.gate)."""

    code: int
    reason: str


@dataclass(frozen=True)
class Report:
    """One audit: the inventory and every conclusion drawn from it. Its one timestamp,
    ``created``, is reproducible wherever it can be (see the field)."""

    root: str
    project: str | None
    as_of: str | None
    """ISO date the policy and exceptions were evaluated at (None: today)."""
    policy: PolicyInfo
    inventory: Inventory
    results: tuple[ComponentResult, ...]
    """Sorted by component id."""
    actions: tuple[Action, ...]
    findings: tuple[Finding, ...] = ()
    incomplete: tuple[Problem, ...] = ()
    """Everything that makes this report incomplete: unreadable files, failed lookups..."""
    repository: RepoInfo = RepoInfo()
    warnings: tuple[str, ...] = ()
    """Non-fatal notes, e.g. exception records skipped."""
    created: str | None = None
    """When the SBOMs say they were made (ISO 8601, UTC): ``SOURCE_DATE_EPOCH``, else the
    as-of date, else the commit's date, else the time of the run. Not in the JSON report,
    so that it does not change the report's digest."""
    outcome: Outcome | None = None
    """The exit code and why, once the command line has applied ``--fail-on``."""
    notes: tuple[Note, ...] = ()
    """What is not a decision, grouped by cause (every item of ``incomplete`` and every
    finding that no action carries is in one)."""

    def result(self, component_id: str) -> ComponentResult | None:
        for r in self.results:
            if r.component_id == component_id:
                return r
        return None


def to_jsonable(value: Any) -> Any:
    """Turn model values into JSON-ready data (enums to strings, tuples to lists)."""
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            if f.name == "properties":
                out[f.name] = {k: val for k, val in v}
            else:
                out[f.name] = to_jsonable(v)
        return out
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


__all__ = [
    "SEVERITY_RANK",
    "STATUS_SEVERITY",
    "Action",
    "ActionKind",
    "Component",
    "ComponentKind",
    "ComponentResult",
    "Edge",
    "Evidence",
    "Finding",
    "Inventory",
    "LicenseInfo",
    "Merging",
    "Node",
    "Note",
    "NoteCause",
    "NoteItem",
    "Notice",
    "Outcome",
    "PolicyInfo",
    "Problem",
    "Relation",
    "RepoInfo",
    "Report",
    "ScanResult",
    "Severity",
    "SkippedFile",
    "Status",
    "Verdict",
    "lookup",
    "pickled_by_fields",
    "to_jsonable",
]
