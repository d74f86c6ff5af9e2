"""CMake scanner: lexer, set() substitution, FetchContent/ExternalProject/file(DOWNLOAD)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.model import ComponentKind, Edge, Evidence, Node, Relation, ScanResult
from audit.scanners import cmake
from audit.scanners.base import SourceFile

Row = tuple[str, str | None, dict[str, str], int]


def scan(path: str, text: str) -> ScanResult:
    result = cmake.SCANNER.scan(SourceFile(path, text))
    node = result.nodes[0].id
    assert node == f"build-file:{path}"
    for c in result.components:
        assert Edge(node, c.id, Relation.BUNDLES, c.evidence[0]) in result.edges
    assert len(result.edges) == len(result.components)
    return result


def comps(result: ScanResult) -> list[Row]:
    return [(c.id, c.version, dict(c.properties), c.evidence[0].line) for c in result.components]


def probs(result: ScanResult) -> list[tuple[int, str, str]]:
    return [(p.line, p.kind, p.message) for p in result.problems]


FALCO_LIBS = """\
# Fetches falcosecurity/libs at a pinned commit (modeled on Falco's 2023 module).
set(FALCOSECURITY_LIBS_CMAKE_SOURCE_DIR "${CMAKE_CURRENT_SOURCE_DIR}/cmake/modules/libs-repo")

if(NOT FALCOSECURITY_LIBS_VERSION)
  set(FALCOSECURITY_LIBS_VERSION "0.11.3")
  set(FALCOSECURITY_LIBS_CHECKSUM "SHA256=c6dd1ee1ac4ee1ab4e8ee1d2a8e3e82d87d4fbe0f0a02bbc31")
endif()

ExternalProject_Add(
  falcosecurity-libs
  URL "https://github.com/falcosecurity/libs/archive/${FALCOSECURITY_LIBS_VERSION}.tar.gz"
  URL_HASH "${FALCOSECURITY_LIBS_CHECKSUM}"
  CONFIGURE_COMMAND ""
  BUILD_COMMAND ""
  INSTALL_COMMAND ""
  TEST_COMMAND "")
"""


def test_falco_libs_external_project() -> None:
    result = scan("cmake/modules/falcosecurity-libs.cmake", FALCO_LIBS)
    (comp,) = result.components
    assert comp.id == "download:github.com/falcosecurity/libs@0.11.3"
    assert comp.kind == ComponentKind.DOWNLOAD
    assert comp.name == "falcosecurity-libs"
    assert comp.version == "0.11.3"
    assert comp.purl == "pkg:github/falcosecurity/libs@0.11.3"
    assert dict(comp.properties) == {
        "cmake_command": "ExternalProject_Add",
        "cmake_name": "falcosecurity-libs",
        "overridable": "FALCOSECURITY_LIBS_VERSION",
        "repository": "falcosecurity/libs",
        "url": "https://github.com/falcosecurity/libs/archive/0.11.3.tar.gz",
        "url_hash": "SHA256=c6dd1ee1ac4ee1ab4e8ee1d2a8e3e82d87d4fbe0f0a02bbc31",
    }
    evidence = Evidence(
        "cmake/modules/falcosecurity-libs.cmake",
        11,
        'URL "https://github.com/falcosecurity/libs/archive/${FALCOSECURITY_LIBS_VERSION}.tar.gz"',
        "cmake",
    )
    assert comp.evidence == (evidence,)
    assert result.edges == (
        Edge(
            "build-file:cmake/modules/falcosecurity-libs.cmake",
            comp.id,
            Relation.BUNDLES,
            evidence,
        ),
    )
    assert result.problems == ()


def test_falco_top_level_node_properties() -> None:
    text = """\
cmake_minimum_required(VERSION 3.12)
project(falco)

option(MINIMAL_BUILD "Build a minimal version of Falco" OFF)
option(BUILD_FALCO_UNIT_TESTS "Build the unit tests" ON)
option(USE_BUNDLED_DEPS "Bundle deps")

list(APPEND CMAKE_MODULE_PATH "${PROJECT_SOURCE_DIR}/cmake/modules")

