"""Workshops: ``lifecycle`` (create, submit, close, read), ``participants`` (codes, names, tokens),
``group_result`` (the pure aggregation) and ``records`` (the frozen record and its exports)."""
