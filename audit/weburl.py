"""URLs that end up as link targets in reports: only http(s), never able to break out.

A URL in a report comes from outside: the scanned repository's git remote, a policy file's
``source``, a registry's answer. In Markdown a ``)`` ends the link target and whatever
follows is Markdown again (a second link, an image that calls home); in HTML autoescaping
keeps quotes in place but not the scheme (``javascript:``). :func:`link_target` is the one
gate every format's links go through.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
SAFE_CHARS = "/:?#@!$&*+,;=%~-._"
"""Characters left as they are in a link target; every other one is percent-encoded
(``( ) < > [ ] ' " ` \\ |`` and spaces among them)."""


def link_target(url: str | None) -> str | None:
    """``url`` as a link target that cannot end early in Markdown or HTML, or None when it
    is not an ``http(s)://`` URL with a plain host name (no user info), or holds spaces or
    control characters: such a URL is shown as text, never linked."""
    if not url:
        return None
    url = url.strip()
    if _SPACE_OR_CONTROL.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("https", "http") or not _HOST.fullmatch(parts.netloc):
        return None
    return quote(url, safe=SAFE_CHARS)


__all__ = ["SAFE_CHARS", "link_target"]
