"""depaudit: dependency and license audit for open-source repositories."""

__version__ = "0.1.0"
