"""The compiled methods of data classes kept between runs (audit/classcode.py): the same
classes from kept code, and a damaged, foreign or shared file never used."""

from __future__ import annotations

import dataclasses
import marshal
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from audit import classcode
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
