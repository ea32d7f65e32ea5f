"""RMO data layer: schema, build, queries and metrics for the RMO Leverage Explorer.

This package never imports streamlit, so it can be used from scripts, tests
and the command line (``python -m rmo_data build``).
"""
