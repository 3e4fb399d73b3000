"""The HTTP way in for a crewed unit's messages: the officer's phone posts its outbox (positions from the
browser's geolocation, status words, the emergency button, acknowledgements of commands) and each item goes
through the same `Sink` (`Ingest.handle`) as the unit's MQTT messages, on that unit's own topic.

The unit is always the one the officer signed on to (`psn.cad.crew`), never one named in the request, so a
phone can speak only for the unit it crews. Items are handled in order, one after the other on the caller's
thread, so the bus sees them in the order the officer pressed the buttons (docs/events.md: per publishing
thread, in order). Each item's answer is the decoder's: accepted, or refused with its reason and detail.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson

from psn.events import Receipt
from psn.gateways import Sink
from telemetry import Rejection
from telemetry.fix import Reason
from telemetry.topics import UnitKind, unit_topic

MAX_ITEMS = 500  # a phone offline for 40 minutes sharing a position every 5 s queues 480
MAX_BODY = 256 * 1024  # 500 items of ~300 bytes (a fix with every optional field) fit with room to spare
# How long the answer waits for the store before it goes out anyway: the batch writer commits within
# `store_flush_s` (0.25 s by default) when the database keeps up.
RECEIPT_WAIT_S = 10.0
KINDS = tuple(kind.value for kind in UnitKind)


@dataclass(frozen=True, slots=True)
class ItemResult:
    ok: bool
    detail: str

    def to_json(self) -> dict[str, object]:
        return {"ok": self.ok, "detail": self.detail}


class HttpUnits:
    """Hands a crewed unit's posted items to the sink; `refused` counts an item refused before decoding under
    the same reason an MQTT message would be counted (`IngestStats.reject`)."""

    def __init__(self, sink: Sink, refused: Callable[[str], None]) -> None:
        self.sink = sink
        self.refused = refused

    def handle(self, unit_id: str, items: Sequence[object]) -> list[ItemResult]:
        """Each item's answer, once every accepted one is stored (as MQTT's QoS 1 acknowledgement waits)."""
        agency, unit = unit_id.split("/", 1)
        receipts: list[Receipt] = []
        results = [self._one(agency, unit, item, receipts) for item in items]
        # Waited for together, not one by one: the batch writer commits every `store_flush_s`, and waiting per
        # item made 25 requests of up to 30 items take 25 s instead of 3 s (tests/psn/cad/test_me_outbox_fuzz.py).
        deadline = time.monotonic() + RECEIPT_WAIT_S
        for receipt in receipts:
            receipt.wait(max(0.0, deadline - time.monotonic()))
        return results

    def _one(self, agency: str, unit: str, item: object, receipts: list[Receipt]) -> ItemResult:
        if not isinstance(item, dict):
            return self._refuse(Reason.NOT_AN_OBJECT, "each item must be an object {\"kind\", \"payload\"}")
        kind = item.get("kind")
        if kind not in KINDS:
            return self._refuse(Reason.BAD_TOPIC, f"'kind' must be one of {', '.join(KINDS)}, not {kind!r:.80}")
        # Re-serialised: the decoder gets the bytes an MQTT client would have published (a missing payload is
        # `null`, which the decoder refuses as not an object, like any other non-object).
        payload = orjson.dumps(item.get("payload"))
        receipt = Receipt()
        result = self.sink(unit_topic(agency, unit, kind), payload, receipt)
        if isinstance(result, Rejection):
            return ItemResult(False, f"{result.reason.value}: {result.detail}")
        receipts.append(receipt)
        return ItemResult(True, "accepted")

    def _refuse(self, reason: Reason, detail: str) -> ItemResult:
        self.refused(reason.value)
        return ItemResult(False, f"{reason.value}: {detail}")
