"""The tamper-evident audit log of the server: sign-ins, access to tracks, recordings and incidents, grants,
key operations. Each entry is hash-chained to the previous one (crypto.audit_chain); a checkpoint signed with
Ed25519 seals the chain every `checkpoint_every` entries and at shutdown. `psn audit verify` checks it."""

from __future__ import annotations

import contextlib
import fcntl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from crypto.audit_chain import VerifyReport
from crypto.audit_file import AuditFile
from psn.clock import Clock
from psn.keys import signing_key


class AuditLog:
    def __init__(self, path: Path, key_dir: Path, clock: Clock, checkpoint_every: int = 100) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = AuditFile(path)
        self.key = signing_key(key_dir, "audit")
        self.clock = clock
        self.checkpoint_every = checkpoint_every
        self._lock = threading.Lock()
        self._lock_path = path.with_suffix(".lock")
        self._size = -1  # forces a read of the tail before the first append
        self._since_checkpoint = 0

    def record(self, actor: str, action: str, target: str, /, **detail: Any) -> None:
        with self._exclusive():
            self.file.append(now=self.clock.time(), actor=actor, action=action, target=target, detail=detail)
            self._since_checkpoint += 1
            if self._since_checkpoint >= self.checkpoint_every:
                self._checkpoint()

    def checkpoint(self) -> None:
        with self._exclusive():
            if self._since_checkpoint:
                self._checkpoint()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """No entry is appended, by this process or another, while held: `psn backup` copies a whole log."""
        with self._exclusive():
            yield

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """The server and operator commands (`psn keys rotate` …) append to one file: an OS lock serialises
        them, and a file that grew behind our back makes us re-read its tail before chaining onto it."""
        with self._lock, self._lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            path = self.file.path
            if (path.stat().st_size if path.exists() else 0) != self._size:
                self.file = AuditFile(path)
            try:
                yield
            finally:
                self._size = path.stat().st_size if path.exists() else 0

    def _checkpoint(self) -> None:
        self.file.checkpoint(self.key, now=self.clock.time())
        self._since_checkpoint = 0

    def verify(self) -> VerifyReport:
        return self.file.verify(self.key.public_key())
