"""CircleCI configurations: jobs, their executors and images, orbs, workflows, ``run`` steps.

Reads ``.circleci/config.yml`` (and any other ``.circleci/*.yml``, such as the continuation
configs of dynamic configuration). Anchors and ``<<`` merge keys are resolved by
:mod:`audit.yamlsafe`. Reusable ``executors:`` and ``commands:`` defined in the same file
are followed; orb executors and orb commands are recorded as uses of the orb, never guessed.
A CircleCI machine or macOS image is not a container image: it is a job property.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from audit.components import image_component, job_id, manifest_id, orb_component, parse_image_ref
from audit.model import Node, Relation, ScanResult
from audit.scanners.base import SourceFile
from audit.scanners.collect import Collector
from audit.yamlsafe import Marked, MarkedMap, load, scalar_text

NAME = "circleci"
_SYSTEM = "circleci"
_MAX_COMMAND_DEPTH = 10
_NON_POSIX_SHELLS = ("powershell", "pwsh", "cmd", "python")


@dataclass(frozen=True)
class CircleCIScanner:
    """CircleCI configurations (``.circleci/config.yml``)."""

    name: str = NAME

    def matches(self, path: str) -> bool:
        parts = path.split("/")
        return (
            len(parts) >= 2 and parts[-2] == ".circleci" and parts[-1].endswith((".yml", ".yaml"))
        )

    def scan(self, source: SourceFile) -> ScanResult:
        return scan(source)


SCANNER = CircleCIScanner()


def workflow_id(name: str) -> str:
    return f"ci-workflow:{_SYSTEM}/{name}"


# Result collection ----------------------------------------------------------------------


def _collector(source: SourceFile) -> Collector:
    return Collector(source, NAME)


# Scanning -------------------------------------------------------------------------------


@dataclass
class _Config:
    """The reusable parts of one config file."""

    orbs: dict[str, str] = field(default_factory=dict)
    """Orb alias -> orb component id."""
    executors: MarkedMap = field(default_factory=MarkedMap)
    commands: MarkedMap = field(default_factory=MarkedMap)
    jobs: MarkedMap = field(default_factory=MarkedMap)
    orb_users: set[str] = field(default_factory=set)
    """Orb ids some job or workflow uses."""


def scan(source: SourceFile) -> ScanResult:
    """Scan one CircleCI configuration file."""
    out = _collector(source)
    doc, problems = load(source.text, source.path, NAME)
    out.problems.extend(problems)
    if doc is None:
        return out.result()
    if not isinstance(doc.value, MarkedMap):
        out.problem(doc.line, "parse-error", "a CircleCI config must be a mapping")
        return out.result()
    cfg = _Config(
        orbs=_orbs(doc.get("orbs"), out),
        executors=_section(doc, "executors", out),
        commands=_section(doc, "commands", out),
        jobs=_section(doc, "jobs", out),
    )
    flows = _collector(source)
    memberships, extra_nodes = _workflows(doc.get("workflows"), cfg, flows)
    for key, body in cfg.jobs.items():
        _job(scalar_text(key.value), key, body, cfg, memberships, out)
    out.nodes.extend(extra_nodes)
    out.nodes.extend(flows.nodes)
    out.edges.extend(flows.edges)
    out.problems.extend(flows.problems)
    unused = [(alias, oid) for alias, oid in cfg.orbs.items() if oid and oid not in cfg.orb_users]
    if unused:
        config = manifest_id(source.path)
        out.nodes.append(Node(config, "manifest", source.path, (source.evidence(1, NAME),)))
        orbs = doc.get("orbs")
        for alias, oid in unused:
            value = orbs.get(alias) if orbs is not None else None
            out.edge(config, oid, Relation.USES, value.line if value else 1)
    return out.result()


def _section(doc: Marked, key: str, out: Collector) -> MarkedMap:
    value = doc.get(key)
    if value is None or value.value is None:
        return MarkedMap()
    if not isinstance(value.value, MarkedMap):
        out.problem(value.line, "parse-error", f"'{key}' must be a mapping")
        return MarkedMap()
    return value.value


def _orbs(orbs: Marked | None, out: Collector) -> dict[str, str]:
    found: dict[str, str] = {}
    if orbs is None or orbs.value is None:
        return found
    if not isinstance(orbs.value, MarkedMap):
        out.problem(orbs.line, "parse-error", "'orbs' must be a mapping")
        return found
    for key, value in orbs.value.items():
        alias = scalar_text(key.value)
        if isinstance(value.value, MarkedMap):
            found[alias] = ""  # an inline orb: first-party, defined right here
            continue
        spec = value.text()
        if not spec:
            out.problem(value.line, "parse-error", f"orb '{alias}' has no reference")
            continue
        if "<<" in spec or "$" in spec:
            out.problem(
                value.line, "unresolved", f"orb '{alias}' reference {spec!r} holds a parameter"
            )
            continue
        try:
            comp = orb_component(spec.strip(), (out.source.evidence(value.line, NAME),))
        except ValueError:
            out.problem(value.line, "parse-error", f"orb '{alias}' reference {spec!r} is invalid")
            continue
        out.component(comp)
        found[alias] = comp.id
    return found


def _orb_of(reference: str, cfg: _Config) -> str | None:
    """The orb id behind ``alias/thing`` when ``alias`` is a declared orb."""
    alias, sep, _ = reference.partition("/")
    return cfg.orbs.get(alias) if sep else None


# Workflows ------------------------------------------------------------------------------


def _workflows(
    workflows: Marked | None, cfg: _Config, out: Collector
) -> tuple[dict[str, list[str]], list[Node]]:
    """Workflow nodes and requires edges; returns job id -> workflow names, extra nodes."""
    memberships: dict[str, list[str]] = {}
    extra: dict[str, Node] = {}
    if workflows is None or workflows.value is None:
        return memberships, []
    if not isinstance(workflows.value, MarkedMap):
        out.problem(workflows.line, "parse-error", "'workflows' must be a mapping")
        return memberships, []
    for key, body in workflows.value.items():
        name = scalar_text(key.value)
        if name == "version" and body.is_scalar:
            continue
        if not isinstance(body.value, MarkedMap):
            out.problem(body.line, "parse-error", f"workflow '{name}' must be a mapping")
            continue
        out.nodes.append(
            Node(workflow_id(name), "ci-workflow", name, (out.source.evidence(key.line, NAME),))
        )
        _workflow(name, body, cfg, memberships, extra, out)
    nodes = [
        dataclasses.replace(n, properties=_with_workflows(n.properties, memberships.get(n.id)))
        for n in extra.values()
    ]
    return memberships, nodes


@dataclass(frozen=True)
class _WfJob:
    """A job as a workflow runs it."""

    local: str
    target: str
    line: int
    params: Marked | None
    matrix: bool


def _workflow(
    wf: str,
    body: Marked,
    cfg: _Config,
    memberships: dict[str, list[str]],
    extra: dict[str, Node],
    out: Collector,
) -> None:
    jobs = body.get("jobs")
    if jobs is None or not isinstance(jobs.value, tuple):
        out.problem((jobs or body).line, "parse-error", f"workflow '{wf}' needs a 'jobs' list")
        return
    entries: list[_WfJob] = []
    local: dict[str, str] = {}
    for item in jobs.value:
        ref, params = _workflow_item(item)
        if ref is None:
            out.problem(item.line, "parse-error", f"workflow '{wf}': a job entry must be a name")
            continue
        if params is not None and not params.is_map:
            if params.value is not None:
                out.problem(
                    params.line, "parse-error", f"workflow '{wf}': '{ref}' must be a mapping"
                )
            params = None
        target = _workflow_target(ref, item.line, params, cfg, extra, out, wf)
        if target is None:
            continue
        name = _text(params, "name") or ref
        entries.append(
            _WfJob(name, target, item.line, params, params is not None and "matrix" in params.value)
        )
        local[name] = target
        alias = _text(params.get("matrix") if params is not None else None, "alias")
        if alias:
            local[alias] = target
        seen = memberships.setdefault(target, [])
        if wf not in seen:
            seen.append(wf)
    matrices = [e for e in entries if e.matrix]
    for entry in entries:
        requires = entry.params.get("requires") if entry.params is not None else None
        if requires is None or requires.value is None:
            continue
        items = requires.value if isinstance(requires.value, tuple) else (requires,)
        for req in items:
            needed = _requirement(req)
            if needed is None:
                out.problem(req.line, "parse-error", f"workflow '{wf}': bad 'requires' entry")
                continue
            target = local.get(needed) or next(
                (m.target for m in matrices if needed.startswith(m.local + "-")), None
            )
            if target is None:
                out.problem(
                    req.line,
                    "unresolved",
                    f"workflow '{wf}': '{entry.local}' requires '{needed}', "
                    "which is not a job of this workflow",
                )
                continue
            out.edge(entry.target, target, Relation.REQUIRES, req.line)


def _workflow_item(item: Marked) -> tuple[str | None, Marked | None]:
    """``- name`` or ``- name: {params}`` -> (job reference, params)."""
    if item.is_str:
        return item.value, None
    if isinstance(item.value, MarkedMap) and len(item.value) == 1:
        key, params = item.value.items()[0]
        if key.is_scalar and key.value is not None:
            return scalar_text(key.value), params
    return None, None


def _workflow_target(
    ref: str,
    line: int,
    params: Marked | None,
    cfg: _Config,
    extra: dict[str, Node],
    out: Collector,
    wf: str,
) -> str | None:
    if ref in cfg.jobs:
        return job_id(_SYSTEM, ref)
    evidence = (out.source.evidence(line, NAME),)
    if _text(params, "type") == "approval":
        jid = job_id(_SYSTEM, ref)
        extra.setdefault(jid, Node(jid, "ci-job", ref, evidence, (("type", "approval"),)))
        return jid
    orb = _orb_of(ref, cfg)
    if orb:
        jid = job_id(_SYSTEM, ref)
        extra.setdefault(jid, Node(jid, "ci-job", ref, evidence, (("orb_job", ref),)))
        cfg.orb_users.add(orb)
        out.edge(jid, orb, Relation.USES, line)
        return jid
    out.problem(line, "unresolved", f"workflow '{wf}': job '{ref}' is not defined in this file")
    return None


def _requirement(req: Marked) -> str | None:
    if req.is_str:
        return str(req.value)
    if isinstance(req.value, MarkedMap) and len(req.value) == 1:  # - build: [success, failed]
        key = req.value.items()[0][0]
        return scalar_text(key.value) if key.is_scalar and key.value is not None else None
    return None


def _with_workflows(
    props: tuple[tuple[str, str], ...], workflows: list[str] | None
) -> tuple[tuple[str, str], ...]:
    if not workflows:
        return props
    return tuple(sorted((*props, ("workflows", ",".join(sorted(workflows))))))


# Jobs -----------------------------------------------------------------------------------


def _job(
    name: str,
    key: Marked,
    body: Marked,
    cfg: _Config,
    memberships: dict[str, list[str]],
    out: Collector,
) -> None:
    if not isinstance(body.value, MarkedMap):
        out.problem(
            body.line if body.value is not None else key.line,
            "parse-error",
            f"job '{name}' must be a mapping",
        )
        return
    jid = job_id(_SYSTEM, name)
    props: dict[str, str] = {}
    env: dict[str, str] = {}
    executor = _executor(jid, body, cfg, props, out)
    if executor is not None:
        _run_environment(executor, env, props, jid, out)
    resource = _text(body, "resource_class")
    if resource:
        props["resource_class"] = resource
    env.update(_environment(body.get("environment"), out))
    props_t = _with_workflows(tuple(sorted(props.items())), memberships.get(jid))
    out.nodes.append(Node(jid, "ci-job", name, (out.source.evidence(key.line, NAME),), props_t))
    _steps(body.get("steps"), jid, env, cfg, out, depth=0, seen=())


def _executor(
    jid: str, body: Marked, cfg: _Config, props: dict[str, str], out: Collector
) -> Marked | None:
    """The mapping that holds the job's docker/machine/macos keys (the job or an executor)."""
    if any(k in body.value for k in ("docker", "machine", "macos")):
        return body
    ref = body.get("executor")
    if ref is None or ref.value is None:
        return None
    name = ref.text() if ref.is_scalar else _text(ref, "name")
    if not name:
        out.problem(ref.line, "parse-error", "'executor' must be a name or have a 'name'")
        return None
    orb = _orb_of(name, cfg)
    if orb:
        props["executor_ref"] = name
        cfg.orb_users.add(orb)
        out.edge(jid, orb, Relation.USES, ref.line)
        return None
    found = cfg.executors.get(name)
    if found is None:
        out.problem(ref.line, "unresolved", f"executor '{name}' is not defined in this file")
        return None
    if not isinstance(found.value, MarkedMap):
        out.problem(found.line, "parse-error", f"executor '{name}' must be a mapping")
        return None
    props["executor_name"] = name
    return found


