from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from report_fixtures import falco_report, small_report

from audit.report import json_report, text
from audit.report.registry import FORMATS, names, render, renderer

TESTS = Path(__file__).parent


def test_format_names() -> None:
    assert names() == ("text", "json", "markdown", "sarif", "cyclonedx", "spdx", "html")
    assert [(f.media_type, f.extension) for f in FORMATS.values()] == [
        ("text/plain", "txt"),
        ("application/json", "json"),
        ("text/markdown", "md"),
        ("application/sarif+json", "sarif"),
        ("application/vnd.cyclonedx+json", "cdx.json"),
        ("application/spdx+json", "spdx.json"),
        ("text/html", "html"),
    ]


def test_renderer_lookup() -> None:
    assert renderer("json") is json_report.render
    assert renderer("text") is text.render
    with pytest.raises(KeyError):
        renderer("html-fancy")


@pytest.mark.parametrize("name", names())
def test_every_format_renders_deterministically(name: str) -> None:
    first = render(name, falco_report())
    assert first == render(name, falco_report())
    assert first.endswith("\n") and not first.endswith("\n\n")
    assert render(name, small_report()) == render(name, small_report())


def test_color_applies_to_text_only() -> None:
    assert "\x1b[" in render("text", falco_report(), color=True)
    assert render("json", falco_report(), color=True) == render("json", falco_report())


_DIGESTS = """
import hashlib, sys
sys.path.insert(0, sys.argv[1])
from report_fixtures import falco_report
from audit.report.registry import names, render
print(" ".join(hashlib.sha256(render(n, falco_report()).encode()).hexdigest() for n in names()))
"""


def test_output_does_not_depend_on_hash_seed() -> None:
    here = " ".join(hashlib.sha256(render(n, falco_report()).encode()).hexdigest() for n in names())
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", _DIGESTS, str(TESTS)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout.strip() == here
