"""Vendored third-party code: designated folders, intermingled known files, Go/npm trees."""

from __future__ import annotations

from pathlib import Path

import pytest
from license_expression import get_spdx_licensing

from audit.model import Component, ComponentKind, Evidence, Finding, Notice
from audit.vendored import (
    KnownLibrary,
    VendoredFacts,
    find_vendored,
    load_known,
    match_file,
)

UTHASH = """\
/*
Copyright (c) 2003-2022, Troy D. Hanson  https://troydhanson.github.io/uthash/
All rights reserved.
*/

#ifndef UTHASH_H
#define UTHASH_H

#define UTHASH_VERSION 2.3.0
"""

SQLITE = '/* the SQLite amalgamation */\n#define SQLITE_VERSION        "3.42.0"\n'


def test_the_bundled_table_is_valid() -> None:
    table = load_known()
    licensing = get_spdx_licensing()
    assert [lib.name for lib in table][:3] == ["uthash", "tinydir", "cJSON"]
    for lib in table:
        assert licensing.validate(lib.license).errors == [], lib.name
        assert lib.files and lib.markers and lib.url.startswith("https://")


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        ("src/uthash.h", UTHASH, ("uthash", 2, "2.3.0")),
        ("src/UTHASH.H", UTHASH, ("uthash", 2, "2.3.0")),
        ("lib/sqlite3.c", SQLITE, ("sqlite", 2, "3.42.0")),
        # a first-party file that only shares the name is not the library
        ("src/uthash.h", "#pragma once\n/* our own hash table */\n", None),
        ("src/other.h", UTHASH, None),
    ],
)
def test_match_file(path: str, text: str, expected: tuple[str, int, str] | None) -> None:
    m = match_file(path, text, load_known())
    assert (None if m is None else (m.library.name, m.line, m.version)) == expected


def reader(files: dict[str, str]):  # type: ignore[no-untyped-def]
    calls: list[str] = []

    def read(path: str) -> str | None:
        calls.append(path)
        return files.get(path)

    return read, calls


TINYDIR = "/*\nCopyright (c) 2013-2021, tinydir authors:\n*/\n#ifndef TINYDIR_H\n"

TREE = {
    "userspace/libscap/scap.c": "// SPDX-License-Identifier: Apache-2.0\n",
    "userspace/libscap/uthash.h": UTHASH,
    "userspace/libsinsp/third-party/tinydir.h": TINYDIR,
    "userspace/libsinsp/third-party/jsoncpp/json.cpp": "// json\n",
    "userspace/libsinsp/third-party/jsoncpp/LICENSE": "MIT License ...\n",
    "userspace/libsinsp/uthash.h": "#pragma once\n",
}


def notice(path: str, line: int, expression: str, kind: str = "spdx-tag") -> Notice:
    ev = Evidence(path, line, f"SPDX-License-Identifier: {expression}", "notices")
    return Notice(path, line, kind, expression, expression, ev)


