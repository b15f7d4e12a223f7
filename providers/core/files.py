"""Atomic file writes: readers see the old file or the new one, never half of either.

The text goes to a temporary file in the target's directory, is flushed to
disk, and is renamed onto the target (or linked, when an existing file must not
be replaced); the directory is flushed too so the rename survives a crash.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_atomically(
    path: Path, text: str, *, mode: int | None = None, replace: bool = True
) -> bool:
    """Write ``text`` (UTF-8) to ``path`` atomically; True if written.

    ``mode``: the file's permission bits; by default those of the file it
    replaces, or for a new file what ``open()`` gives (0o666 less the umask).
    ``replace=False`` never touches an existing file: it returns False instead.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None and replace and path.exists():
        mode = path.stat().st_mode & 0o7777
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            if mode is not None:
                os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if the file exists: never overwrites
            except FileExistsError:
                return False
    finally:
        tmp.unlink(missing_ok=True)  # after a rename: already gone
    _sync_directory(path.parent)
    return True


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
