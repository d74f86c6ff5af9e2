"""GitLab CI configurations: jobs, their images and services, includes, scripts.

Reads ``.gitlab-ci.yml``, ``*.gitlab-ci.yml`` and files under ``.gitlab/ci/`` (the usual
home of local includes; each is scanned on its own, the including file only records an
``includes`` edge). ``extends:`` and ``!reference`` are resolved within the file; hidden
jobs (``.name``) are templates, not jobs. Remote, project, template and component includes
are not followed: they are reported as ``unresolved`` (a remote URL is also a download
component). Variables defined in the file are substituted into image names; anything
still holding ``$`` is reported as unresolved, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audit.components import (
    download_component,
    image_component,
    job_id,
    manifest_id,
    parse_image_ref,
)
from audit.model import Node, Relation, ScanResult
from audit.scanners.base import SourceFile
from audit.scanners.collect import Collector
from audit.yamlsafe import Marked, MarkedMap, load_all, scalar_text

NAME = "gitlab"
_SYSTEM = "gitlab"
_RESERVED = frozenset(
    {
        "default",
        "include",
        "stages",
        "types",
        "variables",
        "workflow",
        "image",
        "services",
        "before_script",
        "after_script",
        "cache",
        "spec",
    }
)
_DEFAULT_KEYS = ("image", "services", "before_script", "after_script")
_SCRIPT_KEYS = ("before_script", "script", "after_script")
_MAX_EXTENDS = 11
_MAX_NESTING = 10
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


@dataclass(frozen=True)
class GitLabScanner:
    """GitLab CI configurations (``*.gitlab-ci.yml``, and YAML files under ``.gitlab/ci/``)."""

    name: str = NAME

    def matches(self, path: str) -> bool:
        base = path.rsplit("/", 1)[-1]
        if base.endswith(".gitlab-ci.yml") or base.endswith(".gitlab-ci.yaml"):
            return True
        return ("/" + path).find("/.gitlab/ci/") >= 0 and base.endswith((".yml", ".yaml"))

    def scan(self, source: SourceFile) -> ScanResult:
        return scan(source)


SCANNER = GitLabScanner()


# Result collection ----------------------------------------------------------------------


def _collector(source: SourceFile) -> Collector:
    return Collector(source, NAME)


# Scanning -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Globals:
    """What every job of a GitLab configuration inherits."""

    doc: MarkedMap
    defaults: dict[str, Marked]
    variables: dict[str, str]


def scan(source: SourceFile) -> ScanResult:
    """Scan one GitLab CI configuration file."""
    out = _collector(source)
    docs, problems = load_all(source.text, source.path, NAME)
    out.problems.extend(problems)
    doc = _config_document(docs, out)
    if doc is None:
        return out.result()
    if not isinstance(doc.value, MarkedMap):
        out.problem(doc.line, "parse-error", "a GitLab CI config must be a mapping")
        return out.result()
    _includes(manifest_id(source.path), doc.get("include"), out)
    glob = _Globals(doc.value, _defaults(doc.value, out), _variables(doc.get("variables"), out))
    for key, body in doc.value.items():
        name = scalar_text(key.value)
        if name in _RESERVED or name.startswith("."):
            continue
        _job(name, key, body, glob, out)
    return out.result()


def _config_document(docs: tuple[Marked, ...], out: Collector) -> Marked | None:
    """The configuration document (a CI/CD component puts a ``spec:`` header first)."""
    if not docs:
        return None
    first = docs[0]
    if len(docs) > 1 and isinstance(first.value, MarkedMap) and first.value.keys() == ("spec",):
        return docs[1]
    if len(docs) > 1:
        out.problem(docs[1].line, "skipped", "only the first YAML document is read")
    return first


def _defaults(doc: MarkedMap, out: Collector) -> dict[str, Marked]:
    found: dict[str, Marked] = {}
    for key in _DEFAULT_KEYS:  # the deprecated global keywords
        value = doc.get(key)
        if value is not None:
            found[key] = value
    default = doc.get("default")
    if default is not None and default.value is not None:
        if isinstance(default.value, MarkedMap):
            for key in _DEFAULT_KEYS:
                value = default.value.get(key)
                if value is not None:
                    found[key] = value
        else:
            out.problem(default.line, "parse-error", "'default' must be a mapping")
    return found


def _variables(variables: Marked | None, out: Collector) -> dict[str, str]:
    if variables is None or variables.value is None:
        return {}
    if not isinstance(variables.value, MarkedMap):
        out.problem(variables.line, "parse-error", "'variables' must be a mapping")
        return {}
    found: dict[str, str] = {}
    for key, value in variables.value.items():
        if isinstance(value.value, MarkedMap):
            value = value.value.get("value") or Marked(None, value.line)
        if key.is_scalar and value.is_scalar:
            found[scalar_text(key.value)] = scalar_text(value.value)
    return found


# Includes -------------------------------------------------------------------------------


def _includes(src: str, include: Marked | None, out: Collector) -> None:
    if include is None or include.value is None:
        return
    items = include.value if isinstance(include.value, tuple) else (include,)
    for item in items:
        if item.is_str:
            text = item.value.strip()
            if text.startswith(("https://", "http://")):
                _remote(src, text, item.line, out)
            else:
                _local(src, text, item.line, out)
            continue
        if not isinstance(item.value, MarkedMap):
            out.problem(item.line, "parse-error", "an 'include' entry must be a path or mapping")
            continue
        _include_entry(src, item, out)


def _include_entry(src: str, item: Marked, out: Collector) -> None:
    local = item.get("local")
    remote = item.get("remote")
    if local is not None and local.is_str:
        _local(src, local.value.strip(), local.line, out)
    elif remote is not None and remote.is_str:
        _remote(src, remote.value.strip(), remote.line, out)
    elif item.get("project") is not None:
        project = item.get("project")
        files = item.get("file")
        shown = ""
        if files is not None:
            values = files.value if isinstance(files.value, tuple) else (files,)
            shown = ", ".join(v.text() or "" for v in values)
        ref = _text(item, "ref") or "its default branch"
        out.problem(
            project.line if project else item.line,
            "unresolved",
            f"include from project {_text(item, 'project')} ({shown}) at {ref} not followed",
        )
    elif item.get("template") is not None:
        out.problem(
            item.line,
            "unresolved",
            f"include of GitLab template {_text(item, 'template')} not followed",
        )
    elif item.get("component") is not None:
        out.problem(
            item.line,
            "unresolved",
            f"include of CI/CD component {_text(item, 'component')} not followed",
        )
    else:
        out.problem(
            item.line,
            "parse-error",
            "an 'include' entry needs local, remote, project, template or component",
        )


def _manifest_node(src: str, out: Collector) -> None:
    if src.startswith("manifest:") and not any(n.id == src for n in out.nodes):
        path = src[len("manifest:") :]
        out.nodes.append(Node(src, "manifest", path, (out.source.evidence(1, NAME),)))


def _local(src: str, path: str, line: int, out: Collector) -> None:
    clean = path.lstrip("/")
    if not clean or "$" in clean:
        out.problem(line, "unresolved", f"local include {path!r} holds a variable; not followed")
        return
    if "*" in clean:
        out.problem(line, "unresolved", f"wildcard include {path!r} not expanded")
        return
    _manifest_node(src, out)
    out.edge(src, manifest_id(clean), Relation.INCLUDES, line)
    if not SCANNER.matches(clean):
        out.problem(
            line,
            "unresolved",
            f"included file {clean!r} is not scanned: its name is not a GitLab CI file name",
        )


def _remote(src: str, url: str, line: int, out: Collector) -> None:
    if "$" in url:
        out.problem(line, "unresolved", f"remote include {url!r} holds a variable; not followed")
        return
    try:
        comp = download_component(
            url, (out.source.evidence(line, NAME),), props={"role": "ci-include"}
        )
    except ValueError:  # a URL the purl library refuses
        out.problem(line, "parse-error", f"remote include {url!r} is not a URL")
        return
    out.component(comp)
    _manifest_node(src, out)
    out.edge(src, comp.id, Relation.INCLUDES, line)
    out.problem(line, "unresolved", f"remote include {url} not followed")


# Jobs -----------------------------------------------------------------------------------


def _job(name: str, key: Marked, body: Marked, glob: _Globals, out: Collector) -> None:
    if not isinstance(body.value, MarkedMap):
        out.problem(
            body.line if body.value is not None else key.line,
            "parse-error",
            f"job '{name}' must be a mapping",
        )
        return
    job = _extends(name, body, glob.doc, out, ())
    jid = job_id(_SYSTEM, name)
    props = {"stage": _text(job, "stage") or "test"}
    parents = _names(body.get("extends"))
    if parents:
        props["extends"] = ",".join(parents)
    tags = _names(job.get("tags"))
    if tags:
        props["tags"] = ",".join(tags)
    trigger = job.get("trigger")
    if trigger is not None:
        props["trigger"] = trigger.text() or _text(trigger, "project") or "child-pipeline"
    out.nodes.append(
        Node(
            jid,
            "ci-job",
            name,
            (out.source.evidence(key.line, NAME),),
            tuple(sorted(props.items())),
        )
    )
    inherited = _inherited(job.get("inherit"))
    settings = {k: v for k, v in glob.defaults.items() if inherited is None or k in inherited}
    for k in _DEFAULT_KEYS:
        if k in job.value:
            settings[k] = job.value.get(k) or Marked(None, job.line)
    variables = dict(glob.variables) if _inherits_variables(job.get("inherit")) else {}
    variables.update(_variables(job.get("variables"), out))
    image = settings.get("image")
    if image is not None and image.value is not None:
        image = _deref(image, glob.doc, out)
        value = image.get("name") if image and isinstance(image.value, MarkedMap) else image
        if image is None:
            pass
        elif value is None:
            out.problem(image.line, "parse-error", "'image' needs a 'name'")
        else:
            _runs_in(jid, value, variables, "image", out)
    _services(jid, settings.get("services"), variables, glob, out)
    _needs(jid, job.get("needs"), out)
    if trigger is not None and isinstance(trigger.value, MarkedMap):
        _includes(jid, trigger.value.get("include"), out)
    for script_key in _SCRIPT_KEYS:
        script = settings.get(script_key) if script_key != "script" else job.get("script")
        _scripts(jid, script, variables, glob, out)


def _extends(
    name: str, body: Marked, doc: MarkedMap, out: Collector, chain: tuple[str, ...]
) -> Marked:
    """The job with its ``extends:`` templates deep-merged underneath."""
    parents = _names(body.get("extends"))
    if not parents:
        return body
    if len(chain) >= _MAX_EXTENDS:
        out.problem(body.line, "parse-error", f"'{name}': extends nests deeper than {_MAX_EXTENDS}")
        return body
    merged: Marked | None = None
    for parent in parents:
        found = doc.get(parent)
        line = (body.get("extends") or body).line
        if parent in chain or parent == name:
            out.problem(line, "parse-error", f"'{name}' extends '{parent}' in a cycle")
            continue
        if found is None:
            out.problem(
                line,
                "unresolved",
                f"'{name}' extends '{parent}', which is not in this file (an include?)",
            )
            continue
        if not isinstance(found.value, MarkedMap):
            out.problem(found.line, "parse-error", f"'{parent}' must be a mapping")
            continue
        resolved = _extends(parent, found, doc, out, (*chain, name))
        merged = resolved if merged is None else _deep_merge(merged, resolved)
    return body if merged is None else _deep_merge(merged, body)


def _deep_merge(base: Marked, over: Marked) -> Marked:
    """GitLab's extends merge: mappings merge key by key, anything else is replaced."""
    if not (isinstance(base.value, MarkedMap) and isinstance(over.value, MarkedMap)):
        return over
    entries: list[tuple[Marked, Marked]] = []
    for key, value in base.value.items():
        if key.value in over.value:
            entries.append(
                (
                    over.value.key(key.value) or key,
                    _deep_merge(value, over.value.get(key.value) or value),
                )
            )
        else:
            entries.append((key, value))
    entries.extend((k, v) for k, v in over.value.items() if k.value not in base.value)
    return Marked(MarkedMap(tuple(entries)), over.line, over.style, over.tag)


