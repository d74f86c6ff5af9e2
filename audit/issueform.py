"""GitHub issue forms: the schema an exception request is written against.

A request body is only useful if the foundation's people and workflows can read it the way
GitHub would have produced it from the form itself. So the form is data: this module reads a
GitHub issue form (``.github/ISSUE_TEMPLATE/*.yaml``: ``name``, ``title``, ``labels``, and a
``body`` of ``markdown``, ``input``, ``textarea``, ``dropdown`` and ``checkboxes`` elements)
into frozen values, and keeps the revisions of the CNCF form depaudit ships
(``data/cncf-request-form/<date>.yaml``), so that a body can be written against the form in
force on a date.

A shipped snapshot carries a ``depaudit:`` mapping (``revision``, ``repository``,
``template``, ``source``); a form read from elsewhere does without (its repository and
template name are taken from a GitHub URL when there is one).
"""

from __future__ import annotations

import datetime
import enum
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from audit.errors import InputError
from audit.resources import data_dir
from audit.yamlsafe import load, to_plain

FORMS_DIR = "cncf-request-form"
"""Where the shipped revisions live, inside ``data/``: one ``YYYY-MM-DD.yaml`` per revision."""
DEFAULT_REPOSITORY = "cncf/foundation"
MAX_FORM_BYTES = 1024 * 1024
"""A form larger than this is refused (real ones are under 10 KB)."""
AS_OF = "as-of"
"""``--form as-of``: the shipped revision in force on the ``--as-of`` date."""


class FieldType(str, enum.Enum):
    """The element types of a GitHub issue form's ``body``."""

    MARKDOWN = "markdown"
    INPUT = "input"
    TEXTAREA = "textarea"
    DROPDOWN = "dropdown"
    CHECKBOXES = "checkboxes"


@dataclass(frozen=True)
class FormField:
    """One element of the form's body."""

    type: FieldType
    id: str
    """The element's ``id`` (the query parameter that prefills it); ``''`` for markdown."""
    label: str
    """As written in the form: GitHub repeats it as the ``### `` heading of the body."""
    options: tuple[str, ...] = ()
    """Dropdown options, or checkbox labels, in the form's order."""
    value: str = ""
    """The pre-filled value of an input or textarea (the component table's header)."""
    required: bool = False

    @property
    def answered(self) -> bool:
        """True for the elements a submitted issue shows (every type but markdown)."""
        return self.type != FieldType.MARKDOWN


@dataclass(frozen=True)
class IssueForm:
    """One revision of an issue form."""

    name: str
    title: str
    """The issue title pattern, e.g. ``[License Exception Request] [Project] [License]``."""
    labels: tuple[str, ...]
    fields: tuple[FormField, ...]
    source: str
    """The file or URL it was read from."""
    revision: str = ""
    """``YYYY-MM-DD`` the revision came into force (shipped snapshots); ``''`` unknown."""
    repository: str = DEFAULT_REPOSITORY
    """``owner/name`` of the repository whose issues the form creates."""
    template: str = ""
    """The form's file name under ``.github/ISSUE_TEMPLATE/`` (the ``template=`` parameter)."""

    @property
    def questions(self) -> tuple[FormField, ...]:
        """The fields a submitted issue shows, in order."""
        return tuple(f for f in self.fields if f.answered)

    def field(self, field_id: str) -> FormField | None:
        for f in self.fields:
            if f.id == field_id:
                return f
        return None

    @property
    def table_header(self) -> tuple[str, ...]:
        """The column names of the component table (the first line of a textarea's value
        that is a Markdown table row); ``()`` when the form has none."""
        for f in self.questions:
            first = f.value.split("\n", 1)[0].strip()
            if f.type == FieldType.TEXTAREA and first.startswith("|") and first.endswith("|"):
                return tuple(c.strip() for c in first.strip("|").split("|"))
        return ()


# Reading ------------------------------------------------------------------------------------


