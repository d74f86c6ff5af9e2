"""Grouping notices into source components (audit.licenses.sources)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.licenses import sources
from audit.licenses.sources import SourceFacts, group_sources, needs_notice, source_context
from audit.model import Component, ComponentKind, Evidence, Notice
from audit.scanners.base import SourceFile
from audit.scanners.notices import SCANNER

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "falco-2023"

DUAL = (
    "/*\n"
    "Copyright (C) 2023 The Falco Authors.\n"
    "\n"
    "This file is dual licensed under either the MIT or GPL 2. See MIT.txt\n"
    "or GPL.txt for full copies of the license.\n"
    "*/\n"
)
SPDX_DUAL = "// SPDX-License-Identifier: GPL-2.0-only OR MIT\n"
APACHE = "// SPDX-License-Identifier: Apache-2.0\n"


def scan_tree(files: dict[str, str]) -> SourceFacts:
    notices: list[Notice] = []
    for path, text in sorted(files.items()):
        if SCANNER.matches(path):
            notices.extend(SCANNER.scan(SourceFile(path, text)).notices)
    return group_sources(notices, sorted(files))


def by_id(facts: SourceFacts) -> dict[str, Component]:
    return {c.id: c for c in facts.components}


def props(c: Component, *keys: str) -> tuple[str | None, ...]:
    return tuple(c.prop(k) for k in keys)


# -- the bundled example ------------------------------------------------------------------


def scan_example() -> SourceFacts:
    found = (
        str(p.relative_to(EXAMPLE))
        for top in ("driver", "userspace")
        for p in (EXAMPLE / top).rglob("*")
        if p.is_file()
    )
    paths = [*sorted(found), "COPYING"]
    notices: list[Notice] = []
    for path in paths:
        if SCANNER.matches(path):
            text = (EXAMPLE / path).read_text(encoding="utf-8")
            notices.extend(SCANNER.scan(SourceFile(path, text)).notices)
    return group_sources(notices, paths)


def test_example_components() -> None:
    facts = scan_example()
    assert [
        (c.id, c.kind, c.name, *props(c, "license", "context", "files", "files_without_notice"))
        for c in facts.components
    ] == [
        (
            "source:driver",
            ComponentKind.SOURCE,
            "driver",
            "GPL-2.0-only OR MIT",
            "kernel-module",
            "4",
            "0",
        ),
        (
            "source:driver/bpf",
            ComponentKind.SOURCE,
            "driver/bpf",
            "GPL-2.0-only OR MIT",
            "ebpf",
            "2",
            "0",
        ),
        (
            "source:driver/modern_bpf",
            ComponentKind.SOURCE,
            "driver/modern_bpf",
            "GPL-2.0-only OR MIT",
            "ebpf",
            "4",
            "0",
        ),
        (
            "source:userspace",
            ComponentKind.SOURCE,
            "userspace",
            "Apache-2.0",
            "userspace",
            "4",
            "0",
        ),
    ]


def test_example_driver_component_detail() -> None:
    driver = by_id(scan_example())["source:driver"]
    assert dict(driver.properties) == {
        "context": "kernel-module",
        "context_reason": (
            'MODULE_LICENSE("GPL") at driver/main.c:42; '
            'Kbuild "obj-m += falco.o" at driver/Makefile.in:9; dkms.conf at driver/dkms.conf:1'
        ),
        "directory": "driver",
        "files": "4",
        "files_without_notice": "0",
        "license": "GPL-2.0-only OR MIT",
        "license_files": "driver/GPL2.txt=GPL-2.0-only, driver/MIT.txt=MIT",
        "license_from": "file notices",
        "module_license": "GPL",
        "raw": "dual licensed under either the MIT or GPL 2. | GPL",
    }
    assert driver.evidence == (
        Evidence("driver/GPL2.txt", 1, "GNU GENERAL PUBLIC LICENSE", "notices"),
        Evidence(
            "driver/MIT.txt",
            5,
            "Permission is hereby granted, free of charge, to any person obtaining a copy",
            "notices",
        ),
        Evidence(
            "driver/Makefile.in",
            4,
            "# This file is dual licensed under either the MIT or GPL 2. See",
            "notices",
        ),
        Evidence("driver/main.c", 42, 'MODULE_LICENSE("GPL");', "notices"),
    )


def test_example_ebpf_components_cite_their_license_sections() -> None:
    comps = by_id(scan_example())
    bpf, modern = comps["source:driver/bpf"], comps["source:driver/modern_bpf"]
    assert props(bpf, "license_section", "context_reason") == (
        "GPL",
        "eBPF program section raw_tracepoint/sys_enter at driver/bpf/probe.c:22; "
        'eBPF license section "GPL" at driver/bpf/probe.c:46',
    )
    assert (
        Evidence(
            "driver/bpf/probe.c",
            46,
            'char __license[] __bpf_section("license") = "GPL";',
            "notices",
        )
        in bpf.evidence
    )
    assert props(modern, "license_section", "raw") == (
        "Dual MIT/GPL",
        "GPL-2.0-only OR MIT | dual licensed under either the MIT or GPL 2. | Dual MIT/GPL",
    )
    assert (
        Evidence(
            "driver/modern_bpf/programs/sys_enter.bpf.c",
            15,
            'char LICENSE[] SEC("license") = "Dual MIT/GPL";',
            "notices",
        )
        in modern.evidence
    )


def test_example_findings() -> None:
    findings = scan_example().findings
    # MODULE_LICENSE("GPL") under a "GPL 2 or MIT" header only asks for GPL-only symbols:
    # a run-time marker, no contradiction. driver/dkms.conf is no source code: no notice due.
    assert [(f.kind, f.subject) for f in findings] == [
        ("missing-license-file", "source:driver"),
        ("missing-license-file", "source:driver/bpf"),
        ("missing-license-file", "source:driver/modern_bpf"),
        ("runtime-marker", "source:driver"),
        ("runtime-marker", "source:driver/bpf"),
    ]
    conflict = findings[3]
    assert conflict.evidence == (
        Evidence(
            "driver/main.c",
            5,
            "This file is dual licensed under either the MIT or GPL 2. See MIT.txt",
            "notices",
        ),
        Evidence("driver/main.c", 42, 'MODULE_LICENSE("GPL");', "notices"),
    )
    assert conflict.message.startswith(
        'MODULE_LICENSE("GPL") at driver/main.c:42 reads as GPL-2.0-only, but the header '
        "notice at driver/main.c:5 says GPL-2.0-only OR MIT; the component keeps "
        "GPL-2.0-only OR MIT"
    )
    missing = findings[0]
    assert missing.message == (
        "3 file(s) point to 'GPL.txt', which does not exist in driver or a parent directory; "
        "license files there: driver/GPL2.txt (GPL-2.0-only), driver/MIT.txt (MIT), "
        "COPYING (Apache-2.0)"
    )
    assert [e.location for e in missing.evidence] == [
        "driver/Makefile.in:5",
        "driver/main.c:6",
        "driver/ppm_events.c:6",
    ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("driver/main.c", True),
        ("pkg/x/y.go", True),
        ("scripts/build.sh", True),
        ("driver/dkms.conf", False),  # configuration
        (".github/workflows/ci.yaml", False),
        ("docs/README.md", False),
        ("pkg/testdata/sample.go", False),  # test data
        ("vendor/github.com/x/y.go", False),  # vendored
        ("third_party/lib/z.c", False),
        ("api/v1/types.pb.go", False),  # generated
        ("api/v1/zz_generated.deepcopy.go", False),
    ],
)
def test_only_source_code_is_expected_to_carry_a_notice(path: str, expected: bool) -> None:
    assert needs_notice(path) is expected


def test_uncovered_files_count_source_code_only() -> None:
    facts = scan_tree(
        {
            "app/main.go": APACHE + "package main\n",
            "app/util.go": "package main\n",
            "app/config.yaml": "a: 1\n",
            "app/testdata/in.go": "package x\n",
        }
    )
    (finding,) = [f for f in facts.findings if f.kind == "uncovered-files"]
    assert finding.message == (
        "1 of 2 source files in app carry no license notice; they inherit Apache-2.0 from the "
        "directory"
    )
    assert [e.path for e in finding.evidence] == ["app/util.go"]


def test_example_context_and_membership_helpers() -> None:
    facts = scan_example()
    comps = by_id(facts)
    assert source_context(comps["source:userspace"]) == (
        "userspace",
        "no MODULE_LICENSE, Kbuild obj-m, dkms.conf, eBPF license section or program section "
        "in userspace",
    )
    assert facts.component_of("driver/modern_bpf/helpers/read_from_task.h") == (
        "source:driver/modern_bpf"
    )
    assert facts.component_of("driver/dkms.conf") == "source:driver"
    assert facts.component_of("driver/GPL2.txt") is None
    assert facts.component_of("COPYING") is None


# -- small trees --------------------------------------------------------------------------


def test_runtime_string_agreeing_with_header_is_no_conflict() -> None:
    facts = scan_tree(
        {
            "bpf/prog.bpf.c": SPDX_DUAL + 'char LICENSE[] SEC("license") = "Dual MIT/GPL";\n',
            "kmod/mod.c": '// SPDX-License-Identifier: GPL-2.0-or-later\nMODULE_LICENSE("GPL");\n',
        }
    )
    assert [(c.id, c.prop("license"), c.prop("context")) for c in facts.components] == [
        ("source:bpf", "GPL-2.0-only OR MIT", "ebpf"),
        ("source:kmod", "GPL-2.0-or-later", "kernel-module"),
    ]
    assert facts.findings == ()


def test_module_without_headers_takes_the_runtime_string() -> None:
    facts = scan_tree(
        {
            "kmod/main.c": 'MODULE_LICENSE("Dual BSD/GPL");\n',
            "kmod/Kbuild": "obj-m += kmod.o\n",
            "app/main.go": APACHE + "package main\n",
        }
    )
    kmod = by_id(facts)["source:kmod"]
    assert props(kmod, "license", "license_from", "context", "files", "files_without_notice") == (
        "GPL-2.0-only OR LicenseRef-BSD-unspecified",
        "run-time license strings",
        "kernel-module",
        "2",
        "0",  # Kbuild is a build file: no notice due
    )
    assert by_id(facts)["source:app"].prop("context") == "userspace"


def test_runtime_only_file_under_header_licensed_directory_is_compared() -> None:
    facts = scan_tree(
        {
            "drv/main.c": 'MODULE_LICENSE("GPL");\n',
            "drv/events.c": SPDX_DUAL + "int x;\n",
        }
    )
    (finding,) = [f for f in facts.findings if f.kind == "runtime-marker"]
    assert finding.subject == "source:drv"
    assert finding.evidence == (
        Evidence("drv/events.c", 1, SPDX_DUAL.strip(), "notices"),
        Evidence("drv/main.c", 1, 'MODULE_LICENSE("GPL");', "notices"),
    )
    assert by_id(facts)["source:drv"].prop("license") == "GPL-2.0-only OR MIT"


def test_unknown_runtime_string_is_a_conflict() -> None:
    facts = scan_tree({"m/mod.c": '// SPDX-License-Identifier: MIT\nMODULE_LICENSE("MIT");\n'})
    (finding,) = facts.findings
    assert (finding.kind, finding.subject) == ("license-conflict", "source:m")
    assert 'MODULE_LICENSE("MIT") at m/mod.c:2 is not in the kernel\'s license table' in (
        finding.message
    )


def test_reference_found_in_a_parent_directory_is_no_finding() -> None:
    facts = scan_tree(
        {
            "driver/MIT.txt": (EXAMPLE / "driver" / "MIT.txt").read_text(encoding="utf-8"),
            "driver/GPL.txt": (EXAMPLE / "driver" / "GPL2.txt").read_text(encoding="utf-8"),
            "driver/bpf/probe.c": DUAL
            + 'char __license[] __bpf_section("license") = "Dual MIT/GPL";\n',
        }
    )
    assert facts.findings == ()
    assert by_id(facts)["source:driver/bpf"].prop("license_files") == (
        "driver/GPL.txt=GPL-2.0-only, driver/MIT.txt=MIT"
    )


def test_go_file_pointing_at_license_takes_its_identified_text() -> None:
    mit = (EXAMPLE / "driver" / "MIT.txt").read_text(encoding="utf-8")
    facts = scan_tree(
        {
            "LICENSE": mit,
            "pkg/a.go": "// Use of this source code is governed by a MIT-style\n"
            "// license that can be found in the LICENSE file.\npackage pkg\n",
        }
    )
    (comp,) = facts.components
    assert (comp.id, comp.prop("license"), comp.prop("files_without_notice")) == (
        "source:pkg",
        "MIT",
        "0",
    )
    assert comp.evidence == (
        Evidence(
            "LICENSE",
            5,
            "Permission is hereby granted, free of charge, to any person obtaining a copy",
            "notices",
        ),
        Evidence("pkg/a.go", 2, "// license that can be found in the LICENSE file.", "notices"),
    )


def test_unmarked_code_below_a_kernel_module_is_userspace() -> None:
    facts = scan_tree(
        {
            "driver/main.c": SPDX_DUAL + 'MODULE_LICENSE("Dual MIT/GPL");\n',
            "driver/include/events.h": SPDX_DUAL,
            "driver/tools/dump.c": SPDX_DUAL + "int main(void) { return 0; }\n",
        }
    )
    assert [(c.id, c.prop("context"), c.prop("files")) for c in facts.components] == [
        ("source:driver", "kernel-module", "2"),
        ("source:driver/tools", "userspace", "1"),
    ]
    assert facts.component_of("driver/include/events.h") == "source:driver"


def test_one_directory_with_two_licenses_gives_two_components() -> None:
    facts = scan_tree(
        {
            "lib/a.c": APACHE,
            "lib/b.c": "// SPDX-License-Identifier: MIT\n",
            "lib/c.c": "int c;\n",
        }
    )
    assert [(c.id, c.prop("license"), c.prop("files")) for c in facts.components] == [
        ("source:lib#Apache-2.0", "Apache-2.0", "1"),
        ("source:lib#MIT", "MIT", "1"),
    ]
    assert facts.component_of("lib/c.c") is None


def test_whole_tree_under_one_license_is_the_root_component() -> None:
    facts = scan_tree({"a.py": APACHE.replace("//", "#"), "pkg/b.py": "x = 1\n"})
    assert [
        (c.id, c.name, c.prop("files"), c.prop("files_without_notice")) for c in facts.components
    ] == [
        ("source:.", ".", "2", "1"),
    ]


@pytest.mark.parametrize(
    ("prose", "expected_kind"),
    [
        ("This file is dual licensed under either the MIT or GPL 2.", None),
        (
            "This program is free software; you can redistribute it under the terms of the "
            "GNU General Public License version 3 as published by the Free Software Foundation.",
            "license-conflict",
        ),
    ],
)
def test_spdx_tag_against_prose_header(prose: str, expected_kind: str | None) -> None:
    facts = scan_tree({"x/a.c": SPDX_DUAL + f"/* {prose} */\n"})
    expected = [(expected_kind, "source:x")] if expected_kind else []
    assert [(f.kind, f.subject) for f in facts.findings] == expected
    assert by_id(facts)["source:x"].prop("license") == "GPL-2.0-only OR MIT"


def test_headers_that_disagree_are_ambiguous() -> None:
    text = (
        '/* Licensed under the Apache License, Version 2.0 (the "License"); */\n'
        "/* This program is free software under the GNU General Public License version 2 "
        "as published by the Free Software Foundation. */\n"
    )
    facts = scan_tree({"y/b.c": text})
    assert facts.components == ()
    assert [(f.kind, f.subject) for f in facts.findings] == [("ambiguous-license", "y/b.c")]


def test_dual_sentence_above_mit_text_agrees() -> None:
    mit = (EXAMPLE / "driver" / "MIT.txt").read_text(encoding="utf-8")
    header = "/*\n * This file is dual licensed under either the MIT or GPL 2.\n *\n"
    header += "".join(f" * {line}\n" for line in mit.splitlines()) + " */\n"
    facts = scan_tree({"z/a.c": header})
    assert [(c.id, c.prop("license")) for c in facts.components] == [
        ("source:z", "GPL-2.0-only OR MIT")
    ]
    assert facts.findings == ()


def test_every_generated_mark_holds_gen_or_pb() -> None:
    """needs_notice looks for the marks only in names holding "gen" or ".pb."."""
    assert all("gen" in m or ".pb." in m for m in sources._GENERATED_MARKS)
    assert not needs_notice("pkg/api/types_gen.go")
    assert not needs_notice("pkg/api/x.gen.h")
    assert needs_notice("pkg/api/general.go")


_PATHS = st.lists(
    st.lists(st.sampled_from(["a", "b", "a-b", "a.b", "ab", "b0"]), min_size=1, max_size=4).map(
        "/".join
    ),
    min_size=1,
    unique=True,
)


@given(_PATHS)
def test_common_dir_of_sorted_paths_is_that_of_the_first_and_last(paths: list[str]) -> None:
    """_emit takes the directory of a component's sorted files from its first and last."""
    paths.sort()
    assert sources._common_dir((paths[0], paths[-1])) == sources._common_dir(paths)


