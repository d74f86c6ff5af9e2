"""The scanner registry: one module per file format, chosen by path before any read.

Each module exposes ``SCANNER``, an object with ``name``, ``matches(path)`` and
``scan(SourceFile)``. The registry names each module with the base names its scanner can
want (:class:`~audit.scanners.base.Names`; none: asked about every path), so that a scanner
is not asked about the others, and so that a module is imported only once a path its names
allow is asked about: a scan imports the scanners of the formats its tree has
(:func:`preload`), not the others. Modules import heavy libraries inside ``scan`` so that
choosing scanners stays cheap. Adding a format is one new module and one line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from audit.scanners.base import Names, Scanner, SourceFile
from audit.scanners.notice_files import C_EXTENSIONS

_YAML = Names(suffixes=(".yml", ".yaml"))

REGISTRY: tuple[tuple[str, Names | None], ...] = (
    ("audit.scanners.circleci", _YAML),
    ("audit.scanners.github_actions", _YAML),
    ("audit.scanners.gitlab", _YAML),
    (
        "audit.scanners.dockerfile",
        Names(
            exact=frozenset({"dockerfile", "containerfile"}),
            suffixes=(".dockerfile", ".containerfile"),
            prefixes=("dockerfile.", "containerfile."),
            undotted_in=("docker", "container"),
        ),
    ),
    ("audit.scanners.requirements", Names(suffixes=(".txt", ".in"))),
    ("audit.scanners.pyproject", Names(exact=frozenset({"pyproject.toml"}))),
    ("audit.scanners.setup_py", Names(exact=frozenset({"setup.py"}))),
    ("audit.scanners.setup_cfg", Names(exact=frozenset({"setup.cfg"}))),
    ("audit.scanners.pipfile", Names(exact=frozenset({"pipfile"}))),
    ("audit.scanners.cmake", Names(exact=frozenset({"cmakelists.txt"}), suffixes=(".cmake",))),
    ("audit.scanners.gitmodules", Names(exact=frozenset({".gitmodules"}))),
    ("audit.scanners.gomod", Names(exact=frozenset({"go.mod"}))),
    ("audit.scanners.npm", Names(exact=frozenset({"package.json"}))),
    (
        "audit.scanners.python_locks",
        Names(exact=frozenset({"poetry.lock", "uv.lock", "pdm.lock", "pipfile.lock"})),
    ),
    (
        "audit.scanners.npm_locks",
        Names(
            exact=frozenset(
                {"package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml"}
            )
        ),
    ),
    ("audit.scanners.notices", None),
    ("audit.scanners.uapi", Names(suffixes=(*sorted(C_EXTENSIONS), ".go"))),
)
"""Every scanner module, in registry order, with the base names its scanner can want
(a necessary condition of its ``matches``, see :class:`Names`; ``None``: every path)."""

MODULES: tuple[str, ...] = tuple(module for module, _ in REGISTRY)


@lru_cache(maxsize=1)
def all_scanners() -> tuple[Scanner, ...]:
    """Every registered scanner, in registry order (every module imported)."""
    return _index().scanners_of((1 << len(REGISTRY)) - 1)


def select(path: str, among: frozenset[str] | None = None) -> tuple[Scanner, ...]:
    """The scanners that want this root-relative path, by name alone, in registry order:
    those whose ``matches`` says so, asked only when their ``names`` allow the path.
    ``among``: only the scanners of these names are asked (the others' ``matches`` is not
    run: a caller that needs only the CI scanners does not pay for the notices scanner's
    test of every path)."""
    return _index().select(path, among)


def selector() -> Callable[[str], tuple[Scanner, ...]]:
    """:func:`select`, to ask about many paths (one call less for each)."""
    return _index().select


@lru_cache(maxsize=1)
def _index() -> _Index:
    return _Index(REGISTRY)


def preload(paths: Sequence[str]) -> None:
    """Import the scanners that will be asked about some of ``paths`` (those whose names
    allow one of them, and those asked about every path), for the scan's forked copies to
    inherit, but not the others: the scanners of formats the tree does not have are never
    imported (about 4 ms on a tree of C sources). Past :data:`PRELOAD_PATHS` paths every
    scanner is imported, without looking at the names."""
    index = _index()
    wanted = index.wanted(paths) if len(paths) <= PRELOAD_PATHS else (1 << len(REGISTRY)) - 1
    index.scanners_of(wanted)


PRELOAD_PATHS = 20_000
"""Up to this many paths, :func:`preload` looks at their names (about a third of a
microsecond each); the few milliseconds the other scanners take to import are nothing
to a larger tree."""


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
    return _Index(tuple((m, names) for m, names in REGISTRY if m in modules))


class _Index:
    """The scanners to ask about a path, found from its base name with three dictionary
    lookups (exact name, last and first dotted parts) instead of asking every scanner;
    each scanner's module (or a scanner itself) is imported the first time a path its names
    allow is asked about."""

    def __init__(self, entries: Sequence[tuple[str | Scanner, Names | None]]) -> None:
        self.entries = entries
        """``(module, names)`` of each scanner (or ``(scanner, names)``), by position."""
        self.loaded: list[Scanner | None] = [
            None if isinstance(found, str) else found for found, _ in entries
        ]
        self.always = 0
        """Scanners (as bits, by registry position) asked about every path."""
        self.exact: dict[str, int] = {}
        self.last: dict[str, int] = {}
        self.first: dict[str, int] = {}
        self.undotted: list[tuple[int, tuple[str, ...]]] = []
        """(bit, folder words) of scanners asked about undotted names in such folders."""
        for position, (found, names) in enumerate(entries):
            bit = 1 << position
            owner = found if isinstance(found, str) else found.name
            if names is None:
                self.always |= bit
                continue
            for name in names.exact:
                _add(self.exact, _checked(name, owner, dotted=False), bit)
            for suffix in names.suffixes:
                _add(self.last, _checked(suffix, owner).rpartition(".")[2], bit)
            for prefix in names.prefixes:
                _add(self.first, _checked(prefix, owner).partition(".")[0], bit)
            if names.undotted_in:
                words = tuple(_checked(w, owner, dotted=False) for w in names.undotted_in)
                self.undotted.append((bit, words))
        self.groups: dict[int, tuple[Scanner, ...]] = {}
        self.first_dotted = tuple(f"{key}." for key in self.first)
        """The names ``first`` knows, each with its dot (``dockerfile.``)."""
        self.by_ext: dict[str, tuple[Scanner, ...] | None] = {}
        """The scanners that want every path whose base name has this extension and is
        not one of ``exact`` nor starts with one of ``first_dotted`` (:meth:`_by_ext`);
        None for an extension some scanner does not decide by."""

    def scanners_of(self, mask: int) -> tuple[Scanner, ...]:
        """The scanners of the positions ``mask``'s bits set, in order (their modules
        imported now if they are not yet)."""
        out: list[Scanner] = []
        for position, (found, _) in enumerate(self.entries):
            if mask >> position & 1:
                scanner = self.loaded[position]
                if scanner is None:
                    assert isinstance(found, str)
                    scanner = self.loaded[position] = importlib.import_module(found).SCANNER
                out.append(scanner)
        return tuple(out)

    def mask(self, path: str) -> int:
        """The scanners (as bits) whose names allow ``path``: those :meth:`select` asks."""
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
        return mask

    def wanted(self, paths: Iterable[str]) -> int:
        """The scanners (as bits) asked about at least one of ``paths``."""
        every = (1 << len(self.entries)) - 1
        wanted = self.always
        mask = self.mask
        for path in paths:
            wanted |= mask(path)
            if wanted == every:
                break
        return wanted

    def named(self, paths: Iterable[str]) -> list[str]:
        """The paths whose base name some scanner's names allow (see :meth:`select`; a
        name without a dot is kept whenever a scanner looks at such names in some folders),
        in one loop rather than one :meth:`select` per path."""
        if self.always:
            return list(paths)
        exact = self.exact
        # a name's last dotted part is a key of ``last`` when it ends with "." and the key
        # (keys hold no dot), its first part one of ``first`` when it starts with the key
        # and "."; an undotted name matches neither
        ends = tuple(f".{key}" for key in self.last)
        starts = tuple(f"{key}." for key in self.first)
        undotted = bool(self.undotted)
        out: list[str] = []
        for path in paths:
            lower = path[path.rfind("/") + 1 :].lower()
            if (
                lower in exact
                or lower.endswith(ends)
                or lower.startswith(starts)
                or (undotted and "." not in lower)
            ):
                out.append(path)
        return out

    def select(self, path: str, among: frozenset[str] | None = None) -> tuple[Scanner, ...]:
        if among is None:
            # Most names: an extension every scanner it allows decides by, kept once decided
            # (see :meth:`_by_ext`); ASCII only, so that lowering keeps the dot in place.
            name = path[path.rfind("/") + 1 :]
            dot = name.rfind(".")
            if dot > 0 and name.isascii():
                lower = name.lower()
                chosen = self.by_ext.get(lower[dot:], False)
                if chosen is not None and (
                    lower not in self.exact and not lower.startswith(self.first_dotted)
                ):
                    if chosen is False:
                        chosen = self._by_ext(lower[dot:])
                    if type(chosen) is tuple:
                        return chosen
        mask = self.mask(path)
        if not mask:  # no scanner's names allow the path
            return ()
        group = self.groups.get(mask)
        if group is None:
            group = self.groups[mask] = self.scanners_of(mask)
        if among is not None:
            return tuple([s for s in group if s.name in among and s.matches(path)])
        if len(group) == 1:  # most paths: only the scanners asked about every path
            return group if group[0].matches(path) else ()
        return tuple([s for s in group if s.matches(path)])

    def _by_ext(self, ext: str) -> tuple[Scanner, ...] | None:
        """The scanners that want a path whose base name has the extension ``ext``
        (lowercase, from the last dot of an ASCII base name whose dot is not its first
        character), for every such name :meth:`select` asks about by extension (not one of
        ``exact``, not starting with one of ``first_dotted``): those whose names allow it
        (``always`` and the suffixes of ``last``: the other lookups find nothing for such a
        name) and whose ``matches_ext(ext)`` is True, when each of them answers True or
        False (it then does for every base name with that extension, wherever it is);
        else None (a scanner without ``matches_ext``, or that answers None, decides path by
        path). Kept in :attr:`by_ext`: 100,000s of paths, most of them source files, are
        asked about by a scan."""
        mask = self.always | self.last.get(ext[1:], 0)
        chosen: list[Scanner] = []
        if mask:
            group = self.groups.get(mask)
            if group is None:
                group = self.groups[mask] = self.scanners_of(mask)
            for scanner in group:
                by_ext = getattr(scanner, "matches_ext", None)
                wants = None if by_ext is None else by_ext(ext)
                if wants is None:
                    self.by_ext[ext] = None
                    return None
                if wants:
                    chosen.append(scanner)
        found = self.by_ext[ext] = tuple(chosen)
        return found


def _add(index: dict[str, int], key: str, bit: int) -> None:
    index[key] = index.get(key, 0) | bit


def _checked(part: str, owner: str, *, dotted: bool = True) -> str:
    if part != part.lower() or (dotted and "." not in part):
        need = "lowercase with a dot" if dotted else "lowercase"
        raise ValueError(f"scanner {owner}: names: {part!r} must be {need}")
    return part


__all__ = [
    "MODULES",
    "REGISTRY",
    "Names",
    "Scanner",
    "SourceFile",
    "all_scanners",
    "named_in",
    "preload",
    "select",
    "select_in",
    "selector",
    "selector_in",
]
