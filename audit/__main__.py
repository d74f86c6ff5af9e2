"""``python -m audit`` runs the depaudit command line."""

from audit.cli import main

raise SystemExit(main())
