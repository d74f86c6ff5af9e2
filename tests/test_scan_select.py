"""Choosing scanners by path: the name index asks fewer scanners, never with another answer.

:func:`audit.scanners.select` looks a path's base name up in the scanners' declared
:class:`~audit.scanners.base.Names` before asking their ``matches``; the answer must be
exactly that of asking every scanner, in registry order."""

from __future__ import annotations

import importlib
import subprocess
import sys
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.cmake_cli import CI_MODULES
from audit.model import ScanResult
from audit.scanners import (
    MODULES,
    REGISTRY,
    Names,
    SourceFile,
    _Index,
    all_scanners,
    named_in,
    select,
    select_in,
)
from audit.scanners.notice_files import _NEVER_WANTED_EXT as NEVER_WANTED_EXT
from audit.scanners.notice_files import _SOURCE_EXTENSIONS as SOURCE_EXTENSIONS


def _every(path: str) -> tuple[str, ...]:
    return tuple(s.name for s in all_scanners() if s.matches(path))


def _selected(path: str) -> tuple[str, ...]:
    return tuple(s.name for s in select(path))


# Pieces of the names the scanners look for, and of names they must not take.
_PIECES = [
    "Dockerfile", "dockerfile", "DOCKERFILE", "Containerfile", "containerfile", ".dockerfile",
    ".Containerfile", "Dockerfile.", "dockerignore", ".dockerignore", "requirements",
    "Requirements", "constraints", "dev-requirements", ".txt", ".TXT", ".in", ".In", ".yml",
    ".yaml", ".YML", ".gitlab-ci", "gitlab-ci", "action", "CMakeLists.txt", "cmakelists.txt",
    ".cmake", ".CMake", "go.mod", "Go.mod", "package.json", "Package.json", "setup.py",
    "setup.cfg", "Setup.py", "Pipfile", "pipfile", "pyproject.toml", ".gitmodules",
    ".GITMODULES", "LICENSE", "License", "COPYING", "NOTICE", "copyright", "unlicense", "MIT",
    "Makefile", "GNUmakefile", "Kbuild", ".c", ".h", ".S", ".py", ".go", ".sh", ".md", ".rst",
    ".json", ".toml", ".mod", ".", "..", "-", "_", "x", "a.b", "",
]  # fmt: skip
_DIRS = [
    ".github", "workflows", ".circleci", ".gitlab", "ci", "requirements", "Requirements",
    "node_modules", "src", "vendor", "docker", "LICENSES", "a.b", "x",
]  # fmt: skip

_names = st.lists(st.sampled_from(_PIECES), min_size=1, max_size=4).map("".join).filter(bool)
_paths = st.builds(
    lambda dirs, name: "/".join([*dirs, name]),
    st.lists(st.sampled_from(_DIRS), max_size=4),
    _names,
)


@settings(max_examples=3000, deadline=None)
@given(_paths)
def test_index_selects_what_every_scanner_would(path: str) -> None:
    assert _selected(path) == _every(path)


_CI = frozenset({"github-actions", "circleci", "dockerfile", "cmake"})


@settings(max_examples=2000, deadline=None)
@given(_paths)
def test_among_selects_what_every_scanner_of_those_names_would(path: str) -> None:
    """``among`` restricts the answer to the named scanners, in registry order, and never
    changes it for them."""
    among = tuple(s.name for s in select(path, among=_CI))
    assert among == tuple(n for n in _every(path) if n in _CI)


def test_among_asks_only_the_named_scanners() -> None:
    assert [s.name for s in select(".github/workflows/ci.yml", among=_CI)] == ["github-actions"]
    assert [s.name for s in select("src/main.c", among=_CI)] == []
    assert [s.name for s in select("CMakeLists.txt", among=frozenset({"notices"}))] == ["notices"]


_CI_NAMES = frozenset({"circleci", "github-actions", "gitlab", "dockerfile"})