def _inherited(inherit: Marked | None) -> set[str] | None:
    """The default keywords a job inherits; ``None`` means all of them."""
    value = inherit.get("default") if inherit is not None else None
    if value is None or value.value is True:
        return None
    if value.value is False:
        return set()
    if isinstance(value.value, tuple):
        return {v.text() or "" for v in value.value}
    return None


def _inherits_variables(inherit: Marked | None) -> bool:
    value = inherit.get("variables") if inherit is not None else None
    return value is None or value.value is not False


def _services(
    jid: str, services: Marked | None, variables: dict[str, str], glob: _Globals, out: Collector
) -> None:
    if services is None or services.value is None:
        return
    services = _deref(services, glob.doc, out)
    if services is None:
        return
    if not isinstance(services.value, tuple):
        out.problem(services.line, "parse-error", "'services' must be a list")
        return
    for item in _flatten(services.value, glob.doc, out):
        value = item.get("name") if isinstance(item.value, MarkedMap) else item
        if value is None:
            out.problem(item.line, "parse-error", "a service needs a 'name'")
            continue
        _runs_in(jid, value, variables, "service", out)


def _runs_in(jid: str, value: Marked, variables: dict[str, str], how: str, out: Collector) -> None:
    text = value.text()
    if not value.is_str or not text:
        out.problem(value.line, "parse-error", f"'{how}' must be an image reference")
        return
    expanded = _expand(text.strip(), variables)
    if "$" in expanded:
        out.problem(value.line, "unresolved", f"image {text!r} holds a variable; not resolved")
        return
    ref = parse_image_ref(expanded)
    comp = None
    if ref is not None and all(ref.repository.split("/")):
        try:
            comp = image_component(ref, (out.source.evidence(value.line, NAME),))
        except ValueError:  # a reference the purl library refuses
            comp = None
    if comp is None:
        out.problem(value.line, "parse-error", f"{expanded!r} is not an image reference")
        return
    out.component(comp)
    out.edge(jid, comp.id, Relation.RUNS_IN, value.line, "" if how == "image" else how)


