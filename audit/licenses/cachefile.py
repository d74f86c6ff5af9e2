"""Checked files of compiled license data in the depaudit cache directory.

The license index (:mod:`audit.licenses.ruledb`), the matcher's automaton
(:mod:`audit.licenses.matcher`) and the shingled license texts (:mod:`audit.licenses.texts`)
are compiled once and kept in files of this layout:

- a fixed head (:data:`_HEAD`): a magic string, the CRC-32 of everything after the head,
  the length of the value's bytes, the number of blobs and the length of each;
- the value: ``(format, key, byte order, value)``, :mod:`marshal`-led (plain values only:
  nothing in it can run code; never :mod:`pickle`), read only once the whole file checks;
- the blobs: raw bytes (token strings, integer arrays, the automaton's nodes), one after
  the other, handed back as :class:`memoryview` slices of the file (no copy is made);
  integer arrays are stored as they are in memory (this machine's byte order).

A file is used only when it is whole (lengths), checks (CRC-32), is of the format asked
for and was made from the data asked for (``key``, e.g. the hash of the license database
it was compiled from); otherwise the caller compiles its data again and writes the file
anew. The CRC-32 reads the whole file (18 MB of license data: about 4 ms of every run), so
it is computed once per file: once a file checks, :func:`read` records its identity beside
it (``<name>.checked``: device, inode, size, modification and change times) and a later
read of the very same file takes it as checked. Any change made to a file through the file
system changes its identity: a write, a truncation or a mode change sets its change time,
which only the system clock sets (``os.utime`` can put back the modification time, never
the change time), and a file put in its place is another inode; what the record does not
see is damage below the file system (the disk's own, which its error checks catch). A file
of a different identity is checked again.

The caller still checks the shape of what it loaded (a file of the right format can only be
damaged past its CRC, or planted; a file whose parts go to a library that cannot
check them all, the matcher's automaton, is read only when it is the user's own:
:func:`private`). Files are written atomically
(:mod:`audit.atomicfile`: a new file replaces the old, which is never changed in place, so
that a mapped file stays whole); a cache that cannot be written is logged, never an error.
Writing a file removes the older files of its folder but the :data:`KEEP` most recently
written (a process that has one mapped keeps reading it).
"""

from __future__ import annotations

import marshal
import mmap
import os
import struct
import sys
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from audit import atomicfile
from audit.cachedir import prune

if TYPE_CHECKING:
    import logging


_MAGIC = b"depaudit"
_HEAD = struct.Struct("<8sIQI")
"""Magic, CRC-32 of the rest, length of the marshalled value, number of blobs; then the
length of each blob (:data:`_SIZE`), the value and the blobs."""
_SIZE = struct.Struct("<Q")

KEEP = 4
"""Files kept in each folder. Each is named by what it was made from (the license
database's version and install time, the bundled texts, the interpreter, the grammar):
an upgrade or a new install writes a new one, 12 MB for the license index, and the older
ones are removed, the most recently written but this many kept (a machine may run more
than one depaudit)."""


class Loaded(NamedTuple):
    """What a checked file holds."""

    value: Any
    blobs: tuple[memoryview, ...]


def dump(fmt: str, key: str, value: Any, blobs: Sequence[bytes] = ()) -> bytes:
    """The bytes of a file of format ``fmt`` made from the data ``key`` names, holding
    ``value`` (plain values only) and the raw ``blobs``."""
    meta = marshal.dumps((fmt, key, sys.byteorder, value))
    rest = b"".join([*(_SIZE.pack(len(b)) for b in blobs), meta, *blobs])
    return _HEAD.pack(_MAGIC, zlib.crc32(rest), len(meta), len(blobs)) + rest


def load(fmt: str, key: str, data: bytes | mmap.mmap, check: bool = True) -> Loaded | None:
    """What a file's bytes hold, or ``None`` when they are not a whole file of format
    ``fmt`` made from ``key``, or do not check (``check=False``: the CRC-32 is not computed,
    the bytes are known to check). The blobs are slices of ``data``."""
    view = memoryview(data)
    try:
        magic, crc, meta_size, count = _HEAD.unpack_from(view)
    except struct.error:
        return None
    start = _HEAD.size + count * _SIZE.size
    if magic != _MAGIC or start > len(view):
        return None
    sizes = [n for (n,) in _SIZE.iter_unpack(view[_HEAD.size : start])]
    if start + meta_size + sum(sizes) != len(view) or (
        check and zlib.crc32(view[_HEAD.size :]) != crc
    ):
        return None
    try:
        found, found_key, order, value = marshal.loads(view[start : start + meta_size])
    except (ValueError, TypeError, EOFError):
        return None
    if (found, found_key, order) != (fmt, key, sys.byteorder):
        return None
    blobs: list[memoryview] = []
    at = start + meta_size
    for n in sizes:
        blobs.append(view[at : at + n])
        at += n
    return Loaded(value, tuple(blobs))


