"""What ships, and from where, on real trees: published images, product images, build
stages, per-architecture downloads, and values not known here (notes, never actions).

Facts read from the trees (../shared/corpus; falco-0.35.1 at aa49db45, kepler-0.7.11 at
bf1f62d8, inspektor-gadget-2024-08 at 7a8c3f23). Each test's docstring names the lines
that prove what it pins.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from corpus import corpus_tree

from audit.config import Config
from audit.model import Action, ComponentResult, Edge, Relation, Report
from audit.pipeline import AuditOptions, run_audit


def _audit(name: str, cache: Path) -> Report:
    root = corpus_tree(name)
    return run_audit(root, Config(), AuditOptions(offline=True, cache_path=cache / "http.sqlite"))


@pytest.fixture(scope="module")
def falco(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return _audit("falco-0.35.1", tmp_path_factory.mktemp("falco"))


@pytest.fixture(scope="module")
def kepler(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return _audit("kepler-0.7.11", tmp_path_factory.mktemp("kepler"))


@pytest.fixture(scope="module")
def gadget(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return _audit("inspektor-gadget-2024-08", tmp_path_factory.mktemp("gadget"))


def result(report: Report, cid: str) -> ComponentResult:
    found = report.result(cid)
    assert found is not None, f"{cid} is not in the report"
    return found


def shipped(report: Report, cid: str) -> tuple[str, str, str, tuple[str, ...]]:
    r = result(report, cid)
    return (r.context, r.distribution, r.verdict.status.value, r.classification)


def actions_on(report: Report, cid: str) -> list[str]:
    return [a.kind.value for a in report.actions if a.target == cid]


def edges(report: Report, src: str | None = None, dst: str | None = None) -> Iterator[Edge]:
    for e in report.inventory.edges:
        if (src is None or e.src == src) and (dst is None or e.dst == dst):
            yield e


def where(e: Edge) -> tuple[str, str, str, str]:
    return (e.relation.value, e.evidence.location if e.evidence else "", e.dst, e.how)


def evidence(report: Report, cid: str) -> list[str]:
    comp = next(c for c in report.inventory.components if c.id == cid)
    return [e.location for e in comp.evidence]


def action(report: Report, kind: str, target: str) -> Action:
    return next(a for a in report.actions if a.kind.value == kind and a.target == target)


# falco-0.35.1 -----------------------------------------------------------------------------

FALCO = "image:falcosecurity/falco"
UBI8 = "image:registry.access.redhat.com/ubi8/ubi:latest"
TESTER = "dockerfile:docker/tester/Dockerfile"


def test_falco_flagship_image_published_despite_templated_tag(falco: Report) -> None:
    """reusable_publish_docker.yaml:69-70 ``docker push
    docker.io/falcosecurity/falco:{aarch64,x86_64}-${{ inputs.tag }}``: the tag is an input
    of the reusable workflow (:4-7), the name is known: the image is published."""
    comp = next(c for c in falco.inventory.components if c.id == FALCO)
    assert comp.version is None
    assert comp.prop("published") == "docker push"
    assert comp.prop("tag-unresolved") == "${{ inputs.arch }}-${{ inputs.tag }}"
    assert evidence(falco, FALCO) == [
        ".github/workflows/reusable_build_docker.yaml:53",
        ".github/workflows/reusable_publish_docker.yaml:69",
        ".github/workflows/reusable_publish_docker.yaml:70",
    ]
    assert shipped(falco, FALCO)[:2] == ("userspace", "distributed")
    assert result(falco, FALCO).classification == ("ships: published image falcosecurity/falco",)


def test_falco_image_is_built_from_docker_falco_after_cd(falco: Report) -> None:
    """reusable_build_docker.yaml:52 ``cd ${{ github.workspace }}/docker/falco/`` then :53
    ``docker build -t docker.io/falcosecurity/falco:... .``: the Dockerfile of that folder."""
    assert [where(e) for e in edges(falco, src=FALCO)] == [
        (
            "built-from",
            ".github/workflows/reusable_build_docker.yaml:53",
            "dockerfile:docker/falco/Dockerfile",
            "docker build -t",
        )
    ]


def test_falco_image_base_ships_as_a_system_component(falco: Report) -> None:
    """docker/falco/Dockerfile:1 ``FROM debian:buster``: the base of the published image."""
    context, distribution, status, reasons = shipped(falco, "image:debian:buster")
    assert (context, distribution, status) == ("userspace", "system-component", "allowed")
    assert reasons[0].startswith("ships: published image falcosecurity/falco")


@pytest.mark.parametrize(
    ("image", "pushed", "dockerfile", "built"),
    [
        (
            "image:falcosecurity/falco-no-driver",
            [67, 68],
            "dockerfile:docker/no-driver/Dockerfile",
            43,
        ),
        (
            "image:falcosecurity/falco-driver-loader",
            [71, 72],
            "dockerfile:docker/driver-loader/Dockerfile",
            63,
        ),
    ],
)
def test_falco_other_pushed_images(
    falco: Report, image: str, pushed: list[int], dockerfile: str, built: int
) -> None:
    """reusable_publish_docker.yaml:67-68 push falco-no-driver, :71-72 falco-driver-loader;
    reusable_build_docker.yaml:42-43 and :62-63 build them after ``cd`` into their folder."""
    publish = ".github/workflows/reusable_publish_docker.yaml"
    build = ".github/workflows/reusable_build_docker.yaml"
    assert evidence(falco, image) == [f"{build}:{built}", *(f"{publish}:{n}" for n in pushed)]
    assert [e.dst for e in edges(falco, src=image)] == [dockerfile]
    assert shipped(falco, image)[1] == "distributed"


def test_falco_tester_image_published_under_its_label_name(falco: Report) -> None:
    """images_bumper.yml:57-64 build-push-action ``context: docker/tester``, ``tags:
    latest``, ``push: true``; docker/tester/Dockerfile:3 ``LABEL
    name="falcosecurity/falco-tester"``: the tester image is published under that name, and
    no image called ``latest`` exists."""
    job = "ci-job:github/images_bumper.yml/update-builder-tester-images"
    pushes = [where(e) for e in edges(falco, src=job) if e.relation == Relation.PUBLISHES]
    assert pushes == [
        (
            "publishes",
            ".github/workflows/images_bumper.yml:54",
            "dockerfile:docker/builder/Dockerfile",
            "docker/build-push-action push: true, tags: latest (the image is named by its LABEL)",
        ),
        (
            "publishes",
            ".github/workflows/images_bumper.yml:63",
            TESTER,
            "docker/build-push-action push: true, tags: latest (the image is named by its LABEL)",
        ),
    ]
    assert not [c.id for c in falco.inventory.components if c.id.startswith("image:latest")]
    assert shipped(falco, "image:falcosecurity/falco-tester:latest")[:2] == (
        "userspace",
        "distributed",
    )


def test_falco_tester_contents_ship_with_it(falco: Report) -> None:
    """docker/tester/Dockerfile:21 ``pip install --user avocado-framework==69.0`` in the
    published tester image: avocado ships (the GPL test framework Falco later removed)."""
    assert shipped(falco, "pypi:avocado-framework@69.0")[:2] == ("userspace", "distributed")
    assert result(falco, "pypi:avocado-framework@69.0").classification == (
        "ships: published image falcosecurity/falco-tester (docker/tester/Dockerfile)",
    )


def test_falco_ubi_is_a_distributed_product_image_with_base_denied(falco: Report) -> None:
    """docker/ubi/Dockerfile:1-2 ``ARG UBI_VERSION=latest`` / ``FROM
    registry.access.redhat.com/ubi8/ubi:${UBI_VERSION}``; no workflow, CircleCI job or
    script builds, runs or pushes it: a product image, built here and not published yet."""
    assert shipped(falco, UBI8) == (
        "userspace",
        "system-component",
        "denied",
        (
            "ships: product image docker/ubi/Dockerfile: built here, not published yet",
            "part of an OS distribution: a system component",
        ),
    )
    assert actions_on(falco, UBI8) == ["replace"]
    replace = action(falco, "replace", UBI8)
    assert [e.location for e in replace.evidence] == ["docker/ubi/Dockerfile:2"]
    assert ("license", "LicenseRef-RedHat-UBI-EULA") in replace.properties


def test_falco_ubi_packages_go_with_the_base(falco: Report) -> None:
    """docker/ubi/Dockerfile:27-35 ``dnf -y install curl make cmake gcc llvm-toolset clang
    kmod`` come from UBI's repositories: the replace action takes them along."""
    assert action(falco, "replace", UBI8).removable == (
        "rpm:rhel/clang",
        "rpm:rhel/cmake",
        "rpm:rhel/curl",
        "rpm:rhel/gcc",
        "rpm:rhel/kmod",
        "rpm:rhel/llvm-toolset",
        "rpm:rhel/make",
    )


