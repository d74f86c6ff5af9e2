"""The words of the policy: execution contexts and distribution models.

A module of its own, with nothing but the two enumerations and their value lists, so that
the command line can offer them as choices without loading the data model or the policy
(``depaudit --version`` and ``--help`` stay cheap). :mod:`audit.model` re-exports both.
"""

from __future__ import annotations

import enum


class Context(str, enum.Enum):
    """Where a component's code runs (the policy's execution contexts).

    Stages keep plain strings in their records (``.value``), so JSON and text output do
    not change; this enum is the one list of the words.
    """

    KERNEL_MODULE = "kernel-module"
    EBPF = "ebpf"
    USERSPACE = "userspace"
    BUILD = "build"
    TEST = "test"
    CI = "ci"
    DOCUMENTATION = "documentation"
    """Documentation content (the CC-BY-4.0 rule)."""


class Distribution(str, enum.Enum):
    """How a component reaches users: the distribution models, in the CNCF license
    exception request form's words (plain strings in records, as for :class:`Context`)."""

    DISTRIBUTED = "distributed"
    USER_FETCHED = "user-fetched"
    SYSTEM_COMPONENT = "system-component"
    INTERNAL_TOOLING = "internal-tooling"


CONTEXTS: tuple[str, ...] = tuple(c.value for c in Context)
"""Every execution context's word, in declaration order."""
DISTRIBUTIONS: tuple[str, ...] = tuple(d.value for d in Distribution)
"""Every distribution model's word, in declaration order."""
