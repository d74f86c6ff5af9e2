"""The notices scanner: SPDX tags, prose headers, kernel/eBPF strings, hints, references."""

from __future__ import annotations

import pytest
from corpus import Corpus
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.licenses import kernel
from audit.model import Evidence, Notice, Problem
from audit.scanners import notices
from audit.scanners.base import SourceFile
from audit.scanners.notice_files import (
    counted_sources,
    is_c_family,
    is_counted_source,
    is_license_file,
    is_source_file,
    kinds,
    named,
    plain_source,
)
from audit.scanners.notices import SCANNER, normalize_spdx, scan_notices

FALCO_DUAL = """\
/*

Copyright (C) 2023 The Falco Authors.

This file is dual licensed under either the MIT or GPL 2. See MIT.txt
or GPL.txt for full copies of the license.

*/
"""

APACHE_HEADER = """\
/*
Copyright (C) 2023 The Falco Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/
"""


def scan(path: str, text: str) -> tuple[tuple[Notice, ...], tuple[Problem, ...]]:
    result = scan_notices(SourceFile(path, text))
    return result.notices, result.problems


def facts(path: str, text: str) -> list[tuple[int, str, str | None, str]]:
    notices, _ = scan(path, text)
    return [(n.line, n.kind, n.expression, n.raw) for n in notices]


# -- file selection -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        ("driver/main.c", True),
        ("driver/ppm_events.h", True),
        ("driver/modern_bpf/programs/sys_enter.bpf.c", True),
        ("arch/x86/entry.S", True),
        ("userspace/engine/rule_loader.cpp", True),
        ("scripts/build.sh", True),
        ("tools/gen.py", True),
        ("pkg/main.go", True),
        ("src/lib.rs", True),
        ("cmake/modules/njson.cmake", True),
        ("CMakeLists.txt", True),
        (".github/workflows/ci.yaml", True),
        ("driver/Makefile", True),
        ("driver/Makefile.in", True),
        ("driver/Kbuild", True),
        ("driver/dkms.conf", True),
        ("LICENSE", True),
        ("LICENSE-MIT", True),
        ("LICENSE.md", True),
        ("COPYING", True),
        ("NOTICE", True),
        ("LICENSES/preferred/GPL-2.0", True),
        ("driver/GPL2.txt", True),
        ("driver/MIT.txt", True),
        ("docs/images/falco-logo.png", False),
        ("dist/falco-0.35.1.tar.gz", False),
        ("README.md", False),
        ("docs/index.rst", False),
        ("src/Main.java", True),
        ("lib/x.rb", True),
        ("m4/ax_check.m4", True),
        ("tests/data/notice-sample.txt", True),
        ("scripts/run", True),
        ("test/requirements.txt", False),
        ("node_modules/spdx/license.js", True),
        ("docs/license.json", False),
        ("web/package.json", False),
        ("go.sum", False),
    ],
)
def test_matches_by_name(path: str, wanted: bool) -> None:
    assert SCANNER.matches(path) is wanted


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        ("LICENSE", True),
        ("COPYING.LESSER", True),
        ("driver/GPL2.txt", True),
        ("LICENSES/MIT.txt", True),
        ("src/license.py", False),
        ("driver/main.c", False),
        ("CMakeLists.txt", False),
    ],
)
def test_is_license_file(path: str, wanted: bool) -> None:
    assert is_license_file(path) is wanted


@pytest.mark.parametrize(
    ("path", "counted"),
    [
        ("src/a.c", True),
        ("Makefile", True),
        ("cmake/FindX.cmake", True),
        ("ci/licence-check.yaml", True),  # .yaml never names a license file
        ("LICENSES/build.sh", False),  # under LICENSES/: a license file
        ("scripts/license.sh", False),  # named license*: a license file
        ("COPYING", False),
        ("README.md", False),
        ("docs/GPL2.txt", False),
    ],
)
def test_counted_sources_are_source_files_that_are_no_license_file(
    path: str, counted: bool
) -> None:
    assert is_counted_source(path) is counted
    assert counted is (is_source_file(path) and not is_license_file(path))
    assert counted_sources([path]) == ([path] if counted else [])


