"""The classify stage: context and distribution model, with reasons, on small graphs."""

from __future__ import annotations

import pytest

from audit.components import (
    build_file_id,
    dockerfile_id,
    download_component,
    image_component,
    job_id,
    manifest_id,
    package_component,
    parse_image_ref,
)
from audit.context import Classification, Classifier, is_build_script
from audit.graph import GraphIndex, link
from audit.model import Component, ComponentKind, Edge, Evidence, Node, Relation, ScanResult
from audit.scanners.base import SourceFile
from audit.shell import scan_script


def ev(path: str, line: int) -> Evidence:
    return Evidence(path, line, "x", "test")


def img(ref: str, **props: str) -> Component:
    parsed = parse_image_ref(ref)
    assert parsed is not None
    return image_component(parsed, [ev("Dockerfile", 1)], props or None)


APP = "docker/app/Dockerfile"
TOOLS = "docker/tools/Dockerfile"


def graph(published: tuple[str, ...] = (), extra: tuple[Component, ...] = ()) -> Classifier:
    app = img("example/app:latest")
    tools = img("example/tools:latest")
    debian = img("debian:12")
    flask = package_component("pypi", "flask", "3.0.0", [ev(APP, 3)])
    pytest_ = package_component("pypi", "pytest", "8.0.0", [ev(TOOLS, 3)])
    curl = package_component("deb", "curl", None, [ev(APP, 2)], namespace="debian")
    requests_ = package_component("pypi", "requests", None, [ev("pyproject.toml", 5)])
    cobra = package_component("golang", "github.com/spf13/cobra", "v1.8.0", [ev("go.mod", 4)])
    zlib = download_component(
        "https://zlib.net/zlib-1.3.tar.gz", [ev("cmake/zlib.cmake", 2)], name="zlib", version="1.3"
    )
    nodes = (
        Node(
            dockerfile_id(APP), "dockerfile", APP, (ev(APP, 1),), (("label.name", "example/app"),)
        ),
        Node(
            dockerfile_id(TOOLS),
            "dockerfile",
            TOOLS,
            (ev(TOOLS, 1),),
            (("label.name", "example/tools"),),
        ),
        Node(job_id("circleci", "unit-tests"), "ci-job", "unit-tests"),
        Node(manifest_id("pyproject.toml"), "manifest", "pyproject.toml"),
        Node(manifest_id("go.mod"), "manifest", "go.mod"),
        Node(build_file_id("cmake/zlib.cmake"), "build-file", "cmake/zlib.cmake"),
    )
    edges = (
        Edge(dockerfile_id(APP), debian.id, Relation.BASE, ev(APP, 1)),
        Edge(dockerfile_id(APP), curl.id, Relation.INSTALLS, ev(APP, 2)),
        Edge(dockerfile_id(APP), flask.id, Relation.INSTALLS, ev(APP, 3)),
        Edge(dockerfile_id(TOOLS), debian.id, Relation.BASE, ev(TOOLS, 1)),
        Edge(dockerfile_id(TOOLS), pytest_.id, Relation.INSTALLS, ev(TOOLS, 3)),
        Edge(job_id("circleci", "unit-tests"), tools.id, Relation.RUNS_IN, ev("c.yml", 9)),
        Edge(
            manifest_id("pyproject.toml"), requests_.id, Relation.REQUIRES, ev("pyproject.toml", 5)
        ),
        Edge(manifest_id("go.mod"), cobra.id, Relation.REQUIRES, ev("go.mod", 4)),
        Edge(
            build_file_id("cmake/zlib.cmake"), zlib.id, Relation.BUNDLES, ev("cmake/zlib.cmake", 2)
        ),
    )
    comps = (app, tools, debian, flask, pytest_, curl, requests_, cobra, zlib, *extra)
    inv = link("r", ScanResult(comps, nodes, edges))
    return Classifier.build(GraphIndex.build(inv), published)


def classify(c: Classifier, cid: str) -> Classification:
    comp = c.index.components[cid]
    return c.classify(comp)


def test_published_image_contents_ship() -> None:
    c = graph(published=("example/app",))
    assert classify(c, "pypi:flask@3.0.0") == Classification(
        "userspace",
        "distributed",
        ("ships: published image example/app (docker/app/Dockerfile)",),
    )
    assert classify(c, "deb:debian/curl") == Classification(
        "userspace",
        "system-component",
        (
            "ships: published image example/app (docker/app/Dockerfile)",
            "part of an OS distribution: a system component",
        ),
    )
    assert classify(c, "image:debian:12").distribution == "system-component"


