from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

from crypto._files import InsecureFileError
from crypto.identity import InvalidIdentity, UnitIdentity
from crypto.pki import (
    CertificateAuthority,
    ExpiredCertificate,
    PkiError,
    RevokedCertificate,
    UntrustedCertificate,
    init_ca,
    load_ca,
)
from tests.crypto.conftest import NOW

DAY = 86_400.0


def test_unit_certificate_binds_agency_and_unit(ca: CertificateAuthority) -> None:
    issued = ca.issue_unit("police", "P-12", now=NOW)
    assert ca.identity_from_cert(issued.cert_pem(), now=NOW + DAY) == UnitIdentity("police", "P-12")
    cert = issued.cert
    assert cert.subject.rfc4514_string() == "CN=police/P-12,OU=police"
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == ["urn:psn:unit:police:P-12"]


def test_ca_state_on_disk_and_reload(ca: CertificateAuthority, tmp_path: Path) -> None:
    assert stat.S_IMODE((ca.directory / "ca.key").stat().st_mode) == 0o600
    issued = ca.issue_unit("fire", "F-1", now=NOW)
    again = load_ca(ca.directory)
    assert again.identity_from_cert(issued.cert, now=NOW) == UnitIdentity("fire", "F-1")
    with pytest.raises(PkiError, match="already holds a CA"):
        init_ca(ca.directory, "again", now=NOW)


def test_group_readable_ca_key_is_refused(ca: CertificateAuthority) -> None:
    (ca.directory / "ca.key").chmod(0o640)
    with pytest.raises(InsecureFileError, match="chmod 600"):
        load_ca(ca.directory)


def test_revoked_certificate_is_refused_and_listed_in_crl(ca: CertificateAuthority) -> None:
    keep, gone = ca.issue_unit("ems", "E-1", now=NOW), ca.issue_unit("ems", "E-2", now=NOW)
    ca.revoke(gone.serial, now=NOW + 10, reason=x509.ReasonFlags.key_compromise)
    with pytest.raises(RevokedCertificate, match="ems/E-2"):
        ca.identity_from_cert(gone.cert, now=NOW + 20)
    assert ca.identity_from_cert(keep.cert, now=NOW + 20).unit == "E-1"
    crl = x509.load_pem_x509_crl(ca.crl(now=NOW + 30))
    assert crl.is_signature_valid(ca.cert.public_key())  # type: ignore[arg-type]
    assert [r.serial_number for r in crl] == [gone.serial]
    assert ca.crl_path.read_bytes() == crl.public_bytes(Encoding.PEM)
    assert ca.active_units(now=NOW) == [UnitIdentity("ems", "E-1")]


def test_foreign_expired_and_wrong_kind_certificates_are_refused(ca: CertificateAuthority, tmp_path: Path) -> None:
    other = init_ca(tmp_path / "other", "Rogue CA", now=NOW)
    with pytest.raises(UntrustedCertificate, match="not issued by CA 'PSN Test CA'"):
        ca.identity_from_cert(other.issue_unit("police", "P-1", now=NOW).cert, now=NOW)
    issued = ca.issue_unit("police", "P-2", now=NOW, days=30)
    with pytest.raises(ExpiredCertificate, match="valid from"):
        ca.identity_from_cert(issued.cert, now=NOW + 31 * DAY)
    with pytest.raises(UntrustedCertificate, match="server certificate"):
        ca.identity_from_cert(ca.issue_server(["localhost", "127.0.0.1"], now=NOW).cert, now=NOW)
    with pytest.raises(UntrustedCertificate, match="not a PEM"):
        ca.identity_from_cert(b"garbage", now=NOW)


@pytest.mark.parametrize(
    ("agency", "unit"), [("police", "a/b"), ("police", "#"), ("po+lice", "P1"), ("police", "_broadcast"), ("", "x")]
)
def test_names_that_would_widen_topics_are_refused(ca: CertificateAuthority, agency: str, unit: str) -> None:
    with pytest.raises(InvalidIdentity):
        ca.issue_unit(agency, unit, now=NOW)


def test_server_certificate_names_hosts(ca: CertificateAuthority) -> None:
    san = ca.issue_server(["localhost", "127.0.0.1", "::1"], now=NOW).cert.extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    ).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1"]


def test_pkcs12_bundle_imports_with_its_password(ca: CertificateAuthority, tmp_path: Path) -> None:
    issued = ca.issue_unit("nemo", "N-7", now=NOW)
    paths = issued.write(tmp_path / "out", "N-7", p12_password=b"correct horse")
    assert [p.name for p in paths] == ["N-7.pem", "N-7.key", "N-7.p12"]
    assert stat.S_IMODE(paths[1].stat().st_mode) == 0o600
    bundle = pkcs12.load_pkcs12(paths[2].read_bytes(), b"correct horse")
    assert bundle.cert is not None and bundle.cert.certificate == issued.cert
    assert [c.certificate for c in bundle.additional_certs] == [ca.cert]
    with pytest.raises(ValueError):
        pkcs12.load_pkcs12(paths[2].read_bytes(), b"wrong")
    with pytest.raises(PkiError, match="password"):
        issued.pkcs12(b"")