# -- the file layout (built from the paths alone, while the scan runs) --------------------


def test_file_layout_of_paths() -> None:
    layout = sources.FileLayout.of(
        ["Makefile", "README.md", "lib/LICENSE", "lib/a.c", "lib/x/b.go", "lib/x/b.o"]
    )
    assert dict(layout.direct) == {
        "": ("Makefile", "README.md"),
        "lib": ("lib/LICENSE", "lib/a.c"),
        "lib/x": ("lib/x/b.go", "lib/x/b.o"),
    }
    assert layout.paths == {
        "Makefile", "README.md", "lib/LICENSE", "lib/a.c", "lib/x/b.go", "lib/x/b.o"
    }  # fmt: skip
    assert layout.counted == {"Makefile", "lib/a.c", "lib/x/b.go"}


def test_file_layout_including_paths_it_lacks() -> None:
    layout = sources.FileLayout.of(["lib/a.c", "lib/b.c"])
    assert layout.including(["lib/a.c"]) is layout
    wider = layout.including(["lib/c.c", "lib/a.c", "lib/c.c", "top.go"])
    assert dict(wider.direct) == {"lib": ("lib/a.c", "lib/b.c", "lib/c.c"), "": ("top.go",)}
    assert wider.counted == {"lib/a.c", "lib/b.c", "lib/c.c", "top.go"}


