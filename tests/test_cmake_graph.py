"""CMake across files: include graph, unused modules, option-gated downloads."""

from __future__ import annotations

import pytest

from audit import cmake_graph
from audit.cmake_graph import (
    Call,
    Download,
    OptionDef,
    Reach,
    analyze,
    apply,
    evaluate_condition,
    file_facts,
)
from audit.graph import link
from audit.model import Edge, Evidence, Finding, Inventory, Relation, ScanResult
from audit.scanners import cmake
from audit.scanners.base import SourceFile

FACTS = """\
option(A "a" ON)
option(B "b" ${A})
set(X "v" CACHE STRING "doc")
if(WITH_CHISEL)
  include(luajit)
elseif(NOT MINIMAL_BUILD)
  include(${CMAKE_CURRENT_LIST_DIR}/extra.cmake)
else()
  add_subdirectory(test)
  if(NOT TARGET curl)
    FetchContent_Declare(x
      URL https://e.com/x.tar.gz)
  endif()
endif()
list(APPEND CMAKE_MODULE_PATH "${PROJECT_SOURCE_DIR}/cmake/modules")
find_package(Foo REQUIRED)
"""


def test_file_facts_keep_conditions_lines_and_options() -> None:
    facts = file_facts("sub/CMakeLists.txt", FACTS)
    assert facts.calls == (
        Call("include", "luajit", 5, "WITH_CHISEL"),
        Call("include", "sub/extra.cmake", 7, "(NOT WITH_CHISEL) AND (NOT MINIMAL_BUILD)"),
        Call("add_subdirectory", "test", 9, "(NOT WITH_CHISEL) AND MINIMAL_BUILD"),
        Call("find_package", "Foo", 16, ""),
    )
    assert facts.options == (
        OptionDef("A", "ON", "sub/CMakeLists.txt", 1),
        OptionDef("B", "${A}", "sub/CMakeLists.txt", 2),
        OptionDef("X", "v", "sub/CMakeLists.txt", 3, cache=True),
    )
    assert facts.downloads == (
        Download(11, 12, "(NOT WITH_CHISEL) AND MINIMAL_BUILD AND (NOT TARGET curl)"),
    )
    assert facts.module_paths == ("/cmake/modules",)
    assert facts.line(5) == "  include(luajit)"


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("", {}, True),
        ("WITH_CHISEL", {"WITH_CHISEL": False}, False),
        ("NOT WITH_CHISEL", {"WITH_CHISEL": False}, True),
        ("${WITH_CHISEL}", {"WITH_CHISEL": True}, True),
        ('"${WITH_CHISEL}"', {"WITH_CHISEL": True}, True),
        ("UNKNOWN_VAR", {}, None),
        ("NOT UNKNOWN_VAR", {}, None),
        ("A AND UNKNOWN", {"A": False}, False),
        ("A AND UNKNOWN", {"A": True}, None),
        ("A OR UNKNOWN", {"A": True}, True),
        ("A OR UNKNOWN", {"A": False}, None),
        ("(NOT A) AND (B OR C)", {"A": False, "B": False, "C": True}, True),
        ("NOT (NOT A)", {"A": True}, True),
        ("ON", {}, True),
        ("off", {}, False),
        ("Foo-NOTFOUND", {}, False),
        ("0", {}, False),
        ("2", {}, True),
        ('"yes"', {}, True),
        ("DEFINED A", {"A": True}, None),
        ("NOT TARGET curl", {}, None),
        ('CMAKE_SYSTEM_NAME STREQUAL "Linux"', {}, None),
        ("A AND", {"A": True}, None),
        ("(A", {"A": True}, None),
        ("A B", {"A": True}, None),
        (") A", {"A": True}, None),
    ],
)
def test_evaluate_condition(
    text: str, values: dict[str, bool | None], expected: bool | None
) -> None:
    assert evaluate_condition(text, values) is expected


def test_a_long_condition_is_unknown() -> None:
    assert evaluate_condition(" AND ".join(["A"] * 150), {"A": True}) is None


