"""ClearlyDefined as a license source.

``GET {clearlydefined}/definitions/{type}/{provider}/{namespace|-}/{name}/{revision}``;
the license is ``licensed.declared`` (an SPDX expression; ``NOASSERTION``/``OTHER`` mean
unknown). ClearlyDefined answers 200 with an empty definition for coordinates it never
harvested, which reads as "no declared license". Unpinned packages are not looked up.
"""

from __future__ import annotations

from urllib.parse import quote

from audit.http import Endpoints, HttpClient
from audit.licenses.freetext import normalize_expression
from audit.model import Component, LicenseInfo

SOURCE = "clearlydefined"
# ecosystem -> (type, provider)
COORDINATES: dict[str, tuple[str, str]] = {
    "pypi": ("pypi", "pypi"),
    "npm": ("npm", "npmjs"),
    "golang": ("go", "golang"),
    "cargo": ("crate", "cratesio"),
    "maven": ("maven", "mavencentral"),
    "gem": ("gem", "rubygems"),
    "nuget": ("nuget", "nuget"),
}


def coordinates(component: Component) -> str | None:
    """``type/provider/namespace/name/revision`` of a pinned package, or ``None``."""
    found = COORDINATES.get(component.ecosystem or "")
    if not found or not component.version or not component.name:
        return None
    ctype, provider = found
    namespace, name = "-", component.name
    if component.ecosystem == "npm" and name.startswith("@") and "/" in name:
        namespace, name = name.split("/", 1)
    elif component.ecosystem == "golang" and "/" in name:
        namespace, name = name.rsplit("/", 1)
    elif component.ecosystem == "maven" and ":" in name:
        namespace, name = name.split(":", 1)
    parts = (ctype, provider, namespace, name, component.version)
    return "/".join(quote(p, safe="") for p in parts)


def lookup(component: Component, client: HttpClient, endpoints: Endpoints) -> LicenseInfo | None:
    """The declared license ClearlyDefined holds for a pinned package; ``None`` if n/a."""
    coords = coordinates(component)
    if coords is None:
        return None
    url = f"{endpoints.clearlydefined}/definitions/{coords}"
    page = f"https://clearlydefined.io/definitions/{coords}"
    fetched = client.get_json(url)
    if not fetched.ok:
        if fetched.status == 404:
            return LicenseInfo(
                None, SOURCE, url=url, reason=f"clearlydefined: {coords} not found (HTTP 404)"
            )
        return LicenseInfo(
            None, SOURCE, url=url, confidence=0.0, reason=f"clearlydefined: {fetched.error}"
        )
    if not isinstance(fetched.data, dict):
        client.forget(url)
    data = fetched.data if isinstance(fetched.data, dict) else {}
    licensed = data.get("licensed")
    declared = licensed.get("declared") if isinstance(licensed, dict) else None
    if not isinstance(declared, str) or not declared.strip():
        return LicenseInfo(None, SOURCE, url=page, reason="clearlydefined: no declared license")
    declared = declared.strip()
    expression = normalize_expression(declared)
    if expression is None:
        return LicenseInfo(
            None,
            SOURCE,
            raw=declared,
            url=page,
            reason=f"clearlydefined: declared {declared!r} is not a usable SPDX expression",
        )
    return LicenseInfo(
        expression, SOURCE, raw=declared, url=page, reason="clearlydefined: declared license"
    )


__all__ = ["COORDINATES", "SOURCE", "coordinates", "lookup"]
