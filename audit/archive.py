"""Safe extraction of source archives (tar, tar.gz/.bz2/.xz, zip) for auditing, never running.

A bundled archive comes from the network or from a git mirror: it is untrusted. What is
written is data only, under one destination directory:

- member names are checked before anything is written: an absolute name (``/x``, ``C:x``),
  a ``..`` component, a backslash or a NUL refuses the whole archive (:class:`ArchiveError`);
  no legitimate source archive has one;
- links are never created. A symlink or hard link whose target is a regular file inside the
  archive is written as a copy of that file (so a ``LICENSE -> COPYING`` link still reads);
  one pointing outside the archive, or at a directory, is skipped and listed. Device files
  and FIFOs are skipped; ``.git`` entries are skipped (a ``.git`` directory in a tree would
  make later git commands read the archive's own configuration);
- limits stop archive bombs before the work is done: the number of members, the size each
  member declares, the sum of declared sizes (which also bounds the decompression work, as
  skipped members are still decompressed to reach the next one) and the ratio of that sum
  to the compressed size. Bytes are counted as they are written, so a zip header that lies
  about a size is caught too;
- tar extended headers (PAX records, GNU long names and links) are sized before they are
  read: one over ``max_header_bytes``, or all of them together over ``max_total_bytes``,
  refuses the archive (tarfile reads each one whole into memory: 1.5 GiB from a few
  megabytes of gzip). A zip's central directory is counted before it is parsed (zipfile
  builds an object per entry: 3 million directory entries took 2 GB before any limit);
- files are written ``0o644`` and directories ``0o755``: nothing extracted is executable,
  and no owner, time or mode is taken from the archive.
"""

from __future__ import annotations

import io
import os
import posixpath
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

_CHUNK = 1 << 16
_MAX_LINK_HOPS = 16


class ArchiveError(Exception):
    """The archive is refused as a whole (malformed, hostile, or over a limit)."""


@dataclass(frozen=True)
class Limits:
    """Bounds on what one archive may make us write (defaults fit large source trees)."""

    max_members: int = 100_000
    max_file_bytes: int = 64 * 1024 * 1024
    """A member declaring more is skipped (listed); one writing more refuses the archive."""
    max_total_bytes: int = 1024 * 1024 * 1024
    """Sum of the sizes every member declares, written or not."""
    max_ratio: int = 200
    """Largest declared-size / archive-size ratio, checked above ``ratio_floor`` bytes."""
    ratio_floor: int = 32 * 1024 * 1024
    max_name_chars: int = 1024
    max_header_bytes: int = 1024 * 1024
    """Largest tar extended header (PAX, GNU long name or link): refused before it is read."""


@dataclass(frozen=True)
class Extracted:
    """What was written."""

    root: Path
    """The tree's root: the destination, or the archive's single top-level directory
    (``libs-0e0b4e8e/`` in a GitHub archive)."""
    files: int
    bytes: int
    skipped: tuple[tuple[str, str], ...]
    """``(member name, reason)`` for every member not written, in archive order."""


@dataclass(frozen=True)
class _Member:
    """One member of an archive, as its listing gives it."""

    name: str
    """Normalized relative path."""
    kind: str
    """file, dir, symlink, hardlink or other."""
    size: int
    link: str = ""
    """The link target as stored (symlinks: relative to the link; hard links: a member)."""


def safe_name(name: str) -> str | None:
    """The normalized relative path of a member name, or ``None`` if it may escape.

    ``./a//b/`` -> ``a/b``; ``/a``, ``../a``, ``a/../../b``, ``C:a``, ``a\\b`` -> None. A name
    that normalizes to nothing (``./``) is ``""``.
    """
    if not name or "\0" in name or "\\" in name:
        return None
    if name.startswith("/") or (len(name) >= 2 and name[1] == ":"):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None
    return "/".join(parts)


def _is_git(path: str) -> bool:
    return ".git" in path.split("/")