def _run_environment(
    executor: Marked, env: dict[str, str], props: dict[str, str], jid: str, out: Collector
) -> None:
    resource = _text(executor, "resource_class")
    if resource:
        props["resource_class"] = resource
    env.update(_environment(executor.get("environment"), out))
    docker = executor.get("docker")
    machine = executor.get("machine")
    macos = executor.get("macos")
    if docker is not None:
        props["executor"] = "docker"
        _docker(docker, jid, env, props, out)
    elif machine is not None:
        props["executor"] = "machine"
        if machine.value is True:
            props["machine_image"] = "default"
        elif isinstance(machine.value, MarkedMap):
            props["machine_image"] = _text(machine, "image") or "default"
        elif machine.value is not False:
            out.problem(machine.line, "parse-error", "'machine' must be true or a mapping")
    elif macos is not None:
        props["executor"] = "macos"
        xcode = _text(macos, "xcode")
        if xcode:
            props["xcode"] = xcode
        else:
            out.problem(macos.line, "parse-error", "'macos' needs an 'xcode' version")


def _docker(
    docker: Marked, jid: str, env: dict[str, str], props: dict[str, str], out: Collector
) -> None:
    if not isinstance(docker.value, tuple):
        out.problem(docker.line, "parse-error", "'docker' must be a list of images")
        return
    for index, item in enumerate(docker.value):
        image = item.get("image")
        if image is None:
            out.problem(item.line, "parse-error", "a 'docker' entry needs an 'image'")
            continue
        cid = _image(image, out)
        if cid is None:
            continue
        out.edge(jid, cid, Relation.RUNS_IN, image.line, "" if index == 0 else "sidecar")
        if index == 0:
            props["primary_image"] = cid
            env.update(_environment(item.get("environment"), out))