def test_condition_is_parsed_once_per_values_of_the_names_it_looks_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A tree's conditions are evaluated with the defaults and again for each cmake command
    line: a condition is parsed to learn the names it looks up, then once for each set of
    their values (other options do not matter)."""
    made: list[list[str]] = []
    real = cmake_graph._Parser

    class Counting(real):  # type: ignore[misc, valid-type]
        def __init__(self, tokens: list[str], lookup: dict[str, bool | None]) -> None:
            made.append(tokens)
            super().__init__(tokens, lookup)

    monkeypatch.setattr(cmake_graph, "_Parser", Counting)
    cmake_graph._looked_up.cache_clear()
    cmake_graph._evaluate.cache_clear()
    text = 'NOT USE_BUNDLED_DEPS AND (WITH_CHISEL OR "${BUILD_X}") AND NOT TARGET curl'
    assert cmake_graph._looked_up(text) == ("USE_BUNDLED_DEPS", "WITH_CHISEL", "BUILD_X")
    assert len(made) == 1
    for other in (True, False, None):
        assert evaluate_condition(text, {"WITH_CHISEL": True, "OTHER": other}) is None
    assert len(made) == 2  # TARGET curl: unknown whatever the options
    text = "NOT USE_BUNDLED_DEPS AND (WITH_CHISEL OR ${BUILD_X})"
    runs = [
        ({"USE_BUNDLED_DEPS": False, "WITH_CHISEL": True}, True),
        ({"USE_BUNDLED_DEPS": True, "WITH_CHISEL": True}, False),
        ({"USE_BUNDLED_DEPS": False, "WITH_CHISEL": False}, None),
        ({"USE_BUNDLED_DEPS": False, "WITH_CHISEL": False, "BUILD_X": False}, False),
        ({"USE_BUNDLED_DEPS": False, "WITH_CHISEL": True, "OTHER": True}, True),
        ({"USE_BUNDLED_DEPS": True, "WITH_CHISEL": True, "OTHER": False}, False),
    ]
    for values, expected in runs:
        assert evaluate_condition(text, values) is expected
    assert len(made) == 2 + 1 + 4  # its names, then 4 distinct sets of their values


TREE = {
    "CMakeLists.txt": """\
project(libs)
option(USE_BUNDLED_DEPS "bundled" ON)
option(WITH_CHISEL "chisels" OFF)
list(APPEND CMAKE_MODULE_PATH "${PROJECT_SOURCE_DIR}/cmake/modules")
include(curl)
include(CheckSymbolExists)
if(WITH_CHISEL)
  include(luajit)
endif()
add_subdirectory(userspace/libscap)
find_package(Zstd)
""",
    "cmake/modules/curl.cmake": """\
option(USE_BUNDLED_CURL "curl" ${USE_BUNDLED_DEPS})
if(NOT USE_BUNDLED_CURL)
  find_package(CURL REQUIRED)