def _link_target(member: _Member) -> str | None:
    """The member path a link designates, or None when it leaves the archive."""
    if member.kind == "hardlink":
        return safe_name(member.link)
    if member.link.startswith("/"):
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(member.name), member.link))
    if joined == ".." or joined.startswith("../") or joined.startswith("/"):
        return None
    return "" if joined == "." else joined


class _Writer:
    def __init__(self, dest: Path, limits: Limits) -> None:
        self.dest = dest
        self.real_dest = os.path.realpath(dest)
        self.limits = limits
        self.files = 0
        self.written = 0
        self.skipped: list[tuple[str, str]] = []
        self.regular: set[str] = set()
        self.dirs: set[str] = set()

    def _inside(self, path: str) -> bool:
        return path == self.real_dest or path.startswith(self.real_dest + os.sep)

    def mkdirs(self, rel: str) -> Path:
        """Create ``rel`` (and parents) as real directories under dest."""
        cur = self.dest
        for part in [p for p in rel.split("/") if p]:
            cur = cur / part
            try:
                os.mkdir(cur, 0o755)
            except FileExistsError:
                if cur.is_symlink() or not cur.is_dir():
                    raise ArchiveError(f"{rel}: a file is in the way of a directory") from None
        if not self._inside(os.path.realpath(cur)):
            raise ArchiveError(f"{rel}: escapes the destination")  # pragma: no cover
        return cur

    def write(self, rel: str, chunks: Iterator[bytes]) -> None:
        parent = self.mkdirs(posixpath.dirname(rel))
        target = parent / posixpath.basename(rel)
        if target.is_symlink() or target.is_dir():
            raise ArchiveError(f"{rel}: a directory or link is in the way of a file")
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(target, flags, 0o644)
        size = 0
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > self.limits.max_file_bytes:
                    raise ArchiveError(
                        f"{rel}: more data than the {self.limits.max_file_bytes}-byte limit"
                    )
                self.written += len(chunk)
                if self.written > self.limits.max_total_bytes:
                    raise ArchiveError(
                        f"more than {self.limits.max_total_bytes} bytes once extracted"
                    )
                out.write(chunk)
        self.files += 1
        self.regular.add(rel)


def _chunks(fh: IO[bytes]) -> Iterator[bytes]:
    while True:
        chunk = fh.read(_CHUNK)
        if not chunk:
            return
        yield chunk


def _check_plan(members: list[_Member], compressed: int, limits: Limits) -> None:
    if len(members) > limits.max_members:
        raise ArchiveError(f"{len(members)} members, over the limit of {limits.max_members}")
    declared = sum(m.size for m in members)
    if declared > limits.max_total_bytes:
        raise ArchiveError(
            f"members declare {declared} bytes, over the limit of {limits.max_total_bytes}"
        )
    if declared > limits.ratio_floor and declared > limits.max_ratio * max(compressed, 1):
        raise ArchiveError(
            f"members declare {declared} bytes from {compressed} compressed bytes: "
            f"a ratio over {limits.max_ratio} looks like an archive bomb"
        )


_TAR_HEADERS = frozenset({b"L", b"K", b"x", b"g", b"X"})
"""tar member types whose data is a header for the next member, read whole by tarfile."""


def _tarinfo(limits: Limits) -> type[tarfile.TarInfo]:
    """A TarInfo that sizes each extended header against ``limits`` before tarfile reads it."""
    seen = [0]

    class Sized(tarfile.TarInfo):
        def _proc_member(self, tar: tarfile.TarFile) -> tarfile.TarInfo:
            if self.type in _TAR_HEADERS:
                if self.size > limits.max_header_bytes:
                    raise ArchiveError(
                        f"an extended tar header of {self.size} bytes, over the "
                        f"{limits.max_header_bytes}-byte limit"
                    )
                seen[0] += self.size
                if seen[0] > limits.max_total_bytes:
                    raise ArchiveError(
                        f"extended tar headers of more than {limits.max_total_bytes} bytes"
                    )
            member: tarfile.TarInfo = super()._proc_member(tar)  # type: ignore[misc]
            return member

    return Sized


_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
_CENTRAL = b"PK\x01\x02"


