# Sourced by the entrypoint: generate the missing passwords and secrets (0600), then export them all.
# IVR_STATE_DIR and IVR_PYTHON only move it elsewhere (a unit test runs it in a temporary folder).
secrets_file="${IVR_STATE_DIR:-/var/lib/ivr}/secrets/credentials.env"
(umask 077 && "${IVR_PYTHON:-/opt/venv/bin/python}" -m ivr.first_start "$secrets_file")
set -a
. "$secrets_file"
set +a
