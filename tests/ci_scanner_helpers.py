"""What the three CI-config scanner tests share: recording the shell calls, and reading
edges and problems as plain tuples for exact assertions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pytest

from audit.model import ScanResult
from audit.scanners.base import SourceFile


@dataclass(frozen=True)
class Call:
    script: str
    first_line: int
    consumer: str
    env: Mapping[str, str] | None


def record_scripts(monkeypatch: pytest.MonkeyPatch, scanner_name: str) -> list[Call]:
    """Record scan_script calls instead of interpreting the scripts."""
    import audit.shell

    recorded: list[Call] = []

    def fake(
        script: str,
        source: SourceFile,
        first_line: int,
        consumer: str,
        scanner: str,
        **kwargs: object,
    ) -> ScanResult:
        assert scanner == scanner_name
        recorded.append(Call(script, first_line, consumer, kwargs.get("env")))  # type: ignore[arg-type]
        return ScanResult()

    monkeypatch.setattr(audit.shell, "scan_script", fake)
    return recorded


def edges(result: ScanResult) -> list[tuple[str, str, str, int, str]]:
    return [
        (e.src, e.relation.value, e.dst, e.evidence.line if e.evidence else 0, e.how)
        for e in result.edges
    ]


def problems(result: ScanResult) -> list[tuple[int, str, str]]:
    return [(p.line, p.kind, p.message) for p in result.problems]