def zip_directory_entries(data: bytes) -> int:
    """How many entries a zip's central directory holds at most (counted by their
    signature in the bytes the directory occupies, as zipfile will parse them); 0 when no
    end record is found (zipfile then refuses the archive)."""
    end = data.rfind(_EOCD, max(0, len(data) - 22 - 65535))
    if end < 0 or len(data) < end + 22:
        return 0
    size = int.from_bytes(data[end + 12 : end + 16], "little")
    locator = end - 20
    if locator >= 0 and data[locator : locator + 4] == _EOCD64_LOCATOR:
        record = data.rfind(_EOCD64, 0, locator)
        if record >= 0 and len(data) >= record + 56:
            size = int.from_bytes(data[record + 40 : record + 48], "little")
            end = record
    return data.count(_CENTRAL, max(0, end - size), end)


def _tar_members(tar: tarfile.TarFile, limits: Limits) -> list[tuple[_Member, tarfile.TarInfo]]:
    out: list[tuple[_Member, tarfile.TarInfo]] = []
    declared = 0
    for info in tar:
        if len(out) >= limits.max_members:
            raise ArchiveError(f"more than {limits.max_members} members")
        declared += max(info.size, 0)
        if declared > limits.max_total_bytes:  # stop before decompressing the rest
            raise ArchiveError(
                f"members declare more than {limits.max_total_bytes} bytes, over the limit"
            )
        name = _checked(info.name, limits)
        if info.isreg():
            kind = "file"
        elif info.isdir():
            kind = "dir"
        elif info.issym():
            kind = "symlink"
        elif info.islnk():
            kind = "hardlink"
        else:
            kind = "other"
        size = info.size if kind == "file" else 0
        out.append((_Member(name, kind, size, info.linkname or ""), info))
    # tarfile ends quietly at a header cut short; reading the rest of a compressed stream
    # to its end makes gzip, bz2 and xz report a truncated or corrupted archive.
    rest = tar.fileobj
    if rest is not None:
        rest.seek(tar.offset)
        while rest.read(_CHUNK):
            pass
    return out


def _checked(raw: str, limits: Limits) -> str:
    if len(raw) > limits.max_name_chars:
        raise ArchiveError(f"member name longer than {limits.max_name_chars} characters")
    name = safe_name(raw)
    if name is None:
        raise ArchiveError(f"member {raw!r} escapes the archive root")
    return name


def _zip_members(zf: zipfile.ZipFile, limits: Limits) -> list[tuple[_Member, zipfile.ZipInfo]]:
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise ArchiveError(f"{len(infos)} members, over the limit of {limits.max_members}")
    out: list[tuple[_Member, zipfile.ZipInfo]] = []
    for info in infos:
        name = _checked(info.filename, limits)
        mode = (info.external_attr >> 16) & 0o170000
        if info.is_dir():
            kind = "dir"
        elif mode == 0o120000:
            kind = "symlink"
        elif mode in (0, 0o100000):
            kind = "file"
        else:
            kind = "other"
        size = info.file_size if kind == "file" else 0
        link = ""
        if kind == "symlink":  # a zip symlink's target is its content
            if info.file_size > 4096:
                raise ArchiveError(f"symlink {name!r} has a {info.file_size}-byte target")
            link = zf.read(info).decode("utf-8", "replace")
        out.append((_Member(name, kind, size, link), info))
    return out


def _finish_links(writer: _Writer, links: list[_Member]) -> None:
    """Write each link to a regular file inside the archive as a copy of that file."""
    by_name = {m.name: m for m in links}
    for link in links:
        target: str | None = link.name
        hops = 0
        current: _Member | None = link
        while current is not None and hops < _MAX_LINK_HOPS:
            target = _link_target(current)
            if target is None:
                break
            current = by_name.get(target)
            hops += 1
        if target is None:
            writer.skipped.append((link.name, f"{link.kind} to outside the archive: not extracted"))
        elif current is not None:
            writer.skipped.append((link.name, f"{link.kind} loop or chain too long: not extracted"))
        elif target not in writer.regular:
            writer.skipped.append((link.name, f"{link.kind} to a directory or missing member"))
        else:
            source = writer.dest / target

            def copy(path: Path = source) -> Iterator[bytes]:
                fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
                with os.fdopen(fd, "rb") as fh:
                    yield from _chunks(fh)

            writer.write(link.name, copy())


