"""Per-repository configuration: ``.depaudit.toml`` or ``[tool.depaudit]`` in pyproject.toml.

Configuration is data: it is parsed as TOML and validated key by key; a wrong type is a
:class:`~audit.errors.ConfigError` naming the file, the key and what was expected. Command
line options override the file.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_NAME = ".depaudit.toml"


@dataclass(frozen=True)
class Config:
    path: str | None = None
    """The file the configuration came from (None: defaults)."""
    project: str | None = None
    exclude: tuple[str, ...] = ()
    max_file_size: int | None = None
    policy: str | None = None
    exceptions: tuple[str, ...] = ()
    waivers: str | None = None
    curations: str | None = None
    remove: tuple[str, ...] = ()
    """Components the team decided to remove (names or ids)."""
    replace: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Image name -> allowed alternatives to offer."""
    published_images: tuple[str, ...] = ()
    fail_on: str | None = None
    sources: dict[str, str] = field(default_factory=dict)
    """Bundled component name -> local checkout path."""


_STR_LISTS = ("exclude", "exceptions", "remove", "published_images")
_STRS = ("project", "policy", "waivers", "curations", "fail_on")
_KNOWN = {*_STR_LISTS, *_STRS, "max_file_size", "replace", "sources"}


def _expect(cond: bool, path: str, key: str, what: str) -> None:
    if not cond:
        raise ConfigError(f"expected {what}", path=path, key=key)


def parse_config(data: dict[str, Any], path: str) -> Config:
    """Validate a configuration table (already parsed from TOML)."""
    unknown = sorted(set(data) - _KNOWN)
    if unknown:
        raise ConfigError(
            f"unknown key (known keys: {', '.join(sorted(_KNOWN))})", path=path, key=unknown[0]
        )
    kw: dict[str, Any] = {"path": path}
    for key in _STRS:
        if key in data:
            _expect(isinstance(data[key], str), path, key, "a string")
            kw[key] = data[key]
    for key in _STR_LISTS:
        if key in data:
            val = data[key]
            _expect(
                isinstance(val, list) and all(isinstance(v, str) for v in val),
                path,
                key,
                "a list of strings",
            )
            kw[key] = tuple(val)
    if "max_file_size" in data:
        val = data["max_file_size"]
        _expect(
            isinstance(val, int) and not isinstance(val, bool) and val > 0,
            path,
            "max_file_size",
            "a positive integer (bytes)",
        )
        kw["max_file_size"] = val
    if "replace" in data:
        table = data["replace"]
        _expect(isinstance(table, dict), path, "replace", "a table of image = [alternatives]")
        out: dict[str, tuple[str, ...]] = {}
        for k, v in table.items():
            _expect(
                isinstance(v, list) and all(isinstance(x, str) for x in v),
                path,
                f"replace.{k}",
                "a list of image names",
            )
            out[k] = tuple(v)
        kw["replace"] = out
    if "sources" in data:
        table = data["sources"]
        _expect(isinstance(table, dict), path, "sources", "a table of name = path")
        for k, v in table.items():
            _expect(isinstance(v, str), path, f"sources.{k}", "a path string")
        kw["sources"] = dict(table)
    return Config(**kw)


def _load_toml(path: Path, shown: str | None = None) -> dict[str, Any]:
    """The TOML table in ``path``; errors name it as ``shown`` (default: the path)."""
    where = shown or str(path)
    try:
        with path.open("rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
            return data
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=where) from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", path=where) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=where) from None


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """The configuration for a scan of ``root``: ``--config`` file, else the root's own."""
    if explicit is not None:
        data = _load_toml(explicit)
        if explicit.name == "pyproject.toml":
            data = data.get("tool", {}).get("depaudit", {})
        return parse_config(data, str(explicit))
    own = root / CONFIG_NAME
    if own.is_file() and not own.is_symlink():
        return parse_config(_load_toml(own, CONFIG_NAME), CONFIG_NAME)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and not pyproject.is_symlink():
        try:
            data = _load_toml(pyproject)
        except ConfigError:
            return Config()  # the pyproject scanner reports it; no depaudit table to read
        table = data.get("tool", {}).get("depaudit")
        if isinstance(table, dict):
            return parse_config(table, "pyproject.toml [tool.depaudit]")
    return Config()
