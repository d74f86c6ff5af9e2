"""Container images as a license source.

In order:

1. the curated image table (:mod:`audit.licenses.images`): distributions and EULAs;
2. the ``org.opencontainers.image.licenses`` label of an image built from an in-repo
   Dockerfile, carried on the component as property
   ``label.org.opencontainers.image.licenses``;
3. only when asked (``registry_labels=True``, off by default): the same label read from the
   image's config in its registry, anonymously (OCI distribution API: manifest, then config
   blob; a ``401`` with a ``Bearer`` challenge gets an anonymous token first).
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from audit.components import ImageRef, parse_image_ref
from audit.http import Endpoints, Fetched, HttpClient
from audit.licenses.freetext import normalize_expression
from audit.licenses.images import image_license
from audit.model import Component, ComponentKind, Evidence, LicenseInfo

SOURCE = "oci-label"
LABEL = "org.opencontainers.image.licenses"
PROPERTY = f"label.{LABEL}"
MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


def lookup(
    component: Component,
    client: HttpClient | None,
    endpoints: Endpoints,
    *,
    registry_labels: bool = False,
) -> LicenseInfo | None:
    """The license of an image component; ``None`` for other kinds or when nothing says."""
    if component.kind != ComponentKind.IMAGE:
        return None
    curated = image_license(component)
    if curated:
        return curated
    label = component.prop(PROPERTY)
    if label is not None:
        return from_label(label, component)
    if registry_labels and client is not None:
        ref = parse_image_ref(component.id.removeprefix("image:"))
        if ref is not None:
            return registry_label(ref, client, endpoints)
    return None


def from_label(label: str, component: Component | None = None) -> LicenseInfo:
    """A ``LicenseInfo`` from a label value (SPDX expected)."""
    evidence: tuple[Evidence, ...] = ()
    if component is not None:
        evidence = tuple(e for e in component.evidence if LABEL in e.text)
    expression = normalize_expression(label)
    if expression is None:
        return LicenseInfo(
            None,
            SOURCE,
            evidence=evidence,
            raw=label,
            reason=f"{LABEL} label {label!r} is not an SPDX expression",
        )
    return LicenseInfo(expression, SOURCE, evidence=evidence, raw=label, reason=f"{LABEL} label")


def registry_label(ref: ImageRef, client: HttpClient, endpoints: Endpoints) -> LicenseInfo:
    """Read the license label from the image's config in its registry (anonymous access)."""
    base = endpoints.registry(ref.registry)
    repo = ref.repository
    if not ref.registry and "/" not in repo:
        repo = f"library/{repo}"
    reference = ref.digest or ref.tag or "latest"
    manifest_url = f"{base}/v2/{repo}/manifests/{quote(reference, safe=':')}"
    session = _Registry(client, {"Accept": MANIFEST_TYPES})
    fetched = session.get(manifest_url)
    if fetched.ok and isinstance(fetched.data, dict) and "manifests" in fetched.data:
        digest = _platform_digest(fetched.data)
        if digest is None:
            return LicenseInfo(
                None, SOURCE, url=manifest_url, reason="registry: no linux/amd64 image"
            )
        manifest_url = f"{base}/v2/{repo}/manifests/{digest}"
        fetched = session.get(manifest_url)
    if not fetched.ok:
        return _failed(fetched)
    config = fetched.data.get("config") if isinstance(fetched.data, dict) else None
    digest = config.get("digest") if isinstance(config, dict) else None
    if not isinstance(digest, str) or not digest.startswith("sha256:"):
        return LicenseInfo(
            None, SOURCE, url=manifest_url, reason="registry: manifest has no config"
        )
    blob_url = f"{base}/v2/{repo}/blobs/{digest}"
    blob = session.get(blob_url)
    if not blob.ok:
        return _failed(blob)
    data = blob.data if isinstance(blob.data, dict) else {}
    inner = v if isinstance(v := data.get("config"), dict) else {}
    labels = v if isinstance(v := inner.get("Labels"), dict) else {}
    label = labels.get(LABEL)
    if not isinstance(label, str) or not label.strip():
        return LicenseInfo(
            None, SOURCE, url=blob_url, reason=f"registry: image has no {LABEL} label"
        )
    info = from_label(label.strip())
    return LicenseInfo(
        info.expression, SOURCE, raw=info.raw, url=blob_url, reason=f"registry: {info.reason}"
    )


def _failed(fetched: Fetched) -> LicenseInfo:
    if fetched.status in (401, 403, 404):
        return LicenseInfo(None, SOURCE, url=fetched.url, reason=f"registry: HTTP {fetched.status}")
    return LicenseInfo(
        None, SOURCE, url=fetched.url, confidence=0.0, reason=f"registry: {fetched.error}"
    )


def _platform_digest(index: dict[str, object]) -> str | None:
    manifests = index.get("manifests")
    if not isinstance(manifests, list):
        return None
    for m in manifests:
        if not isinstance(m, dict):
            continue
        platform = v if isinstance(v := m.get("platform"), dict) else {}
        if platform.get("os") == "linux" and platform.get("architecture") == "amd64":
            digest = m.get("digest")
            return digest if isinstance(digest, str) else None
    return None


class _Registry:
    """GETs against one registry, fetching an anonymous bearer token on a 401 challenge."""

    def __init__(self, client: HttpClient, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = dict(headers)

    def get(self, url: str) -> Fetched:
        fetched = self.client.get_json(url, headers=self.headers)
        if fetched.status != 401 or "Authorization" in self.headers:
            return fetched
        token = self._token(fetched.header("www-authenticate") or "")
        if not token:
            return fetched
        self.headers["Authorization"] = f"Bearer {token}"
        return self.client.get_json(url, headers=self.headers)

    def _token(self, challenge: str) -> str | None:
        scheme, _, params = challenge.partition(" ")
        if scheme.lower() != "bearer":
            return None
        values = dict(_CHALLENGE_PARAM.findall(params))
        realm = values.pop("realm", "")
        if not realm.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            return None
        query = urlencode(sorted((k, v) for k, v in values.items() if k in ("service", "scope")))
        fetched = self.client.get_json(f"{realm}?{query}" if query else realm, cache=False)
        if not fetched.ok or not isinstance(fetched.data, dict):
            return None
        token = fetched.data.get("token") or fetched.data.get("access_token")
        return token if isinstance(token, str) and token else None


__all__ = ["LABEL", "PROPERTY", "SOURCE", "from_label", "lookup", "registry_label"]
