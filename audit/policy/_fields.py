"""Reading policy and waiver files: TOML, and typed fields that fail with a clear ConfigError."""

from __future__ import annotations

import datetime
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from audit.errors import ConfigError
from audit.safefile import load_toml

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover - Python 3.10
    pass


def read_toml(path: Path) -> dict[str, Any]:
    """The TOML document at ``path``; ConfigError when it cannot be read or parsed, is not a
    regular file (a FIFO never blocks), or is too large or too deeply nested."""
    return load_toml(path)


def type_name(value: Any) -> str:
    """A TOML-ish name for the type of ``value``, for error messages."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime.datetime):
        return "datetime"
    if isinstance(value, datetime.date):
        return "date"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "table"
    return type(value).__name__


class Fields:
    """Typed access to one TOML table; every error names the file and the full key."""

    def __init__(self, table: Mapping[str, Any], path: str, prefix: str = "") -> None:
        self.data = table
        self.path = path
        self.prefix = prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def error(self, name: str, message: str) -> ConfigError:
        return ConfigError(message, path=self.path, key=self.key(name))

    def check_keys(self, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for name in self.data:
            if name not in allowed:
                raise self.error(
                    name, f"unknown key; expected one of: {', '.join(sorted(allowed))}"
                )

    def _get(self, name: str, required: bool) -> Any:
        if name not in self.data:
            if required:
                raise self.error(name, "missing required key")
            return None
        return self.data[name]

    def string(self, name: str, *, required: bool = False, default: str = "") -> str:
        value = self._get(name, required)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.error(name, f"expected a string, got {type_name(value)}")
        return value

    def boolean(self, name: str, *, default: bool = False) -> bool:
        value = self._get(name, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(name, f"expected true or false, got {type_name(value)}")
        return value

    def date(self, name: str, *, required: bool = False) -> datetime.date | None:
        """A TOML date (``2024-05-23``) or a string in that form."""
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, datetime.datetime):
            raise self.error(name, "expected a date (YYYY-MM-DD), got a date and time")
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value.strip())
            except ValueError:
                pass
            raise self.error(name, f"expected a date (YYYY-MM-DD), got {value!r}")
        raise self.error(name, f"expected a date (YYYY-MM-DD), got {type_name(value)}")

    def strings(
        self, name: str, *, required: bool = False, one_or_many: bool = False
    ) -> tuple[str, ...] | None:
        """An array of strings (or a single string when ``one_or_many``); None when absent."""
        value = self._get(name, required)
        if value is None:
            return None
        if one_or_many and isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            what = "a string or an array of strings" if one_or_many else "an array of strings"
            raise self.error(name, f"expected {what}, got {type_name(value)}")
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise ConfigError(
                    f"expected a string, got {type_name(item)}",
                    path=self.path,
                    key=f"{self.key(name)}[{i}]",
                )
        return tuple(value)

    def choices(
        self, name: str, allowed: Iterable[str], *, one_or_many: bool = False
    ) -> frozenset[str] | None:
        """An array of strings each one of ``allowed``; None when absent."""
        allowed = tuple(allowed)
        values = self.strings(name, one_or_many=one_or_many)
        if values is None:
            return None
        for i, item in enumerate(values):
            if item not in allowed:
                raise ConfigError(
                    f"unknown value {item!r}; expected one of: {', '.join(allowed)}",
                    path=self.path,
                    key=f"{self.key(name)}[{i}]",
                )
        return frozenset(values)

    def tables(self, name: str) -> list[Fields]:
        """An array of tables (``[[name]]``); empty when absent."""
        value = self._get(name, False)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(
                name, f"expected an array of tables [[{name}]], got {type_name(value)}"
            )
        return [Fields(v, self.path, f"{self.key(name)}[{i}]") for i, v in enumerate(value)]

    def table(self, name: str, *, required: bool = False) -> Fields | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.error(name, f"expected a table [{name}], got {type_name(value)}")
        return Fields(value, self.path, self.key(name))