def test_folder_units_and_an_intermingled_file() -> None:
    read, calls = reader(TREE)
    notices = [
        notice("userspace/libsinsp/third-party/jsoncpp/LICENSE", 1, "MIT", "license-text"),
        notice("userspace/libscap/scap.c", 1, "Apache-2.0"),
    ]
    facts = find_vendored(sorted(TREE), read, notices)
    # only files named like a known library are opened
    assert sorted(calls) == [
        "userspace/libscap/uthash.h",
        "userspace/libsinsp/third-party/tinydir.h",
        "userspace/libsinsp/uthash.h",
    ]
    uthash, jsoncpp, tinydir = facts.components
    assert jsoncpp == Component(
        id="source:userspace/libsinsp/third-party/jsoncpp",
        kind=ComponentKind.SOURCE,
        name="userspace/libsinsp/third-party/jsoncpp",
        evidence=(
            Evidence(
                "userspace/libsinsp/third-party/jsoncpp/LICENSE",
                0,
                "in the designated third-party folder userspace/libsinsp/third-party/",
                "vendored",
            ),
            notices[0].evidence,
        ),
        properties=(
            ("context", "userspace"),
            (
                "context_reason",
                "vendored third-party code in the designated third-party folder "
                "userspace/libsinsp/third-party/",
            ),
            ("files", "2"),
            ("folder", "userspace/libsinsp/third-party"),
            ("license", "MIT"),
            ("license_from", "license files of the vendored copy"),
            ("placement", "third-party-folder"),
            ("vendored", "true"),
        ),
    )
    assert (tinydir.id, tinydir.version) == (
        "source:userspace/libsinsp/third-party/tinydir.h",
        None,
    )
    assert dict(tinydir.properties)["license"] == "BSD-2-Clause"
    assert dict(tinydir.properties)["license_from"] == (
        "known-file table (tinydir: https://github.com/cxong/tinydir)"
    )
    assert dict(tinydir.properties)["upstream"] == "tinydir"
    assert uthash == Component(
        id="source:userspace/libscap/uthash.h",
        kind=ComponentKind.SOURCE,
        name="userspace/libscap/uthash.h",
        version="2.3.0",
        evidence=(
            Evidence(
                "userspace/libscap/uthash.h",
                2,
                "Copyright (c) 2003-2022, Troy D. Hanson  https://troydhanson.github.io/uthash/",
                "vendored",
            ),
        ),
        properties=(
            ("context", "userspace"),
            (
                "context_reason",
                "vendored third-party code uthash, intermingled with first-party code in "
                "userspace/libscap/",
            ),
            ("license", "BSD-1-Clause"),
            ("license_from", "known-file table (uthash: https://troydhanson.github.io/uthash/)"),
            ("placement", "intermingled"),
            ("upstream", "uthash"),
            ("url", "https://troydhanson.github.io/uthash/"),
            ("vendored", "true"),
        ),
    )
    assert facts.findings == (
        Finding(
            "intermingled-third-party",
            "source:userspace/libscap/uthash.h",
            "userspace/libscap/uthash.h is third-party code (uthash 2.3.0, BSD-1-Clause) copied "
            "among first-party files in userspace/libscap/ rather than kept in a third-party "
            "folder: move it under a designated third-party folder, or name it as intermingled "
            "in an exception request",
            uthash.evidence,
        ),
    )
    assert facts.paths == frozenset(
        {
            "userspace/libscap/uthash.h",
            "userspace/libsinsp/third-party/tinydir.h",
            "userspace/libsinsp/third-party/jsoncpp/json.cpp",
            "userspace/libsinsp/third-party/jsoncpp/LICENSE",
        }
    )
    assert facts.folders == frozenset({"userspace/libsinsp/third-party"})


def test_notices_disagreeing_with_the_table_are_kept_aside() -> None:
    read, _ = reader(TREE)
    seen = notice("userspace/libscap/uthash.h", 5, "BSD-2-Clause", "prose")
    facts = find_vendored(["userspace/libscap/uthash.h"], read, [seen])
    (uthash,) = facts.components
    assert uthash.prop("license") == "BSD-1-Clause"
    assert uthash.prop("licenses_seen") == "BSD-2-Clause"


def test_where_labels_messages_only() -> None:
    read, _ = reader(TREE)
    facts = find_vendored(["userspace/libscap/uthash.h"], read, where=lambda p: f"libs@abc:{p}")
    assert facts.findings[0].message.startswith(
        "libs@abc:userspace/libscap/uthash.h is third-party code (uthash 2.3.0, BSD-1-Clause) "
        "copied among first-party files in libs@abc:userspace/libscap/ rather"
    )
    assert facts.components[0].id == "source:userspace/libscap/uthash.h"


