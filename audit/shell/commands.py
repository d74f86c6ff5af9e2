"""Which handler reads a command: command name → function over its expanded arguments.

A handler gets the recorder, the command's arguments after its name, and the whole command
line (for messages); it records what the command fetches and never raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from audit.shell import cargo, docker, fetch, gem, go, npm, os_packages, pip
from audit.shell.options import Arg
from audit.shell.record import Recorder

Handler = Callable[[Recorder, list[Arg], list[Arg]], None]

HANDLERS: dict[str, Handler] = {
    "pipx": pip.pip,
    "uv": pip.uv,
    "apt-get": os_packages.apt,
    "apt": os_packages.apt,
    "aptitude": os_packages.apt,
    "dnf": os_packages.rpm,
    "yum": os_packages.rpm,
    "microdnf": os_packages.rpm,
    "tdnf": os_packages.rpm,
    "zypper": os_packages.rpm,
    "apk": os_packages.apk,
    "npm": npm.npm,
    "yarn": npm.yarn,
    "pnpm": npm.pnpm,
    "go": go.go,
    "gem": gem.gem,
    "cargo": cargo.cargo,
    "curl": fetch.curl,
    "wget": fetch.wget,
    "git": fetch.git,
    "docker": docker.docker,
    "podman": docker.docker,
    "nerdctl": docker.docker,
}

_PIP_RE = re.compile(r"pip[0-9.]*")
_PYTHON_RE = re.compile(r"python[0-9.]*|py")


def handler_for(name: str) -> Handler | None:
    """The handler of the command named ``name`` (a basename), if it is one that fetches."""
    handler = HANDLERS.get(name)
    if handler is not None:
        return handler
    if _PIP_RE.fullmatch(name):
        return pip.pip
    if _PYTHON_RE.fullmatch(name):
        return pip.python
    return None
