"""Where psn keeps its keys, and a keyring that follows rotations made while the server runs.

Layout under `{data_dir}/keys/`: `master.key` (unless `PSN_MASTER_KEY` is set), `keyring.json` (per-agency
data keys, wrapped), `tokens/` (token signing keys), `audit.key` (audit checkpoints), `evidence.key`
(video evidence manifests; its public half `evidence.pub` is what courts verify bundles against).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto.envelope import MASTER_ENV, Keyring, LocalMasterKey, MasterKeyProvider
from crypto.keys import load_signing_key, save_signing_key

log = logging.getLogger(__name__)


def key_dir(data_dir: Path) -> Path:
    path = data_dir / "keys"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def master_key(data_dir: Path, environ: Mapping[str, str] = os.environ, create: bool = True) -> MasterKeyProvider:
    """`PSN_MASTER_KEY` if set, else the key file; a first start creates the file (and says so)."""
    if environ.get(MASTER_ENV):
        return LocalMasterKey.from_env(environ)
    path = key_dir(data_dir) / "master.key"
    if not path.exists():
        if not create:
            raise FileNotFoundError(f"no master key: set {MASTER_ENV} or create {path} (psn keys init)")
        LocalMasterKey.generate().write(path)
        log.warning("created a new master key at %s: back it up, data cannot be read without it", path)
    return LocalMasterKey.from_file(path)


def signing_key(directory: Path, name: str) -> Ed25519PrivateKey:
    """An Ed25519 key of psn's (`audit`, `evidence`), created on first use."""
    path = directory / f"{name}.key"
    if not path.exists():
        save_signing_key(Ed25519PrivateKey.generate(), path)
    return load_signing_key(path)


class LiveKeyring:
    """A `Keyring` that reloads its file when another process (`psn keys rotate`) changed it."""

    def __init__(self, path: Path, master: MasterKeyProvider, check_every_s: float = 1.0) -> None:
        self.path = path
        self.master = master
        self.check_every_s = check_every_s
        self._lock = threading.Lock()
        self._ring = Keyring(path, master)
        self._stamp = self._mtime()
        self._checked = time.monotonic()

    def _mtime(self) -> float:
        return self.path.stat().st_mtime_ns if self.path.exists() else 0.0

    @property
    def ring(self) -> Keyring:
        # A stat() per seal cost ~10% of ingest (bench/crypto_ingest.py); a rotation may take a second to apply.
        now = time.monotonic()
        if now - self._checked < self.check_every_s:
            return self._ring
        self._checked = now
        stamp = self._mtime()
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    self._ring = Keyring(self.path, self.master)
                    self._stamp = stamp
                    log.info("keyring reloaded: %s", ", ".join(self._ring.key_ids()))
        return self._ring

    def ensure(self, agencies: Iterable[str]) -> None:
        for agency in agencies:
            if not self.ring.key_ids(agency):
                self.ring.rotate(agency)
        self._stamp = self._mtime()

    def current_ids(self) -> set[str]:
        ring = self.ring
        return {ring.current(a) for a in {k.rpartition(":")[0] for k in ring.key_ids()}}

    def seal(self, agency: str, plaintext: bytes, aad: bytes) -> bytes:
        return self.ring.seal(agency, plaintext, aad)

    def open(self, blob: bytes, aad: bytes) -> bytes:
        return self.ring.open(blob, aad)

    def reencrypt(self, blob: bytes, aad: bytes) -> bytes:
        return self.ring.reencrypt(blob, aad)


def keyring(data_dir: Path, environ: Mapping[str, str] = os.environ, create: bool = True) -> LiveKeyring:
    return LiveKeyring(key_dir(data_dir) / "keyring.json", master_key(data_dir, environ, create))
