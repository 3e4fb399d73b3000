"""Fault commands from psn to the simulated network (`POST /api/v1/net/faults`): checked against the inventory
(`netmgmt.faults`), published on the fault topic (QoS 1, not retained: a drill's command is for the equipment
running now, not for one that starts tomorrow) and written to the audit log with who sent it."""

from __future__ import annotations

import json
from typing import Any

from netmgmt.faults import FaultCommand, check_fault
from psn.access import Principal
from psn.audit import AuditLog
from psn.clock import Clock
from psn.net.alarms import Publish
from psn.net.inventory import Inventory
from telemetry.topics import NET_FAULT_TOPIC


class FaultSender:
    def __init__(self, inventory: Inventory, publish: Publish, audit: AuditLog, clock: Clock) -> None:
        self._inventory, self._publish, self._audit, self._clock = inventory, publish, audit, clock

    def targets(self) -> dict[str, list[str]]:
        """What a command may name: the inventory's site and cell ids, sorted."""
        return {"sites": sorted(s.id for s in self._inventory.sites()),
                "cells": sorted(c.id for c in self._inventory.cells())}

    def send(self, who: Principal, command: FaultCommand) -> dict[str, Any]:
        """Sends a command `check_fault` accepts (FaultError otherwise, nothing sent); the answer names what
        went out, by whom and when."""
        check_fault(command, {c.id for c in self._inventory.cells()}, {s.id for s in self._inventory.sites()})
        document = command.document()
        self._publish(NET_FAULT_TOPIC, json.dumps(document, separators=(",", ":")).encode(), 1)
        self._audit.record(who.name, "net.fault_sent", command.target, **document)
        return {"topic": NET_FAULT_TOPIC, "command": document, "sent_by": who.name, "sent": self._clock.time()}
