"""License facts: in-repo notices and texts, kernel strings, source grouping, resolution."""