include(njson)
include(falcosecurity-libs)
INCLUDE(CheckSymbolExists)

add_subdirectory(userspace/falco)
add_subdirectory(userspace/engine)
"""
    result = scan("CMakeLists.txt", text)
    assert result.nodes == (
        Node(
            "build-file:CMakeLists.txt",
            "build-file",
            "CMakeLists.txt",
            properties=(
                ("format", "cmake"),
                ("includes", "CheckSymbolExists,falcosecurity-libs,njson"),
                (
                    "options",
                    "BUILD_FALCO_UNIT_TESTS=ON,MINIMAL_BUILD=OFF,USE_BUNDLED_DEPS=OFF",
                ),
                ("subdirectories", "userspace/engine,userspace/falco"),
            ),
        ),
    )
    assert result.components == ()
    assert result.problems == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            # FetchContent with a tag-prefixed GitHub archive (the njson module).
            'set(NJSON_VERSION "3.11.2")\n'
            "include(FetchContent)\n"
            "FetchContent_Declare(\n"
            "  njson\n"
            "  URL https://github.com/nlohmann/json/archive/refs/tags/v${NJSON_VERSION}.tar.gz\n"
            "  URL_HASH SHA256=d69f9deb\n"
            ")\n",
            [
                (
                    "download:github.com/nlohmann/json@v3.11.2",
                    "v3.11.2",
                    {
                        "cmake_command": "FetchContent_Declare",
                        "cmake_name": "njson",
                        "repository": "nlohmann/json",
                        "url": "https://github.com/nlohmann/json/archive/refs/tags/v3.11.2.tar.gz",
                        "url_hash": "SHA256=d69f9deb",
                    },
                    5,
                )
            ],
        ),
        (
            "FetchContent_Declare(\n"
            "  googletest\n"
            "  GIT_REPOSITORY https://github.com/google/googletest.git\n"
            "  GIT_TAG        v1.14.0\n"
            ")\n",
            [
                (
                    "git:github.com/google/googletest@v1.14.0",
                    "v1.14.0",
                    {
                        "cmake_command": "FetchContent_Declare",
                        "cmake_name": "googletest",
                        "url": "https://github.com/google/googletest.git",
                    },
                    3,
                )
            ],
        ),
        (
            # A non-GitHub URL: version from the file name; URL_MD5 as url_hash.
            "externalproject_add(zlib\n"
            "  URL https://zlib.net/fossils/zlib-1.2.13.tar.gz\n"
            "  URL_MD5 9b8aa094c4e5765dabf4da391f00d15c)\n",
            [
                (
                    "download:zlib.net/fossils/zlib-1.2.13.tar.gz",
                    "1.2.13",
                    {
                        "cmake_command": "ExternalProject_Add",
                        "cmake_name": "zlib",
                        "url": "https://zlib.net/fossils/zlib-1.2.13.tar.gz",
                        "url_hash": "MD5=9b8aa094c4e5765dabf4da391f00d15c",
                    },
                    2,
                )
            ],
        ),
        (
            # Nested references and a CACHE variable (overridable with -D).
            "set(DEP_NAME GRPC)\n"
            'set(DEP_GRPC_VERSION "1.60.0" CACHE STRING "grpc version")\n'
            "ExternalProject_Add(grpc\n"
            "  GIT_REPOSITORY https://github.com/grpc/grpc\n"
            "  GIT_TAG v${DEP_${DEP_NAME}_VERSION})\n",
            [
                (
                    "git:github.com/grpc/grpc@v1.60.0",
                    "v1.60.0",
                    {
                        "cmake_command": "ExternalProject_Add",
                        "cmake_name": "grpc",
                        "overridable": "DEP_GRPC_VERSION",
                        "url": "https://github.com/grpc/grpc",
                    },
                    4,
                )
            ],
        ),
        (
            # Comments with parentheses, bracket comments and bracket arguments.
            "# comment with ( unbalanced\n"
            "#[[ bracket comment\n"
            "ExternalProject_Add(fake URL https://fake.example/x.tar.gz) ]]\n"
            "set(V [=[2.0]=])\n"
            'FetchContent_Declare(b URL "https://example.com/b-${V}.zip" # trailing )\n'
            ")\n",
            [
                (
                    "download:example.com/b-2.0.zip",
                    "2.0",
                    {
                        "cmake_command": "FetchContent_Declare",
                        "cmake_name": "b",
                        "url": "https://example.com/b-2.0.zip",
                    },
                    5,
                )
            ],
        ),
        (
            # A URL built in a variable that itself depends on an overridable one.
            "if(NOT LIBYAML_VERSION)\n"
            "  set(LIBYAML_VERSION 0.2.5)\n"
            "endif()\n"
            "set(LIBYAML_URL https://pyyaml.org/download/libyaml/yaml-${LIBYAML_VERSION}.tar.gz)\n"
            "ExternalProject_Add(libyaml URL ${LIBYAML_URL})\n",
            [
                (
                    "download:pyyaml.org/download/libyaml/yaml-0.2.5.tar.gz",
                    "0.2.5",
                    {
                        "cmake_command": "ExternalProject_Add",
                        "cmake_name": "libyaml",
                        "overridable": "LIBYAML_VERSION",
                        "url": "https://pyyaml.org/download/libyaml/yaml-0.2.5.tar.gz",
                    },
                    5,
                )
            ],
        ),
        (
            "file(DOWNLOAD https://curl.se/ca/cacert-2023-08-22.pem\n"
            "  ${CMAKE_BINARY_DIR}/cacert.pem\n"
            "  EXPECTED_HASH SHA256=23c2469e)\n",
            [
                (
                    "download:curl.se/ca/cacert-2023-08-22.pem",
                    None,
                    {
                        "cmake_command": "file(DOWNLOAD)",
                        "url": "https://curl.se/ca/cacert-2023-08-22.pem",
                        "url_hash": "SHA256=23c2469e",
                    },
                    1,
                )
            ],
        ),
        (
            # Quoted escapes and line continuation inside a quoted argument.
            'set(U "https://example.com/\\\nq-1.0.tar.gz")\nFetchContent_Declare(q URL ${U})\n',
            [
                (
                    "download:example.com/q-1.0.tar.gz",
                    "1.0",
                    {
                        "cmake_command": "FetchContent_Declare",
                        "cmake_name": "q",
                        "url": "https://example.com/q-1.0.tar.gz",
                    },
                    3,
                )
            ],
        ),
        # Local sources only: nothing fetched.
        ("ExternalProject_Add(local SOURCE_DIR ${CMAKE_SOURCE_DIR}/third_party/x)\n", []),
        ("FetchContent_Declare(fmt FIND_PACKAGE_ARGS NAMES fmt)\n", []),
    ],
)
def test_fetch_forms(text: str, expected: list[Row]) -> None:
    result = scan("CMakeLists.txt", text)
    assert comps(result) == expected
    assert result.problems == ()


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            "ExternalProject_Add(x URL https://example.com/x-${X_VERSION}.tar.gz)\n",
            [
                (
                    1,
                    "unresolved",
                    "URL https://example.com/x-${X_VERSION}.tar.gz holds unresolved variable "
                    "X_VERSION",
                )
            ],
        ),
        (
            "FetchContent_Declare(y\n  GIT_REPOSITORY $ENV{MIRROR}/y.git\n  GIT_TAG v1)\n",
            [
                (
                    2,
                    "unresolved",
                    "GIT_REPOSITORY $ENV{MIRROR}/y.git holds unresolved variable ENV{MIRROR}",
                )
            ],
        ),
        (
            "ExternalProject_Add(v URL ${CMAKE_CURRENT_SOURCE_DIR}/third_party/v-1.0.tar.gz)\n",
            [
                (
                    1,
                    "skipped",
                    "URL is a local path: ${CMAKE_CURRENT_SOURCE_DIR}/third_party/v-1.0.tar.gz",
                )
            ],
        ),
    ],
)
def test_unresolved_urls_give_problems_not_components(
    text: str, problems: list[tuple[int, str, str]]
) -> None:
    result = scan("CMakeLists.txt", text)
    assert probs(result) == problems
    assert result.components == ()


def test_unresolved_git_tag_keeps_the_repository() -> None:
    text = "FetchContent_Declare(z GIT_REPOSITORY https://github.com/o/z GIT_TAG ${Z_TAG})\n"
    result = scan("CMakeLists.txt", text)
    assert [c.id for c in result.components] == ["git:github.com/o/z"]
    assert probs(result) == [(1, "unresolved", "GIT_TAG ${Z_TAG} holds unresolved variable Z_TAG")]


@pytest.mark.parametrize(
    ("text", "problems", "ids"),
    [
        (
            # An unclosed command: reported, and the scan resumes on the next line.
            'set(A "1.0")\n'
            "ExternalProject_Add(broken URL https://example.com/a.tar.gz\n"
            "FetchContent_Declare(ok URL https://example.com/ok-${A}.tar.gz)\n",
            [(2, "parse-error", "unbalanced parentheses: no closing ')'")],
            ["download:example.com/ok-1.0.tar.gz"],
        ),
        (
            "stray words here\n"
            "FetchContent_Declare(ok URL https://example.com/ok.tar.gz)\n"
            ") extra\n",
            [
                (1, "parse-error", "expected '(' after stray"),
                (3, "parse-error", "unexpected ')' outside a command"),
            ],
            ["download:example.com/ok.tar.gz"],
        ),
        (
            'set(X "unterminated)\n',
            [(1, "parse-error", "unterminated quoted argument")],
            [],
        ),
        (
            "#[==[ never closed\nFetchContent_Declare(a URL https://e.com/a.zip)\n",
            [(1, "parse-error", "unterminated bracket argument or comment")],
            ["download:e.com/a.zip"],
        ),
    ],
)
def test_syntax_errors_are_bounded(
    text: str, problems: list[tuple[int, str, str]], ids: list[str]
) -> None:
    result = scan("CMakeLists.txt", text)
    assert probs(result) == problems
    assert [c.id for c in result.components] == ids


def test_many_unclosed_commands_stop_after_a_bound() -> None:
    text = "foo(\n" * 500
    parsed = cmake.parse_cmake(text)
    assert len(parsed.errors) == 51
    assert parsed.commands == ()


def test_self_doubling_variables_stay_bounded() -> None:
    lines = ['set(V0 "xxxxxxxx")']
    lines += [f'set(V{i} "${{V{i - 1}}}${{V{i - 1}}}")' for i in range(1, 40)]
    lines.append("FetchContent_Declare(big URL https://e.com/${V39}.tar.gz)")
    result = scan("CMakeLists.txt", "\n".join(lines) + "\n")
    assert result.components == ()
    assert [(p.line, p.kind) for p in result.problems] == [(41, "unresolved")]


def test_lexer_arguments_and_lines() -> None:
    parsed = cmake.parse_cmake(
        'Set(A "q \\"x\\"" [[raw\n${B}]] un\\;q)\n  if((A) AND B)\nendif()\n'
    )
    assert [(c.name, c.line) for c in parsed.commands] == [("set", 1), ("if", 3), ("endif", 4)]
    assert parsed.commands[0].args == (
        cmake.Arg("A", 1),
        cmake.Arg('q "x"', 1, quoted=True),
        cmake.Arg("raw\n${B}", 1, quoted=True),
        cmake.Arg("un\\;q", 2),
    )
    assert [a.value for a in parsed.commands[1].args] == ["(", "A", ")", "AND", "B"]
    assert parsed.errors == ()


@pytest.mark.parametrize(
    ("value", "variables", "expected"),
    [
        ("${A}", {"A": "1"}, ("1", frozenset({"A"}))),
        ("${A_${B}}", {"B": "x", "A_x": "2"}, ("2", frozenset({"A_x", "B"}))),
        ("${MISSING}/x", {}, ("${MISSING}/x", frozenset())),
        ("$ENV{HOME}", {"HOME": "no"}, ("$ENV{HOME}", frozenset())),
    ],
)
def test_expand(
    value: str, variables: dict[str, str], expected: tuple[str, frozenset[str]]
) -> None:
    assert cmake.expand(value, variables) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://zlib.net/zlib-1.3.tar.xz", "1.3"),
        ("https://example.com/releases/2.4.1/tool.zip", "2.4.1"),
        ("https://example.com/libfoo-2.0.0-rc1.tar.gz", "2.0.0-rc1"),
        ("https://example.com/latest/tool.zip", None),
    ],
)
def test_version_from_url(url: str, expected: str | None) -> None:
    assert cmake.version_from_url(url) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("CMakeLists.txt", True),
        ("userspace/falco/CMakeLists.txt", True),
        ("cmake/modules/njson.cmake", True),
        ("cmake/Modules/FindFoo.CMAKE", True),
        ("cmakelists.txt", False),
        ("cmake/config.h.in", False),
    ],
)
def test_matches(path: str, expected: bool) -> None:
    assert cmake.SCANNER.matches(path) is expected


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='()"#[]=${}\\ \nabcSETURL_:/.;', max_size=200))
def test_never_raises(text: str) -> None:
    result = cmake.SCANNER.scan(SourceFile("CMakeLists.txt", text))
    assert result.nodes[0].id == "build-file:CMakeLists.txt"


def test_a_cmake_file_is_tokenized_once_per_process() -> None:
    """The scan and the include graph read the same CMake file: the second reading is the
    first one's result (immutable); a text over the size bound is tokenized every time."""
    text = 'project(x)\nadd_subdirectory("sub")\n'
    first = cmake.parse_cmake(text)
    assert cmake.parse_cmake(text) is first
    assert [(c.name, c.line) for c in first.commands] == [("project", 1), ("add_subdirectory", 2)]
    big = "set(A 1)\n" * (cmake._REMEMBERED_CHARS // 9 + 1)
    assert cmake.parse_cmake(big) is not cmake.parse_cmake(big)
    assert cmake.parse_cmake(big) == cmake.parse_cmake(big)


def _quoted_reference(text: str, pos: int) -> tuple[str, int]:
    """A quoted argument read character by character (the definition)."""
    out, i = [], pos + 1
    while i < len(text):
        c = text[i]
        if c == '"':
            return "".join(out), i + 1
        if c == "\\" and i + 1 < len(text):
            if text[i + 1] != "\n":
                out.append(cmake._ESCAPES.get(text[i + 1], text[i + 1]))
            i += 2
            continue
        out.append(c)
        i += 1
    raise cmake._Unbalanced("unterminated quoted argument")


def _unquoted_reference(text: str, pos: int) -> tuple[str, int]:
    """An unquoted argument read character by character (the definition)."""
    out, i = [], pos
    while i < len(text):
        c = text[i]
        if c in " \t\r\n()#":
            break
        if c == "\\" and i + 1 < len(text):
            out.append(cmake._ESCAPES.get(text[i + 1], text[i + 1]))
            i += 2
            continue
        if c == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise cmake._Unbalanced("unterminated quote")
            out.append(text[i : end + 1])
            i = end + 1
            continue
        out.append(c)
        i += 1
    return "".join(out), i


def _outcome(read: Callable[[str, int], tuple[str, int]], text: str, pos: int) -> object:
    try:
        return read(text, pos)
    except cmake._Unbalanced as exc:
        return str(exc)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([*' \t\r\n()#"\\;nta=é', '\\"', "\\\n", "${X}"]), max_size=24))
def test_arguments_are_read_as_character_by_character(pieces: list[str]) -> None:
    """Quoted and unquoted arguments read by runs of plain characters are what reading
    them one character at a time gives, from every offset; line ends are where they are."""
    text = "".join(pieces)
    lexer = cmake._Lexer(text)
    assert lexer.newlines == [i for i, c in enumerate(text) if c == "\n"]
    for pos in range(len(text) + 1):
        quoted = _outcome(lambda _, p: lexer.quoted(p), text, pos)
        assert quoted == _outcome(_quoted_reference, text, pos)
        unquoted = _outcome(lambda _, p: lexer.unquoted(p), text, pos)
        assert unquoted == _outcome(_unquoted_reference, text, pos)
