"""The stages composed: discover -> scan -> link (-> resolve -> classify -> evaluate -> plan).

Each function here only calls stage functions in order and passes their values on; no
stage logic lives here. The CLI calls these.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from audit.config import Config
from audit.discover import DEFAULT_MAX_FILE_SIZE, discover
from audit.graph import link
from audit.model import Finding, Inventory
from audit.scan import scan


@dataclass(frozen=True)
class InventoryRun:
    inventory: Inventory
    findings: tuple[Finding, ...]
    """First-party license findings made while grouping source files (conflicts...)."""


def build_inventory(root: Path, config: Config, *, display_root: str | None = None) -> InventoryRun:
    """Discover, scan and link one tree (no network)."""
    found = discover(
        root,
        excludes=config.exclude,
        max_file_size=config.max_file_size or DEFAULT_MAX_FILE_SIZE,
    )
    out = scan(found)
    extra = ()
    findings: tuple[Finding, ...] = ()
    try:
        from audit.licenses.sources import group_sources
    except ImportError:  # pragma: no cover - during bring-up
        group_sources = None  # type: ignore[assignment]
    if group_sources is not None:
        facts = group_sources(out.result.notices, [c.path for c in found.files])
        extra = tuple(facts.components)
        findings = tuple(facts.findings)
    inventory = link(
        display_root or str(root),
        out.result,
        skipped=out.skipped,
        files_scanned=out.files_scanned,
        extra_components=extra,
    )
    return InventoryRun(inventory, findings)