@given(
    st.lists(st.sampled_from(["src", "LICENSES", "licenses", "a.b", "x.c", ""]), max_size=3),
    st.sampled_from(["license", "COPYING", "main", "Makefile", "kbuild", "", ".", "a.", "chart"]),
    st.sampled_from(["", ".c", ".C", ".h", ".S", ".s", ".py", ".yaml", ".go", ".in", ".c/x"]),
)
def test_plain_source_is_what_kinds_says(dirs: list[str], stem: str, ext: str) -> None:
    # The notices scanner's first test of a path: where it answers, kinds() agrees, and the
    # name it then leaves unread is no kernel build file's.
    path = "/".join([*dirs, stem + ext])
    c_family = plain_source(path)
    if c_family is not None:
        by_name, license_file, c_kinds, name = kinds(path)
        assert (by_name, license_file, c_kinds) == (True, False, c_family)
        assert name not in notices._KERNEL_BUILD_NAMES
    assert plain_source("src/main.c") is True
    assert plain_source("src/main.py") is False
    assert plain_source("src/LICENSE.c") is True  # a .c file is no license file
    assert plain_source("src/main.C") is None  # kinds() lowers it
    assert plain_source("src/.c") is None
    assert plain_source("a.c/Makefile") is None


def test_counted_sources_keeps_the_counted_paths_in_order() -> None:
    paths = ["src/a.c", "README.md", "Makefile.in", "LICENSES/b.sh", "x/dkms.CONF", "y/.bashrc"]
    assert counted_sources(paths) == ["src/a.c", "Makefile.in", "x/dkms.CONF"]
    assert counted_sources(iter(paths)) == list(filter(is_counted_source, paths))


@given(
    st.lists(st.sampled_from(["src", "LICENSES", "licenses", "a.b", ""]), max_size=3),
    st.sampled_from(["license", "Licence-x", "COPYING", "gpl2", "mit", "main", "Makefile"]),
    st.sampled_from(["", ".c", ".sh", ".txt", ".md", ".yaml", ".py", ".S", ".in", ".cmake"]),
)
def test_counted_source_is_its_definition(dirs: list[str], stem: str, ext: str) -> None:
    path = "/".join([*dirs, stem + ext])
    assert is_counted_source(path) is (is_source_file(path) and not is_license_file(path))
    assert counted_sources([path]) == ([path] if is_counted_source(path) else [])
    assert named(path) is (is_source_file(path) or is_license_file(path))
    name = path.rsplit("/", 1)[-1]
    assert kinds(path) == (
        is_source_file(path) or is_license_file(path),
        is_license_file(path),
        is_c_family(path),
        name.lower(),
    )


# -- SPDX ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text", "line", "expression", "raw"),
    [
        ("a.c", "// SPDX-License-Identifier: GPL-2.0\n", 1, "GPL-2.0-only", "GPL-2.0"),
        ("a.h", "/* SPDX-License-Identifier: GPL-2.0+ */\n", 1, "GPL-2.0-or-later", "GPL-2.0+"),
        (
            "a.py",
            "#!/usr/bin/env python3\n# SPDX-License-Identifier: Apache-2.0\n",
            2,
            "Apache-2.0",
            "Apache-2.0",
        ),
        ("q.sql", "-- SPDX-License-Identifier: MIT\n", 1, "MIT", "MIT"),
        (
            "boot.asm",
            "; SPDX-License-Identifier: BSD-2-Clause\n",
            1,
            "BSD-2-Clause",
            "BSD-2-Clause",
        ),
        ("doc.html", "<!-- SPDX-License-Identifier: CC-BY-4.0 -->\n", 1, "CC-BY-4.0", "CC-BY-4.0"),
        (
            "x.c",
            "// SPDX-License-Identifier: (MIT OR GPL-2.0)\n",
            1,
            "MIT OR GPL-2.0-only",
            "(MIT OR GPL-2.0)",
        ),
        (
            "uapi.h",
            "/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */\n",
            1,
            "GPL-2.0-only WITH Linux-syscall-note",
            "GPL-2.0 WITH Linux-syscall-note",
        ),
        (
            "p.c",
            "// SPDX-License-Identifier: LicenseRef-Falco-Internal\n",
            1,
            "LicenseRef-Falco-Internal",
            "LicenseRef-Falco-Internal",
        ),
    ],
)
def test_spdx_tag_in_any_comment_style(
    path: str, text: str, line: int, expression: str, raw: str
) -> None:
    notices, problems = scan(path, text)
    assert notices == (
        Notice(
            path,
            line,
            "spdx-tag",
            expression,
            raw,
            Evidence(path, line, text.splitlines()[line - 1], "notices"),
        ),
    )
    assert problems == ()


