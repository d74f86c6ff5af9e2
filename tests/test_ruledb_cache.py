"""The license index cached on disk (audit.licenses.ruledb): what is loaded is what was
built; a file that is damaged, truncated or of another format is never used but rebuilt.

The data tree here is a tiny stand-in for licensedcode-data (three licenses, four rules),
written by the test: the facts checked are depaudit's own reading of it.
"""

from __future__ import annotations

import marshal
import zlib
from pathlib import Path

import pytest

from audit.licenses import ruledb
from audit.licenses.ruledb import FORMAT, Rule, RuleTable, _dump, _load, build

_FILES = {
    "licenses/mit.LICENSE": "---\nkey: mit\nspdx_license_key: MIT\n---\n"
    "Permission is hereby granted, free of charge, to any person.\n",
    "licenses/apache-2.0.LICENSE": "---\nkey: apache-2.0\nspdx_license_key: Apache-2.0\n---\n"
    "Apache License Version 2.0, January 2004\n",
    "licenses/classpath-exception-2.0.LICENSE": "---\nkey: classpath-exception-2.0\n"
    "spdx_license_key: Classpath-exception-2.0\nis_exception: yes\n---\n"
    "Linking this library statically or dynamically with other modules.\n",
    "rules/mit_1.RULE": "---\nlicense_expression: mit\nis_license_notice: yes\n---\n"
    "Licensed under the MIT licence.\n",
    "rules/mit_2.RULE": "---\nlicense_expression: mit\nis_license_reference: yes\n"
    "relevance: 50\n---\nMIT\n",
    "rules/apache_or_mit_1.RULE": "---\nlicense_expression: apache-2.0 OR mit\n"
    "is_license_notice: yes\nminimum_coverage: 80\n---\nApache 2.0 or MIT, at your option.\n",
    "rules/fp_1.RULE": "---\nlicense_expression: mit\nis_false_positive: yes\n---\nMIT Kerberos\n",
}


def _data(root: Path) -> Path:
    for name, text in _FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_cached_index_loads_as_built(tmp_path: Path) -> None:
    index = build(_data(tmp_path / "data"), "32.1.0")
    loaded = _load(_dump(index))
    assert loaded == index
    assert loaded is not None
    assert loaded.data_version == "32.1.0"
    assert loaded.exceptions == frozenset({"Classpath-exception-2.0"})
    rules = list(loaded.rules)
    assert [(r.name, r.expression, r.kind, len(r.tokens), r.min_coverage) for r in rules] == [
        ("apache-2.0.LICENSE", "Apache-2.0", "text", 7, 100),
        ("classpath-exception-2.0.LICENSE", "Classpath-exception-2.0", "text", 9, 100),
        ("mit.LICENSE", "MIT", "text", 10, 100),
        ("apache_or_mit_1", "Apache-2.0 OR MIT", "notice", 8, 80),
        ("fp_1", "", "notice", 2, 0),
        ("mit_1", "MIT", "notice", 5, 0),
        ("mit_2", "MIT", "reference", 1, 0),
    ]
    # relevance: the rule's own (mit_2), else 100 from 18 tokens on and proportionally less
    assert [(r.false_positive, r.relevance) for r in rules] == [
        (False, 38), (False, 50), (False, 55), (False, 44), (True, 11), (False, 27),
        (False, 50),
    ]  # fmt: skip
    assert rules == list(index.rules)
    vocab = loaded.vocabulary
    assert rules[5].tokens == "".join(
        vocab[w] for w in ("licensed", "under", "the", "mit", "license")
    )
    assert loaded.rules.openings(2) == [r.tokens[:2] for r in rules]
    assert loaded.rules[5] is loaded.rules[5]  # each rule is made once
    assert loaded.rules[-2:] == (rules[5], rules[6])


def test_a_damaged_or_foreign_file_is_not_loaded(tmp_path: Path) -> None:
    data = _dump(build(_data(tmp_path / "data"), "32.1.0"))
    fmt, crc, payload = marshal.loads(data)
    flipped = bytearray(payload)
    flipped[len(payload) // 2] ^= 0x01
    old_format = marshal.dumps(("depaudit/license-index/1", "32.1.0", [], [], []))
    for bad in (
        b"",
        data[: len(data) // 2],  # truncated
        marshal.dumps((fmt, crc, bytes(flipped))),  # a bit changed in the payload
        marshal.dumps((fmt, zlib.crc32(b"x"), b"x")),  # checks, but holds no index
        marshal.dumps(("depaudit/license-index/9", crc, payload)),  # another format
        old_format,
        b"\x00" * 64,
    ):
        assert _load(bad) is None


def test_a_damaged_cache_file_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _data(tmp_path / "data")
    monkeypatch.setattr(ruledb, "data_root", lambda: data)
    monkeypatch.setattr(ruledb, "data_digest", lambda: "d" * 32)
    monkeypatch.setattr(ruledb.importlib.metadata, "version", lambda name: "32.1.0")
    cache = tmp_path / "cache"
    built = ruledb.load_or_build(cache)
    path = ruledb.cache_path(cache, "d" * 32)
    assert path.name == "d" * 32 + ".marshal"
    assert _load(path.read_bytes()) == built
    assert built is not None
    path.write_bytes(path.read_bytes()[:100])  # damaged: rebuilt and written again
    again = ruledb.load_or_build(cache)
    assert again == built
    assert _load(path.read_bytes()) == built


def test_a_rule_table_holds_together() -> None:
    rules = [
        Rule("a", "MIT", "tag", "\u0100\u0101", 0, False, 11),
        Rule("b", "", "tag", "", 0, True, 0),
    ]
    table = RuleTable.of(rules)
    assert list(table) == rules
    assert table.openings(1) == ["\u0100", ""]
    with pytest.raises(ValueError, match="do not agree"):
        RuleTable([("a", "MIT", "tag", 0, False, 11)], "\u0100", [2])
    assert FORMAT == "depaudit/license-index/2"