@settings(max_examples=2000, deadline=None)
@given(_paths)
def test_select_in_modules_selects_what_among_their_names_would(path: str) -> None:
    """The include graph's question (audit/cmake_cli.py): the CI and Dockerfile scanners
    that want a path, from an index of those four scanners alone."""
    assert select_in(path, CI_MODULES) == select(path, among=_CI_NAMES)


def test_select_in_modules_answers() -> None:
    assert [s.name for s in select_in(".github/workflows/ci.yml", CI_MODULES)] == ["github-actions"]
    assert [s.name for s in select_in("docker/Dockerfile.builder", CI_MODULES)] == ["dockerfile"]
    assert [s.name for s in select_in(".gitlab-ci.yml", CI_MODULES)] == ["gitlab"]
    assert [s.name for s in select_in(".circleci/config.yml", CI_MODULES)] == ["circleci"]
    assert select_in("CMakeLists.txt", CI_MODULES) == ()
    with pytest.raises(ValueError, match=r"not scanner modules: audit\.shell"):
        select_in("x", ("audit.shell",))


@settings(max_examples=2000, deadline=None)
@given(st.lists(_paths, max_size=6))
def test_named_in_keeps_every_path_a_scanner_of_the_modules_may_want(paths: list[str]) -> None:
    """:func:`named_in` tells by the base name alone: every path :func:`select_in` gives a
    scanner for is kept, in order."""
    kept = named_in(paths, CI_MODULES)
    assert [p for p in kept if select_in(p, CI_MODULES)] == [
        p for p in paths if select_in(p, CI_MODULES)
    ]
    assert kept == [p for p in paths if p in kept]


def test_named_in_answers() -> None:
    paths = [
        ".github/workflows/ci.yml",
        "docker/Dockerfile.builder",
        "docker/builder",  # no dot: the Dockerfile scanner looks at such names in some folders
        "src/main.c",
        "CMakeLists.txt",
        "Containerfile",
        "README.md",
    ]
    assert named_in(paths, CI_MODULES) == [
        ".github/workflows/ci.yml",
        "docker/Dockerfile.builder",
        "docker/builder",
        "Containerfile",
    ]
    # the notices scanner is asked about every path
    assert named_in(paths, MODULES) == paths


def test_named_in_tells_by_the_last_and_first_dotted_parts() -> None:
    paths = ["a/ci.YML", "a/ci.yml.bak", "b/x.Dockerfile", "b/Dockerfile.x.y", "c/dockerfile"]
    paths += ["c/.dockerfile", "d/docker.file", "docker/run", "src/run", ".yml"]
    assert named_in(paths, CI_MODULES) == [
        "a/ci.YML",
        "b/x.Dockerfile",
        "b/Dockerfile.x.y",
        "c/dockerfile",
        "c/.dockerfile",
        "docker/run",
        "src/run",
        ".yml",
    ]


