#!/bin/sh
# Container start: credentials, Asterisk's config from the service config, Asterisk, then the controller.
#
# The image ships no working password. Every password and secret not given in the environment
# (IVR_ARI_PASSWORD, IVR_AMI_PASSWORD, IVR_AGENTS_<ID>_PASSWORD, IVR_SUPERVISORS_<ID>_PASSWORD,
# IVR_CHANNELS_SMS_SECRET) is generated at the first start into /var/lib/ivr/secrets/credentials.env
# (mode 0600, keep /var/lib/ivr on a volume) and reused after; one that a newer image or a new agent
# adds is appended at the next start. Read the agents' passwords there to provision their phones.
set -eu
umask 077
. "$(dirname "$0")/ivr-secrets"
ivr pbx config /etc/asterisk
mkdir -p /var/lib/ivr/prompts /var/spool/asterisk/recording
chown -R asterisk:asterisk /etc/asterisk /var/lib/asterisk /var/log/asterisk /var/spool/asterisk /run/asterisk
chmod 750 /etc/asterisk /var/spool/asterisk/recording
chmod 755 /var/lib/ivr/prompts
asterisk -U asterisk -G asterisk
exec ivr serve
