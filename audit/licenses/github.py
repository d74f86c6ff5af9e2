"""GitHub's license API as a license source for actions, GitHub downloads and submodules.

``GET {github}/repos/{owner}/{repo}/license?ref={ref}`` answers the license file GitHub
detected (with licensee) at that ref and its ``license.spdx_id``; ``NOASSERTION`` means a
license file GitHub could not identify, which stays unknown. The token, when set, is added by
:class:`audit.http.HttpClient` for the GitHub API host only.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from audit.http import Endpoints, HttpClient
from audit.licenses.freetext import normalize_expression
from audit.model import Component, ComponentKind, LicenseInfo

SOURCE = "github"
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_GITHUB_URL = re.compile(
    r"^(?:https?://|git://|ssh://git@|git@)github\.com[/:]([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)"
    r"(?:\.git)?/?$"
)


def repository(component: Component) -> tuple[str, str] | None:
    """``(owner, repo)`` on github.com for actions, GitHub downloads and submodules."""
    if component.kind not in (
        ComponentKind.ACTION,
        ComponentKind.DOWNLOAD,
        ComponentKind.SUBMODULE,
    ):
        return None
    candidates: list[tuple[str, str]] = []
    prop = component.prop("repository")
    if prop and prop.count("/") == 1:
        owner, repo = prop.split("/")
        candidates.append((owner, repo))
    url = component.prop("url")
    if url:
        m = _GITHUB_URL.match(url.strip())
        if m:
            candidates.append((m[1], m[2]))
    if component.purl and component.purl.startswith("pkg:github/"):
        from packageurl import PackageURL

        try:
            purl = PackageURL.from_string(component.purl)
        except ValueError:
            purl = None
        if purl and purl.namespace and purl.name:
            candidates.append((purl.namespace, purl.name))
    for owner, repo in candidates:
        if _NAME.match(owner) and _NAME.match(repo) and repo not in (".", ".."):
            return owner, repo
    return None


def lookup(component: Component, client: HttpClient, endpoints: Endpoints) -> LicenseInfo | None:
    """The license GitHub detects in the component's repository; ``None`` if not on GitHub."""
    found = repository(component)
    if found is None:
        return None
    owner, repo = found
    ref = component.version
    url = f"{endpoints.github}/repos/{owner}/{repo}/license"
    if ref:
        url += f"?ref={quote(ref, safe='')}"
    fetched = client.get_json(url)
    where = f"{owner}/{repo}" + (f"@{ref}" if ref else "")
    if not fetched.ok:
        if fetched.status == 404:
            return LicenseInfo(
                None,
                SOURCE,
                url=f"https://github.com/{owner}/{repo}",
                reason=f"github: no license file detected in {where}, or not public (HTTP 404)",
            )
        return LicenseInfo(None, SOURCE, url=url, confidence=0.0, reason=f"github: {fetched.error}")
    if not isinstance(fetched.data, dict):
        client.forget(url)
    data = fetched.data if isinstance(fetched.data, dict) else {}
    page = data.get("html_url") if isinstance(data.get("html_url"), str) else ""
    page = page or f"https://github.com/{owner}/{repo}"
    license_obj = data.get("license")
    spdx_id = license_obj.get("spdx_id") if isinstance(license_obj, dict) else None
    if not isinstance(spdx_id, str) or not spdx_id.strip():
        return LicenseInfo(None, SOURCE, url=page, reason=f"github: no license in {where}")
    spdx_id = spdx_id.strip()
    path = data.get("path") if isinstance(data.get("path"), str) else "license file"
    if spdx_id == "NOASSERTION":
        return LicenseInfo(
            None,
            SOURCE,
            raw=spdx_id,
            url=page,
            reason=f"github: {path} in {where} is not a license GitHub identifies (NOASSERTION)",
        )
    expression = normalize_expression(spdx_id)
    if expression is None:
        return LicenseInfo(
            None, SOURCE, raw=spdx_id, url=page, reason=f"github: {spdx_id!r} is not SPDX"
        )
    return LicenseInfo(
        expression, SOURCE, raw=spdx_id, url=page, reason=f"github: {path} in {where}"
    )


__all__ = ["SOURCE", "lookup", "repository"]