def _image(value: Marked, out: Collector) -> str | None:
    """The image component id of an ``image:`` value, added to ``out``; None when unusable."""
    text = value.text()
    if not text:
        out.problem(value.line, "parse-error", "'image' must be an image reference")
        return None
    if "<<" in text or "$" in text:
        out.problem(
            value.line,
            "unresolved",
            f"image {text!r} holds a parameter or variable; not resolved",
        )
        return None
    ref = parse_image_ref(text)
    comp = None
    if ref is not None and all(ref.repository.split("/")):
        try:
            comp = image_component(ref, (out.source.evidence(value.line, NAME),))
        except ValueError:  # a reference the purl library refuses
            comp = None
    if comp is None:
        out.problem(value.line, "parse-error", f"{text!r} is not an image reference")
        return None
    out.component(comp)
    return comp.id


def _environment(env: Marked | None, out: Collector) -> dict[str, str]:
    if env is None or env.value is None:
        return {}
    if not isinstance(env.value, MarkedMap):
        out.problem(env.line, "parse-error", "'environment' must be a mapping")
        return {}
    return {
        scalar_text(k.value): scalar_text(v.value)
        for k, v in env.value.items()
        if v.is_scalar and k.is_scalar
    }


# Steps ----------------------------------------------------------------------------------


