"""The JSON Schemas in docs/schemas/ against themselves, the examples of docs/protocol.md and the decoders."""

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from netmgmt import alarms
from psn.security_events import Kind
from telemetry import Ack, Alert, Fix, LinkReport, ProbeFix, Reason, Rejection, decode, topics
from telemetry.kpi import CellKpi
from telemetry.kpi import decode as decode_kpi
from tests.telemetry.test_kpi import CTX as KPI_CTX
from tests.telemetry.test_kpi import SAMPLES as KPI_SAMPLES
from tests.telemetry.test_kpi import json_values
from tests.telemetry.test_link import CTX as LINK_CTX
from tests.telemetry.test_link import SAMPLES as LINK_SAMPLES
from tests.telemetry.test_link import TOPIC as LINK_TOPIC
from tests.telemetry.test_owntracks import ANDROID, IOS
from tests.telemetry.test_owntracks import CTX as OWNTRACKS_CTX
from tests.telemetry.test_probe import CTX as PROBE_CTX
from tests.telemetry.test_probe import SAMPLES as PROBE_SAMPLES
from tests.telemetry.test_probe import TOPIC as PROBE_TOPIC
from tests.telemetry.test_psn_v1 import CTX as PSN_V1_CTX
from tests.telemetry.test_psn_v1 import SAMPLES as PSN_V1_SAMPLES
from tests.telemetry.test_psn_v1 import TOPIC as PSN_V1_TOPIC
from tests.telemetry.test_unit_alerts_acks import ACK as ACK_TOPIC
from tests.telemetry.test_unit_alerts_acks import ACK_SAMPLES, ALERT_SAMPLES
from tests.telemetry.test_unit_alerts_acks import ALERT as ALERT_TOPIC
from tests.telemetry.test_unit_alerts_acks import CTX as UNIT_CTX

DOCS = Path(__file__).resolve().parents[2] / "docs"
NET_ALARM = {"id": "AL-1", "kind": "cell_load", "target": "BZE-PMD-1", "severity": "major", "state": "raised",
             "raised": 1.0, "changed": 1.0, "count": 1, "detail": "", "acknowledged_by": None}
NAMES = ["ack", "alert", "cell-kpi", "cmd", "link-report", "net-alarm", "net-fault", "net-policy",
         "owntracks-location", "probe", "rejected", "security-event", "status", "telemetry"]
TAGGED_BLOCK = re.compile(r"<!-- schema: ([a-z-]+) -->\n```json\n(.*?)\n```", re.DOTALL)


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DOCS / "schemas" / f"{name}.json").read_text())
    return loaded


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name), format_checker=Draft202012Validator.FORMAT_CHECKER)


def protocol_examples() -> list[tuple[str, str]]:
    return TAGGED_BLOCK.findall((DOCS / "protocol.md").read_text())


