"""Command line: ``python -m rmo_data build [--url URL]`` and ``python -m rmo_data synth``.

``build`` prints a clear list of problems (file, line, column, message) and
exits with status 2 when the input files are invalid; nothing is written in
that case.  ``synth`` builds the real store at a URL and adds a seeded
synthetic data set of the same schema for benchmarking (see ``rmo_data.synth``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from rmo_data.seeds import SeedError

# ``RMO_BUILD_PAUSE_AT=<step>`` makes ``build`` stop at that progress step (e.g. "Wrote
# risk_evidence", inside the write transaction) and wait to be killed: the tests use it
# to kill a build half-way at a known point instead of guessing with sleeps.
PAUSE_ENV = "RMO_BUILD_PAUSE_AT"
PAUSED_MARK = "[paused]"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the chosen command; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m rmo_data",
                                     description="Build and maintain the RMO store.")
    sub = parser.add_subparsers(dest="command", required=True)
    build_p = sub.add_parser("build", help="validate the seed and source files and write the store")
    build_p.add_argument("--url", help="database URL (default: RMO_DATABASE_URL or rmo_data/rmo.sqlite)")
    build_p.add_argument("--seeds", type=Path, default=None,
                         help="folder of seed files (default: rmo_data/seed)")
    synth_p = sub.add_parser("synth", help="build a store with synthetic materials added, for benchmarks")
    synth_p.add_argument("--url", required=True,
                         help="database URL to write (its reference tables are replaced)")
    synth_p.add_argument("--materials", type=int, default=100, help="synthetic materials to add")
    synth_p.add_argument("--evidence", type=int, default=200_000, help="risk-evidence rows to add")
    synth_p.add_argument("--production", type=int, default=50_000, help="production rows to add")
    synth_p.add_argument("--seed", type=int, default=42, help="random seed (same seed, same rows)")
    args = parser.parse_args(argv)

    if args.command == "synth":
        from rmo_data.synth import synthesise

        try:
            synth = synthesise(args.url, materials=args.materials, evidence=args.evidence,
                               production=args.production, seed=args.seed,
                               progress=lambda step, fraction: print(f"[{fraction:4.0%}] {step}",
                                                                     file=sys.stderr))
        except (SeedError, ValueError) as err:
            print(f"Synthetic store not written: {err}", file=sys.stderr)
            return 2
        print(f"Built {synth.url} with {sum(synth.added.values())} synthetic rows "
              f"({synth.added.get('risk_evidence', 0)} evidence, {synth.added.get('production', 0)} "
              f"production, {synth.added.get('material', 0)} materials) in {synth.seconds:.1f} s.")
        return 0

    if args.command == "build":
        from rmo_data.build import build
        from rmo_data.seeds import SEED_DIR

        pause_at = os.environ.get(PAUSE_ENV, "")

        def progress(step: str, fraction: float) -> None:
            print(f"[{fraction:4.0%}] {step}", file=sys.stderr, flush=True)
            if pause_at and step == pause_at:
                # Test hook: stop here, mid-write, until killed (tests/test_faults.py).
                print(f"{PAUSED_MARK} {step}", file=sys.stderr, flush=True)
                while True:
                    time.sleep(3600)

        try:
            report = build(args.url, seed_dir=args.seeds or SEED_DIR, progress=progress)
        except SeedError as err:
            print(f"Build stopped; the store was not changed.\n{err}", file=sys.stderr)
            return 2
        rows = sum(report.counts.values())
        print(f"Built {report.url} with {rows} rows in {len(report.counts)} tables "
              f"in {report.seconds:.1f} s.")
        _print_change_sets(report.url)
        return 0
    return 1


def _print_change_sets(url: str) -> None:
    """Say which editors' change sets the build wrote again (and which it could not)."""
    import json

    from rmo_data.engine import make_engine
    from rmo_data.queries import build_info

    engine = make_engine(url)
    try:
        summary = build_info(engine=engine).get("change_sets")
    finally:
        engine.dispose()
    if not summary:
        return
    info = json.loads(summary)
    if info["reapplied"]:
        print(f"Re-applied editors' change sets {', '.join(map(str, info['reapplied']))} "
              f"({info['rows']} rows; {info['differed']} differed from the recorded state before the edit).")
    for set_id, note in info["skipped"].items():
        print(f"Change set {set_id} {note}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
