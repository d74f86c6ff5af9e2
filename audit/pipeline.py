"""The stages composed: discover -> scan -> link (-> resolve -> classify -> evaluate -> plan).

Each function here only calls stage functions in order and passes their values on; no
stage logic lives here. The CLI calls these.

What the stages after the scan need that does not depend on its results (what the file
list alone gives, the modules they import) is made while the scan's forked copies of this
process scan (:mod:`audit.later`), else right after the scan: the same work either way.
The modules of those stages are therefore not imported before the scan (:data:`AFTER_SCAN`).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from audit.config import Config
from audit.discover import DEFAULT_MAX_FILE_SIZE, discover
from audit.errors import ConfigError
from audit.http import Endpoints, HttpClient
from audit.later import Later
from audit.model import (
    ComponentResult,
    Finding,
    Inventory,
    PolicyInfo,
    Report,
    Status,
    Verdict,
)
from audit.quickexit import keep
from audit.scan import Remembered, prestart, scan, scan_ahead

if TYPE_CHECKING:
    from audit.bundled import CMakeReading, TreeFiles
    from audit.discover import Discovery
    from audit.licenses.sources import FileLayout
    from audit.policy import Policy

AFTER_SCAN = (
    "audit.ci_follow",
    "audit.licenses.sources",
    "audit.gitindex",
    "audit.graph",
    "audit.bundled",
    "audit.licenses.resolve",
    "audit.context",
    "audit.actions",
    "audit.repo",
)
"""The modules of the stages after the scan: imported while the scan's copies scan (see
the module's text), not before the scan (the copies have no use for them)."""


@dataclass(frozen=True)
class InventoryRun:
    """The inventory stage's result: the graph, the findings made on the way and the files."""

    inventory: Inventory
    findings: tuple[Finding, ...]
    """First-party license findings made while grouping source files (conflicts...)."""
    files: TreeFiles | None = None
    """The discovered files, so that later per-tree analyses need not discover again."""
    cmake: CMakeReading | None = None
    """What the CMake analysis reads of ``files`` (read while the scan ran)."""


