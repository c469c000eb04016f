"""Restrictive modes for files that hold callers' data, whatever the process umask.

Recordings, the store and mail attachments are created with these modes: directories 0750 (the
service user, and its group: Asterisk's in the local PBX, which writes recordings), files 0640
(recordings, which the group may need to read) or 0600 (the store, attachments, export side-cars).
"""
from __future__ import annotations

import os
from pathlib import Path

PRIVATE_DIR = 0o750
SHARED_FILE = 0o640
PRIVATE_FILE = 0o600


def make_dirs(path: Path, mode: int = PRIVATE_DIR) -> Path:
    """mkdir -p; each directory this call creates gets `mode` (those that existed keep theirs)."""
    path = Path(path)
    missing = [p for p in [path, *path.parents] if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for directory in missing:
        os.chmod(directory, mode)
    return path


def write_private(path: Path, data: bytes | str, mode: int = PRIVATE_FILE) -> None:
    """Write a new file that is never readable beyond `mode`, not even for a moment."""
    raw = data.encode() if isinstance(data, str) else data
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), mode)  # an existing file keeps its mode through O_CREAT: set it
        out.write(raw)


def restrict(path: Path, mode: int) -> None:
    """Take away what `mode` does not grant (a file another user created stays as it is if we may not)."""
    try:
        os.chmod(path, mode)
    except PermissionError:
        pass