def test_go_vendor_modules_and_npm_packages() -> None:
    files = {
        "vendor/modules.txt": (
            "# github.com/pkg/errors v0.9.1\n"
            "## explicit\n"
            "github.com/pkg/errors\n"
            "# golang.org/x/sys v0.1.0 => golang.org/x/sys v0.2.0\n"
        ),
        "vendor/github.com/pkg/errors/errors.go": "package errors\n",
        "web/node_modules/left-pad/package.json": (
            '{\n  "name": "left-pad",\n  "version": "1.3.0"\n}'
        ),
        "web/node_modules/left-pad/index.js": "module.exports = 1;\n",
        "web/node_modules/@types/node/package.json": '{"name": "@types/node", "version": "20.1.0"}',
        "web/node_modules/broken/package.json": "{not json",
    }
    read, _ = reader(files)
    facts = find_vendored(sorted(files), read)
    rows = [
        (c.id, c.kind.value, c.evidence[0].location, dict(c.properties)) for c in facts.components
    ]
    assert rows == [
        (
            "golang:github.com/pkg/errors@v0.9.1",
            "package",
            "vendor/modules.txt:1",
            {"folder": "vendor", "placement": "third-party-folder", "vendored": "true"},
        ),
        (
            "golang:golang.org/x/sys@v0.1.0",
            "package",
            "vendor/modules.txt:4",
            {
                "folder": "vendor",
                "placement": "third-party-folder",
                "replaced_by": "golang.org/x/sys v0.2.0",
                "vendored": "true",
            },
        ),
        (
            "npm:@types/node@20.1.0",
            "package",
            "web/node_modules/@types/node/package.json:1",
            {"folder": "web/node_modules", "placement": "third-party-folder", "vendored": "true"},
        ),
        (
            "npm:left-pad@1.3.0",
            "package",
            "web/node_modules/left-pad/package.json:2",
            {"folder": "web/node_modules", "placement": "third-party-folder", "vendored": "true"},
        ),
    ]
    assert facts.findings == ()


def source(cid: str, directory: str, paths: list[str], files: str = "9") -> Component:
    return Component(
        id=cid,
        kind=ComponentKind.SOURCE,
        name=directory,
        evidence=tuple(Evidence(p, 1, "x", "notices") for p in paths),
        properties=(("directory", directory), ("files", files)),
    )


@pytest.mark.parametrize(
    ("component", "expected"),
    [
        # a first-party unit inside a third-party folder
        (source("source:lib/third-party", "lib/third-party", ["lib/third-party/a.h"]), True),
        (source("source:lib/third-party/x", "lib/third-party/x", ["lib/third-party/x/a.h"]), True),
        # a license group made only of the intermingled file
        (source("source:lib#BSD-2-Clause", "lib", ["lib/uthash.h"]), True),
        # the first-party group next to it stays
        (source("source:lib#Apache-2.0", "lib", ["lib/scap.c"]), False),
        # a directory unit whose only counted file is the vendored one
        (source("source:lib", "lib", ["lib/uthash.h"], "1"), True),
        # a whole directory is first-party when more files than the vendored one count
        (source("source:lib", "lib", ["lib/uthash.h"], "3"), False),
        # the vendored unit itself
        (source("source:lib/uthash.h", "lib", ["lib/uthash.h"]), False),
    ],
)
def test_supersedes(component: Component, expected: bool) -> None:
    facts = VendoredFacts(
        components=(source("source:lib/uthash.h", "lib", ["lib/uthash.h"]),),
        findings=(),
        paths=frozenset({"lib/uthash.h", "lib/third-party/a.h"}),
        folders=frozenset({"lib/third-party"}),
    )
    assert facts.supersedes(component) is expected


