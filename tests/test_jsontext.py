"""audit.report.jsontext: the report's JSON text, byte for byte ``json.dumps(indent=2)``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.report.jsontext import dumps

_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text()
_KEYS = st.text() | st.integers() | st.booleans() | st.none() | st.floats()
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.tuples(inner, inner)
        | st.dictionaries(_KEYS, inner, max_size=5)
    ),
    max_leaves=40,
)


@settings(max_examples=400)
@given(_VALUES, st.booleans())
def test_same_text_as_the_standard_encoder(value: Any, ascii_only: bool) -> None:
    assert dumps(value, ensure_ascii=ascii_only) == json.dumps(
        value, indent=2, ensure_ascii=ascii_only
    )


def test_a_report_shaped_document() -> None:
    doc = {
        "schema": "depaudit/report/1",
        "summary": {"components": 2, "worst": None, "by_status": {}},
        "components": [
            {
                "id": "pypi:flask@2.0",
                "evidence": [{"path": "req.txt", "line": 3, "text": "flask==2.0 # é"}],
                "properties": {},
                "classification": [],
            }
        ],
        "warnings": [],
    }
    assert dumps(doc, ensure_ascii=False) == (
        "{\n"
        '  "schema": "depaudit/report/1",\n'
        '  "summary": {\n'
        '    "components": 2,\n'
        '    "worst": null,\n'
        '    "by_status": {}\n'
        "  },\n"
        '  "components": [\n'
        "    {\n"
        '      "id": "pypi:flask@2.0",\n'
        '      "evidence": [\n'
        "        {\n"
        '          "path": "req.txt",\n'
        '          "line": 3,\n'
        '          "text": "flask==2.0 # é"\n'
        "        }\n"
        "      ],\n"
        '      "properties": {},\n'
        '      "classification": []\n'
        "    }\n"
        "  ],\n"
        '  "warnings": []\n'
        "}"
    )


@pytest.mark.parametrize("value", [{"a": {1, 2}}, [object()], {(1, 2): 1}])
def test_what_json_cannot_hold_raises_type_error(value: Any) -> None:
    with pytest.raises(TypeError):
        dumps(value)
