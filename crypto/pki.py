"""The network's certificate authority: unit, server and service certificates, revocation, CRL.

State lives in one directory: `ca.key` (0600), `ca.pem`, `index.json` (every serial issued, and
revocations) and `crl.pem`. Keys are ECDSA P-256, which every TLS stack and Mosquitto accept.
Unit certificates bind CN=`{agency}/{unit}` and SAN URI `urn:psn:unit:{agency}:{unit}`; probe feeds' bind
CN=`probes/{source}` and SAN URI `urn:psn:probe:{source}`; network equipment's CN=`net/{name}` and SAN URI
`urn:psn:net:{name}`.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import KeyUsage
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from crypto._files import PRIVATE, PUBLIC, read_private, write_atomic
from crypto.errors import CryptoError
from crypto.identity import (
    EQUIPMENT_AGENCY,
    EQUIPMENT_URN_PREFIX,
    NAME,
    PROBE_AGENCY,
    PROBE_URN_PREFIX,
    InvalidIdentity,
    UnitIdentity,
    equipment_cn,
    probe_cn,
)

Kind = Literal["unit", "probe", "equipment", "service", "server"]
# Phones and laptops drift; a certificate issued "now" must already be valid on a device a little behind.
CLOCK_SKEW = timedelta(minutes=5)


class PkiError(CryptoError):
    """Certificate authority failure."""


class UntrustedCertificate(PkiError):
    """The certificate was not issued by this CA, or not for this purpose."""


class ExpiredCertificate(PkiError):
    """The certificate is outside its validity period."""


class RevokedCertificate(PkiError):
    """The certificate was revoked."""


@dataclass
class IndexRecord:
    serial: int
    subject: str
    kind: Kind
    issued_at: float
    not_after: float
    revoked_at: float | None = None
    reason: str | None = None

    def state(self, now: float) -> Literal["valid", "revoked", "expired"]:
        return "revoked" if self.revoked_at is not None else "expired" if self.not_after < now else "valid"


@dataclass(frozen=True)
class Issued:
    """A freshly issued certificate with its private key; the CA keeps only the certificate's record."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    ca_cert: x509.Certificate

    @property
    def serial(self) -> int:
        return self.cert.serial_number

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def pkcs12(self, password: bytes) -> bytes:
        """Bundle (key, cert, CA) for import on Android/iOS/Windows; AES-256 + PBKDF2-SHA256 protected."""
        if not password:
            raise PkiError("a PKCS#12 bundle leaves the server: it must have a password")
        encryption = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(200_000)
            .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
            .hmac_hash(hashes.SHA256())
            .build(password)
        )
        name = _cn(self.cert).encode()
        return pkcs12.serialize_key_and_certificates(name, self.key, self.cert, [self.ca_cert], encryption)

    def write(self, directory: Path, stem: str, p12_password: bytes | None = None) -> list[Path]:
        """Write `{stem}.pem`, `{stem}.key` (0600) and, given a password, `{stem}.p12` (0600)."""
        directory.mkdir(parents=True, exist_ok=True)
        files = [
            (directory / f"{stem}.pem", self.cert_pem(), PUBLIC),
            (directory / f"{stem}.key", self.key_pem(), PRIVATE),
        ]
        if p12_password is not None:
            files.append((directory / f"{stem}.p12", self.pkcs12(p12_password), PRIVATE))
        for path, data, mode in files:
            write_atomic(path, data, mode)
        return [path for path, _, _ in files]


