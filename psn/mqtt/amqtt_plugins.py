"""amqtt topic plugin: every publish and every delivery goes through the psn rules (`psn.mqtt.acl`).

The username of a session is the certificate identity: `TlsListener` put it there, whatever the client sent.
amqtt builds plugins from dotted names and a `Config` dataclass, so the guard travels in the config.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amqtt.contexts import Action
from amqtt.plugins.base import BaseTopicPlugin
from amqtt.session import Session

from psn.mqtt import acl
from psn.mqtt.guard import ClientGuard


class IdentityTopicPlugin(BaseTopicPlugin):
    @dataclass
    class Config:
        guard: Any  # a ClientGuard; Any because amqtt type-checks configs with dacite

    async def topic_filtering(
        self, *, session: Session | None = None, topic: str | None = None, action: Action | None = None
    ) -> bool:
        identity = session.username if session is not None else None
        if not identity or topic is None:
            return False
        if action == Action.PUBLISH:
            guard: ClientGuard = self.config.guard
            return guard.may_publish(identity, topic, session.client_id if session else None)
        if action == Action.RECEIVE:
            return acl.may_receive(identity, topic)
        # SUBSCRIBE: any filter, as with Mosquitto; what it delivers is checked message by message (RECEIVE).
        return True