def test_grouping_takes_the_paths_or_their_layout_alike() -> None:
    files = {
        "lib/a.c": APACHE,
        "lib/b.c": "int b;\n",
        "lib/sub/c.c": "int c;\n",
        "lib/sub/d.o": "",
        "lib/m/e.c": "// SPDX-License-Identifier: MIT\n",
        "lib/m/f.c": "int f;\n",
    }
    notices = [
        n
        for path, text in sorted(files.items())
        for n in SCANNER.scan(SourceFile(path, text)).notices
    ]
    facts = group_sources(notices, sources.FileLayout.of(sorted(files)))
    assert facts == group_sources(notices, sorted(files))
    assert [(c.id, c.prop("files"), c.prop("files_without_notice")) for c in facts.components] == [
        ("source:lib", "3", "2"),
        ("source:lib/m", "2", "1"),
    ]
    # the files without a notice of a sub-directory without licensed files go with lib
    assert facts.component_of("lib/sub/c.c") == "source:lib"
    assert facts.component_of("lib/sub/d.o") is None  # not counted: an object file
    assert facts.component_of("lib/m/f.c") == "source:lib/m"
    (finding,) = [f for f in facts.findings if f.subject == "source:lib"]
    assert [e.path for e in finding.evidence] == ["lib/b.c", "lib/sub/c.c"]
    assert dict(facts.owners) == {
        "lib/a.c": "source:lib",
        "lib/b.c": "source:lib",
        "lib/sub/c.c": "source:lib",
        "lib/m/e.c": "source:lib/m",
        "lib/m/f.c": "source:lib/m",
    }


