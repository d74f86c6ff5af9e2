"""GitHub Actions workflows and local actions: jobs, ``needs``, actions, images, ``run`` steps.

Reads ``.github/workflows/*.yml`` and composite, Docker or JavaScript action metadata
(``action.yml`` anywhere). Each workflow job is a node ``ci-job:github/<file>/<job>``;
a local action ``./path`` is the node ``action-local:<path>`` (its own ``action.yml``
scan describes it). Image references holding expressions (``${{ matrix.image }}``) are
reported as unresolved, never guessed.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from audit.components import (
    action_component,
    dockerfile_id,
    image_component,
    job_id,
    parse_image_ref,
)
from audit.model import Component, Node, Relation, ScanResult
from audit.scanners.base import Names, SourceFile
from audit.scanners.collect import Collector
from audit.yamlsafe import Marked, MarkedMap, load, scalar_text

NAME = "github-actions"
_SYSTEM = "github"
_BUILD_PUSH = "docker/build-push-action"
_POSIX_SHELLS = ("bash", "sh")


@dataclass(frozen=True)
class GitHubActionsScanner:
    name: str = NAME

    names = Names(suffixes=(".yml", ".yaml"))
    """The base names :meth:`matches` can accept (see :class:`Names`)."""

    def matches(self, path: str) -> bool:
        parts = path.split("/")
        if parts[-1] in ("action.yml", "action.yaml"):
            return True
        return (
            len(parts) >= 3
            and parts[-3:-1] == [".github", "workflows"]
            and parts[-1].endswith((".yml", ".yaml"))
        )

    def scan(self, source: SourceFile) -> ScanResult:
        return scan(source)


SCANNER = GitHubActionsScanner()


def workflow_id(file_name: str) -> str:
    """``ci-workflow:github/ci.yml``."""
    return f"ci-workflow:{_SYSTEM}/{file_name}"


def local_action_id(path: str) -> str:
    """``action-local:.github/actions/setup`` for ``uses: ./.github/actions/setup``."""
    return f"action-local:{_clean_path(path)}"


def _clean_path(path: str) -> str:
    clean = posixpath.normpath(path.strip().lstrip("/")) if path.strip() else "."
    return clean


# Result collection ----------------------------------------------------------------------


def _collector(source: SourceFile) -> Collector:
    return Collector(source, NAME)


# Scanning -------------------------------------------------------------------------------


def scan(source: SourceFile) -> ScanResult:
    """Scan one workflow file or one action metadata file."""
    out = _collector(source)
    doc, problems = load(source.text, source.path, NAME)
    out.problems.extend(problems)
    if doc is None:
        return out.result()
    if not isinstance(doc.value, MarkedMap):
        out.problem(doc.line, "parse-error", "a workflow or action file must be a mapping")
        return out.result()
    if posixpath.basename(source.path) in ("action.yml", "action.yaml"):
        _action(doc, out)
    else:
        _workflow(doc, out)
    return out.result()


def _workflow(doc: Marked, out: Collector) -> None:
    file_name = posixpath.basename(out.source.path)
    title = _text(doc, "name") or file_name
    out.nodes.append(
        Node(
            workflow_id(file_name),
            "ci-workflow",
            title,
            (out.source.evidence(1, NAME),),
            (("file", out.source.path),),
        )
    )
    jobs = doc.get("jobs")
    if jobs is None:
        return
    if jobs.value is None:
        out.problem(jobs.line, "parse-error", "'jobs' is empty: the workflow has no job")
        return
    if not isinstance(jobs.value, MarkedMap):
        out.problem(jobs.line, "parse-error", "'jobs' must be a mapping")
        return
    env = _environment(doc.get("env"), out)
    shell = _text(_at(doc, "defaults", "run"), "shell")
    names = {scalar_text(k.value) for k, _ in jobs.value.items()}
    for key, body in jobs.value.items():
        _job(file_name, scalar_text(key.value), key, body, names, env, shell, out)


def _job(
    file_name: str,
    name: str,
    key: Marked,
    body: Marked,
    names: set[str],
    env: dict[str, str],
    shell: str | None,
    out: Collector,
) -> None:
    if not isinstance(body.value, MarkedMap):
        out.problem(
            body.line if body.value is not None else key.line,
            "parse-error",
            f"job '{name}' must be a mapping",
        )
        return
    jid = job_id(_SYSTEM, f"{file_name}/{name}")
    props = {"workflow": file_name}
    runs_on = _runs_on(body.get("runs-on"))
    if runs_on:
        props["runs-on"] = runs_on
    display = _text(body, "name")
    if display:
        props["name"] = display
    out.nodes.append(
        Node(
            jid,
            "ci-job",
            name,
            (out.source.evidence(key.line, NAME),),
            tuple(sorted(props.items())),
        )
    )
    _needs(jid, file_name, name, body.get("needs"), names, out)
    uses = body.get("uses")
    if uses is not None:
        _reusable_workflow(jid, uses, out)
    _container(jid, body.get("container"), out)
    _services(jid, body.get("services"), out)
    job_env = {**env, **_environment(body.get("env"), out)}
    job_shell = _text(_at(body, "defaults", "run"), "shell") or shell
    _steps(jid, body.get("steps"), job_env, job_shell, out)


def _runs_on(value: Marked | None) -> str:
    if value is None or value.value is None:
        return ""
    if value.is_scalar:
        return scalar_text(value.value)
    if isinstance(value.value, tuple):
        return ",".join(scalar_text(v.value) for v in value.value if v.is_scalar)
    parts = [f"group={_text(value, 'group')}"] if _text(value, "group") else []
    labels = value.get("labels")
    if labels is not None:
        parts.append(_runs_on(labels))
    return ",".join(parts)


def _needs(
    jid: str, file_name: str, name: str, needs: Marked | None, names: set[str], out: Collector
) -> None:
    if needs is None or needs.value is None:
        return
    items = needs.value if isinstance(needs.value, tuple) else (needs,)
    for item in items:
        needed = item.text()
        if not item.is_scalar or not needed:
            out.problem(item.line, "parse-error", f"job '{name}': 'needs' entries must be names")
            continue
        if needed not in names:
            out.problem(
                item.line, "unresolved", f"job '{name}' needs '{needed}', which is not a job here"
            )
            continue
        out.edge(jid, job_id(_SYSTEM, f"{file_name}/{needed}"), Relation.REQUIRES, item.line)


def _reusable_workflow(jid: str, uses: Marked, out: Collector) -> None:
    ref = uses.text()
    if not uses.is_str or not ref:
        out.problem(uses.line, "parse-error", "job 'uses' must be a string")
        return
    ref = ref.strip()
    if ref.startswith("./"):
        out.edge(jid, workflow_id(posixpath.basename(ref)), Relation.USES, uses.line)
        return
    _action_use(jid, ref, uses.line, out)


def _action_use(consumer: str, ref: str, line: int, out: Collector) -> Component | None:
    """``owner/repo[/path]@ref`` -> action component and a USES edge."""
    if "${{" in ref:
        out.problem(line, "unresolved", f"'uses: {ref}' holds an expression; not resolved")
        return None
    try:
        comp = action_component(ref, (out.source.evidence(line, NAME),))
    except ValueError:  # a reference the purl library refuses
        comp = None
    if comp is None:
        out.problem(line, "parse-error", f"'uses: {ref}' is not an action reference")
        return None
    out.component(comp)
    out.edge(consumer, comp.id, Relation.USES, line)
    return comp


def _container(jid: str, container: Marked | None, out: Collector) -> None:
    if container is None or container.value is None:
        return
    image = container.get("image") if isinstance(container.value, MarkedMap) else container
    if image is None:
        out.problem(container.line, "parse-error", "'container' needs an 'image'")
        return
    cid = _image(image, out)
    if cid:
        out.edge(jid, cid, Relation.RUNS_IN, image.line, "container")


def _services(jid: str, services: Marked | None, out: Collector) -> None:
    if services is None or services.value is None:
        return
    if not isinstance(services.value, MarkedMap):
        out.problem(services.line, "parse-error", "'services' must be a mapping")
        return
    for key, body in services.value.items():
        image = body.get("image") if isinstance(body.value, MarkedMap) else body
        if image is None or image.value is None:
            out.problem(body.line, "parse-error", f"service '{key.value}' needs an 'image'")
            continue
        if image.value == "":
            continue  # an empty image skips the service (a conditional expression's "else")
        cid = _image(image, out)
        if cid:
            out.edge(jid, cid, Relation.RUNS_IN, image.line, f"service {scalar_text(key.value)}")


def _image(value: Marked, out: Collector, props: dict[str, str] | None = None) -> str | None:
    """The image component id of a reference, added to ``out``; ``None`` when unusable."""
    text = value.text()
    if not text:
        out.problem(value.line, "parse-error", "an image must be a reference string")
        return None
    text = text.strip()
    text = text.removeprefix("docker://")
    if "${{" in text or "$" in text:
        out.problem(value.line, "unresolved", f"image {text!r} holds an expression; not resolved")
        return None
    ref = parse_image_ref(text)
    comp = None
    if ref is not None and all(ref.repository.split("/")):
        try:
            comp = image_component(ref, (out.source.evidence(value.line, NAME),), props)
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
        if not (env.is_str and "${{" in env.value):
            out.problem(env.line, "parse-error", "'env' must be a mapping")
        return {}
    found: dict[str, str] = {}
    for key, value in env.value.items():
        text = scalar_text(value.value) if value.is_scalar else ""
        if key.is_scalar and value.is_scalar and "${{" not in text:
            found[scalar_text(key.value)] = text
    return found


# Steps ----------------------------------------------------------------------------------


def _steps(
    consumer: str, steps: Marked | None, env: dict[str, str], shell: str | None, out: Collector
) -> None:
    if steps is None or steps.value is None:
        return
    if not isinstance(steps.value, tuple):
        out.problem(steps.line, "parse-error", "'steps' must be a list")
        return
    for step in steps.value:
        if not isinstance(step.value, MarkedMap):
            out.problem(step.line, "parse-error", "a step must be a mapping")
            continue
        uses = step.get("uses")
        run = step.get("run")
        if uses is not None:
            _step_uses(consumer, step, uses, out)
        elif run is not None:
            step_shell = _text(step, "shell") or shell
            step_env = {**env, **_environment(step.get("env"), out)}
            _run(consumer, run, step_env, step_shell, out)


def _step_uses(consumer: str, step: Marked, uses: Marked, out: Collector) -> None:
    ref = uses.text()
    if not uses.is_str or not ref:
        out.problem(uses.line, "parse-error", "step 'uses' must be a string")
        return
    ref = ref.strip()
    if ref.startswith("docker://"):
        cid = _image(uses, out)
        if cid:
            out.edge(consumer, cid, Relation.RUNS_IN, uses.line, "docker step")
        return
    if ref.startswith("./") or ref == ".":
        out.edge(consumer, local_action_id(ref), Relation.USES, uses.line)
        return
    comp = _action_use(consumer, ref, uses.line, out)
    if comp is not None and comp.name.lower() == _BUILD_PUSH:
        _build_push(step.get("with"), uses.line, out)


def _build_push(inputs: Marked | None, line: int, out: Collector) -> None:
    """docker/build-push-action: image (first tag) BUILT_FROM the in-repo Dockerfile."""
    tags = inputs.get("tags") if inputs is not None else None
    if tags is None or tags.value is None:
        return
    first = _first_tag(tags)
    if first is None:
        out.problem(tags.line, "parse-error", "'tags' must be a list or a string of tags")
        return
    # `push: true` publishes the image: what is installed in it ships (the classify stage).
    push = _text(inputs, "push")
    pushed = push is not None and push.strip().lower() == "true"
    cid = _image(first, out, {"published": _BUILD_PUSH} if pushed else None)
    if cid is None:
        return
    file_input = _text(inputs, "file")
    context = _text(inputs, "context")
    dockerfile = _dockerfile_path(file_input, context)
    if dockerfile is None:
        shown = file_input or context or ""
        out.problem(
            line, "unresolved", f"Dockerfile {shown!r} holds an expression or URL; not resolved"
        )
        return
    out.edge(cid, dockerfile_id(dockerfile), Relation.BUILT_FROM, line, _BUILD_PUSH)


def _first_tag(tags: Marked) -> Marked | None:
    """The first tag, marked with its own line."""
    if isinstance(tags.value, tuple):
        for item in tags.value:
            text = item.text()
            if text and text.strip():
                return Marked(text.strip(), item.line)
        return None
    text = tags.text()
    if text is None:
        return None
    for offset, row in enumerate(text.splitlines()):
        part = next((p.strip() for p in row.split(",") if p.strip()), "")
        if part:
            return Marked(part, tags.content_line + (offset if tags.style == "|" else 0))
    return None


def _dockerfile_path(file_input: str | None, context: str | None) -> str | None:
    """The repository path of the Dockerfile; ``None`` when it cannot be known."""
    for value in (file_input, context):
        if value and ("${{" in value or "://" in value or value.startswith("git@")):
            return None
    if file_input:
        return _clean_path(file_input)
    ctx = (context or ".").strip()
    if ctx.startswith("{{defaultContext}}"):
        ctx = ctx[len("{{defaultContext}}") :].lstrip(":") or "."
    return _clean_path(posixpath.join(ctx, "Dockerfile"))


def _run(
    consumer: str, run: Marked, env: dict[str, str], shell: str | None, out: Collector
) -> None:
    from audit.shell import scan_script

    if not run.is_str:
        out.problem(run.line, "parse-error", "'run' must be a string")
        return
    if shell and shell.split()[0].rsplit("/", 1)[-1] not in _POSIX_SHELLS:
        return  # pwsh, python, cmd: not shell syntax
    out.scripts.append(
        scan_script(run.value, out.source, run.content_line, consumer, NAME, env=env)
    )


# Local actions --------------------------------------------------------------------------


def _action(doc: Marked, out: Collector) -> None:
    runs = doc.get("runs")
    if runs is None:
        return  # an action.yml of some other tool
    if not isinstance(runs.value, MarkedMap):
        out.problem(runs.line, "parse-error", "'runs' must be a mapping")
        return
    directory = posixpath.dirname(out.source.path)
    aid = local_action_id(directory or ".")
    using = _text(runs, "using") or ""
    props = {"using": using} if using else {}
    out.nodes.append(
        Node(
            aid,
            "ci-action",
            _text(doc, "name") or directory or ".",
            (out.source.evidence(doc.value.key("runs").line, NAME),),
            tuple(sorted(props.items())),
        )
    )
    if using == "composite":
        _steps(aid, runs.get("steps"), {}, None, out)
    elif using == "docker":
        image = runs.get("image")
        if image is None or not image.is_str:
            out.problem(runs.line, "parse-error", "a docker action needs 'runs.image'")
            return
        ref = image.value.strip()
        if ref.startswith("docker://"):
            cid = _image(image, out)
            if cid:
                out.edge(aid, cid, Relation.RUNS_IN, image.line, "docker action")
        else:
            path = _clean_path(posixpath.join(directory, ref))
            out.edge(aid, dockerfile_id(path), Relation.RUNS_IN, image.line, "docker action")


def _at(node: Marked | None, *keys: str) -> Marked | None:
    for key in keys:
        if node is None:
            return None
        node = node.get(key)
    return node


def _text(node: Marked | None, key: str) -> str | None:
    if node is None:
        return None
    value = node.get(key)
    return value.text() if value is not None else None


__all__ = [
    "NAME",
    "SCANNER",
    "GitHubActionsScanner",
    "local_action_id",
    "scan",
    "workflow_id",
]
