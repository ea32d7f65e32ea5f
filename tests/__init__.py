"""Test suite of the RMO Leverage Explorer."""
