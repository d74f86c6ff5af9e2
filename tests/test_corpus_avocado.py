"""falco-0.35.1 as its maintainers had it in June 2023: the GPL test framework they removed.

Facts read from the tree (../shared/corpus, falco-0.35.1 at aa49db45):
- test/requirements.txt:1 pins ``avocado-framework==69.0`` (GPL-2.0-or-later upstream);
- test/requirements.txt:2 pins its yaml-to-mux varianter plugin at the same version.
"""

from __future__ import annotations

from pathlib import Path

from corpus import Corpus

from audit.config import Config
from audit.pipeline import build_inventory


def test_falco_0_35_1_pins_avocado(corpus: Corpus) -> None:
    root: Path = corpus("falco-0.35.1")
    inv = build_inventory(root, Config()).inventory
    avocado = {c.id: c for c in inv.components if c.name.startswith("avocado-framework")}
    assert sorted(avocado) == [
        "pypi:avocado-framework-plugin-varianter-yaml-to-mux@69.0",
        "pypi:avocado-framework@69.0",
    ]
    evidence = {(e.path, e.line, e.text) for e in avocado["pypi:avocado-framework@69.0"].evidence}
    assert ("test/requirements.txt", 1, "avocado-framework==69.0") in evidence