def test_falco_cmake_3_22_5_one_download_per_architecture(falco: Report) -> None:
    """reusable_build_packages.yaml:65 and docker/builder/modern-falco-builder.Dockerfile:17
    ``curl ... cmake-3.22.5-linux-$(uname -m).tar.gz``: one component per architecture."""
    base = "https://github.com/Kitware/CMake/releases/download/v3.22.5/cmake-3.22.5-linux-"
    for arch in ("aarch64", "x86_64"):
        cid = f"download:github.com/Kitware/CMake@v3.22.5?arch={arch}"
        comp = next(c for c in falco.inventory.components if c.id == cid)
        assert (comp.version, comp.prop("arch"), comp.prop("url")) == (
            "v3.22.5",
            arch,
            f"{base}{arch}.tar.gz",
        )
        assert evidence(falco, cid) == [
            ".github/workflows/reusable_build_packages.yaml:65",
            "docker/builder/modern-falco-builder.Dockerfile:17",
        ]
    assert "download:github.com/Kitware/CMake@v3.22.5" not in {
        c.id for c in falco.inventory.components
    }


def test_falco_builder_stage_download_is_build_context(falco: Report) -> None:
    """modern-falco-builder.Dockerfile:2 ``FROM centos:7 AS build-stage``; the CMake download
    at :17 is in that stage; the final stage is :35 ``FROM scratch AS export-stage``."""
    cid = "download:github.com/Kitware/CMake@v3.22.5?arch=x86_64"
    src = "dockerfile:docker/builder/modern-falco-builder.Dockerfile"
    assert [e.how for e in edges(falco, src=src, dst=cid)] == ["(build stage build-stage)"]
    assert shipped(falco, cid)[1] == "internal-tooling"


