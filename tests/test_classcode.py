"""The compiled methods of data classes and the programs of regular expressions kept
between runs (audit/classcode.py): the same classes and patterns from kept code, and a
damaged, foreign or shared file never used."""

from __future__ import annotations

import dataclasses
import marshal
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from audit import classcode, spdx
from audit.licenses import cachefile

TAG = sys.implementation.cache_tag


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Path]:
    """A cache directory of the test's own, with this process's store set aside."""
    saved = classcode._STORE
    classcode.uninstall()
    yield tmp_path
    classcode.uninstall()
    if saved is not None:
        classcode._STORE = saved
        dataclasses.exec = classcode._exec  # type: ignore[attr-defined]
        classcode._RE_COMPILER.compile = classcode._compile


def _define() -> type:
    @dataclasses.dataclass(frozen=True)
    class Point:
        x: int
        label: str = "origin"
        tags: tuple[str, ...] = ()

    return Point


def _check(point: type) -> None:
    """What the class does, whichever way its methods were compiled."""
    p = point(1, "a")
    assert p == point(1, "a")
    assert p != point(2, "a")
    assert hash(p) == hash(point(1, "a"))
    assert repr(p) == "_define.<locals>.Point(x=1, label='a', tags=())"
    assert point(3).label == "origin"
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x = 2  # type: ignore[misc]


def _first_run(cache: Path) -> int:
    """Define the class with nothing kept, keep its code; how many texts were compiled."""
    classcode.install(cache)
    _check(_define())
    assert classcode.hits() == 0
    compiled = classcode.compiled()
    assert compiled > 0
    classcode.save()
    classcode.uninstall()
    return compiled


def test_second_run_compiles_nothing(store: Path) -> None:
    compiled = _first_run(store)
    path = store / "classcode" / f"{TAG}.bin"
    assert path.is_file()
    if os.name == "posix":
        assert path.stat().st_mode & 0o077 == 0
    classcode.install(store)
    _check(_define())
    assert (classcode.hits(), classcode.compiled()) == (compiled, 0)