def _steps(
    steps: Marked | None,
    jid: str,
    env: dict[str, str],
    cfg: _Config,
    out: Collector,
    depth: int,
    seen: tuple[str, ...],
) -> None:
    if steps is None or steps.value is None:
        return
    if not isinstance(steps.value, tuple):
        out.problem(steps.line, "parse-error", "'steps' must be a list")
        return
    for step in steps.value:
        if step.is_str:
            name, arg = step.value, None
        elif isinstance(step.value, MarkedMap) and len(step.value) >= 1:
            key, arg = step.value.items()[0]
            name = scalar_text(key.value)
        else:
            out.problem(step.line, "parse-error", "a step must be a name or a mapping")
            continue
        if name == "run":
            _run(arg, step.line, jid, env, out)
        elif name in ("when", "unless"):
            _steps(arg.get("steps") if arg else None, jid, env, cfg, out, depth, seen)
        elif _orb_of(name, cfg):
            orb = _orb_of(name, cfg) or ""
            cfg.orb_users.add(orb)
            out.edge(jid, orb, Relation.USES, step.line)
        elif name in cfg.commands:
            _command(name, step.line, jid, env, cfg, out, depth, seen)


def _command(
    name: str,
    line: int,
    jid: str,
    env: dict[str, str],
    cfg: _Config,
    out: Collector,
    depth: int,
    seen: tuple[str, ...],
) -> None:
    if name in seen or depth >= _MAX_COMMAND_DEPTH:
        out.problem(line, "parse-error", f"command '{name}' calls itself or nests too deep")
        return
    body = cfg.commands.get(name)
    if body is None or not isinstance(body.value, MarkedMap):
        out.problem(line, "parse-error", f"command '{name}' must be a mapping")
        return
    _steps(body.get("steps"), jid, env, cfg, out, depth + 1, (*seen, name))


def _run(arg: Marked | None, line: int, jid: str, env: dict[str, str], out: Collector) -> None:
    from audit.shell import scan_script

    if arg is None or arg.value is None:
        out.problem(line, "parse-error", "'run' needs a command")
        return
    command = arg
    step_env = env
    if isinstance(arg.value, MarkedMap):
        shell = _text(arg, "shell") or ""
        if any(s in shell.lower() for s in _NON_POSIX_SHELLS):
            return
        found = arg.get("command")
        if found is None:
            out.problem(arg.line, "parse-error", "'run' needs a 'command'")
            return
        command = found
        extra = _environment(arg.get("environment"), out)
        if extra:
            step_env = {**env, **extra}
    if not command.is_str:
        out.problem(command.line, "parse-error", "a 'run' command must be a string")
        return
    out.scripts.append(
        scan_script(command.value, out.source, command.content_line, jid, NAME, env=step_env)
    )


def _text(node: Marked | None, key: str) -> str | None:
    """The scalar text under ``key`` of a mapping node, if any."""
    if node is None:
        return None
    value = node.get(key)
    return value.text() if value is not None else None


__all__ = ["NAME", "SCANNER", "CircleCIScanner", "scan", "workflow_id"]
