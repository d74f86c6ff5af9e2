"""Where depaudit asks: the base URL of every service, for mirrors, proxies and tests.

Layers, later ones winning: depaudit's defaults (:class:`~audit.http.Endpoints`); the
user's own configuration (``[endpoints]`` in ``$XDG_CONFIG_HOME/depaudit/config.toml``,
``~/.config/depaudit/config.toml`` by default, or the file ``$DEPAUDIT_CONFIG`` names); the
``[endpoints]`` of ``.depaudit.toml`` / ``[tool.depaudit]`` or ``--config``; the environment
(``DEPAUDIT_ENDPOINT_PYPI``, ``…_DEPSDEV``, ``…_CLEARLYDEFINED``, ``…_GITHUB``,
``…_DOCKER_HUB``); ``--endpoint NAME=URL`` on the command line. OCI registries are named by
host: ``registry:quay.io``. A scanned repository's own configuration is not trusted to send
depaudit's requests elsewhere: its endpoints are used only with ``--allow-config-urls``
(:func:`audit.config.confine`). The GitHub token goes to the GitHub endpoint's host alone
(:class:`~audit.http.HttpClient`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from audit.errors import ConfigError, InputError
from audit.http import Endpoints

SERVICES = ("pypi", "depsdev", "clearlydefined", "github", "docker_hub")
"""The fixed services, by the names ``--endpoint`` and ``[endpoints]`` use."""
REGISTRY = "registry:"
"""Prefix of an OCI registry's name: ``registry:HOST``."""
ENV_PREFIX = "DEPAUDIT_ENDPOINT_"
USER_CONFIG_ENV = "DEPAUDIT_CONFIG"

_ALIASES = {"deps.dev": "depsdev", "docker-hub": "docker_hub", "dockerhub": "docker_hub"}


def endpoint_name(name: str) -> str | None:
    """The canonical name (``depsdev``, ``registry:quay.io``), or None for an unknown one."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key in SERVICES:
        return key
    if key.startswith(REGISTRY):
        host = key[len(REGISTRY) :]
        if host and "/" not in host and " " not in host:
            return f"{REGISTRY}{host}"
    return None


def check_url(url: str, *, where: str, key: str) -> str:
    """``url`` without a trailing slash when it is an http(s) base URL with a host and no
    credentials, query or fragment; else ConfigError naming ``where`` and ``key``."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"expected an http:// or https:// URL, got {url!r}", path=where, key=key)
    if parts.username or parts.password:
        raise ConfigError(
            "a URL with credentials in it is refused (they would end up in reports)",
            path=where,
            key=key,
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"expected a base URL without ? or #, got {url!r}", path=where, key=key)
    return url.strip().rstrip("/")


def parse_table(data: object, where: str) -> dict[str, str]:
    """An ``[endpoints]`` table: ``pypi = URL``…, ``"registry:HOST" = URL`` or a
    ``[endpoints.registries]`` table of ``HOST = URL``; canonical name -> URL."""
    if not isinstance(data, Mapping):
        raise ConfigError("expected a table of name = URL", path=where, key="endpoints")
    out: dict[str, str] = {}
    for raw_key, value in data.items():
        if raw_key == "registries" and isinstance(value, Mapping):
            for host, url in value.items():
                key = f"endpoints.registries.{host}"
                name = endpoint_name(f"{REGISTRY}{host}")
                if name is None or not isinstance(url, str):
                    raise ConfigError("expected HOST = URL", path=where, key=key)
                out[name] = check_url(url, where=where, key=key)
            continue
        key = f"endpoints.{raw_key}"
        name = endpoint_name(str(raw_key))
        if name is None:
            known = ", ".join((*SERVICES, "registry:HOST", "registries"))
            raise ConfigError(f"unknown endpoint (known: {known})", path=where, key=key)
        if not isinstance(value, str):
            raise ConfigError("expected a URL string", path=where, key=key)
        out[name] = check_url(value, where=where, key=key)
    return out


def parse_arg(text: str) -> tuple[str, str]:
    """``--endpoint NAME=URL`` -> (canonical name, URL); ValueError with the reason."""
    name, sep, url = text.partition("=")
    canonical = endpoint_name(name) if sep else None
    if canonical is None:
        raise ValueError(
            f"expected NAME=URL with NAME one of {', '.join(SERVICES)} or registry:HOST,"
            f" got {text!r}"
        )
    try:
        return canonical, check_url(url, where="--endpoint", key=canonical)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None


def from_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """``DEPAUDIT_ENDPOINT_<SERVICE>`` variables that are set and not empty."""
    out: dict[str, str] = {}
    for name in SERVICES:
        var = f"{ENV_PREFIX}{name.upper()}"
        value = environ.get(var, "").strip()
        if value:
            out[name] = check_url(value, where=var, key=name)
    return out


def user_config_path(environ: Mapping[str, str]) -> Path | None:
    """The user's own configuration file, when there is one."""
    explicit = environ.get(USER_CONFIG_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    base = environ.get("XDG_CONFIG_HOME", "").strip()
    home = environ.get("HOME", "").strip()
    if not base and not home:
        return None
    path = Path(base) if base else Path(home) / ".config"
    path = path / "depaudit" / "config.toml"
    return path if path.is_file() else None


def from_user_config(environ: Mapping[str, str]) -> dict[str, str]:
    """The ``[endpoints]`` of the user's own configuration (see :func:`user_config_path`)."""
    from audit.safefile import load_toml

    path = user_config_path(environ)
    if path is None:
        return {}
    if not path.is_file():
        raise ConfigError("no such file (named by $DEPAUDIT_CONFIG)", path=str(path))
    data = load_toml(path)
    if "endpoints" not in data:
        return {}
    return parse_table(data["endpoints"], str(path))


def build(layers: Iterable[Mapping[str, str]]) -> Endpoints:
    """:class:`Endpoints` from name -> URL layers, later layers winning."""
    merged: dict[str, str] = {}
    for layer in layers:
        merged.update(layer)
    base = Endpoints()
    fixed = {k: merged.get(k, getattr(base, k)) for k in SERVICES}
    registries = tuple(
        sorted((k[len(REGISTRY) :], v) for k, v in merged.items() if k.startswith(REGISTRY))
    )
    return Endpoints(
        pypi=fixed["pypi"],
        depsdev=fixed["depsdev"],
        clearlydefined=fixed["clearlydefined"],
        github=fixed["github"],
        docker_hub=fixed["docker_hub"],
        registries=registries,
    )


def resolve(
    config_endpoints: Mapping[str, str],
    cli: Iterable[tuple[str, str]],
    environ: Mapping[str, str] | None = None,
) -> Endpoints:
    """The endpoints of one run: user configuration < ``config_endpoints`` (already confined)
    < environment < command line. InputError/ConfigError name what is wrong."""
    env = os.environ if environ is None else environ
    try:
        return build([from_user_config(env), config_endpoints, from_environment(env), dict(cli)])
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:  # pragma: no cover - validated above
        raise InputError(f"bad endpoint: {exc}") from None


__all__ = [
    "REGISTRY",
    "SERVICES",
    "build",
    "check_url",
    "endpoint_name",
    "from_environment",
    "from_user_config",
    "parse_arg",
    "parse_table",
    "resolve",
    "user_config_path",
]