def test_install_twice_keeps_the_first_store(
    store: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    compiled = _first_run(store)
    classcode.install(store)
    classcode.install(tmp_path_factory.mktemp("other"))  # changes nothing
    _check(_define())
    assert classcode.hits() == compiled


def test_uninstalled_dataclasses_compile_as_python_does(store: Path) -> None:
    _first_run(store)
    assert "exec" not in vars(dataclasses)
    _check(_define())
    assert (classcode.hits(), classcode.compiled()) == (0, 0)


def test_damaged_file_is_not_used_and_is_replaced(store: Path) -> None:
    compiled = _first_run(store)
    path = store / "classcode" / f"{TAG}.bin"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    classcode.install(store)
    _check(_define())
    assert (classcode.hits(), classcode.compiled()) == (0, compiled)
    classcode.save()
    classcode.uninstall()
    classcode.install(store)
    _check(_define())
    assert classcode.hits() == compiled


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_file_others_may_write_is_not_used(store: Path) -> None:
    _first_run(store)
    path = store / "classcode" / f"{TAG}.bin"
    path.chmod(0o664)
    classcode.install(store)
    _check(_define())
    assert classcode.hits() == 0


def test_other_interpreter_or_format_is_not_used(store: Path) -> None:
    _first_run(store)
    path = store / "classcode" / f"{TAG}.bin"
    entries = cachefile.read(classcode.FORMAT, classcode.KEY, path, mine=True)
    assert entries is not None
    for fmt, key in (
        (classcode.FORMAT, "cpython-399 3.99.0"),
        ("depaudit/classcode/0", classcode.KEY),
    ):
        cachefile.write(path, cachefile.dump(fmt, key, entries.value))
        classcode.install(store)
        _check(_define())
        assert classcode.hits() == 0
        classcode.uninstall()


def test_entry_that_is_not_code_is_compiled(store: Path) -> None:
    compiled = _first_run(store)
    path = store / "classcode" / f"{TAG}.bin"
    loaded = cachefile.read(classcode.FORMAT, classcode.KEY, path, mine=True)
    assert loaded is not None
    texts = list(loaded.value)
    bad = {texts[0]: b"\x00not marshal", **{t: marshal.dumps(42) for t in texts[1:]}}
    cachefile.write(path, cachefile.dump(classcode.FORMAT, classcode.KEY, bad))
    classcode.install(store)
    _check(_define())
    assert (classcode.hits(), classcode.compiled()) == (0, compiled)


def test_command_line_keeps_the_code_of_its_classes(tmp_path: Path) -> None:
    env = {**os.environ, "DEPAUDIT_CACHE_DIR": str(tmp_path)}
    run = [sys.executable, "-m", "audit", "license", "MIT", "--offline"]
    done = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout.splitlines()[0]) == (0, "MIT: allowed")
    path = tmp_path / "classcode" / f"{TAG}.bin"
    loaded = cachefile.read(classcode.FORMAT, classcode.KEY, path, mine=True)
    assert loaded is not None
    assert loaded.value
    # the patterns of the modules it imported too (audit/spdx.py's license-id token), and
    # logging's: it is imported after the kept file is read (by what logs, not to read it)
    assert f"{classcode._PATTERN}0s\0{spdx._TOKEN.pattern}" in loaded.value
    import logging

    percent = logging.PercentStyle.validation_pattern.pattern  # compiled with re.I
    assert f"{classcode._PATTERN}{int(re.IGNORECASE)}s\0{percent}" in loaded.value
    kept = path.stat().st_mtime_ns
    again = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120)
    assert again.stdout == done.stdout
    assert path.stat().st_mtime_ns == kept  # nothing new was compiled: the file is not rewritten


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_folder_others_may_enter_is_not_used(store: Path) -> None:
    """A cache folder inside a checked-out tree (0755 under the usual umask) is not trusted
    with code, even where the file itself is the user's own and private."""
    compiled = _first_run(store)
    folder = store / "classcode"
    assert folder.stat().st_mode & 0o777 == 0o700  # as depaudit made it
    folder.chmod(0o755)
    classcode.install(store)
    _check(_define())
    assert (classcode.hits(), classcode.compiled()) == (0, compiled)


PATTERNS: tuple[tuple[str | bytes, int], ...] = (
    # audit/shell/makefile.py's variable assignment, named groups
    (r"^(?P<name>[A-Za-z_][A-Za-z0-9_.]*)\s*(?P<op>[?:+!]?=)\s*(?P<value>.*)$", 0),
    # PyYAML's reader: a large class of code points
    ("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", 0),
    (rb"\x00+(?P<pair>ab|cd)", 0),
    ("spdx-license-identifier: (.+)  # a comment\n", re.IGNORECASE | re.VERBOSE),
    ("stra\u00dfe", re.IGNORECASE),
    (r"(a)(?:b)(?P<c>c)?$", re.MULTILINE),
)
"""Patterns of every kind: text and bytes, flags, groups by number and by name."""


def _compile_all() -> list[re.Pattern[str] | re.Pattern[bytes]]:
    re.purge()  # what re compiled before is asked again
    return [re.compile(p, f) for p, f in PATTERNS]


def _check_patterns(compiled: list[re.Pattern[str] | re.Pattern[bytes]]) -> None:
    """What the patterns do, however they were compiled."""
    name, bad, pair, ident, street, groups = compiled
    m = name.match("CFLAGS += -O2")
    assert m is not None and m.groupdict() == {"name": "CFLAGS", "op": "+=", "value": "-O2"}
    assert bad.search("ok\x01") is not None and bad.search("ok\u00e9") is None
    assert pair.search(b"x\x00\x00cd").group("pair") == b"cd"  # type: ignore[union-attr]
    # verbose: the space of the pattern is no part of it
    assert ident.search("// SPDX-License-Identifier: MIT").group(1) == " MIT"  # type: ignore[union-attr]
    assert street.fullmatch("STRASSE") is None and street.fullmatch("STRA\u1e9eE") is not None
    assert groups.search("x\nab").groups() == ("a", None)  # type: ignore[union-attr]
    assert (groups.groups, dict(groups.groupindex)) == (2, {"c": 2})


