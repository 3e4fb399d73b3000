from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto.audit_chain import (
    GENESIS,
    AuditEntry,
    AuditFormatError,
    Checkpoint,
    Failure,
    append,
    checkpoint,
    entry_hash,
    verify,
)
from crypto.audit_file import AuditFile
from tests.crypto.conftest import NOW

KEY = Ed25519PrivateKey.generate()


def chain(n: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for i in range(n):
        prev = entries[-1] if entries else None
        entries.append(
            append(prev, now=NOW + i, actor="dispatcher:ana", action="unit.assign", target=f"police/P-{i}",
                   detail={"incident": 40 + i, "note": "Belmopan — ñ"})
        )
    return entries


def rehash_from(entries: list[AuditEntry], start: int) -> list[AuditEntry]:
    """What a careful forger does: recompute every hash after an edit."""
    out = entries[:start]
    for e in entries[start:]:
        prev_hash = out[-1].hash if out else GENESIS
        body = e.body() | {"prev_hash": prev_hash}
        out.append(AuditEntry(**body, hash=entry_hash(prev_hash, body)))
    return out


def test_intact_chain_with_checkpoints_verifies() -> None:
    entries = chain(10)
    assert entries[0].seq == 1 and entries[0].prev_hash == GENESIS and entries[1].prev_hash == entries[0].hash
    assert entries[0].ts == "2025-11-24T16:00:00.000000Z"
    cps = [checkpoint(entries[:5], KEY, now=NOW), checkpoint(entries, KEY, now=NOW)]
    report = verify(entries, cps, KEY.public_key())
    assert report.ok and report.summary() == "OK: 10 entries, 2 checkpoints"


def test_edited_entry_is_named() -> None:
    entries = chain(6)
    entries[3] = dataclasses.replace(entries[3], actor="someone-else")
    report = verify(entries, [], KEY.public_key())
    assert report.first is not None
    assert (report.first.seq, report.first.kind) == (4, Failure.HASH_MISMATCH)
    assert "seq 4: hash mismatch" in report.summary()


def test_edited_and_rehashed_entry_breaks_the_next_link() -> None:
    entries = chain(6)
    entries[2] = dataclasses.replace(entries[2], detail={"incident": 0})
    entries[2] = rehash_from(entries, 2)[2]
    report = verify(entries, [], KEY.public_key())
    assert report.first is not None and (report.first.seq, report.first.kind) == (4, Failure.PREV_LINK_BROKEN)


def test_rewritten_chain_is_caught_by_the_checkpoint() -> None:
    entries = chain(8)
    cp = checkpoint(entries[:6], KEY, now=NOW)
    entries[1] = dataclasses.replace(entries[1], action="unit.release")
    forged = rehash_from(entries, 1)
    report = verify(forged, [cp], KEY.public_key())
    assert report.first is not None and (report.first.seq, report.first.kind) == (6, Failure.CHECKPOINT_HASH_MISMATCH)


@pytest.mark.parametrize(
    ("mutate", "seq"),
    [
        (lambda es: es[:2] + es[3:], 3),  # removed
        (lambda es: [*es[:2], es[3], es[2], *es[4:]], 3),  # reordered
        (lambda es: [*es[:2], es[1], *es[2:]], 3),  # duplicated / inserted
    ],
)
def test_removed_reordered_inserted_entries_are_seq_gaps(
    mutate: Callable[[list[AuditEntry]], list[AuditEntry]], seq: int
) -> None:
    report = verify(mutate(chain(6)), [], KEY.public_key())
    assert report.first is not None and (report.first.seq, report.first.kind) == (seq, Failure.SEQ_GAP)


def test_truncated_tail_is_caught_by_checkpoint_and_forged_checkpoint_rejected() -> None:
    entries = chain(6)
    cp = checkpoint(entries, KEY, now=NOW)
    report = verify(entries[:4], [cp], KEY.public_key())
    assert report.first is not None and (report.first.seq, report.first.kind) == (6, Failure.CHECKPOINT_BEYOND_LOG)
    forged = dataclasses.replace(cp, hash="ab" * 32)
    other = Ed25519PrivateKey.generate()
    for bad in (forged, checkpoint(entries, other, now=NOW)):
        report = verify(entries, [bad], KEY.public_key())
        assert report.first is not None and report.first.kind == Failure.CHECKPOINT_SIGNATURE_INVALID
    assert "signed by key" in str(report.first)


def test_records_must_have_exact_fields_and_types() -> None:
    record = chain(1)[0].to_dict()
    assert AuditEntry.from_dict(record) == chain(1)[0]
    for bad in (record | {"seq": "1"}, record | {"seq": True}, {k: v for k, v in record.items() if k != "ts"},
                record | {"extra": 1}):
        with pytest.raises(AuditFormatError):
            AuditEntry.from_dict(bad)
    with pytest.raises(AuditFormatError):
        append(None, now=NOW, actor="a", action="b", target="c", detail={"x": float("nan")})
    with pytest.raises(AuditFormatError, match="empty"):
        checkpoint([], KEY, now=NOW)
    assert Checkpoint.from_dict(checkpoint(chain(1), KEY, now=NOW).to_dict()).seq == 1


@pytest.fixture
def audit_file(tmp_path: Path) -> AuditFile:
    log = AuditFile(tmp_path / "audit.jsonl")
    for i in range(4):
        log.append(now=NOW + i, actor="admin:joe", action="cert.issue", target=f"fire/F-{i}", detail={"days": 365})
    log.checkpoint(KEY, now=NOW + 5)
    log.append(now=NOW + 6, actor="admin:joe", action="cert.revoke", target="fire/F-1")
    return log


def test_file_round_trip_and_reopen(audit_file: AuditFile) -> None:
    assert audit_file.verify(KEY.public_key()).summary() == "OK: 5 entries, 1 checkpoints"
    reopened = AuditFile(audit_file.path)
    assert reopened.append(now=NOW + 7, actor="a", action="b", target="c").seq == 6
    assert reopened.verify(KEY.public_key()).ok
    lines = audit_file.path.read_text().splitlines()
    assert json.loads(lines[4]).keys() == {"checkpoint"}


def test_every_flipped_byte_in_the_file_is_a_named_failure(audit_file: AuditFile) -> None:
    original = audit_file.path.read_bytes()
    public = KEY.public_key()
    for index in range(len(original)):
        for mask in (0x01, 0x20):
            damaged = bytearray(original)
            damaged[index] ^= mask
            audit_file.path.write_bytes(bytes(damaged))
            report = audit_file.verify(public)
            assert not report.ok, f"flip {mask:#x} at byte {index} went unnoticed"
            assert report.first is not None and str(report.first)


def test_damaged_file_is_reported_by_line_and_refuses_appends(audit_file: AuditFile) -> None:
    text = audit_file.path.read_text().splitlines(keepends=True)
    text[2] = text[2].replace('"days":365', '"days": 365')
    audit_file.path.write_text("".join(text))
    report = audit_file.verify(KEY.public_key())
    assert report.first is not None
    assert str(report.first).startswith("line 3: malformed record: line is not in canonical form")
    with pytest.raises(AuditFormatError, match="damaged"):
        AuditFile(audit_file.path).append(now=NOW, actor="a", action="b", target="c")
