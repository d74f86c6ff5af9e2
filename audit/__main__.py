"""``python -m audit`` runs the depaudit command line."""

import os
import sys

# `python -m` puts the working directory first on sys.path. depaudit is often run from
# inside the repository it audits, and a module there (yaml.py, requests.py...) must never
# be imported in place of depaudit's own dependencies. The audit package itself is already
# loaded, and its submodules are found through its own __path__.
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from audit.cli import run

run()
