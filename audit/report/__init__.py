"""Render stage: a report (or an inventory) -> bytes in one format, one module per format."""
