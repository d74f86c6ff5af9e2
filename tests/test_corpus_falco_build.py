"""What Falco's build pulls in: its CMake superbuild, the two pins of falcosecurity/libs, and
the pinned trees audited in the context the build gives them.

Facts read from the trees (../shared/corpus; falco-0.35.1 at aa49db45, libs-0.11.3 at
64ed40ce, libs-5.0.1-driver at 1f5feef4):

- falco-0.35.1 CMakeLists.txt:148 ``include(falcosecurity-libs)``; that module sets
  ``FALCOSECURITY_LIBS_VERSION "0.11.3"`` (cmake/modules/falcosecurity-libs.cmake:30) and its
  checksum (:31) under ``if(NOT FALCOSECURITY_LIBS_VERSION)`` (:29), and configures the
  sub-project ``cmake/modules/falcosecurity-libs-repo`` with
  ``execute_process(COMMAND "${CMAKE_COMMAND}" ... -DFALCOSECURITY_LIBS_VERSION=...)`` (:35);
  the sub-project's ``ExternalProject_Add`` downloads
  ``https://github.com/falcosecurity/libs/archive/${FALCOSECURITY_LIBS_VERSION}.tar.gz``
  (cmake/modules/falcosecurity-libs-repo/CMakeLists.txt:22).
- falcosecurity-libs.cmake:93 ``include(driver)`` reaches falco's own
  cmake/modules/driver.cmake, which pins the same repository again: ``DRIVER_VERSION
  "5.0.1+driver"`` (:29, checksum :30), passed by ``execute_process`` (:34) to
  cmake/modules/driver-repo, whose URL is at cmake/modules/driver-repo/CMakeLists.txt:22.
- cmake/modules/libyaml.cmake:20 downloads libyaml 0.2.5, but no ``include(libyaml)``
  exists in the tree: the module is unused.
"""

from __future__ import annotations

import pytest
from corpus import Corpus

from audit.bundled import follow_bundled
from audit.config import Config
from audit.model import Inventory
from audit.pipeline import build_inventory

LIBS_PIN = "download:github.com/falcosecurity/libs@0.11.3"
DRIVER_PIN = "download:github.com/falcosecurity/libs@5.0.1+driver"
LIBS_REPO = "cmake/modules/falcosecurity-libs-repo/CMakeLists.txt"
DRIVER_REPO = "cmake/modules/driver-repo/CMakeLists.txt"


@pytest.fixture(scope="module")
def falco_alone(corpus: Corpus) -> Inventory:
    return build_inventory(corpus("falco-0.35.1"), Config()).inventory


def test_both_pins_with_their_versions_and_evidence(falco_alone: Inventory) -> None:
    comps = {c.id: c for c in falco_alone.components}
    libs, driver = comps[LIBS_PIN], comps[DRIVER_PIN]
    assert (libs.version, driver.version) == ("0.11.3", "5.0.1+driver")
    assert [(e.path, e.line) for e in libs.evidence] == [
        (LIBS_REPO, 22),
        ("cmake/modules/falcosecurity-libs.cmake", 35),
        ("cmake/modules/falcosecurity-libs.cmake", 30),
        ("cmake/modules/falcosecurity-libs.cmake", 31),
    ]
    assert libs.evidence[2].text == 'set(FALCOSECURITY_LIBS_VERSION "0.11.3")'
    assert [(e.path, e.line) for e in driver.evidence] == [
        (DRIVER_REPO, 22),
        ("cmake/modules/driver.cmake", 34),
        ("cmake/modules/driver.cmake", 29),
        ("cmake/modules/driver.cmake", 30),
    ]
    assert driver.evidence[2].text == 'set(DRIVER_VERSION "5.0.1+driver")'
    assert libs.prop("url_hash") == (
        "SHA256=b4f9dc8c1612f4b14207d107bce323a0684dce0dbf018e5b846177992569367b"
    )
    assert driver.prop("overridable") == "DRIVER_CHECKSUM,DRIVER_VERSION"
    # the sub-projects read alone left the URL unresolved: no such problem any more
    assert not [p for p in falco_alone.problems if p.path in (LIBS_REPO, DRIVER_REPO)]


def test_the_superbuild_reaches_the_sub_projects(falco_alone: Inventory) -> None:
    nodes = {n.id: n for n in falco_alone.nodes}
    assert nodes[f"build-file:{LIBS_REPO}"].prop("cmake_reach") == "included"
    assert nodes[f"build-file:{DRIVER_REPO}"].prop("cmake_reach") == "included"
    includes = {
        (e.src, e.dst, e.evidence.line if e.evidence else 0)
        for e in falco_alone.edges
        if e.relation.value == "includes"
    }
    assert (
        "build-file:cmake/modules/falcosecurity-libs.cmake",
        f"build-file:{LIBS_REPO}",
        35,
    ) in includes


def test_libyaml_cmake_is_unused(corpus: Corpus) -> None:
    root = corpus("falco-0.35.1")
    run = build_inventory(root, Config())
    libyaml = next(
        c for c in run.inventory.components if c.id.startswith("download:github.com/yaml/libyaml")
    )
    assert libyaml.prop("inactive") == (
        "declared in cmake/modules/libyaml.cmake, which nothing includes (an unused module)"
    )
    nodes = {n.id: n for n in run.inventory.nodes}
    assert nodes["build-file:cmake/modules/libyaml.cmake"].prop("cmake_reach") == "unused"


def test_a_bare_name_for_two_pins_says_it_is_ambiguous(corpus: Corpus) -> None:
    root, libs = corpus("falco-0.35.1"), corpus("libs-0.11.3")
    run = build_inventory(root, Config())
    inventory, _ = follow_bundled(
        run.inventory,
        run.findings,
        root,
        Config(),
        scan_tree=lambda p, c: build_inventory(p, c),
        sources=[("falcosecurity/libs", str(libs))],
    )
    assert not [c for c in inventory.components if c.prop("bundled_tree")]
    problems = sorted((p.path, p.line) for p in inventory.problems if p.scanner == "bundled")
    assert problems == [(DRIVER_REPO, 22), (LIBS_REPO, 22)]


def both_pins(corpus: Corpus) -> tuple[tuple[str, str], ...]:
    return (
        ("falcosecurity/libs@0.11.3", str(corpus("libs-0.11.3"))),
        ("falcosecurity/libs@5.0.1+driver", str(corpus("libs-5.0.1-driver"))),
    )


@pytest.fixture(scope="module")
def falco_with_pins(corpus: Corpus) -> Inventory:
    return build_inventory(corpus("falco-0.35.1"), Config(), sources=both_pins(corpus)).inventory


def test_each_pin_is_audited_from_its_own_tree(falco_with_pins: Inventory) -> None:
    comps = {c.id: c for c in falco_with_pins.components}
    assert comps[LIBS_PIN].prop("bundled_tree") == "libs@0.11.3"
    assert comps[DRIVER_PIN].prop("bundled_tree") == "libs@5.0.1+driver"
    # the chain: falco file:line -> pin -> libs file:line
    curl = comps["download:github.com/curl/curl@curl-8_0_1"]
    assert curl.prop("origin_chain") == (
        f"{LIBS_REPO}:22 -> libs@0.11.3:cmake/modules/curl.cmake:46"
    )
    assert curl.evidence[0].path == "libs@0.11.3:cmake/modules/curl.cmake"
