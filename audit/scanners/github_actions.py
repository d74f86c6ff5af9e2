"""GitHub Actions workflows and local actions: jobs, ``needs``, actions, images, ``run`` steps.

Reads ``.github/workflows/*.yml`` and composite, Docker or JavaScript action metadata
(``action.yml`` anywhere). Each workflow job is a node ``ci-job:github/<file>/<job>``;
a local action ``./path`` is the node ``action-local:<path>`` (its own ``action.yml``
scan describes it). ``${{ ... }}`` expressions are replaced by what the file itself
supplies: ``github.workspace`` (the scanned root), the job's ``strategy.matrix`` (each
combination), the ``workflow_call`` input defaults and ``env:`` values. An image whose tag
still holds one keeps its name (the tag is unresolved); one whose name does is reported as
unresolved, never guessed.
"""

from __future__ import annotations

import itertools
import json
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass

from audit.components import (
    action_component,
    dockerfile_id,
    image_component,
    job_id,
    parse_image_ref,
    partial_image_ref,
)
from audit.model import Component, Node, Relation, ScanResult
from audit.scanners.base import SourceFile
from audit.scanners.collect import Collector
from audit.yamlsafe import Marked, MarkedMap, load, scalar_text

NAME = "github-actions"
_SYSTEM = "github"
_BUILD_PUSH = "docker/build-push-action"
_POSIX_SHELLS = ("bash", "sh")
_EXPRESSION = re.compile(r"\$\{\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*\}\}")
_MAX_MATRIX = 64
"""A job's matrix is read for at most this many combinations (the rest are noted)."""
_KNOWN = {"github.workspace": "."}
"""Expressions whose value is known wherever a job runs: the checkout is the scanned root."""

Values = Mapping[str, str]
"""Known values of ``${{ ... }}`` expressions: ``inputs.tag``, ``matrix.arch``, ``env.X``."""


def substitute(text: str, values: Values) -> str:
    """``text`` with every ``${{ name }}`` whose value is known replaced by it; the others
    stay as written (the image or URL keeps its known parts)."""
    if "${{" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        return values.get(m[1], m[0])

    return _EXPRESSION.sub(one, text)


@dataclass(frozen=True)
class GitHubActionsScanner:
    """GitHub Actions workflows and actions."""

    name: str = NAME

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


_RUNNER_WORKSPACE = re.compile(r"/home/runner/work/([^/]+)/\1(?:/|$)")
"""The checkout on a GitHub-hosted runner: ``/home/runner/work/REPO/REPO/`` (the value of
``github.workspace`` there)."""


def _clean_path(path: str) -> str:
    """A root-relative path; the hosted runner's workspace path is the scanned root
    (inspektor-gadget.yml:500 ``file: /home/runner/work/inspektor-gadget/inspektor-gadget/
    Dockerfiles/gadget.Dockerfile``)."""
    path = path.strip()
    m = _RUNNER_WORKSPACE.match(path)
    if m is not None:
        path = path[m.end() :]
    clean = posixpath.normpath(path.lstrip("/")) if path else "."
    return clean


# Result collection ----------------------------------------------------------------------


def _collector(source: SourceFile) -> Collector:
    return Collector(source, NAME)


# Scanning -------------------------------------------------------------------------------


def scan(source: SourceFile, inputs: Values | None = None) -> ScanResult:
    """Scan one workflow file or one action metadata file; ``inputs`` (``inputs.NAME`` ->
    value) are what one caller of a reusable workflow passes in ``with:`` (audit/ci_follow.py
    reads the file once per caller)."""
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
        _workflow(doc, out, inputs or {})
    return out.result()