def test_image_built_here_is_judged_by_its_parts() -> None:
    c = graph(published=("example/app",))
    got = classify(c, "image:example/app:latest")
    assert got.distribution == "distributed"
    assert got.by_parts == (
        "built by this repository from docker/app/Dockerfile: its base image and packages "
        "are audited as components of their own"
    )


def test_ci_only_image_contents_are_internal_tooling() -> None:
    c = graph(published=("example/app",))
    assert classify(c, "pypi:pytest@8.0.0") == Classification(
        "test",
        "internal-tooling",
        (
            "used only by ci-job:circleci/unit-tests: never shipped",
            "test tooling (ci-job:circleci/unit-tests)",
        ),
    )


def test_unpublished_dockerfile_nothing_uses_is_a_product_image() -> None:
    """docker/app/Dockerfile: no push, no job runs its image: built here, not published
    yet, so it ships (the safe default); docker/tools is run by CI: tooling."""
    c = graph()
    assert classify(c, "pypi:flask@3.0.0") == Classification(
        "userspace",
        "distributed",
        ("ships: product image docker/app/Dockerfile: built here, not published yet",),
    )
    assert classify(c, "pypi:pytest@8.0.0").distribution == "internal-tooling"


def test_dockerfile_under_a_test_folder_is_not_a_product_image() -> None:
    path = "test/fixtures/Dockerfile"
    gunicorn = package_component("pypi", "gunicorn", "22.0.0", [ev(path, 2)])
    node = Node(dockerfile_id(path), "dockerfile", path, (ev(path, 1),))
    inv = link(
        "r",
        ScanResult(
            (gunicorn,), (node,), (Edge(node.id, gunicorn.id, Relation.INSTALLS, ev(path, 2)),)
        ),
    )
    c = Classifier.build(GraphIndex.build(inv), ())
    assert c.classify(gunicorn).distribution == "internal-tooling"


def test_build_stage_contents_are_build_context() -> None:
    """What a build stage installs is not followed from the shipped Dockerfile."""
    gcc = package_component("deb", "gcc", None, [ev(APP, 5)], namespace="debian")
    stage = Edge(dockerfile_id(APP), gcc.id, Relation.INSTALLS, ev(APP, 5), "(build stage b)")
    c = graph(published=("example/app",), extra=(gcc,))
    inv = c.index.inventory
    index = GraphIndex.build(link("r", ScanResult(inv.components, inv.nodes, (*inv.edges, stage))))
    c = Classifier.build(index, ("example/app",))
    assert c.classify(index.components[gcc.id]).distribution == "internal-tooling"
    assert c.classify(index.components["pypi:flask@3.0.0"]).distribution == "distributed"


def test_pushed_dockerfile_is_published_under_its_label_name() -> None:
    """build-push-action with ``tags: latest`` PUBLISHES the Dockerfile: the image its
    LABEL names ships."""
    job = job_id("github", "bump.yml/images")
    push = Edge(job, dockerfile_id(TOOLS), Relation.PUBLISHES, ev("bump.yml", 9), "push")
    c = graph()
    inv = c.index.inventory
    nodes = (*inv.nodes, Node(job, "ci-job", "images"))
    index = GraphIndex.build(link("r", ScanResult(inv.components, nodes, (*inv.edges, push))))
    c = Classifier.build(index, ())
    got = c.classify(index.components["pypi:pytest@8.0.0"])
    assert got.distribution == "distributed"
    assert got.reasons == ("ships: published image example/tools (docker/tools/Dockerfile)",)


def test_pushed_image_counts_as_published_without_config() -> None:
    source = SourceFile(".circleci/config.yml", "docker push example/app:latest\n")
    pushed = scan_script(source.text, source, 1, "ci-job:circleci/release", "circleci")
    assert [(x.id, x.properties) for x in pushed.components] == [
        ("image:example/app:latest", (("published", "docker push"),)),
    ]
    c = graph(extra=pushed.components)
    assert classify(c, "pypi:flask@3.0.0").reasons == (
        "ships: published image example/app (docker/app/Dockerfile)",
    )


def test_runtime_requirements() -> None:
    c = graph()
    assert classify(c, "pypi:requests") == Classification(
        "userspace",
        "user-fetched",
        ("a runtime requirement (pyproject.toml:5): the user's installer fetches it",),
    )
    assert classify(c, "golang:github.com/spf13/cobra@v1.8.0") == Classification(
        "userspace",
        "distributed",
        ("a runtime dependency built in (go.mod:4)",),
    )


