"""The license index cached on disk (audit.licenses.ruledb): what is loaded is what was
built; a file that is damaged, truncated, of another format or made from another database
is never used but rebuilt.

The data tree here is a tiny stand-in for licensedcode-data (three licenses, four rules),
written by the test: the facts checked are depaudit's own reading of it.
"""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest

from audit.licenses import cachefile, ruledb
from audit.licenses.ruledb import FORMAT, KINDS, Rule, RuleTable, _dump, _load, build

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
    loaded = _load(_dump(index, "d" * 32), "d" * 32)
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


def _blobs_of(data: bytes, digest: str = "") -> tuple[object, list[bytes]]:
    loaded = cachefile.load(FORMAT, digest, data)
    assert loaded is not None
    return loaded.value, [bytes(b) for b in loaded.blobs]


def test_a_damaged_or_foreign_file_is_not_loaded(tmp_path: Path) -> None:
    data = _dump(build(_data(tmp_path / "data"), "32.1.0"), "d" * 32)
    assert _load(data, "d" * 32) is not None
    value, blobs = _blobs_of(data, "d" * 32)
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x01
    short_kinds = [*blobs[:3], blobs[3][:-1], *blobs[4:]]  # one rule's kind missing
    no_kind = [*blobs[:3], blobs[3][:-1] + bytes([len(KINDS)]), *blobs[4:]]  # a kind past the last
    old_format = marshal.dumps(("depaudit/license-index/2", 0, marshal.dumps(("32.1.0",))))
    for bad, digest in (
        (b"", "d" * 32),
        (data[: len(data) // 2], "d" * 32),  # truncated
        (data[:-1], "d" * 32),  # the last byte missing
        (bytes(flipped), "d" * 32),  # a bit changed
        (data, "e" * 32),  # made from another database
        (cachefile.dump("depaudit/license-index/9", "d" * 32, value, blobs), "d" * 32),
        (cachefile.dump(FORMAT, "d" * 32, ("x",), []), "d" * 32),  # checks, holds no index
        (cachefile.dump(FORMAT, "d" * 32, value, short_kinds), "d" * 32),  # does not agree
        (cachefile.dump(FORMAT, "d" * 32, value, no_kind), "d" * 32),
        (old_format, "d" * 32),
        (b"\x00" * 64, "d" * 32),
    ):
        assert _load(bad, digest) is None


def test_the_database_is_named_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The digest changes with the package's version and when a file is added to (or
    removed from) its rules, as installing or upgrading it does; nothing is read."""
    data = _data(tmp_path / "data")
    found = [ruledb.Installed(data, "32.1.0")]
    monkeypatch.setattr(ruledb, "installed", lambda: found[0])
    digest = ruledb.data_digest.__wrapped__
    first = digest()
    assert first is not None and len(first) == 32
    assert digest() == first
    found[0] = ruledb.Installed(data, "32.2.0")
    second = digest()
    assert second != first
    (data / "rules" / "new_1.RULE").write_text("---\nlicense_expression: mit\n---\nMIT\n")
    assert digest() not in (first, second)
    found[0] = None  # type: ignore[call-overload]
    assert digest() is None


def test_the_package_is_found_beside_its_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wheel's install: ``licensedcode/data`` and the version in the name of the
    ``licensedcode_data-<version>.dist-info`` beside it; anything else is left to
    importlib.metadata."""
    site = tmp_path / "site"
    data = _data(site / "licensedcode" / "data")
    (site / "licensedcode_data-32.9.1.dist-info").mkdir()
    monkeypatch.syspath_prepend(str(site))
    assert ruledb._beside_package() == ruledb.Installed(data, "32.9.1")
    (site / "licensedcode_data-33.0.0.dist-info").mkdir()  # which one: not told here
    beside = ruledb._beside_package()
    assert beside is None or beside.root != data


def test_other_installs_are_asked_of_importlib_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ruledb, "_beside_package", lambda: None)
    monkeypatch.setattr(ruledb, "DISTRIBUTION", "depaudit-no-such-distribution")
    assert ruledb.installed.__wrapped__() is None
    monkeypatch.setattr(ruledb, "DISTRIBUTION", "depaudit")  # installed, but holds no data
    assert ruledb.installed.__wrapped__() is None


def _no_building(root: Path, data_version: str = "") -> ruledb.LicenseIndex:
    raise AssertionError("built again")


def test_a_damaged_cache_file_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _data(tmp_path / "data")
    monkeypatch.setattr(ruledb, "installed", lambda: ruledb.Installed(data, "32.1.0"))
    monkeypatch.setattr(ruledb, "data_digest", lambda: "d" * 32)
    cache = tmp_path / "cache"
    built = ruledb.load_or_build(cache)
    path = ruledb.cache_path(cache, "d" * 32)
    assert path.name == "d" * 32 + ".bin"
    assert _load(path.read_bytes(), "d" * 32) == built
    assert built is not None
    monkeypatch.setattr(ruledb, "build", _no_building)
    assert ruledb.load_or_build(cache) == built  # loaded, not built
    monkeypatch.undo()
    monkeypatch.setattr(ruledb, "installed", lambda: ruledb.Installed(data, "32.1.0"))
    monkeypatch.setattr(ruledb, "data_digest", lambda: "d" * 32)
    path.write_bytes(path.read_bytes()[:100])  # damaged: rebuilt and written again
    again = ruledb.load_or_build(cache)
    assert again == built
    assert _load(path.read_bytes(), "d" * 32) == built


def test_a_file_that_cannot_be_mapped_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = build(_data(tmp_path / "data"), "32.1.0")
    path = tmp_path / "index.bin"
    path.write_bytes(_dump(index, "d" * 32))

    def no_mapping(fd: int) -> None:
        raise OSError(19, "no mmap here")

    monkeypatch.setattr(cachefile, "_map", no_mapping)
    assert ruledb._read(path, "d" * 32) == index


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
    assert FORMAT == "depaudit/license-index/3"
