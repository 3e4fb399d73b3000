"""An append-only JSON-lines audit store: one canonical JSON object per line, `{"entry": …}` or `{"checkpoint": …}`.

For standalone logs and `psn audit verify --file`; the server keeps its chain in its database. Each line
must be byte-identical to its canonical form, so any flipped byte is reported (as malformed, or by the chain).
One writer at a time: appends are not locked across processes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from crypto import audit_chain
from crypto.audit_chain import AuditEntry, AuditFormatError, Checkpoint, Failure, Problem, VerifyReport


@dataclass(frozen=True)
class AuditRecords:
    entries: list[AuditEntry]
    checkpoints: list[Checkpoint]
    malformed: list[Problem]


class AuditFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._last: AuditEntry | None = None
        self._loaded = False

    def append(
        self, *, now: float, actor: str, action: str, target: str, detail: Mapping[str, Any] | None = None
    ) -> AuditEntry:
        entry = audit_chain.append(self._tail(), now=now, actor=actor, action=action, target=target, detail=detail)
        self._write({"entry": entry.to_dict()})
        self._last = entry
        return entry

    def checkpoint(self, signing_key: Ed25519PrivateKey, *, now: float) -> Checkpoint:
        last = self._tail()
        cp = audit_chain.checkpoint([last] if last else [], signing_key, now=now)
        self._write({"checkpoint": cp.to_dict()})
        return cp

    def read(self) -> AuditRecords:
        records = AuditRecords([], [], [])
        data = self.path.read_bytes() if self.path.exists() else b""
        lines = data.split(b"\n")
        if lines[-1]:
            records.malformed.append(_malformed(len(lines), "last line has no newline: a write was cut short"))
        for number, line in enumerate(lines[:-1], start=1):
            try:
                record = _parse(line)
            except (AuditFormatError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
                records.malformed.append(_malformed(number, str(exc)))
                continue
            if isinstance(record, AuditEntry):
                records.entries.append(record)
            else:
                records.checkpoints.append(record)
        return records

    def verify(self, public_key: Ed25519PublicKey) -> VerifyReport:
        """Malformed lines come first in the report (by line number), then what the chain check finds."""
        records = self.read()
        report = audit_chain.verify(records.entries, records.checkpoints, public_key)
        return VerifyReport(report.entries, report.checkpoints, (*records.malformed, *report.problems))

    def _tail(self) -> AuditEntry | None:
        if not self._loaded:
            records = self.read()
            if records.malformed:
                raise AuditFormatError(f"{self.path} is damaged ({records.malformed[0]}): verify it before appending")
            self._last = records.entries[-1] if records.entries else None
            self._loaded = True
        return self._last

    def _write(self, record: dict[str, Any]) -> None:
        with self.path.open("ab") as fh:
            fh.write(audit_chain.canonical(record) + b"\n")
            fh.flush()
            os.fsync(fh.fileno())


def _parse(line: bytes) -> AuditEntry | Checkpoint:
    obj = json.loads(line.decode("utf-8"))
    if not isinstance(obj, dict) or len(obj) != 1 or not obj.keys() <= {"entry", "checkpoint"}:
        raise AuditFormatError('expected {"entry": …} or {"checkpoint": …}')
    if audit_chain.canonical(obj) != line:
        raise AuditFormatError("line is not in canonical form (sorted keys, no whitespace): it was edited")
    ((kind, record),) = obj.items()
    if not isinstance(record, dict):
        raise AuditFormatError(f"{kind} must be a JSON object")
    return AuditEntry.from_dict(record) if kind == "entry" else Checkpoint.from_dict(record)


def _malformed(line: int, message: str) -> Problem:
    return Problem(Failure.MALFORMED, None, message, line=line)