else()
  ExternalProject_Add(curl
    URL https://github.com/curl/curl/releases/download/curl-8_1_0/curl-8.1.0.tar.bz2)
endif()
""",
    "cmake/modules/luajit.cmake": """\
include(${CMAKE_CURRENT_LIST_DIR}/luajit-helpers.cmake)
ExternalProject_Add(luajit
  GIT_REPOSITORY https://github.com/LuaJIT/LuaJIT
  GIT_TAG v2.1)
""",
    "cmake/modules/luajit-helpers.cmake": "set(LUAJIT_HELPERS ON)\n",
    "cmake/modules/jq.cmake": """\
ExternalProject_Add(jq
  URL https://github.com/stedolan/jq/releases/download/jq-1.6/jq-1.6.tar.gz)
""",
    "cmake/modules/FindZstd.cmake": "find_path(ZSTD_INCLUDE zstd.h)\n",
    "userspace/libscap/CMakeLists.txt": """\
if(BUILD_TESTS)
  FetchContent_Declare(gtest URL https://github.com/google/googletest/archive/v1.14.0.tar.gz)
endif()
if(MISSING_OPTION_OFF)
  FetchContent_Declare(b64 URL https://github.com/libb64/libb64/archive/v2.0.0.1.zip)
endif()
option(MISSING_OPTION_OFF "declared after use" OFF)
""",
}


def test_analyze_reach_and_options() -> None:
    got = analyze(TREE)
    assert got.judged is True
    assert dict(got.reach) == {
        "CMakeLists.txt": Reach("entry"),
        "cmake/modules/FindZstd.cmake": Reach("included", "CMakeLists.txt:11"),
        "cmake/modules/curl.cmake": Reach("included", "CMakeLists.txt:5"),
        "cmake/modules/jq.cmake": Reach("unused"),
        "cmake/modules/luajit-helpers.cmake": Reach("gated", "WITH_CHISEL", ("WITH_CHISEL",)),
        "cmake/modules/luajit.cmake": Reach("gated", "WITH_CHISEL", ("WITH_CHISEL",)),
        "userspace/libscap/CMakeLists.txt": Reach("included", "CMakeLists.txt:10"),
    }
    assert dict(got.values) == {
        "MISSING_OPTION_OFF": False,
        "USE_BUNDLED_CURL": True,
        "USE_BUNDLED_DEPS": True,
        "WITH_CHISEL": False,
    }
    assert [(lk.src, lk.dst, lk.call.line, lk.active) for lk in got.links] == [
        ("CMakeLists.txt", "cmake/modules/curl.cmake", 5, True),
        ("CMakeLists.txt", "cmake/modules/luajit.cmake", 8, False),
        ("CMakeLists.txt", "userspace/libscap/CMakeLists.txt", 10, True),
        ("CMakeLists.txt", "cmake/modules/FindZstd.cmake", 11, True),
        ("cmake/modules/luajit.cmake", "cmake/modules/luajit-helpers.cmake", 1, True),
    ]


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({"cmake/a.cmake": "include(b)\n", "cmake/b.cmake": ""}, "no top-level file"),
        (
            {"CMakeLists.txt": "include(${SOMEWHERE}/${NAME})\n", "cmake/x.cmake": ""},
            "includes that cannot be resolved: CMakeLists.txt:1",
        ),
    ],
)
def test_nothing_is_unused_when_reach_cannot_be_told(files: dict[str, str], reason: str) -> None:
    got = analyze(files)
    assert (got.judged, got.reason) == (False, reason)
    assert all(r.status != cmake_graph.UNUSED for r in got.reach.values())


def test_an_include_path_with_a_variable_matches_by_file_name() -> None:
    got = analyze({"CMakeLists.txt": "include(${X_DIR}/x.cmake)\n", "cmake/x.cmake": ""})
    assert got.judged is True
    assert got.reach["cmake/x.cmake"] == Reach("included", "CMakeLists.txt:1")


def test_module_path_directories_are_preferred() -> None:
    files = {
        "CMakeLists.txt": (
            'list(APPEND CMAKE_MODULE_PATH "${CMAKE_SOURCE_DIR}/cmake")\ninclude(z)\n'
        ),
        "cmake/z.cmake": "",
        "test/z.cmake": "",
    }
    got = analyze(files)
    assert got.reach["cmake/z.cmake"].status == "included"
    assert got.reach["test/z.cmake"].status == "unused"


def test_a_module_name_is_found_in_the_including_project_first() -> None:
    """Two CMake projects side by side with modules of the same names: each project's
    include() and find_package() reach its own modules, not the other's (before, each
    reached both: a wrong include graph, and N projects made N x N links)."""
    project = (
        'list(APPEND CMAKE_MODULE_PATH "${{CMAKE_SOURCE_DIR}}/{0}/cmake")\n'
        "include(dep)\nfind_package(Foo)\n"
    )
    files = {
        "CMakeLists.txt": "add_subdirectory(a)\nadd_subdirectory(b)\n",
        "a/CMakeLists.txt": project.format("a"),
        "a/cmake/dep.cmake": "",
        "a/cmake/FindFoo.cmake": "",
        "b/CMakeLists.txt": project.format("b"),
        "b/cmake/dep.cmake": "",
        "b/cmake/FindFoo.cmake": "",
    }
    got = analyze(files)
    links = sorted((k.src, k.dst, k.call.line) for k in got.links)
    assert links == [
        ("CMakeLists.txt", "a/CMakeLists.txt", 1),
        ("CMakeLists.txt", "b/CMakeLists.txt", 2),
        ("a/CMakeLists.txt", "a/cmake/FindFoo.cmake", 3),
        ("a/CMakeLists.txt", "a/cmake/dep.cmake", 2),
        ("b/CMakeLists.txt", "b/cmake/FindFoo.cmake", 3),
        ("b/CMakeLists.txt", "b/cmake/dep.cmake", 2),
    ]
    assert got.reach["b/cmake/dep.cmake"] == Reach("included", "b/CMakeLists.txt:2")


def test_nearest_keeps_the_paths_sharing_most_directories() -> None:
    paths = ["a/cmake/x.cmake", "a/b/cmake/x.cmake", "c/x.cmake"]
    assert cmake_graph._nearest(paths, "a/b/src") == ["a/b/cmake/x.cmake"]
    assert cmake_graph._nearest(paths, "a") == ["a/cmake/x.cmake", "a/b/cmake/x.cmake"]
    assert cmake_graph._nearest(paths, "") == paths  # the root's: all equally near
    assert cmake_graph._nearest(paths, "d") == paths
    assert cmake_graph._nearest(["c/x.cmake"], "a") == ["c/x.cmake"]
    assert cmake_graph._nearest([], "a") == []
    # not a tree path, but no endless walk up either ("/" is its own parent)
    assert cmake_graph._nearest(["/x/m.cmake", "a/m.cmake"], "/x/q") == ["/x/m.cmake"]
    assert cmake_graph._nearest(["a/m.cmake"], "/x/q") == []


def test_a_name_in_many_projects_side_by_side_links_each_to_its_own() -> None:
    files = {"CMakeLists.txt": "".join(f"add_subdirectory(p{i})\n" for i in range(30))}
    for i in range(30):
        files[f"p{i}/CMakeLists.txt"] = "include(common)\nfind_package(Dep)\n"
        files[f"p{i}/cmake/common.cmake"] = ""
        files[f"p{i}/cmake/FindDep.cmake"] = ""
    got = analyze(files)
    pairs = sorted((link.src, link.dst) for link in got.links if link.src != "CMakeLists.txt")
    assert pairs == sorted(
        pair
        for i in range(30)
        for pair in (
            (f"p{i}/CMakeLists.txt", f"p{i}/cmake/FindDep.cmake"),
            (f"p{i}/CMakeLists.txt", f"p{i}/cmake/common.cmake"),
        )
    )


def scanned(files: dict[str, str]) -> Inventory:
    results = [cmake.SCANNER.scan(SourceFile(p, t)) for p, t in sorted(files.items())]
    return link(".", ScanResult.merge(results))


def test_apply_edges_inactive_downloads_and_findings() -> None:
    inventory = scanned(TREE)
    out, findings = apply(inventory, analyze(TREE))
    curl = "download:github.com/curl/curl@curl-8_1_0"
    luajit = "git:github.com/LuaJIT/LuaJIT@v2.1"
    jq = "download:github.com/stedolan/jq@jq-1.6"
    gtest = "download:github.com/google/googletest@v1.14.0"
    b64 = "download:github.com/libb64/libb64@v2.0.0.1"
    bundles = sorted((e.src, e.dst) for e in out.edges if e.relation == Relation.BUNDLES)
    assert bundles == [
        ("build-file:cmake/modules/curl.cmake", curl),
        ("build-file:userspace/libscap/CMakeLists.txt", gtest),
    ]
    includes = [e for e in out.edges if e.relation == Relation.INCLUDES]
    assert includes[0] == Edge(
        "build-file:CMakeLists.txt",
        "build-file:cmake/modules/FindZstd.cmake",
        Relation.INCLUDES,
        Evidence("CMakeLists.txt", 11, "find_package(Zstd)", "cmake-graph"),
        "find_package(Zstd)",
    )
    assert [(e.src, e.dst, e.how) for e in includes[1:]] == [
        ("build-file:CMakeLists.txt", "build-file:cmake/modules/curl.cmake", "include(curl)"),
        (
            "build-file:CMakeLists.txt",
            "build-file:cmake/modules/luajit.cmake",
            "include(luajit) if WITH_CHISEL",
        ),
        (
            "build-file:CMakeLists.txt",
            "build-file:userspace/libscap/CMakeLists.txt",
            "add_subdirectory(userspace/libscap)",
        ),
        (
            "build-file:cmake/modules/luajit.cmake",
            "build-file:cmake/modules/luajit-helpers.cmake",
            "include(cmake/modules/luajit-helpers.cmake)",
        ),
    ]
    props = {c.id: dict(c.properties) for c in out.components}
    assert props[curl]["cmake_condition"] == "USE_BUNDLED_CURL"
    assert props[curl]["cmake_options"] == "USE_BUNDLED_CURL"
    assert "inactive" not in props[curl]
    assert props[gtest]["cmake_condition"] == "BUILD_TESTS"  # unknown: kept
    assert "inactive" not in props[gtest]
    assert props[luajit]["inactive"] == (
        "cmake/modules/luajit.cmake is included only when WITH_CHISEL; option WITH_CHISEL "
        "defaults to OFF (CMakeLists.txt:3)"
    )
    assert props[jq]["inactive"] == (
        "declared in cmake/modules/jq.cmake, which nothing includes (an unused module)"
    )
    assert props[b64]["inactive"] == (
        "downloaded only when MISSING_OPTION_OFF; option MISSING_OPTION_OFF defaults to OFF "
        "(userspace/libscap/CMakeLists.txt:7)"
    )
    reach = {n.id: n.prop("cmake_reach") for n in out.nodes}
    assert reach == {
        "build-file:CMakeLists.txt": "entry",
        "build-file:cmake/modules/FindZstd.cmake": "included",
        "build-file:cmake/modules/curl.cmake": "included",
        "build-file:cmake/modules/jq.cmake": "unused",
        "build-file:cmake/modules/luajit-helpers.cmake": "gated",
        "build-file:cmake/modules/luajit.cmake": "gated",
        "build-file:userspace/libscap/CMakeLists.txt": "included",
    }
    assert findings == (
        Finding(
            "conditional-download",
            b64,
            "b64 v2.0.0.1 is not fetched by a default build: downloaded only when "
            "MISSING_OPTION_OFF; option MISSING_OPTION_OFF defaults to OFF "
            "(userspace/libscap/CMakeLists.txt:7). It is not counted as shipped; a build that "
            "turns the option on ships it",
            (
                Evidence(
                    "userspace/libscap/CMakeLists.txt",
                    5,
                    "FetchContent_Declare(b64 URL https://github.com/libb64/libb64/archive/"
                    "v2.0.0.1.zip)",
                    "cmake",
                ),
                Evidence(
                    "userspace/libscap/CMakeLists.txt",
                    7,
                    'option(MISSING_OPTION_OFF "declared after use" OFF)',
                    "cmake-graph",
                ),
            ),
        ),
        Finding(
            "conditional-download",
            luajit,
            "github.com/LuaJIT/LuaJIT v2.1 is not fetched by a default build: "
            "cmake/modules/luajit.cmake is included only when WITH_CHISEL; option WITH_CHISEL "
            "defaults to OFF (CMakeLists.txt:3). It is not counted as shipped; a build that "
            "turns the option on ships it",
            (
                Evidence("CMakeLists.txt", 3, 'option(WITH_CHISEL "chisels" OFF)', "cmake-graph"),
                Evidence(
                    "cmake/modules/luajit.cmake",
                    3,
                    "GIT_REPOSITORY https://github.com/LuaJIT/LuaJIT",
                    "cmake",
                ),
            ),
        ),
        Finding(
            "unused-build-file",
            "build-file:cmake/modules/jq.cmake",
            "cmake/modules/jq.cmake is included by no CMakeLists.txt or module the build reaches "
            "from CMakeLists.txt: it is unused, so what it downloads (jq) is not built and is "
            "not counted as shipped",
            (
                Evidence(
                    "cmake/modules/jq.cmake",
                    2,
                    "URL https://github.com/stedolan/jq/releases/download/jq-1.6/jq-1.6.tar.gz)",
                    "cmake",
                ),
            ),
        ),
    )


def test_a_download_also_declared_where_it_is_built_stays_active() -> None:
    files = {
        "CMakeLists.txt": "include(a)\n",
        "cmake/a.cmake": "FetchContent_Declare(z URL https://e.com/z-1.0.tar.gz)\n",
        "cmake/old.cmake": "FetchContent_Declare(z URL https://e.com/z-1.0.tar.gz)\n",
    }
    out, findings = apply(scanned(files), analyze(files))
    edges = sorted(e.src for e in out.edges if e.relation == Relation.BUNDLES)
    assert edges == ["build-file:cmake/a.cmake"]
    (z,) = out.components
    assert z.prop("inactive") is None
    assert findings == ()


def test_where_names_paths_in_messages() -> None:
    files = {
        "CMakeLists.txt": "",
        "cmake/jq.cmake": "FetchContent_Declare(jq URL https://e.com/jq-1.6.tgz)\n",
    }
    _, findings = apply(scanned(files), analyze(files), lambda p: f"libs@abc:{p}")
    assert findings[0].message.startswith(
        "libs@abc:cmake/jq.cmake is included by no CMakeLists.txt or module the build reaches "
        "from libs@abc:CMakeLists.txt"
    )
    assert findings[0].evidence[0].path == "cmake/jq.cmake"


SUPERBUILD = {
    "CMakeLists.txt": (
        'list(APPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_SOURCE_DIR}/cmake/modules")\n'
        "include(libs)\n"
    ),
    "cmake/modules/libs.cmake": """\
set(LIBS_REPO_DIR "${CMAKE_CURRENT_SOURCE_DIR}/cmake/modules/libs-repo")
if(LIBS_SOURCE_DIR)
  set(LIBS_VERSION "0.0.0-local")
else()
  if(NOT LIBS_VERSION)
    set(LIBS_VERSION "0.11.3")
    set(LIBS_CHECKSUM "SHA256=b4f9")
  endif()
  execute_process(COMMAND "${CMAKE_COMMAND}" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE}"
      -DLIBS_VERSION=${LIBS_VERSION} -DLIBS_CHECKSUM:STRING=${LIBS_CHECKSUM}
    ${LIBS_REPO_DIR} WORKING_DIRECTORY ${CMAKE_BINARY_DIR}/libs-repo)
  execute_process(COMMAND "${CMAKE_COMMAND}" --build . WORKING_DIRECTORY "${CMAKE_BINARY_DIR}")
  set(LIBS_SOURCE_DIR "${CMAKE_BINARY_DIR}/libs-repo/libs-prefix/src/libs")
endif()
add_subdirectory(${LIBS_SOURCE_DIR}/driver ${PROJECT_BINARY_DIR}/driver)
""",
    "cmake/modules/libs-repo/CMakeLists.txt": """\
project(libs-repo NONE)
ExternalProject_Add(libs
  URL "https://github.com/falcosecurity/libs/archive/${LIBS_VERSION}.tar.gz"
  URL_HASH "${LIBS_CHECKSUM}")
""",
    "cmake/modules/yaml.cmake": "FetchContent_Declare(y URL https://e.com/yaml-0.2.5.tar.gz)\n",
}


def test_a_superbuild_passes_its_variables_to_the_sub_project() -> None:
    """falco-0.35.1 cmake/modules/falcosecurity-libs.cmake:29-38 in small: the version set
    under ``if(NOT ...)`` is passed with -D to the sub-project that downloads it."""
    got = analyze(SUPERBUILD)
    (sub,) = got.files["cmake/modules/libs.cmake"].sub_builds
    assert sub == cmake_graph.SubBuild(
        "cmake/modules/libs-repo",
        9,
        (
            cmake_graph.Define("LIBS_VERSION", "0.11.3", (6,)),
            cmake_graph.Define("LIBS_CHECKSUM", "SHA256=b4f9", (7,)),
        ),
    )
    assert got.reach["cmake/modules/libs-repo/CMakeLists.txt"] == Reach(
        "included", "cmake/modules/libs.cmake:9"
    )
    # the add_subdirectory into the build directory is the download, not an unknown path
    assert (got.judged, got.reach["cmake/modules/yaml.cmake"]) == (True, Reach("unused"))

    out, findings = apply(scanned(SUPERBUILD), got)
    libs = next(c for c in out.components if "falcosecurity/libs" in c.id)
    assert (libs.id, libs.version) == ("download:github.com/falcosecurity/libs@0.11.3", "0.11.3")
    assert [(e.path, e.line) for e in libs.evidence] == [
        ("cmake/modules/libs-repo/CMakeLists.txt", 3),
        ("cmake/modules/libs.cmake", 9),
        ("cmake/modules/libs.cmake", 6),
        ("cmake/modules/libs.cmake", 7),
    ]
    assert libs.prop("superbuild") == "cmake/modules/libs.cmake:9"
    assert libs.prop("url_hash") == "SHA256=b4f9"
    assert libs.prop("overridable") == "LIBS_CHECKSUM,LIBS_VERSION"
    assert not [p for p in out.problems if p.path == "cmake/modules/libs-repo/CMakeLists.txt"]
    assert [f.subject for f in findings] == ["build-file:cmake/modules/yaml.cmake"]


@pytest.mark.parametrize(
    "command",
    [
        'execute_process(COMMAND "${CMAKE_COMMAND}" --build . WORKING_DIRECTORY x)',
        "execute_process(COMMAND ${CMAKE_COMMAND} -E make_directory d)",
        "execute_process(COMMAND git describe --tags)",
    ],
)
def test_execute_process_that_configures_nothing(command: str) -> None:
    assert file_facts("CMakeLists.txt", command + "\n").sub_builds == ()


def test_execute_process_with_source_option() -> None:
    text = "execute_process(COMMAND cmake -D V=1 -S sub -B build)\n"
    (sub,) = file_facts("CMakeLists.txt", text).sub_builds
    assert sub == cmake_graph.SubBuild("sub", 1, (cmake_graph.Define("V", "1", ()),))
