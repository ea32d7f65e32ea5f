"""Command line: ``python -m rmo_data build [--url URL]``, ``backup``, ``restore``, ``synth`` and ``users``.

``build`` prints a clear list of problems (file, line, column, message) and
exits with status 2 when the input files are invalid; nothing is written in
that case.  ``synth`` builds the real store at a URL and adds a seeded
synthetic data set of the same schema for benchmarking (see ``rmo_data.ingest.synth``).
``backup [--url URL] FILE`` writes the whole store to one portable file while the app
runs, and ``restore [--url URL] FILE`` puts one back (``rmo_data.store.backup``); each
prints one plain sentence and exits with status 2 when the file or address is at
fault, 3 when the store or the system is.
``users add|list|remove|unlock`` manages the local sign-in users file (see
``rmo_data.access.accounts``) and ``users revoke-sessions`` ends every sign-in kept
by a browser (``rmo_data.access.sessions``); a password is read from a prompt (typed twice, not shown)
or from standard input with ``--password-stdin``, never from the command line.

Each command imports the modules it needs when it runs (start-up cost, not a cycle:
``users`` never loads the build or the synthetic-store code).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from pathlib import Path

from rmo_data.ingest.seeds import SeedError

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
    backup_p = sub.add_parser("backup", help="write the whole store to one backup file (the app may keep running)")
    backup_p.add_argument("--url", help="database URL (default: RMO_DATABASE_URL or rmo_data/rmo.sqlite)")
    backup_p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    backup_p.add_argument("file", type=Path, help="backup file to write (a zip)")
    restore_p = sub.add_parser("restore", help="replace the store with the contents of a backup file")
    restore_p.add_argument("--url", help="database URL (default: RMO_DATABASE_URL or rmo_data/rmo.sqlite)")
    restore_p.add_argument("file", type=Path, help="backup file written by the backup command")
    synth_p = sub.add_parser("synth", help="build a store with synthetic materials added, for benchmarks")
    synth_p.add_argument("--url", required=True,
                         help="database URL to write (its reference tables are replaced)")
    synth_p.add_argument("--materials", type=int, default=100, help="synthetic materials to add")
    synth_p.add_argument("--evidence", type=int, default=200_000, help="risk-evidence rows to add")
    synth_p.add_argument("--production", type=int, default=50_000, help="production rows to add")
    synth_p.add_argument("--seed", type=int, default=42, help="random seed (same seed, same rows)")
    _add_users_parser(sub)
    args = parser.parse_args(argv)

    if args.command == "users":
        return _users(args)

    if args.command in {"backup", "restore"}:
        return _backup_or_restore(args)

    if args.command == "synth":
        from rmo_data.ingest.synth import synthesise

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
        from rmo_data import faults
        from rmo_data.ingest.build import StoreUnavailable, build
        from rmo_data.store.engine import BAD_URL, database_url, shown_url, usable_url
        from rmo_data.ingest.seeds import SEED_DIR

        if not usable_url(database_url(args.url)):
            print(f"Build not started: {BAD_URL}. Nothing was changed.", file=sys.stderr)
            return 2
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
        except StoreUnavailable as err:
            why = {"busy": "another program holds its write lock; try again when it is done",
                   "read_only": "it cannot be opened for writing (check the file's and folder's permissions)"}
            print(f"Build stopped; the store was not changed: {why.get(err.status, err.status)}.",
                  file=sys.stderr)
            return 3
        except faults.WRITE_ERRORS as err:
            print(f"Build stopped because {faults.sentence(err)}; the previous store was left as it "
                  "was and no temporary file is left behind.", file=sys.stderr)
            return 3
        rows = sum(report.counts.values())
        print(f"Built {shown_url(report.url)} with {rows} rows in {len(report.counts)} tables "
              f"in {report.seconds:.1f} s.")
        if report.kept is not None:
            print(f"The previous store file was kept as {report.kept}.")
        if report.recovered is not None:
            print(f"The previous store was damaged: {report.recovered} user rows (scenarios, workshops, "
                  "plans, audit log) could be read from it and were carried over.")
        _print_change_sets(report.url)
        return 0
    return 1


def _backup_or_restore(args: argparse.Namespace) -> int:
    """Run ``backup`` or ``restore``; every refusal is one sentence on stderr, never a traceback."""
    from rmo_data.store import backup as store_backup

    def progress(step: str, fraction: float) -> None:
        print(f"[{fraction:4.0%}] {step}", file=sys.stderr, flush=True)

    try:
        if args.command == "backup":
            made = store_backup.backup(args.url, args.file, replace=args.force, progress=progress)
            info = made.manifest
            print(f"Backed up {len(info['tables'])} tables ({made.rows} rows, schema revision "
                  f"{info['schema_revision']}) to {made.path} in {made.seconds:.1f} s.")
            return 0
        done = store_backup.restore(args.url, args.file, progress=progress)
    except store_backup.BackupError as err:
        if args.command == "backup":
            print(f"Backup not written: {err}.", file=sys.stderr)
        else:
            print(f"Restore stopped; the store was left as it was: {err}.", file=sys.stderr)
        return 2 if err.bad_input else 3
    info = done.manifest
    moved = (f", brought from schema revision {info['schema_revision']} to {done.revision}"
             if info["schema_revision"] != done.revision else f" at schema revision {done.revision}")
    print(f"Restored {done.url} from the backup of {info['created_at']} ({done.rows} rows in "
          f"{len(info['tables'])} tables{moved}) in {done.seconds:.1f} s.")
    if done.kept is not None:
        print(f"The store file it replaced was kept as {done.kept}.")
    return 0


def _print_change_sets(url: str) -> None:
    """Say which editors' change sets the build wrote again (and which it could not)."""
    import json

    from rmo_data.store.engine import make_engine
    from rmo_data.store.queries import build_info

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
def _add_users_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    users_p = sub.add_parser("users", help="manage the users who may sign in (partner, editor)")
    # --file may stand before the action or after it (README: "add --file PATH to any of them"):
    # each action's parser takes it too, with SUPPRESS so that an absent one keeps the outer value.
    file_help = "users file (default: RMO_USERS_FILE or ~/.config/rmo-leverage/users.toml)"
    users_p.add_argument("--file", type=Path, default=None, help=file_help)
    file_opt = argparse.ArgumentParser(add_help=False)
    file_opt.add_argument("--file", type=Path, default=argparse.SUPPRESS, help=file_help)
    actions = users_p.add_subparsers(dest="action", required=True)
    add_p = actions.add_parser("add", parents=[file_opt],
                               help="add a user, or with --replace set a new password or role")
    add_p.add_argument("name", help="user name (letters, digits and . _ @ + -; case does not matter)")
    add_p.add_argument("--role", required=True, choices=["partner", "editor"])
    add_p.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of standard input")
    add_p.add_argument("--replace", action="store_true", help="replace an existing user of that name")
    actions.add_parser("list", parents=[file_opt], help="list users and their roles (never passwords or hashes)")
    remove_p = actions.add_parser("remove", parents=[file_opt], help="remove a user")
    remove_p.add_argument("name")
    unlock_p = actions.add_parser("unlock", parents=[file_opt], help="forget a user name's failed sign-ins")
    unlock_p.add_argument("name")
    revoke_p = actions.add_parser("revoke-sessions", parents=[file_opt],
                                  help="sign everyone out (a new signing key), or with NAME one user")
    revoke_p.add_argument("name", nargs="?", help="only this user's sign-ins end (in every browser)")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise ValueError("The two passwords differ.")
    return first


