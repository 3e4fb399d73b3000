"""A rejected message is republished on `psn/v1/_rejected/{reason}/…` whatever its topic: one too long (or too
deep, or holding what no topic may) is shortened with a hash, and the payload names the original exactly."""

from __future__ import annotations

import hashlib
import json
import queue
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from psn.events import MessageRejected
from psn.subscribers import rejected_republisher
from telemetry import Reason, Rejection
from tests.support import Mosquitto, RunningServer, make_settings, publisher

HEAD = "psn/v1/_rejected/bad_topic/"


def valid_publish_topic(topic: str) -> bool:
    """Written from MQTT 5 §1.5.4 / §4.7 and Mosquitto 2.0's checks, not from psn's code: UTF-8 with a 16-bit
    length, no wildcard, no U+0000 or other control character, no non-character, at most 200 '/'."""
    try:
        raw = topic.encode("utf-8")
    except UnicodeEncodeError:
        return False
    bad = [c for c in topic if c in "+#" or ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0
           or 0xFDD0 <= ord(c) <= 0xFDEF or ord(c) & 0xFFFF in (0xFFFE, 0xFFFF)]
    return len(raw) <= 65_535 and topic.count("/") <= 200 and not bad


def republish(topic: str) -> tuple[str, dict[str, object]]:
    sent: list[tuple[str, bytes]] = []
    rejected_republisher(lambda t, p, _q: sent.append((t, p)))(
        MessageRejected(topic, b"{}", Rejection(Reason.BAD_TOPIC, "not a psn topic")))
    (out, body), = sent
    return out, json.loads(body)


TOPICS = st.one_of(
    st.text(),
    st.text(alphabet="ab/+#\x00…é", max_size=400),
    st.integers(0, 70_000).map(lambda n: "x" * n),
    st.tuples(st.integers(0, 300), st.text(max_size=20)).map(lambda t: "/" * t[0] + t[1]),
)


@settings(max_examples=300, deadline=None)
@given(TOPICS)
def test_every_rejected_topic_is_republished_on_a_valid_topic_naming_it_exactly(topic: str) -> None:
    out, body = republish(topic)
    assert valid_publish_topic(out)
    assert out.startswith(HEAD)
    assert body["topic"] == topic
    if valid_publish_topic(HEAD + topic):
        assert out == HEAD + topic
    else:
        digest = hashlib.sha256(topic.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        readable, _, tail = out.removeprefix(HEAD).rpartition("…")
        assert tail == digest and topic.startswith(readable) and len(readable.encode()) <= 256


def test_the_shortened_form_is_spelled_as_documented() -> None:
    topic = "psn/v1/police/" + "U" * 70_000 + "/telemetry"
    digest = hashlib.sha256(topic.encode()).hexdigest()[:16]
    assert republish(topic)[0] == HEAD + topic[:256] + "…" + digest
    assert republish("a/+/b")[0] == HEAD + "a/…" + hashlib.sha256(b"a/+/b").hexdigest()[:16]


@pytest.mark.timeout(60)
def test_a_rejected_topic_at_mqtts_length_limit_reaches_operators_through_mosquitto(tmp_path: Path) -> None:
    """The longest topic Mosquitto accepts (65,535 bytes) is refused by psn (a 65,516-character unit name): its
    republished topic would be longer than any broker accepts. Operators get it, and psn keeps its connection."""
    broker = Mosquitto(tmp_path).start()
    running = RunningServer(make_settings(tmp_path, broker.url)).start()
    got: queue.Queue[tuple[str, bytes]] = queue.Queue()
    watcher = publisher(broker.url)
    watcher.on_message = lambda _c, _u, msg: got.put((msg.topic, bytes(msg.payload)))
    subscribed = threading.Event()
    watcher.on_subscribe = lambda *_: subscribed.set()
    try:
        watcher.subscribe("psn/v1/_rejected/#", qos=1)
        assert subscribed.wait(10)
        long_topic = "psn/v1/police/" + "U" * (65_535 - len("psn/v1/police//telemetry")) + "/telemetry"
        assert len(long_topic.encode()) == 65_535
        sender = publisher(broker.url)
        sender.publish(long_topic, b'{"lat": 17.5}', qos=1).wait_for_publish(10)
        sender.publish("psn/v1/police/P-1/telemetry", b"not json", qos=1).wait_for_publish(10)
        seen = [got.get(timeout=10), got.get(timeout=10)]
        sender.disconnect()
    finally:
        watcher.disconnect()
        running.stop()
        broker.stop()
    (short, body), (plain, _) = seen
    assert json.loads(body)["topic"] == long_topic
    assert short == HEAD + long_topic[:256] + "…" + hashlib.sha256(long_topic.encode()).hexdigest()[:16]
    assert plain.startswith("psn/v1/_rejected/") and plain.endswith("/psn/v1/police/P-1/telemetry")
    assert running.server.mqtt is not None and running.server.mqtt.connects == 1
