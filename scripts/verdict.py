"""Print the one verdict line that ends ``scripts/test.sh``: both pytest runs summed up.

Reads the JUnit XML files pytest wrote for each run, e.g.
``SQLite: 469 passed · PostgreSQL: 315 passed, 12 skipped · RESULT: PASS``.
A run whose file is missing (it did not start, or crashed) counts as failed.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def counts(path: Path) -> dict[str, int] | None:
    """passed / failed / errors / skipped / xfailed of one JUnit XML file, or None when it cannot be read."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        for key in total:
            total[key] += int(suite.get(key, 0))
    # pytest writes an expected failure as a skip of type "pytest.xfail": count it as what it is.
    xfailed = sum(1 for skip in root.iter("skipped") if skip.get("type") == "pytest.xfail")
    return {"passed": total["tests"] - total["failures"] - total["errors"] - total["skipped"],
            "failed": total["failures"], "errors": total["errors"],
            "skipped": total["skipped"] - xfailed, "xfailed": xfailed}


def describe(found: dict[str, int] | None, note: str) -> str:
    """``469 passed, 2 failed, 12 skipped`` (zero counts left out but for passed), or the note."""
    if found is None:
        return note
    parts = [f"{found['passed']} passed"]
    parts += [f"{found[key]} {key}" for key in ("failed", "errors", "skipped", "xfailed") if found[key]]
    return ", ".join(parts)


def main(argv: list[str]) -> int:
    """``verdict.py STATUS SQLITE_XML PG_XML PG_NOTE``: print the line; exit with STATUS."""
    status, sqlite_xml, pg_xml, pg_note = int(argv[0]), Path(argv[1]), Path(argv[2]), argv[3]
    sqlite = counts(sqlite_xml)
    pg = counts(pg_xml)
    bad = status != 0 or sqlite is None or any((c or {}).get(k) for c in (sqlite, pg) for k in ("failed", "errors"))
    print(f"SQLite: {describe(sqlite, 'did not run')} · PostgreSQL: {describe(pg, pg_note)} · "
          f"RESULT: {'FAIL' if bad else 'PASS'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
