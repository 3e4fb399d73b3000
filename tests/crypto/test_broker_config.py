from __future__ import annotations

from pathlib import Path

from crypto.broker_config import BrokerConfig, TlsFiles, render_mosquitto_conf

TLS = TlsFiles(*(Path(f"/etc/psn/{name}") for name in ("ca.pem", "broker.pem", "broker.key", "crl.pem")))


def test_default_config_is_one_mtls_listener() -> None:
    text = render_mosquitto_conf(BrokerConfig(TLS, Path("/etc/psn/acl")))
    lines = text.splitlines()
    assert [line for line in lines if line.startswith("listener")] == ["listener 8883 127.0.0.1"]
    for required in ("tls_version tlsv1.3", "require_certificate true", "use_identity_as_username true",
                     "allow_anonymous false", "crlfile /etc/psn/crl.pem", "acl_file /etc/psn/acl",
                     "max_queued_messages 100000", "max_inflight_messages 1000", "persistence false"):
        assert required in lines
    assert "allow_anonymous true" not in text


def test_demo_listener_only_when_asked() -> None:
    text = render_mosquitto_conf(BrokerConfig(TLS, Path("acl"), port=18883, demo_plain_port=1884))
    assert [line for line in text.splitlines() if line.startswith("listener")] == [
        "listener 18883 127.0.0.1", "listener 1884 127.0.0.1"
    ]
    assert text.index("allow_anonymous false") < text.index("listener 1884") < text.index("allow_anonymous true")
