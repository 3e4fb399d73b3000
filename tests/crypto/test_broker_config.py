from __future__ import annotations

from pathlib import Path

from crypto.broker_config import BrokerConfig, QueueSizing, TlsFiles, render_mosquitto_conf

TLS = TlsFiles(*(Path(f"/etc/psn/{name}") for name in ("ca.pem", "broker.pem", "broker.key", "crl.pem")))


def test_default_config_is_one_mtls_listener() -> None:
    text = render_mosquitto_conf(BrokerConfig(TLS, Path("/etc/psn/acl")))
    lines = text.splitlines()
    assert [line for line in lines if line.startswith("listener")] == ["listener 8883 127.0.0.1"]
    for required in ("tls_version tlsv1.3", "require_certificate true", "use_identity_as_username true",
                     "allow_anonymous false", "crlfile /etc/psn/crl.pem", "acl_file /etc/psn/acl",
                     "max_queued_messages 120000", "max_inflight_messages 10000", "persistence false"):
        assert required in lines
    assert "allow_anonymous true" not in text


def test_queue_sized_for_the_outage_to_ride_out_with_a_measured_floor() -> None:
    assert QueueSizing(units=5000, rate_hz=1.0, ride_out_s=600).max_queued_messages == 3_000_000
    assert QueueSizing(units=20, rate_hz=0.1, ride_out_s=60).max_queued_messages == 100_000
    text = render_mosquitto_conf(BrokerConfig(TLS, Path("acl"), sizing=QueueSizing(2000, 0.5, 300)))
    assert "max_queued_messages 300000" in text.splitlines()
    assert "(here 2000 units x 0.5 msg/s x 300 s, at least 100000)" in text


def test_persistence_with_location_autosave_and_expiry() -> None:
    text = render_mosquitto_conf(BrokerConfig(TLS, Path("acl"), persistence_dir=Path("/var/lib/psn-broker"),
                                              autosave_interval_s=30, client_expiration="2d"))
    lines = text.splitlines()
    for required in ("persistence true", "persistence_location /var/lib/psn-broker/", "autosave_interval 30",
                     "persistent_client_expiration 2d"):
        assert required in lines
    assert "persistence false" not in lines


def test_demo_listener_only_when_asked() -> None:
    text = render_mosquitto_conf(BrokerConfig(TLS, Path("acl"), port=18883, demo_plain_port=1884))
    assert [line for line in text.splitlines() if line.startswith("listener")] == [
        "listener 18883 127.0.0.1", "listener 1884 127.0.0.1"
    ]
    assert text.index("allow_anonymous false") < text.index("listener 1884") < text.index("allow_anonymous true")
