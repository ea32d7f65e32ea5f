"""Analysis: pure functions over frames (metrics, scoring, findings)."""