def _session_file(users: Path) -> Path:
    """The session state file that belongs to the users file ``users``."""
    from rmo_data.access import accounts, sessions

    return sessions.state_file({**os.environ, accounts.USERS_ENV: str(users)})


def _users(args: argparse.Namespace) -> int:
    from rmo_data.access import accounts, sessions

    path = (args.file.expanduser() if args.file else accounts.users_file())
    try:
        if args.action == "add":
            user = accounts.add_user(path, args.name, args.role, _read_password(args.password_stdin),
                                 replace_existing=args.replace)
            print(f"{'Saved' if args.replace else 'Added'} {user.name} ({user.role}) in {path}.")
        elif args.action == "list":
            users = accounts.load_users(path)
            if not users:
                print(f"No users in {path}.")
            for user in sorted(users.values(), key=lambda u: u.name):
                print(f"{user.name}\t{user.role}\tadded {user.created or 'unknown'}")
        elif args.action == "remove":
            if not accounts.remove_user(path, args.name):
                print(f"No user {accounts.normalise_name(args.name)!r} in {path}.", file=sys.stderr)
                return 1
            # Their kept sign-ins end for good: a name added again later does not revive them.
            sessions.bump_generation(_session_file(path), args.name)
            print(f"Removed {accounts.normalise_name(args.name)} from {path}.")
        elif args.action == "unlock":
            env = {**os.environ, accounts.USERS_ENV: str(path)}
            accounts.unlock(args.name, accounts.attempts_file(env))
            print(f"Failed sign-ins of {accounts.normalise_name(args.name)} forgotten.")
        elif args.action == "revoke-sessions" and args.name:
            sessions.bump_generation(_session_file(path), args.name)
            print(f"{accounts.normalise_name(args.name)} is signed out in every browser; they sign in "
                  "again at their next click.")
        elif args.action == "revoke-sessions":
            state = _session_file(path)
            count = sessions.revoke_all(state, accounts.load_users(path))
            print(f"Everyone is signed out ({count} user{'s' if count != 1 else ''}): a new signing key "
                  f"is in {state}. Each person signs in again at their next click.")
    except (ValueError, OSError) as err:  # UsersFileError is a ValueError
        print(f"Not done: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
