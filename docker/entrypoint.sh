#!/bin/sh
# Container start: render Asterisk's config from the service config, start Asterisk, run the controller.
set -eu
ivr pbx config /etc/asterisk
chown -R asterisk:asterisk /etc/asterisk /var/lib/asterisk /var/log/asterisk /var/spool/asterisk /run/asterisk
asterisk -U asterisk -G asterisk
exec ivr serve