def _expand(text: str, variables: dict[str, str]) -> str:
    """Substitute ``$NAME`` / ``${NAME}`` defined in the file (a few rounds, no recursion)."""
    for _ in range(5):
        new = _VARIABLE.sub(lambda m: variables.get(m[1] or m[2], m[0]), text)
        if new == text:
            break
        text = new
    return text


def _needs(jid: str, needs: Marked | None, out: Collector) -> None:
    if needs is None or needs.value is None:
        return
    items = needs.value if isinstance(needs.value, tuple) else (needs,)
    for item in items:
        name = item.text() if item.is_scalar else _text(item, "job")
        if isinstance(item.value, MarkedMap) and (
            "pipeline" in item.value or "project" in item.value
        ):
            continue
        if not name:
            out.problem(item.line, "parse-error", "a 'needs' entry must name a job")
            continue
        out.edge(jid, job_id(_SYSTEM, name), Relation.REQUIRES, item.line)


# Scripts --------------------------------------------------------------------------------


def _scripts(
    jid: str, script: Marked | None, variables: dict[str, str], glob: _Globals, out: Collector
) -> None:
    from audit.shell import scan_script

    if script is None or script.value is None:
        return
    script = _deref(script, glob.doc, out)
    if script is None:
        return
    items = _flatten(script.value, glob.doc, out) if isinstance(script.value, tuple) else [script]
    for item in items:
        if not item.is_str:
            out.problem(item.line, "parse-error", "a script line must be a string")
            continue
        out.scripts.append(
            scan_script(item.value, out.source, item.content_line, jid, NAME, env=variables)
        )


