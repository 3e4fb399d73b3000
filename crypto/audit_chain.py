"""A tamper-evident audit log in pure form: hash-chained entries and Ed25519-signed checkpoints.

    hash = SHA-256(prev_hash || canonical(entry without "hash"))      prev_hash of entry 1 = 64 zeros

canonical() is JSON with sorted keys, no whitespace, UTF-8. Timestamps are RFC 3339 UTC strings with
microseconds, so an entry survives any storage that keeps text. A checkpoint signs (seq, hash) of an entry:
rewriting the whole chain after it then shows, and removal of the tail is caught up to the last checkpoint.
Storage is the caller's (the server's database, or `crypto.audit_file`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from crypto.errors import CryptoError
from crypto.keys import fingerprint

GENESIS = "0" * 64
_CHECKPOINT_DOMAIN = b"psn-audit-checkpoint-v1\0"  # a checkpoint signature can never pass for another message


class AuditFormatError(CryptoError):
    """A record is not a well-formed audit entry or checkpoint."""


def canonical(obj: Any) -> bytes:
    try:
        return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise AuditFormatError(f"not canonical JSON material: {exc}") from exc


def timestamp(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    ts: str
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str

    def body(self) -> dict[str, Any]:
        body = asdict(self)
        del body["hash"]
        return body

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> AuditEntry:
        return cls(**_typed_fields(cls, record))


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    ts: str
    key_id: str
    signature: str = field(repr=False)

    def signed_payload(self) -> bytes:
        signed = {"seq": self.seq, "hash": self.hash, "ts": self.ts, "key_id": self.key_id}
        return _CHECKPOINT_DOMAIN + canonical(signed)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> Checkpoint:
        return cls(**_typed_fields(cls, record))


def entry_hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(body)).hexdigest()


def append(
    prev: AuditEntry | None,
    *,
    now: float,
    actor: str,
    action: str,
    target: str,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """The entry that follows `prev` (None: the first entry of a log)."""
    body: dict[str, Any] = {
        "seq": 1 if prev is None else prev.seq + 1,
        "ts": timestamp(now),
        "actor": actor,
        "action": action,
        "target": target,
        # A JSON round trip: the entry holds exactly what storage will give back (tuples become lists, …).
        "detail": json.loads(canonical(dict(detail or {}))),
        "prev_hash": GENESIS if prev is None else prev.hash,
    }
    return AuditEntry(**body, hash=entry_hash(body["prev_hash"], body))


def checkpoint(entries: Sequence[AuditEntry], signing_key: Ed25519PrivateKey, *, now: float) -> Checkpoint:
    """Sign the last entry's (seq, hash): everything up to it is then fixed."""
    if not entries:
        raise AuditFormatError("nothing to checkpoint: the log is empty")
    last = entries[-1]
    unsigned = Checkpoint(last.seq, last.hash, timestamp(now), fingerprint(signing_key.public_key()), "")
    signature = base64.b64encode(signing_key.sign(unsigned.signed_payload())).decode()
    return Checkpoint(last.seq, last.hash, unsigned.ts, unsigned.key_id, signature)


class Failure(StrEnum):
    MALFORMED = "malformed record"
    SEQ_GAP = "seq gap"
    PREV_LINK_BROKEN = "prev-hash link broken"
    HASH_MISMATCH = "hash mismatch"
    CHECKPOINT_SIGNATURE_INVALID = "checkpoint signature invalid"
    CHECKPOINT_HASH_MISMATCH = "checkpoint hash mismatch"
    CHECKPOINT_BEYOND_LOG = "checkpoint beyond end of log"


@dataclass(frozen=True)
class Problem:
    kind: Failure
    seq: int | None
    message: str
    line: int | None = None  # set by file stores

    def __str__(self) -> str:
        where = f"line {self.line}" if self.seq is None else f"seq {self.seq}"
        return f"{where}: {self.kind}: {self.message}"


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    checkpoints: int
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def summary(self) -> str:
        counts = f"{self.entries} entries, {self.checkpoints} checkpoints"
        return f"OK: {counts}" if self.first is None else f"FAILED ({counts}) at {self.first}"


