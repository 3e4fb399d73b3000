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


@dataclass(frozen=True)
class BrokerConfig:
    tls: TlsFiles
    acl_file: Path
    port: int = 8883
    bind: str = "127.0.0.1"  # production binds the LTE-facing address
    # Mosquitto's defaults (1000 queued, 20 in flight) drop QoS 1 messages for a slow subscriber: measured.
    max_queued_messages: int = 100_000
    max_inflight_messages: int = 1000
    persistence_dir: Path | None = None
    user: str | None = None  # account to run as when started as root (Mosquitto's default is "mosquitto")
    demo_plain_port: int | None = None  # unauthenticated loopback listener: demos only, never by default


def render_mosquitto_conf(cfg: BrokerConfig) -> str:
    lines = [
        "# psn broker: rendered by crypto.broker_config; edit the BrokerConfig, not this file.",
        "per_listener_settings true",
        f"max_queued_messages {cfg.max_queued_messages}",
        f"max_inflight_messages {cfg.max_inflight_messages}",
    ]
    if cfg.persistence_dir is None:
        lines.append("persistence false")
    else:
        lines += ["persistence true", f"persistence_location {cfg.persistence_dir}/"]
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
