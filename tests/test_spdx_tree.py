"""depaudit's own reading of normalized expressions (audit.spdx.tree) against
license-expression's, and the readings kept between runs (audit/spdxcache.py)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from audit import spdx, spdxcache

IDS = [
    "MIT",
    "mit",
    "Apache-2.0",
    "GPL-2.0",
    "GPL-2.0+",
    "GPL-2.0-only",
    "LGPL-2.1-or-later",
    "BSD-3-Clause",
    "ISC",
    "Zlib",
    "MPL-2.0",
    "LicenseRef-scancode-public-domain",
    "LicenseRef-Own",
    "DocumentRef-ext:LicenseRef-x",
    "GPL-2.0-with-classpath-exception",
    "NOASSERTION",
    "Not-A-License",
]
EXCEPTIONS = ["Linux-syscall-note", "Classpath-exception-2.0", "LLVM-exception"]


def _random_expression(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth > 3 or roll < 0.4:
        key = rng.choice(IDS)
        if rng.random() < 0.2:
            key = f"{key} WITH {rng.choice(EXCEPTIONS)}"
        return key
    op = rng.choice([" AND ", " OR ", " and ", " or "])
    parts = [_random_expression(rng, depth + 1) for _ in range(rng.randint(2, 4))]
    text = op.join(parts)
    return f"({text})" if rng.random() < 0.5 else text


def _expressions() -> Iterator[str]:
    rng = random.Random(20261206)
    seen: set[str] = set()
    for _ in range(12000):
        normalized = spdx.normalize(_random_expression(rng))
        if normalized is not None and normalized not in seen:
            seen.add(normalized)
            yield normalized


def _le_render(node: Any) -> str:
    text = str(node.render())
    if text.startswith("(") and text.endswith(")"):
        depth = 0
        for ch in text[1:-1]:
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth < 0:
                return text
        return text[1:-1]
    return text


def _same(ours: spdx.Node, theirs: Any) -> None:
    lic = spdx.licensing()
    if isinstance(theirs, lic.AND | lic.OR):
        assert ours.kind == ("and" if isinstance(theirs, lic.AND) else "or")
        assert len(ours.args) == len(theirs.args)
        for a, b in zip(ours.args, theirs.args, strict=True):
            _same(a, b)
    elif hasattr(theirs, "exception_symbol"):
        assert (ours.kind, ours.key, ours.exception) == (
            "with",
            str(theirs.license_symbol.key),
            str(theirs.exception_symbol.key),
        )
    else:
        assert (ours.kind, ours.key) == ("license", str(theirs.key))
    assert spdx.render(ours) == _le_render(theirs)


def test_tree_is_license_expressions_tree() -> None:
    """On 900+ distinct normalized expressions (nested AND/OR, WITH, LicenseRef-, DocumentRef-,
    deprecated ids): the same kinds, operands in the same order, the same text for every
    subtree and the same keys as license-expression's own tree of the text."""
    lic = spdx.licensing()
    count = 0
    for normalized in _expressions():
        theirs = spdx.expression_object(normalized)
        ours = spdx.tree(normalized)
        assert spdx._read(normalized) is not None, normalized  # no fallback needed
        _same(ours, theirs)
        assert spdx.license_keys(normalized) == frozenset(str(k) for k in lic.license_keys(theirs))
        count += 1
    assert count > 900


def test_equivalence_agrees_with_license_expression() -> None:
    """is_equivalent answers as it did when it asked license-expression every time (the
    same text, else the same keys and license-expression's equivalence): reordered,
    regrouped, repeated, absorbed operands and genuinely different expressions."""
    lic = spdx.licensing()
    rng = random.Random(7)
    pairs = [
        ("MIT OR Apache-2.0", "Apache-2.0 OR MIT"),
        ("MIT AND (ISC AND Zlib)", "(Zlib AND MIT) AND ISC"),
        ("MIT AND MIT", "MIT"),
        ("MIT OR (MIT AND ISC)", "MIT"),
        ("MIT AND ISC", "MIT OR ISC"),
        (
            "GPL-2.0-only WITH Linux-syscall-note OR MIT",
            "MIT OR GPL-2.0-only WITH Linux-syscall-note",
        ),
    ]
    small = ["MIT", "ISC", "Zlib"]
    for _ in range(400):
        a = " AND ".join(rng.sample(small, 2)) + rng.choice([" OR ", " AND "]) + rng.choice(small)
        b = " OR ".join(rng.sample(small, 3))
        pairs.append((a, b))
    for a, b in pairs:
        na, nb = spdx.normalize(a), spdx.normalize(b)
        assert na is not None and nb is not None
        spdx.is_equivalent.cache_clear()
        ta, tb = spdx.expression_object(na), spdx.expression_object(nb)
        # as before depaudit read trees itself: equal text, else the same keys and
        # license-expression's equivalence
        expected = na == nb or (
            set(map(str, lic.license_keys(ta))) == set(map(str, lic.license_keys(tb)))
            and bool(lic.is_equivalent(ta, tb))
        )
        assert spdx.is_equivalent(na, nb) is expected, (na, nb)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("MIT AND ISC OR Zlib", "AND and OR in one row"),
        ("(MIT", "unclosed"),
        ("MIT WITH", "WITH without an exception"),
        ("", "empty"),
    ],
)
def test_read_refuses_what_is_not_rendered(text: str, reason: str) -> None:
    """Text license-expression would not render is left to license-expression: None."""
    assert spdx._read(text) is None, reason