def test_a_custom_table(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(
        '[[file]]\nname = "x"\nfiles = ["X.H"]\nmarkers = ["XLIB"]\nlicense = "MIT"\n',
        encoding="utf-8",
    )
    assert load_known(path) == (KnownLibrary("x", ("x.h",), ("XLIB",), "MIT"),)
    path.write_text('[[file]]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(ValueError) as err:
        load_known(path)
    assert str(err.value) == f"{path}: file[0]: missing or bad key 'files'"


def test_a_library_is_not_vendored_in_its_own_repository() -> None:
    read, _ = reader({"tinydir.h": TINYDIR})
    assert find_vendored(["tinydir.h"], read, project="tinydir") == VendoredFacts((), ())
    (comp,) = find_vendored(["tinydir.h"], read, project="falco").components
    assert (comp.id, comp.prop("placement")) == ("source:tinydir.h", "intermingled")


def test_go_module_license_from_its_own_root() -> None:
    """Each vendored module takes the license texts in ``vendor/<module>/`` only: the unit
    is the module root, not the directory (``o/a`` and ``o/a/v2`` are two modules)."""
    files = {
        "vendor/modules.txt": (
            "# github.com/o/a v1.0.0\n"
            "# github.com/o/a/v2 v2.0.0\n"
            "# github.com/o/none v0.1.0\n"
            "# example.com/local v0.0.0 => ./local\n"
        ),
        "vendor/github.com/o/a/LICENSE": "MIT text\n",
        "vendor/github.com/o/a/v2/LICENSE": "BSD text\n",
        "vendor/github.com/o/a/v2/LICENSE.other": "Apache text\n",
        "vendor/github.com/o/none/x.go": "package none\n",
    }

    def text(path: str, line: int, expression: str) -> Notice:
        ev = Evidence(path, line, "…", "notices")
        return Notice(path, line, "license-text", expression, "…", ev)

    notices = [
        text("vendor/github.com/o/a/LICENSE", 1, "MIT"),
        text("vendor/github.com/o/a/v2/LICENSE", 1, "BSD-3-Clause"),
        text("vendor/github.com/o/a/v2/LICENSE.other", 1, "Apache-2.0"),
    ]
    read, _ = reader(files)
    facts = find_vendored(sorted(files), read, notices)
    got = {c.id: (c.prop("license"), [e.location for e in c.evidence]) for c in facts.components}
    assert got == {
        "golang:github.com/o/a@v1.0.0": (
            "MIT",
            ["vendor/modules.txt:1", "vendor/github.com/o/a/LICENSE:1"],
        ),
        "golang:github.com/o/a/v2@v2.0.0": (
            "Apache-2.0 AND BSD-3-Clause",
            [
                "vendor/modules.txt:2",
                "vendor/github.com/o/a/v2/LICENSE.other:1",
                "vendor/github.com/o/a/v2/LICENSE:1",
            ],
        ),
        "golang:github.com/o/none@v0.1.0": (None, ["vendor/modules.txt:3"]),
        # example.com/local => ./local: the project's own code, not a component
    }


class _Unread(list[Notice]):
    """Notices that fail the test when anything looks at them."""

    def __iter__(self):  # type: ignore[no-untyped-def]
        raise AssertionError("the notices were read")


def test_a_tree_that_vendors_nothing_never_sorts_its_notices() -> None:
    """The license notices are sorted for the units that ask (by bisection); a tree without
    any vendored unit leaves them alone (100,000s of notices on large trees)."""
    seen = Notice("src/a.c", 1, "spdx-tag", "MIT", "MIT", Evidence("src/a.c", 1, "MIT", "n"))
    facts = find_vendored(["README.md", "src/a.c"], lambda p: None, _Unread([seen]))
    assert facts.components == ()
    assert facts.findings == ()


def test_candidates_are_the_paths_find_vendored_looks_at() -> None:
    from audit.vendored import candidates

    files = [
        *sorted(TREE),
        "go/vendor/modules.txt",
        "go/vendor/github.com/x/y/y.go",
        "web/node_modules/left-pad/package.json",
        "src/main.c",
        "src/sqlite3.c",
    ]
    assert candidates(files) == [
        "userspace/libscap/uthash.h",
        "userspace/libsinsp/third-party/jsoncpp/LICENSE",
        "userspace/libsinsp/third-party/jsoncpp/json.cpp",
        "userspace/libsinsp/third-party/tinydir.h",
        "userspace/libsinsp/uthash.h",
        "go/vendor/modules.txt",
        "go/vendor/github.com/x/y/y.go",
        "web/node_modules/left-pad/package.json",
        "src/sqlite3.c",
    ]
    read, _ = reader({**TREE, "src/sqlite3.c": SQLITE})
    notices = [notice("userspace/libsinsp/third-party/jsoncpp/LICENSE", 1, "MIT", "license-text")]
    whole = find_vendored(sorted(files), read, notices, project="falco")
    assert [c.id for c in whole.components] == [
        "source:src/sqlite3.c",
        "source:userspace/libscap/uthash.h",
        "source:userspace/libsinsp/third-party/jsoncpp",
        "source:userspace/libsinsp/third-party/tinydir.h",
    ]
    assert find_vendored(sorted(candidates(files)), read, notices, project="falco") == whole
