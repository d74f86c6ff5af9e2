"""The installed license database for tests, or a skip naming how to install it."""

from __future__ import annotations

from functools import cache

import pytest

from audit.licenses import matcher as db


@cache
def licensedb_matcher() -> db.Matcher:
    m = db.default_matcher()
    if m is None:
        pytest.skip("licensedcode-data is not installed (pip install 'depaudit[licensedb]')")
    return m
