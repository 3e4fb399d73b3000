"""Who may publish and receive what on the embedded broker: the same rules as the Mosquitto ACL psn renders.

An identity is a certificate CN: `{agency}/{unit}` for a unit, a plain name (`psn-server`) for a service.
Pure functions of (identity, topic, client id), so the broker plugins are thin and the rules are testable alone.
"""

from __future__ import annotations

from crypto.identity import UnitIdentity


def is_service(identity: str) -> bool:
    # Unit CNs always contain '/', service names never may (crypto.pki refuses them): no overlap.
    return "/" not in identity


def _under(topic: str, prefix: str) -> bool:
    """MQTT `prefix/#` semantics: the prefix itself or anything below it."""
    return topic == prefix or topic.startswith(prefix + "/")


def may_publish(identity: str, topic: str) -> bool:
    """A unit writes only below `psn/v1/{agency}/{unit}` (and its OwnTracks topic `owntracks/{agency}/{unit}`)."""
    if is_service(identity):
        return True
    return _under(topic, f"psn/v1/{identity}") or _under(topic, f"owntracks/{identity}")


def may_receive(identity: str, topic: str) -> bool:
    """A unit reads its own commands and its agency's broadcasts; a subscription to `#` delivers no more."""
    if is_service(identity):
        return True
    agency = UnitIdentity.from_cn(identity).agency
    return _under(topic, f"psn/v1/{identity}/cmd") or _under(topic, f"psn/v1/{agency}/_broadcast")


def owns_client_id(identity: str, client_id: str, clean_session: bool) -> bool:
    """A client id is the identity, or the identity then `:` and anything.

    Brokers key sessions by client id: without this rule a unit could take over psn's session (and its
    subscription to everything) or kick another unit off by reusing its client id. An empty id is only
    allowed for a clean session, where the broker draws a random one.
    """
    if not client_id:
        return clean_session
    return client_id == identity or client_id.startswith(identity + ":")