def parse_form(text: str, source: str) -> IssueForm:
    """The form in ``text`` (YAML); an :class:`InputError` naming ``source`` when it is not a
    GitHub issue form."""
    node, problems = load(text, source)
    errors = [p for p in problems if p.kind == "parse-error"]
    if errors:
        raise InputError(
            f"not valid YAML (line {errors[0].line}): {errors[0].message}", path=source
        )
    data = to_plain(node)
    if not isinstance(data, dict) or not isinstance(data.get("body"), list):
        raise InputError("expected a GitHub issue form: a mapping with a 'body' list", path=source)
    fields = tuple(_field(item, i, source) for i, item in enumerate(data["body"], 1))
    meta = _mapping(data.get("depaudit"))
    repository, template = _from_url(source)
    labels = data.get("labels") or ()
    if isinstance(labels, str):
        labels = [x.strip() for x in labels.split(",") if x.strip()]
    return IssueForm(
        name=_str(data.get("name")),
        title=_str(data.get("title")),
        labels=tuple(_str(x) for x in labels),
        fields=fields,
        source=source,
        revision=_str(meta.get("revision")),
        repository=_str(meta.get("repository")) or repository,
        template=_str(meta.get("template")) or template,
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _field(item: Any, index: int, source: str) -> FormField:
    if not isinstance(item, dict):
        raise InputError("expected a mapping", path=source, key=f"body[{index}]")
    try:
        kind = FieldType(_str(item.get("type")))
    except ValueError:
        raise InputError(
            f"unknown element type {item.get('type')!r} (expected one of "
            + ", ".join(t.value for t in FieldType)
            + ")",
            path=source,
            key=f"body[{index}]",
        ) from None
    attrs = _mapping(item.get("attributes"))
    validations = _mapping(item.get("validations"))
    field_id = _str(item.get("id"))
    if kind != FieldType.MARKDOWN and not _str(attrs.get("label")):
        raise InputError("a form field needs a label", path=source, key=f"body[{index}]")
    options: list[str] = []
    for option in attrs.get("options") or ():
        options.append(_str(option.get("label")) if isinstance(option, dict) else _str(option))
    return FormField(
        type=kind,
        id=field_id,
        label=_str(attrs.get("label")) if kind != FieldType.MARKDOWN else "",
        options=tuple(options),
        value=_str(attrs.get("value")) if kind != FieldType.MARKDOWN else "",
        required=validations.get("required") is True,
    )


_GITHUB_FILE = re.compile(
    r"^/(?P<repo>[^/]+/[^/]+)/(?:blob/|raw/)?[^/]+/\.github/ISSUE_TEMPLATE/(?P<name>[^/]+)$"
)


def _from_url(source: str) -> tuple[str, str]:
    """(``owner/name``, template file name) of a GitHub or raw.githubusercontent URL; the
    CNCF repository and the file's own name otherwise."""
    parts = urlsplit(source)
    if parts.scheme in ("http", "https") and parts.hostname in (
        "github.com",
        "raw.githubusercontent.com",
    ):
        m = _GITHUB_FILE.match(parts.path)
        if m:
            return m.group("repo"), m.group("name")
    return DEFAULT_REPOSITORY, posixpath.basename(parts.path or source)


def shipped_revisions() -> tuple[str, ...]:
    """The revision dates depaudit ships, oldest first."""
    return tuple(sorted(p.stem for p in (data_dir() / FORMS_DIR).glob("*.yaml")))


@lru_cache(maxsize=8)
def shipped_form(revision: str) -> IssueForm:
    """One shipped revision (``YYYY-MM-DD``)."""
    if revision not in shipped_revisions():
        raise InputError(
            f"no shipped form revision {revision!r} (shipped: "
            + ", ".join(shipped_revisions())
            + ")",
            key="--form",
        )
    path = data_dir() / FORMS_DIR / f"{revision}.yaml"
    return parse_form(path.read_text(encoding="utf-8"), f"data/{FORMS_DIR}/{path.name}")


def form_in_force(on: datetime.date | None) -> IssueForm:
    """The shipped revision in force on ``on`` (the newest when ``None``); before the first
    revision, the first one."""
    revisions = shipped_revisions()
    if on is None:
        return shipped_form(revisions[-1])
    chosen = revisions[0]
    for revision in revisions:
        if datetime.date.fromisoformat(revision) <= on:
            chosen = revision
    return shipped_form(chosen)


def load_form(
    spec: str | None,
    *,
    as_of: datetime.date | None,
    fetch_text: Callable[[str], str] | None = None,
) -> IssueForm:
    """The form a request is written against.

    ``spec`` is ``None`` (the newest shipped revision: requests are filed today),
    ``"as-of"`` (the shipped revision in force on ``as_of``), a shipped revision date, a
    file, or an ``http(s)`` URL read through ``fetch_text`` (``None`` when the network is
    not allowed: then a URL is an :class:`InputError`).
    """
    if spec is None:
        return form_in_force(None)
    if spec == AS_OF:
        return form_in_force(as_of)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", spec):
        return shipped_form(spec)
    if urlsplit(spec).scheme in ("http", "https"):
        if fetch_text is None:
            raise InputError("a form URL needs the network (drop --offline)", key="--form")
        return parse_form(fetch_text(spec), spec)
    path = Path(spec)
    try:
        size = path.stat().st_size
        if size > MAX_FORM_BYTES:
            raise InputError(f"larger than {MAX_FORM_BYTES} bytes", path=spec)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the form: {exc}", path=spec) from None
    return parse_form(text, spec)


__all__ = [
    "AS_OF",
    "FieldType",
    "FormField",
    "IssueForm",
    "form_in_force",
    "load_form",
    "parse_form",
    "shipped_form",
    "shipped_revisions",
]