def test_there_is_one_schema_per_payload() -> None:
    assert sorted(path.stem for path in (DOCS / "schemas").glob("*.json")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_a_valid_draft_2020_12_schema(name: str) -> None:
    doc = schema(name)
    Draft202012Validator.check_schema(doc)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["$id"] == f"urn:psn:schema:v1:{name}"
    assert doc["title"] and doc["description"] and doc["required"]
    assert doc["type"] == "object" and doc["additionalProperties"] is True  # decoders ignore unknown fields


def test_every_json_block_of_the_protocol_is_tagged_with_its_schema() -> None:
    text = (DOCS / "protocol.md").read_text()
    assert text.count("```json") == len(protocol_examples())
    assert sorted({name for name, _ in protocol_examples()}) == NAMES


@pytest.mark.parametrize(("name", "example"), protocol_examples())
def test_protocol_examples_validate(name: str, example: str) -> None:
    validator(name).validate(json.loads(example))


def test_the_protocol_names_every_topic_of_the_namespace() -> None:
    text = (DOCS / "protocol.md").read_text()
    documented = [
        *(topics.unit_topic("{agency}", "{unit}", kind) for kind in topics.UnitKind),
        topics.cmd_topic("{agency}", "{unit}"),
        topics.broadcast_prefix("{agency}"),
        topics.cell_kpi_topic("{cell}"),
        topics.NET_POLICY_TOPIC,
        topics.link_topic("{agency}", "{unit}"),
        topics.probe_topic("{source}"),
        topics.rejected_topic("{reason}", "{original topic}"),
        topics.security_topic("{kind}"),
        topics.alarm_topic("{kind}"),
        topics.owntracks_prefix("{user}", "{device}"),
    ]
    assert [topic for topic in documented if f"`{topic}" not in text] == []


def accepted_samples() -> list[tuple[str, bytes]]:
    """(schema, payload) of every sample payload of the decoder tests that its decoder accepts."""
    psn_v1 = [("telemetry", p, decode(PSN_V1_TOPIC, p, PSN_V1_CTX)) for p in PSN_V1_SAMPLES]
    owntracks = [("owntracks-location", p, decode("owntracks/jdoe/pixel", p, OWNTRACKS_CTX))
                 for p in (ANDROID, IOS)]
    kpi = [("cell-kpi", p, decode_kpi(cell, p, KPI_CTX)) for cell, p in KPI_SAMPLES.items()]
    alerts = [("alert", p, decode(ALERT_TOPIC, p, UNIT_CTX)) for p in ALERT_SAMPLES]
    acks = [("ack", p, decode(ACK_TOPIC, p, UNIT_CTX)) for p in ACK_SAMPLES]
    probes = [("probe", p, decode(PROBE_TOPIC, p, PROBE_CTX)) for p in PROBE_SAMPLES]
    links = [("link-report", p, decode(topic, p, LINK_CTX)) for topic, p in LINK_SAMPLES.items()]
    return [(name, payload) for name, payload, result in psn_v1 + owntracks + kpi + alerts + acks + probes + links
            if isinstance(result, Fix | CellKpi | Alert | Ack | ProbeFix | LinkReport)]


def test_the_decoders_accept_samples_of_every_decoded_schema() -> None:
    # Three psn/v1 fixes, the Android OwnTracks location (iOS's carries cog -1), three cells' KPIs, four alerts
    # and two acknowledgements, two probe positions, three link reports.
    names = [name for name, _ in accepted_samples()]
    assert sorted(names) == (["ack"] * 2 + ["alert"] * 4 + ["cell-kpi"] * 3 + ["link-report"] * 3
                             + ["owntracks-location"]
                             + ["probe"] * 2 + ["telemetry"] * 3)


@pytest.mark.parametrize(("name", "payload"), accepted_samples())
def test_samples_the_decoders_accept_validate(name: str, payload: bytes) -> None:
    validator(name).validate(json.loads(payload))


@pytest.mark.parametrize(
    ("name", "document"),
    [
        ("telemetry", {"ts": 1764383039, "lon": -88.2}),
        ("telemetry", {"ts": 1764383039, "lat": 91, "lon": -88.2}),
        ("telemetry", {"ts": 1764383039, "lat": 17.5, "lon": -88.2, "speed": "12"}),
        ("telemetry", {"ts": 1764383039, "lat": 17.5, "lon": -88.2, "battery": True}),
        ("telemetry", {"ts": 1764383039, "lat": 17.5, "lon": -88.2, "heading": 361}),
        ("telemetry", {"ts": True, "lat": 17.5, "lon": -88.2}),
        ("status", {"ts": 1764383039, "status": "Out To Lunch!"}),
        ("alert", {"ts": 1764383039, "lat": 17.5, "lon": -88.2}),
        ("alert", {"ts": 1764383039, "type": "emergency", "lat": 17.5}),
        ("ack", {"ts": 1764383039, "ref": "c-1", "result": "maybe"}),
        ("cmd", {"ts": 1764383039, "type": "message"}),
        ("cell-kpi", {**json.loads(KPI_SAMPLES["BZE-CTR-1"]), "connected_ues": 3.5}),
        ("cell-kpi", {**json.loads(KPI_SAMPLES["BZE-CTR-1"]), "prb_util_dl": 1.2}),
        ("cell-kpi", {**json.loads(KPI_SAMPLES["BZE-CTR-1"]), "cell": "BZE CTR 1"}),
        ("link-report", {**json.loads(LINK_SAMPLES[LINK_TOPIC]), "arp": 1.5}),
        ("link-report", {**json.loads(LINK_SAMPLES[LINK_TOPIC]), "uplifted": 1}),
        ("link-report", {k: v for k, v in json.loads(LINK_SAMPLES[LINK_TOPIC]).items() if k != "cell"}),
        ("probe", {"ts": 1764383039, "lat": 17.5, "lon": -88.2}),
        ("probe", {"ts": 1764383039, "vehicle": "AB 123", "lat": 17.5, "lon": -88.2}),
        ("rejected", {"reason": "duplicate", "detail": "", "topic": "t", "payload": "", "payload_bytes": 0}),
        ("rejected", {"reason": "bad_field", "detail": "", "topic": "t", "payload": "", "payload_bytes": -1}),
        ("security-event", {"seq": 0, "ts": 1.0, "kind": "bad_token", "actor": "x", "detail": {}}),
        ("security-event", {"seq": 1, "ts": 1.0, "kind": "tea_break", "actor": "x", "detail": {}}),
        ("net-alarm", {**NET_ALARM, "state": "snoozed"}),
        ("net-alarm", {**NET_ALARM, "count": 0}),
        ("net-alarm", {key: value for key, value in NET_ALARM.items() if key != "acknowledged_by"}),
        ("owntracks-location", {"_type": "transition", "lat": 17.5, "lon": -88.2, "tst": 1764383030}),
        ("owntracks-location", json.loads(IOS)),
    ],
)
def test_invalid_documents_are_refused(name: str, document: dict[str, Any]) -> None:
    assert not validator(name).is_valid(document)


def test_enumerations_follow_the_code() -> None:
    assert set(schema("rejected")["properties"]["reason"]["enum"]) == {r.value for r in Reason} - {"duplicate"}
    assert set(schema("security-event")["properties"]["kind"]["enum"]) == {k.value for k in Kind}
    alarm = schema("net-alarm")["properties"]
    for field, values in (("kind", alarms.Kind), ("severity", alarms.Severity), ("state", alarms.State)):
        assert alarm[field]["enum"] == [v.value for v in values]


def decoder_accepts(name: str, payload: bytes) -> bool:
    if name == "telemetry":
        return isinstance(decode(PSN_V1_TOPIC, payload, PSN_V1_CTX), Fix)
    if name == "owntracks-location":
        return isinstance(decode("owntracks/jdoe/pixel", payload, OWNTRACKS_CTX), Fix)
    if name == "link-report":
        return isinstance(decode(LINK_TOPIC, payload, LINK_CTX), LinkReport)
    result = decode_kpi("BZE-CTR-1", payload, KPI_CTX)
    assert isinstance(result, CellKpi | Rejection)
    return isinstance(result, CellKpi)


BASE = {"telemetry": PSN_V1_SAMPLES[0], "owntracks-location": ANDROID, "cell-kpi": KPI_SAMPLES["BZE-CTR-1"],
        "link-report": LINK_SAMPLES[LINK_TOPIC]}


# Every range the decoders check, from docs/protocol.md: (schema, field, low, high, kind), both ends included;
# an "optional" field may be null, a "required" one may not, a "count" is also a whole number.
RANGES = [
    ("telemetry", "alt", -500, 20_000, "optional"), ("telemetry", "speed", 0, 350, "optional"),
    ("telemetry", "heading", -360, 360, "optional"), ("telemetry", "accuracy", 0, 100_000, "optional"),
    ("telemetry", "battery", 0, 100, "optional"),
    ("owntracks-location", "alt", -500, 20_000, "optional"), ("owntracks-location", "vel", 0, 1260, "optional"),
    ("owntracks-location", "cog", 0, 360, "optional"), ("owntracks-location", "acc", 0, 100_000, "optional"),
    ("owntracks-location", "batt", 0, 100, "optional"),
    ("cell-kpi", "connected_ues", 0, 1_000_000, "count"), ("cell-kpi", "prb_util_dl", 0, 1, "required"),
    ("cell-kpi", "prb_util_ul", 0, 1, "required"), ("cell-kpi", "thr_dl_mbps", 0, 10_000, "required"),
    ("cell-kpi", "thr_ul_mbps", 0, 10_000, "required"), ("cell-kpi", "mean_dl_sinr_db", -30, 60, "optional"),
    ("cell-kpi", "bearers_rejected", 0, 1_000_000, "count"), ("cell-kpi", "bearers_preempted", 0, 1_000_000, "count"),
    ("link-report", "rsrp_dbm", -156, -30, "optional"), ("link-report", "sinr_db", -30, 60, "optional"),
    ("link-report", "ul_mbps", 0, 10_000, "required"), ("link-report", "dl_mbps", 0, 10_000, "required"),
]


@pytest.mark.parametrize(("name", "field", "low", "high", "kind"), RANGES)
def test_schema_and_decoder_ranges_are_the_documented_ones(name: str, field: str, low: float, high: float,
                                                           kind: str) -> None:
    prop = schema(name)["properties"][field]
    assert (prop["minimum"], prop["maximum"]) == (low, high)
    probes = [(low, True), (high, True), (math.nextafter(low, -math.inf), False),
              (math.nextafter(high, math.inf), False), (None, kind == "optional"), (low + 0.5, kind != "count"),
              (float(high), True), (True, False), (str(low), False)]
    for value, inside in probes:
        document = {**json.loads(BASE[name]), field: value}
        assert decoder_accepts(name, json.dumps(document).encode()) is inside, value
        assert validator(name).is_valid(document) is inside, value


def test_schema_coordinates_are_wgs84_not_the_service_area() -> None:
    for name in ("telemetry", "owntracks-location", "probe", "alert"):
        lat, lon = schema(name)["properties"]["lat"], schema(name)["properties"]["lon"]
        assert (lat["minimum"], lat["maximum"], lon["minimum"], lon["maximum"]) == (-90, 90, -180, 180)


# The ranged fields and an unknown one have only schema facts to check (not the clock, the service area or the
# topic): replacing one of them by any JSON value, the decoder accepts exactly what the schema does.
SCHEMA_CHECKED = [(name, field) for name, field, *_ in RANGES] + [(name, "vendor") for name in BASE] + [
    ("link-report", "arp"), ("link-report", "uplifted")]


@settings(max_examples=300)
@given(st.sampled_from(SCHEMA_CHECKED), json_values)
def test_decoder_and_schema_agree_on_any_value_of_a_field(where: tuple[str, str], value: object) -> None:
    name, field = where
    document = {**json.loads(BASE[name]), field: value}
    assert decoder_accepts(name, json.dumps(document).encode()) == validator(name).is_valid(document), document
