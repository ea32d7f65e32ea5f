# The RMO Leverage Explorer as a container image: the app served by scripts/serve.py on port 8501.
#
#   docker compose up -d                      # the whole set: PostgreSQL, two app servers, nginx (compose.yaml)
#   docker build -t rmo-leverage-explorer .   # the image alone; then, on a SQLite store in a volume:
#   docker run -d -p 8501:8501 -v rmo-state:/var/lib/rmo rmo-leverage-explorer
#
# The entry command is scripts/container.py: it reads the secrets that Docker mounts as files
# into the variables the app reads, then runs scripts/serve.py bound to 0.0.0.0 ("serve"), or
# makes the store ready ("prepare"), checks health ("health") or runs python -m rmo_data ("rmo").
# Alone, "serve" builds a missing store before the server listens; under compose the "init"
# service builds it once, before the app servers start ("prepare").

# The Python the test suite runs on (3.11.7), on Debian 12 like the development machine.
# PYTHON_IMAGE names another base (a mirror, a newer 3.11 patch release) without editing this file.
ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm
FROM ${PYTHON_IMAGE}

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Debian's Chromium, headless: Plotly draws its charts' PNG and SVG downloads with it (kaleido,
# which starts it with --no-sandbox, as a container needs). About 250 MB; without it the two Plotly
# charts say in a sentence that they cannot be saved as images here, and keep their CSV and XLSX.
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium \
 && rm -rf /var/lib/apt/lists/*

# The app's own user, with a fixed uid: secret files on the host are given to uid 10001
# (compose mounts them with their host owner and mode). /var/lib/rmo holds what the app
# writes (a SQLite store, the users file, sign-in state); /srv/rmo/www the files for nginx.
RUN groupadd --gid 10001 rmo \
 && useradd --uid 10001 --gid rmo --no-log-init --home-dir /home/rmo --create-home --shell /usr/sbin/nologin rmo \
 && mkdir -p /var/lib/rmo /srv/rmo/www \
 && chown rmo:rmo /var/lib/rmo /srv/rmo/www \
 && chmod 0700 /var/lib/rmo

WORKDIR /app

# The pinned requirements first, so this layer is built again only when they change.
COPY requirements.txt ./
RUN pip install -r requirements.txt

# The app, owned by root and read-only for its user (.dockerignore leaves out tests, the
# benchmark, local stores and secrets). Compiled once here: the user cannot write /app.
COPY . .
RUN python -m compileall -q app.py asgi.py pages components rmo_data scripts \
 && printf '#!/bin/sh\n# python -m rmo_data with the secrets read: rmo users add ana --role partner\nexec python /app/scripts/container.py rmo "$@"\n' \
      > /usr/local/bin/rmo \
 && chmod 0755 /usr/local/bin/rmo

ENV RMO_DATABASE_URL=sqlite:////var/lib/rmo/rmo.sqlite \
    RMO_USERS_FILE=/var/lib/rmo/users.toml \
    RMO_PORT=8501

USER rmo
EXPOSE 8501
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "/app/scripts/container.py", "health"]
ENTRYPOINT ["python", "/app/scripts/container.py"]
CMD ["serve"]
