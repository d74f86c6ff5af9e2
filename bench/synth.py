"""Build a synthetic repository tree for benchmarks: deterministic for a given size and seed.

The mix is modeled on a C/Go/Python project of the Falco kind: sources with SPDX tags or
license prose in their header, CMake files, Dockerfiles, CI configs, Python/Go/npm
manifests, documentation, data files and binaries. Run as a script::

    python bench/synth.py /tmp/tree-10k 10000
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path

APACHE = """\
Copyright (C) {year} The Synthetic Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
"""

GPL = """\
This program is free software; you can redistribute it and/or modify it
under the terms of the GNU General Public License as published by the Free
Software Foundation; either version 2 of the License, or (at your option)
any later version.
"""

SPDX = ("Apache-2.0", "GPL-2.0-only OR MIT", "MIT", "BSD-3-Clause", "GPL-2.0-only", "Apache-2.0")
WORDS = (
    "event",
    "buffer",
    "parser",
    "sinsp",
    "scap",
    "engine",
    "rule",
    "filter",
    "plugin",
    "driver",
    "probe",
    "table",
    "thread",
    "fd",
    "container",
    "output",
    "config",
    "state",
)


def _body(rng: random.Random, size: int, comment: str) -> str:
    lines: list[str] = []
    total = 0
    while total < size:
        a, b, c = rng.choice(WORDS), rng.choice(WORDS), rng.choice(WORDS)
        kind = rng.randrange(6)
        if kind == 0:
            line = f"{comment} {a} {b} handling for the {c} path"
        elif kind == 1:
            line = f"static int {a}_{b}(struct {c} *p, int n) {{ return p->{a} + n; }}"
        else:
            line = f"    {a}_{b} = {c}_{a}({b}, {rng.randrange(1000)});"
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines) + "\n"


def _header(rng: random.Random, comment: str, block: tuple[str, str] | None) -> str:
    choice = rng.randrange(10)
    if choice < 6:
        return f"{comment} SPDX-License-Identifier: {rng.choice(SPDX)}\n"
    if choice < 8:
        text = (APACHE if choice == 6 else GPL).format(year=2019 + rng.randrange(5))
        if block:
            start, end = block
            inner = "".join(f" * {t}".rstrip() + "\n" for t in text.splitlines())
            return f"{start}\n{inner}{end}\n"
        return "".join(f"{comment} {t}".rstrip() + "\n" for t in text.splitlines())
    return ""  # no notice at all


def _source(ext: str, comment: str, block: tuple[str, str] | None) -> Callable[..., bytes]:
    def make(rng: random.Random) -> bytes:
        size = int(rng.lognormvariate(7.6, 0.9))  # median ~2 KB, long tail
        return (_header(rng, comment, block) + _body(rng, min(size, 200_000), comment)).encode()

    return make


def _binary(rng: random.Random) -> bytes:
    return b"\x7fELF\x02\x01\x01\0" + rng.randbytes(rng.randrange(2_000, 60_000))


def _doc(rng: random.Random) -> bytes:
    return ("# Notes\n\n" + _body(rng, rng.randrange(500, 6000), "")).encode()


def _data(rng: random.Random) -> bytes:
    rows = [f'{{"id": {i}, "name": "{rng.choice(WORDS)}"}}' for i in range(rng.randrange(5, 200))]
    return ("[\n" + ",\n".join(rows) + "\n]\n").encode()


def _dockerfile(rng: random.Random) -> bytes:
    base = rng.choice(("debian:12", "ubuntu:22.04", "fedora:38", "alpine:3.18", "golang:1.21"))
    pkgs = " ".join(rng.sample(("curl", "git", "make", "gcc", "jq", "unzip", "wget"), 3))
    installer = {
        "debian": "apt-get install -y",
        "ubuntu": "apt-get install -y",
        "fedora": "dnf install -y",
        "alpine": "apk add",
        "golang": "apt-get install -y",
    }
    cmd = installer[base.split(":")[0]]
    return (
        f"FROM {base} AS build\nARG VERSION=1.2.{rng.randrange(9)}\n"
        f"RUN {cmd} {pkgs} \\\n    && pip install requests==2.31.0\n"
        "COPY . /src\nRUN make -C /src\n"
        f"FROM {base}\nCOPY --from=build /src/out /usr/bin/\n"
        'LABEL org.opencontainers.image.licenses="Apache-2.0"\n'
    ).encode()


def _workflow(rng: random.Random) -> bytes:
    jobs = []
    for j in range(rng.randrange(1, 5)):
        jobs.append(
            f"  job{j}:\n    runs-on: ubuntu-22.04\n    container: fedora:3{j}\n"
            "    steps:\n      - uses: actions/checkout@v4\n"
            f"      - uses: actions/setup-go@v{4 + j}\n"
            f"      - run: pip install pytest=={7 + j}.0.0 && make test\n"
        )
    return ("name: ci\non: [push, pull_request]\njobs:\n" + "".join(jobs)).encode()


def _circleci(rng: random.Random) -> bytes:
    return (
        b"version: 2.1\norbs:\n  aws-cli: circleci/aws-cli@3.1.4\njobs:\n"
        b"  build:\n    docker:\n      - image: cimg/base:2023.06\n    steps:\n      - checkout\n"
        b"      - run: sudo apt-get install -y cmake\n"
        b"workflows:\n  main:\n    jobs:\n      - build\n"
    )


def _gitlab(rng: random.Random) -> bytes:
    return (
        b"image: python:3.11\nstages: [test]\ntest:\n  stage: test\n"
        b"  script:\n    - pip install tox==4.11.0\n    - tox\n"
    )


def _requirements(rng: random.Random) -> bytes:
    names = rng.sample(("requests", "pyyaml", "jinja2", "click", "pytest", "rich", "attrs"), 4)
    return "".join(f"{n}=={rng.randrange(1, 9)}.{rng.randrange(20)}.0\n" for n in names).encode()


def _gomod(rng: random.Random) -> bytes:
    return (
        "module github.com/synthetic/mod\n\ngo 1.21\n\nrequire (\n"
        f"\tgithub.com/spf13/cobra v1.{rng.randrange(9)}.0\n\tgolang.org/x/sys v0.14.0\n)\n"
    ).encode()


def _package_json(rng: random.Random) -> bytes:
    return (
        '{\n  "name": "synthetic-ui",\n  "version": "1.0.0",\n  "license": "MIT",\n'
        f'  "dependencies": {{"react": "18.2.{rng.randrange(9)}", "lodash": "^4.17.21"}}\n}}\n'
    ).encode()


def _pyproject(rng: random.Random) -> bytes:
    return (
        '[project]\nname = "synthetic"\nversion = "0.1.0"\n'
        f'dependencies = ["requests>=2.{rng.randrange(30)}", "click==8.1.7"]\n'
    ).encode()


def _cmake(rng: random.Random) -> bytes:
    v = f"1.{rng.randrange(9)}.{rng.randrange(9)}"
    return (
        "cmake_minimum_required(VERSION 3.12)\nproject(synthetic C CXX)\n"
        "include(ExternalProject)\n"
        f"ExternalProject_Add(zlib URL https://github.com/madler/zlib/archive/v{v}.tar.gz)\n"
        "add_library(core STATIC core.c)\n"
    ).encode()


def _shell(rng: random.Random) -> bytes:
    return (
        "#!/bin/sh\n# SPDX-License-Identifier: Apache-2.0\nset -e\n" + _body(rng, 800, "#")
    ).encode()


# (weight, directory-free file name or extension, maker)
MIX: tuple[tuple[float, str, Callable[[random.Random], bytes]], ...] = (
    (30.0, ".c", _source(".c", "//", ("/*", " */"))),
    (12.0, ".h", _source(".h", "//", ("/*", " */"))),
    (14.0, ".go", _source(".go", "//", None)),
    (12.0, ".py", _source(".py", "#", None)),
    (4.0, ".ts", _source(".ts", "//", ("/*", " */"))),
    (3.0, ".sh", _shell),
    (6.0, ".md", _doc),
    (5.0, ".json", _data),
    (7.0, ".o", _binary),
    (2.0, ".png", _binary),
    (1.5, "CMakeLists.txt", _cmake),
    (0.4, "Dockerfile", _dockerfile),
    (0.5, "requirements.txt", _requirements),
    (0.2, "go.mod", _gomod),
    (0.2, "package.json", _package_json),
    (0.2, "pyproject.toml", _pyproject),
)


def build(root: Path, count: int, seed: int = 7) -> int:
    """Write ``count`` files under ``root`` (created); returns the bytes written."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    weights = [w for w, _, _ in MIX]
    written = 0
    fixed: dict[str, Callable[[random.Random], bytes]] = {
        ".circleci/config.yml": _circleci,
        ".gitlab-ci.yml": _gitlab,
        **{f".github/workflows/ci{i}.yml": _workflow for i in range(12)},
    }
    for rel, make in fixed.items():
        written += _write(root / rel, make(rng))
    dirs: list[str] = []
    n = len(fixed)
    index = 0
    while n < count:
        if not dirs or rng.random() < 0.012:
            depth = rng.randrange(1, 5)
            dirs.append("/".join(f"{rng.choice(WORDS)}{rng.randrange(40)}" for _ in range(depth)))
        directory = rng.choice(dirs[-30:])
        _, name, make = rng.choices(MIX, weights)[0]
        index += 1
        fname = f"{rng.choice(WORDS)}_{index}{name}" if name.startswith(".") else name
        path = root / directory / fname
        if path.exists():
            continue
        written += _write(path, make(rng))
        n += 1
    return written


def _write(path: Path, data: bytes) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
    return len(data)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("root", type=Path)
    p.add_argument("count", type=int)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    if args.root.exists() and any(args.root.iterdir()):
        print(f"{args.root} exists and is not empty", file=sys.stderr)
        return 2
    size = build(args.root, args.count, args.seed)
    print(f"{args.count} files, {size / 1e6:.1f} MB in {os.fspath(args.root)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
