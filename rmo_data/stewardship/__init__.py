"""Data stewardship: editors' uploads, checks, changes and rollbacks."""
