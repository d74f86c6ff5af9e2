"""The pipeline as a library leaves the process alone; the command line tunes it.

- Garbage-collector tuning (audit.gcpause.tuned) happens in audit/cli.py only: a program
  calling build_inventory/run_audit keeps its collector as it was.
- ``depaudit inventory`` never touches the network, even when a source mapping says
  ``@fetch``: the bundled tree is reported as not downloaded.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest
import responses
from tree_helpers import write

from audit.cli import main
from audit.config import load_config
from audit.pipeline import build_inventory

COMMIT = "4d4e1f3f2c8646d14982fbd1d7ea598ccbe4264a"
FALCO = {
    "CMakeLists.txt": "project(falco)\ninclude(falcosecurity-libs)\n",
    "cmake/modules/falcosecurity-libs.cmake": (
        f'set(FALCOSECURITY_LIBS_VERSION "{COMMIT}")\n'
        "ExternalProject_Add(falcosecurity-libs\n"
        '  URL "https://github.com/falcosecurity/libs/archive/'
        '${FALCOSECURITY_LIBS_VERSION}.tar.gz"\n'
        ")\n"
    ),
}


@pytest.fixture
def gc_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    monkeypatch.setattr(gc, "disable", lambda: calls.append("disable"))
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    return calls


def test_the_library_leaves_the_collector_alone(tmp_path: Path, gc_calls: list[str]) -> None:
    root = write(tmp_path / "falco", FALCO)
    run = build_inventory(root, load_config(root))
    assert [c.name for c in run.inventory.components] == ["falcosecurity-libs"]
    assert gc_calls == []


def test_the_cli_tunes_the_collector_around_the_pipeline(
    tmp_path: Path, gc_calls: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    root = write(tmp_path / "falco", FALCO)
    assert main(["inventory", str(root), "--no-cache"]) == 0
    assert gc_calls == ["disable", "freeze"]


@responses.activate
def test_inventory_never_touches_the_network(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No request is made (``responses`` would refuse it), and the report says why."""
    root = write(tmp_path / "falco", FALCO)
    assert main(["inventory", str(root), "--no-cache", "--source", "*=@fetch"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(responses.calls) == 0
    assert [(p["kind"], p["message"]) for p in doc["problems"]] == [
        (
            "skipped",
            f"falcosecurity-libs@{COMMIT}: https://github.com/falcosecurity/libs/archive/"
            f"{COMMIT}.tar.gz not downloaded: this command makes no network requests",
        )
    ]
