"""The container files read as Docker and Compose read them: Dockerfile, .dockerignore, compose.yaml, secrets.

Docker may not run where the tests run, so these check each file's content
against what the rest of the repository expects: the image's user, base and
entry command; what goes into the image and what never does; the compose
services, their health checks, how they depend on each other and that every
secret comes from a file outside the image and none is written in plain
text; and the script that makes the secrets folder.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from rmo_data.access import accounts
from scripts import container
from tests.deploy import proxy

ROOT = Path(__file__).resolve().parents[2]


# --- Dockerfile -------------------------------------------------------------------------------------

def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    lines, current = [], ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        if not current and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        current += raw.rstrip().removesuffix("\\") + " " if raw.rstrip().endswith("\\") else raw.strip()
        if not raw.rstrip().endswith("\\"):
            lines.append(current)
            current = ""
    out = []
    for line in lines:
        word, _, rest = line.strip().partition(" ")
        out.append((word.upper(), " ".join(rest.split())))
    return out


def instructions(name: str) -> list[str]:
    return [args for word, args in dockerfile() if word == name]


def test_the_base_image_is_a_pinned_slim_python_3_11() -> None:
    froms = instructions("FROM")
    assert froms == ["${PYTHON_IMAGE}"]
    default = next(a for a in instructions("ARG") if a.startswith("PYTHON_IMAGE="))
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.11\.\d+-slim-bookworm", default), default
    assert dockerfile()[0] == ("ARG", default), "the ARG comes before FROM, so FROM can use it"


def test_the_image_installs_the_pinned_requirements_before_copying_the_app() -> None:
    steps = dockerfile()
    copy_req = steps.index(("COPY", "requirements.txt ./"))
    install = next(i for i, (w, a) in enumerate(steps) if w == "RUN" and "pip install -r requirements.txt" in a)
    copy_all = steps.index(("COPY", ". ."))
    assert copy_req < install < copy_all
    pins = [line for line in (ROOT / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    assert pins and all("==" in line for line in pins), "every requirement is pinned"


def test_the_app_runs_as_a_user_that_is_not_root_with_the_uid_the_secrets_need() -> None:
    steps = dockerfile()
    users = [(i, a) for i, (w, a) in enumerate(steps) if w == "USER"]
    assert users and users[-1][1] not in {"root", "0", "0:0"}
    last_run = max(i for i, (w, _) in enumerate(steps) if w == "RUN")
    assert users[-1][0] > last_run, "nothing after the USER line runs as root"
    setup = next(a for w, a in steps if w == "RUN" and "useradd" in a)
    assert f"--uid {container.CONTAINER_UID}" in setup and setup.rstrip().split()[-1] != "root"
    assert re.search(rf"useradd [^&]*--uid {container.CONTAINER_UID} [^&]* {users[-1][1]}\b", setup)
    assert f"APP_UID={container.CONTAINER_UID}" in (ROOT / "deploy" / "make-secrets.sh").read_text()
    # The folders the app writes belong to it; the app's own files do not.
    assert "chown rmo:rmo /var/lib/rmo /srv/rmo/www" in setup


def test_the_entry_command_is_container_py_serve_and_the_health_check_asks_streamlit() -> None:
    assert instructions("WORKDIR") == ["/app"]
    entry = json.loads(instructions("ENTRYPOINT")[-1])
    command = json.loads(instructions("CMD")[-1])
    assert entry == ["python", "/app/scripts/container.py"] and command == ["serve"]
    assert (ROOT / "scripts" / "container.py").is_file()
    health = instructions("HEALTHCHECK")[-1]
    assert health.endswith('CMD ["python", "/app/scripts/container.py", "health"]')
    assert "/_stcore/health" in (ROOT / "scripts" / "container.py").read_text()
    assert instructions("EXPOSE") == [str(container.DEFAULT_PORT)]


def test_the_image_keeps_its_store_and_users_outside_the_app_folder_and_no_secret() -> None:
    env = " ".join(instructions("ENV"))
    assert "RMO_DATABASE_URL=sqlite:////var/lib/rmo/rmo.sqlite" in env
    assert "RMO_USERS_FILE=/var/lib/rmo/users.toml" in env
    assert not re.search(r"SECRET=|PASSWORD=|TOKEN=", env)


# --- .dockerignore ------------------------------------------------------------------------------

def _pattern(pattern: str) -> re.Pattern[str]:
    """Docker's .dockerignore pattern (Go's filepath.Match plus ``**``) as a regular expression."""
    out, i = "", 0
    pattern = pattern.strip("/")
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def left_out(path: str) -> bool:
    """True when .dockerignore keeps ``path`` (relative to the repository) out of the build context."""
    rules = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]  # a folder left out takes its files
    excluded = False
    for rule in rules:
        negated = rule.startswith("!")
        regex = _pattern(rule.removeprefix("!"))
        if any(regex.fullmatch(p) for p in prefixes):
            excluded = not negated
    return excluded


def test_the_dockerignore_matcher_reads_patterns_as_docker_does() -> None:
    assert _pattern("**/*.sqlite").fullmatch("rmo.sqlite") and _pattern("**/*.sqlite").fullmatch("a/b/rmo.sqlite")
    assert _pattern("tests").fullmatch("tests") and not _pattern("tests").fullmatch("tests2")
    assert not _pattern("*.toml").fullmatch("a/users.toml")


def test_everything_the_app_reads_goes_into_the_image() -> None:
    needed = [ROOT / name for name in ("app.py", "asgi.py", "requirements.txt", ".streamlit/config.toml")]
    for folder in ("pages", "components", "rmo_data", "scripts", "assets"):
        needed += [p for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts
                   and p.suffix not in {".pyc", ".sqlite", ".tmp"} and ".sqlite" not in p.name]
    assert len(needed) > 100
    kept_out = [str(p.relative_to(ROOT)) for p in needed if left_out(str(p.relative_to(ROOT)))]
    assert kept_out == []


@pytest.mark.parametrize("path", [
    ".git", ".git/config", "tests/conftest.py", "bench/room.py", "test-output/junit-sqlite.xml",
    "rmo_data/rmo.sqlite", "rmo_data/rmo.sqlite-wal", "rmo_data/rmo.sqlite.20261207T010000Z.bak",
    "rmo_data/rmo.sqlite.tmp", "deploy/secrets/db_password", "deploy/secrets/session_secret",
    ".streamlit/secrets.toml", "users.toml", "config/users.toml", "users.sessions.json", "users.attempts.json",
    ".env", "rmo_data/__pycache__/engine.cpython-311.pyc",
])
def test_secrets_stores_tests_and_history_stay_out_of_the_image(path: str) -> None:
    assert left_out(path)


# --- compose.yaml ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text())  # anchors and << merges resolved
    assert isinstance(loaded, dict)
    return loaded


def _service(compose: dict[str, Any], name: str) -> dict[str, Any]:
    return compose["services"][name]


APP_SERVERS = ("app1", "app2")


def test_the_services_are_the_database_the_build_the_app_servers_and_the_proxy(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"db", "init", *APP_SERVERS, "proxy"}
    init = _service(compose, "init")
    assert init["build"] == "." and init["command"] == ["prepare"]
    first = _service(compose, "app1")
    for name in APP_SERVERS:
        app = _service(compose, name)
        assert app == first, "every app server is the same (compose.yaml's x-app-server)"
        assert app["build"] == "." and app["image"] == init["image"] and app["command"] == ["serve"]


def test_nginx_sends_to_each_app_server_under_its_own_name(compose: dict[str, Any]) -> None:
    # One name for several replicas (deploy.replicas) would break the sticky route: the consistent
    # hash places servers by name, and nginx takes the addresses behind one name in turn.
    servers = proxy.app_servers()
    assert sorted(name for name, _ in servers) == sorted(APP_SERVERS)
    for name, port in servers:
        app = _service(compose, name)
        assert "deploy" not in app and str(port) == app["environment"]["RMO_PORT"]


@pytest.mark.parametrize("service", ["db", "proxy"])
def test_other_images_are_pinned_to_a_release(compose: dict[str, Any], service: str) -> None:
    image = _service(compose, service)["image"]
    assert re.fullmatch(r"[a-z]+:\d+\.\d+(\.\d+)?-[a-z]+", image), f"{image} is not pinned to a release"


def test_only_the_proxy_is_reachable_from_outside(compose: dict[str, Any]) -> None:
    published = {name for name, svc in compose["services"].items() if svc.get("ports")}
    assert published == {"proxy"} and _service(compose, "proxy")["ports"] == ["${RMO_HTTP_PORT:-80}:80"]


def test_every_long_running_service_has_a_health_check(compose: dict[str, Any]) -> None:
    db, app, proxy_svc = (_service(compose, n)["healthcheck"] for n in ("db", "app1", "proxy"))
    assert db["test"][:2] == ["CMD", "pg_isready"] and "-h" in db["test"]  # over TCP: see the comment
    assert app["test"] == ["CMD", "python", "/app/scripts/container.py", "health"]
    assert proxy_svc["test"][-1] == "http://127.0.0.1/_stcore/health"
    assert _service(compose, "init")["healthcheck"] == {"disable": True}, "a one-shot job is never 'healthy'"
    for svc in ("db", *APP_SERVERS, "proxy"):
        assert _service(compose, svc)["restart"] == "unless-stopped"


def test_the_store_is_built_once_before_the_app_servers_start(compose: dict[str, Any]) -> None:
    assert _service(compose, "init")["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in APP_SERVERS:
        assert _service(compose, name)["depends_on"] == {"db": {"condition": "service_healthy"},
                                                         "init": {"condition": "service_completed_successfully"}}
    assert _service(compose, "proxy")["depends_on"] == {
        name: {"condition": "service_healthy", "restart": True} for name in APP_SERVERS}


def test_every_secret_comes_from_a_git_ignored_file_outside_the_image(compose: dict[str, Any]) -> None:
    secrets = compose["secrets"]
    assert set(secrets) == {"db_password", "session_secret", "first_users"}
    for entry in secrets.values():
        assert set(entry) == {"file"} and entry["file"].startswith("./deploy/secrets/")
        assert left_out(entry["file"].removeprefix("./")), "the .dockerignore keeps it out of the image"
    assert "deploy/secrets/" in (ROOT / ".gitignore").read_text().splitlines()
    for name, svc in compose["services"].items():
        given = set(svc.get("secrets", []))
        assert given <= set(secrets)
        env = svc.get("environment") or {}
        read = {str(v).removeprefix("/run/secrets/") for v in env.values() if str(v).startswith("/run/secrets/")}
        assert read == given, f"{name}: every secret it is given is read through a *_FILE variable, and only those"
        for key, value in env.items():
            if re.search(r"PASSWORD|SECRET", key):
                assert key.endswith("_FILE") and str(value).startswith("/run/secrets/"), (name, key)


def test_no_secret_is_written_in_plain_text(compose: dict[str, Any]) -> None:
    for name, svc in compose["services"].items():
        env = svc.get("environment") or {}
        assert isinstance(env, dict), f"{name}: environment as a mapping"
        for key, value in env.items():
            if re.search(r"PASSWORD|SECRET|TOKEN|KEY", key):
                assert key.endswith("_FILE"), f"{name}: {key} must name a file, not hold the value"
            if key.endswith("_URL"):
                assert make_url(str(value)).password is None, f"{name}: {key} carries a password"
    text = (ROOT / "compose.yaml").read_text()
    assert not re.search(r"postgresql\+psycopg://[^@\s]*:[^@\s]*@", text)


def test_the_app_servers_share_one_state_volume_and_the_proxy_gets_the_frontend_files(compose: dict[str, Any]) -> None:
    app, init, proxy_svc = (_service(compose, n) for n in ("app1", "init", "proxy"))
    users_dir = str(Path(app["environment"]["RMO_USERS_FILE"]).parent)
    assert f"state:{users_dir}" in init["volumes"]
    assert all(_service(compose, name)["volumes"] == [f"state:{users_dir}"] for name in APP_SERVERS)
    assert init["environment"]["RMO_USERS_SEED_FILE"] == "/run/secrets/first_users"
    static = init["environment"]["RMO_STATIC_COPY"]
    assert f"static:{static}" in init["volumes"] and f"static:{static}:ro" in proxy_svc["volumes"]
    assert proxy.CONF_ROOT == f"root {static};"
    site_mount = "./deploy/nginx-compose.conf:/etc/nginx/conf.d/default.conf:ro"
    assert site_mount in proxy_svc["volumes"] and (ROOT / "deploy" / "nginx-compose.conf").is_file()
    assert set(compose["volumes"]) == {"pgdata", "state", "static"}


def test_the_app_trusts_forwarded_addresses_only_behind_the_proxy(compose: dict[str, Any]) -> None:
    app = _service(compose, "app1")
    assert app["environment"]["FORWARDED_ALLOW_IPS"] == "*" and not app.get("ports")
    site = proxy.SITE.read_text()
    assert "$proxy_add_x_forwarded_for" not in site and site.count("X-Forwarded-For $remote_addr;") == 3


def test_the_database_takes_its_password_from_the_same_secret(compose: dict[str, Any]) -> None:
    db, app = _service(compose, "db"), _service(compose, "app1")
    assert db["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/db_password"
    url = make_url(app["environment"]["RMO_DATABASE_URL"])
    assert (url.username, url.host, url.database) == (db["environment"]["POSTGRES_USER"], "db",
                                                       db["environment"]["POSTGRES_DB"])


# --- the secrets folder ----------------------------------------------------------------------------

def test_make_secrets_writes_random_private_files_and_never_replaces_one(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    (deploy / "secrets.example").mkdir(parents=True)
    for name in ("make-secrets.sh", "secrets.example/users.toml"):
        (deploy / name).write_bytes((ROOT / "deploy" / name).read_bytes())
    run = ["sh", str(deploy / "make-secrets.sh")]
    done = subprocess.run(run, capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    secrets = deploy / "secrets"
    assert secrets.stat().st_mode & 0o777 == 0o700
    values = {}
    for name in ("db_password", "session_secret", "users.toml"):
        path = secrets / name
        assert path.stat().st_mode & 0o777 == 0o600, name
        if os.geteuid() == 0:
            assert path.stat().st_uid == container.CONTAINER_UID, "as root it gives the files to the app's user"
        values[name] = path.read_text()
    assert re.fullmatch(r"[0-9a-f]{64}\n", values["db_password"]) and re.fullmatch(r"[0-9a-f]{64}\n", values["session_secret"])
    assert values["db_password"] != values["session_secret"]
    env = container.secret_env({"RMO_SESSION_SECRET_FILE": str(secrets / "session_secret"),
                                "RMO_DATABASE_PASSWORD_FILE": str(secrets / "db_password"),
                                "RMO_DATABASE_URL": "postgresql+psycopg://rmo@db:5432/rmo"})
    assert make_url(env["RMO_DATABASE_URL"]).password == values["db_password"].strip()
    assert accounts.load_users(secrets / "users.toml") == {}
    (secrets / "session_secret").write_text("kept\n")
    again = subprocess.run(run, capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path)
    assert again.returncode == 0 and "exists: left as it is" in again.stdout
    assert (secrets / "session_secret").read_text() == "kept\n" and (secrets / "db_password").read_text() == values["db_password"]


def test_the_example_folder_is_committed_and_the_real_one_is_not() -> None:
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse"], capture_output=True, check=False).returncode != 0:
        pytest.skip("not a git checkout")
    ignored = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "deploy/secrets/db_password",
                              "deploy/secrets/users.toml", "deploy/secrets.example/users.toml"],
                             capture_output=True, text=True, check=False).stdout.split()
    assert ignored == ["deploy/secrets/db_password", "deploy/secrets/users.toml"]
    assert "sh deploy/make-secrets.sh" in (ROOT / "deploy" / "secrets.example" / "README.md").read_text()
