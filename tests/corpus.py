"""The real-repository corpus (``../shared/corpus/``) for tests that pin facts read from it.

Use the ``corpus`` fixture (defined in conftest.py) and ask it for a tree by name::

    def test_something(corpus: Corpus) -> None:
        root = corpus("falco-0.35.1")

The archives live in ``../shared/corpus/`` beside the clone (or ``$DEPAUDIT_SHARED_DIR``);
they are unpacked once by its ``unpack`` script into ``$DEPAUDIT_CORPUS_DIR`` (default
``/tmp/depaudit-corpus``). Where ``../shared`` is absent (a user's own clone) the tests skip
with one line saying why; in CI (``CI`` set) a missing corpus fails the test instead, so that
a CI run can never pass by skipping them.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

Corpus = Callable[[str], Path]


def shared_dir() -> Path:
    """The shared folder: ``$DEPAUDIT_SHARED_DIR``, else ``../shared`` beside the clone."""
    env = os.environ.get("DEPAUDIT_SHARED_DIR")
    return Path(env) if env else REPO.parent / "shared"


@cache
def _unpacked() -> Path | str:
    """The folder the corpus is unpacked into, or the reason it is not available."""
    unpack = shared_dir() / "corpus" / "unpack"
    if not unpack.is_file():
        return f"real-repository corpus not found ({unpack} is absent: a user's own clone)"
    done = subprocess.run(
        ["bash", str(unpack)], capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        return f"{unpack} failed: {done.stderr.strip()[:500]}"
    return Path(done.stdout.strip().splitlines()[-1])


def corpus_tree(name: str) -> Path:
    """The unpacked corpus tree ``name``; skips (fails in CI) when the corpus is absent."""
    where = _unpacked()
    if isinstance(where, str):
        if os.environ.get("CI"):
            pytest.fail(f"{where}; CI must run the corpus tests", pytrace=False)
        pytest.skip(where)
    tree = where / name
    if not tree.is_dir():
        pytest.fail(f"corpus tree {name!r} is not in {where}", pytrace=False)
    return tree
