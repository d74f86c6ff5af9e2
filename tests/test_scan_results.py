"""One file's results: the scanners' results merged in order, empty ones left out."""

from __future__ import annotations

from audit import scan
from audit.model import Evidence, Notice, Problem, ScanResult
from audit.scanners.base import SourceFile


class _Fixed:
    def __init__(self, name: str, result: ScanResult | Exception) -> None:
        self.name = name
        self.result = result

    def matches(self, path: str) -> bool:
        return True

    def scan(self, source: SourceFile) -> ScanResult:
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def _notice(line: int, raw: str) -> Notice:
    return Notice("a.c", line, "spdx-tag", "MIT", raw, Evidence("a.c", line, raw, "t"))


def test_nothing_found_is_the_one_empty_result() -> None:
    got = scan._run_scanners(
        "a.c", b"int x;\n", [_Fixed("a", ScanResult()), _Fixed("b", ScanResult())]
    )
    assert got is scan._EMPTY


def test_results_are_merged_in_scanner_order_without_the_empty_ones() -> None:
    one = ScanResult(notices=(_notice(1, "MIT"),))
    two = ScanResult(notices=(_notice(2, "x"),), problems=(Problem("a.c", 2, "unresolved", "m"),))
    assert scan._run_scanners("a.c", b"x\n", [_Fixed("a", ScanResult()), _Fixed("b", one)]) == one
    got = scan._run_scanners(
        "a.c", b"x\n", [_Fixed("a", two), _Fixed("c", ScanResult()), _Fixed("b", one)]
    )
    assert got == ScanResult(
        notices=(_notice(2, "x"), _notice(1, "MIT")),
        problems=(Problem("a.c", 2, "unresolved", "m"),),
    )


def test_a_failing_scanner_is_a_problem_beside_what_the_others_found() -> None:
    one = ScanResult(notices=(_notice(1, "MIT"),))
    got = scan._run_scanners("a.c", b"x\n", [_Fixed("bad", ValueError("no")), _Fixed("b", one)])
    assert got == ScanResult(
        notices=one.notices,
        problems=(Problem("a.c", 0, "parse-error", "scanner failed: ValueError: no", "bad"),),
    )


def test_an_undecodable_file_is_a_problem_even_when_nothing_is_found() -> None:
    got = scan._run_scanners("a.c", b"\xff\n", [_Fixed("a", ScanResult())])
    assert got.problems == (
        Problem("a.c", 1, "unreadable", "not valid UTF-8; decoded with replacement characters"),
    )


def test_lone_surrogates_spelled_by_escapes_are_replaced() -> None:
    bad = ScanResult(notices=(_notice(1, "\ud800"),))
    got = scan._run_scanners("a.c", b'"\\ud800"\n', [_Fixed("a", bad)])
    assert [n.raw for n in got.notices] == ["\ufffd"]


def test_without_the_cache_an_outcome_holds_no_stat_key(tmp_path) -> None:
    """A scan without the cache keeps no stat key (only the cache reads it): a file where
    nothing is found is the one shared outcome, the others hold their result alone."""
    from audit.discover import Candidate

    (tmp_path / "a.c").write_text("int x;\n")
    (tmp_path / "b.c").write_text("x\n")
    empty, entry = scan._scan_one(
        tmp_path, Candidate("a.c", 7), [_Fixed("a", ScanResult())], want_hash=False
    )
    assert empty is scan._NOTHING_FOUND
    assert entry is None
    one = ScanResult(notices=(_notice(1, "MIT"),))
    found, entry = scan._scan_one(
        tmp_path, Candidate("b.c", 2), [_Fixed("a", one)], want_hash=False
    )
    assert found == scan._Outcome(True, one, None, None)
    assert entry is None
    kept, entry = scan._scan_one(tmp_path, Candidate("b.c", 2), [_Fixed("a", one)], want_hash=True)
    st = (tmp_path / "b.c").stat()
    assert kept.key == (2, st.st_mtime_ns, st.st_ino)
    assert entry is not None


def test_a_copy_sends_the_notices_alone_of_a_file_where_only_notices_were_found(
    tmp_path,
) -> None:
    """An early scan's copy sends back the notices alone for a file where nothing else was
    found (without the cache); the scan's output takes them as it takes the outcome."""
    from audit.discover import Candidate, Discovery
    from audit.model import SkippedFile

    notices = (_notice(1, "MIT"), _notice(3, "Apache-2.0"))
    only = scan._Outcome(True, ScanResult(notices=notices))
    problem = Problem("c.c", 0, "unreadable", "cannot read")
    other = scan._Outcome(True, ScanResult(notices=notices[:1], problems=(problem,)))
    keyed = scan._Outcome(True, ScanResult(notices=notices), key=(1, 2, 3))
    binary = scan._Outcome(True, skipped=SkippedFile("e.c", scan.BINARY), key=(1, 2, 3))
    outcomes = [only, scan._NOTHING_FOUND, other, scan._UNWANTED, keyed, binary]
    light = scan._light(outcomes)
    assert light == [notices, scan._NOTHING_FOUND, other, scan._UNWANTED, keyed, binary]
    assert light[0] is notices
    files = tuple(Candidate(p, 1) for p in ("a.c", "b.c", "c.c", "d.png", "d2.c", "e.c"))
    found = Discovery(tmp_path, files, (), (), "walk")
    whole = scan._output(found, outcomes, scan.select)
    assert scan._output(found, light, scan.select) == whole
    assert whole.files_scanned == 5
    assert whole.result.notices == (*notices, notices[0], *notices)


