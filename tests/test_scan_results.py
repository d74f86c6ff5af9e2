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
