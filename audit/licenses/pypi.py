"""PyPI's JSON API as a license source.

``GET {pypi}/{name}/{version}/json`` (``{pypi}/{name}/json`` when unpinned: the latest
release's metadata, said so in the reason). The metadata is read in this order:

1. ``license_expression`` (PEP 639 ``License-Expression``): already SPDX;
2. ``license`` (free text, mapped by :mod:`audit.licenses.freetext`); a full license text
   pasted there is handed to ``identify_text`` when given, else it stays unknown;
3. ``License ::`` trove classifiers. Several license classifiers usually mean alternatives
   (the author could not say ``OR``) or confusion, never a conjunction: unless they all map
   to the same expression the result is unknown with a reason asking for review.

A failed lookup (network, 5xx, bad JSON) is ``LicenseInfo(expression=None,
confidence=0.0)``: confidence 0 marks "no answer", as opposed to an answer without a license.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from audit.http import Endpoints, HttpClient
from audit.licenses.freetext import classifier_to_spdx, normalize_expression, to_spdx
from audit.model import Component, LicenseInfo

SOURCE = "pypi"
IdentifyText = Callable[[str], "str | None"]
_TEXT_MIN_CHARS = 300
_TEXT_MIN_LINES = 4
_EMPTY = frozenset({"", "unknown", "none", "n/a"})


def lookup(
    component: Component,
    client: HttpClient,
    endpoints: Endpoints,
    *,
    identify_text: IdentifyText | None = None,
) -> LicenseInfo | None:
    """The license PyPI states for a ``pypi`` package; ``None`` for other ecosystems."""
    if component.ecosystem != "pypi" or not component.name:
        return None
    name = quote(component.name, safe="")
    version = component.version
    url = (
        f"{endpoints.pypi}/{name}/{quote(version, safe='')}/json"
        if version
        else f"{endpoints.pypi}/{name}/json"
    )
    fetched = client.get_json(url)
    shown = f"{component.name} {version}" if version else component.name
    if not fetched.ok:
        if fetched.status == 404:
            return LicenseInfo(None, SOURCE, url=url, reason=f"pypi: {shown} not found (HTTP 404)")
        return LicenseInfo(None, SOURCE, url=url, confidence=0.0, reason=f"pypi: {fetched.error}")
    data = fetched.data
    info = data.get("info") if isinstance(data, dict) else None
    if not isinstance(info, dict):
        client.forget(url)
        return LicenseInfo(None, SOURCE, url=url, reason="pypi: answer has no 'info' object")
    page = info.get("release_url") or info.get("package_url") or url
    expression, raw, reason = license_from_metadata(info, identify_text=identify_text)
    if not version:
        reason = f"{reason} (unpinned: metadata of the latest release)"
    return LicenseInfo(expression, SOURCE, raw=raw, url=str(page), reason=f"pypi: {reason}")


def license_from_metadata(
    info: Mapping[str, Any], *, identify_text: IdentifyText | None = None
) -> tuple[str | None, str, str]:
    """``(expression, raw, reason)`` from a PyPI ``info`` object (see the module doc)."""
    notes: list[str] = []
    declared = _text(info.get("license_expression"))
    if declared:
        expression = normalize_expression(declared)
        if expression:
            return expression, declared, "License-Expression"
        notes.append(f"License-Expression {declared!r} is not valid SPDX")

    free = _text(info.get("license"))
    classifiers = [
        c.strip()
        for c in info.get("classifiers") or ()
        if isinstance(c, str) and c.strip().startswith("License ::")
    ]
    by_classifier, classifier_reason = _from_classifiers(classifiers)

    if free and free.casefold() not in _EMPTY:
        if _looks_like_text(free):
            identified = identify_text(free) if identify_text else None
            found = normalize_expression(identified) if identified else None
            if found:
                return found, _first_line(free), "license field holds the text of " + found
            notes.append("license field holds a license text that was not identified")
        else:
            mapped = to_spdx(free)
            if mapped.expression:
                reason = f"license {free!r}"
                if by_classifier and by_classifier != mapped.expression:
                    reason += f" (classifiers say {by_classifier}: review)"
                return mapped.expression, free, reason
            notes.append(f"license {free!r}: {mapped.reason}")

    if by_classifier:
        raw = classifiers[0] if len(classifiers) == 1 else "; ".join(classifiers)
        return by_classifier, raw, "; ".join([*notes, f"classifier {raw!r}"])
    if classifier_reason:
        notes.append(classifier_reason)
    if not notes:
        notes.append("no license in the metadata")
    raw = free if free and not _looks_like_text(free) else "; ".join(classifiers)
    return None, raw, "; ".join(notes)


def _from_classifiers(classifiers: list[str]) -> tuple[str | None, str]:
    """One expression when the license classifiers agree, else ``None`` and why."""
    specific = [c for c in classifiers if c.strip() != "License :: OSI Approved"] or classifiers
    if not specific:
        return None, ""
    mapped = [(c, classifier_to_spdx(c)) for c in specific]
    unknown = [(c, m) for c, m in mapped if m.expression is None]
    if unknown:
        c, m = unknown[0]
        return None, f"classifier {c!r}: {m.reason}"
    found = {m.expression for _, m in mapped}
    if len(found) == 1:
        return found.pop(), ""
    listed = ", ".join(sorted(str(e) for e in found))
    return None, (
        f"several license classifiers ({listed}): alternatives or ambiguity, review the "
        "package's license files"
    )


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _looks_like_text(value: str) -> bool:
    return len(value) >= _TEXT_MIN_CHARS or value.count("\n") >= _TEXT_MIN_LINES


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""


def identify_with_bundled_texts(text: str) -> str | None:
    """An ``identify_text`` built on :func:`audit.licenses.texts.identify`: one license or none."""
    from audit.licenses import texts

    ids = sorted({m.license_id for m in texts.identify(text)})
    return ids[0] if len(ids) == 1 else None


__all__ = ["SOURCE", "identify_with_bundled_texts", "license_from_metadata", "lookup"]