def test_source_file_is_the_data_class_made_faster() -> None:
    """:func:`audit.scanners.base.source_file` writes the fields as the class keeps them:
    it must stay the class's two fields, with no ``__post_init__`` to run."""
    import dataclasses

    from audit.scanners.base import source_file

    made = source_file("a/b.c", "x\ny\n")
    assert made == SourceFile("a/b.c", "x\ny\n")
    assert type(made) is SourceFile
    assert [f.name for f in dataclasses.fields(SourceFile)] == ["path", "text"]
    assert not hasattr(SourceFile, "__post_init__")
    assert made.lines == ("x", "y")
    assert made.line(2) == "y"
    try:
        made.path = "c"  # type: ignore[misc]
    except dataclasses.FrozenInstanceError:
        pass
    else:
        raise AssertionError("not frozen")


def test_the_light_scan_is_the_scan_of_each_file_made_light(tmp_path) -> None:
    """An early scan without the cache scans a task's files in one loop
    (:func:`audit.scan._scan_light`): the outcomes :func:`audit.scan._light` makes of
    :func:`audit.scan._scan_batch`'s, file by file (notices alone, nothing found, not
    wanted, binary, unreadable, a problem besides notices, a link, a file shorter than
    discovery saw)."""
    import os

    from audit.discover import discover
    from audit.model import SkippedFile

    files = {
        "a.c": "// SPDX-License-Identifier: MIT\nint x;\n",
        "b.c": "int y;\n",
        "c.png": "\x89PNG\0\0",
        "d.c": "int\0z;\n",
        "e.py": "# SPDX-License-Identifier: Apache-2.0\n",
        "requirements.txt": "requests==2.31.0\nflask\n",
        "sub/g.go": "// SPDX-License-Identifier: BSD-3-Clause\npackage g\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(text.encode("latin-1"))
    (tmp_path / "f.c").write_bytes(b"// SPDX-License-Identifier: MIT\n\xff\n")
    os.symlink("a.c", tmp_path / "link.c")
    found = discover(tmp_path, use_git=False)
    cands = [*found.files, found.files[0]._replace(path="gone.c")]
    (tmp_path / "b.c").write_text("")  # shorter than discovery saw
    batch, _ = scan._scan_batch(found.root, [(c, "") for c in cands], False)
    light = scan._scan_light(
        str(found.root), [c.path for c in cands], [c.size for c in cands], [c.link for c in cands]
    )
    assert light == scan._light(batch)
    assert [type(o).__name__ for o in light] == [
        "tuple",  # a.c
        "_Outcome",  # b.c: nothing found
        "_Outcome",  # c.png: not wanted
        "_Outcome",  # d.c: binary
        "tuple",  # e.py
        "_Outcome",  # f.c: not UTF-8, a problem besides its notice
        "tuple",  # link.c
        "_Outcome",  # requirements.txt
        "tuple",  # sub/g.go
        "_Outcome",  # gone.c
    ]
    assert light[1] is scan._NOTHING_FOUND and light[2] is scan._UNWANTED
    assert [n.expression for n in light[0]] == ["MIT"]
    st = (tmp_path / "d.c").stat()
    # a binary C file: a source the notices scanner expected as text
    assert light[3] == scan._Outcome(
        True, skipped=SkippedFile("d.c", scan.BINARY), key=(st.st_size, st.st_mtime_ns, st.st_ino)
    )
    assert light[9] == scan._Outcome(
        True,
        ScanResult(
            problems=(Problem("gone.c", 0, "unreadable", "cannot read: No such file or directory"),)
        ),
    )


def test_a_copy_sends_notices_as_their_fields_and_they_load_equal() -> None:
    """An early scan's copy sends each file's notices as lists of their fields (as the
    scan cache writes them), made again as they are loaded: equal outcomes, in order."""
    import pickle

    plain = _notice(1, "MIT")
    other = Notice(
        "b/c.h", 7, "prose", None, "GPL v2 or later", Evidence("b/c.h", 7, "x  y", "notices"),
        0.75, "gpl-2.0-plus_3", 9,
    )  # fmt: skip
    problem = ScanResult(problems=(Problem("d.c", 0, "unreadable", "cannot read"),))
    outcomes = [(plain, other), scan._NOTHING_FOUND, scan._Outcome(True, problem), (other,)]
    assert scan._flat(outcomes) == [
        [
            ["a.c", 1, "spdx-tag", "MIT", "MIT", ("a.c", 1, "MIT", "t"), 1.0, "", 0],
            ["b/c.h", 7, "prose", None, "GPL v2 or later", ("b/c.h", 7, "x  y", "notices"),
             0.75, "gpl-2.0-plus_3", 9],
        ],
        scan._NOTHING_FOUND,
        scan._Outcome(True, problem),
        [
            ["b/c.h", 7, "prose", None, "GPL v2 or later", ("b/c.h", 7, "x  y", "notices"),
             0.75, "gpl-2.0-plus_3", 9],
        ],
    ]  # fmt: skip
    loaded = pickle.loads(pickle.dumps(scan._Sent(outcomes), protocol=pickle.HIGHEST_PROTOCOL))
    assert type(loaded) is list
    assert loaded == outcomes
    assert [type(o).__name__ for o in loaded] == ["tuple", "_Outcome", "_Outcome", "tuple"]
    assert [type(n) for n in loaded[0]] == [Notice, Notice]
    assert type(loaded[0][1].evidence) is Evidence
