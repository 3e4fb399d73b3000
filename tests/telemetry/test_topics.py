"""The topic namespace: every topic psn reads or writes, placed by `parse` and spelled by the builders.

Expectations are the literal topics of docs/protocol.md, not derived from the module."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telemetry import topics
from telemetry.topics import BadTopic, CellKpiTopic, LinkTopic, OwnTracksTopic, ProbeTopic, UnitKind, UnitTopic


@pytest.mark.parametrize(("topic", "parsed"), [
    ("psn/v1/police/P-101/telemetry", UnitTopic("police", "P-101", "telemetry")),
    ("psn/v1/nemo/N-7/status", UnitTopic("nemo", "N-7", "status")),
    ("psn/v1/fire/F.1_a/alert", UnitTopic("fire", "F.1_a", "alert")),
    ("psn/v1/net/cell/BZE-PMD-1/kpi", CellKpiTopic("BZE-PMD-1")),
    ("psn/v1/net/ue/police/P-101/link", LinkTopic("police", "P-101")),
    ("psn/v1/probes/bus-co", ProbeTopic("bus-co")),
    ("owntracks/jdoe/pixel", OwnTracksTopic("jdoe", "pixel", None)),
    ("owntracks/jdoe/pixel/event", OwnTracksTopic("jdoe", "pixel", "event")),
])
def test_parse_places_each_topic(topic: str, parsed: object) -> None:
    assert topics.parse(topic) == parsed


@pytest.mark.parametrize("topic", [
    "psn/v1/net/P-1/telemetry",  # 'net' is never an agency
    "psn/v1/net/cell/C1/telemetry",
    "psn/v1/net/cell/C1",
    "psn/v1/net/ue/police/P-1",
    "psn/v1/net/ue/police/P-1/kpi",
    "psn/v1/net/ue/net/P-1/link",  # a reserved word is never an agency
    "psn/v1/net/ue/police/_broadcast/link",
    "psn/v1/net/cmd/policy",  # psn publishes it; no decoder reads it
    "psn/v1/probes/a/b",
    "psn/v1/probes/x y",
    "psn/v1/_rejected/bad_topic/x",
    "psn/v1/_x/P-1/telemetry",
    "psn/v1/police/_broadcast/telemetry",  # a unit never speaks for the agency's broadcast
    "psn/v1/police/P-1",
    "psn/v1/police/P-1/telemetry/extra",
    "psn/v1/po lice/P-1/telemetry",
    "psn/v2/police/P-1/telemetry",
    "psn",
    "",
    "owntracks/jdoe",
    "owntracks/j doe/pixel",
    "tak/cot",
    "psn/v1/police/P-1\n/telemetry",  # `$` would match before a final newline; names are matched whole
    "psn/v1/police\n/P-1/telemetry",
    "psn/v1/net/cell/BZE-1\n/kpi",
    "psn/v1/probes/taxi\n",
    "owntracks/jdoe\n/pixel",
])
def test_parse_refuses_what_is_not_in_the_namespace(topic: str) -> None:
    assert isinstance(topics.parse(topic), BadTopic)


def test_builders_spell_the_documented_topics() -> None:
    assert topics.unit_topic("police", "P-1", UnitKind.TELEMETRY) == "psn/v1/police/P-1/telemetry"
    assert topics.unit_topic("police", "P-1", UnitKind.ACK) == "psn/v1/police/P-1/ack"
    assert topics.cmd_topic("police", "P-1") == "psn/v1/police/P-1/cmd"
    assert topics.broadcast_prefix("nemo") == "psn/v1/nemo/_broadcast"
    assert topics.cell_kpi_topic("BZE-PMD-1") == "psn/v1/net/cell/BZE-PMD-1/kpi"
    assert topics.probe_topic("taxi") == "psn/v1/probes/taxi"
    assert topics.link_topic("police", "P-1") == "psn/v1/net/ue/police/P-1/link"
    assert (topics.NET_POLICY_TOPIC, topics.NET_FAULT_TOPIC) == ("psn/v1/net/cmd/policy", "psn/v1/net/cmd/fault")
    assert topics.alarm_topic("cell_down") == "psn/v1/_alarms/cell_down"
    assert topics.rejected_topic("bad_topic", "a/b") == "psn/v1/_rejected/bad_topic/a/b"
    assert topics.security_topic("spoofed_topic") == "psn/v1/_security/spoofed_topic"
    assert topics.SUBSCRIPTIONS == ("psn/v1/+/+/telemetry", "psn/v1/+/+/status", "psn/v1/+/+/alert",
                                    "psn/v1/+/+/ack", "psn/v1/net/cell/+/kpi", "psn/v1/net/ue/+/+/link",
                                    "psn/v1/probes/+",
                                    "owntracks/+/+")
    assert topics.UNIT_WRITE_PATTERNS == ("psn/v1/%u/telemetry", "psn/v1/%u/status", "psn/v1/%u/alert",
                                          "psn/v1/%u/ack")
    assert (topics.UNIT_READ_PATTERN, topics.OWNTRACKS_WRITE_PATTERN) == ("psn/v1/%u/cmd/#", "owntracks/%u/#")


@pytest.mark.parametrize(("name", "reserved"), [
    ("net", True), ("probes", True), ("_x", True), ("_broadcast", True), ("police", False), ("network", False),
    ("x_", False),
])
def test_reserved_names(name: str, reserved: bool) -> None:
    assert topics.is_reserved(name) is reserved
    assert (topics.reserved_agency_error(name) is not None) is reserved


NAMES = st.from_regex(r"\A[A-Za-z0-9.\-][A-Za-z0-9_.\-]{0,20}\Z")


@given(NAMES, NAMES, st.sampled_from(list(UnitKind)))
def test_what_a_builder_writes_parse_reads_back(agency: str, unit: str, kind: UnitKind) -> None:
    parsed = topics.parse(topics.unit_topic(agency, unit, kind))
    if agency in ("net", "probes"):
        assert not isinstance(parsed, UnitTopic)
    else:
        assert parsed == UnitTopic(agency, unit, kind.value)
