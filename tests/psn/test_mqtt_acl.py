"""The embedded broker's rules on their own: the same confinement as the Mosquitto ACL psn renders."""

from __future__ import annotations

import pytest

from crypto.identity import UnitIdentity
from psn.mqtt.acl import may_publish, may_receive, owns_client_id, render_acl


@pytest.mark.parametrize(("topic", "allowed"), [
    ("psn/v1/police/P-1/telemetry", True),
    ("psn/v1/police/P-1/status", True),
    ("psn/v1/police/P-1/alert", True),
    ("psn/v1/police/P-1/ack", True),
    ("psn/v1/police/P-1", False),  # only the four kinds a unit sends, nothing else below its name
    ("psn/v1/police/P-1/cmd", False),  # a unit never writes its own commands
    ("psn/v1/police/P-1/cmd/ack", False),
    ("psn/v1/police/P-1/telemetry/x", False),
    ("psn/v1/police/P-1/video", False),
    ("owntracks/police/P-1", True),
    ("owntracks/police/P-1/event", True),
    ("psn/v1/police/P-12/telemetry", False),  # a prefix of another unit's name is not the unit
    ("psn/v1/police/P-1x", False),
    ("psn/v1/fire/P-1/telemetry", False),
    ("psn/v1/police/_broadcast/all", False),
    ("psn/v1/_security/spoofed_topic", False),
    ("owntracks/jdoe/pixel", False),
    ("owntracks/police/P-12", False),
    ("psn/v1/police", False),
])
def test_a_unit_publishes_only_as_itself(topic: str, allowed: bool) -> None:
    assert may_publish("police/P-1", topic) is allowed


@pytest.mark.parametrize(("topic", "allowed"), [
    ("psn/v1/probes/bus-co", True),
    ("psn/v1/probes/taxi", False),  # another feed
    ("psn/v1/probes/bus-co/x", False),
    ("psn/v1/probes", False),
    ("psn/v1/police/P-1/telemetry", False),
    ("owntracks/probes/bus-co", False),
])
def test_a_probe_source_publishes_only_its_feed_and_receives_nothing(topic: str, allowed: bool) -> None:
    assert may_publish("probes/bus-co", topic) is allowed
    assert not may_receive("probes/bus-co", topic)


def test_services_publish_and_receive_anything() -> None:
    assert may_publish("psn-server", "psn/v1/police/P-1/cmd/go")
    assert may_receive("psn-server", "psn/v1/fire/F-1/telemetry")


@pytest.mark.parametrize(("topic", "allowed"), [
    ("psn/v1/police/P-1/cmd/go", True),
    ("psn/v1/police/_broadcast/all", True),
    ("psn/v1/police/P-12/cmd/go", False),
    ("psn/v1/fire/_broadcast/all", False),
    ("psn/v1/police/P-2/telemetry", False),
    ("psn/v1/police/P-1/telemetry", False),  # as on Mosquitto: only cmd/ and broadcasts are read
])
def test_a_unit_receives_its_commands_and_its_agency_broadcast(topic: str, allowed: bool) -> None:
    assert may_receive("police/P-1", topic) is allowed


@pytest.mark.parametrize(("client_id", "clean", "allowed"), [
    ("police/P-1", False, True),
    ("police/P-1:phone", False, True),
    ("", True, True),  # the broker draws a random id
    ("", False, False),
    ("police/P-12", True, False),
    ("police/P-1x", True, False),
    ("psn-server", True, False),
])
def test_client_ids_belong_to_identities(client_id: str, clean: bool, allowed: bool) -> None:
    assert owns_client_id("police/P-1", client_id, clean) is allowed


def test_acl_patterns_and_per_unit_broadcast() -> None:
    units = [UnitIdentity("police", "P-12"), UnitIdentity("fire", "F-1"), UnitIdentity("police", "P-12")]
    lines = render_acl(units).splitlines()
    assert [line for line in lines if line.startswith("pattern write psn/v1/")] == [
        "pattern write psn/v1/%u/telemetry", "pattern write psn/v1/%u/status", "pattern write psn/v1/%u/alert",
        "pattern write psn/v1/%u/ack", "pattern write psn/v1/%u"]  # the last: a probe source's one topic
    assert "pattern read psn/v1/%u/cmd/#" in lines
    assert lines[lines.index("user psn-server") + 1] == "topic readwrite #"
    assert lines[lines.index("user police/P-12") + 1] == "topic read psn/v1/police/_broadcast/#"
    assert lines[lines.index("user fire/F-1") + 1] == "topic read psn/v1/fire/_broadcast/#"
    assert lines.count("user police/P-12") == 1
    assert "pattern write owntracks/%u/#" in lines
    # A probe feed's CN probes/{source} would also get the unit patterns' topics (tests/psn/test_probe_certificates)
    assert [line for line in lines if " deny " in line] == [
        "pattern deny psn/v1/probes/+/+/#", "pattern deny owntracks/probes/#",
        # and network equipment's CN net/{name} (tests/psn/test_equipment_certificates.py)
        "pattern deny psn/v1/net/+/telemetry", "pattern deny psn/v1/net/+/status", "pattern deny psn/v1/net/+/alert",
        "pattern deny psn/v1/net/+/ack", "pattern deny psn/v1/net/+/cmd/#", "pattern deny owntracks/net/#"]


def test_acl_lists_each_piece_of_equipment_with_its_topics() -> None:
    lines = render_acl([], equipment=["net/enb-2", "net/enb-1", "net/enb-2"]).splitlines()
    assert lines.count("user net/enb-2") == 1
    start = lines.index("user net/enb-1")
    assert lines[start:start + 6] == [
        "user net/enb-1", "topic write psn/v1/net/cell/+/kpi", "topic write psn/v1/net/ue/+/+/link",
        "topic read psn/v1/net/cmd/#", "topic read psn/v1/+/+/telemetry", "topic read owntracks/+/+"]


@pytest.mark.parametrize(("topic", "publish", "receive"), [
    ("psn/v1/net/cell/BZE-PMD-1/kpi", True, False),
    ("psn/v1/net/ue/police/P-1/link", True, False),
    ("psn/v1/net/ue/net/P-1/link", False, False),  # no agency is `net`
    ("psn/v1/net/cell/BZE-PMD-1/kpi/x", False, False),
    ("psn/v1/net/cmd/policy", False, True),  # psn's to send, the equipment's to read
    ("psn/v1/net/cmd/fault", False, True),
    ("psn/v1/police/P-1/telemetry", False, True),  # where its UEs are
    ("owntracks/jdoe/pixel", False, True),
    ("owntracks/jdoe/pixel/event", False, False),
    ("psn/v1/police/P-1/status", False, False),
    ("psn/v1/police/P-1/cmd", False, False),
    ("psn/v1/net/enb-1/telemetry", False, False),  # what the unit patterns name for its CN
    ("owntracks/net/enb-1", False, False),
    ("psn/v1/probes/bus-co", False, False),
    ("psn/v1/_alarms/cell_silent", False, False),
])
def test_equipment_writes_kpis_and_links_and_reads_commands_and_positions(topic: str, publish: bool,
                                                                          receive: bool) -> None:
    assert may_publish("net/enb-1", topic) is publish
    assert may_receive("net/enb-1", topic) is receive


@pytest.mark.parametrize("topic", ["psn/v1/net/cell/BZE-PMD-1/kpi", "psn/v1/net/ue/police/P-1/link",
                                   "psn/v1/net/cmd/policy"])
def test_a_unit_never_writes_network_topics(topic: str) -> None:
    assert not may_publish("police/P-1", topic)
    assert not may_publish("probes/bus-co", topic)
