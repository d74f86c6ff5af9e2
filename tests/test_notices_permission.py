"""Headers that share their opening with a better-known license, and headers that state
alternatives: the license database reads the whole paragraph (issue 20).

- "Permission is hereby granted, free of charge" opens MIT, BSL-1.0, JSON, X11 and ICU
  alike: a header is MIT only when its text is MIT's; otherwise the database's reading of
  the whole text, or ``partial`` (no license) naming the candidates: never MIT by default.
- Two licenses in one header are an ``OR`` when the wording says so ("... version 2 ...
  Alternatively, ... BSD license", "the GPL, or the BSD license"), and a finding that
  takes neither when it does not (an Apache header above a GPL one).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from licensedb import licensedb_matcher

from audit.licenses import matcher
from audit.licenses.ruledb import data_root
from audit.licenses.sources import group_sources
from audit.model import Notice
from audit.scanners.base import SourceFile
from audit.scanners.notices import scan_notices


def _license_text(key: str) -> str:
    """The full text of a license of the database (``licenses/<key>.LICENSE``)."""
    licensedb_matcher()
    root = data_root()
    assert root is not None
    text = (root / "licenses" / f"{key}.LICENSE").read_text(encoding="utf-8")
    return text.split("\n---\n", 1)[1].strip("\n")


def _c_file(text: str) -> str:
    body = "".join(f" * {line}".rstrip() + "\n" for line in text.splitlines())
    head = "/*\n * Copyright (c) 2020 Example Authors\n *\n"
    return f"{head}{body} */\nint main(void) {{ return 0; }}\n"


def _notices(path: str, text: str) -> list[tuple[int, int, str, str | None, str]]:
    result = scan_notices(SourceFile(path, text))
    return [(n.line, n.end_line, n.kind, n.expression, n.rule) for n in result.notices]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        # The database's full text over lines 4-N: its reading, with its rule.
        ("boost-1.0", (4, 26, "prose", "BSL-1.0", "boost-1.0.LICENSE")),
        ("json", (4, 23, "prose", "JSON", "json.LICENSE")),
        ("x11-xconsortium", (4, 25, "prose", "X11", "x11-xconsortium.LICENSE")),
        ("x11", (4, 24, "prose", "ICU", "x11.LICENSE")),  # ScanCode's "x11" is SPDX ICU
        # MIT's own text: depaudit's reading (data/license-texts/MIT.txt) stands.
        ("mit", (4, 0, "prose", "MIT", "")),
    ],
)
def test_permission_text_is_read_whole(key: str, expected: tuple[object, ...]) -> None:
    assert _notices("src/x.c", _c_file(_license_text(key))) == [expected]


OPENING_ONLY = "// Permission is hereby granted, free of charge, to use this file.\n"


@pytest.mark.parametrize("with_database", [True, False])
def test_mit_opening_alone_is_no_license(
    with_database: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if with_database:
        licensedb_matcher()
    else:
        monkeypatch.setattr(matcher, "default_matcher", lambda: None)
    result = scan_notices(SourceFile("short.go", OPENING_ONLY))
    assert [(n.line, n.kind, n.expression, n.raw) for n in result.notices] == [
        (
            1,
            "partial",
            None,
            "MIT? only its opening sentence matched: "
            "Permission is hereby granted, free of charge, to use this file.",
        )
    ]


HOSTAP = """\
/*
 * WPA Supplicant - Common definitions
 * Copyright (c) 2002-2006, Jouni Malinen <j@w1.fi>
 *
 * This program is free software; you can redistribute it and/or modify
 * it under the terms of the GNU General Public License version 2 as
 * published by the Free Software Foundation.
 *
 * Alternatively, this software may be distributed under the terms of BSD
 * license.
 */
int x;
"""

GPL_OR_BSD = """\
/*
 * Copyright (c) 2010 Example
 *
 * This file may be used under the terms of the GPL, or the BSD license, at your option.
 */
int x;
"""

APACHE_THEN_GPL = """\
/*
 * Copyright (c) 2010 Example
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 *
 * This program is free software; you can redistribute it and/or modify
 * it under the terms of the GNU General Public License version 2 as
 * published by the Free Software Foundation.
 */
int x;
"""


def test_alternatively_makes_an_or() -> None:
    """The built-in GNU reading (GPL-2.0-only at line 5) leaves out the alternative of
    lines 9-10: the database's rule for the whole paragraph (lines 5-10) replaces it."""
    licensedb_matcher()
    notices = scan_notices(SourceFile("src/common.c", HOSTAP)).notices
    assert [(n.line, n.end_line, n.kind, n.expression, n.rule) for n in notices] == [
        (5, 10, "prose", "GPL-2.0-only OR BSD-3-Clause", "gpl-2.0_or_bsd-new_1")
    ]
    facts = group_sources(notices, ["src/common.c"])
    assert [(c.id, c.prop("license")) for c in facts.components] == [
        ("source:src", "GPL-2.0-only OR BSD-3-Clause")
    ]
    assert facts.findings == ()


def test_or_between_two_licenses_is_one_or_notice() -> None:
    """ "the GPL, or the BSD license": two database matches joined only by "or"-words are
    one OR notice (shown per file; the database's short matches decide nothing)."""
    licensedb_matcher()
    assert _notices("src/x.c", GPL_OR_BSD) == [
        (4, 0, "matched", "GPL-1.0-or-later OR BSD-3-Clause", "gpl_95 + bsd-new_145")
    ]


def test_two_licenses_without_or_are_a_finding() -> None:
    notices: tuple[Notice, ...] = scan_notices(SourceFile("src/x.c", APACHE_THEN_GPL)).notices
    assert [(n.line, n.kind, n.expression) for n in notices] == [
        (4, "prose", "Apache-2.0"),
        (7, "prose", "GPL-2.0-only"),
    ]
    facts = group_sources(notices, ["src/x.c"])
    assert facts.components == ()
    assert [(f.kind, f.subject, f.message) for f in facts.findings] == [
        (
            "ambiguous-license",
            "src/x.c",
            "src/x.c states several licenses in its header (Apache-2.0, GPL-2.0-only); "
            "none is taken as the file's license",
        )
    ]
    assert [e.line for e in facts.findings[0].evidence] == [4, 7]


def test_explain_and_json_show_which_file_gave_which_license(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Per file: the license, the lines and the database rule, in ``depaudit explain``
    and in the JSON report's ``license_files``."""
    from audit.cli import main

    root = tmp_path / "tree"
    (root / "src").mkdir(parents=True)
    (root / "src" / "common.c").write_text(HOSTAP)
    (root / "src" / "json.c").write_text(_c_file(_license_text("json")))
    cache = ["--offline", "--cache-dir", str(tmp_path / "cache")]
    main(["explain", "source:src#JSON", str(root), *cache])
    out = capsys.readouterr().out.splitlines()
    start = out.index("  license by file:")
    assert out[start + 1] == "    src/json.c:4-23: JSON [prose]  (rule json.LICENSE)"
    main(["scan", str(root), "--format", "json", *cache])
    report = json.loads(capsys.readouterr().out)
    entries = {c["id"]: c["license_files"] for c in report["components"] if "license_files" in c}
    assert entries["source:src#GPL-2.0-only+OR+BSD-3-Clause"] == [
        {
            "path": "src/common.c",
            "line": 5,
            "end_line": 10,
            "kind": "prose",
            "expression": "GPL-2.0-only OR BSD-3-Clause",
            "rule": "gpl-2.0_or_bsd-new_1",
            "text": "* This program is free software; you can redistribute it and/or modify",
        }
    ]
