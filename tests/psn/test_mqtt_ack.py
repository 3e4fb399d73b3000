"""The MQTT adapter's acknowledgements, without a broker: which packet ids paho is told to acknowledge, and when.

The message handler and paho's `ack` are replaced by recorders; the adapter's own acknowledging thread runs.
The real broker paths are tests/psn/test_delivery.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import paho.mqtt.client as mqtt
import pytest

from psn.events import Receipt
from psn.mqtt import BrokerURL, MqttClient
from psn.mqtt import client as client_module
from tests.support import wait_for


class CountingReceipt(Receipt):
    """Counts the acknowledging thread's looks at it: seeing it wait is how a test knows it had its chance."""

    def __init__(self) -> None:
        super().__init__()
        self.waits = 0

    def wait(self, timeout: float | None = None) -> bool:
        self.waits += 1
        return super().wait(timeout)


class Adapter:
    def __init__(self) -> None:
        self.receipts: list[CountingReceipt] = []
        self.acked: list[int] = []
        self.client = MqttClient(BrokerURL.parse("mqtt://127.0.0.1:1"), "t", ["#"], self._handle)
        self.client.client.ack = lambda mid, qos: self.acked.append(mid)  # type: ignore[method-assign]

    def _handle(self, _topic: str, _payload: bytes, receipt: Receipt | None = None, _dup: bool = False) -> None:
        assert isinstance(receipt, CountingReceipt)
        receipt.expect(1)  # one durable taker: done when the test resolves it
        self.receipts.append(receipt)

    def deliver(self, mid: int, dup: bool = False) -> CountingReceipt:
        message = mqtt.MQTTMessage(mid=mid, topic=b"psn/v1/police/P-1/telemetry")
        message.qos, message.dup, message.payload = 1, dup, b"{}"
        self.client._on_message(self.client.client, None, message)
        return self.receipts[-1]

    def reconnect(self, session_present: bool) -> None:
        self.client.client.subscribe = lambda *_a, **_k: None  # type: ignore[method-assign,assignment]
        self.client._on_connect(self.client.client, None, SimpleNamespace(session_present=session_present),
                                SimpleNamespace(is_failure=False), None)


@pytest.fixture
def adapter(monkeypatch: pytest.MonkeyPatch) -> Iterator[Adapter]:
    monkeypatch.setattr(client_module, "Receipt", CountingReceipt)
    a = Adapter()
    a.client._acker.start()
    yield a
    a.client._stopping = True
    a.client._acker.join()


def test_acknowledged_after_the_commit_in_arrival_order(adapter: Adapter) -> None:
    first, second = adapter.deliver(1), adapter.deliver(2)
    second.resolve()
    wait_for(lambda: first.waits >= 2)  # the thread has looked at 1, uncommitted, more than once
    assert adapter.acked == [] and adapter.client.unacknowledged == 2  # 2 waits for 1: in order
    first.resolve()
    wait_for(lambda: adapter.acked == [1, 2])


def test_a_failed_commit_is_never_acknowledged(adapter: Adapter) -> None:
    adapter.deliver(1).resolve(ok=False)
    adapter.deliver(2).resolve()
    wait_for(lambda: adapter.client.unacknowledged == 0)
    assert adapter.acked == [2]


def test_a_packet_id_that_comes_again_is_acknowledged_once_after_both_copies(adapter: Adapter) -> None:
    first = adapter.deliver(7)
    again = adapter.deliver(7, dup=True)  # the broker's redelivery after a reconnect, before the first's commit
    again.resolve()
    first.resolve()
    wait_for(lambda: adapter.client.unacknowledged == 0)
    assert adapter.acked == [7] and adapter.client.repeated_ids == 1


def test_no_ack_of_an_old_packet_id_to_a_broker_that_lost_the_session(adapter: Adapter) -> None:
    old = adapter.deliver(3)
    adapter.reconnect(session_present=False)
    old.resolve()  # id 3 means nothing to the new session, or a message of its own not yet received
    wait_for(lambda: adapter.client.unacknowledged == 0)
    adapter.deliver(4).resolve()
    wait_for(lambda: adapter.acked == [4])


def test_a_resumed_session_gets_the_acknowledgements_of_the_messages_before_it(adapter: Adapter) -> None:
    old = adapter.deliver(3)
    adapter.reconnect(session_present=True)  # the broker resends 3 and takes its ack on the new connection
    old.resolve()
    wait_for(lambda: adapter.acked == [3])