def test_notices_of_a_file_the_list_lacks_are_grouped() -> None:
    notices = SCANNER.scan(SourceFile("lib/a.c", APACHE)).notices
    facts = group_sources(notices, ["lib/b.c"])
    assert [(c.id, c.prop("files"), c.prop("files_without_notice")) for c in facts.components] == [
        ("source:lib", "2", "1")
    ]
    assert facts.component_of("lib/a.c") == "source:lib"


def _tag(path: str, line: int, raw: str, kind: str = "spdx-tag") -> Notice:
    return Notice(path, line, kind, raw, raw, Evidence(path, line, raw, "notices"))


def test_first_notice_of_each_kind_and_text() -> None:
    a2, a1, b1 = _tag("b.c", 2, "MIT"), _tag("b.c", 1, "MIT"), _tag("a.c", 9, "MIT")
    assert sources._first_of_each([a2, a1, b1]) == {("spdx-tag", "MIT"): b1}
    # among equals, the first given
    twin = _tag("a.c", 9, "MIT")
    assert sources._first_of_each([twin, b1])[("spdx-tag", "MIT")] is twin
    # several: each one's first, ordered by path and line
    p = _tag("a.c", 3, "Apache-2.0", kind="prose")
    first = sources._first_of_each([a1, p, b1, _tag("a.c", 1, "Apache-2.0", kind="prose")])
    assert list(first) == [("prose", "Apache-2.0"), ("spdx-tag", "MIT")]
    assert first[("prose", "Apache-2.0")].line == 1
    assert first[("spdx-tag", "MIT")] is b1


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a.c", "b.c", "a/b.c", "a.c.c"]),
            st.integers(1, 3),
            st.sampled_from(["MIT", "BSD-2-Clause"]),
            st.sampled_from(["spdx-tag", "prose"]),
        ),
        max_size=8,
    )
)
def test_first_notice_of_each_is_its_definition(items: list[tuple[str, int, str, str]]) -> None:
    """The loop of the common case (one kind and text for all) and the sorted pass give
    what sorting by path and line and taking each kind and text's first gives: the same
    notice objects (the first given among equals), in that order."""
    notices = [_tag(path, line, raw, kind) for path, line, raw, kind in items]
    expected: dict[tuple[str, str], Notice] = {}
    for n in sorted(notices, key=lambda n: (n.path, n.line)):
        expected.setdefault((n.kind, n.raw), n)
    got = sources._first_of_each(notices)
    assert list(got) == list(expected)
    assert all(got[key] is expected[key] for key in expected)