def verify(
    entries: Iterable[AuditEntry], checkpoints: Iterable[Checkpoint], public_key: Ed25519PublicKey
) -> VerifyReport:
    """Check the chain from genesis, then every checkpoint; problems sorted by seq, the first is the culprit."""
    entries, checkpoints = list(entries), list(checkpoints)
    problems: list[Problem] = []
    hashes: dict[int, str] = {}  # seq -> hash, for the intact prefix of the chain
    prev = GENESIS
    for expected, entry in enumerate(entries, start=1):
        problem = _check_entry(entry, expected, prev)
        if problem is not None:
            problems.append(problem)
            break
        hashes[entry.seq], prev = entry.hash, entry.hash
    intact = len(hashes) == len(entries)
    key_id = fingerprint(public_key)
    for cp in checkpoints:
        problem = _check_checkpoint(cp, public_key, key_id, hashes, intact)
        if problem is not None:
            problems.append(problem)
    problems.sort(key=lambda p: p.seq if p.seq is not None else -1)
    return VerifyReport(len(entries), len(checkpoints), tuple(problems))


def _check_entry(entry: AuditEntry, expected: int, prev: str) -> Problem | None:
    if entry.seq != expected:
        return Problem(
            Failure.SEQ_GAP, expected,
            f"expected seq {expected}, found {entry.seq}: an entry was removed, inserted or reordered here",
        )
    if entry.prev_hash != prev:
        return Problem(
            Failure.PREV_LINK_BROKEN, entry.seq,
            f"prev_hash does not match entry {entry.seq - 1}'s hash: one of the two was rewritten",
        )
    if entry_hash(entry.prev_hash, entry.body()) != entry.hash:
        return Problem(Failure.HASH_MISMATCH, entry.seq, "content does not match its hash: the entry was edited")
    return None


def _check_checkpoint(
    cp: Checkpoint, public_key: Ed25519PublicKey, key_id: str, hashes: Mapping[int, str], intact: bool
) -> Problem | None:
    try:
        public_key.verify(base64.b64decode(cp.signature, validate=True), cp.signed_payload())
    except (InvalidSignature, binascii.Error, ValueError):
        signer = "" if cp.key_id == key_id else f" (signed by key {cp.key_id}, verifying with {key_id})"
        return Problem(Failure.CHECKPOINT_SIGNATURE_INVALID, cp.seq, f"checkpoint of {cp.ts} does not verify{signer}")
    if cp.seq in hashes and hashes[cp.seq] != cp.hash:
        return Problem(
            Failure.CHECKPOINT_HASH_MISMATCH, cp.seq,
            f"entry {cp.seq} differs from the one signed at {cp.ts}: the chain was rewritten up to here",
        )
    if cp.seq not in hashes and intact:
        last = max(hashes, default=0)
        return Problem(
            Failure.CHECKPOINT_BEYOND_LOG, cp.seq,
            f"checkpoint of {cp.ts} covers entry {cp.seq} but the log ends at {last}: entries were removed",
        )
    return None


def _typed_fields(cls: type, record: Mapping[str, Any]) -> dict[str, Any]:
    """The record's fields, exactly those of `cls` and of the declared types, or AuditFormatError."""
    kinds = {"int": int, "str": str, "dict[str, Any]": dict}  # field annotations are strings (PEP 563)
    declared = {f.name: kinds[str(f.type)] for f in fields(cls)}
    if set(record) != set(declared):
        raise AuditFormatError(f"{cls.__name__} fields {sorted(record)} are not {sorted(declared)}")
    for name, kind in declared.items():
        value = record[name]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise AuditFormatError(f"{cls.__name__}.{name} must be {kind.__name__}, got {type(value).__name__}")
    return dict(record)
