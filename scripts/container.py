"""The container's entry command (``Dockerfile``, ``compose.yaml``): secrets from files, the store, the app.

Usage inside the image, where it is the ``ENTRYPOINT`` (``rmo`` is a short
form of ``python scripts/container.py rmo``)::

    python scripts/container.py serve [STREAMLIT OPTIONS]  # the app on 0.0.0.0:8501 (the image's command)
    python scripts/container.py prepare                     # make the store ready (compose's "init" service)
    python scripts/container.py health                      # the image's HEALTHCHECK
    python scripts/container.py rmo ARGS...                 # python -m rmo_data ARGS (users add ana ...)

Docker hands secrets to a container as files (``/run/secrets/NAME``) while the
app reads environment variables, so every command first turns these into
what the app reads (``secret_env``):

* ``RMO_SESSION_SECRET_FILE``: its content becomes ``RMO_SESSION_SECRET``, the
  key that signs the sign-in cookie.  Every replica must sign with the same
  key, or a browser moved to another replica would be signed out.
* ``RMO_DATABASE_PASSWORD_FILE``: its content becomes the password of
  ``RMO_DATABASE_URL``, which names the server, database and user but no
  password, so that the password is in no file of the image or the compose
  file and in no log line.

``serve`` builds a store that is missing before the server listens (a lone
container's first start); under compose ``prepare`` has done it already, as
it runs once before the app servers start: it waits for the database
server, builds the store when it is missing or a build stopped half-way, and
otherwise brings it to the newest schema revision (``ensure_store``); it puts
the first users file in place from ``RMO_USERS_SEED_FILE`` when the state
folder has none yet; and it copies Streamlit's frontend files, with a
gzipped copy beside each text file, to ``RMO_STATIC_COPY`` for nginx to
serve from disk (``deploy/nginx-compose.conf``).  Every step may run again
at each start: none of them rebuilds or overwrites what is already right.

Messages are plain sentences on standard error; a failure exits with status
2 (a setting or a file is wrong) or 3 (the store could not be made ready).
"""

from __future__ import annotations

import gzip
import os
import shutil
import sys
import time
import urllib.request
from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SESSION_SECRET_ENV = "RMO_SESSION_SECRET"
SESSION_SECRET_FILE_ENV = "RMO_SESSION_SECRET_FILE"
DATABASE_ENV = "RMO_DATABASE_URL"
PASSWORD_FILE_ENV = "RMO_DATABASE_PASSWORD_FILE"
USERS_SEED_ENV = "RMO_USERS_SEED_FILE"
STATIC_COPY_ENV = "RMO_STATIC_COPY"
PORT_ENV = "RMO_PORT"
WAIT_ENV = "RMO_PREPARE_WAIT_S"
DEFAULT_PORT = 8501
SECRET_MIN = 32  # characters: `python -c "import secrets; print(secrets.token_urlsafe(32))"` gives 43
# Text files of the frontend that nginx sends gzipped (gzip_static); fonts in woff2 and images are compressed already.
COMPRESSIBLE = (".js", ".css", ".html", ".json", ".svg", ".map", ".txt", ".ttf", ".woff")
CONTAINER_UID = 10001  # the image's user (Dockerfile); named in the hint for unreadable secret files


class SetupError(RuntimeError):
    """A setting or a secret file is wrong; the message is a sentence for whoever runs the containers."""


def _say(line: str) -> None:
    print(f"container: {line}", file=sys.stderr, flush=True)


def _read_secret(path_text: str, what: str) -> str:
    """The content of a secret file without its final line break; SetupError naming the file otherwise."""
    path = Path(path_text)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SetupError(f"The {what} file {path} does not exist: put it in deploy/secrets/ "
                         "(see deploy/secrets.example/).") from None
    except PermissionError:
        raise SetupError(f"The {what} file {path} cannot be read by the app's user (uid {CONTAINER_UID}): "
                         f"on the host, run `sudo chown {CONTAINER_UID} deploy/secrets/*`.") from None
    except UnicodeDecodeError:
        raise SetupError(f"The {what} file {path} is not text (UTF-8).") from None
    except OSError as err:
        raise SetupError(f"The {what} file {path} cannot be read ({err.strerror or 'unknown error'}).") from None
    value = text.rstrip("\r\n")
    if not value.strip():
        raise SetupError(f"The {what} file {path} is empty.")
    return value