def test_the_files_without_a_notice_of_directories_are_listed_directory_by_directory() -> None:
    notices = [
        Notice("a/x.c", 1, "spdx-tag", "MIT", "MIT", Evidence("a/x.c", 1, "MIT", "notices")),
        Notice("a/b/y.c", 1, "spdx-tag", "MIT", "MIT", Evidence("a/b/y.c", 1, "MIT", "notices")),
    ]
    paths = ["a/x.c", "a/w.c", "a/v.h", "a/b/y.c", "a/b/z.c", "c/u.c"]
    builder = sources._Builder(notices, sources.FileLayout.of(paths))
    assert builder._bare(["a/b", "a", "none"]) == ["a/b/z.c", "a/w.c", "a/v.h"]
    assert builder._bare([]) == []


def test_grouping_leaves_its_tables_to_a_process_that_keeps_until_exit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from audit import quickexit

    notices = [Notice("a/x.c", 1, "spdx-tag", "MIT", "MIT", Evidence("a/x.c", 1, "MIT", "n"))]
    monkeypatch.setattr(quickexit, "_kept", [])
    facts = group_sources(notices, ["a/x.c"])
    ((builder,),) = quickexit._kept
    assert (type(builder), builder.runtimes, builder.marked) == (sources._Builder, False, False)
    assert [c.id for c in facts.components] == ["source:a"]
    monkeypatch.setattr(quickexit, "_kept", None)
    group_sources(notices, ["a/x.c"])
    assert quickexit._kept is None