def read(fmt: str, key: str, path: Path, mine: bool = False) -> Loaded | None:
    """:func:`load` of the file at ``path`` (``None`` too when it cannot be read).

    The file is mapped into memory rather than read (read where it cannot be mapped): only
    the CRC-32 reads it whole, from the page cache, and the blobs are slices of the mapping
    (shared by every process that maps it, the scan's workers too); the CRC-32 is computed
    only when the file is not the one recorded as checked (see the module's text).
    ``mine``: only a file this user owns and no one else may write, in a folder of the
    user's that is closed to others (:func:`private`, :func:`private_folder`)."""
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if (mine and not (private(st) and private_folder(path.parent))) or (
                st.st_size < _HEAD.size
            ):
                return None
            data: bytes | mmap.mmap
            try:
                data = _map(fh.fileno())
            except (OSError, ValueError):
                data = fh.read()
    except OSError:
        return None
    checked = is_checked(path, st)
    found = load(fmt, key, data, check=not checked)
    if found is not None and not checked:
        record_checked(path, st)
    return found


def is_checked(path: Path, st: os.stat_result) -> bool:
    """Whether the file at ``path``, of status ``st``, is the very file recorded as checked
    (see the module's text)."""
    return _checked(path) == _identity(st)


def record_checked(path: Path, st: os.stat_result) -> None:
    """Record the file at ``path``, of status ``st``, as checked (not when it changed less
    than :data:`SETTLED` ago); for a file of another layout too (the scan cache's JSON,
    :mod:`audit.scancache`): its companion :data:`CHECKED` file is removed with it."""
    if time.time_ns() - st.st_ctime_ns > SETTLED:
        _record(path, _identity(st))


CHECKED = ".checked"
"""The suffix of the record of a file that checked (see the module's text)."""
SETTLED = 2_000_000_000
"""A file changed less than this long ago (nanoseconds) is not recorded as checked: file
systems keep times in ticks (a few milliseconds, up to 2 s on some), and a change made in
the tick the file was last changed in would leave its identity as it was."""


def _identity(st: os.stat_result) -> bytes:
    """What tells a file from any other file or any other state of it (the change time:
    any change made through the file system sets it)."""
    parts = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    return " ".join(map(str, parts)).encode()


def _checked(path: Path) -> bytes | None:
    """The identity recorded as checked for the file at ``path`` (``None``: none)."""
    try:
        with open(path.with_suffix(CHECKED), "rb") as fh:
            return fh.read(200)
    except OSError:
        return None


def _record(path: Path, identity: bytes) -> None:
    """Record ``identity`` as checked for the file at ``path`` (not where the cache cannot
    be written: the file is checked on every read there)."""
    try:
        atomicfile.write(path.with_suffix(CHECKED), identity)
    except OSError as exc:
        _log().debug("cannot record %s as checked: %s", path, exc)


def _map(fd: int) -> mmap.mmap:
    """The file ``fd`` mapped read-only, its pages mapped at once where the system can
    (Linux: fewer page faults than touching them one by one)."""
    populate = getattr(mmap, "MAP_POPULATE", 0)
    if populate:
        return mmap.mmap(fd, 0, flags=mmap.MAP_SHARED | populate, prot=mmap.PROT_READ)
    return mmap.mmap(fd, 0, access=mmap.ACCESS_READ)


def private(st: os.stat_result) -> bool:
    """Whether a file is this user's own and writable by no one else (never where there
    are no user ids to tell: it cannot be known)."""
    getuid = getattr(os, "getuid", None)
    return getuid is not None and st.st_uid == getuid() and not st.st_mode & 0o022


def private_folder(folder: Path) -> bool:
    """Whether ``folder`` is this user's own and no one else may enter it, as depaudit makes
    its cache folders (:mod:`audit.atomicfile`: mode 0700). A folder of a checked-out
    repository (``$DEPAUDIT_CACHE_DIR`` pointed inside an untrusted tree) holds files that
    are the user's own and private too, but is open to others (0755 under the usual
    umask)."""
    getuid = getattr(os, "getuid", None)
    try:
        st = os.stat(folder)
    except OSError:
        return False
    return getuid is not None and st.st_uid == getuid() and not st.st_mode & 0o077


def _log() -> logging.Logger:
    """This module's logger; :mod:`logging` is imported only to log (reading the kept
    classes and patterns, :mod:`audit.classcode`, comes before it: its patterns are kept)."""
    import logging

    return logging.getLogger(__name__)


def write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, then remove the files of its kind (suffix) in
    its folder but the :data:`KEEP` most recently written, with their build locks and
    records (:data:`CHECKED`); a failure is logged, never raised."""
    try:
        atomicfile.write(path, data)
    except OSError as exc:
        _log().warning("cannot cache %s in %s: %s", path.name, path.parent, exc)
        return
    prune(path.parent, path.suffix, KEEP, companions=(".lock", CHECKED))


__all__ = [
    "CHECKED",
    "Loaded",
    "dump",
    "is_checked",
    "load",
    "private",
    "private_folder",
    "read",
    "record_checked",
    "write",
]
