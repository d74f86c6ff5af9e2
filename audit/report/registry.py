"""The report formats by name: ``--format NAME`` -> a function ``render(report) -> str``.

Adding a format is one module with a ``render(report: Report) -> str`` function and one
line in :data:`FORMATS`. Modules are imported when first used, so that the SBOM libraries
load only for the SBOM formats. A format that takes more than the report names the
keyword arguments of its ``render`` in :attr:`Format.options` (``color`` for text,
``history`` for html); :func:`render` passes each format only those.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audit.model import Report

Renderer = Callable[["Report"], str]


@dataclass(frozen=True)
class Format:
    """One report format: its name, the module that renders it, and how it is written."""

    name: str
    module: str
    """Module under ``audit.report`` that defines ``render(report) -> str``."""
    media_type: str
    extension: str
    description: str
    options: tuple[str, ...] = ()
    """Keyword arguments its ``render`` takes besides the report."""
    function: str = "render"
    """The module's function that renders (a module may hold several formats)."""


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "text",
            "text",
            "text/plain",
            "txt",
            "summary, decisions, a component table and the notes",
            options=("color", "width", "quiet"),
        ),
        Format("json", "json_report", "application/json", "json", "depaudit/report/1"),
        Format("markdown", "markdown", "text/markdown", "md", "for a pull-request comment"),
        Format("sarif", "sarif", "application/sarif+json", "sarif", "SARIF 2.1.0"),
        Format(
            "cyclonedx", "cyclonedx", "application/vnd.cyclonedx+json", "cdx.json", "CycloneDX 1.6"
        ),
        Format("spdx", "spdx", "application/spdx+json", "spdx.json", "SPDX 2.3"),
        Format(
            "html", "html", "text/html", "html", "one self-contained page", options=("history",)
        ),
    )
}


ORG_FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("markdown", "org", "text/markdown", "md", "the cross-project report",
               options=("form",), function="render_markdown"),
        Format("html", "org", "text/html", "html", "the cross-project report, one page",
               options=("form",), function="render_html"),
        Format("json", "org", "application/json", "json", "depaudit/org-report/1",
               options=("form",), function="render_json"),
    )
}  # fmt: skip
"""The formats of ``depaudit org report`` (an :class:`audit.org.crossreport.OrgReport`)."""


def render_org(name: str, report: Any, **options: Any) -> str:
    """Render a cross-project report in format ``name`` (:data:`ORG_FORMATS`)."""
    fmt = ORG_FORMATS[name]
    module = importlib.import_module(f"audit.report.{fmt.module}")
    taken = {k: v for k, v in options.items() if k in fmt.options}
    text: str = getattr(module, fmt.function)(report, **taken)
    return text


DIFF_FORMATS = ("text", "json", "markdown")
"""Formats of ``depaudit diff`` (:func:`audit.report.diff.render`)."""
HISTORY_FORMATS = ("text", "json")
"""Formats of ``depaudit history`` (:func:`audit.report.diff.render_history`)."""


def names() -> tuple[str, ...]:
    """Format names, in the order of :data:`FORMATS`."""
    return tuple(FORMATS)


def renderer(name: str) -> Renderer:
    """The render function of format ``name``; ``KeyError`` for an unknown name."""
    fmt = FORMATS[name]
    module = importlib.import_module(f"audit.report.{fmt.module}")
    render: Renderer = module.render
    return render


def render(name: str, report: Report, **options: Any) -> str:
    """Render ``report`` in format ``name``, passing it those of ``options`` it takes
    (``color=`` reaches text only, ``history=`` html only)."""
    fmt = FORMATS[name]
    module = importlib.import_module(f"audit.report.{fmt.module}")
    taken = {k: v for k, v in options.items() if k in fmt.options}
    text: str = module.render(report, **taken)
    return text


def infer_format(path: str, allowed: tuple[str, ...]) -> str | None:
    """The format that ``path``'s extension names (``a.cdx.json`` -> cyclonedx), among ``allowed``.

    The longest matching extension wins, so ``.spdx.json`` is SPDX and ``.json`` is JSON; None
    when no format in ``allowed`` has the extension.
    """
    lower = path.lower()
    candidates = sorted(
        (f for f in FORMATS.values() if f.name in allowed),
        key=lambda f: -len(f.extension),
    )
    for f in candidates:
        if lower.endswith(f".{f.extension}"):
            return f.name
    return None