def test_build_configs_loads_only_the_ci_scanners() -> None:
    """A warm scan takes every scanner's results from the cache: the include graph's look
    for cmake command lines must not import the other scanners (0.025 s)."""
    code = (
        "import sys\n"
        "from audit.cmake_cli import build_configs\n"
        "texts = {'.github/workflows/b.yml': 'run: cmake -DUSE_BUNDLED_DEPS=ON ..\\n',"
        " 'requirements.txt': 'x==1\\n'}\n"
        "(build,) = build_configs(texts, texts.get)\n"
        "print(build.defines)\n"
        "print(','.join(m for m in sys.modules if m.startswith('audit.scanners.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0] == "(('USE_BUNDLED_DEPS', 'ON'),)"
    loaded = set(out[1].split(","))
    # the CI scanners asked about a workflow: not the Dockerfile's (no path its names allow)
    assert loaded & set(MODULES) == {
        "audit.scanners.circleci",
        "audit.scanners.github_actions",
        "audit.scanners.gitlab",
    }
    assert "audit.scanners.dockerfile" in CI_MODULES


@settings(max_examples=1000, deadline=None)
@given(st.text(min_size=1, max_size=40).filter(lambda p: not p.startswith("/")))
def test_index_on_any_text(path: str) -> None:
    assert _selected(path) == _every(path)


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("src/main.c", ("notices", "uapi-includes")),
        ("cmd/main.go", ("notices", "uapi-includes")),
        ("images/logo.png", ()),
        # every text file but documentation, data and manifests may state its license
        ("Dockerfile", ("dockerfile", "notices")),
        ("build/app.Dockerfile", ("dockerfile", "notices")),
        ("Dockerfile.dev", ("dockerfile", "notices")),
        ("Dockerfile.md", ()),
        ("CMakeLists.txt", ("cmake", "notices")),
        ("cmake/FindFoo.cmake", ("cmake", "notices")),
        (".github/workflows/ci.yml", ("github-actions", "notices")),
        ("sub/action.yaml", ("github-actions", "notices")),
        (".circleci/config.yml", ("circleci", "notices")),
        (".gitlab-ci.yml", ("gitlab", "notices")),
        ("requirements/dev.in", ("requirements", "notices")),
        ("requirements.txt", ("requirements",)),
        ("web/node_modules/x/package.json", ()),
        ("web/package.json", ("npm",)),
        (".gitmodules", ("gitmodules",)),
        ("go.mod", ("go.mod",)),
        ("poetry.lock", ("python-lock",)),
        ("web/pnpm-lock.yaml", ("npm-lock", "notices")),
        ("web/yarn.lock", ("npm-lock",)),
        ("Pipfile.lock", ("python-lock",)),
    ],
)
def test_known_paths(path: str, names: tuple[str, ...]) -> None:
    assert _selected(path) == names == _every(path)


@dataclass(frozen=True)
class _Fake:
    name: str

    def matches(self, path: str) -> bool:
        return True

    def scan(self, source: SourceFile) -> ScanResult:
        return ScanResult()


@pytest.mark.parametrize(
    "names",
    [Names(exact=frozenset({"Go.mod"})), Names(suffixes=("txt",)), Names(prefixes=("Docker.",))],
)
def test_names_must_be_lowercase_and_dotted(names: Names) -> None:
    with pytest.raises(ValueError, match="scanner fake: names: "):
        _Index(((_Fake("fake"), names),))


def test_preload_imports_the_scanners_the_paths_ask_for() -> None:
    """A scan imports, before its copies fork, the scanners some of its paths are asked
    about (and the notices scanner, asked about every path), never the others."""
    code = (
        "import sys\n"
        "from audit.scanners import preload\n"
        "preload(['src/a.c', 'CMakeLists.txt', 'deploy/Dockerfile', 'go.mod', 'README'])\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('audit.scanners.'))))\n"
    )
    out = (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        .stdout.strip()
        .split(",")
    )
    assert set(out) & set(MODULES) == {
        "audit.scanners.uapi",  # src/a.c
        "audit.scanners.requirements",  # CMakeLists.txt: names *.txt
        "audit.scanners.cmake",
        "audit.scanners.dockerfile",
        "audit.scanners.gomod",
        "audit.scanners.notices",
    }


def test_the_registry_names_each_module_once_in_order() -> None:
    from audit.scanners import REGISTRY

    assert tuple(m for m, _ in REGISTRY) == MODULES
    assert len(set(MODULES)) == len(MODULES)
    assert [s.name for s in all_scanners()] == [
        importlib.import_module(m).SCANNER.name for m in MODULES
    ]


