#!/bin/sh
# Make deploy/secrets/ for compose.yaml: a random database password and session secret, and the
# first users file from deploy/secrets.example/. A file that exists is never replaced.
# Run from anywhere: sh deploy/make-secrets.sh  (as root it also gives the files to uid 10001).
set -eu
cd "$(dirname "$0")"
umask 077
APP_UID=10001  # the image's user (Dockerfile)
mkdir -p secrets
chmod 700 secrets

random_line() {  # 32 random bytes as 64 hexadecimal characters: no character a URL or a shell treats specially
  od -An -N32 -tx1 /dev/urandom | tr -d ' \n'
  echo
}

for name in db_password session_secret; do
  if [ -e "secrets/$name" ]; then
    echo "deploy/secrets/$name exists: left as it is."
  else
    random_line > "secrets/$name"
    echo "deploy/secrets/$name: written (a random value)."
  fi
done
if [ -e secrets/users.toml ]; then
  echo "deploy/secrets/users.toml exists: left as it is."
else
  cp secrets.example/users.toml secrets/users.toml
  echo "deploy/secrets/users.toml: copied from the example (no users yet)."
fi
chmod 600 secrets/db_password secrets/session_secret secrets/users.toml

if [ "$(id -u)" -eq 0 ]; then
  chown "$APP_UID:$APP_UID" secrets/db_password secrets/session_secret secrets/users.toml
  echo "The files now belong to uid $APP_UID, the app's user in the containers."
else
  echo "Now give them to the app's user in the containers: sudo chown $APP_UID:$APP_UID deploy/secrets/*"
fi