def secret_env(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with the secrets read from their files into the variables the app reads.

    Raises SetupError when a named file is missing, unreadable or empty, when
    the session secret is shorter than ``SECRET_MIN`` characters, or when a
    password file is given for a store that takes no password (a SQLite file).
    """
    out = dict(env)
    secret_file = out.pop(SESSION_SECRET_FILE_ENV, "")
    if secret_file:
        secret = _read_secret(secret_file, "session secret").strip()
        if len(secret) < SECRET_MIN:
            raise SetupError(f"The session secret in {secret_file} has {len(secret)} characters; it needs "
                             f"at least {SECRET_MIN}. Make one with: python -c \"import secrets; "
                             "print(secrets.token_urlsafe(32))\"")
        out[SESSION_SECRET_ENV] = secret
    password_file = out.pop(PASSWORD_FILE_ENV, "")
    if password_file:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        url_text = out.get(DATABASE_ENV, "").strip()
        try:
            url = make_url(url_text)
        except ArgumentError:
            raise SetupError(f"{DATABASE_ENV} is not a database address of the form "
                             "postgresql+psycopg://USER@HOST:PORT/DATABASE.") from None
        if url.get_backend_name() == "sqlite" or not url.host:
            raise SetupError(f"{PASSWORD_FILE_ENV} is set, but {DATABASE_ENV} names no database server "
                             "(a SQLite file takes no password).")
        if url.password:
            raise SetupError(f"{DATABASE_ENV} carries a password and {PASSWORD_FILE_ENV} is set too: "
                             "keep the password in the file only.")
        password = _read_secret(password_file, "database password")
        out[DATABASE_ENV] = url.set(password=password).render_as_string(hide_password=False)
    return out


def serve_args(env: Mapping[str, str], extra: Sequence[str] = ()) -> list[str]:
    """The command that runs the app: ``scripts/serve.py`` on every address, headless; ``extra`` last (it wins)."""
    port = env.get(PORT_ENV, "").strip() or str(DEFAULT_PORT)
    return [sys.executable, str(ROOT / "scripts" / "serve.py"),
            "--server.address", "0.0.0.0", "--server.port", port, "--server.headless", "true",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *extra]


def healthy(env: Mapping[str, str], timeout_s: float = 4.0) -> bool:
    """True when this container's app answers 200 on Streamlit's ``/_stcore/health``."""
    port = env.get(PORT_ENV, "").strip() or str(DEFAULT_PORT)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=timeout_s) as answer:
            return answer.status == 200
    except OSError:
        return False


# --- prepare ---------------------------------------------------------------------------------------

def _wait_s(env: Mapping[str, str]) -> float:
    try:
        return max(0.0, float(env.get(WAIT_ENV, "60")))
    except ValueError:
        return 60.0


# What stops ``prepare`` for a store that is there but cannot be used now; nothing is changed.
_UNUSABLE = {
    "read_only": "cannot be written by the app's user (uid {uid}): check the owner of its volume",
    "bad_url": "is not a database address this app can use (RMO_DATABASE_URL)",
    # Not waited for: a wrong password stays wrong however long the start waits.
    "refused": ("turned the app's sign-in down: the user name, or the password in the db_password "
                "secret, does not match the database server's"),
    "corrupt": ("cannot be read as a store of this app; nothing was changed. Rebuild it with "
                "`docker compose run --rm init rmo build`, which keeps what it can read"),
}


def prepare_store(env: Mapping[str, str]) -> str:
    """Wait for the database server, then build or migrate the store; return one line saying what was done.

    SetupError when the store cannot be made ready (its message says why, with no password in it).
    """
    from sqlalchemy.exc import ArgumentError

    from rmo_data import faults
    from rmo_data.ingest.build import StoreUnavailable, ensure_store
    from rmo_data.ingest.seeds import SeedError
    from rmo_data.store.engine import shown_url, store_status

    url = env.get(DATABASE_ENV) or None
    try:
        where = shown_url(url)
    except ArgumentError:
        raise SetupError(f"{DATABASE_ENV} is not a database address (for example "
                         "postgresql+psycopg://USER@HOST:PORT/DATABASE).") from None
    deadline = time.monotonic() + _wait_s(env)
    status = store_status(url)
    # The database container may still be starting (compose waits for its health check, a
    # restarted server may not): wait for it rather than fail the whole start.
    while status in {"unreachable", "busy"} and time.monotonic() < deadline:
        time.sleep(1.0)
        status = store_status(url)
    if status in {"unreachable", "busy"}:
        raise SetupError(f"The store at {where} is {'not reachable' if status == 'unreachable' else 'busy'} "
                         f"after {_wait_s(env):g} s: check the database server and its password.")
    if status in _UNUSABLE:
        raise SetupError(f"The store at {where} {_UNUSABLE[status].format(uid=CONTAINER_UID)}.")
    try:
        after = ensure_store(url)
    except SeedError as err:
        raise SetupError(f"The store was not built: {len(err.problems)} problem(s) in the seed files; "
                         "nothing was changed.") from None
    except StoreUnavailable as err:
        raise SetupError(f"The store at {where} was not built: it is {err.status.replace('_', '-')}.") from None
    except faults.WRITE_ERRORS as err:
        raise SetupError(f"The store at {where} could not be made ready because {faults.sentence(err)}.") from None
    except Exception:  # noqa: BLE001 - a migration that refuses: said as a sentence, as the app's page does
        raise SetupError(f"The store at {where} could not be brought up to date with this version of the app: "
                         "its tables are not those of a known version (a store of a newer version?). "
                         "Nothing was changed.") from None
    if after != "ok":
        raise SetupError(f"The store at {where} is {after} after the build; nothing more was done.")
    if status in {"missing", "empty"}:
        return f"built the store at {where} ({'it was missing' if status == 'missing' else 'a build had stopped'})"
    return f"the store at {where} is at the newest schema revision"


def build_if_missing(env: Mapping[str, str]) -> None:
    """Before the server listens: build a store that is missing (the first start of a lone container).

    A store that exists is left to ``scripts/serve.py`` (it migrates it) and a
    store that cannot be reached or built now to the app's first page, which
    says what is wrong in a sentence and offers to try again; so this never
    stops the server from starting.
    """
    from rmo_data.store.engine import store_status

    if store_status(env.get(DATABASE_ENV) or None) not in {"missing", "empty"}:
        return
    try:
        _say(prepare_store(env))
    except SetupError as err:
        _say(f"{err} The app starts anyway and says so on its first page.")


def seed_users(env: Mapping[str, str]) -> str | None:
    """Copy ``RMO_USERS_SEED_FILE`` to ``RMO_USERS_FILE`` when that has none yet; say what was done.

    A seed without users (the example's) is not copied.  A users file already
    in place is never replaced: from the first start on it is managed with
    ``rmo users ...`` inside a container, on the volume every replica shares.
    """
    from rmo_data.access import accounts

    seed_text = env.get(USERS_SEED_ENV, "")
    if not seed_text:
        return None
    target = accounts.users_file(env)
    if target.exists():
        try:
            count = len(accounts.load_users(target))
        except accounts.UsersFileError:
            raise SetupError(f"The users file {target} cannot be read as a users file; sign-in will fail "
                             "until it is repaired or removed.") from None
        return f"the users file {target} is in place ({count} users); the first-users file is not used"
    seed = Path(seed_text)
    if seed.exists() and not os.access(seed, os.R_OK):
        raise SetupError(f"The first users file {seed} cannot be read by the app's user (uid {CONTAINER_UID}): "
                         f"on the host, run `sudo chown {CONTAINER_UID} deploy/secrets/*`.")
    try:
        users = accounts.load_users(seed)  # empty when the file does not exist
    except accounts.UsersFileError:
        raise SetupError(f"The first users file {seed} is not a users file of this app (make one with "
                         "`python -m rmo_data users add NAME --role editor --file FILE`).") from None
    if not users:
        return f"no users in {seed}: add the first one with `rmo users add NAME --role editor`"
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    accounts.write_private_file(target, seed.read_text(encoding="utf-8"))
    return f"copied {len(users)} users from {seed} to {target}"


def _atomic_copy(source: Path, target: Path, compress: bool) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    with source.open("rb") as src:
        out = gzip.open(tmp, "wb", compresslevel=9) if compress else tmp.open("wb")
        with out:
            shutil.copyfileobj(src, out)
    os.chmod(tmp, 0o644)  # nginx's worker runs as another user
    os.replace(tmp, target)


def copy_static(target: Path) -> int:
    """Streamlit's frontend files copied under ``target``, each text file with a ``.gz`` beside it.

    A file whose copy already has the original's modification time is left
    alone, so a restart costs almost nothing; a new Streamlit version brings
    new file names.  Returns how many files were written.
    """
    import streamlit

    source = Path(streamlit.__file__).parent / "static"
    written = 0
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        dest = target / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        mtime = path.stat().st_mtime
        outputs = [(dest, False)]
        if path.suffix in COMPRESSIBLE:
            outputs.append((dest.with_name(dest.name + ".gz"), True))
        for out, compress in outputs:
            try:
                if int(out.stat().st_mtime) == int(mtime):
                    continue
            except FileNotFoundError:
                pass
            _atomic_copy(path, out, compress)
            os.utime(out, (mtime, mtime))  # the .gz carries the original's time, as gzip -k leaves it
            written += 1
    return written


def prepare(env: Mapping[str, str]) -> list[str]:
    """Every step of ``prepare``; returns one line per step done."""
    lines = [prepare_store(env)]
    try:
        users = seed_users(env)
    except OSError as err:
        raise SetupError(f"The first users could not be put in place: {err.strerror or err}.") from None
    if users:
        lines.append(users)
    static = env.get(STATIC_COPY_ENV, "")
    if static:
        started = time.perf_counter()
        try:
            written = copy_static(Path(static))
        except OSError as err:
            raise SetupError(f"The frontend files could not be copied to {static} for the proxy: "
                             f"{err.strerror or err}.") from None
        lines.append(f"frontend files for the proxy in {static}: {written} written "
                     f"in {time.perf_counter() - started:.1f} s")
    return lines


# --- the command line ------------------------------------------------------------------------------

USAGE = ("usage: python scripts/container.py serve [STREAMLIT OPTIONS] | prepare | health | rmo ARGS...\n"
         "  serve    the app on 0.0.0.0, port RMO_PORT (8501)\n"
         "  prepare  build the store when missing, migrate it otherwise; first users; files for the proxy\n"
         "  health   exit 0 when the app answers on /_stcore/health\n"
         "  rmo      python -m rmo_data with the secrets read (e.g. rmo users add ana --role partner)")


def main(argv: Sequence[str], environ: MutableMapping[str, str] | None = None) -> int:
    """Run one command; ``serve`` and ``rmo`` replace this process (exec), the others return a status."""
    environ = os.environ if environ is None else environ
    if not argv or argv[0] in {"-h", "--help"}:
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], list(argv[1:])
    if command == "health":
        return 0 if healthy(environ) else 1
    if command not in {"serve", "prepare", "rmo"}:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        env = secret_env(environ)
    except SetupError as err:
        _say(str(err))
        return 2
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if command == "prepare":
        try:
            for line in prepare(env):
                _say(line)
        except SetupError as err:
            _say(str(err))
            return 3
        return 0
    os.chdir(ROOT)  # Streamlit reads .streamlit/config.toml from the working folder
    if command == "serve":
        build_if_missing(env)
        args = serve_args(env, rest)
    else:
        args = [sys.executable, "-m", "rmo_data", *rest]
    # exec: the app becomes this process, so `docker stop` (SIGTERM) reaches Streamlit itself.
    os.execve(args[0], args, env)
    return 0  # pragma: no cover - execve does not return


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
