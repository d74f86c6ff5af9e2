"""deps.dev (Open Source Insights) as a license source.

``GET {depsdev}/systems/{system}/packages/{name}/versions/{version}`` answers ``licenses``, a
list of SPDX expressions (``non-standard`` when deps.dev could not read one). Several entries
are licenses found together in the same package version (e.g. two license files), so they are
combined with ``AND`` and the reason says so. Unpinned packages are not looked up here.
"""

from __future__ import annotations

from urllib.parse import quote

from audit.http import Endpoints, HttpClient
from audit.licenses.freetext import normalize_expression
from audit.model import Component, LicenseInfo

SOURCE = "deps.dev"
SYSTEMS: dict[str, str] = {
    "pypi": "pypi",
    "npm": "npm",
    "golang": "go",
    "cargo": "cargo",
    "maven": "maven",
    "nuget": "nuget",
}


def package_name(component: Component) -> str:
    """The package name as deps.dev spells it (Maven: ``group:artifact``)."""
    if component.ecosystem == "maven" and component.purl and ":" not in component.name:
        from packageurl import PackageURL

        try:
            purl = PackageURL.from_string(component.purl)
        except ValueError:
            return component.name
        if purl.namespace:
            return f"{purl.namespace}:{purl.name}"
    return component.name


def lookup(component: Component, client: HttpClient, endpoints: Endpoints) -> LicenseInfo | None:
    """The licenses deps.dev lists for a pinned package; ``None`` when it does not apply."""
    system = SYSTEMS.get(component.ecosystem or "")
    if not system or not component.version or not component.name:
        return None
    name = package_name(component)
    url = (
        f"{endpoints.depsdev}/systems/{system}/packages/{quote(name, safe='')}"
        f"/versions/{quote(component.version, safe='')}"
    )
    fetched = client.get_json(url)
    shown = f"{name} {component.version}"
    if not fetched.ok:
        if fetched.status == 404:
            return LicenseInfo(
                None, SOURCE, url=url, reason=f"deps.dev: {shown} not found (HTTP 404)"
            )
        return LicenseInfo(
            None, SOURCE, url=url, confidence=0.0, reason=f"deps.dev: {fetched.error}"
        )
    data = fetched.data if isinstance(fetched.data, dict) else {}
    page = f"https://deps.dev/{system}/{quote(name, safe='')}/{quote(component.version, safe='')}"
    listed = data.get("licenses")
    if not isinstance(fetched.data, dict) or (listed is not None and not isinstance(listed, list)):
        client.forget(url)
        return LicenseInfo(
            None, SOURCE, url=page, reason="deps.dev: answer is not of the documented shape"
        )
    licenses = [x.strip() for x in listed or () if isinstance(x, str) and x.strip()]
    if not licenses:
        return LicenseInfo(None, SOURCE, url=page, reason=f"deps.dev: no license for {shown}")
    raw = "; ".join(licenses)
    parsed = [normalize_expression(x) for x in licenses]
    if any(p is None for p in parsed):
        bad = next(x for x, p in zip(licenses, parsed, strict=True) if p is None)
        return LicenseInfo(
            None, SOURCE, raw=raw, url=page, reason=f"deps.dev: {bad!r} is not an SPDX expression"
        )
    unique = list(dict.fromkeys(str(p) for p in parsed))
    if len(unique) == 1:
        return LicenseInfo(unique[0], SOURCE, raw=raw, url=page, reason="deps.dev: licenses")
    combined = normalize_expression(" AND ".join(f"({p})" for p in unique))
    return LicenseInfo(
        combined,
        SOURCE,
        raw=raw,
        url=page,
        reason="deps.dev: several licenses found in the package, combined with AND",
    )


__all__ = ["SOURCE", "SYSTEMS", "lookup", "package_name"]