def test_falco_target_arch_downloads_one_per_architecture(falco: Report) -> None:
    """docker/falco/Dockerfile:8 ``ARG TARGETARCH`` (no default), :53 ``curl -L -o
    cpp-6_6.3.0-18_${TARGETARCH}.deb https://download.falco.org/dependencies/...``."""
    ids = {c.id for c in falco.inventory.components}
    for arch in ("amd64", "arm64"):
        cid = f"download:download.falco.org/dependencies/cpp-6_6.3.0-18_{arch}.deb"
        assert cid in ids
        assert "docker/falco/Dockerfile:53" in evidence(falco, cid)


def test_falco_unresolved_values_are_notes_not_actions(falco: Report) -> None:
    """docker/ubi/Dockerfile:39 ``falco-${FALCO_VERSION}-$(uname -m).tar.gz``: the version is
    a build argument without a default (:4): a note in the incomplete list, no action."""
    notes = [(p.path, p.line) for p in falco.incomplete if p.kind == "unresolved"]
    assert ("docker/ubi/Dockerfile", 39) in notes
    assert not [a for a in falco.actions if "unresolved" in a.because]
    assert not [a for a in falco.actions if a.target.startswith((".github/", "docker/"))]


GIT_REVISION = "source:cmake/modules/GetGitRevisionDescription.cmake"


