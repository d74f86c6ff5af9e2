"""bashlex's parser tables kept between runs (audit/shell/bashlex_tables.py): built and kept
by the first import, read by the next ones, the same parser either way, and built again
from anything that does not check."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from audit.shell import bashlex_tables

SCRIPTS = (
    "if [ -f x ]; then make -C a install && cd b; fi",
    "for i in 1 2; do echo $i | tee f; done; (cd sub && make) || exit 1",
    'f() { curl -fsSL "https://example.org/$V/x.tgz" | tar xz; }; f',
    "while read l; do pip install $l; done < requirements.txt",
)


def _dumps(module: ModuleType) -> list[str]:
    return [node.dump() for script in SCRIPTS for node in module.parse(script)]


@pytest.fixture
def fresh() -> Iterator[list[tuple[str, object]]]:
    """bashlex unloaded for the test (and the test's imports of it dropped after it); the
    calls of the module's cache reader and writer, in order."""
    saved = {n: m for n, m in sys.modules.items() if n == "bashlex" or n.startswith("bashlex.")}
    for name in saved:
        del sys.modules[name]
    calls: list[tuple[str, object]] = []
    read, write = bashlex_tables._read, bashlex_tables._write

    def reading(path: Path, key: str, productions: int) -> object:
        got = read(path, key, productions)
        calls.append(("read", got is not None))
        return got

    def writing(path: Path, key: str, tables: bashlex_tables.Tables) -> None:
        calls.append(("write", path.name))
        write(path, key, tables)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bashlex_tables, "_read", reading)
        patch.setattr(bashlex_tables, "_write", writing)
        try:
            yield calls
        finally:
            for name in [n for n in sys.modules if n == "bashlex" or n.startswith("bashlex.")]:
                del sys.modules[name]
            sys.modules.update(saved)


def _unload() -> None:
    for name in [n for n in sys.modules if n == "bashlex" or n.startswith("bashlex.")]:
        del sys.modules[name]


def test_tables_are_built_once_then_read(tmp_path: Path, fresh: list[tuple[str, object]]) -> None:
    built = bashlex_tables.load(tmp_path)
    kept = list((tmp_path / "bashlex").iterdir())
    assert len(kept) == 1 and kept[0].suffix == ".bin"
    assert fresh == [("read", False), ("write", kept[0].name)]
    _unload()
    read = bashlex_tables.load(tmp_path)
    assert read is not built
    assert fresh[2:] == [("read", True)]  # nothing built, nothing written
    assert read.parser.yaccparser.action == built.parser.yaccparser.action
    assert read.parser.yaccparser.goto == built.parser.yaccparser.goto
    assert _dumps(read) == _dumps(built)
    assert "CompoundNode" in _dumps(read)[0]


def test_a_damaged_file_is_built_again(tmp_path: Path, fresh: list[tuple[str, object]]) -> None:
    bashlex_tables.load(tmp_path)
    (kept,) = (tmp_path / "bashlex").iterdir()
    data = bytearray(kept.read_bytes())
    data[-10] ^= 0xFF
    kept.write_bytes(bytes(data))
    _unload()
    again = bashlex_tables.load(tmp_path)
    assert fresh == [("read", False), ("write", kept.name), ("read", False), ("write", kept.name)]
    assert len(_dumps(again)) == 4


def test_without_a_cache_directory_bashlex_is_imported_as_it_is(
    fresh: list[tuple[str, object]],
) -> None:
    module = bashlex_tables.load(None)
    assert module is sys.modules["bashlex"]
    assert fresh == []
    assert len(_dumps(module)) == 4


def test_an_imported_bashlex_is_returned_as_it_is(
    tmp_path: Path, fresh: list[tuple[str, object]]
) -> None:
    first = bashlex_tables.load(tmp_path)
    assert bashlex_tables.load(tmp_path) is first
    assert [c for c, _ in fresh] == ["read", "write"]


def _tables() -> tuple[dict[int, dict[str, int | None]], dict[int, dict[str, int]]]:
    action = {0: {"WORD": 1, "IF": 2}, 1: {"$end": -1, "WORD": -2}, 2: {"$end": 0, "FI": None}}
    goto = {0: {"command": 1}, 2: {"list": 2}}
    return action, goto


def test_tables_are_used_only_when_every_entry_names_a_state_or_production() -> None:
    action, goto = _tables()
    assert bashlex_tables.valid(action, goto, productions=3)
    assert not bashlex_tables.valid(action, goto, productions=2)  # reduce by production 2
    assert not bashlex_tables.valid({**action, 1: {"WORD": 3}}, goto, 3)  # no state 3
    assert not bashlex_tables.valid({0: action[0], 2: action[2]}, goto, 3)  # no state 1
    assert not bashlex_tables.valid(action, {5: {"list": 0}}, 3)  # goto from no state
    assert not bashlex_tables.valid(action, {0: {"list": -1}}, 3)  # goto to no state
    assert not bashlex_tables.valid(action, {0: {"list": None}}, 3)  # goto to no state
    assert not bashlex_tables.valid({**action, 0: {1: 1}}, goto, 3)  # symbol not text
    assert not bashlex_tables.valid({**action, 0: {"WORD": 1.0}}, goto, 3)
    assert not bashlex_tables.valid([], goto, 3)
    assert not bashlex_tables.valid({}, {}, 3)


def test_tables_in_a_folder_open_to_others_are_not_read(
    tmp_path: Path, fresh: list[tuple[str, object]]
) -> None:
    bashlex_tables.load(tmp_path)
    (tmp_path / "bashlex").chmod(0o755)
    _unload()
    bashlex_tables.load(tmp_path)
    assert fresh[2] == ("read", False)
