#!/bin/sh
# Container start: render Asterisk's config from the service config, start Asterisk, run the controller.
set -eu
ivr pbx config /etc/asterisk
mkdir -p /var/lib/ivr/prompts /var/spool/asterisk/recording
chown -R asterisk:asterisk /etc/asterisk /var/lib/asterisk /var/log/asterisk /var/spool/asterisk /run/asterisk
chmod 755 /var/lib/ivr/prompts
asterisk -U asterisk -G asterisk
exec ivr serve