@pytest.mark.parametrize("raw", ["Apache2", "MIT OR", "GPL-2.0 AND (MIT"])
def test_unparseable_spdx_tag_keeps_raw_and_reports(raw: str) -> None:
    text = f"// SPDX-License-Identifier: {raw}\n"
    notices, problems = scan("a.c", text)
    assert [(n.kind, n.expression, n.raw) for n in notices] == [("spdx-tag", None, raw)]
    assert problems == (
        Problem(
            "a.c", 1, "parse-error", f"not a valid SPDX license expression: {raw!r}", "notices"
        ),
    )


def test_spdx_tag_inside_code_or_past_the_head_is_ignored() -> None:
    code = 'print("SPDX-License-Identifier: MIT")\n'
    assert facts("gen.py", code) == []
    late = "int x;\n" * 70 + "// SPDX-License-Identifier: MIT\n"
    assert facts("late.c", late) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("GPL-2.0", "GPL-2.0-only"),
        ("GPL-2.0+", "GPL-2.0-or-later"),
        ("LGPL-2.1+", "LGPL-2.1-or-later"),
        ("GPL-3.0", "GPL-3.0-only"),
        ("mit", "MIT"),
        ("Apache-2.0 OR MIT", "Apache-2.0 OR MIT"),
        ("Apache2", None),
        ("", None),
    ],
)
def test_normalize_spdx(raw: str, expected: str | None) -> None:
    assert normalize_spdx(raw) == expected


# -- kernel and eBPF strings --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expression"),
    [
        ("GPL", "GPL-2.0-only"),
        ("GPL v2", "GPL-2.0-only"),
        ("GPL and additional rights", "LicenseRef-GPL-2.0-and-additional-rights"),
        ("Dual BSD/GPL", "GPL-2.0-only OR LicenseRef-BSD-unspecified"),
        ("Dual MIT/GPL", "GPL-2.0-only OR MIT"),
        ("Dual MPL/GPL", "GPL-2.0-only OR LicenseRef-MPL-unspecified"),
        ("Proprietary", "LicenseRef-Proprietary"),
        ("BSD", None),
        ("unspecified", None),
    ],
)
def test_module_license_reads_the_kernel_table(raw: str, expression: str | None) -> None:
    text = f'#include <linux/module.h>\n\nMODULE_AUTHOR("x");\nMODULE_LICENSE("{raw}");\n'
    notices, problems = scan("drv/mod.c", text)
    assert notices == (
        Notice(
            "drv/mod.c",
            4,
            "module-license",
            expression,
            raw,
            Evidence("drv/mod.c", 4, f'MODULE_LICENSE("{raw}");', "notices"),
        ),
    )
    assert problems == ()


def test_module_license_macro_is_a_hint_and_unresolved() -> None:
    text = '#define DRIVER_LICENSE "GPL"\nMODULE_LICENSE(DRIVER_LICENSE);\n'
    notices, problems = scan("mod.c", text)
    assert [(n.line, n.kind, n.expression, n.raw) for n in notices] == [
        (2, "kernel-build", None, "MODULE_LICENSE(DRIVER_LICENSE)")
    ]
    assert problems == (
        Problem(
            "mod.c",
            2,
            "unresolved",
            "MODULE_LICENSE(DRIVER_LICENSE): the license string is a macro",
            "notices",
        ),
    )


def test_module_license_in_comments_and_non_c_files_is_ignored() -> None:
    assert facts("mod.c", '// MODULE_LICENSE("GPL");\n/*\n * MODULE_LICENSE("GPL")\n */\n') == []
    assert facts("gen.py", "out.write('MODULE_LICENSE(\"GPL\");')\n") == []


