"""The include graph's facts of a tree's CMake files, kept between runs next to the scan
cache (``<cache dir>/cmake/``, audit/scancache.py ``PerText``): a warm scan does not parse
an unchanged CMake file again, a changed one is read again, and the answer is the one a run
without the cache gives."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from audit import cmake_graph, scancache
from audit.config import Config
from audit.model import Inventory
from audit.pipeline import build_inventory
from audit.scan import ScanSettings, scan_settings
from tests.corpus import Corpus

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "falco-2023"
OLD = time.time() - 3600
CMAKE_FILES = [
    "CMakeLists.txt",
    "cmake/modules/falcosecurity-libs.cmake",
    "cmake/modules/njson.cmake",
    "driver/modern_bpf/CMakeLists.txt",
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    shutil.copytree(EXAMPLE, root)
    for path in root.rglob("*"):
        os.utime(path, (OLD, OLD))
    return root


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many CMake texts the include graph parses (the CMake scanner's own parses,
    kept by the scan cache, are not counted)."""
    seen: list[int] = []
    real = cmake_graph.parse_cmake

    def counting(text: str) -> object:
        seen.append(len(text))
        return real(text)

    monkeypatch.setattr(cmake_graph, "parse_cmake", counting)
    yield seen


def _inventory(root: Path, cache: Path | None) -> Inventory:
    with scan_settings(ScanSettings(jobs=1, cache_dir=cache)):
        return build_inventory(root, Config()).inventory


def test_warm_run_parses_no_unchanged_cmake_file(
    tree: Path, tmp_path: Path, parsed: list[int]
) -> None:
    plain = _inventory(tree, None)
    assert len(parsed) == len(CMAKE_FILES)
    cache = tmp_path / "cache"
    parsed.clear()
    assert _inventory(tree, cache) == plain  # cold: parses each file, keeps its facts
    assert len(parsed) == len(CMAKE_FILES)
    kept = scancache.load(scancache.cache_file(cache, tree.resolve(), "cmake"), tree.resolve())
    assert sorted(kept) == CMAKE_FILES
    parsed.clear()
    assert _inventory(tree, cache) == plain  # warm: none
    assert parsed == []


def test_changed_cmake_file_is_parsed_again(tree: Path, tmp_path: Path, parsed: list[int]) -> None:
    cache = tmp_path / "cache"
    _inventory(tree, cache)
    njson = tree / "cmake" / "modules" / "njson.cmake"
    text = njson.read_text() + 'option(NJSON_EXTRA "x" ON)\n'
    njson.write_text(text)
    os.utime(njson, (OLD, OLD))  # the same mtime: the text's hash tells
    plain = _inventory(tree, None)
    parsed.clear()
    assert _inventory(tree, cache) == plain
    assert parsed == [len(text)]
    parsed.clear()
    _inventory(tree, cache)
    assert parsed == []


def test_damaged_entry_is_parsed_again_and_rewritten(
    tree: Path, tmp_path: Path, parsed: list[int]
) -> None:
    cache = tmp_path / "cache"
    plain = _inventory(tree, cache)
    path = scancache.cache_file(cache, tree.resolve(), "cmake")
    files = json.loads(path.read_bytes().split(b"\n", 1)[1])
    files["CMakeLists.txt"][1] = ["not", "facts"]
    files["cmake/modules/njson.cmake"] = "garbage"
    scancache.save(path, tree.resolve(), files)
    parsed.clear()
    assert _inventory(tree, cache) == plain
    assert len(parsed) == 2
    parsed.clear()
    assert _inventory(tree, cache) == plain
    assert parsed == []


def test_cache_of_another_depaudit_is_not_used(
    tree: Path, tmp_path: Path, parsed: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    _inventory(tree, cache)
    monkeypatch.setattr(scancache, "fingerprint", lambda: "another version")
    parsed.clear()
    _inventory(tree, cache)
    assert len(parsed) == len(CMAKE_FILES)


def test_removed_file_leaves_the_cache(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _inventory(tree, cache)
    (tree / "cmake" / "modules" / "njson.cmake").unlink()
    _inventory(tree, cache)
    kept = scancache.load(scancache.cache_file(cache, tree.resolve(), "cmake"), tree.resolve())
    assert sorted(kept) == [p for p in CMAKE_FILES if not p.endswith("njson.cmake")]


def test_decoded_facts_equal_parsed_facts(corpus: Corpus, tmp_path: Path) -> None:
    """Every CMake file of libs-0.13.1 (54; 96 calls, 47 options, 30 downloads, the
    superbuild at cmake/modules/gtest.cmake:18): the facts read back from the cache are the
    facts parsed."""
    root = corpus("libs-0.13.1")
    paths = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and (p.name == "CMakeLists.txt" or p.suffix == ".cmake")
    )
    texts = {p: (root / p).read_text(encoding="utf-8", errors="surrogateescape") for p in paths}
    first = scancache.PerText(
        cmake_graph.parsed_facts, cmake_graph.FileFacts, tmp_path, root, "cmake"
    )
    made = {p: first(p, t) for p, t in texts.items()}
    first.save()
    again = scancache.PerText(
        cmake_graph.parsed_facts, cmake_graph.FileFacts, tmp_path, root, "cmake"
    )
    assert {p: again(p, t) for p, t in texts.items()} == made
    assert again.written == {}
    assert len(made) == 54
    counts = [
        sum(len(getattr(f, kind)) for f in made.values())
        for kind in ("calls", "options", "downloads", "sub_builds", "module_paths")
    ]
    assert counts == [96, 47, 30, 1, 1]
