"""Every data class of the package has a docstring of its own: for one without,
:mod:`dataclasses` writes one from ``inspect.signature`` as the class is defined (2.6 ms of a
scan's start-up for 51 such classes, before its forked copies start)."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil

import audit


def test_every_data_class_has_a_docstring() -> None:
    missing = []
    for info in pkgutil.walk_packages(audit.__path__, "audit."):
        if info.name == "audit.__main__":  # runs the command line
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an optional dependency not installed
            continue
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and dataclasses.is_dataclass(value)
                and value.__module__ == info.name
                and (value.__doc__ or "").startswith(f"{value.__name__}(")
            ):
                missing.append(f"{info.name}.{value.__name__}")
    assert missing == []