@dataclass
class CertificateAuthority:
    directory: Path
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    index: dict[int, IndexRecord] = field(default_factory=dict)

    @property
    def cert_path(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def crl_path(self) -> Path:
        return self.directory / "crl.pem"

    def issue_unit(self, agency: str, unit: str, *, now: float, days: int = 365) -> Issued:
        who = UnitIdentity(agency, unit)
        san = [x509.UniformResourceIdentifier(who.uri)]
        return self._issue(who.cn, "unit", san, ExtendedKeyUsageOID.CLIENT_AUTH, now, days, ou=who.agency)

    def issue_probe(self, source: str, *, now: float, days: int = 365) -> Issued:
        """A client certificate for probe feed `source` (a fleet, not a unit): it may publish its one topic."""
        cn = probe_cn(source)
        san = [x509.UniformResourceIdentifier(f"{PROBE_URN_PREFIX}{source}")]
        return self._issue(cn, "probe", san, ExtendedKeyUsageOID.CLIENT_AUTH, now, days, ou=PROBE_AGENCY)

    def issue_equipment(self, name: str, *, now: float, days: int = 365) -> Issued:
        """A client certificate for network equipment `name`: it may publish KPIs and link reports."""
        san = [x509.UniformResourceIdentifier(f"{EQUIPMENT_URN_PREFIX}{name}")]
        return self._issue(equipment_cn(name), "equipment", san, ExtendedKeyUsageOID.CLIENT_AUTH, now, days,
                           ou=EQUIPMENT_AGENCY)

    def issue_service(self, name: str, *, now: float, days: int = 365) -> Issued:
        """A client certificate for a server-side component (e.g. `psn-server` on the broker)."""
        if not NAME.fullmatch(name):
            raise InvalidIdentity(f"service name {name!r} must match {NAME.pattern} (no '/': that is a unit)")
        return self._issue(name, "service", [], ExtendedKeyUsageOID.CLIENT_AUTH, now, days)

    def issue_server(self, hosts: Sequence[str], *, now: float, days: int = 825, cn: str = "psn") -> Issued:
        """A TLS server certificate (broker, HTTPS) for DNS names and IP addresses."""
        if not hosts:
            raise PkiError("a server certificate needs at least one host name or IP address")
        return self._issue(cn, "server", [_general_name(h) for h in hosts], ExtendedKeyUsageOID.SERVER_AUTH, now, days)

    def revoke(self, serial: int, *, now: float, reason: x509.ReasonFlags = x509.ReasonFlags.unspecified) -> None:
        record = self.index.get(serial)
        if record is None:
            raise PkiError(f"serial {serial:x} was not issued by this CA")
        if record.revoked_at is None:
            record.revoked_at, record.reason = now, reason.value
            self._save_index()

    def crl(self, *, now: float, days: int = 7) -> bytes:
        """Sign a CRL of every revocation, write it to `crl.pem` and return it.

        OpenSSL (hence Mosquitto) refuses every client once `next_update` passes: re-issue before `days`.
        """
        at = _dt(now)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.cert.subject)
            .last_update(at - CLOCK_SKEW)
            .next_update(at + timedelta(days=days))
        )
        for record in self.index.values():
            if record.revoked_at is not None:
                entry = x509.RevokedCertificateBuilder().serial_number(record.serial)
                entry = entry.revocation_date(_dt(record.revoked_at))
                reason = x509.ReasonFlags(record.reason)
                if reason is not x509.ReasonFlags.unspecified:  # RFC 5280: omit rather than say "unspecified"
                    entry = entry.add_extension(x509.CRLReason(reason), critical=False)
                builder = builder.add_revoked_certificate(entry.build())
        pem = builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
        write_atomic(self.crl_path, pem)
        return pem

    def check(self, cert: x509.Certificate | bytes, *, now: float) -> IndexRecord:
        """Signed by this CA, within validity, known and not revoked: or a typed error saying which not."""
        cert = _load(cert)
        try:
            cert.verify_directly_issued_by(self.cert)
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise UntrustedCertificate(f"{_cn(cert)!r} was not issued by CA {_cn(self.cert)!r}") from exc
        start, end = cert.not_valid_before_utc.timestamp(), cert.not_valid_after_utc.timestamp()
        if not start <= now <= end:
            raise ExpiredCertificate(f"{_cn(cert)!r} is valid from {_iso(start)} to {_iso(end)}, not at {_iso(now)}")
        record = self.index.get(cert.serial_number)
        if record is None:
            raise UntrustedCertificate(f"serial {cert.serial_number:x} is signed by this CA but not in its index")
        if record.revoked_at is not None:
            when = _iso(record.revoked_at)
            raise RevokedCertificate(f"{record.subject!r} (serial {record.serial:x}) was revoked at {when}")
        return record

    def identity_from_cert(self, cert: x509.Certificate | bytes, *, now: float) -> UnitIdentity:
        """The (agency, unit) a trusted, unrevoked unit certificate speaks for."""
        cert = _load(cert)
        record = self.check(cert, now=now)
        if record.kind != "unit":
            raise UntrustedCertificate(f"{record.subject!r} is a {record.kind} certificate, not a unit's")
        return identity_of(cert)

    def active_units(self, *, now: float) -> list[UnitIdentity]:
        """Units holding an unexpired, unrevoked certificate: what the broker ACL must list."""
        return sorted(
            {
                UnitIdentity.from_cn(r.subject)
                for r in self.index.values()
                if r.kind == "unit" and r.revoked_at is None and r.not_after >= now
            }
        )

    def active_equipment(self, *, now: float) -> list[str]:
        """CNs of network equipment holding an unexpired, unrevoked certificate: listed in the broker ACL."""
        return sorted({r.subject for r in self.index.values()
                       if r.kind == "equipment" and r.revoked_at is None and r.not_after >= now})

    def _issue(
        self, cn: str, kind: Kind, san: Sequence[x509.GeneralName], usage: x509.ObjectIdentifier,
        now: float, days: int, ou: str | None = None,
    ) -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        at = _dt(now)
        names = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
        if ou is not None:
            names.insert(0, x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name(names))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(at - CLOCK_SKEW)
            .not_valid_after(at + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
        )
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        self.index[cert.serial_number] = IndexRecord(
            cert.serial_number, cn, kind, now, cert.not_valid_after_utc.timestamp()
        )
        self._save_index()
        return Issued(cert, key, self.cert)

    def _save_index(self) -> None:
        records = [asdict(r) | {"serial": f"{r.serial:x}"} for r in self.index.values()]
        write_atomic(self.directory / "index.json", json.dumps(records, indent=1).encode())


