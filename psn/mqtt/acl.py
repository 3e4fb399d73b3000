"""Who may publish and receive what: the embedded broker's rules and the Mosquitto ACL file, side by side and
both built from the topic namespace (`telemetry.topics`).

An identity is a certificate CN: `{agency}/{unit}` for a unit, a plain name (`psn-server`) for a service.
Pure functions of (identity, topic, client id), so the broker plugins are thin and the rules are testable alone.
"""

from __future__ import annotations

from collections.abc import Iterable

from crypto.broker_config import SERVER_IDENTITY
from crypto.identity import UnitIdentity
from telemetry import topics

_UNIT_KINDS = frozenset(topics.UnitKind)


def is_service(identity: str) -> bool:
    # Unit CNs always contain '/', service names never may (crypto.pki refuses them): no overlap.
    return "/" not in identity


def _under(topic: str, prefix: str) -> bool:
    """MQTT `prefix/#` semantics: the prefix itself or anything below it."""
    return topic == prefix or topic.startswith(prefix + "/")


def is_probe_source(identity: str) -> bool:
    """A probe feed's CN is `probes/{source}`: `probes` is reserved, so it is never a unit's agency."""
    return identity.startswith(f"{topics.PROBES}/")


def is_equipment(identity: str) -> bool:
    """Network equipment's CN is `net/{name}`: `net` is reserved, so it is never a unit's agency."""
    return identity.startswith(f"{topics.NET}/")


def may_publish(identity: str, topic: str) -> bool:
    """A unit writes only its own `psn/v1/{agency}/{unit}/telemetry|status|alert|ack` (never its `cmd`, which
    would forge commands) and its OwnTracks topic `owntracks/{agency}/{unit}`; a probe source `probes/{source}`
    writes only its own `psn/v1/probes/{source}`; network equipment `net/{name}` writes cells' KPIs and units'
    link reports only."""
    if is_service(identity):
        return True
    if is_probe_source(identity):
        return topic == f"{topics.ROOT}/{identity}"
    if is_equipment(identity):
        return isinstance(topics.parse(topic), topics.CellKpiTopic | topics.LinkTopic)
    own, _, kind = topic.rpartition("/")
    if own == f"{topics.ROOT}/{identity}" and kind in _UNIT_KINDS:
        return True
    return _under(topic, f"{topics.OWNTRACKS}/{identity}")


def may_receive(identity: str, topic: str) -> bool:
    """A unit reads its own commands and its agency's broadcasts; a subscription to `#` delivers no more."""
    if is_service(identity):
        return True
    if is_probe_source(identity):
        return False  # nothing is ever sent to a probe feed
    if is_equipment(identity):
        return _equipment_reads(topic)
    who = UnitIdentity.from_cn(identity)
    return _under(topic, topics.cmd_topic(who.agency, who.unit)) or _under(topic, topics.broadcast_prefix(who.agency))


def _equipment_reads(topic: str) -> bool:
    """psn's commands to the network, and the units' positions: telemetry and OwnTracks locations."""
    if _under(topic, topics.NET_CMD_PREFIX):
        return True
    parsed = topics.parse(topic)
    if isinstance(parsed, topics.UnitTopic):
        return parsed.kind == topics.UnitKind.TELEMETRY
    # owntracks/net/… and owntracks/probes/… are what the unit patterns name for non-units: denied, never read.
    return isinstance(parsed, topics.OwnTracksTopic) and parsed.sub is None and not topics.is_reserved(parsed.user)


def owns_client_id(identity: str, client_id: str, clean_session: bool) -> bool:
    """A client id is the identity, or the identity then `:` and anything.

    Brokers key sessions by client id: without this rule a unit could take over psn's session (and its
    subscription to everything) or kick another unit off by reusing its client id. An empty id is only
    allowed for a clean session, where the broker draws a random one.
    """
    if not client_id:
        return clean_session
    return client_id == identity or client_id.startswith(identity + ":")


def render_acl(units: Iterable[UnitIdentity], services: Iterable[str] = (SERVER_IDENTITY,),
               equipment: Iterable[str] = ()) -> str:
    """Mosquitto's ACL with the same rules: services may do anything; a unit writes under its own prefix (and
    its OwnTracks topic) and reads its commands and its agency's broadcasts. Mosquitto has no "%agency", so
    broadcast rights are listed per unit: re-render and SIGHUP the broker when units are issued (revocation
    needs no ACL change: the CRL does it).

    Several instances: the service's `readwrite #` covers its peers' topics (`psn/v1/_peer/…`) and its shared
    subscriptions: Mosquitto 2.0.11 grants every `$share/…` SUBSCRIBE and checks read rights per delivered message
    against the message's own topic, so no `$share` rule is needed (or would grant anything). No unit pattern names
    `_peer` (a unit's agency never starts with "_"): units neither read nor write it
    (tests/crypto/test_mosquitto_cluster_acl.py)."""
    lines = ["# psn broker ACL: rendered by psn.mqtt.acl from telemetry.topics. Username = certificate CN.", ""]
    for service in services:
        lines += [f"user {service}", "topic readwrite #", ""]
    lines += [
        "# A unit's CN is {agency}/{unit}, so %u = {agency}/{unit}.",
        *(f"pattern write {pattern}" for pattern in topics.UNIT_WRITE_PATTERNS),
        f"pattern read {topics.UNIT_READ_PATTERN}",
        "# OwnTracks: a unit's phone publishes to owntracks/{agency}/{unit}.",
        f"pattern write {topics.OWNTRACKS_WRITE_PATTERN}",
        "# A probe source's CN is probes/{source}: it writes psn/v1/probes/{source} only (for a unit the same",
        "# pattern names psn/v1/{agency}/{unit}, a topic psn refuses as bad_topic).",
        f"pattern write {topics.PROBE_WRITE_PATTERN}",
        "# ... and nothing the unit patterns above name for that CN (denials win over patterns' grants).",
        *(f"pattern deny {pattern}" for pattern in topics.PROBE_DENY_PATTERNS),
        "# Network equipment's CN is net/{name}: the same denials for what the unit patterns name for it.",
        *(f"pattern deny {pattern}" for pattern in topics.EQUIPMENT_DENY_PATTERNS),
        "",
    ]
    for cn in sorted(set(equipment)):
        lines += [f"user {cn}", *(f"topic write {topic}" for topic in topics.EQUIPMENT_WRITE_TOPICS),
                  *(f"topic read {topic}" for topic in topics.EQUIPMENT_READ_TOPICS), ""]
    for who in sorted(set(units)):
        lines += [f"user {who.cn}", f"topic read {topics.broadcast_prefix(who.agency)}/#", ""]
    return "\n".join(lines)
