"""Where psn keeps its certificate authority, and certificates it issues to itself (broker, HTTPS, its client).

Layout under `{data_dir}/pki/`: `ca/` (crypto.pki's CA directory: key, cert, index, CRL), `units/` (bundles
written by `psn pki issue-unit`), `servers/` (`psn pki issue-server`), `embedded/` (the embedded broker's
server certificate and psn's own client certificate).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from cryptography import x509

from crypto.pki import CertificateAuthority, IndexRecord, Issued, PkiError, init_ca, load_ca, load_index

log = logging.getLogger(__name__)
T = TypeVar("T")
RENEW_BEFORE_S = 30 * 86400.0  # a certificate psn issued to itself is re-issued this long before it expires


def pki_dir(data_dir: Path) -> Path:
    return data_dir / "pki"


def ca_dir(data_dir: Path) -> Path:
    return pki_dir(data_dir) / "ca"


def open_ca(data_dir: Path, *, now: float, create: bool = False, name: str = "PSN Network CA") -> CertificateAuthority:
    """The network CA; with `create`, a first start makes one (and says so)."""
    directory = ca_dir(data_dir)
    if (directory / "ca.key").exists():
        return load_ca(directory)
    if not create:
        raise PkiError(f"no CA in {directory}: create one with `psn pki init`")
    ca = init_ca(directory, name, now=now)
    ca.crl(now=now)
    log.warning("created the network CA %r in %s: keep ca.key safe, it can mint any identity", name, directory)
    return ca


@dataclass(frozen=True)
class CertFiles:
    cert: Path
    key: Path


def ensure_issued(
    ca: CertificateAuthority, directory: Path, stem: str, issue: Callable[[], Issued], *, now: float
) -> CertFiles:
    """`{stem}.pem`/`{stem}.key` in `directory`: kept while this CA still vouches for them for a month, else
    issued anew. Restarts and re-runs of `psn broker-config` therefore do not pile up certificates in the index."""
    files = CertFiles(directory / f"{stem}.pem", directory / f"{stem}.key")
    if files.cert.exists() and files.key.exists():
        try:
            ca.check(files.cert.read_bytes(), now=now + RENEW_BEFORE_S)
            return files
        except PkiError as exc:
            log.info("re-issuing %s: %s", files.cert, exc)
    issue().write(directory, stem)
    return files


class Following(Generic[T]):
    """What `read` makes of a CA directory, read again when its `index.json` changes: `psn pki issue-unit` and
    `psn pki revoke` run as other processes."""

    def __init__(self, directory: Path, read: Callable[[Path], T]) -> None:
        self.directory = directory
        self._read = read
        self._lock = threading.Lock()
        self._stamp = -1
        self._value: T | None = None

    def current(self) -> T:
        stamp = (self.directory / "index.json").stat().st_mtime_ns
        with self._lock:
            if self._value is None or stamp != self._stamp:
                self._value, self._stamp = self._read(self.directory), stamp
            return self._value


class LiveCA:
    """A CA view that follows `psn pki revoke` run by another process."""

    def __init__(self, directory: Path) -> None:
        self._ca = Following(directory, load_ca)

    def check(self, cert: x509.Certificate, *, now: float) -> IndexRecord:
        return self._ca.current().check(cert, now=now)


class LiveIndex:
    """The CA's index of certificates, for showing a certificate's state (no private key needed: the CA key may
    be kept offline)."""

    def __init__(self, data_dir: Path) -> None:
        self._index = Following(ca_dir(data_dir), load_index)

    def record(self, serial: int) -> IndexRecord | None:
        """None when this CA did not issue it, or there is no CA at all."""
        try:
            return self._index.current().get(serial)
        except FileNotFoundError:
            return None