def test_patterns_are_kept_and_compile_as_re_does(store: Path) -> None:
    plain = _compile_all()  # not installed: re's own compiler
    _check_patterns(plain)
    classcode.install(store)
    first = _compile_all()
    assert (classcode.pattern_hits(), classcode.patterns_compiled()) == (0, len(PATTERNS))
    classcode.save()
    classcode.uninstall()
    classcode.install(store)
    second = _compile_all()
    assert (classcode.pattern_hits(), classcode.patterns_compiled()) == (len(PATTERNS), 0)
    # equal patterns: the same text, flags and engine program
    assert second == first == plain
    assert [p.flags for p in second] == [p.flags for p in plain]
    _check_patterns(second)


def test_an_engine_that_disagrees_keeps_re_its_compiler(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # another interpreter's re may hand its engine other arguments: its patterns are then
    # compiled by re alone (data classes are still kept)
    def other(pattern: str | bytes, flags: int) -> tuple[object, ...]:
        return (flags, [], 0, {}, ())

    monkeypatch.setattr(classcode, "_program", other)
    classcode.install(store)
    assert classcode._RE_COMPILER.compile is classcode._RE_COMPILE
    assert dataclasses.exec is classcode._exec  # type: ignore[attr-defined]
    first = _compile_all()
    _check_patterns(first)
    assert (classcode.pattern_hits(), classcode.patterns_compiled()) == (0, 0)


def test_invalid_pattern_raises_as_re_does(store: Path) -> None:
    classcode.install(store)
    re.purge()
    with pytest.raises(re.error) as caught:
        re.compile("(unclosed [a-")
    assert (caught.value.msg, caught.value.pos) == ("unterminated character set", 10)
    assert classcode.patterns_compiled() == 0


def test_debug_patterns_are_not_kept(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    classcode.install(store)
    re.purge()
    assert re.compile("ab+", re.DEBUG).fullmatch("abb") is not None
    assert "LITERAL 97" in capsys.readouterr().out  # re printed its program, as it does
    assert classcode.patterns_compiled() == 0


def test_uninstall_gives_re_its_compiler_back(store: Path) -> None:
    original = classcode._RE_COMPILER.compile
    classcode.install(store)
    assert classcode._RE_COMPILER.compile is classcode._compile
    classcode.uninstall()
    assert classcode._RE_COMPILER.compile is original is classcode._RE_COMPILE


def test_program_that_does_not_load_is_compiled_again(store: Path) -> None:
    classcode.install(store)
    _compile_all()
    classcode.save()
    classcode.uninstall()
    path = store / "classcode" / f"{TAG}.bin"
    loaded = cachefile.read(classcode.FORMAT, classcode.KEY, path, mine=True)
    assert loaded is not None
    keys = [t for t in loaded.value if t.startswith(classcode._PATTERN)]
    assert len(keys) == len(PATTERNS)
    broken = [
        b"\x00not marshal",
        marshal.dumps(42),  # not the engine's arguments
        marshal.dumps((0, [999_999], 0, {}, (None,))),  # a program the engine refuses
        marshal.dumps((0, "code", 0, {}, (None,))),
    ]
    bad = {t: broken[i % len(broken)] for i, t in enumerate(keys)}
    cachefile.write(path, cachefile.dump(classcode.FORMAT, classcode.KEY, bad))
    classcode.install(store)
    again = _compile_all()
    assert (classcode.pattern_hits(), classcode.patterns_compiled()) == (0, len(PATTERNS))
    _check_patterns(again)