def init_ca(directory: Path, name: str, *, now: float, days: int = 3650) -> CertificateAuthority:
    """Create a new CA in an empty (or new) directory; refuses to overwrite an existing CA key."""
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / "ca.key").exists():
        raise PkiError(f"{directory} already holds a CA; load it with load_ca()")
    key = ec.generate_private_key(ec.SECP256R1())
    at = _dt(now)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(at - CLOCK_SKEW)
        .not_valid_after(at + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_atomic(directory / "ca.key", key_pem, PRIVATE)
    write_atomic(directory / "ca.pem", cert.public_bytes(serialization.Encoding.PEM))
    ca = CertificateAuthority(directory, cert, key)
    ca._save_index()
    return ca


def load_ca(directory: Path) -> CertificateAuthority:
    key = serialization.load_pem_private_key(read_private(directory / "ca.key"), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise PkiError(f"{directory / 'ca.key'} is not an EC private key")
    cert = x509.load_pem_x509_certificate((directory / "ca.pem").read_bytes())
    return CertificateAuthority(directory, cert, key, load_index(directory))


def load_index(directory: Path) -> dict[int, IndexRecord]:
    """Every certificate the CA in `directory` issued, by serial; reading it needs no private key."""
    records = json.loads((directory / "index.json").read_text())
    return {int(r["serial"], 16): IndexRecord(**(r | {"serial": int(r["serial"], 16)})) for r in records}


def identity_of(cert: x509.Certificate) -> UnitIdentity:
    """Parse the unit identity a certificate claims (CN and SAN URI must agree); does not check trust."""
    who = UnitIdentity.from_cn(_cn(cert))
    try:
        uris = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound as exc:
        raise UntrustedCertificate(f"{who.cn!r} has no subjectAltName URI") from exc
    if uris.get_values_for_type(x509.UniformResourceIdentifier) != [who.uri]:
        raise UntrustedCertificate(f"{who.cn!r}: SAN URI does not match {who.uri}")
    return who


def _load(cert: x509.Certificate | bytes) -> x509.Certificate:
    if isinstance(cert, x509.Certificate):
        return cert
    try:
        return x509.load_pem_x509_certificate(cert)
    except ValueError as exc:
        raise UntrustedCertificate(f"not a PEM certificate: {exc}") from exc


def _cn(cert: x509.Certificate) -> str:
    attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else ""


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _key_usage(*, digital_signature: bool = False, key_cert_sign: bool = False, crl_sign: bool = False) -> KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=key_cert_sign, crl_sign=crl_sign,
        encipher_only=False, decipher_only=False,
    )


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _iso(ts: float) -> str:
    return _dt(ts).isoformat(timespec="seconds")