def _top_dir(names: list[str]) -> str | None:
    """The single top-level directory holding every member, if there is one."""
    firsts = {n.split("/", 1)[0] for n in names}
    if len(firsts) != 1:
        return None
    top = firsts.pop()
    return top if any(n.startswith(top + "/") for n in names) else None


def extract_archive(data: bytes, dest: Path, *, limits: Limits | None = None) -> Extracted:
    """Extract ``data`` (a tar, compressed tar or zip archive) under ``dest``, safely.

    ``dest`` must be an empty directory the caller owns. Raises :class:`ArchiveError` when
    the archive is refused (see the module docstring); nothing it wrote is then to be used.
    """
    limits = limits or Limits()
    dest.mkdir(parents=True, exist_ok=True)
    writer = _Writer(dest, limits)
    links: list[_Member] = []
    names: list[str] = []
    try:
        if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
            _extract_zip(data, writer, links, names)
        else:
            _extract_tar(data, writer, links, names)
    except ArchiveError:
        raise
    except Exception as exc:  # tarfile, zipfile, gzip, bz2, lzma and zlib each raise their own
        reason = " ".join(str(exc).split())  # one line: it ends up in a report
        raise ArchiveError(f"not a readable archive: {type(exc).__name__}: {reason}") from None
    _finish_links(writer, links)
    top = _top_dir([n for n in names if n])
    root = dest / top if top and (dest / top).is_dir() else dest
    return Extracted(root, writer.files, writer.written, tuple(writer.skipped))


def _extract_zip(data: bytes, writer: _Writer, links: list[_Member], names: list[str]) -> None:
    entries = zip_directory_entries(data)
    if entries > writer.limits.max_members:
        raise ArchiveError(
            f"a central directory of {entries} entries, over the limit of "
            f"{writer.limits.max_members} members"
        )
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        planned = _zip_members(zf, writer.limits)
        _check_plan([m for m, _ in planned], len(data), writer.limits)
        for member, info in planned:
            names.append(member.name)
            if _admit(writer, member, links):
                with zf.open(info) as fh:
                    writer.write(member.name, _chunks(fh))


def _extract_tar(data: bytes, writer: _Writer, links: list[_Member], names: list[str]) -> None:
    sized = _tarinfo(writer.limits)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*", tarinfo=sized) as tar:
        planned = _tar_members(tar, writer.limits)
        _check_plan([m for m, _ in planned], len(data), writer.limits)
        for member, info in planned:
            names.append(member.name)
            if not _admit(writer, member, links):
                continue
            fh = tar.extractfile(info)
            if fh is not None:
                with fh:
                    writer.write(member.name, _chunks(fh))


def _admit(writer: _Writer, member: _Member, links: list[_Member]) -> bool:
    """Whether to write a regular member now; records directories, links and skips."""
    if not member.name:
        return False
    if _is_git(member.name):
        writer.skipped.append((member.name, "git metadata: not extracted"))
        return False
    if member.kind == "dir":
        writer.mkdirs(member.name)
        writer.dirs.add(member.name)
        return False
    if member.kind in ("symlink", "hardlink"):
        if member.kind == "hardlink" and safe_name(member.link) is None:
            raise ArchiveError(f"hard link {member.name!r} points outside the archive")
        links.append(member)
        return False
    if member.kind != "file":
        writer.skipped.append((member.name, "device, FIFO or other special file: not extracted"))
        return False
    if member.size > writer.limits.max_file_bytes:
        writer.skipped.append(
            (
                member.name,
                f"declares {member.size} bytes, over the {writer.limits.max_file_bytes}-byte limit",
            )
        )
        return False
    return True


__all__ = [
    "ArchiveError",
    "Extracted",
    "Limits",
    "extract_archive",
    "safe_name",
    "zip_directory_entries",
]
