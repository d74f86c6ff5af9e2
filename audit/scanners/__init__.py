"""The scanner registry: one module per file format, chosen by path before any read.

Each module exposes ``SCANNER``, an object with ``name``, ``matches(path)`` and
``scan(SourceFile)``. Modules import heavy libraries inside ``scan`` so that choosing
scanners stays cheap. Adding a format is one new module and one line here.
"""

from __future__ import annotations

import importlib
from functools import lru_cache

from audit.scanners.base import Scanner, SourceFile

MODULES: tuple[str, ...] = (
    "audit.scanners.circleci",
    "audit.scanners.github_actions",
    "audit.scanners.gitlab",
    "audit.scanners.dockerfile",
    "audit.scanners.requirements",
    "audit.scanners.pyproject",
    "audit.scanners.setup_py",
    "audit.scanners.setup_cfg",
    "audit.scanners.pipfile",
    "audit.scanners.cmake",
    "audit.scanners.gitmodules",
    "audit.scanners.gomod",
    "audit.scanners.npm",
    "audit.scanners.notices",
)


@lru_cache(maxsize=1)
def all_scanners() -> tuple[Scanner, ...]:
    """Every registered scanner, in registry order (modules not yet written are skipped)."""
    found: list[Scanner] = []
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        found.append(module.SCANNER)
    return tuple(found)


def select(path: str) -> tuple[Scanner, ...]:
    """The scanners that want this root-relative path, by name alone."""
    return tuple([s for s in all_scanners() if s.matches(path)])


__all__ = ["Scanner", "SourceFile", "all_scanners", "select"]