def test_falco_vendored_cmake_module_is_build_context_and_ships_in_the_source(
    falco: Report,
) -> None:
    """cmake/modules/GetGitRevisionDescription.cmake:27 ``Original Author: 2009-2010 Ryan
    Pavlik`` and :30 ``Copyright Iowa State University 2009-2010. Distributed under the Boost
    Software License``: third-party code (upstream rpavlik/cmake-modules) copied among Falco's
    own modules. CMake runs it at configure time (cmake/modules/GetFalcoVersion.cmake:15
    ``include(GetGitRevisionDescription)``, reached from CMakeLists.txt:121): context build,
    not compiled into the binaries. It is kept in the repository, so every source release
    carries it: distributed. BSL-1.0 is not on the CNCF allowlist (policies/cncf.toml) and
    data/cncf-exceptions.json holds no exception for it: request an exception. (Falco
    0.36.0 replaced it with the Apache-2.0 GetVersionFromGit.cmake of libs 0.13.)"""
    context, distribution, status, reasons = shipped(falco, GIT_REVISION)
    assert (context, distribution, status) == ("build", "distributed", "needs-exception")
    assert reasons == (
        "context build: cmake/modules/GetGitRevisionDescription.cmake is a build script "
        "(included by cmake/modules/GetFalcoVersion.cmake:15): it runs while the project is "
        "built and is not compiled into what ships",
        "vendored third-party code stored in this repository: it ships with the project's "
        "source (every source release carries it)",
    )
    comp = next(c for c in falco.inventory.components if c.id == GIT_REVISION)
    assert (comp.prop("license"), comp.prop("url"), comp.prop("placement")) == (
        "BSL-1.0",
        "https://github.com/rpavlik/cmake-modules",
        "intermingled",
    )
    assert evidence(falco, GIT_REVISION) == [
        "cmake/modules/GetGitRevisionDescription.cmake:27",
        "cmake/modules/GetGitRevisionDescription.cmake:30",
    ]
    request = action(falco, "request-exception", GIT_REVISION)
    assert request.prop("context") == "build"
    assert request.prop("components") == (
        f"{GIT_REVISION}, source:cmake/modules/GetGitRevisionDescription.cmake.in"
    )
    assert "source:cmake/modules#BSL-1.0" not in {c.id for c in falco.inventory.components}


# kepler-0.7.11 ----------------------------------------------------------------------------

UBI9 = "image:registry.access.redhat.com/ubi9:latest"
KEPLER = "image:quay.io/sustainable_computing_io/kepler:latest"
BUILDER = "image:quay.io/sustainable_computing_io/kepler_builder:ubi-9-libbpf-1.3.0"


def test_kepler_shipped_image_base_is_ubi9_denied_like_falco_ubi(
    kepler: Report, falco: Report
) -> None:
    """build/Dockerfile:16 ``FROM registry.access.redhat.com/ubi9:latest`` is the final
    stage of the kepler image: same verdict and action as Falco's UBI image."""
    context, distribution, status, _ = shipped(kepler, UBI9)
    assert (context, distribution, status) == shipped(falco, UBI8)[:3]
    assert actions_on(kepler, UBI9) == actions_on(falco, UBI8) == ["replace"]
    assert [e.location for e in action(kepler, "replace", UBI9).evidence] == ["build/Dockerfile:16"]


