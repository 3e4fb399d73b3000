"""The embedded broker's gatekeeper: who a TLS client is (from its certificate, checked against the CA index,
so revocations apply at once), whether it may connect with that client id, and whether it may publish there.

Refusals that mean someone is trying something are security events: a revoked certificate, a publish
(or a will message) under another unit's topic.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from crypto.pki import PkiError, RevokedCertificate, identity_of
from psn.clock import Clock
from psn.mqtt import acl
from psn.mqtt.certs import LiveCA
from psn.security_events import Kind

log = logging.getLogger(__name__)
Report = Callable[..., Any]  # SecurityFeed.report(kind, actor, **detail)


@dataclass(frozen=True, slots=True)
class Hello:
    """What a client said in its CONNECT, and who it is according to its TLS certificate (DER)."""

    peer_cert: bytes | None
    client_id: str  # "" when the client sent none
    clean_session: bool
    will_topic: str | None
    address: str


class ClientGuard:
    def __init__(self, ca: LiveCA, report: Report, clock: Clock) -> None:
        self.ca = ca
        self.report = report
        self.clock = clock

    def admit(self, hello: Hello) -> str | None:
        """The identity (certificate CN) to connect as, or None to refuse the connection."""
        if hello.peer_cert is None:  # the TLS context requires one; this is belt and braces
            log.warning("refused %s: no client certificate", hello.address)
            return None
        cert = x509.load_der_x509_certificate(hello.peer_cert)
        try:
            record = self.ca.check(cert, now=self.clock.time())
            identity = identity_of(cert).cn if record.kind == "unit" else record.subject
        except RevokedCertificate as exc:
            who = _cn(cert)
            self.report(Kind.REVOKED_CERTIFICATE, who, unit=who, serial=f"{cert.serial_number:x}",
                        client_id=hello.client_id, address=hello.address, detail=str(exc))
            return None
        except PkiError as exc:
            log.warning("refused %s: %s", hello.address, exc)
            return None
        if record.kind == "server":
            log.warning("refused %s: %r presented a server certificate as a client", hello.address, identity)
            return None
        if not acl.owns_client_id(identity, hello.client_id, hello.clean_session):
            log.warning("refused %s: %r may not use client id %r", hello.address, identity, hello.client_id)
            return None
        # amqtt sends a will on abnormal disconnect without any topic check: check it here, once.
        if hello.will_topic is not None and not self.may_publish(identity, hello.will_topic, hello.client_id):
            return None
        return identity

    def may_publish(self, identity: str, topic: str, client_id: str | None) -> bool:
        if acl.may_publish(identity, topic):
            return True
        self.report(Kind.SPOOFED_TOPIC, identity, unit=identity, topic=topic, client_id=client_id)
        return False


def _cn(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""
