"""How a stored position is sealed at rest: the sensitive fields as one AES-256-GCM blob per fix.

The associated data binds a blob to its row identity (unit and time), so blobs cannot be swapped between
rows or units without opening failing. unit_id, agency and ts stay in clear: they are what queries select on.
"""

from __future__ import annotations

from typing import Protocol

import orjson

from crypto.envelope import key_id_of

SEALED_FIELDS = ("lat", "lon", "alt", "speed", "heading", "accuracy", "battery")
Position = tuple[float | None, ...]


class Sealer(Protocol):
    def seal(self, agency: str, plaintext: bytes, aad: bytes) -> bytes: ...

    def open(self, blob: bytes, aad: bytes) -> bytes: ...

    def reencrypt(self, blob: bytes, aad: bytes) -> bytes: ...


def aad(unit_id: str, ts: float) -> bytes:
    return f"fixes/{unit_id}/{ts!r}".encode()


def seal_position(sealer: Sealer, agency: str, unit_id: str, ts: float, values: Position) -> tuple[bytes, str]:
    blob = sealer.seal(agency, orjson.dumps(values), aad(unit_id, ts))
    return blob, key_id_of(blob)


def open_position(sealer: Sealer, unit_id: str, ts: float, blob: bytes) -> Position:
    return tuple(orjson.loads(sealer.open(blob, aad(unit_id, ts))))
