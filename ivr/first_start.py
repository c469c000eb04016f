"""The Docker image's first start: generate every password and secret not given in the environment.

`python -m ivr.first_start FILE` appends `VARIABLE=value` for each setting of
`config_check.secret_settings` (ARI, AMI, agents, supervisors, `channels.sms.secret`) that neither the
environment nor FILE sets yet, so a later image that knows a new setting, or a new agent, gets its
password too. FILE is created 0600; the values never reach a log line.
"""
from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from acd import file_modes

from .config import load
from .config_check import secret_settings


def missing_variables(file: Path, environ=os.environ) -> list[str]:
    have = set(environ)
    if file.exists():
        have |= {line.split("=", 1)[0] for line in file.read_text().splitlines() if "=" in line}
    return [variable for _, _, variable in secret_settings(load()) if variable not in have]


def generate(file: Path, environ=os.environ) -> list[str]:
    """Append a fresh value for each missing variable; return their names."""
    names = missing_variables(file, environ)
    old = file.read_text() if file.exists() else ""
    file_modes.make_dirs(file.parent, 0o700)
    file_modes.write_private(file, old + "".join(f"{name}={secrets.token_urlsafe(24)}\n" for name in names))
    return names


if __name__ == "__main__":
    made = generate(Path(sys.argv[1]))
    if made:
        print(f"ivr: generated {', '.join(made)} into {sys.argv[1]}", file=sys.stderr)
