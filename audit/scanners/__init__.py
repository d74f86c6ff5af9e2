"""The scanner registry: one module per file format, chosen by path before any read.

Each module exposes ``SCANNER``, an object with ``name``, ``matches(path)`` and
``scan(SourceFile)``, and optionally ``names`` (:class:`~audit.scanners.base.Names`: the base
names it can want, so that it is not asked about the others). Modules import heavy libraries
inside ``scan`` so that choosing scanners stays cheap. Adding a format is one new module and
one line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from functools import lru_cache

from audit.scanners.base import Names, Scanner, SourceFile

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
    "audit.scanners.python_locks",
    "audit.scanners.npm_locks",
    "audit.scanners.notices",
    "audit.scanners.uapi",
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


def select(path: str, among: frozenset[str] | None = None) -> tuple[Scanner, ...]:
    """The scanners that want this root-relative path, by name alone, in registry order:
    those whose ``matches`` says so, asked only when their ``names`` allow the path.
    ``among``: only the scanners of these names are asked (the others' ``matches`` is not
    run: a caller that needs only the CI scanners does not pay for the notices scanner's
    test of every path)."""
    return _index().select(path, among)


@lru_cache(maxsize=1)
def _index() -> _Index:
    return _Index(all_scanners())


def select_in(path: str, modules: tuple[str, ...]) -> tuple[Scanner, ...]:
    """:func:`select` among the scanners of ``modules`` (names from :data:`MODULES`) only,
    in registry order, importing no other scanner: the include graph asks about CI files
    and Dockerfiles, and a warm scan (whose results come from the cache) need not load
    every scanner for that."""
    return selector_in(modules)(path)


def selector_in(modules: tuple[str, ...]) -> Callable[[str], tuple[Scanner, ...]]:
    """:func:`select_in` for ``modules``, to ask about many paths."""
    return _index_of(modules).select


def named_in(paths: Iterable[str], modules: tuple[str, ...]) -> list[str]:
    """The paths, in order, whose base name lets a scanner of ``modules`` be asked about
    them (what :func:`select_in` tells by the name alone, before any ``matches``: it
    finds no scanner for the others), for a caller that asks about many paths and wants
    few (the CI files of a tree)."""
    return _index_of(modules).named(paths)


@lru_cache(maxsize=8)
def _index_of(modules: tuple[str, ...]) -> _Index:
    unknown = sorted(set(modules) - set(MODULES))
    if unknown:
        raise ValueError(f"not scanner modules: {', '.join(unknown)}")
    return _Index(tuple(importlib.import_module(m).SCANNER for m in MODULES if m in modules))


class _Index:
    """The scanners to ask about a path, found from its base name with three dictionary
    lookups (exact name, last and first dotted parts) instead of asking every scanner."""

    def __init__(self, scanners: tuple[Scanner, ...]) -> None:
        self.scanners = scanners
        self.always = 0
        """Scanners (as bits, by registry position) asked about every path."""
        self.exact: dict[str, int] = {}
        self.last: dict[str, int] = {}
        self.first: dict[str, int] = {}
        self.undotted: list[tuple[int, tuple[str, ...]]] = []
        """(bit, folder words) of scanners asked about undotted names in such folders."""
        for position, scanner in enumerate(scanners):
            bit = 1 << position
            names: Names | None = getattr(scanner, "names", None)
            if names is None:
                self.always |= bit
                continue
            for name in names.exact:
                _add(self.exact, _checked(name, scanner, dotted=False), bit)
            for suffix in names.suffixes:
                _add(self.last, _checked(suffix, scanner).rpartition(".")[2], bit)
            for prefix in names.prefixes:
                _add(self.first, _checked(prefix, scanner).partition(".")[0], bit)
            if names.undotted_in:
                words = tuple(_checked(w, scanner, dotted=False) for w in names.undotted_in)
                self.undotted.append((bit, words))
        self.groups: dict[int, tuple[Scanner, ...]] = {}

    def named(self, paths: Iterable[str]) -> list[str]:
        """The paths whose base name some scanner's names allow (see :meth:`select`; a
        name without a dot is kept whenever a scanner looks at such names in some folders),
        in one loop rather than one :meth:`select` per path."""
        if self.always:
            return list(paths)
        exact, last, first = self.exact, self.last, self.first
        undotted = bool(self.undotted)
        out: list[str] = []
        for path in paths:
            lower = path[path.rfind("/") + 1 :].lower()
            if lower in exact:
                out.append(path)
                continue
            dot = lower.rfind(".")
            if dot < 0:
                if undotted:
                    out.append(path)
            elif lower[dot + 1 :] in last or lower[: lower.find(".")] in first:
                out.append(path)
        return out

    def select(self, path: str, among: frozenset[str] | None = None) -> tuple[Scanner, ...]:
        lower = path[path.rfind("/") + 1 :].lower()
        mask = self.always | self.exact.get(lower, 0)
        dot = lower.rfind(".")
        if dot >= 0:
            mask |= self.last.get(lower[dot + 1 :], 0) | self.first.get(lower[: lower.find(".")], 0)
        elif self.undotted:
            folder = path[: path.rfind("/") + 1].lower().rstrip("/").rpartition("/")[2]
            for bit, words in self.undotted:
                if any(w in folder for w in words):
                    mask |= bit
        if not mask:  # no scanner's names allow the path
            return ()
        group = self.groups.get(mask)
        if group is None:
            group = self.groups[mask] = tuple(
                s for i, s in enumerate(self.scanners) if mask >> i & 1
            )
        if among is not None:
            return tuple([s for s in group if s.name in among and s.matches(path)])
        if len(group) == 1:  # most paths: only the scanners asked about every path
            return group if group[0].matches(path) else ()
        return tuple([s for s in group if s.matches(path)])


def _add(index: dict[str, int], key: str, bit: int) -> None:
    index[key] = index.get(key, 0) | bit


def _checked(part: str, scanner: Scanner, *, dotted: bool = True) -> str:
    if part != part.lower() or (dotted and "." not in part):
        need = "lowercase with a dot" if dotted else "lowercase"
        raise ValueError(f"scanner {scanner.name}: names: {part!r} must be {need}")
    return part


__all__ = [
    "Names",
    "Scanner",
    "SourceFile",
    "all_scanners",
    "named_in",
    "select",
    "select_in",
    "selector_in",
]