@pytest.mark.parametrize(
    ("line", "raw"),
    [
        ('char LICENSE[] SEC("license") = "Dual MIT/GPL";', "Dual MIT/GPL"),
        ('char __license[] __bpf_section("license") = "GPL";', "GPL"),
        ('static const char _license[] __section("license") = "Dual BSD/GPL";', "Dual BSD/GPL"),
        ('char _license[] __attribute__((section("license"), used)) = "GPL v2";', "GPL v2"),
    ],
)
def test_ebpf_license_section_syntaxes(line: str, raw: str) -> None:
    text = f"#include <linux/bpf.h>\n\n{line}\n"
    notices, _ = scan("probe.c", text)
    assert notices == (
        Notice(
            "probe.c",
            3,
            "ebpf-section",
            kernel.expression_for(raw),
            raw,
            Evidence("probe.c", 3, line, "notices"),
        ),
    )


def test_ebpf_program_sections() -> None:
    text = (
        'struct { __uint(type, BPF_MAP_TYPE_ARRAY); } m SEC(".maps");\n'
        '/* SEC("kprobe/in_a_comment") */\n'
        'SEC("tp_btf/sys_enter")\n'
        "int BPF_PROG(sys_enter, struct pt_regs *regs, long id) { return 0; }\n"
        'SEC("tp_btf/sys_exit")\n'
    )
    assert facts("prog.c", text) == [(3, "ebpf-program", None, "tp_btf/sys_enter")]


def test_bpf_c_file_without_program_section_is_a_hint_on_the_whole_file() -> None:
    notices, _ = scan("helpers/maps.bpf.c", "int x;\n")
    assert notices == (
        Notice(
            "helpers/maps.bpf.c",
            0,
            "ebpf-program",
            None,
            "*.bpf.c",
            Evidence("helpers/maps.bpf.c", 0, "file name ends in .bpf.c", "notices"),
        ),
    )


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        ("driver/Kbuild", "obj-m += falco.o\nfalco-y := main.o\n", [(1, "obj-m += falco.o")]),
        (
            "driver/Makefile.in",
            "# build\nfalco-y += main.o\nobj-m += falco.o\n",
            [(3, "obj-m += falco.o")],
        ),
        ("Makefile", "all:\n\tgo build ./...\n", []),
        (
            "driver/dkms.conf",
            'PACKAGE_NAME="falco"\nBUILT_MODULE_NAME[0]="falco"\n',
            [(1, "dkms.conf")],
        ),
    ],
)
def test_kernel_build_hints(path: str, text: str, expected: list[tuple[int, str]]) -> None:
    notices, _ = scan(path, text)
    assert [(n.line, n.raw) for n in notices if n.kind == "kernel-build"] == expected
    assert all(n.expression is None for n in notices)


# -- prose headers ------------------------------------------------------------------------


def test_falco_dual_header_and_its_references() -> None:
    notices, problems = scan("driver/main.c", FALCO_DUAL + '\nMODULE_LICENSE("GPL");\n')
    assert notices == (
        Notice(
            "driver/main.c",
            5,
            "prose",
            "GPL-2.0-only OR MIT",
            "dual licensed under either the MIT or GPL 2.",
            Evidence(
                "driver/main.c",
                5,
                "This file is dual licensed under either the MIT or GPL 2. See MIT.txt",
                "notices",
            ),
        ),
        Notice(
            "driver/main.c",
            5,
            "reference",
            None,
            "MIT.txt",
            Evidence(
                "driver/main.c",
                5,
                "This file is dual licensed under either the MIT or GPL 2. See MIT.txt",
                "notices",
            ),
        ),
        Notice(
            "driver/main.c",
            6,
            "reference",
            None,
            "GPL.txt",
            Evidence("driver/main.c", 6, "or GPL.txt for full copies of the license.", "notices"),
        ),
        Notice(
            "driver/main.c",
            10,
            "module-license",
            "GPL-2.0-only",
            "GPL",
            Evidence("driver/main.c", 10, 'MODULE_LICENSE("GPL");', "notices"),
        ),
    )
    assert problems == ()


