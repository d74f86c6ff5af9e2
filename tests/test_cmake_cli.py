"""Build configurations from the cmake command lines of CI steps and Dockerfiles.

falco-0.35.1 (../shared/corpus): CMakeLists.txt:17 ``option(USE_BUNDLED_DEPS ... OFF)``;
cmake/modules/yaml-cpp.cmake:30 downloads yaml-cpp 0.6.2 only ``if(USE_BUNDLED_DEPS)``;
the release packages are configured with ``cmake -DUSE_BUNDLED_DEPS=ON
-DBUILD_FALCO_MODERN_BPF=ON -DCREATE_TEST_TARGETS=Off -DFALCO_VERSION=${{ inputs.version }}
..`` (.github/workflows/reusable_build_packages.yaml:31, and :77 ``-DUSE_BUNDLED_DEPS=On``),
as is the arm64 build on CircleCI (.circleci/config.yml:32, the first by path).
cmake/modules/libyaml.cmake stays unused: no command line changes what includes it.
"""

from __future__ import annotations

from pathlib import Path

from corpus import Corpus
from tree_helpers import write

from audit import cmake_graph
from audit.cmake_cli import BuildConfig, command_lines
from audit.config import Config
from audit.model import Component
from audit.pipeline import build_inventory

WORKFLOW = """\
jobs:
  build:
    steps:
      - run: |
          mkdir build && cd build
          cmake -DUSE_BUNDLED_DEPS=ON \\
            -D BUILD_TESTS=Off -DVERSION=${{ inputs.version }} \\
            -DCMAKE_BUILD_TYPE:STRING=Release .. && make
          cmake --build . -DNOT_A_CONFIGURE=1
      - run: /usr/bin/cmake -DWITH_X=1 -S . -B out; cmake -DLATER=2 ..
"""


def test_command_lines_of_a_workflow() -> None:
    assert command_lines(".github/workflows/b.yml", WORKFLOW) == [
        BuildConfig(
            ".github/workflows/b.yml",
            6,
            "cmake -DUSE_BUNDLED_DEPS=ON \\",
            (("USE_BUNDLED_DEPS", "ON"), ("BUILD_TESTS", "Off"), ("CMAKE_BUILD_TYPE", "Release")),
        ),
        BuildConfig(
            ".github/workflows/b.yml",
            10,
            "- run: /usr/bin/cmake -DWITH_X=1 -S . -B out; cmake -DLATER=2 ..",
            (("WITH_X", "1"),),
        ),
        BuildConfig(
            ".github/workflows/b.yml",
            10,
            "- run: /usr/bin/cmake -DWITH_X=1 -S . -B out; cmake -DLATER=2 ..",
            (("LATER", "2"),),
        ),
    ]


CMAKE_TREE = {
    "CMakeLists.txt": 'option(USE_BUNDLED_DEPS "bundle" OFF)\n'
    'option(BUILD_EXTRA "extra" OFF)\n'
    "include(cmake/zlib.cmake)\n"
    "if(BUILD_EXTRA)\n  include(cmake/extra.cmake)\nendif()\n",
    "cmake/zlib.cmake": "if(USE_BUNDLED_DEPS)\n"
    "  ExternalProject_Add(zlib URL https://zlib.net/zlib-1.3.tar.gz)\nendif()\n",
    "cmake/extra.cmake": "ExternalProject_Add(extra URL https://example.org/extra-2.0.tar.gz)\n",
}


def _downloads(root: Path) -> dict[str, Component]:
    inventory = build_inventory(root, Config()).inventory
    return {c.id: c for c in inventory.components if c.id.startswith("download:")}


def test_a_download_any_build_configures_is_reachable(tmp_path: Path) -> None:
    alone = _downloads(write(tmp_path / "a", CMAKE_TREE))
    assert alone["download:zlib.net/zlib-1.3.tar.gz"].prop("inactive") == (
        "downloaded only when USE_BUNDLED_DEPS; option USE_BUNDLED_DEPS defaults to OFF "
        "(CMakeLists.txt:1)"
    )
    tree = {**CMAKE_TREE, "Dockerfile": "FROM debian:12\nRUN cmake -DUSE_BUNDLED_DEPS=ON .\n"}
    built = _downloads(write(tmp_path / "b", tree))
    zlib = built["download:zlib.net/zlib-1.3.tar.gz"]
    assert (zlib.prop("inactive"), zlib.prop("cmake_enabled_by")) == (
        None,
        "USE_BUNDLED_DEPS=ON (Dockerfile:2)",
    )
    assert [e.location for e in zlib.evidence] == ["Dockerfile:2", "cmake/zlib.cmake:2"]
    # no command line sets BUILD_EXTRA: still gated
    assert built["download:example.org/extra-2.0.tar.gz"].prop("inactive") is not None


def test_command_lines_of_the_same_truths_count_once() -> None:
    """A configuration the first command line of its option truths already gives is not
    kept: the union of the calls and the line named as enabling one are the same."""
    texts = dict(CMAKE_TREE)
    on = (("USE_BUNDLED_DEPS", "ON"),)
    builds = [
        BuildConfig("a/Dockerfile", 2, "RUN cmake -DBUILD_EXTRA=OFF .", (("BUILD_EXTRA", "OFF"),)),
        BuildConfig("b/Dockerfile", 3, "RUN cmake -DUSE_BUNDLED_DEPS=ON .", on),
        BuildConfig(
            "c/Dockerfile", 4, "RUN cmake -DUSE_BUNDLED_DEPS=1 .", (("USE_BUNDLED_DEPS", "1"),)
        ),
        BuildConfig("d/Dockerfile", 5, "RUN cmake -DUSE_BUNDLED_DEPS=ON .", on),
    ]
    analysis = cmake_graph.analyze(texts, None, builds)
    assert [b.path for b, _ in analysis.builds] == ["a/Dockerfile", "b/Dockerfile"]
    assert analysis.active("USE_BUNDLED_DEPS") is True
    assert analysis.active("BUILD_EXTRA") is False
    assert analysis.enabled_by("USE_BUNDLED_DEPS") == builds[1]


def test_falco_release_builds_bundle_yaml_cpp(corpus: Corpus) -> None:
    downloads = _downloads(corpus("falco-0.35.1"))
    yaml_cpp = downloads["download:github.com/jbeder/yaml-cpp@yaml-cpp-0.6.2"]
    assert (yaml_cpp.prop("inactive"), yaml_cpp.prop("cmake_enabled_by")) == (
        None,
        "USE_BUNDLED_DEPS=ON (.circleci/config.yml:32)",
    )
    assert [e.location for e in yaml_cpp.evidence] == [
        ".circleci/config.yml:32",
        "cmake/modules/yaml-cpp.cmake:30",
    ]
    libyaml = downloads["download:github.com/yaml/libyaml@0.2.5"]
    assert libyaml.prop("inactive") == (
        "declared in cmake/modules/libyaml.cmake, which nothing includes (an unused module)"
    )