# Extensions, lowercase with their dot: those a scanner decides by and others.
_EXTS = sorted(
    {
        *SOURCE_EXTENSIONS, *NEVER_WANTED_EXT, ".md", ".ts", ".txt", ".in", ".yml", ".yaml",
        ".mod", ".cmake", ".dockerfile", ".lock", ".cfg", ".conf", ".am", ".html", ".rst",
        ".x", ".c++", ".tar", ".json5",
    }
)  # fmt: skip
# The rest of a base name before its extension, in the cases and with the words that
# decide elsewhere (build names, license names, documentation, manifests, dotfiles).
_STEMS = [
    "main", "Main", "x.y", "LICENSE", "license", "COPYING", "GPL2", "mit", "readme",
    "README", "changelog", "requirements", "constraints", "setup", "Setup", "pyproject",
    "package", "go", "CMakeLists", "Makefile", "makefile", "dkms", "dkms.conf", "Kbuild",
    "Dockerfile", "dockerfile", "containerfile", "pnpm-lock", "poetry", ".hidden", ".", "_",
]  # fmt: skip
_FOLDERS = [
    "",
    "src/",
    "LICENSES/",
    "a/LICENSES/",
    "requirements/",
    "docker/",
    ".github/workflows/",
]


def _cases_of(ext: str) -> list[str]:
    cases = {f"{stem}{e}" for stem in _STEMS for e in (ext, ext.upper())}
    return [f"{folder}{name}" for name in sorted(cases) for folder in _FOLDERS]


@pytest.mark.parametrize("ext", _EXTS)
def test_scanners_chosen_by_extension_are_those_every_scanner_chooses(ext: str) -> None:
    """The index keeps, per extension, the scanners every name with it gets (when each
    scanner asked decides by the extension alone): the same answer, whichever path asked
    first (a fresh index, paths asked in both orders)."""
    cases = _cases_of(ext)
    for order in (cases, cases[::-1]):
        index = _Index(REGISTRY)
        for path in order:
            assert tuple(s.name for s in index.select(path)) == _every(path), path


@pytest.mark.parametrize("ext", _EXTS)
def test_matches_ext_is_what_matches_says_of_every_name(ext: str) -> None:
    """A scanner's ``matches_ext`` answers True or False only where its ``matches`` gives
    that answer for every path whose name has the extension."""
    for scanner in all_scanners():
        by_ext = getattr(scanner, "matches_ext", None)
        told = None if by_ext is None else by_ext(ext)
        if told is not None:
            for path in _cases_of(ext):
                if path.rpartition("/")[2].rfind(".") > 0:  # the extension is the name's
                    assert scanner.matches(path) is told, (scanner.name, path)


def test_the_extensions_decided() -> None:
    """What the index keeps for a tree of sources (and what it does not: documentation,
    where the notices scanner needs the name; YAML, where the CI scanners need the
    folders)."""
    index = _Index(REGISTRY)
    paths = ["a/b.c", "a/B.H", "x.go", "y.py", "i.png", "d.json", "r.md", "w.yml", "t.ts"]
    paths += ["p.toml", "pyproject.toml", "Dockerfile.c", "CMakeLists.txt", "setup.py", "x.ü.c"]
    chosen = [tuple(s.name for s in index.select(p)) for p in paths]
    assert chosen == [
        ("notices", "uapi-includes"),
        ("notices", "uapi-includes"),
        ("notices", "uapi-includes"),
        ("notices",),
        (),
        (),
        (),
        ("notices",),
        ("notices",),
        (),
        ("pyproject",),
        ("dockerfile", "notices", "uapi-includes"),
        ("cmake", "notices"),
        ("setup.py", "notices"),
        ("notices", "uapi-includes"),
    ]
    kept = {
        ext: None if got is None else tuple(s.name for s in got)
        for ext, got in index.by_ext.items()
    }
    assert kept == {
        ".c": ("notices", "uapi-includes"),
        ".h": ("notices", "uapi-includes"),
        ".go": ("notices", "uapi-includes"),
        ".py": ("notices",),
        ".png": (),
        ".json": (),
        ".md": None,
        ".yml": None,
        ".ts": None,
        ".toml": (),
    }
