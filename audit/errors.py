"""Errors that stop a run with exit code 2: bad usage, configuration or input."""

from __future__ import annotations


class InputError(Exception):
    """A user-facing error: one clear line naming the file (and key) and what was expected.

    The CLI prints ``str(err)`` on stderr and exits 2; never a traceback (unless --debug).
    """

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        self.path = path
        self.key = key
        where = path or ""
        if key:
            where = f"{where}: {key}" if where else key
        super().__init__(f"{where}: {message}" if where else message)


class ConfigError(InputError):
    """A configuration, policy, exceptions or waiver file is wrong."""