def _flatten(
    items: tuple[Marked, ...], doc: MarkedMap, out: Collector, depth: int = 0
) -> list[Marked]:
    """Nested lists (GitLab flattens them) with ``!reference`` tags resolved."""
    found: list[Marked] = []
    for raw in items:
        item = _deref(raw, doc, out)
        if item is None:
            continue
        if isinstance(item.value, tuple):
            if depth >= _MAX_NESTING:
                out.problem(item.line, "parse-error", "lists nest too deep")
                continue
            found.extend(_flatten(item.value, doc, out, depth + 1))
        else:
            found.append(item)
    return found


def _deref(node: Marked, doc: MarkedMap, out: Collector, depth: int = 0) -> Marked | None:
    """Resolve a ``!reference [.job, key, ...]`` against this file's top level.

    ``None`` (with a problem reported) when the reference cannot be resolved.
    """
    if node.tag != "!reference":
        return node
    path = [v.text() for v in node.value] if isinstance(node.value, tuple) else []
    if not path or any(p is None for p in path) or depth >= _MAX_NESTING:
        out.problem(node.line, "parse-error", "a !reference needs a list of keys")
        return None
    target: Marked | None = Marked(doc, node.line)
    for part in path:
        target = target.get(part) if target is not None else None
    if target is None:
        out.problem(
            node.line,
            "unresolved",
            f"!reference [{', '.join(p or '' for p in path)}] is not in this file",
        )
        return None
    return _deref(target, doc, out, depth + 1)


def _names(value: Marked | None) -> list[str]:
    if value is None or value.value is None:
        return []
    items = value.value if isinstance(value.value, tuple) else (value,)
    return [t for t in (v.text() for v in items if v.is_scalar) if t]


def _text(node: Marked | None, key: str) -> str | None:
    if node is None:
        return None
    value = node.get(key)
    return value.text() if value is not None else None


__all__ = ["NAME", "SCANNER", "GitLabScanner", "scan"]
