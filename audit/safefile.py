"""Reading the small files that steer an audit (configuration, policy, waivers, curations,
exceptions) without letting a hostile repository block, exhaust or widen the read.

- :func:`read_regular` opens only regular files: a FIFO, socket or device named as a
  waivers or curations file would block the audit forever (or never end), so its type is
  checked before it is opened, and again on the open descriptor (opened non-blocking, so a
  file swapped for a FIFO in between cannot block either). At most ``limit`` bytes are read.
- :func:`load_toml` parses such a file with a bound on nesting: tomllib recurses once per
  nested array or inline table, and 100,000 of them end in ``RecursionError``.
- :func:`inside_root` is the rule for paths named by the *repository's own* configuration:
  relative, and inside the scanned root once symlinks are resolved.

Every failure is a :class:`~audit.errors.ConfigError` naming the file.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Any

from audit.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MAX_BYTES = 8 * 1024 * 1024
"""Default size limit of a configuration, policy, waivers, curations or exceptions file."""
MAX_DEPTH = 100
"""Arrays and tables nested deeper than this are refused (as YAML's limit)."""


def read_regular(path: Path, *, limit: int = MAX_BYTES, shown: str | None = None) -> bytes:
    """The bytes of the regular file at ``path`` (symlinks followed); ConfigError when it is
    missing, not a regular file, unreadable or larger than ``limit``."""
    name = shown or str(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror or exc}", path=name) from None
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError("not a regular file (a FIFO, socket, device or directory)", path=name)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror or exc}", path=name) from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise ConfigError("not a regular file (a FIFO, socket or device)", path=name)
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ConfigError(f"larger than {limit} bytes; not read", path=name)
    return data


def depth_exceeds(data: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and dicts in ``data`` nest deeper than ``limit`` (iteratively)."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def parse_toml(text: str, shown: str) -> dict[str, Any]:
    """TOML text as a table; ConfigError when invalid or nested deeper than MAX_DEPTH."""
    try:
        table: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", path=shown) from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigError(
            f"arrays or tables nest deeper than {MAX_DEPTH} levels; not read", path=shown
        ) from None
    if depth_exceeds(table):
        raise ConfigError(
            f"arrays or tables nest deeper than {MAX_DEPTH} levels; not read", path=shown
        )
    return table


def load_toml(path: Path, *, shown: str | None = None, limit: int = MAX_BYTES) -> dict[str, Any]:
    """The TOML table in the regular file at ``path`` (see :func:`read_regular`)."""
    name = shown or str(path)
    data = read_regular(path, limit=limit, shown=name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", path=name) from None
    return parse_toml(text, name)


def inside_root(root: Path, value: str, *, config: str, key: str) -> Path:
    """The path a repository's configuration names at ``key``, resolved under ``root``;
    ConfigError when it is absolute, starts with ``~`` or leads (through ``..`` or a
    symlink) outside the root."""
    what = "repository configuration may only name files inside the scanned root"
    if not value or value.startswith(("/", "~")) or "\0" in value:
        raise ConfigError(f"{value!r} is not a relative path ({what})", path=config, key=key)
    real_root = os.path.realpath(root)
    target = os.path.realpath(os.path.join(real_root, value))
    if target != real_root and not target.startswith(real_root + os.sep):
        message = f"{value!r} leads outside the scanned root ({what})"
        raise ConfigError(message, path=config, key=key)
    return Path(target)


__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "depth_exceeds",
    "inside_root",
    "load_toml",
    "parse_toml",
    "read_regular",
]