@pytest.mark.parametrize(
    ("header", "line", "expression"),
    [
        (
            "/*\n * This file is dual licensed under either the MIT license or the GPL 2.\n */\n",
            2,
            "GPL-2.0-only OR MIT",
        ),
        (
            "# This file is dual-licensed under the MIT or GPL v2 licenses.\n",
            1,
            "GPL-2.0-only OR MIT",
        ),
        (
            "// Dual licensed under the MIT license or GPL version 2 or later.\n",
            1,
            "GPL-2.0-or-later OR MIT",
        ),
        (
            "/* This file is dual licensed under BSD or GPL 2 */\n",
            1,
            "GPL-2.0-only OR LicenseRef-BSD-unspecified",
        ),
    ],
)
def test_dual_license_prose_variants(header: str, line: int, expression: str) -> None:
    notices, _ = scan("x.c", header)
    assert [(n.line, n.kind, n.expression) for n in notices] == [(line, "prose", expression)]


def test_apache_header() -> None:
    notices, _ = scan("userspace/engine/rule_loader.cpp", APACHE_HEADER + "int x;\n")
    assert [(n.line, n.kind, n.expression, n.raw) for n in notices] == [
        (
            4,
            "prose",
            "Apache-2.0",
            'Licensed under the Apache License, Version 2.0 (the "License"); you may not use '
            "this file except in compliance with the License.",
        )
    ]


GPL2_LATER = """\
/*
 * Copyright (C) 2001 Jane Doe
 *
 * This program is free software; you can redistribute it and/or modify
 * it under the terms of the GNU General Public License as published by
 * the Free Software Foundation; either version 2 of the License, or
 * (at your option) any later version.
 */
"""
GPL3_LATER = GPL2_LATER.replace("either version 2", "either version 3")
LGPL21_LATER = GPL2_LATER.replace(
    "GNU General Public License", "GNU Lesser General Public License"
).replace("either version 2", "either version 2.1")
GPL2_ONLY = """\
/*
 * This program is free software; you can redistribute it and/or modify
 * it under the terms of the GNU General Public License version 2 as
 * published by the Free Software Foundation.
 */
"""


@pytest.mark.parametrize(
    ("header", "line", "expression"),
    [
        (GPL2_LATER, 4, "GPL-2.0-or-later"),
        (GPL3_LATER, 4, "GPL-3.0-or-later"),
        (LGPL21_LATER, 4, "LGPL-2.1-or-later"),
        (GPL2_ONLY, 2, "GPL-2.0-only"),
    ],
)
def test_gnu_headers(header: str, line: int, expression: str) -> None:
    notices, _ = scan("k.c", header)
    assert [(n.line, n.kind, n.expression) for n in notices] == [(line, "prose", expression)]


MIT_HEADER = """\
# Copyright (c) 2020 Example Authors
#
# Permission is hereby granted, free of charge, to any person obtaining a copy
# of this software and associated documentation files (the "Software"), to deal
# in the Software without restriction, including without limitation the rights
# to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
# copies of the Software, and to permit persons to whom the Software is
# furnished to do so, subject to the following conditions:
#
# The above copyright notice and this permission notice shall be included in
# all copies or substantial portions of the Software.
#
# THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
# IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
# FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
# AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
# LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
# OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
# THE SOFTWARE.
"""

BSD3_HEADER = """\
/*
 * Copyright (c) 2015 The Regents of the University of California.
 * All rights reserved.
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions
 * are met:
 * 1. Redistributions of source code must retain the above copyright
 *    notice, this list of conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright
 *    notice, this list of conditions and the following disclaimer in the
 *    documentation and/or other materials provided with the distribution.
 * 3. Neither the name of the University nor the names of its contributors
 *    may be used to endorse or promote products derived from this software
 *    without specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE REGENTS AND CONTRIBUTORS ``AS IS'' AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
 * IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
 * ARE DISCLAIMED.  IN NO EVENT SHALL THE REGENTS OR CONTRIBUTORS BE LIABLE
 * FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
 * DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS
 * OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION)
 * HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT
 * LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY
 * OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF
 * SUCH DAMAGE.
 */
"""


@pytest.mark.parametrize(
    ("path", "header", "line", "expression"),
    [
        ("tool.py", MIT_HEADER, 3, "MIT"),
        ("tree.h", BSD3_HEADER, 5, "BSD-3-Clause"),
    ],
)
def test_permission_text_headers(path: str, header: str, line: int, expression: str) -> None:
    notices, _ = scan(path, header)
    assert [(n.line, n.kind, n.expression) for n in notices] == [(line, "prose", expression)]


