"""Atomic file writes with explicit permissions: secrets are never briefly world-readable."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from crypto.errors import CryptoError

PRIVATE = 0o600
PUBLIC = 0o644


class InsecureFileError(CryptoError):
    """A secret file can be read by other users of the machine."""


def write_atomic(path: Path, data: bytes, mode: int = PUBLIC) -> None:
    """Write to a sibling temp file created with `mode`, then rename over `path` (readers see old or new)."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), mode)  # O_CREAT's mode is masked by umask and ignored for an existing file
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_private(path: Path) -> bytes:
    """Read a secret, refusing it if group or others have any access (as ssh does for keys)."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise InsecureFileError(f"{path} has permissions {mode:04o}; secrets must be 0600 (chmod 600 {path})")
    return path.read_bytes()
