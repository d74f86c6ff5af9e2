"""Per-repository configuration: ``.depaudit.toml`` or ``[tool.depaudit]`` in pyproject.toml.

Configuration is data: it is parsed as TOML and validated key by key; a wrong type is a
:class:`~audit.errors.ConfigError` naming the file, the key and what was expected. Command
line options override the file.

The scanned repository's own configuration (``.depaudit.toml``, ``[tool.depaudit]``) is the
repository's, hence hostile: :func:`confine` keeps it from widening what depaudit reads or
fetches (paths stay inside the root, URLs need ``--allow-config-urls``, limits only go
down). A ``--config FILE`` is the user's own and is taken as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from audit.errors import ConfigError
from audit.safefile import inside_root, load_toml

CONFIG_NAME = ".depaudit.toml"


@dataclass(frozen=True)
class Config:
    """The settings of a tree's ``.depaudit.toml`` (or ``[tool.depaudit]``), defaults where
    unset."""

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
    endpoints: dict[str, str] = field(default_factory=dict)
    """``[endpoints]``: service name (``pypi``, ``registry:quay.io``…) -> base URL (see
    :mod:`audit.endpoints`); a repository's own are used only with ``--allow-config-urls``."""
    from_repository: bool = False
    """True when the scanned repository supplied it (not ``--config``): see :func:`confine`."""
    confined: bool = False
    """True once :func:`confine` has checked a repository's configuration."""
    warnings: tuple[str, ...] = ()
    """What :func:`confine` left out, for the report."""


_STR_LISTS = ("exclude", "exceptions", "remove", "published_images")
_STRS = ("project", "policy", "waivers", "curations", "fail_on")
_KNOWN = {*_STR_LISTS, *_STRS, "max_file_size", "replace", "sources", "endpoints"}


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
    if "endpoints" in data:
        from audit.endpoints import parse_table

        kw["endpoints"] = parse_table(data["endpoints"], path)
    return Config(**kw)


def _load_toml(path: Path, shown: str | None = None) -> dict[str, Any]:
    return load_toml(path, shown=shown)


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """The configuration for a scan of ``root``: ``--config`` file, else the root's own."""
    if explicit is not None:
        data = _load_toml(explicit)
        if explicit.name == "pyproject.toml":
            data = data.get("tool", {}).get("depaudit", {})
        return parse_config(data, str(explicit))
    own = root / CONFIG_NAME
    if own.is_file() and not own.is_symlink():
        config = parse_config(_load_toml(own, CONFIG_NAME), CONFIG_NAME)
        return replace(config, from_repository=True)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and not pyproject.is_symlink():
        try:
            data = _load_toml(pyproject, "pyproject.toml")
        except ConfigError:
            return Config()  # the pyproject scanner reports it; no depaudit table to read
        tool = data.get("tool", {})
        table = tool.get("depaudit") if isinstance(tool, dict) else None
        if isinstance(table, dict):
            config = parse_config(table, "pyproject.toml [tool.depaudit]")
            return replace(config, from_repository=True)
    return Config()


_URL_PREFIXES = ("http://", "https://")
ALLOW_URLS_FLAG = "--allow-config-urls"


def confine(
    config: Config, root: Path, *, allow_urls: bool = False, max_file_size: int | None = None
) -> Config:
    """The repository's configuration made unable to widen what depaudit reads or fetches
    (a ``--config`` file's is returned as it is):

    - ``policy``, ``waivers``, ``curations``, file ``exceptions`` and ``[sources]`` paths
      must be relative and stay inside ``root`` once symlinks are resolved (ConfigError
      otherwise); they are returned absolute;
    - ``exceptions`` URLs, ``@fetch`` sources and ``[endpoints]`` are kept only with
      ``allow_urls`` (the command line's ``--allow-config-urls``), else dropped with a
      warning;
    - ``max_file_size`` may only lower ``max_file_size`` (the default limit): a higher
      value is ignored, with a warning.
    """
    if not config.from_repository or config.confined:
        return config
    where = config.path or CONFIG_NAME
    warnings = list(config.warnings)
    changes: dict[str, Any] = {}

    def rooted(key: str, value: str) -> str:
        if value.endswith(".toml") or "/" in value or key != "policy":
            return str(inside_root(root, value, config=where, key=key))
        return value  # a bundled policy's name

    for key in ("policy", "waivers", "curations"):
        value = getattr(config, key)
        if value is not None:
            changes[key] = rooted(key, value)
    exceptions = []
    for value in config.exceptions:
        if value.startswith(_URL_PREFIXES):
            if allow_urls:
                exceptions.append(value)
            else:
                warnings.append(
                    f"{where}: exceptions source {value} not fetched: URLs in the repository's "
                    f"configuration are used only with {ALLOW_URLS_FLAG}"
                )
            continue
        exceptions.append(rooted("exceptions", value))
    changes["exceptions"] = tuple(exceptions)
    sources = {}
    for name, value in config.sources.items():
        if value == "@fetch":
            if allow_urls:
                sources[name] = value
            else:
                warnings.append(
                    f"{where}: source {name} = {value!r} not fetched: downloads named by the "
                    f"repository's configuration are made only with {ALLOW_URLS_FLAG}"
                )
            continue
        path, auto = (value[: -len("@auto")], "@auto") if value.endswith("@auto") else (value, "")
        sources[name] = str(inside_root(root, path, config=where, key=f"sources.{name}")) + auto
    changes["sources"] = sources
    if config.endpoints and not allow_urls:
        warnings.append(
            f"{where}: [endpoints] not used: the repository's configuration may send "
            f"depaudit's requests elsewhere only with {ALLOW_URLS_FLAG}"
        )
        changes["endpoints"] = {}
    if max_file_size is not None and (config.max_file_size or 0) > max_file_size:
        warnings.append(
            f"{where}: max_file_size = {config.max_file_size} ignored: the repository's "
            f"configuration may only lower the limit ({max_file_size} bytes)"
        )
        changes["max_file_size"] = None
    return replace(config, confined=True, warnings=tuple(warnings), **changes)
