"""Constructors for components and consumer-node ids, so that every scanner names things alike.

The same image found in a CircleCI config and in a Dockerfile must get the same id, or the
graph cannot join them. All ids are built here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from urllib.parse import urlsplit

from packageurl import PackageURL

from audit.model import Component, ComponentKind, Evidence

_DOCKER_HUB = {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}


@dataclass(frozen=True)
class ImageRef:
    """A parsed container image reference."""

    registry: str
    """Empty for Docker Hub."""
    repository: str
    """Without the ``library/`` prefix on Docker Hub."""
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    @property
    def canonical(self) -> str:
        out = self.name
        if self.tag or not self.digest:
            out += f":{self.tag or 'latest'}"
        if self.digest:
            out += f"@{self.digest}"
        return out


_IMAGE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$")


def parse_image_ref(ref: str) -> ImageRef | None:
    """Parse ``[registry/]repo[:tag][@digest]``; ``None`` when it is not an image reference.

    References that still hold a variable (``$X``, ``${X}``) are not images: the caller
    reports them as unresolved.
    """
    ref = ref.strip().strip("'\"")
    if not ref or "$" in ref or len(ref) > 512 or not _IMAGE_RE.match(ref):
        return None
    if "://" in ref or "//" in ref or ref.endswith(("/", ":", "@")) or ref.startswith("/"):
        return None
    digest = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
        if not re.fullmatch(r"[a-z0-9]+:[A-Fa-f0-9]{32,}", digest):
            return None
    tag = None
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        ref, tag = ref.rsplit(":", 1)
        if not tag:
            return None
    parts = ref.split("/")
    registry = ""
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry = parts[0].lower()
        parts = parts[1:]
    if registry in _DOCKER_HUB:
        registry = ""
    repository = "/".join(parts).lower()
    if not repository or any(not p or ":" in p for p in parts):
        return None
    if not registry and repository.startswith("library/"):
        repository = repository[len("library/") :]
    return ImageRef(registry, repository, tag, digest)


def build_stage_how(how: str, stage: str) -> str:
    """The ``how`` of an edge from a Dockerfile's build stage ``stage`` (not its final
    stage): ``FROM (build stage builder)``, ``yum install (build stage builder)``. What a
    build stage brings in is build context; only the final stage ships."""
    return f"{how} (build stage {stage})".lstrip()


def in_build_stage(how: str) -> bool:
    """Is an edge with this ``how`` from a Dockerfile's build stage (see
    :func:`build_stage_how`)?"""
    return "(build stage " in how


def partial_image_ref(text: str) -> tuple[ImageRef, str] | None:
    """``(reference without a tag, the tag as written)`` for a reference whose name is known
    and whose tag is not (``docker.io/falcosecurity/falco:x86_64-${{ inputs.tag }}``).

    ``None`` when an unknown part (``$``, a backtick) comes before the tag: the name itself
    is unknown, and so is which image it is.
    """
    text = text.strip().strip("'\"")
    cut = min((i for i in (text.find("$"), text.find("`")) if i >= 0), default=-1)
    if cut <= 0:
        return None
    known = text[:cut]
    last = known.rsplit("/", 1)[-1]
    if ":" not in last or "@" in known:
        return None
    name = known[: len(known) - len(last)] + last.split(":", 1)[0]
    ref = parse_image_ref(name)
    if ref is None or ref.tag is not None:
        return None
    return ref, text[len(name) + 1 :]


def _props(props: dict[str, str] | Iterable[tuple[str, str]] | None) -> tuple[tuple[str, str], ...]:
    if not props:
        return ()
    items = props.items() if isinstance(props, dict) else props
    return tuple(sorted((str(k), str(v)) for k, v in items if v is not None and v != ""))


def image_component(
    ref: ImageRef,
    evidence: Iterable[Evidence],
    props: dict[str, str] | None = None,
    *,
    unresolved_tag: str | None = None,
) -> Component:
    """The image ``ref``; with ``unresolved_tag`` (the tag as written, holding a value not
    known here) the image is known and its tag is not: the id has no tag
    (``image:falcosecurity/falco``) and the property ``tag-unresolved`` keeps the text."""
    if unresolved_tag is not None:
        return _untagged_image(ref, evidence, {**(props or {}), "tag-unresolved": unresolved_tag})
    repo = ref.repository
    namespace, _, name = repo.rpartition("/")
    qualifiers: dict[str, str] = {}
    if ref.registry:
        qualifiers["repository_url"] = ref.registry  # the registry host only (purl spec)
    if ref.tag and ref.digest:
        qualifiers["tag"] = ref.tag
    version = ref.digest or ref.tag or "latest"
    purl = PackageURL(
        type="docker",
        namespace=namespace or None,
        name=name,
        version=version,
        qualifiers=qualifiers or None,
    ).to_string()
    return Component(
        id=f"image:{ref.canonical}",
        kind=ComponentKind.IMAGE,
        name=ref.name,
        version=ref.tag or ("latest" if not ref.digest else None),
        ecosystem="docker",
        purl=purl,
        evidence=tuple(evidence),
        properties=_props({**(props or {}), **({"digest": ref.digest} if ref.digest else {})}),
    )


def _untagged_image(
    ref: ImageRef, evidence: Iterable[Evidence], props: dict[str, str]
) -> Component:
    namespace, _, name = ref.repository.rpartition("/")
    qualifiers = {"repository_url": f"{ref.registry}/{ref.repository}"} if ref.registry else None
    purl = PackageURL(
        type="docker", namespace=namespace or None, name=name, qualifiers=qualifiers
    ).to_string()
    return Component(
        id=f"image:{ref.name}",
        kind=ComponentKind.IMAGE,
        name=ref.name,
        version=None,
        ecosystem="docker",
        purl=purl,
        evidence=tuple(evidence),
        properties=_props(props),
    )


def normalize_pypi_name(name: str) -> str:
    """PEP 503 normalization."""
    return re.sub(r"[-_.]+", "-", name).lower()


_PURL_TYPES = {
    "pypi": "pypi",
    "npm": "npm",
    "golang": "golang",
    "deb": "deb",
    "rpm": "rpm",
    "apk": "apk",
    "gem": "gem",
    "cargo": "cargo",
    "maven": "maven",
    "nuget": "nuget",
    "github": "github",
    "generic": "generic",
}


def package_component(
    ecosystem: str,
    name: str,
    version: str | None,
    evidence: Iterable[Evidence],
    props: dict[str, str] | None = None,
    namespace: str | None = None,
) -> Component:
    """A package of a language or OS ecosystem.

    ``version`` is an exact version when pinned (``==``), else ``None`` and the constraint
    goes in ``props['constraint']``. For ``npm`` a scope is part of ``name`` (``@scope/x``);
    for ``golang`` the module path is the name; for OS packages ``namespace`` is the distro.
    """
    if ecosystem == "pypi":
        name = normalize_pypi_name(name)
    purl_ns: str | None = namespace
    purl_name = name
    if ecosystem == "npm" and name.startswith("@") and "/" in name:
        purl_ns, purl_name = name.split("/", 1)
    elif ecosystem == "golang" and "/" in name:
        purl_ns, purl_name = name.rsplit("/", 1)
    ptype = _PURL_TYPES.get(ecosystem)
    purl = _package_purl(ptype, purl_ns, purl_name, version or None) if ptype else None
    distro = f"{namespace}/" if namespace and ecosystem in ("deb", "rpm", "apk") else ""
    cid = f"{ecosystem}:{distro}{name}"
    if version:
        cid += f"@{version}"
    return Component(
        id=cid,
        kind=ComponentKind.PACKAGE,
        name=name,
        version=version or None,
        ecosystem=ecosystem,
        purl=purl,
        evidence=tuple(evidence),
        properties=_props(props),
    )


@lru_cache(maxsize=4096)
def _package_purl(ptype: str, namespace: str | None, name: str, version: str | None) -> str | None:
    """The purl of a package (``None``: one packageurl rejects, a name that normalizes to
    nothing); the same packages recur across Dockerfiles and CI jobs, and building a
    purl takes packageurl about 9 µs."""
    try:
        return PackageURL(type=ptype, namespace=namespace, name=name, version=version).to_string()
    except (ValueError, TypeError):
        return None


def action_component(
    uses: str, evidence: Iterable[Evidence], props: dict[str, str] | None = None
) -> Component | None:
    """A GitHub Action from ``owner/repo[/path]@ref``; ``None`` for local or docker uses."""
    if uses.startswith(("./", "docker://")) or "@" not in uses:
        return None
    spec, ref = uses.rsplit("@", 1)
    parts = spec.split("/")
    if len(parts) < 2 or not all(parts[:2]):
        return None
    owner, repo = parts[0], parts[1]
    subpath = "/".join(parts[2:]) or None
    purl = PackageURL(
        type="github", namespace=owner.lower(), name=repo.lower(), version=ref, subpath=subpath
    ).to_string()
    return Component(
        id=f"action:{spec}@{ref}",
        kind=ComponentKind.ACTION,
        name=spec,
        version=ref,
        ecosystem="github",
        purl=purl,
        evidence=tuple(evidence),
        properties=_props({**(props or {}), "repository": f"{owner}/{repo}"}),
    )


def orb_component(spec: str, evidence: Iterable[Evidence]) -> Component:
    """A CircleCI orb ``namespace/name@version``."""
    name, _, version = spec.partition("@")
    return Component(
        id=f"orb:{name}@{version}" if version else f"orb:{name}",
        kind=ComponentKind.ORB,
        name=name,
        version=version or None,
        ecosystem="circleci-orb",
        purl=None,
        evidence=tuple(evidence),
    )


_GH_ARCHIVE = re.compile(
    r"^https?://github\.com/(?P<owner>[^/]+)/(?P<repo>[^/]+)/"
    r"(?:archive/(?:refs/(?:tags|heads)/)?(?P<aref>.+?)(?:\.tar\.gz|\.tgz|\.zip|\.tar\.xz)"
    r"|releases/download/(?P<tag>[^/]+)/[^/]+)$"
)


def github_release(url: str) -> tuple[str, str, str] | None:
    """``(owner, repo, ref)`` for a GitHub archive or release-asset URL."""
    m = _GH_ARCHIVE.match(url.strip())
    if not m:
        return None
    return m["owner"], m["repo"], m["aref"] or m["tag"]


def for_architecture(component: Component, arch: str) -> Component:
    """``component`` as fetched for one machine architecture: one component per
    architecture a build fetches (``download:github.com/Kitware/CMake@v3.22.5?arch=x86_64``),
    each with the property ``arch``."""
    props = {**dict(component.properties), "arch": arch}
    return replace(component, id=f"{component.id}?arch={arch}", properties=_props(props))


def download_component(
    url: str,
    evidence: Iterable[Evidence],
    name: str | None = None,
    version: str | None = None,
    props: dict[str, str] | None = None,
) -> Component:
    """A file fetched by URL (archive, tarball). GitHub archives become ``owner/repo@ref``."""
    gh = github_release(url)
    extra = {"url": url, **(props or {})}
    if gh:
        owner, repo, ref = gh
        return Component(
            id=f"download:github.com/{owner}/{repo}@{ref}",
            kind=ComponentKind.DOWNLOAD,
            name=name or f"{owner}/{repo}",
            version=version or ref,
            ecosystem="github",
            purl=PackageURL(
                type="github", namespace=owner.lower(), name=repo.lower(), version=ref
            ).to_string(),
            evidence=tuple(evidence),
            properties=_props({**extra, "repository": f"{owner}/{repo}"}),
        )
    parts = urlsplit(url)
    fallback = parts.path.rsplit("/", 1)[-1] or parts.netloc
    label = name or fallback
    purl = None
    try:
        purl = PackageURL(
            type="generic",
            name=label,
            version=version or None,
            qualifiers={"download_url": url},
        ).to_string()
    except ValueError:
        purl = None
    return Component(
        id=f"download:{parts.netloc}{parts.path}",
        kind=ComponentKind.DOWNLOAD,
        name=label,
        version=version,
        ecosystem="generic",
        purl=purl,
        evidence=tuple(evidence),
        properties=_props(extra),
    )


def git_component(
    url: str,
    evidence: Iterable[Evidence],
    ref: str | None = None,
    kind: ComponentKind = ComponentKind.DOWNLOAD,
    props: dict[str, str] | None = None,
) -> Component:
    """A git repository fetched by URL (``git clone``, submodule, GIT_REPOSITORY)."""
    clean = re.sub(r"\.git$", "", url.strip().rstrip("/"))
    m = re.match(r"^(?:https?://|git://|ssh://git@|git@)([^/:]+)[/:](.+)$", clean)
    host_path = f"{m[1]}/{m[2]}" if m else clean
    purl = None
    if m and m[1].lower() == "github.com" and m[2].count("/") == 1:
        owner, repo = m[2].split("/")
        purl = PackageURL(
            type="github", namespace=owner.lower(), name=repo.lower(), version=ref
        ).to_string()
    prefix = "submodule" if kind == ComponentKind.SUBMODULE else "git"
    return Component(
        id=f"{prefix}:{host_path}" + (f"@{ref}" if ref else ""),
        kind=kind,
        name=host_path,
        version=ref,
        ecosystem="git",
        purl=purl,
        evidence=tuple(evidence),
        properties=_props({"url": url, **(props or {})}),
    )


# Consumer node ids ----------------------------------------------------------------------


def job_id(system: str, name: str) -> str:
    """``ci-job:circleci/tests-integration``, ``ci-job:github/ci.yml/build``."""
    return f"ci-job:{system}/{name}"


def dockerfile_id(path: str) -> str:
    return f"dockerfile:{path}"


def manifest_id(path: str) -> str:
    return f"manifest:{path}"


def build_file_id(path: str) -> str:
    return f"build-file:{path}"