def _workflow(doc: Marked, out: Collector, inputs: Values) -> None:
    file_name = posixpath.basename(out.source.path)
    title = _text(doc, "name") or file_name
    props = {"file": out.source.path}
    if _triggers(doc) == ["workflow_call"]:
        props["workflow_call_only"] = "true"
    named = sorted(set(_REPOSITORY_TEST.findall(out.source.text)))
    if named:
        props["repository_named"] = ",".join(named)
    out.nodes.append(
        Node(
            workflow_id(file_name),
            "ci-workflow",
            title,
            (out.source.evidence(1, NAME),),
            tuple(sorted((k, v) for k, v in props.items() if v)),
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
    values = {**_KNOWN, **_input_defaults(doc), **inputs}
    env = _environment(doc.get("env"), out, values)
    shell = _text(_at(doc, "defaults", "run"), "shell")
    names = {scalar_text(k.value) for k, _ in jobs.value.items()}
    for key, body in jobs.value.items():
        _job(file_name, scalar_text(key.value), key, body, names, env, shell, values, out)


_REPOSITORY_TEST = re.compile(
    r"github\.repository\s*==\s*['\"]([A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+)['\"]"
)
"""``if: github.repository == 'owner/name'``: a workflow naming the repository it runs in."""


def _triggers(doc: Marked) -> list[str]:
    """The events that start a workflow (``on:`` as a name, a list or a mapping)."""
    on = doc.get("on") or doc.get(True)
    if on is None:
        return []
    if on.is_scalar:
        return [scalar_text(on.value)]
    if isinstance(on.value, tuple):
        return sorted(scalar_text(v.value) for v in on.value if v.is_scalar)
    if isinstance(on.value, MarkedMap):
        return sorted(scalar_text(k.value) for k, _ in on.value.items() if k.is_scalar)
    return []


def _input_defaults(doc: Marked) -> dict[str, str]:
    """``inputs.NAME`` -> the default of each ``workflow_call`` input that has one."""
    on = doc.get("on") or doc.get(True)
    return _defaults(_at(on, "workflow_call", "inputs"))


def _defaults(inputs: Marked | None) -> dict[str, str]:
    """``inputs.NAME`` -> the default of each input (of a reusable workflow or a local
    action) that has one."""
    if inputs is None or not isinstance(inputs.value, MarkedMap):
        return {}
    found: dict[str, str] = {}
    for key, spec in inputs.value.items():
        default = spec.get("default") if isinstance(spec.value, MarkedMap) else None
        if default is not None and default.is_scalar and key.is_scalar:
            text = scalar_text(default.value)
            if "${{" not in text:
                found[f"inputs.{scalar_text(key.value)}"] = text
    return found


def _matrix(strategy: Marked | None, out: Collector) -> list[dict[str, str]]:
    """``matrix.KEY`` values of each combination a job's ``strategy.matrix`` runs (the
    product of its lists, then its ``include`` entries); ``[{}]`` without a matrix."""
    matrix = strategy.get("matrix") if strategy is not None else None
    if matrix is None or not isinstance(matrix.value, MarkedMap):
        return [{}]
    axes: list[list[tuple[str, str]]] = []
    include: list[dict[str, str]] = []
    for key, value in matrix.value.items():
        name = scalar_text(key.value)
        if name == "include" and isinstance(value.value, tuple):
            for item in value.value:
                if isinstance(item.value, MarkedMap):
                    include.append(
                        {
                            f"matrix.{scalar_text(k.value)}": scalar_text(v.value)
                            for k, v in item.value.items()
                            if k.is_scalar and v.is_scalar
                        }
                    )
        elif name != "exclude" and isinstance(value.value, tuple):
            axes.append(
                [(f"matrix.{name}", scalar_text(v.value)) for v in value.value if v.is_scalar]
            )
    product = itertools.islice(itertools.product(*axes), _MAX_MATRIX + 1) if axes else ()
    combos = [dict(c) for c in product]
    combos.extend(include)
    if len(combos) > _MAX_MATRIX:
        out.problem(
            matrix.line,
            "skipped",
            f"the matrix has over {_MAX_MATRIX} combinations; the first {_MAX_MATRIX} are read",
        )
    return combos[:_MAX_MATRIX] or [{}]


def _job(
    file_name: str,
    name: str,
    key: Marked,
    body: Marked,
    names: set[str],
    env: dict[str, str],
    shell: str | None,
    values: Values,
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
    uses = body.get("uses")
    if uses is not None and uses.is_str and uses.value.strip():
        props["calls"] = uses.value.strip()
        props["call_inputs"] = json.dumps(_call_inputs(body, values, out), sort_keys=True)
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
    if uses is not None:
        _reusable_workflow(jid, uses, out)
    job_shell = _text(_at(body, "defaults", "run"), "shell") or shell
    job_dir = _text(_at(body, "defaults", "run"), "working-directory")
    seen: set[tuple[object, ...]] = set()
    for combo in _matrix(body.get("strategy"), out):
        # matrix entries may hold expressions themselves (``LABEL: ${{ inputs.imageTag }}``)
        known = {**values, **{k: substitute(v, values) for k, v in combo.items()}}
        _container(jid, body.get("container"), out, known)
        _services(jid, body.get("services"), out, known)
        job_env = {**env, **_environment(body.get("env"), out, known)}
        job = _Job(jid, job_env, job_shell, job_dir, {**known, **_env_values(job_env)}, seen)
        _steps(job, body.get("steps"), out)


def _call_inputs(body: Marked, values: Values, out: Collector) -> list[dict[str, str]]:
    """What a job that calls a reusable workflow passes in ``with:``, once per combination
    of its matrix: ``inputs.NAME`` -> the value, with what this file knows substituted (an
    expression it does not know stays as written, so the callee does not take its default
    for it)."""
    given = body.get("with")
    if given is None or not isinstance(given.value, MarkedMap):
        return [{}]
    found: dict[str, dict[str, str]] = {}
    for combo in _matrix(body.get("strategy"), out):
        known = {**values, **{k: substitute(v, values) for k, v in combo.items()}}
        one = {
            f"inputs.{scalar_text(k.value)}": substitute(scalar_text(v.value), known)
            for k, v in given.value.items()
            if k.is_scalar and v.is_scalar and v.value is not None
        }
        found.setdefault(json.dumps(one, sort_keys=True), one)
    return [found[k] for k in sorted(found)]


@dataclass(frozen=True)
class _Job:
    """What a job's steps see: its id, ``env:``, shell, working directory, known values."""

    consumer: str
    env: dict[str, str]
    shell: str | None
    directory: str | None
    values: Values
    seen: set[tuple[object, ...]]
    """Scripts already read for this job (a matrix repeats the steps per combination)."""


def _env_values(env: Mapping[str, str]) -> dict[str, str]:
    return {f"env.{k}": v for k, v in env.items()}


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


def _container(jid: str, container: Marked | None, out: Collector, values: Values) -> None:
    if container is None or container.value is None:
        return
    image = container.get("image") if isinstance(container.value, MarkedMap) else container
    if image is None:
        out.problem(container.line, "parse-error", "'container' needs an 'image'")
        return
    cid = _image(image, out, values=values)
    if cid:
        out.edge(jid, cid, Relation.RUNS_IN, image.line, "container")


def _services(jid: str, services: Marked | None, out: Collector, values: Values) -> None:
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
        cid = _image(image, out, values=values)
        if cid:
            out.edge(jid, cid, Relation.RUNS_IN, image.line, f"service {scalar_text(key.value)}")


def _image(
    value: Marked,
    out: Collector,
    props: dict[str, str] | None = None,
    values: Values = _KNOWN,
) -> str | None:
    """The image component id of a reference, added to ``out``; ``None`` when unusable.

    An image whose tag holds an unknown expression is still that image (its tag is
    unresolved); one whose name does is reported as unresolved."""
    text = value.text()
    if not text:
        out.problem(value.line, "parse-error", "an image must be a reference string")
        return None
    text = substitute(text.strip(), values).removeprefix("docker://")
    if "$" in text:
        partial = partial_image_ref(text)
        if partial is None:
            out.problem(
                value.line, "unresolved", f"image {text!r} holds an expression; not resolved"
            )
            return None
        evidence = (out.source.evidence(value.line, NAME),)
        part = image_component(partial[0], evidence, props, unresolved_tag=partial[1])
        out.component(part)
        return part.id
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


def _environment(env: Marked | None, out: Collector, values: Values = _KNOWN) -> dict[str, str]:
    if env is None or env.value is None:
        return {}
    if not isinstance(env.value, MarkedMap):
        if not (env.is_str and "${{" in env.value):
            out.problem(env.line, "parse-error", "'env' must be a mapping")
        return {}
    found: dict[str, str] = {}
    for key, value in env.value.items():
        text = substitute(scalar_text(value.value), values) if value.is_scalar else ""
        if key.is_scalar and value.is_scalar and "${{" not in text:
            found[scalar_text(key.value)] = text
    return found


# Steps ----------------------------------------------------------------------------------


def _steps(job: _Job, steps: Marked | None, out: Collector) -> None:
    consumer = job.consumer
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
            _step_uses(consumer, step, uses, out, job.values)
        elif run is not None:
            step_env = {**job.env, **_environment(step.get("env"), out, job.values)}
            directory = _text(step, "working-directory") or job.directory
            if directory is not None:
                directory = substitute(directory, job.values)
            step_job = _Job(
                consumer,
                step_env,
                _text(step, "shell") or job.shell,
                directory,
                {**job.values, **_env_values(step_env)},
                job.seen,
            )
            _run(step_job, run, out)


def _step_uses(
    consumer: str, step: Marked, uses: Marked, out: Collector, values: Values = _KNOWN
) -> None:
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
        _build_push(consumer, step.get("with"), uses.line, out, values)


def _build_push(
    consumer: str, inputs: Marked | None, line: int, out: Collector, values: Values
) -> None:
    """docker/build-push-action: image (first tag) BUILT_FROM the in-repo Dockerfile.

    ``tags:`` holding only a tag (``latest``) names no image: the image is the one the
    Dockerfile's ``LABEL name`` names, and the job PUBLISHES that Dockerfile (the link
    stage joins the label)."""
    tags = inputs.get("tags") if inputs is not None else None
    if tags is None or tags.value is None:
        return
    first = _first_tag(tags)
    if first is None:
        out.problem(tags.line, "parse-error", "'tags' must be a list or a string of tags")
        return
    # `push: true` publishes the image: what is installed in it ships (the classify stage).
    push = _text(inputs, "push")
    pushed = push is not None and substitute(push, values).strip().lower() == "true"
    file_input = _text(inputs, "file")
    context = _text(inputs, "context")
    file_input = substitute(file_input, values) if file_input else file_input
    context = substitute(context, values) if context else context
    dockerfile = _dockerfile_path(file_input, context)
    tag_text = substitute(str(first.value), values)
    if _only_a_tag(tag_text):
        if pushed and dockerfile is not None:
            how = f"{_BUILD_PUSH} push: true, tags: {tag_text} (the image is named by its LABEL)"
            out.edge(consumer, dockerfile_id(dockerfile), Relation.PUBLISHES, first.line, how)
        return
    cid = _image(first, out, {"published": _BUILD_PUSH} if pushed else None, values)
    if cid is None:
        return
    if dockerfile is None:
        shown = file_input or context or ""
        out.problem(
            line, "unresolved", f"Dockerfile {shown!r} holds an expression or URL; not resolved"
        )
        return
    out.edge(cid, dockerfile_id(dockerfile), Relation.BUILT_FROM, line, _BUILD_PUSH)


def _only_a_tag(text: str) -> bool:
    """``latest``, ``v1.2``: a tag without an image name (no ``/``, ``:`` or ``$``)."""
    text = text.strip()
    return bool(text) and not any(c in text for c in "/:$@")


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


def _run(job: _Job, run: Marked, out: Collector) -> None:
    from audit.shell import scan_script

    if not run.is_str:
        out.problem(run.line, "parse-error", "'run' must be a string")
        return
    shell = job.shell
    if shell and shell.split()[0].rsplit("/", 1)[-1] not in _POSIX_SHELLS:
        return  # pwsh, python, cmd: not shell syntax
    cwd = _clean_path(job.directory) if job.directory is not None else "."
    if "$" in cwd or cwd.startswith(".."):
        cwd_known: str | None = None
    else:
        cwd_known = cwd
    script = substitute(run.value, job.values)
    key = (run.line, script, cwd_known, tuple(sorted(job.env.items())))
    if key in job.seen:
        return
    job.seen.add(key)
    out.scripts.append(
        scan_script(
            script, out.source, run.content_line, job.consumer, NAME, env=job.env, cwd=cwd_known
        )
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
        values = {**_KNOWN, **_defaults(doc.get("inputs"))}
        _steps(_Job(aid, {}, None, None, values, set()), runs.get("steps"), out)
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
