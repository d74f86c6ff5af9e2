"""The license references shingled once and cached (audit.licenses.texts.cached_references):
what is loaded is what was built, a damaged or foreign file is rebuilt, a changed text
makes another cache file, and a cache that cannot be written is no error."""

from __future__ import annotations

import marshal
import os
from array import array
from pathlib import Path

import pytest

from audit.licenses import cachefile, texts
from audit.licenses.texts import cached_references, load_references

_TEXTS = {
    "MIT-like.txt": "Permission is hereby granted, free of charge, to any person obtaining\n"
    "a copy of this software, to deal in the Software without restriction.\n",
    "Short.txt": "Copyright (c) 2020 <<holder>>\nDo what you want with it.\n",
}


def _texts(root: Path) -> Path:
    root.mkdir()
    for name, text in _TEXTS.items():
        (root / name).write_text(text)
    return root


def _no_building(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(directory: Path) -> texts.References:
        raise AssertionError("built again")

    monkeypatch.setattr(texts, "load_references", fail)


def test_cached_references_load_as_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = _texts(tmp_path / "texts")
    cache = tmp_path / "cache"
    built = load_references(directory)
    first = cached_references(directory, cache)
    assert first == built
    assert first.index == built.index
    (path,) = (cache / "license-texts").iterdir()
    assert path.suffix == ".bin"
    _no_building(monkeypatch)
    loaded = cached_references(directory, cache)
    assert loaded == built
    assert loaded.ids == ("MIT-like", "Short")
    assert loaded.index == built.index
    assert sorted(loaded.items[1].shingles) == [
        "do what you want",
        "what you want with",
        "you want with it",
    ]
    assert loaded.index["you want with it"] == (1,)


def _refile(
    data: bytes,
    key: str,
    fmt: str = texts.FORMAT,
    other: str = "",
    blobs: int = 3,
    last: tuple[int, int] | None = None,
) -> bytes:
    """The file made from ``key`` written again as another file: of another format, made
    from ``other`` texts, with fewer blobs, or with the last number of blob ``last[0]``
    (an array of 32-bit numbers) made ``last[1]``."""
    loaded = cachefile.load(texts.FORMAT, key, data)
    assert loaded is not None
    parts = [bytes(b) for b in loaded.blobs][:blobs]
    if last is not None:
        blob, number = last
        parts[blob] = parts[blob][:-4] + array("I", [number]).tobytes()
    return cachefile.dump(fmt, other or key, loaded.value, parts)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data, key: data[: len(data) // 2],
        lambda data, key: data[:-20] + bytes(20),
        lambda data, key: _refile(data, key, fmt="depaudit/license-texts/0"),
        lambda data, key: _refile(data, key, other="0" * 32),
        lambda data, key: _refile(data, key, blobs=2),
        lambda data, key: _refile(data, key, last=(0, 2)),
        lambda data, key: _refile(data, key, last=(1, 999)),
        lambda data, key: _refile(data, key, last=(2, 2)),
        lambda data, key: marshal.dumps(("depaudit/license-texts/1", 0, b"")),
        lambda data, key: b"",
    ],
    ids=[
        "truncated",
        "zeroed tail",
        "another format",
        "other texts",
        "a part missing",
        "an owner past the last",
        "a shingle past the last",
        "members past the last",
        "the old format",
        "empty",
    ],
)
def test_a_damaged_cache_file_is_rebuilt(tmp_path: Path, damage: object) -> None:
    directory = _texts(tmp_path / "texts")
    cache = tmp_path / "cache"
    built = cached_references(directory, cache)
    (path,) = (cache / "license-texts").iterdir()
    digest = texts._texts_digest(directory)
    assert callable(damage)
    path.write_bytes(damage(path.read_bytes(), digest))
    assert texts._load_references(cachefile.read(texts.FORMAT, digest, path)) is None
    assert cached_references(directory, cache) == built
    assert texts._load_references(cachefile.read(texts.FORMAT, digest, path)) == built


def test_a_changed_text_is_shingled_again(tmp_path: Path) -> None:
    directory = _texts(tmp_path / "texts")
    cache = tmp_path / "cache"
    cached_references(directory, cache)
    (directory / "Short.txt").write_text("Do what you like with it.\n")
    changed = cached_references(directory, cache)
    assert sorted(changed.items[1].shingles) == [
        "do what you like",
        "what you like with",
        "you like with it",
    ]
    assert len(list((cache / "license-texts").iterdir())) == 2


def test_an_unwritable_cache_is_no_error(tmp_path: Path) -> None:
    directory = _texts(tmp_path / "texts")
    cache = tmp_path / "cache"
    cache.write_text("a file where the directory should be")
    assert cached_references(directory, cache) == load_references(directory)


def test_loaded_references_make_their_shingle_sets_when_asked(tmp_path: Path) -> None:
    """A match needs how many shingles a reference has (the index says which it holds): a
    loaded reference makes its set only when asked for it."""
    directory = _texts(tmp_path / "texts")
    cache = tmp_path / "cache"
    built = cached_references(directory, cache)
    loaded = cached_references(directory, cache)
    assert [r.size for r in loaded.items] == [len(r.shingles) for r in built.items] == [20, 3]
    assert [r._made for r in loaded.items] == [None, None]
    assert loaded.items[1].shingles == built.items[1].shingles
    assert loaded.items[1]._made is not None and loaded.items[0]._made is None
    assert loaded.items == built.items


def test_a_text_changed_in_place_with_its_times_put_back_is_shingled_again(
    tmp_path: Path,
) -> None:
    """The cache file is named by each text's name, size and times, not its bytes: a text
    changed in place, to the same size and with its modification time put back, still
    names another file (its change time moved), and no text is read to name it."""
    directory = _texts(tmp_path / "texts")
    cache = tmp_path / "cache"
    before = texts._texts_digest(directory)
    assert cached_references(directory, cache).items[1].size == 3
    short = directory / "Short.txt"
    st = short.stat()
    short.write_text(_TEXTS["Short.txt"].replace("want", "wish"))
    os.utime(short, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (short.stat().st_size, short.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    assert texts._texts_digest(directory) != before
    changed = cached_references(directory, cache)
    assert sorted(changed.items[1].shingles) == [
        "do what you wish",
        "what you wish with",
        "you wish with it",
    ]
    assert len(list((cache / "license-texts").glob("*.bin"))) == 2
