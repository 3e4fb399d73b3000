"""The one MQTT topic namespace: every topic psn reads or writes is named here and nowhere else.

Decoders route by `parse`, the MQTT client subscribes to `SUBSCRIPTIONS`, the broker ACLs (Mosquitto's
rendered file and the embedded broker's rules) are built from the patterns and builders below, and the simulator
publishes with the same builders. docs/protocol.md documents each topic and its payload.

    psn/v1/{agency}/{unit}/telemetry|status|alert|ack   unit → psn
    psn/v1/{agency}/{unit}/cmd                           psn → unit
    psn/v1/{agency}/_broadcast/…                         psn → every unit of an agency
    psn/v1/net/cell/{cell}/kpi                           network equipment → psn (a cell's KPIs)
    psn/v1/net/ue/{agency}/{unit}/link                   network equipment → psn (a unit's radio link)
    psn/v1/net/cmd/policy                                psn → network equipment (retained: media sessions, uplifts)
    psn/v1/net/cmd/fault                                 trainers → network equipment (inject or clear a fault)
    psn/v1/probes/{source}                               anonymous probe vehicles → psn (traffic speeds)
    psn/v1/_rejected/{reason}/{original topic}           psn → operators
    psn/v1/_security/{kind}                              psn → the security team
    psn/v1/_alarms/{kind}                                psn → network operators (raised, acknowledged, cleared)
    owntracks/{user}/{device}                            the OwnTracks app → psn

The first level below `psn/v1` is an agency unless it is reserved: `net`, `probes`, and every name that
starts with `_`. A reserved word can never be an agency (the settings refuse it), so a unit's own prefix
`psn/v1/{agency}/{unit}` can never reach network equipment, probes or psn's own feeds.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass

ROOT = "psn/v1"
OWNTRACKS = "owntracks"
NET = "net"
PROBES = "probes"
BROADCAST = "_broadcast"
REJECTED = "_rejected"
SECURITY = "_security"
ALARMS = "_alarms"
PEER = "_peer"  # psn instances to each other (docs/deploy.md, "Several instances"); devices may not touch it
RESERVED = frozenset({NET, PROBES})  # and every name starting with "_"
# A PUBLISH topic Mosquitto accepts: a UTF-8 string with a 16-bit length (the MQTT limit), and at most 200 "/"
# (TOPIC_HIERARCHY_LIMIT, lib/util_topic.c; more is refused and the publisher disconnected).
MAX_TOPIC_BYTES = 65_535
MAX_TOPIC_SLASHES = 200
REJECTED_PREFIX_BYTES = 256  # the readable start of a rejected topic too long to repeat whole

_ROOT_0, _ROOT_1 = ROOT.split("/")
NAME_PART = r"[A-Za-z0-9_.\-]{1,64}"  # an agency, unit, cell, probe source, OwnTracks user or device name
NAME = re.compile(rf"^{NAME_PART}$")


class UnitKind(enum.StrEnum):
    """What a unit publishes below its own prefix."""

    TELEMETRY = "telemetry"
    STATUS = "status"
    ALERT = "alert"
    ACK = "ack"


CMD = "cmd"  # what psn publishes to one unit


def is_reserved(name: str) -> bool:
    """Reserved first levels below psn/v1 (never an agency), and names psn keeps for itself (never a unit)."""
    return name in RESERVED or name.startswith("_")


def reserved_agency_error(name: str) -> str | None:
    """Why `name` cannot be an agency, or None when it can."""
    if not NAME.fullmatch(name):
        return f"agency name {name!r} must match {NAME.pattern}"
    if is_reserved(name):
        return (f"agency name {name!r} is reserved in the MQTT namespace "
                f"({', '.join(sorted(RESERVED))} and names starting with '_' are psn's own)")
    return None


# Builders: the topics psn and its clients publish on.
def unit_topic(agency: str, unit: str, kind: UnitKind | str) -> str:
    return f"{ROOT}/{agency}/{unit}/{kind}"


def cmd_topic(agency: str, unit: str) -> str:
    return f"{ROOT}/{agency}/{unit}/{CMD}"


def broadcast_prefix(agency: str) -> str:
    return f"{ROOT}/{agency}/{BROADCAST}"


def cell_kpi_topic(cell: str) -> str:
    return f"{ROOT}/{NET}/cell/{cell}/kpi"


def link_topic(agency: str, unit: str) -> str:
    return f"{ROOT}/{NET}/ue/{agency}/{unit}/link"


# psn → the network: one retained document with the whole policy in force (the media sessions psn asks bearers
# for, the uplifts and when they end), so equipment that restarts, or a second instance, reads it back at once.
NET_POLICY_TOPIC = f"{ROOT}/{NET}/cmd/policy"
# A trainer's fault for the simulated network (a cell or site down, a degraded backhaul), or its clearing.
NET_FAULT_TOPIC = f"{ROOT}/{NET}/cmd/fault"


def probe_topic(source: str) -> str:
    return f"{ROOT}/{PROBES}/{source}"


def rejected_topic(reason: str, topic: str) -> str:
    """`psn/v1/_rejected/{reason}/{topic}`, or, when that could not be published, `…/{prefix}…{hash}`: the
    longest start of `topic` (at most `REJECTED_PREFIX_BYTES`, up to its first character no topic may hold), an
    ellipsis and the first 16 hex digits of the SHA-256 of the whole topic's UTF-8. The payload names it whole."""
    head = f"{ROOT}/{REJECTED}/{reason}/"
    if publishable(head + topic):
        return head + topic
    digest = hashlib.sha256(topic.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    slashes, size, end = MAX_TOPIC_SLASHES - head.count("/"), 0, 0
    for char in topic:
        size += len(char.encode("utf-8", "surrogatepass"))
        slashes -= char == "/"
        if size > REJECTED_PREFIX_BYTES or slashes < 0 or not _topic_char(char):
            break
        end += 1
    return f"{head}{topic[:end]}…{digest}"


def publishable(topic: str) -> bool:
    """Whether Mosquitto accepts `topic` in a PUBLISH: a refused one costs the publisher its connection."""
    try:
        size = len(topic.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate: not UTF-8
        return False
    return size <= MAX_TOPIC_BYTES and topic.count("/") <= MAX_TOPIC_SLASHES and all(map(_topic_char, topic))


def _topic_char(char: str) -> bool:
    """Mosquitto's UTF-8 check (mosquitto_validate_utf8) and the publish-topic check: no wildcard, no control
    character, no surrogate, no non-character."""
    code = ord(char)
    return not (char in "+#" or code <= 0x1F or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF
                or 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE)


def security_topic(kind: str) -> str:
    return f"{ROOT}/{SECURITY}/{kind}"


def alarm_topic(kind: str) -> str:
    return f"{ROOT}/{ALARMS}/{kind}"


def owntracks_prefix(user: str, device: str) -> str:
    return f"{OWNTRACKS}/{user}/{device}"


def peer_topic(instance: str, kind: str) -> str:
    """What psn instance `instance` tells its peers: `kind` is what it holds (a fix, an alert …)."""
    return f"{ROOT}/{PEER}/{instance}/{kind}"


PEER_SUBSCRIPTION = peer_topic("+", "+")  # every instance hears every other (and itself: it skips its own)
PEER_PREFIX = f"{ROOT}/{PEER}/"


def peer_parts(topic: str) -> tuple[str, str] | None:
    """(instance, kind) of a peer topic, or None when `topic` is not one."""
    if not topic.startswith(PEER_PREFIX):
        return None
    parts = topic[len(PEER_PREFIX):].split("/")
    if len(parts) != 2 or not NAME.fullmatch(parts[0]) or not NAME.fullmatch(parts[1]):
        return None
    return parts[0], parts[1]


def shared_subscription(group: str, topic: str) -> str:
    """MQTT 5 shared subscription: the broker hands each message to one subscriber of `group`."""
    return f"$share/{group}/{topic}"


# What psn's own client subscribes to: every topic a decoder handles, nothing else.
SUBSCRIPTIONS = (
    unit_topic("+", "+", UnitKind.TELEMETRY),
    unit_topic("+", "+", UnitKind.STATUS),
    unit_topic("+", "+", UnitKind.ALERT),
    unit_topic("+", "+", UnitKind.ACK),
    cell_kpi_topic("+"),
    link_topic("+", "+"),
    probe_topic("+"),
    owntracks_prefix("+", "+"),
)


def shared_subscriptions(group: str) -> tuple[str, ...]:
    """Every device topic shared within `group` (each message to one instance): what a survivor takes from a dead
    instance's session it adopts (psn/adoption.py)."""
    return tuple(shared_subscription(group, topic) for topic in SUBSCRIPTIONS)


def cluster_subscriptions(group: str) -> tuple[str, ...]:
    """An instance of a cluster: every device topic shared within `group`, and every peer's topic (not shared: each
    instance hears them all)."""
    return (*shared_subscriptions(group), PEER_SUBSCRIPTION)

# Mosquitto ACL patterns: a unit's certificate CN is `{agency}/{unit}`, which `%u` expands to.
UNIT_WRITE_PATTERNS = tuple(f"{ROOT}/%u/{kind}" for kind in UnitKind)  # its own telemetry|status|alert|ack only
UNIT_READ_PATTERN = f"{ROOT}/%u/{CMD}/#"
OWNTRACKS_WRITE_PATTERN = f"{OWNTRACKS}/%u/#"
# A probe source's CN is `probes/{source}` (`probes` is reserved, so no unit's CN can be one): its one topic.
PROBE_WRITE_PATTERN = f"{ROOT}/%u"
# The unit patterns expand for that CN too: `psn/v1/probes/{source}/telemetry|…|cmd/…` and
# `owntracks/probes/{source}`, an OwnTracks fix psn would take as a unit's (on the map, stored). Denied to every
# client (no unit's agency is `probes`); `#` also matches its parent level, so the first leaves the feed's own topic.
PROBE_DENY_PATTERNS = (f"{ROOT}/{PROBES}/+/+/#", f"{OWNTRACKS}/{PROBES}/#")
# Network equipment's CN is `net/{name}` (`net` is reserved): it writes every cell's KPIs and every unit's link
# reports, and reads psn's commands to the network (below NET_CMD_PREFIX) and where the units are (their
# telemetry and OwnTracks).
NET_CMD_PREFIX = f"{ROOT}/{NET}/{CMD}"
EQUIPMENT_WRITE_TOPICS = (cell_kpi_topic("+"), link_topic("+", "+"))
EQUIPMENT_READ_TOPICS = (f"{NET_CMD_PREFIX}/#", unit_topic("+", "+", UnitKind.TELEMETRY),
                         owntracks_prefix("+", "+"))
# The unit patterns expand for that CN too: `psn/v1/net/{name}/telemetry|…`, `…/cmd/…` and `owntracks/net/{name}`,
# an OwnTracks fix psn would take as a unit's. Denied to every client (no unit's agency is `net`); none of them
# matches a KPI, link or command topic of the network.
EQUIPMENT_DENY_PATTERNS = (*(f"{ROOT}/{NET}/+/{kind}" for kind in UnitKind), f"{ROOT}/{NET}/+/{CMD}/#",
                           f"{OWNTRACKS}/{NET}/#")


# Parsed topics: what the decoder router dispatches on.
@dataclass(frozen=True, slots=True)
class UnitTopic:
    agency: str
    unit: str
    kind: str


@dataclass(frozen=True, slots=True)
class CellKpiTopic:
    cell: str


@dataclass(frozen=True, slots=True)
class LinkTopic:
    agency: str
    unit: str


@dataclass(frozen=True, slots=True)
class ProbeTopic:
    source: str


@dataclass(frozen=True, slots=True)
class OwnTracksTopic:
    user: str
    device: str
    sub: str | None  # owntracks/{user}/{device}/{sub…}: events, commands, info — not positions


@dataclass(frozen=True, slots=True)
class BadTopic:
    detail: str


Parsed = UnitTopic | CellKpiTopic | LinkTopic | ProbeTopic | OwnTracksTopic | BadTopic


def parse(topic: str) -> Parsed:
    """Names a topic by its place in the namespace; never raises."""
    parts = topic.split("/")
    if parts[0] == OWNTRACKS:
        if len(parts) < 3:
            return BadTopic(f"expected owntracks/{{user}}/{{device}}, got {topic[:80]!r}")
        user, device = parts[1], parts[2]
        if not NAME.fullmatch(user) or not NAME.fullmatch(device):
            return BadTopic(f"user and device must match {NAME.pattern}")
        return OwnTracksTopic(user, device, "/".join(parts[3:]) or None)
    if len(parts) < 3 or parts[0] != _ROOT_0 or parts[1] != _ROOT_1:  # no string built per message
        return BadTopic(f"no decoder for topic {topic[:80]!r}")
    first = parts[2]
    if first == NET:
        if len(parts) == 6 and parts[3] == "cell" and parts[5] == "kpi" and NAME.fullmatch(parts[4]):
            return CellKpiTopic(parts[4])
        if (len(parts) == 7 and parts[3] == "ue" and parts[6] == "link" and NAME.fullmatch(parts[4])
                and NAME.fullmatch(parts[5]) and not is_reserved(parts[4]) and not parts[5].startswith("_")):
            return LinkTopic(parts[4], parts[5])
        return BadTopic(f"expected psn/v1/net/cell/{{cell}}/kpi or psn/v1/net/ue/{{agency}}/{{unit}}/link, "
                        f"got {topic[:80]!r}")
    if first == PROBES:
        if len(parts) == 4 and NAME.fullmatch(parts[3]):
            return ProbeTopic(parts[3])
        return BadTopic(f"expected psn/v1/probes/{{source}}, got {topic[:80]!r}")
    if len(parts) != 5:
        return BadTopic(f"expected psn/v1/{{agency}}/{{unit}}/{{kind}}, got {topic[:80]!r}")
    agency, unit, kind = parts[2], parts[3], parts[4]
    if not NAME.fullmatch(agency) or not NAME.fullmatch(unit):
        return BadTopic(f"agency and unit must match {NAME.pattern}")
    if is_reserved(agency) or unit.startswith("_"):
        return BadTopic(f"{agency}/{unit}: names starting with '_' are psn's own")
    return UnitTopic(agency, unit, kind)
