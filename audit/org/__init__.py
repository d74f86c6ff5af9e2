"""``depaudit org``: many repositories audited at once, each exactly as ``depaudit scan``
audits it, and the cross-project report built from their recorded runs.

- :mod:`audit.org.targets` — which repositories: a folder of repositories, or a list file
  of local trees and git URLs with refs.
- :mod:`audit.org.task` — one repository's audit as plain data in (``RepoTask``) and out
  (``RepoOutcome``), run in a child process bounded in time and memory.
- :mod:`audit.org.child` — that child: obtains the tree (a git URL through the hardened
  git of :mod:`audit.safegit`), skips it when its digest is unchanged, else runs
  ``depaudit scan`` on it.
- :mod:`audit.org.executors` — where tasks run: a local pool, or Dask distributed.
- :mod:`audit.org.run` — the run: tasks out, outcomes recorded in the history database.
- :mod:`audit.org.crossreport` — the cross-project report (``depaudit org report``).
"""

DEFAULT_TIMEOUT = 600.0
"""Seconds one repository may take (fetch and audit), by default (``--repo-timeout``)."""
DEFAULT_MEMORY_MB = 4096
"""Address space one repository's audit may use, by default (MiB, ``--memory``)."""