@pytest.fixture
def readings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A cache directory of its own, this process's readings and caches forgotten."""
    monkeypatch.setenv("DEPAUDIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(spdxcache, "_CURRENT", None)
    spdx.parse_expression.cache_clear()
    yield tmp_path / "spdx" / "expressions.json"
    spdx.parse_expression.cache_clear()


def test_readings_kept_and_reused_without_license_expression(
    readings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first run reads with license-expression and keeps what it read; the next run
    (a new process: nothing remembered in memory) answers from the file without building
    license-expression's Licensing at all."""
    first = spdx.parse_expression("gpl-2.0+ or mit")
    bad = spdx.parse_expression("Not-A-License")
    assert (first.normalized, bad.normalized) == ("GPL-2.0-or-later OR MIT", None)
    spdxcache.save()
    kept = json.loads(readings.read_text())
    assert kept["format"] == spdxcache.FORMAT
    assert kept["entries"] == {
        "Not-A-License": [None, "unknown license id 'Not-A-License'"],
        "gpl-2.0+ or mit": ["GPL-2.0-or-later OR MIT", ""],
    }

    monkeypatch.setattr(spdxcache, "_CURRENT", None)
    spdx.parse_expression.cache_clear()

    def no_licensing() -> None:
        raise AssertionError("license-expression asked")

    monkeypatch.setattr(spdx, "licensing", no_licensing)
    again = spdx.parse_expression("gpl-2.0+ or mit")
    assert again == first
    assert spdx.parse_expression("Not-A-License") == bad
    node = spdx.tree("GPL-2.0-or-later OR MIT")
    assert [spdx.leaf_license(leaf) for leaf in spdx.leaves(node)] == ["GPL-2.0-or-later", "MIT"]


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b'{"format": "depaudit/spdx-expressions/0", "key": "k", "entries": {}}',
        b'{"format": "depaudit/spdx-expressions/1", "key": "other", "entries": {"MIT": ["X", ""]}}',
        b"[1, 2]",
    ],
)
def test_a_foreign_or_damaged_file_is_not_used(readings: Path, content: bytes) -> None:
    """Another format, another license-expression or depaudit (``key``), damage: the text
    is read again, and a run with new readings writes the file anew."""
    readings.parent.mkdir(parents=True)
    readings.write_bytes(content)
    assert spdx.parse_expression("MIT").normalized == "MIT"
    spdxcache.save()
    assert json.loads(readings.read_text())["entries"] == {"MIT": ["MIT", ""]}


def test_wrong_entries_are_skipped(readings: Path) -> None:
    """An entry of the wrong shape in a file of the right key is not used."""
    key = spdxcache._key()
    readings.parent.mkdir(parents=True)
    entries = {"MIT": ["MIT", ""], "ISC": [1, ""], "Zlib": "Zlib"}
    readings.write_text(json.dumps({"format": spdxcache.FORMAT, "key": key, "entries": entries}))
    assert spdxcache.current().known == {"MIT": ("MIT", "")}


def test_long_texts_are_not_kept(readings: Path) -> None:
    text = " OR ".join(["MIT"] * 200)
    assert len(text) > spdxcache.MAX_TEXT
    assert spdx.parse_expression(text).normalized is not None
    spdxcache.save()
    assert not readings.exists()


def test_past_the_limit_the_last_runs_readings_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More readings than :data:`MAX_ENTRIES`: those this run used or made are kept, the
    others dropped (the file, loaded by every run, stays small)."""
    monkeypatch.setattr(spdxcache, "MAX_ENTRIES", 3)
    path = tmp_path / "expressions.json"
    known = {"MIT": ("MIT", ""), "ISC": ("ISC", ""), "Zlib": ("Zlib", "")}
    readings = spdxcache.Readings(path, "k", dict(known))
    assert readings.get("ISC") == ("ISC", "")
    readings.put("mit", ("MIT", ""))
    readings.save()
    kept = json.loads(path.read_text())
    assert kept == {
        "format": spdxcache.FORMAT,
        "key": "k",
        "entries": {"ISC": ["ISC", ""], "mit": ["MIT", ""]},
    }
