"""The per-file scan cache and the process pool: never a different answer, only a faster one.

A cached run, a run over touched files, a run after an edit and a pooled run all give the
result a plain run gives; a damaged, stale or concurrently written cache is rebuilt."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from audit import scan as scan_module
from audit import scancache
from audit.cli import main
from audit.discover import discover
from audit.licenses import cachefile
from audit.model import (
    Component,
    ComponentKind,
    Edge,
    Evidence,
    Merging,
    Node,
    Notice,
    Problem,
    Relation,
    ScanResult,
    SkippedFile,
)
from audit.scan import ScanOutput, ScanSettings, scan
from audit.scanners.requirements import SCANNER as REQUIREMENTS

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "falco-2023"
OLD = time.time() - 3600  # an mtime old enough for the stat key to be trusted


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    shutil.copytree(EXAMPLE, root)
    (root / "bin").mkdir()
    (root / "bin" / "requirements.txt").write_bytes(b"\0\x01binary")
    for path in root.rglob("*"):
        os.utime(path, (OLD, OLD))
    return root


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Paths the requirements scanner parses (it does not run when a result is cached)."""
    seen: list[str] = []
    real = type(REQUIREMENTS).scan

    def counting(self: object, source: object) -> object:
        seen.append(source.path)  # type: ignore[attr-defined]
        return real(self, source)  # type: ignore[arg-type]

    monkeypatch.setattr(type(REQUIREMENTS), "scan", counting)
    yield seen


def _scan(root: Path, cache: Path | None, jobs: int = 1, pool_min: int = 1500) -> ScanOutput:
    settings = ScanSettings(jobs=jobs, cache_dir=cache, pool_min_files=pool_min, chunk_files=3)
    return scan(discover(root, use_git=False), settings=settings)


def test_cached_runs_give_the_plain_result(tree: Path, tmp_path: Path, parses: list[str]) -> None:
    cache = tmp_path / "cache"
    plain = _scan(tree, None)
    assert parses == ["test/requirements.txt"]
    assert _scan(tree, cache) == plain  # cold: fills the cache
    parses.clear()
    assert _scan(tree, cache) == plain  # warm: stat keys unchanged
    assert parses == []
    for path in tree.rglob("*"):
        os.utime(path, (OLD + 10, OLD + 10))  # touched (or a fresh clone): hashes unchanged
    assert _scan(tree, cache) == plain
    assert parses == []
    assert _scan(tree, cache) == plain  # and the new stat keys were recorded
    assert parses == []


def test_an_edit_is_seen(tree: Path, tmp_path: Path, parses: list[str]) -> None:
    cache = tmp_path / "cache"
    _scan(tree, cache)
    req = tree / "test" / "requirements.txt"
    req.write_text(req.read_text() + "flask==2.3.3\n")
    os.utime(req, (OLD + 5, OLD + 5))
    parses.clear()
    out = _scan(tree, cache)
    assert parses == ["test/requirements.txt"]
    assert "pypi:flask@2.3.3" in {c.id for c in out.result.components}
    assert out == _scan(tree, None)


