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

from cryptography import x509

from crypto.pki import CertificateAuthority, IndexRecord, Issued, PkiError, init_ca, load_ca

log = logging.getLogger(__name__)
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


class LiveCA:
    """A CA view that follows `psn pki revoke` run by another process: it reloads when `index.json` changes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._stamp = -1
        self._ca: CertificateAuthority | None = None

    def _current(self) -> CertificateAuthority:
        stamp = (self.directory / "index.json").stat().st_mtime_ns
        with self._lock:
            if self._ca is None or stamp != self._stamp:
                self._ca, self._stamp = load_ca(self.directory), stamp
            return self._ca

    def check(self, cert: x509.Certificate, *, now: float) -> IndexRecord:
        return self._current().check(cert, now=now)
