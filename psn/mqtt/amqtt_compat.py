"""The one place that reaches into amqtt internals (targets amqtt 0.12).

amqtt asks the topic plugins (`Action.RECEIVE`) before each live delivery, but sends the RETAINED messages that
match a new subscription without asking them (`Broker._publish_retained_messages_for_subscription`). On the
embedded broker a unit subscribed to `#` was sent psn's retained network policy (which units of every agency
stream video, which are uplifted): tests/psn/test_transport_security.py caught it. `FilteredBroker` overrides
that one method so retained messages go through the same rules as live ones (`psn.mqtt.acl.may_receive`).

`check_compatible()` raises `IncompatibleAmqtt` when an upgrade moves what the override relies on;
tests/psn/test_amqtt_compat.py runs it so the break is loud.
"""

from __future__ import annotations

import asyncio
import inspect

from amqtt.broker import Broker
from amqtt.contexts import Action
from amqtt.session import Session

# The private members the override uses, and the parameters each must still take.
_RELIED_ON = {
    "_publish_retained_messages_for_subscription": ("self", "subscription", "session"),
    "_topic_filtering": ("self", "session", "topic", "action"),
    "_matches": ("self", "topic", "a_filter"),
    "_get_handler": ("self", "session"),
}


class IncompatibleAmqtt(RuntimeError):
    """An amqtt upgrade moved an internal `FilteredBroker` relies on."""


def check_compatible() -> None:
    for name, params in _RELIED_ON.items():
        member = getattr(Broker, name, None)
        if member is None or tuple(inspect.signature(member).parameters) != params:
            raise IncompatibleAmqtt(f"amqtt Broker.{name} is gone or changed its parameters (expected {params})")
    if "_retained_messages" not in inspect.getsource(Broker.__init__):
        raise IncompatibleAmqtt("amqtt Broker no longer keeps retained messages in _retained_messages")


class FilteredBroker(Broker):
    async def _publish_retained_messages_for_subscription(self, subscription: tuple[str, int],
                                                          session: Session) -> None:
        topic_filter, qos = subscription
        handler = self._get_handler(session)
        if handler is None:
            return
        sends = [
            asyncio.ensure_future(handler.mqtt_publish(retained.topic, retained.data,
                                                       min(qos, retained.qos or qos), retain=True))
            for topic, retained in list(self._retained_messages.items())
            if self._matches(topic, topic_filter)
            and await self._topic_filtering(session, topic=topic, action=Action.RECEIVE)
        ]
        if sends:
            await asyncio.wait(sends)