def build_inventory(
    root: Path,
    config: Config,
    *,
    display_root: str | None = None,
    sources: tuple[tuple[str, str], ...] = (),
    client: HttpClient | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> InventoryRun:
    """Discover, scan and link one tree, then the bundled trees it pulls in that a source
    mapping (``sources`` from --source, else the config's) names (see audit.bundled).

    No network unless ``client`` is given and a mapping says ``@fetch``. ``meanwhile()``:
    the caller's own work that does not need the scan's results, called once, while the
    root's scan forks, else after that scan (see the module's text).
    """
    run = _build_tree(root, config, display_root=display_root, meanwhile=meanwhile)
    from audit.bundled import follow_bundled

    inventory, findings = follow_bundled(
        run.inventory, run.findings, root, config, scan_tree=_build_tree, sources=sources,
        client=client, files=run.files, cmake=run.cmake,
    )  # fmt: skip
    keep(run)
    return InventoryRun(inventory, findings)


def inventory_report(
    root: Path, config: Config, run: InventoryRun, *, display_root: str | None = None
) -> Report:
    """The inventory alone as a Report, for the SBOM formats of ``depaudit inventory``: no
    licenses resolved (only what components state themselves), no policy, no actions."""
    from audit.repo import created_time, default_project_name, repo_info

    repository = repo_info(root)
    return Report(
        root=display_root or str(root),
        project=config.project or default_project_name(root, repository),
        as_of=None,
        policy=PolicyInfo(name=""),
        inventory=run.inventory,
        results=(),
        actions=(),
        findings=run.findings,
        incomplete=tuple(sorted(run.inventory.problems)),
        repository=repository,
        created=created_time(root, None, os.environ),
    )


@dataclass(frozen=True)
class _Listed:
    """What the stages after a tree's scan need of its file list alone."""

    layout: FileLayout
    files: TreeFiles
    cmake: CMakeReading


def _listed(found: Discovery, meanwhile: Callable[[], object] | None) -> _Listed:
    """The file list's :class:`_Listed` (the CMake files read and parsed), the modules of
    :data:`AFTER_SCAN` imported and ``meanwhile()`` called: the work done while a tree's
    scan forks (else after it)."""
    for name in AFTER_SCAN:
        importlib.import_module(name)
    from audit.bundled import TreeFiles, read_cmake
    from audit.licenses.sources import FileLayout

    files = TreeFiles.of(found.root, found.files)
    listed = _Listed(FileLayout.of(list(files.files)), files, read_cmake(files))
    if meanwhile is not None:
        meanwhile()
    return listed


def _build_tree(
    root: Path,
    config: Config,
    *,
    display_root: str | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> InventoryRun:
    """Discover, scan and link one tree (no network); ``meanwhile`` as :func:`build_inventory`'s."""
    with scan_ahead(root) as ahead:  # a cold scan starts while the tree is walked
        found = discover(
            root,
            excludes=config.exclude,
            max_file_size=config.max_file_size or DEFAULT_MAX_FILE_SIZE,
            # large trees: the scan's worker pool boots during the walk
            progress=partial(prestart, root=root, ahead=ahead),
            found=ahead.add if ahead is not None else None,
            # a scan without the cache learns the sizes as it opens the files
            sized=ahead is None or ahead.want_hash,
        )
        # what needs the file list alone, worked out while the copies still scan
        later = Later(partial(_listed, found, meanwhile))
        out = scan(found, ahead=ahead, meanwhile=later.run)
    if out.discovery is not None:  # files that were not what their entries said: rare
        found = out.discovery
        later = Later(partial(_listed, found, meanwhile if later.make is not None else None))
    listed = later.value()
    from audit.ci_follow import follow
    from audit.gitindex import pin_submodules
    from audit.graph import link
    from audit.licenses.sources import group_sources

    readings = Remembered.open(found.root)
    result = follow(
        found.root, listed.files.files, out.result, readings.read, lambda: _own_names(root)
    )
    readings.save()
    facts = group_sources(result.notices, listed.layout)
    inventory = link(
        display_root or str(root),
        pin_submodules(found.root, result),
        skipped=out.skipped,
        files_scanned=out.files_scanned,
        extra_components=tuple(facts.components),
    )
    keep(found, out, result, facts, listed)  # 100,000s of objects: freed at exit, if at all
    return InventoryRun(inventory, tuple(facts.findings), listed.files, listed.cmake)


def _own_names(root: Path) -> frozenset[str]:
    """``owner/name`` of the repository, from its git remote (audit/repo.py)."""
    from audit.repo import github_name, repo_info

    name = github_name(repo_info(root).remote)
    return frozenset({name} if name else ())


@dataclass(frozen=True)
class AuditOptions:
    """What the command line (or a caller) decides for one audit."""

    policy: str | None = None
    """A policy file path or a bundled policy name (default: the config's, else cncf)."""
    exceptions: tuple[str, ...] = ()
    """Exception sources (files or URLs); default: the config's, else the bundled snapshot."""
    waivers: str | None = None
    curations: str | None = None
    project: str | None = None
    as_of: date | None = None
    offline: bool = False
    cache_path: Path | None = None
    endpoints: Endpoints | None = None
    registry_labels: bool = False
    """Read images' license labels from their registries (``--image-labels``)."""
    sources: tuple[tuple[str, str], ...] = ()
    """``--source NAME=PATH[@auto]`` / ``NAME=@fetch`` mappings (see audit.bundled)."""


def _policy(options: AuditOptions, config: Config, root: Path) -> Policy:
    from audit.policy import load_policy

    spec = options.policy or config.policy
    if spec is None:
        return load_policy()
    path = Path(spec)
    if spec.endswith(".toml") or "/" in spec:
        if not path.is_absolute() and options.policy is None:
            path = root / path  # a path in the config is relative to the scanned root
        if not path.exists():
            raise ConfigError("no such policy file", path=str(path))
        return load_policy(path)
    return load_policy(name=spec)


def audit_policy(options: AuditOptions, config: Config, root: Path) -> Policy:
    """The policy an audit applies: the command line's, else the config's, else cncf."""
    return _policy(options, config, root)


def exception_sources(options: AuditOptions, config: Config) -> tuple[str, ...]:
    """The exceptions databases an audit reads: the command line's, else the config's, else
    the bundled snapshot."""
    from audit.policy import bundled_exceptions

    return options.exceptions or config.exceptions or (str(bundled_exceptions()),)


def run_audit(
    root: Path,
    config: Config,
    options: AuditOptions,
    *,
    display_root: str | None = None,
    client: HttpClient | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> Report:
    """The full audit of one tree: inventory, licenses, classification, verdicts, actions.
    ``meanwhile`` as :func:`build_inventory`'s (the caller's own work, such as importing
    what renders the report)."""
    if client is not None:
        report = _audit(
            root, config, options, display_root=display_root, http=client, meanwhile=meanwhile
        )
    else:
        with HttpClient(
            options.cache_path, offline=options.offline, endpoints=options.endpoints
        ) as http:
            report = _audit(
                root, config, options, display_root=display_root, http=http, meanwhile=meanwhile
            )
    return report


def _audit(
    root: Path,
    config: Config,
    options: AuditOptions,
    *,
    display_root: str | None,
    http: HttpClient,
    meanwhile: Callable[[], object] | None = None,
) -> Report:
    from audit.licenses.curations import Curations, find_curations, load_curations
    from audit.policy import (
        Evaluator,
        expired_waivers,
        load_exceptions,
        load_waivers,
        unused_waivers,
    )

    policy = _policy(options, config, root)
    as_of = options.as_of or date.today()

    def fetch_json(url: str) -> object:
        got = http.get_json(url)
        if not got.ok:
            raise ConfigError(f"cannot fetch the exceptions database: {got.error}", path=url)
        return got.data

    registry = load_exceptions(list(exception_sources(options, config)), fetch_json=fetch_json)
    waivers_path = options.waivers or config.waivers
    waivers = load_waivers(_rooted(waivers_path, root, options.waivers)) if waivers_path else ()
    cur_path = options.curations or config.curations
    if cur_path:
        curations = load_curations(_rooted(cur_path, root, options.curations), root)
    else:
        found = find_curations(root)
        curations = load_curations(found, root) if found else Curations()

    run = build_inventory(
        root,
        config,
        display_root=display_root,
        sources=options.sources,
        client=http,
        meanwhile=meanwhile,
    )
    from audit.actions import plan, waive_findings
    from audit.context import Classifier
    from audit.graph import GraphIndex
    from audit.licenses.resolve import resolve
    from audit.repo import created_time, default_project_name, repo_info

    inventory = run.inventory
    index = GraphIndex.build(inventory)
    resolved = resolve(
        inventory.components,
        curations=curations,
        client=http,
        offline=options.offline,
        inventory=inventory,
        registry_labels=options.registry_labels,
    )
    classifier = Classifier.build(index, config.published_images)
    project = options.project or config.project
    evaluate = Evaluator(
        project=project, as_of=as_of, policy=policy, exceptions=registry, waivers=waivers
    )
    results: list[ComponentResult] = []
    for comp in inventory.components:
        info = resolved.licenses[comp.id]
        cls = classifier.classify(comp)
        if cls.by_parts:
            verdict = Verdict(Status.ALLOWED, rule="by-parts", reasons=(cls.by_parts,))
            results.append(
                ComponentResult(comp.id, info, cls.context, cls.distribution, cls.reasons, verdict)
            )
            continue
        verdict = evaluate(
            info.expression if info.expression is not None else (info.raw or None),
            context=cls.context,
            distribution=cls.distribution,
            component=comp,
        )
        results.append(
            ComponentResult(comp.id, info, cls.context, cls.distribution, cls.reasons, verdict)
        )
    incomplete = tuple(sorted({*inventory.problems, *resolved.problems}))
    planned = plan(inventory, results, run.findings, incomplete, config, index)
    actions, waived = waive_findings(planned.actions, waivers, as_of=as_of, project=project)
    warnings = [*config.warnings, *registry.warnings]
    for w in expired_waivers(waivers, as_of):
        warnings.append(f"waiver expired on {w.expires}: {w.describe()}")
    covering = {x.strip() for r in results for x in r.verdict.exception.split(",") if x.strip()}
    for w in unused_waivers(waivers, covering | waived, as_of):
        warnings.append(
            f"waiver {w.id} ({w.path}) matched nothing in this audit: remove it, or fix its"
            " component, license or finding pattern"
        )
    repository = repo_info(root)
    return Report(
        root=display_root or str(root),
        # only an explicit project name selects per-project exceptions (above); the default
        # name (the repository's, or the folder's) only names the report
        project=project or default_project_name(root, repository),
        as_of=options.as_of.isoformat() if options.as_of else None,
        policy=policy.info(),
        inventory=inventory,
        results=tuple(results),
        actions=actions,
        findings=run.findings,
        incomplete=incomplete,
        repository=repository,
        warnings=tuple(warnings),
        created=created_time(
            root, options.as_of.isoformat() if options.as_of else None, os.environ
        ),
        notes=planned.notes,
    )


def _rooted(path: str, root: Path, from_cli: str | None) -> Path:
    """Paths from the command line are relative to the cwd; from the config, to the root."""
    p = Path(path)
    return p if p.is_absolute() or from_cli is not None else root / p
