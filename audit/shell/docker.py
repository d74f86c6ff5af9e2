"""Container images: ``run``, ``create``, ``pull``, ``build`` and ``push`` of docker, podman,
nerdctl. A pushed image is marked ``published`` (the classify stage: what is in it ships)."""

from __future__ import annotations

import posixpath
from dataclasses import replace

from audit.components import (
    ImageRef,
    dockerfile_id,
    image_component,
    parse_image_ref,
    partial_image_ref,
)
from audit.model import Component, Edge, Evidence, Relation
from audit.shell.options import Arg, last, options, positionals
from audit.shell.record import Recorder, in_cwd
from audit.shell.words import short

_GLOBAL_LONG = frozenset(
    {"--host", "--log-level", "--context", "--config", "--tlscacert", "--tlscert", "--tlskey"}
)
_RUN_SHORT = "acehlmpuvw"
_RUN_LONG = frozenset(
    {
        "--attach", "--add-host", "--annotation", "--blkio-weight", "--blkio-weight-device",
        "--cap-add", "--cap-drop", "--cgroup-parent", "--cgroupns", "--cidfile",
        "--cpu-period", "--cpu-quota", "--cpu-rt-period", "--cpu-rt-runtime",
        "--cpu-shares", "--cpus", "--cpuset-cpus", "--cpuset-mems", "--device",
        "--device-cgroup-rule", "--device-read-bps", "--device-read-iops",
        "--device-write-bps", "--device-write-iops", "--dns", "--dns-option", "--dns-opt",
        "--dns-search", "--domainname", "--entrypoint", "--env", "--env-file", "--expose",
        "--gpus", "--group-add", "--health-cmd", "--health-interval", "--health-retries",
        "--health-start-period", "--health-start-interval", "--health-timeout",
        "--hostname", "--ip", "--ip6", "--ipc", "--isolation", "--kernel-memory", "--label",
        "--label-file", "--link", "--link-local-ip", "--log-driver", "--log-opt",
        "--mac-address", "--memory", "--memory-reservation", "--memory-swap",
        "--memory-swappiness", "--mount", "--name", "--network", "--net",
        "--network-alias", "--net-alias", "--oom-score-adj", "--pid", "--pids-limit",
        "--platform", "--publish", "--pull", "--restart", "--runtime", "--security-opt",
        "--shm-size", "--stop-signal", "--stop-timeout", "--storage-opt", "--sysctl",
        "--tmpfs", "--ulimit", "--user", "--userns", "--uts", "--volume", "--volume-driver",
        "--volumes-from", "--workdir", "--detach-keys", "--cgroup-conf", "--secret",
        "--arch", "--os", "--variant", "--pod", "--tz",
    }
)  # fmt: skip
_BUILD_SHORT = "tfmco"
_BUILD_LONG = frozenset(
    {
        "--tag", "--file", "--build-arg", "--label", "--target", "--platform", "--network",
        "--add-host", "--cache-from", "--cache-to", "--iidfile", "--cgroup-parent",
        "--secret", "--ssh", "--output", "--progress", "--shm-size", "--ulimit", "--memory",
        "--memory-swap", "--cpu-shares", "--cpu-period", "--cpu-quota", "--cpuset-cpus",
        "--cpuset-mems", "--isolation", "--security-opt", "--build-context", "--builder",
        "--metadata-file", "--annotation", "--allow", "--call", "--attest",
    }
)  # fmt: skip


def docker(rec: Recorder, args: list[Arg], full: list[Arg]) -> None:
    top = options(args, "Hlc", _GLOBAL_LONG, stop=True)
    pos = positionals(top)
    if not pos:
        return
    sub = pos[0].value
    rest = pos[1:]
    if sub in ("buildx", "image", "container", "builder") and rest:
        sub = rest[0].value
        rest = rest[1:]
    if sub in ("run", "create"):
        opts = options(rest, _RUN_SHORT, _RUN_LONG, stop=True)
        _runs_in(rec, positionals(opts)[:1], full)
    elif sub == "pull":
        opts = options(rest, "", {"--platform"}, stop=True)
        _runs_in(rec, positionals(opts)[:1], full)
    elif sub in ("build", "b"):
        _build(rec, rest, full)
    elif sub == "push":
        opts = options(rest, "", {"--platform"}, stop=True)
        for arg in positionals(opts)[:1]:
            comp = _image(rec, arg, full, {"published": "docker push"})
            if comp is not None and _local_registry(comp.name):
                # a registry on the CI machine itself (kind's localhost:5001): not published
                comp = image_component_local(comp)
            if comp is not None:
                rec.components.append(comp)


_LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]", "0.0.0.0")


def _local_registry(name: str) -> bool:
    """The image lives in a registry on the machine that pushes it (``localhost:5001/x``)."""
    host = name.split("/", 1)[0] if "/" in name else ""
    return host.split(":", 1)[0] in _LOCAL_HOSTS or host.startswith("[::1]")


def image_component_local(comp: Component) -> Component:
    """``comp`` pushed to a local registry: marked ``pushed-locally``, not ``published``."""
    props = tuple((k, v) for k, v in comp.properties if k != "published")
    return replace(comp, properties=tuple(sorted((*props, ("pushed-locally", "docker push")))))


def _image(
    rec: Recorder, arg: Arg, full: list[Arg], props: dict[str, str] | None = None
) -> Component | None:
    """The image ``arg`` names, also when only its tag is unknown (the tag stays unresolved,
    the image is known); None (and a problem) when which image it is cannot be read."""
    ev = rec.evidence(arg.line)
    if arg.value is None:
        partial = partial_image_ref(arg.partial)
        if partial is None:
            rec.unresolved(arg, full)
            return None
        return image_component(partial[0], (ev,), props, unresolved_tag=partial[1])
    ref = _image_ref(rec, arg, full)
    return image_component(ref, (ev,), props) if ref is not None else None


def _image_ref(rec: Recorder, arg: Arg, full: list[Arg]) -> ImageRef | None:
    """The image reference ``arg`` names; None (and a problem) when it cannot be read."""
    if arg.value is None:
        rec.unresolved(arg, full)
        return None
    ref = parse_image_ref(arg.value)
    if ref is None:
        rec.problem(arg.line, "parse-error", f"`{short(arg.value, 80)}` is not an image reference")
    return ref


def _runs_in(rec: Recorder, images: list[Arg], full: list[Arg]) -> None:
    for arg in images:
        comp = _image(rec, arg, full)
        if comp is not None:
            rec.emit(comp, Relation.RUNS_IN, comp.evidence[0])


def _build(rec: Recorder, args: list[Arg], full: list[Arg]) -> None:
    """``docker build -t TAG [-f FILE] CONTEXT``: the tagged image, built from the Dockerfile."""
    opts = options(args, _BUILD_SHORT, _BUILD_LONG)
    pos = positionals(opts)
    context = pos[0] if pos else None
    file_opt = last(opts, "-f", "--file")
    dockerfile: str | None = None
    if file_opt is not None and file_opt.value is not None:
        if file_opt.value.value is None:
            rec.unresolved(file_opt.value, full)
        elif file_opt.value.value != "-":
            dockerfile = in_cwd(rec, file_opt.value.value)
    elif context is not None:
        if context.value is None:
            rec.unresolved(context, full)
        elif context.value != "-" and "://" not in context.value:
            dockerfile = in_cwd(rec, posixpath.join(context.value, "Dockerfile"))
    pushed = any(o.flag == "--push" or (o.flag == "--output" and _pushes(o.value)) for o in opts)
    props = {"built-by": "docker build"}
    if pushed:
        props["published"] = "docker buildx build --push"
    for o in opts:
        if o.flag not in ("-t", "--tag") or o.value is None:
            continue
        comp = _image(rec, o.value, full, props)
        if comp is None:
            continue
        rec.components.append(comp)
        if dockerfile is not None:
            ev: Evidence = comp.evidence[0]
            edge = Edge(
                comp.id, dockerfile_id(dockerfile), Relation.BUILT_FROM, ev, "docker build -t"
            )
            rec.edges.append(edge)


def _pushes(value: Arg | None) -> bool:
    """``--output type=registry`` (or ``push=true``) pushes the image it builds."""
    text = (value.value or "") if value is not None else ""
    return "type=registry" in text or "push=true" in text
