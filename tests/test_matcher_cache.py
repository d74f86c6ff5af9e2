"""The matcher's automaton cached on disk (audit.licenses.matcher.compiled): a matcher made
from the cached file finds what one compiled afresh finds; a file that is damaged,
truncated, of another format, made from another database or that does not hold together
is never used but compiled and written again.

The index here is compiled by the test from a tiny stand-in for licensedcode-data (the
rules of tests/test_ruledb_cache.py, each made relevant enough to be matched).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from audit.licenses import cachefile, matcher
from audit.licenses.matcher import FORMAT, Compiled, Matcher, compiled
from audit.licenses.ruledb import LicenseIndex, build

pytest.importorskip("ahocorasick")

from test_ruledb_cache import _FILES

DIGEST = "d" * 32
TEXT = "Licensed under the MIT licence.\nApache 2.0 or MIT, at your option.\nMIT Kerberos\n"


def _index(tmp_path: Path) -> LicenseIndex:
    root = tmp_path / "data"
    for name, text in _FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            text.replace("relevance: 50\n", "").replace("---\n", "---\nrelevance: 100\n", 1)
        )
    return build(root, "32.1.0")


def _found(m: Matcher) -> list[tuple[str, int, int, float]]:
    return [(x.rule.name, x.start_line, x.end_line, x.coverage) for x in m.match(TEXT)]


def _no_compiling(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(index: LicenseIndex, spell: object) -> Compiled:
        raise AssertionError("compiled again")

    monkeypatch.setattr(Compiled, "of", fail)


def test_a_cached_matcher_finds_what_a_compiled_one_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = _index(tmp_path)
    fresh = Matcher(index)
    assert _found(fresh) == [("mit_1", 1, 1, 1.0), ("apache_or_mit_1", 2, 2, 1.0)]
    cache = tmp_path / "cache"
    compiled(index, cache, DIGEST)
    (path,) = (cache / "license-matcher").iterdir()
    assert path.name == DIGEST + ".bin"
    _no_compiling(monkeypatch)
    loaded = Matcher(index, compiled(index, cache, DIGEST))
    assert _found(loaded) == _found(fresh)
    assert loaded.openings == fresh.openings == 4  # the rules; the texts say too little
    assert [list(loaded._anchored[b]) for b in range(4)] == [
        list(fresh._anchored[b]) for b in range(4)
    ]
    spelled = fresh._spell.encode(fresh.tokens(TEXT).chars)
    assert list(loaded.automaton.iter(spelled)) == list(fresh.automaton.iter(spelled))


def _parts(path: Path) -> tuple[object, list[bytes]]:
    loaded = cachefile.read(FORMAT, matcher._key(DIGEST), path)
    assert loaded is not None
    return loaded.value, [bytes(b) for b in loaded.blobs]


def _refile(path: Path, value: object, blobs: list[bytes], key: str = "") -> bytes:
    return cachefile.dump(FORMAT, key or matcher._key(DIGEST), value, blobs)


def _set(blobs: list[bytes], i: int, blob: bytes) -> list[bytes]:
    return [*blobs[:i], blob, *blobs[i + 1 :]]


def _any_store(value: object) -> object:
    """The file's value with the automaton's store made STORE_ANY (values as objects)."""
    import ahocorasick

    fields, chunks = value  # type: ignore[misc]
    assert fields[1] == ahocorasick.STORE_INTS
    return ([fields[0], ahocorasick.STORE_ANY, *fields[2:]], chunks)


@pytest.mark.parametrize(
    "damage",
    [
        "empty",
        "truncated",
        "a bit changed",
        "another database",
        "another format",
        "values out of range",
        "openings that end past their rules",
        "a rule beyond the index",
        "an automaton of Python objects",
        "no nodes",
        "nodes cut short",
        "no count of nodes",
        "writable by others",
    ],
)
def test_a_damaged_or_foreign_file_is_compiled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    index = _index(tmp_path)
    cache = tmp_path / "cache"
    compiled(index, cache, DIGEST)
    (path,) = (cache / "license-matcher").iterdir()
    data = path.read_bytes()
    value, blobs = _parts(path)
    sizes, ids, ends = blobs[0], blobs[1], blobs[2]
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x10
    bad = {
        "empty": b"",
        "truncated": data[: len(data) // 2],
        "a bit changed": bytes(flipped),
        "another database": _refile(path, value, blobs, matcher._key("e" * 32)),
        "another format": cachefile.dump(FORMAT + "x", matcher._key(DIGEST), value, blobs),
        "values out of range": _refile(path, value, _set(blobs, 0, bytes([9]) + sizes[1:])),
        "openings that end past their rules": _refile(
            path, value, _set(blobs, 2, ends[:-4] + b"\xff" * 4)
        ),
        "a rule beyond the index": _refile(path, value, _set(blobs, 1, b"\xff" * 4 + ids[4:])),
        "an automaton of Python objects": _refile(path, _any_store(value), blobs),
        "no nodes": _refile(path, value, blobs[:3]),
        "nodes cut short": _refile(path, value, [*blobs[:3], blobs[3][:8] + blobs[3][8:][:40]]),
        "no count of nodes": _refile(path, value, [*blobs[:3], blobs[3][:5]]),
        "writable by others": data,
    }[damage]
    path.write_bytes(bad)
    if damage == "writable by others":
        path.chmod(0o666)
    assert Compiled.load(cachefile.read(FORMAT, matcher._key(DIGEST), path, mine=True), 7) is None
    again = Matcher(index, compiled(index, cache, DIGEST))  # compiled and written again
    assert _found(again) == _found(Matcher(index))
    _no_compiling(monkeypatch)
    assert _found(Matcher(index, compiled(index, cache, DIGEST))) == _found(again)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_file_in_a_folder_open_to_others_is_not_read(tmp_path: Path) -> None:
    """A cache folder inside a checked-out tree is the user's own but open to others (0755
    under the usual umask): the automaton there is not handed to pyahocorasick."""
    index = _index(tmp_path)
    cache = tmp_path / "cache"
    compiled(index, cache, DIGEST)
    (path,) = (cache / "license-matcher").iterdir()
    assert cachefile.read(FORMAT, matcher._key(DIGEST), path, mine=True) is not None
    path.parent.chmod(0o755)
    assert cachefile.read(FORMAT, matcher._key(DIGEST), path, mine=True) is None
    assert cachefile.read(FORMAT, matcher._key(DIGEST), path) is not None  # data only: read


def test_an_unwritable_cache_is_no_error(tmp_path: Path) -> None:
    index = _index(tmp_path)
    cache = tmp_path / "cache"
    cache.write_text("a file where the directory should be")
    assert _found(Matcher(index, compiled(index, cache, DIGEST))) == _found(Matcher(index))


def test_the_automaton_holds_each_opening_by_its_number(tmp_path: Path) -> None:
    """The automaton's values are the openings' numbers (no Python object per opening); the
    tokens in each opening are a byte each."""
    index = _index(tmp_path)
    found = Compiled.of(index, matcher._Spelling(index.vocabulary))
    assert sorted(found.automaton.values()) == [0, 1, 2, 3]
    assert found.sizes == bytes(
        len(index.rules.openings(matcher.ANCHOR)[ids[0]]) for ids in found.openings
    )
    assert min(found.sizes) >= 1 and max(found.sizes) <= matcher.ANCHOR


def test_an_opening_number_past_the_last_stops_the_match(tmp_path: Path) -> None:
    """The opening numbers are in the automaton's nodes, which only a file that checks and is
    the user's own may hold; a number past the last opening raises, it never names another
    opening's rules."""
    import ahocorasick

    index = _index(tmp_path)
    good = Compiled.of(index, matcher._Spelling(index.vocabulary))
    bad = ahocorasick.Automaton(ahocorasick.STORE_INTS)
    for word, b in good.automaton.items():
        bad.add_word(word, b + len(good.openings))
    bad.make_automaton()
    with pytest.raises(IndexError):
        Matcher(index, Compiled(bad, good.sizes, good.openings)).match(TEXT)
