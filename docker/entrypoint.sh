#!/bin/sh
# Container start: credentials, Asterisk's config from the service config, Asterisk, then the controller.
#
# The image ships no working password. Every password not given in the environment (IVR_ARI_PASSWORD,
# IVR_AMI_PASSWORD, IVR_AGENTS_<ID>_PASSWORD) is generated at the first start into
# /var/lib/ivr/secrets/credentials.env (mode 0600, keep /var/lib/ivr on a volume) and reused after.
# Read the agents' passwords there to provision their phones.
set -eu
umask 077
secrets=/var/lib/ivr/secrets/credentials.env
mkdir -p /var/lib/ivr/secrets
if [ ! -s "$secrets" ]; then
  /opt/venv/bin/python - "$secrets" <<'PY'
import os, secrets, sys
from ivr.config import agent_password_variable, load
names = ["IVR_ARI_PASSWORD", "IVR_AMI_PASSWORD"] + [agent_password_variable(a.id) for a in load().agents]
with open(sys.argv[1], "w") as out:
    for name in names:
        if name not in os.environ:
            out.write(f"{name}={secrets.token_urlsafe(24)}\n")
PY
  echo "ivr: generated the missing passwords into $secrets" >&2
fi
set -a
. "$secrets"
set +a
ivr pbx config /etc/asterisk
mkdir -p /var/lib/ivr/prompts /var/spool/asterisk/recording
chown -R asterisk:asterisk /etc/asterisk /var/lib/asterisk /var/log/asterisk /var/spool/asterisk /run/asterisk
chmod 750 /etc/asterisk /var/spool/asterisk/recording
chmod 755 /var/lib/ivr/prompts
asterisk -U asterisk -G asterisk
exec ivr serve
