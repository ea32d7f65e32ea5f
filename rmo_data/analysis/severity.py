"""The overall severity of one evidence case, from its three UNGP severity ratings.

The build (seed rows) and editors' uploads (``rmo_data.stewardship``) both rate a
case this way, so the stored ``risk_evidence.severity`` means the same wherever
the row came from.
"""

from __future__ import annotations

import math


def case_severity(scale: int, scope: int, irremediability: int) -> int:
    """Overall severity: the mean of the three UNGP ratings, rounded half up."""
    return int(math.floor((scale + scope + irremediability) / 3 + 0.5))
