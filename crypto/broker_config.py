"""Mosquitto 2 configuration for psn: MQTT over TLS 1.3 with client certificates (the ACL file it names is
rendered by `psn.mqtt.acl`, beside the embedded broker's rules, from the topic namespace).

Pure text rendering; the caller writes the files and (re)starts or SIGHUPs the broker.
`use_identity_as_username` makes the certificate CN the username, and unit CNs are `{agency}/{unit}`,
so `%u` in a `pattern` line expands to `{agency}/{unit}`: one pattern confines every unit to its own topics.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SERVER_IDENTITY = "psn-server"


@dataclass(frozen=True)
class TlsFiles:
    cafile: Path
    certfile: Path
    keyfile: Path
    crlfile: Path  # not optional: without it a stolen phone's certificate works until it expires


# Measured (../shared/NOTES.md): a 20,000-message QoS 1 burst to one subscriber, Mosquitto's defaults (1000
# queued, 20 in flight) delivered 6,012; 100,000 queued and 1,000 in flight delivered all of them. The floor.
MIN_QUEUED_MESSAGES = 100_000


@dataclass(frozen=True)
class QueueSizing:
    """psn's session receives every unit's messages, so while psn is away (restarting, upgrading, crashed) its
    queue on the broker grows by units × rate a second; beyond `max_queued_messages` Mosquitto drops QoS 1
    messages for it. Size the queue for the longest psn outage the network must ride out without loss."""

    units: int = 1000
    rate_hz: float = 1.0  # messages a second per unit (fixes, statuses, alerts together)
    ride_out_s: float = 120.0

    @property
    def max_queued_messages(self) -> int:
        return max(MIN_QUEUED_MESSAGES, round(self.units * self.rate_hz * self.ride_out_s))


@dataclass(frozen=True)
class BrokerConfig:
    tls: TlsFiles
    acl_file: Path
    port: int = 8883
    bind: str = "127.0.0.1"  # production binds the LTE-facing address
    sizing: QueueSizing = QueueSizing()
    # psn acknowledges a QoS 1 message only after its commit (up to the 0.25 s flush plus the commit), so the
    # window caps ingest near window / 0.3 s: 1,000 would stop near 3,300 msg/s, below 5,000 units at 1 Hz.
    max_inflight_messages: int = 10_000
    # None: nothing survives a broker restart (tests only); production keeps psn's session and its queue on disk.
    persistence_dir: Path | None = None
    # Seconds between saves of the in-memory store: a broker killed -9 loses what arrived since the last save
    # (a clean stop, SIGTERM, saves everything). Measured: saving 120,000 queued fixes took 0.53 s (docs/deploy.md).
    autosave_interval_s: int = 60
    # A persistent session (psn's, a unit's) not back within this is dropped with its queue; Mosquitto's units.
    client_expiration: str = "7d"
    user: str | None = None  # account to run as when started as root (Mosquitto's default is "mosquitto")
    demo_plain_port: int | None = None  # unauthenticated loopback listener: demos only, never by default


def render_mosquitto_conf(cfg: BrokerConfig) -> str:
    q = cfg.sizing
    lines = [
        "# psn broker: rendered by crypto.broker_config; edit the BrokerConfig, not this file.",
        "per_listener_settings true",
        "",
        "# Queues. psn's session receives every unit's messages: while psn is away its queue grows by",
        "# units x rate a second. max_queued_messages = units x rate x the longest psn outage to ride out",
        f"# (here {q.units} units x {q.rate_hz:g} msg/s x {q.ride_out_s:g} s, at least {MIN_QUEUED_MESSAGES});"
        " past it Mosquitto",
        "# drops QoS 1 messages for that client. Memory and disk: about 340 B per queued fix (measured).",
        "# Measured: a 20,000-message QoS 1 burst to one subscriber, Mosquitto's defaults (1000 queued, 20 in",
        "# flight) delivered 6,012; 100000 / 1000 delivered all 20,000.",
        f"max_queued_messages {q.max_queued_messages}",
        f"max_inflight_messages {cfg.max_inflight_messages}",
        "",
    ]
    if cfg.persistence_dir is None:
        lines.append("persistence false")
    else:
        lines += [
            "# Sessions and queued messages on disk: a broker restart keeps psn's session and what waits for it.",
            "# Saved every autosave_interval seconds and on a clean stop; a kill -9 loses what came since the save.",
            "persistence true",
            f"persistence_location {cfg.persistence_dir}/",
            f"autosave_interval {cfg.autosave_interval_s}",
            "# Sessions (psn's, units') not back within this are dropped with their queues.",
            f"persistent_client_expiration {cfg.client_expiration}",
        ]
    if cfg.user is not None:
        lines.append(f"user {cfg.user}")
    lines += [
        "",
        f"listener {cfg.port} {cfg.bind}",
        "protocol mqtt",
        f"cafile {cfg.tls.cafile}",
        f"certfile {cfg.tls.certfile}",
        f"keyfile {cfg.tls.keyfile}",
        f"crlfile {cfg.tls.crlfile}",
        "tls_version tlsv1.3",
        "require_certificate true",
        "use_identity_as_username true",
        "allow_anonymous false",
        f"acl_file {cfg.acl_file}",
    ]
    if cfg.demo_plain_port is not None:
        lines += [
            "",
            "# DEMO ONLY: plain MQTT, anonymous, loopback.",
            f"listener {cfg.demo_plain_port} 127.0.0.1",
            "protocol mqtt",
            "allow_anonymous true",
        ]
    return "\n".join(lines) + "\n"
