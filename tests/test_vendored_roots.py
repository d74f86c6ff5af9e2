"""The module-root license rule for third_party/ trees and node_modules/ packages.

No corpus tree has a third-party folder with license files below its first level, nor a
node_modules/ (libs' userspace/libsinsp/third-party/ holds tinydir.h and jsoncpp/ without a
LICENSE; kepler's third_party/ folders are inside Go's vendor/, read from modules.txt):
small trees with the license texts the tools ship (data/license-texts).
"""

from __future__ import annotations

from pathlib import Path

from tree_helpers import write

from audit.config import Config
from audit.model import Component
from audit.pipeline import build_inventory
from audit.resources import data_dir


def _text(license_id: str) -> str:
    return (data_dir() / "license-texts" / f"{license_id}.txt").read_text(encoding="utf-8")


def _components(root: Path) -> dict[str, Component]:
    return {c.id: c for c in build_inventory(root, Config()).inventory.components}


def test_each_license_root_below_third_party_is_one_component(tmp_path: Path) -> None:
    root = write(
        tmp_path / "t",
        {
            "third_party/github.com/o/a/LICENSE": _text("MIT"),
            "third_party/github.com/o/a/a.c": "int a;\n",
            "third_party/github.com/o/b/COPYING": _text("BSD-3-Clause"),
            "third_party/github.com/o/b/sub/b.c": "// SPDX-License-Identifier: Zlib\nint b;\n",
            "third_party/github.com/README": "forks\n",
            "third_party/zlib/LICENSE": _text("Zlib"),
            "third_party/zlib/zlib.h": "/* zlib.h */\n",
        },
    )
    comps = _components(root)
    vendored = sorted(c for c in comps if comps[c].prop("vendored"))
    assert vendored == [
        "source:third_party/github.com",
        "source:third_party/github.com/o/a",
        "source:third_party/github.com/o/b",
        "source:third_party/zlib",
    ]
    a = comps["source:third_party/github.com/o/a"]
    assert (a.prop("license"), a.prop("license_from"), a.prop("files")) == (
        "MIT",
        "license files of the vendored copy",
        "2",
    )
    assert "third_party/github.com/o/a/LICENSE:1" in {e.location for e in a.evidence}
    b = comps["source:third_party/github.com/o/b"]
    assert (b.prop("license"), b.prop("licenses_seen")) == ("BSD-3-Clause", "BSD-3-Clause | Zlib")
    assert comps["source:third_party/zlib"].prop("license") == "Zlib"
    rest = comps["source:third_party/github.com"]  # the README under no license root
    assert (rest.prop("files"), rest.prop("license")) == ("1", None)


def test_node_modules_packages_take_their_license_files(tmp_path: Path) -> None:
    root = write(
        tmp_path / "web",
        {
            "package.json": '{"name": "web", "dependencies": {"left-pad": "1.3.0"}}\n',
            "node_modules/left-pad/package.json": '{\n  "name": "left-pad",\n'
            '  "version": "1.3.0",\n  "license": "WTFPL"\n}\n',
            "node_modules/left-pad/LICENSE": _text("MIT"),
            "node_modules/@s/b/package.json": '{\n  "name": "@s/b",\n  "version": "2.0.0",\n'
            '  "license": "ISC"\n}\n',
            "node_modules/@s/b/node_modules/c/package.json": '{"name": "c", "version": "0.1.0"}\n',
            "node_modules/@s/b/node_modules/c/LICENSE.md": _text("BSD-2-Clause"),
        },
    )
    comps = _components(root)
    pad = comps["npm:left-pad@1.3.0"]
    assert (pad.prop("license"), pad.prop("license_from"), pad.prop("vendored")) == (
        "MIT",
        "license files of the vendored copy",
        "true",
    )
    assert [e.location for e in pad.evidence] == [
        "node_modules/left-pad/LICENSE:1",
        "node_modules/left-pad/package.json:2",
        "package.json:1",
    ]
    b = comps["npm:@s/b@2.0.0"]
    assert (b.prop("license"), b.prop("license_from")) == (
        "ISC",
        "the package.json of the vendored copy",
    )
    assert "node_modules/@s/b/package.json:4" in {e.location for e in b.evidence}
    c = comps["npm:c@0.1.0"]
    assert (c.prop("license"), c.prop("folder")) == (
        "BSD-2-Clause",
        "node_modules/@s/b/node_modules",
    )
