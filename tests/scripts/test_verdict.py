"""The verdict line of scripts/test.sh, read from real JUnit files that pytest writes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts import verdict

def _junit(tmp_path: Path, name: str, body: str) -> Path:
    """Run pytest on a small test file of ``body`` and return the JUnit file it wrote."""
    test_file = tmp_path / f"test_{name}.py"
    test_file.write_text("import pytest\n" + body)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the project's settings
    out = tmp_path / f"{name}.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file),
                    f"--junitxml={out}"], cwd=tmp_path, capture_output=True, check=False)
    assert out.exists()
    return out


def test_both_runs_counted_and_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sqlite = _junit(tmp_path, "a", "def test_1(): pass\ndef test_2(): pass\n")
    pg = _junit(tmp_path, "b", "def test_1(): pass\n@pytest.mark.skip(reason='x')\ndef test_2(): pass\n"
                               "@pytest.mark.xfail(strict=True, reason='y')\ndef test_3(): assert False\n")
    assert verdict.main(["0", str(sqlite), str(pg), "did not run"]) == 0
    assert capsys.readouterr().out.strip() == (
        "SQLite: 2 passed · PostgreSQL: 1 passed, 1 skipped, 1 xfailed · RESULT: PASS")


def test_a_failure_anywhere_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sqlite = _junit(tmp_path, "a", "def test_1(): pass\n")
    pg = _junit(tmp_path, "b", "def test_1(): assert False\ndef test_2(): pass\n")
    assert verdict.main(["0", str(sqlite), str(pg), "did not run"]) == 1
    assert capsys.readouterr().out.strip() == (
        "SQLite: 1 passed · PostgreSQL: 1 passed, 1 failed · RESULT: FAIL")


def test_a_missing_run_is_named_and_a_missing_sqlite_run_fails(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    sqlite = _junit(tmp_path, "a", "def test_1(): pass\n")
    assert verdict.main(["0", str(sqlite), str(tmp_path / "no.xml"), "no test among the chosen ones"]) == 0
    assert capsys.readouterr().out.strip() == (
        "SQLite: 1 passed · PostgreSQL: no test among the chosen ones · RESULT: PASS")
    assert verdict.main(["0", str(tmp_path / "no.xml"), str(sqlite), "x"]) == 1
    assert "RESULT: FAIL" in capsys.readouterr().out
    assert verdict.main(["2", str(sqlite), str(sqlite), "x"]) == 1  # pytest's own exit status counts
