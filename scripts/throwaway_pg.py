"""A throw-away PostgreSQL server for the benchmarks: a cluster in a temporary folder, on loopback.

The same steps as ``scripts/test.sh`` takes for the test suite's PostgreSQL run
(Debian's server binaries, trust on loopback only, fsync off because the data
is thrown away), as a context manager for Python::

    with throwaway_pg.server() as url:   # postgresql+psycopg://postgres@127.0.0.1:PORT/rmo
        ...

As root the cluster runs as the ``postgres`` user (initdb and postgres refuse
root).  Raises ``PgUnavailable`` with a plain reason when there is no server
binary or it does not start.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


class PgUnavailable(RuntimeError):
    """PostgreSQL cannot be started here (the message says why)."""


def _bin_dir() -> Path:
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").exists():
            return Path(folder)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PgUnavailable("PostgreSQL's server binaries are not installed (Debian: apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server(database: str = "rmo", max_connections: int = 200, password: str | None = None) -> Iterator[str]:
    """Start a cluster, make ``database``, yield its SQLAlchemy URL; stop and delete it afterwards.

    With ``password`` the cluster asks every connection for it (scram-sha-256, as a
    production server does) instead of trusting loopback, and the URL carries it.
    """
    bindir = _bin_dir()
    folder = Path(tempfile.mkdtemp(prefix="rmo-bench-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        if subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
            subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
        shutil.chown(folder, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = folder / "data"

    env = {**os.environ, "PGPASSWORD": password} if password else None

    def run(*cmd: str) -> None:
        done = subprocess.run([*as_user, *cmd], capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise PgUnavailable(f"{Path(cmd[0]).name} failed: {(done.stderr or done.stdout).strip()[-300:]}")

    started = False
    try:
        auth = ["-A", "trust"]
        if password:
            pwfile = folder / "pwfile"
            pwfile.write_text(password + "\n")
            if as_user:  # initdb reads it as the postgres user
                shutil.chown(pwfile, "postgres")
            auth = ["-A", "scram-sha-256", f"--pwfile={pwfile}"]
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", *auth, "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync", "--no-instructions")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "-t", "60", "-o",
            f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c synchronous_commit=off "
            f"-c full_page_writes=off -c max_connections={max_connections}", "start")
        started = True
        run(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", database)
        user = f"postgres:{password}" if password else "postgres"
        yield f"postgresql+psycopg://{user}@127.0.0.1:{port}/{database}"
    finally:
        if started:
            subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                           capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