def test_mit_phrase_alone_is_no_license() -> None:
    """MIT's opening sentence alone is no MIT text (BSL-1.0, JSON and X11 open alike):
    a partial notice names the candidate (tests/test_notices_permission.py)."""
    text = "// Permission is hereby granted, free of charge, to use this file.\n"
    assert facts("short.go", text) == [
        (
            1,
            "partial",
            None,
            "MIT? only its opening sentence matched: "
            "Permission is hereby granted, free of charge, to use this file.",
        )
    ]


# -- references ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        (
            "main.go",
            "// Copyright 2009 The Go Authors. All rights reserved.\n"
            "// Use of this source code is governed by a BSD-style\n"
            "// license that can be found in the LICENSE file.\n",
            [(3, "LICENSE")],
        ),
        ("a.c", "/* See the file COPYING for copying permission. */\n", [(1, "COPYING")]),
        ("b.sh", "# Licensed under the terms found in LICENSES/GPL-2.0.txt\n", []),
        (
            "c.py",
            "# Released under the MIT license, see LICENSE.md for details.\n",
            [(1, "LICENSE.md")],
        ),
        ("d.c", "/* http://www.apache.org/licenses/LICENSE-2.0 */\n", []),
        ("e.c", "/* GNU GENERAL PUBLIC LICENSE */\n", []),
    ],
)
def test_reference_notices(path: str, text: str, expected: list[tuple[int, str]]) -> None:
    notices, _ = scan(path, text)
    assert [(n.line, n.raw) for n in notices if n.kind == "reference"] == expected


# -- license files ------------------------------------------------------------------------

MIT_TEXT = (
    "MIT License\n\nCopyright (c) 2019 The Falco Authors\n\n"
    + MIT_HEADER.replace("# ", "").replace("#", "").split("\n", 2)[2]
)


def test_license_file_is_identified_not_read_as_prose() -> None:
    notices, _ = scan("driver/MIT.txt", MIT_TEXT)
    assert notices == (
        Notice(
            "driver/MIT.txt",
            5,
            "license-text",
            "MIT",
            "Permission is hereby granted, free of charge, to any person obtaining a copy",
            Evidence(
                "driver/MIT.txt",
                5,
                "Permission is hereby granted, free of charge, to any person obtaining a copy",
                "notices",
            ),
            1.0,
            rule="mit.LICENSE",  # the license database's full text, lines 5-21
            end_line=21,
        ),
    )


def test_license_file_that_is_a_pointer_gets_prose_and_reference() -> None:
    text = "Licensed under the Apache License, Version 2.0. See the LICENSE-APACHE file.\n"
    assert facts("LICENSE", text) == [
        (1, "prose", "Apache-2.0", text.strip()[: text.index(". ") + 1]),
        (1, "reference", None, "LICENSE-APACHE"),
    ]


@pytest.mark.parametrize(
    ("raw", "header", "agrees"),
    [
        ("GPL", "GPL-2.0-only", True),
        ("GPL", "GPL-2.0-or-later", True),
        ("GPL", "GPL-2.0-only OR MIT", False),
        ("GPL v2", "GPL-2.0-only WITH Linux-syscall-note", True),
        ("GPL and additional rights", "GPL-2.0-only OR MIT", True),
        ("Dual BSD/GPL", "BSD-3-Clause OR GPL-2.0-only", True),
        ("Dual MIT/GPL", "GPL-2.0-only OR MIT", True),
        ("Dual MIT/GPL", "GPL-2.0-only", False),
        ("Dual MPL/GPL", "MPL-1.1 OR GPL-2.0-or-later", True),
        ("Proprietary", "LicenseRef-Proprietary", True),
        ("Dual MIT/GPL", "GPL-2.0-only AND MIT", False),
        ("MIT", "MIT", False),
    ],
)
def test_kernel_string_consistency(raw: str, header: str, agrees: bool) -> None:
    assert kernel.consistent_with(raw, header) is agrees