def test_a_file_written_just_now_is_checked_by_its_bytes(
    tree: Path, tmp_path: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within :data:`SETTLE_NS` of a write the stat key may not show a second write: such a
    file is read and hashed on the next run (not parsed again when its bytes are the same)."""
    req = tree / "test" / "requirements.txt"
    os.utime(req, None)  # now
    cache = tmp_path / "cache"
    _scan(tree, cache)
    entry = json.loads(scancache.cache_file(cache, tree).read_bytes().split(b"\n", 1)[1])
    assert entry["test/requirements.txt"][1] == -1  # the stat key is not trusted
    assert entry["CMakeLists.txt"][1] == (tree / "CMakeLists.txt").stat().st_mtime_ns
    parses.clear()
    opened: list[str] = []
    real_open = os.open

    def spy(path: str, *args: object, **kwargs: object) -> int:
        opened.append(os.fsdecode(path))
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", spy)
    _scan(tree, cache)
    assert parses == []
    assert [p for p in opened if p.startswith(str(tree))] == [str(req)]


def _with_body(data: bytes, body: bytes) -> bytes:
    """The cache file ``data`` with another body, its header's checksum made to match."""
    header = json.loads(data.split(b"\n", 1)[0])
    header["sha256"] = hashlib.sha256(body).hexdigest()
    return json.dumps(header).encode() + b"\n" + body


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: b"\x00garbage" * 100,  # not JSON at all
        lambda data: data.replace(b"avocado", b"avocadx"),  # body changed: checksum
        lambda data: data.split(b"\n", 1)[0] + b"\n[]",  # body of the wrong type
        lambda data: _with_body(data, b'{"a":"\xff"}'),  # checksum right, body not UTF-8
        lambda data: _with_body(data, b"{"),  # checksum right, body not JSON
    ],
    ids=["truncated", "garbage", "tampered", "wrong-type", "not-utf8", "not-json"],
)
def test_damaged_cache_is_rebuilt_not_trusted(
    damage: object,
    tree: Path,
    tmp_path: Path,
    parses: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    cache = tmp_path / "cache"
    plain = _scan(tree, cache)
    path = scancache.cache_file(cache, tree)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    parses.clear()
    with caplog.at_level("WARNING", logger="audit.scancache"):
        assert _scan(tree, cache) == plain
    assert f"scan cache {path} is damaged" in caplog.text
    assert parses == ["test/requirements.txt"]
    parses.clear()
    assert _scan(tree, cache) == plain  # rebuilt
    assert parses == []


def test_a_skipped_file_is_judged_once(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether a file discovery skipped leaves a gap (a scanner wants it, and not only as
    text) depends on its path alone: the cache keeps the answer as the file's entry and a
    warm run asks no scanner about it."""
    (tree / "broken").mkdir()
    (tree / "broken" / "requirements.txt").symlink_to("missing")
    (tree / "rules").symlink_to("missing")  # only the notices scanner wants it: text only
    cache = tmp_path / "cache"
    plain = _scan(tree, None)
    gap = Problem("broken/requirements.txt", 0, "skipped", "not read: broken symlink")
    assert [p for p in plain.result.problems if "symlink" in p.message] == [gap]
    assert [s.path for s in plain.skipped if s.reason == "broken symlink"] == [
        "broken/requirements.txt",
        "rules",
    ]
    assert _scan(tree, cache) == plain
    files = json.loads(scancache.cache_file(cache, tree).read_bytes().split(b"\n", 1)[1])
    assert (files["broken/requirements.txt"], files["rules"]) == (True, False)
    asked: list[str] = []
    real = scan_module._text_only

    def spy(scanners: object, path: str) -> bool:
        asked.append(path)
        return real(scanners, path)  # type: ignore[arg-type]

    monkeypatch.setattr(scan_module, "_text_only", spy)
    assert _scan(tree, cache) == plain
    assert asked == []
    (tree / "rules").unlink()  # a file again: its entry is a result once more
    (tree / "rules").write_text("x\n")
    os.utime(tree / "rules", (OLD, OLD))
    assert _scan(tree, cache).skipped == plain.skipped[:2]  # binary, broken symlink
    files = json.loads(scancache.cache_file(cache, tree).read_bytes().split(b"\n", 1)[1])
    assert files["broken/requirements.txt"] is True
    assert isinstance(files["rules"], list)


@pytest.mark.parametrize(
    ("damaged", "result", "parsed"),
    [
        ("test/requirements.txt", [["not", "a", "component"], 7], ["test/requirements.txt"]),
        ("test/requirements.txt", [0, [["x"]]], ["test/requirements.txt"]),
        ("test/requirements.txt", 7, ["test/requirements.txt"]),
        ("bin/requirements.txt", [3, [["half", "a", "notice"]]], []),  # binary
    ],
    ids=["not-a-result", "bad-component", "not-a-list", "binary-file"],
)
def test_entry_that_does_not_decode_is_scanned_again(
    damaged: str, result: object, parsed: list[str], tree: Path, tmp_path: Path, parses: list[str]
) -> None:
    """Valid JSON, valid checksum, but an entry that is not a scan result: that file is
    read again (the binary one is skipped again), its entry rewritten."""
    cache = tmp_path / "cache"
    plain = _scan(tree, cache)
    assert plain.skipped == (SkippedFile("bin/requirements.txt", "binary file"),)
    path = scancache.cache_file(cache, tree)
    files = json.loads(path.read_bytes().split(b"\n", 1)[1])
    files[damaged][5] = result
    scancache.save(path, tree, files)
    parses.clear()
    assert _scan(tree, cache) == plain
    assert parses == parsed
    rewritten = json.loads(path.read_bytes().split(b"\n", 1)[1])
    assert rewritten[damaged][5] != result
    parses.clear()
    assert _scan(tree, cache) == plain
    assert parses == []


def _merged_results() -> list[ScanResult]:
    ev = Evidence("a/Dockerfile", 1, "FROM alpine:3.18", "dockerfile")
    image = Component("image:alpine:3.18", ComponentKind.IMAGE, "alpine", "3.18", "docker")
    node = Node("dockerfile:a/Dockerfile", "dockerfile", "a/Dockerfile", (ev,))
    edge = Edge("dockerfile:a/Dockerfile", "image:alpine:3.18", Relation.BASE, ev)
    tag = Evidence("a/x.c", 1, "// SPDX-License-Identifier: MIT", "notices")
    notice = Notice("a/x.c", 1, "spdx-tag", "MIT", "MIT", tag)
    problem = Problem("a/Dockerfile", 2, "unresolved", "needs $X", "dockerfile")
    return [
        ScanResult((image,), (node,), (edge,), (), (problem,)),
        ScanResult(),
        ScanResult(notices=(notice, notice)),
        ScanResult(components=(image,), notices=(notice,)),
    ]


_TAG = ["a/x.c", 1, "// SPDX-License-Identifier: MIT", "notices"]
_NOTICE = ["a/x.c", 1, "spdx-tag", "MIT", "MIT", _TAG, 1.0, "", 0]
"""The notice of :func:`_merged_results` as the cache writes it."""


def test_results_are_written_as_their_tuples_that_hold_something() -> None:
    """An empty result is ``[]``; another lists each tuple that holds something after its
    position among ScanResult's fields (components 0 ... notices 3, problems 4)."""
    results = _merged_results()
    entries = {
        str(i): scancache.entry((1, 1, 1), 10**19, "", None, r) for i, r in enumerate(results)
    }
    raw = json.loads("{" + scancache.members(entries) + "}")
    assert [[part for part in raw[str(i)][5] if type(part) is int] for i in range(4)] == [
        [0, 1, 2, 4],
        [],
        [3],
        [0, 3],
    ]
    assert raw["1"][5] == []
    assert raw["2"][5] == [3, [_NOTICE, _NOTICE]]
    assert [scancache.decode_result(raw[str(i)][5]) for i in range(4)] == results


def test_merged_results_are_the_plain_merge() -> None:
    """Cached entries decode straight into the merged lists, in order with the results
    added as they are: the result :meth:`ScanResult.merge` gives."""
    results = _merged_results()
    entries = {
        str(i): scancache.entry((1, 1, 1), 10**19, "", None, r) for i, r in enumerate(results)
    }
    raw = json.loads("{" + scancache.members(entries) + "}")
    merged = scancache.Merged()
    merged.add_cached(raw["0"][5])
    merged.add(results[1])
    merged.add_cached(raw["2"][5])
    merged.add_cached(raw["3"][5])
    first = Problem(".", 0, "skipped", "first")
    expected = ScanResult.merge([ScanResult(problems=(first,)), *results])
    assert merged.result((first,)) == expected
    assert [n.path for n in expected.notices] == ["a/x.c"] * 3
    assert [p.message for p in expected.problems] == ["first", "needs $X"]


@pytest.mark.parametrize(
    "raw",
    [
        [["not", "a", "component"], 7],
        7,
        [3, [["a/x.c", 1, "spdx-tag"]]],  # a notice cut short
        [0, [["image:x"]], 3, [["a/x.c", 1, "spdx-tag", "MIT", "MIT", ["a/x.c"]]]],
        [3, [_NOTICE], 4, [["a/x.c", 1]]],  # a good notice, then a problem cut short
        [3],
        [5, [_NOTICE]],
        [-2, [_NOTICE]],
        ["3", [_NOTICE]],
        [True, [_NOTICE]],
        [3, [_NOTICE], 3, [_NOTICE]],
        [3, [_NOTICE], 0, []],
        [3, _NOTICE],
        {"3": [_NOTICE]},
    ],
    ids=[
        "not-a-result",
        "not-a-list",
        "short-notice",
        "bad-component-then-notice",
        "notice-then-bad-problem",
        "odd-length",
        "index-past-the-fields",
        "negative-index",
        "index-not-a-number",
        "index-a-boolean",
        "index-twice",
        "indices-out-of-order",
        "items-not-a-list",
        "an-object",
    ],
)
def test_merged_adds_nothing_of_an_entry_that_does_not_decode(raw: object) -> None:
    merged = scancache.Merged()
    merged.add(_merged_results()[0])
    before = merged.result()
    with pytest.raises(scancache.BAD_DATA):
        merged.add_cached(raw)
    assert merged.result() == before


def test_cache_of_another_depaudit_is_ignored(
    tree: Path, tmp_path: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    _scan(tree, cache)
    monkeypatch.setattr(scancache, "fingerprint", lambda: "another version")
    parses.clear()
    _scan(tree, cache)
    assert parses == ["test/requirements.txt"]


@pytest.mark.parametrize(
    ("layout", "warned"),
    [("depaudit/scan-cache/1", False), ("depaudit/scan-cache/99", False), ("other/1", True)],
)
def test_cache_of_another_layout_is_stale(
    layout: str,
    warned: bool,
    tree: Path,
    tmp_path: Path,
    parses: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A cache file of another layout of depaudit's (an older or newer depaudit) is stale,
    as one of another fingerprint: rebuilt without a word; one of another name is damaged."""
    cache = tmp_path / "cache"
    plain = _scan(tree, cache)
    path = scancache.cache_file(cache, tree)
    head, body = path.read_bytes().split(b"\n", 1)
    header = json.loads(head)
    assert header["format"] == scancache.FORMAT == "depaudit/scan-cache/2"
    header["format"] = layout
    path.write_bytes(json.dumps(header).encode() + b"\n" + body)
    parses.clear()
    with caplog.at_level("WARNING", logger="audit.scancache"):
        assert _scan(tree, cache) == plain
    assert parses == ["test/requirements.txt"]
    assert (f"scan cache {path} is damaged" in caplog.text) is warned
    parses.clear()
    assert _scan(tree, cache) == plain  # rewritten in this layout
    assert parses == []


def _package(tmp_path: Path) -> tuple[Path, Path]:
    code, data = tmp_path / "pkg", tmp_path / "data"
    (code / "sub" / "__pycache__").mkdir(parents=True)
    (code / "a.py").write_text("A = 1\n")
    (code / "sub" / "b.py").write_text("B = 2\n")
    (code / "notes.txt").write_text("not code\n")
    (code / "sub" / "__pycache__" / "b.cpython-311.pyc").write_bytes(b"\0compiled")
    data.mkdir()
    (data / "licenses.json").write_text("{}\n")
    for path in [*code.rglob("*"), *data.rglob("*")]:
        os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    return code, data


def test_files_key_follows_sizes_and_mtimes_not_contents(tmp_path: Path) -> None:
    """The code fingerprint stats depaudit's files instead of reading them: a change of
    size or mtime changes the key, the same size and mtime keep it (as a ``.pyc``)."""
    code, data = _package(tmp_path)
    trees = [(code, ".py"), (data, "")]
    key = scancache.files_key("1.0", trees)
    assert key == scancache.files_key("1.0", trees)
    assert key != scancache.files_key("1.1", trees)  # the version (and license db) is kept

    stamp = 1_700_000_000_000_000_000
    (code / "sub" / "b.py").write_text("B = 3\n")  # same size, same mtime: same key
    os.utime(code / "sub" / "b.py", ns=(stamp, stamp))
    assert scancache.files_key("1.0", trees) == key

    os.utime(code / "sub" / "b.py", ns=(stamp, stamp + 1))  # mtime: 1 ns later
    touched = scancache.files_key("1.0", trees)
    assert touched != key
    os.utime(code / "sub" / "b.py", ns=(stamp, stamp))
    assert scancache.files_key("1.0", trees) == key

    (data / "licenses.json").write_text("{ }\n")  # size of a data file
    os.utime(data / "licenses.json", ns=(stamp, stamp))
    assert scancache.files_key("1.0", trees) not in (key, touched)


def test_files_key_ignores_other_files_and_sees_new_ones(tmp_path: Path) -> None:
    code, data = _package(tmp_path)
    trees = [(code, ".py"), (data, "")]
    key = scancache.files_key("1.0", trees)
    (code / "notes.txt").write_text("edited, longer than before\n")
    (code / "sub" / "__pycache__" / "c.cpython-311.pyc").write_bytes(b"\0")
    assert scancache.files_key("1.0", trees) == key  # not .py, or compiled
    (code / "c.py").write_text("")
    added = scancache.files_key("1.0", trees)
    assert added != key
    (code / "c.py").unlink()
    assert scancache.files_key("1.0", trees) == key
    assert scancache.files_key("1.0", [(code, ".py"), (tmp_path / "absent", "")]) != key


def test_fingerprint_keys_the_package_and_data_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """What :func:`scancache.fingerprint` hands to :func:`scancache.files_key`."""
    from audit.licenses import ruledb
    from audit.resources import data_dir

    seen: list[tuple[str, list[tuple[Path, str]]]] = []
    monkeypatch.setattr(
        scancache, "files_key", lambda head, trees: seen.append((head, trees)) or "k"
    )
    monkeypatch.setattr(ruledb, "data_digest", lambda: "db0")
    scancache.fingerprint.cache_clear()
    try:
        assert scancache.fingerprint() == "k"
    finally:
        scancache.fingerprint.cache_clear()
    from audit import __version__

    package = Path(scancache.__file__).resolve().parent
    assert seen == [(f"{__version__}\0license-db\0db0", [(package, ".py"), (data_dir(), "")])]


def test_concurrent_runs_leave_a_whole_file(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    plain = _scan(tree, None)
    results: list[ScanOutput] = []
    threads = [
        threading.Thread(target=lambda: results.append(_scan(tree, cache))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [plain] * 4
    assert scancache.load(scancache.cache_file(cache, tree), tree) != {}
    assert sorted(p.name for p in (cache / "scan").iterdir()) == [
        scancache.cache_file(cache, tree).name
    ]  # no temporary file left behind


def test_only_the_most_recent_roots_are_kept(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for i in range(scancache.KEEP + 6):
        root = tmp_path / f"root{i}"
        root.mkdir()
        (root / "requirements.txt").write_text("x==1\n")
        _scan(root, cache)
    assert len(list((cache / "scan").iterdir())) == scancache.KEEP


def test_process_pool_gives_the_plain_result(tree: Path, tmp_path: Path) -> None:
    plain = _scan(tree, None)
    assert _scan(tree, None, jobs=2, pool_min=1) == plain
    assert _scan(tree, tmp_path / "cache", jobs=2, pool_min=1) == plain


def test_broken_pool_falls_back_to_this_process(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import concurrent.futures
    from concurrent.futures.process import BrokenProcessPool

    class Broken:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def __enter__(self) -> Broken:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def submit(self, *args: object) -> object:
            raise BrokenProcessPool("a worker died")

    plain = _scan(tree, None)
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Broken)
    assert _scan(tree, None, jobs=2, pool_min=1) == plain


def test_command_line_cache_and_no_cache(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("DEPAUDIT_CACHE_DIR", str(cache))
    assert main(["inventory", str(tree), "--no-cache", "--jobs", "1"]) == 0
    assert not (cache / "scan").exists()
    first = capsys.readouterr().out
    assert main(["inventory", str(tree)]) == 0
    assert [p.name for p in (cache / "scan").iterdir()] == [scancache.cache_file(cache, tree).name]
    assert capsys.readouterr().out == first
    assert main(["inventory", str(tree), "--jobs", "0"]) == 2
    assert "expected a positive number of processes, got '0'" in capsys.readouterr().err


def test_merging_lists_follow_the_result_fields() -> None:
    """The cache decodes an entry's parts by their field index into these lists."""
    merging = Merging()
    names = [f.name for f in dataclasses.fields(ScanResult)]
    assert [id(x) for x in merging.lists] == [id(getattr(merging, n)) for n in names]


def test_frozen_classes_decode_as_their_constructor_makes_them() -> None:
    """Notices, evidence, problems and components are made without ``__init__`` (their
    fields set one by one): the same values, ``__post_init__`` run (evidence text
    trimmed), the same errors for the wrong number of fields."""
    decode = scancache._decoder(Notice)
    raw = ["a/x.c", 3, "prose", "MIT", "MIT", ["a/x.c", 3, "  MIT  ", "notices"], 0.5, "r", 4]
    made = Notice(
        "a/x.c", 3, "prose", "MIT", "MIT", Evidence("a/x.c", 3, "MIT", "notices"), 0.5, "r", 4
    )
    notice = decode(raw)
    assert notice == made
    assert hash(notice) == hash(made)
    assert notice.evidence.text == "MIT"
    assert (type(notice), type(notice.evidence)) == (Notice, Evidence)
    problem = scancache._decoder(Problem)(["a", 1, "skipped", "m", "s"])
    assert problem == Problem("a", 1, "skipped", "m", "s")
    for bad in (["a", 1, "skipped", "m"], ["a", 1, "skipped", "m", "s", "t"]):
        with pytest.raises(ValueError):
            scancache._decoder(Problem)(bad)
    with pytest.raises(TypeError):
        scancache._decoder(Problem)(7)
    component = scancache._decoder(Component)(
        [
            "pypi:x@1",
            "package",
            "x",
            "1",
            "pypi",
            None,
            [["r.txt", 2, "x==1 ", "pip"]],
            [["k", "v"]],
        ]
    )
    made = Component(
        "pypi:x@1",
        ComponentKind.PACKAGE,
        "x",
        "1",
        "pypi",
        None,
        (Evidence("r.txt", 2, "x==1", "pip"),),
        (("k", "v"),),
    )
    assert component == made
    every = [f.name for f in dataclasses.fields(Component)]
    assert [getattr(component, n) for n in every] == [getattr(made, n) for n in every]
    assert type(component.kind) is ComponentKind
    for pair in (["k"], ["k", "v", "w"]):
        with pytest.raises(ValueError):
            scancache._decoder(Component)(["i", "package", "x", None, None, None, [], [pair]])


def test_a_cache_file_that_checked_is_not_hashed_again(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The body's SHA-256 is computed once per cache file: a file that checked is recorded
    (audit.licenses.cachefile), a read of the very same file hashes nothing; a file changed
    in place is hashed again, and not used when it does not check."""
    monkeypatch.setattr(cachefile, "SETTLED", 20_000_000)
    cache = tmp_path / "cache"
    plain = _scan(tree, cache)
    path = scancache.cache_file(cache, tree)
    while time.time_ns() - path.stat().st_ctime_ns <= 40_000_000:
        time.sleep(0.01)
    hashed: list[int] = []
    real = hashlib.sha256

    def counting(data: bytes) -> Any:
        hashed.append(len(data))
        return real(data)

    monkeypatch.setattr(hashlib, "sha256", counting)
    assert _scan(tree, cache) == plain
    assert len(hashed) == 1  # checked, then recorded
    assert path.with_suffix(".checked").exists()
    assert _scan(tree, cache) == plain
    assert len(hashed) == 1
    path.write_bytes(path.read_bytes().replace(b"avocado", b"avocadx"))
    with caplog.at_level("WARNING", logger="audit.scancache"):
        assert _scan(tree, cache) == plain
    assert f"scan cache {path} is damaged (checksum mismatch)" in caplog.text
    assert len(hashed) == 3  # hashed, found damaged; the rebuilt file hashed as it is written


def test_entries_of_files_gone_are_dropped_and_an_unchanged_run_writes_nothing(
    tree: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    plain = _scan(tree, cache)
    path = scancache.cache_file(cache, tree)
    written = path.stat()
    assert _scan(tree, cache) == plain
    again = path.stat()
    assert (again.st_ino, again.st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    assert "test/requirements.txt" in scancache.load(path, tree)
    (tree / "test" / "requirements.txt").unlink()
    _scan(tree, cache)
    entries = scancache.load(path, tree)
    assert "test/requirements.txt" not in entries
    found = discover(tree, use_git=False)
    assert sorted(entries) == sorted(
        [*(c.path for c in found.files), *(s.path for s in found.skipped)]
    )