def test_a_builder_knows_whether_any_file_has_a_run_time_license_or_markers() -> None:
    builder = sources._Builder(
        [
            Notice(
                "m/a.c",
                1,
                "spdx-tag",
                "GPL-2.0-only",
                "GPL-2.0-only",
                Evidence("m/a.c", 1, "x", "n"),
            ),
            Notice(
                "m/a.c", 9, "module-license", "GPL-2.0-only", "GPL", Evidence("m/a.c", 9, "y", "n")
            ),
        ],
        sources.FileLayout.of(["m/a.c"]),
    )
    assert (builder.runtimes, builder.marked) == (True, True)


def test_a_file_whose_first_notice_is_a_header_is_decided_by_all_of_them() -> None:
    def n(path: str, line: int, kind: str, expr: str) -> Notice:
        return Notice(path, line, kind, expr, expr, Evidence(path, line, expr, "notices"))

    prose, tag = n("a/x.c", 3, "prose", "MIT"), n("a/x.c", 1, "spdx-tag", "Apache-2.0")
    only = n("a/y.c", 1, "spdx-tag", "Apache-2.0")
    builder = sources._Builder([prose, only, tag], sources.FileLayout.of(["a/x.c", "a/y.c"]))
    x, y = builder.files["a/x.c"], builder.files["a/y.c"]
    assert (x.notices, x.header, x.deciding) == ([tag, prose], "Apache-2.0", (tag,))
    assert (y.notices, y.header, y.deciding) == ([only], "Apache-2.0", (only,))
    assert [(k, p) for k, p, _m, _e in builder.file_findings] == [("license-conflict", "a/x.c")]