def test_bundled_download_ships() -> None:
    c = graph()
    assert classify(c, "download:zlib.net/zlib-1.3.tar.gz") == Classification(
        "userspace",
        "distributed",
        ("ships: bundled into the build (cmake/zlib.cmake:2)",),
    )


def test_source_components() -> None:
    driver = Component(
        "source:driver",
        ComponentKind.SOURCE,
        "driver",
        properties=(
            ("context", "kernel-module"),
            ("context_reason", "MODULE_LICENSE at driver/main.c:42"),
        ),
    )
    tests_dir = Component("source:test/fixtures", ComponentKind.SOURCE, "test/fixtures")
    vendored = Component(
        "source:lib/uthash.h",
        ComponentKind.SOURCE,
        "lib/uthash.h",
        properties=(("placement", "intermingled"), ("vendored", "true")),
    )
    c = graph(extra=(driver, tests_dir, vendored))
    assert classify(c, "source:driver") == Classification(
        "kernel-module",
        "distributed",
        (
            "context kernel-module: MODULE_LICENSE at driver/main.c:42",
            "first-party source: ships with the project",
        ),
    )
    assert classify(c, "source:test/fixtures") == Classification(
        "test",
        "internal-tooling",
        ("first-party source under a test directory: not shipped",),
    )
    assert classify(c, "source:lib/uthash.h") == Classification(
        "userspace",
        "distributed",
        ("vendored third-party code (intermingled): ships with the project",),
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("cmake/modules/GetGitRevisionDescription.cmake", True),
        ("cmake/modules/GetGitRevisionDescription.cmake.in", True),
        ("CMakeLists.txt", True),
        ("src/CMakeLists.txt", True),
        ("Makefile", True),
        ("build/rules.mk", True),
        ("meson.build", True),
        ("cmake/modules", False),
        ("lib/uthash.h", False),
        ("scripts/build.sh", False),
        ("docs/cmake.md", False),
    ],
)
def test_is_build_script(path: str, expected: bool) -> None:
    assert is_build_script(path) is expected


def _vendored_module(name: str, *props: tuple[str, str]) -> Component:
    return Component(
        f"source:{name}",
        ComponentKind.SOURCE,
        name,
        properties=(("placement", "intermingled"), ("vendored", "true"), *props),
    )


def test_vendored_build_script_is_build_context_and_ships_with_the_source() -> None:
    """A CMake module copied into the tree runs at configure time (context build); the
    repository stores it, so each source release carries it (distributed). One kept only in
    a tree the build fetches (``origin`` without ``.``) is neither stored here nor compiled
    in: internal tooling."""
    here = _vendored_module("cmake/GetGit.cmake", ("origin", ".,libs@0.11.3"))
    fetched = _vendored_module("libs@0.11.3/cmake/GetGit.cmake", ("origin", "libs@0.11.3"))
    includer = Node(build_file_id("CMakeLists.txt"), "build-file", "CMakeLists.txt")
    module = Node(build_file_id("cmake/GetGit.cmake"), "build-file", "cmake/GetGit.cmake")
    include = Edge(includer.id, module.id, Relation.INCLUDES, ev("CMakeLists.txt", 7))
    inv = link("r", ScanResult((here, fetched), (includer, module), (include,)))
    c = Classifier.build(GraphIndex.build(inv), ())
    built = (
        "context build: cmake/GetGit.cmake is a build script (included by CMakeLists.txt:7): "
        "it runs while the project is built and is not compiled into what ships"
    )
    assert c.classify(here) == Classification(
        "build",
        "distributed",
        (
            built,
            "vendored third-party code stored in this repository: it ships with the "
            "project's source (every source release carries it)",
        ),
    )
    assert c.classify(fetched) == Classification(
        "build",
        "internal-tooling",
        (
            "context build: libs@0.11.3/cmake/GetGit.cmake is a build script: it runs while "
            "the project is built and is not compiled into what ships",
            "vendored third-party code of a tree the build fetches (libs@0.11.3): not stored "
            "in this repository and not compiled in: never shipped",
        ),
    )


def test_inactive_download_is_not_part_of_the_build() -> None:
    luajit = download_component(
        "https://github.com/LuaJIT/LuaJIT/archive/v2.1.tar.gz",
        [ev("cmake/luajit.cmake", 3)],
        props={"inactive": "only when WITH_CHISEL (default OFF)"},
    )
    c = graph(extra=(luajit,))
    assert classify(c, luajit.id) == Classification(
        "build",
        "internal-tooling",
        ("not part of the build: only when WITH_CHISEL (default OFF)",),
    )
