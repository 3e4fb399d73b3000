"""The sealed stream backups are written in: what goes in comes out, and nothing else ever does — a wrong
passphrase, any altered byte, a cut, a dropped or swapped chunk is an error of the family, never other bytes."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.passwords import Argon2Params
from crypto.sealed_stream import CHUNK, DamagedStream, OpeningReader, SealingWriter, WrongPassphrase

FAST = Argon2Params(time_cost=1, memory_cost_kib=8, parallelism=1)  # tests only
RECORD = 4 + CHUNK + 16


def seal(plain: bytes, passphrase: bytes = b"correct horse", pieces: int = 1) -> bytes:
    out = io.BytesIO()
    writer = SealingWriter(out, passphrase, FAST)
    step = max(1, len(plain) // pieces)
    for start in range(0, len(plain), step):
        writer.write(plain[start:start + step])
    writer.close()
    return out.getvalue()


def open_all(blob: bytes, passphrase: bytes = b"correct horse", read_size: int = -1) -> bytes:
    reader = OpeningReader(io.BytesIO(blob), passphrase)
    if read_size < 0:
        return reader.read()
    parts = []
    while part := reader.read(read_size):
        parts.append(part)
    return b"".join(parts)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=3000), st.integers(1, 7), st.sampled_from([-1, 1, 100, 4096]))
def test_round_trip(plain: bytes, pieces: int, read_size: int) -> None:
    assert open_all(seal(plain, pieces=pieces), read_size=read_size) == plain


@pytest.mark.parametrize("size", [0, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 17])
def test_round_trip_across_chunk_boundaries(size: int) -> None:
    plain = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    assert open_all(seal(plain, pieces=3), read_size=65536) == plain


def test_wrong_passphrase_is_told_apart_from_damage() -> None:
    with pytest.raises(WrongPassphrase):
        open_all(seal(b"keys"), b"Correct horse")


@settings(max_examples=150, deadline=None)
@given(st.binary(min_size=1, max_size=600), st.data())
def test_any_altered_byte_is_refused(plain: bytes, data: st.DataObject) -> None:
    blob = bytearray(seal(plain))
    where = data.draw(st.integers(0, len(blob) - 1))
    blob[where] ^= data.draw(st.integers(1, 255))
    with pytest.raises((DamagedStream, WrongPassphrase)):
        open_all(bytes(blob))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=600), st.data())
def test_any_cut_or_addition_is_refused(plain: bytes, data: st.DataObject) -> None:
    blob = seal(plain)
    cut = data.draw(st.integers(0, len(blob) - 1))
    with pytest.raises(DamagedStream):
        open_all(blob[:cut])
    with pytest.raises(DamagedStream):
        open_all(blob + data.draw(st.binary(min_size=1, max_size=40)))


def test_chunks_cannot_be_dropped_or_swapped() -> None:
    plain = b"a" * CHUNK + b"b" * CHUNK + b"c" * 10
    blob = seal(plain)
    header = len(blob) - 2 * RECORD - (4 + 10 + 16)
    first, second = blob[header:header + RECORD], blob[header + RECORD:header + 2 * RECORD]
    rest = blob[header + 2 * RECORD:]
    assert open_all(blob) == plain
    for forged in (blob[:header] + second + first + rest, blob[:header] + first + rest,
                   blob[:header] + first + second):
        with pytest.raises(DamagedStream):
            open_all(forged)