def test_kernel_table_gpl_compatibility() -> None:
    assert [(k.raw, k.gpl_compatible) for k in kernel.KERNEL_LICENSES] == [
        ("GPL", True),
        ("GPL v2", True),
        ("GPL and additional rights", True),
        ("Dual BSD/GPL", True),
        ("Dual MIT/GPL", True),
        ("Dual MPL/GPL", True),
        ("Proprietary", False),
    ]


# -- robustness ---------------------------------------------------------------------------

_ALPHABET = st.sampled_from(
    [
        *'abcGPLMIT /*#;\n"()=.-_+',
        "SPDX-License-Identifier: ",
        "MODULE_LICENSE(",
        'SEC("license")',
        "dual licensed ",
        "See ",
        "LICENSE",
        ".txt",
        "either version 2 of the License, or ",
        "obj-m += ",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_ALPHABET, max_size=80).map("".join))
def test_scanner_never_raises(text: str) -> None:
    for path in ("a.c", "LICENSE", "Kbuild", "dkms.conf", "x.bpf.c"):
        result = scan_notices(SourceFile(path, text))
        assert all(n.path == path for n in result.notices)


# -- short statements ---------------------------------------------------------------------

CURL_HEADER = """\
/*
 * Permission to use, copy, modify, and distribute this software for any purpose
 * with or without fee is hereby granted, provided that the above copyright
 * notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 * IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 * FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT OF THIRD PARTY RIGHTS. IN
 * NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
 * DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
 * OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE
 * OR OTHER DEALINGS IN THE SOFTWARE.
 *
 * Except as contained in this notice, the name of a copyright holder shall not
 * be used in advertising or otherwise to promote the sale, use or other dealings
 * in this Software without prior written authorization of the copyright holder.
 */
"""


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        (
            "cmake/GetGitRevisionDescription.cmake",
            "# Copyright Iowa State University 2009-2010. Distributed under the Boost Software"
            " License, Version 1.0. (See\n# accompanying file LICENSE_1_0.txt or copy at"
            " http://www.boost.org/LICENSE_1_0.txt)\n",
            [
                (
                    1,
                    "prose",
                    "BSL-1.0",
                    "Distributed under the Boost Software License, Version 1.0. (See accompanying"
                    " file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)",
                )
            ],
        ),
        (
            "x.hpp",
            "//  Distributed under the Boost Software License, Version 1.0.\n",
            [(1, "prose", "BSL-1.0", "Distributed under the Boost Software License, Version 1.0.")],
        ),
        (
            "md5.c",
            "/*\n * This code is placed in the public domain.\n */\n",
            [
                (
                    2,
                    "prose",
                    "LicenseRef-scancode-public-domain",
                    "This code is placed in the public domain",
                )
            ],
        ),
        ("md5.c", "/* This file is not in the public domain. */\n", []),
        (
            "tool.sh",
            "# This program is free software; you can redistribute it and/or modify it\n"
            "# under the same terms as Perl itself.\n",
            [
                (
                    1,
                    "prose",
                    "Artistic-1.0-Perl OR GPL-1.0-or-later",
                    "This program is free software; you can redistribute it and/or modify it"
                    " under the same terms as Perl",
                )
            ],
        ),
        (
            "curl.c",
            CURL_HEADER,
            [
                (
                    2,
                    "prose",
                    "curl",
                    "* Permission to use, copy, modify, and distribute this software for any"
                    " purpose",
                )
            ],
        ),
    ],
)
def test_short_statements(path: str, text: str, expected: list[tuple[int, str, str, str]]) -> None:
    """The Boost wording (with its "see accompanying file" copy, no reference of its own),
    public-domain dedications, Perl's terms, the curl permission notice."""
    assert facts(path, text) == expected


def test_falco_boost_cmake_module(corpus: Corpus) -> None:
    """falco-0.35.1 cmake/modules/GetGitRevisionDescription.cmake:30 says "Distributed under
    the Boost Software License, Version 1.0. (See accompanying file LICENSE_1_0.txt ...)"."""
    root = corpus("falco-0.35.1")
    path = "cmake/modules/GetGitRevisionDescription.cmake"
    found = facts(path, (root / path).read_text())
    assert [(line, kind, expr) for line, kind, expr, _ in found] == [(30, "prose", "BSL-1.0")]
