"""The Makefile reader (audit/shell/makefile.py): variables, rules, recipes, expansion."""

from __future__ import annotations

import pytest

from audit.shell.makefile import Context, parse, recipes

MAKEFILE = """\
REPO ?= quay.io/acme
NAME := app
TAG = $(VERSION)-$(ARCH)
VERSION := 1.0
SRC := $(shell pwd)
FLAGS = -a \\
\t-b
ifeq ($(X),1)
COND := yes
endif
export PUSHER ?= docker

all: build

build: check ## Build the image.
\t$(PUSHER) build -t $(REPO)/$(NAME):$(TAG) -f $(SRC)/build/Dockerfile .

check:
\t@echo checking $@ $$HOME $(COND) $(FLAGS)

push: build
\t-$(PUSHER) push $(REPO)/$(NAME):$(TAG)
\t$(MAKE) -C sub other

%.o: %.c
\tcc -c $<
"""


def _run(targets: list[str], overrides: dict[str, str] | None = None, **env: str) -> list:
    ctx = Context(overrides or {}, env, "tools")
    return [(line, target, text) for line, target, text in recipes(parse(MAKEFILE), targets, ctx)]


def test_default_target_runs_prerequisites_first() -> None:
    assert _run([]) == [
        (19, "check", "echo checking check $HOME ${COND} -a -b"),
        (
            16,
            "build",
            "docker build -t quay.io/acme/app:1.0-${ARCH} -f tools/build/Dockerfile .",
        ),
    ]


@pytest.mark.parametrize(
    ("overrides", "env", "pushed"),
    [
        # ?= takes the environment's value; the command line beats everything
        ({}, {"REPO": "localhost:5001"}, "docker push localhost:5001/app:1.0-${ARCH}"),
        ({"NAME": "other"}, {"NAME": "ignored"}, "docker push quay.io/acme/other:1.0-${ARCH}"),
        # := and = in the Makefile beat the environment
        ({}, {"VERSION": "9"}, "docker push quay.io/acme/app:1.0-${ARCH}"),
        # a name the Makefile does not set comes from the environment
        ({}, {"ARCH": "amd64"}, "docker push quay.io/acme/app:1.0-amd64"),
    ],
)
def test_variable_precedence(overrides: dict[str, str], env: dict[str, str], pushed: str) -> None:
    lines = _run(["push"], overrides, **env)
    assert [t for t in lines if t[1] == "push"] == [
        (22, "push", pushed),
        (23, "push", "make -C sub other"),
    ]


def test_each_target_once_and_unknown_targets_run_nothing() -> None:
    assert [t[1] for t in _run(["push", "build", "missing"])] == ["check", "build", "push", "push"]


def test_functions_other_than_shell_stay_as_written() -> None:
    mk = parse("X := $(or $(A),b)\nY := $(shell uname -m)\nt:\n\techo $(X) $(Y)\n")
    assert recipes(mk, ["t"], Context({}, {}, ".")) == [(4, "t", "echo $(or $(A),b) $(uname -m)")]
