"""Where depaudit's own policies and data files live (source tree or installed share/)."""

from __future__ import annotations

import sys
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


def _first_existing(*candidates: Path) -> Path:
    for c in candidates:
        if c.is_dir():
            return c
    return candidates[0]


def policies_dir() -> Path:
    """The bundled ``policies/`` directory."""
    return _first_existing(
        _SOURCE_ROOT / "policies", Path(sys.prefix) / "share" / "depaudit" / "policies"
    )


def data_dir() -> Path:
    """The bundled ``data/`` directory."""
    return _first_existing(_SOURCE_ROOT / "data", Path(sys.prefix) / "share" / "depaudit" / "data")