def test_kepler_builder_stage_base_is_build_context(kepler: Report) -> None:
    """build/Dockerfile:1 ``FROM quay.io/sustainable_computing_io/kepler_builder:... as
    builder``; the final stage starts at :16 and only copies files from it (:52-62)."""
    assert [where(e) for e in edges(kepler, src="dockerfile:build/Dockerfile", dst=BUILDER)] == [
        ("base", "build/Dockerfile:1", BUILDER, "FROM (build stage builder)")
    ]
    # it ships only because image_base.yml:34-41 pushes it itself, not through build/Dockerfile
    assert result(kepler, BUILDER).classification == (
        f"ships: published image {BUILDER.removeprefix('image:')}",
    )


def test_kepler_image_from_the_matrix_is_published(kepler: Report) -> None:
    """image.yml:77-85 build-push-action ``tags:
    quay.io/sustainable_computing_io/${{matrix.IMAGE_NAME}}:${{matrix.LABEL}}``, ``file:
    ${{matrix.IMAGE_FILE}}``, ``push: ${{ inputs.pushImage }}``; the matrix (:24-29) holds
    kepler, build/Dockerfile and ``${{ inputs.imageTag }}`` (default latest, :6-7), pushImage
    defaults to true (:9-10)."""
    comp = next(c for c in kepler.inventory.components if c.id == KEPLER)
    assert comp.prop("published") == "docker/build-push-action"
    built = [(e.evidence.location if e.evidence else "", e.dst) for e in edges(kepler, src=KEPLER)]
    assert (".github/workflows/image.yml:77", "dockerfile:build/Dockerfile") in built
    assert shipped(kepler, KEPLER)[1] == "distributed"


def test_kepler_matrix_tags_dcgm_and_habana(kepler: Report) -> None:
    """image.yml:37 ``LABEL: ${{ inputs.imageTag }}-dcgm`` and :44 ``...-habana``."""
    ids = {c.id for c in kepler.inventory.components}
    assert {f"{KEPLER}-dcgm", f"{KEPLER}-habana"} <= ids
    assert "image:quay.io/sustainable_computing_io/kepler" not in ids


def test_kepler_final_stage_packages_ride_with_ubi9(kepler: Report) -> None:
    """build/Dockerfile:32-35 ``INSTALL_PKGS="libbpf"`` / ``yum install -y $INSTALL_PKGS``
    in the final stage: a UBI package that ships and goes with the base's replacement."""
    assert shipped(kepler, "rpm:rhel/libbpf")[:2] == ("userspace", "system-component")
    assert "rpm:rhel/libbpf" in action(kepler, "replace", UBI9).removable


def test_kepler_validator_base_ubi9_9_2_denied(kepler: Report) -> None:
    """build/Dockerfile.kepler-validator:10 ``FROM registry.access.redhat.com/ubi9:9.2``, the
    final stage of the kepler-validator image image.yml pushes (matrix entry :46-50)."""
    cid = "image:registry.access.redhat.com/ubi9:9.2"
    assert shipped(kepler, cid)[2] == "denied"
    assert actions_on(kepler, cid) == ["replace"]


def test_kepler_test_dockerfile_is_internal_tooling(kepler: Report) -> None:
    """manifests/k8s/tests/cpu/Dockerfile.stress-ng:1 ``FROM quay.io/centos/centos:stream8``
    (found by the ``Dockerfile.*`` pattern) lives under a tests folder: not a product image."""
    context, distribution, _, reasons = shipped(kepler, "image:quay.io/centos/centos:stream8")
    assert (context, distribution) == ("test", "internal-tooling")
    assert reasons[1] == "test tooling (dockerfile:manifests/k8s/tests/cpu/Dockerfile.stress-ng)"


def test_kepler_matrix_image_is_not_left_unresolved(kepler: Report) -> None:
    """image.yml:83 (the tags line) reads through the matrix: no unresolved note for it."""
    assert not [
        p for p in kepler.incomplete if p.path == ".github/workflows/image.yml" and p.line == 83
    ]


