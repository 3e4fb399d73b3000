"""Who a certificate speaks for: an agency's unit, written `{agency}/{unit}` in the certificate CN, a probe
feed (a bus or taxi fleet), written `probes/{source}`, or network equipment (an eNodeB agent, the core's
reporting function), written `net/{name}`.

Mosquitto's `use_identity_as_username` makes the CN the MQTT username, so ACL `pattern` lines
with `%u` expand to `psn/v1/{agency}/{unit}/…`: one pattern covers every unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crypto.errors import CryptoError

# Same alphabet as the psn/v1 topic decoder; no '/', '+', '#' so a name can never widen an ACL pattern.
NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
URN_PREFIX = "urn:psn:unit:"
PROBE_AGENCY = "probes"  # reserved below psn/v1 (telemetry.topics.PROBES): never an agency, so never a unit's CN
PROBE_URN_PREFIX = "urn:psn:probe:"
EQUIPMENT_AGENCY = "net"  # reserved below psn/v1 (telemetry.topics.NET): never an agency, so never a unit's CN
EQUIPMENT_URN_PREFIX = "urn:psn:net:"


class InvalidIdentity(CryptoError):
    """An agency or unit name is not usable in certificates and topics."""


@dataclass(frozen=True, order=True)
class UnitIdentity:
    agency: str
    unit: str

    def __post_init__(self) -> None:
        for label, value in (("agency", self.agency), ("unit", self.unit)):
            if not NAME.fullmatch(value):
                raise InvalidIdentity(f"{label} {value!r} must match {NAME.pattern}")
            # `_broadcast` and friends are agency-wide topics: a unit with such a name could write to them.
            if value.startswith("_") or value in (".", ".."):
                raise InvalidIdentity(f"{label} {value!r} is reserved (names starting with '_' are agency topics)")

    @property
    def cn(self) -> str:
        return f"{self.agency}/{self.unit}"

    @property
    def uri(self) -> str:
        return f"{URN_PREFIX}{self.agency}:{self.unit}"

    @classmethod
    def from_cn(cls, cn: str) -> UnitIdentity:
        agency, sep, unit = cn.partition("/")
        if not sep:
            raise InvalidIdentity(f"CN {cn!r} is not of the form agency/unit")
        return cls(agency, unit)


def probe_cn(source: str) -> str:
    """The CN of probe feed `source`: `probes/{source}`, so `pattern write psn/v1/%u` names its one topic.

    `source` follows the topic segment's rule (`psn/v1/probes/{source}` is decoded only if it matches NAME).
    """
    if not NAME.fullmatch(source):
        raise InvalidIdentity(f"probe source {source!r} must match {NAME.pattern} (it is the topic segment of"
                              f" psn/v1/probes/{{source}})")
    return f"{PROBE_AGENCY}/{source}"


def equipment_cn(name: str) -> str:
    """The CN of network equipment `name`: `net/{name}` (its rights are listed per CN in the broker ACL)."""
    if not NAME.fullmatch(name) or name.startswith("_") or name in (".", ".."):
        raise InvalidIdentity(f"equipment name {name!r} must match {NAME.pattern} and not start with '_'")
    return f"{EQUIPMENT_AGENCY}/{name}"
