# The two commands of the README: `make run` and `make test`. Both install what is
# missing on a fresh Debian 12 machine (run as root), then do their job.
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
SYSTEM_PACKAGES := debootstrap sip-tester python3-venv espeak-ng sox postgresql chromium chromium-driver
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup system-packages run test bench down

setup: system-packages $(VENV)/.installed

system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

$(VENV)/.installed: pyproject.toml | system-packages
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test,speech-test]'
	touch $@

run: setup
	ivr pbx up
	@echo
	@echo "The IVR answers on 127.0.0.1:5060 (UDP): 100 support line, 101 after hours, 199 line test."
	@echo "Point a softphone at sip:100@127.0.0.1, or place a test call on the line test:"
	@echo "  sipp 127.0.0.1:5060 -sf ivr/testing/scenarios/caller_dtmf1.xml -s 199 -i 127.0.0.1 -p 5070 -m 1 -d 2000"
	@echo "Agents register as agent1..agent4 (passwords in ivr.yaml). Stop with Ctrl-C; then 'ivr pbx down'."
	@echo
	exec ivr serve

test: setup
	pytest

bench: setup
	python bench/calls.py --concurrent 100 --rate 20

down:
	ivr pbx down