# inspektor-gadget-2024-08 -----------------------------------------------------------------

GADGET = "dockerfile:Dockerfiles/gadget.Dockerfile"
IG = "dockerfile:Dockerfiles/ig.Dockerfile"


def test_gadget_dockerfiles_found_by_name_pattern(gadget: Report) -> None:
    """Dockerfiles/*.Dockerfile (ig, gadget, kubectl-gadget, ebpf-builder, ig-tests, linter)
    are Dockerfiles; the ``*.Dockerfile.dockerignore`` files beside them are not."""
    found = sorted(n.id for n in gadget.inventory.nodes if n.id.startswith("dockerfile:Docker"))
    assert found == [
        "dockerfile:Dockerfiles/ebpf-builder.Dockerfile",
        GADGET,
        "dockerfile:Dockerfiles/ig-tests.Dockerfile",
        IG,
        "dockerfile:Dockerfiles/kubectl-gadget.Dockerfile",
        "dockerfile:Dockerfiles/linter.Dockerfile",
    ]


def test_gadget_ig_builder_stage_and_final_base(gadget: Report) -> None:
    """ig.Dockerfile:4 ``FROM --platform=${BUILDPLATFORM} ${BUILDER_IMAGE} AS builder``
    (a golang:1.22 digest by default) and :29 ``FROM ${BASE_IMAGE}`` (distroless
    static-debian11): only the final stage ships."""
    bases = sorted(where(e) for e in edges(gadget, src=IG) if e.relation == Relation.BASE)
    assert [(loc, how) for _, loc, _, how in bases] == [
        ("Dockerfiles/ig.Dockerfile:29", "FROM"),
        ("Dockerfiles/ig.Dockerfile:4", "FROM (build stage builder)"),
    ]
    builder = next(e.dst for e in edges(gadget, src=IG) if e.how == "FROM (build stage builder)")
    assert builder.startswith("image:golang:1.22@sha256:829eff99")
    assert shipped(gadget, builder)[1] == "internal-tooling"


def test_gadget_image_named_by_step_output_is_a_product_image(gadget: Report) -> None:
    """inspektor-gadget.yml:502 tags the gadget image with ``${{
    steps.set-repo-determine-image-tag.outputs.container-repo }}:...``: its name is not known
    here (a note), so gadget.Dockerfile is a product image: its base
    (gadget.Dockerfile:27, distroless static-debian12) ships."""
    notes = [p.line for p in gadget.incomplete if p.path.endswith("inspektor-gadget.yml")]
    assert 502 in notes
    cid = next(
        e.dst for e in edges(gadget, src=GADGET) if e.relation == Relation.BASE and e.how == "FROM"
    )
    assert cid.startswith("image:gcr.io/distroless/static-debian12@sha256:")
    assert shipped(gadget, cid)[3][0] == (
        "ships: product image Dockerfiles/gadget.Dockerfile: built here, not published yet"
    )


def test_gadget_tests_dockerfile_is_not_a_product_image(gadget: Report) -> None:
    """Dockerfiles/ig-tests.Dockerfile:19 ``FROM ${BASE_IMAGE}``: an image for integration
    tests (its LABEL title says so, :22), named as such: not counted as a product image."""
    from audit.context import product_dockerfiles
    from audit.graph import GraphIndex

    products = product_dockerfiles(GraphIndex.build(gadget.inventory), {})
    assert "dockerfile:Dockerfiles/ig-tests.Dockerfile" not in products
    assert GADGET in products and IG in products


def test_gadget_unknown_names_are_notes_not_actions(gadget: Report) -> None:
    """inspektor-gadget.yml:502, :520, :644 hold image names from step outputs: notes only."""
    lines = {p.line for p in gadget.incomplete if p.path.endswith("inspektor-gadget.yml")}
    assert {502, 520, 644} <= lines
    assert not [a for a in gadget.actions if a.target.startswith(".github/")]
