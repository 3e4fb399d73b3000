from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto.envelope import (
    DecryptionFailed,
    EnvelopeError,
    KeyInUse,
    Keyring,
    LocalMasterKey,
    MalformedBlob,
    MasterKeyError,
    UnknownKey,
    key_id_of,
)

RECORD = b'{"unit":"P-12","lat":17.25,"lon":-88.77,"ts":1764000000}'


@pytest.fixture
def master() -> LocalMasterKey:
    return LocalMasterKey.generate()


@pytest.fixture
def keyring(tmp_path: Path, master: LocalMasterKey) -> Keyring:
    ring = Keyring(tmp_path / "keyring.json", master, clock=lambda: 1_764_000_000.0)
    ring.rotate("police")
    return ring


def test_round_trip_and_no_plaintext_key_on_disk(keyring: Keyring, master: LocalMasterKey) -> None:
    blob = keyring.seal("police", RECORD, b"fixes/1")
    assert keyring.open(blob, b"fixes/1") == RECORD
    assert RECORD not in blob and key_id_of(blob) == "police:v1"
    assert stat.S_IMODE(keyring.path.stat().st_mode) == 0o600
    reloaded = Keyring(keyring.path, master)
    assert reloaded.open(blob, b"fixes/1") == RECORD
    stored = json.loads(keyring.path.read_text())["keys"][0]
    assert len(base64.b64decode(stored["wrapped"])) == 12 + 32 + 16  # nonce + wrapped key + tag


@pytest.mark.parametrize("index", [0, 1, 5, 12, 20, -1])
def test_any_flipped_byte_is_a_typed_error(keyring: Keyring, index: int) -> None:
    blob = bytearray(keyring.seal("police", RECORD, b"fixes/1"))
    blob[index] ^= 0x01
    with pytest.raises(EnvelopeError):
        keyring.open(bytes(blob), b"fixes/1")


def test_flipped_ciphertext_or_swapped_record_fails_authentication(keyring: Keyring) -> None:
    blob = keyring.seal("police", RECORD, b"fixes/1")
    tampered = blob[:-20] + bytes([blob[-20] ^ 0x80]) + blob[-19:]
    with pytest.raises(DecryptionFailed, match="altered"):
        keyring.open(tampered, b"fixes/1")
    with pytest.raises(DecryptionFailed, match="another record"):
        keyring.open(blob, b"fixes/2")


def test_rotation_reencrypt_retire(keyring: Keyring, master: LocalMasterKey) -> None:
    old = keyring.seal("police", RECORD, b"r1")
    assert keyring.rotate("police") == "police:v2"
    new = keyring.seal("police", RECORD, b"r2")
    assert key_id_of(new) == "police:v2"
    assert keyring.open(old, b"r1") == RECORD  # old data still readable
    store = {b"r1": old, b"r2": new}
    with pytest.raises(KeyInUse, match="re-encrypt"):
        keyring.retire("police:v1", lambda kid: any(key_id_of(b) == kid for b in store.values()))
    store = {aad: keyring.reencrypt(blob, aad) for aad, blob in store.items()}
    assert store[b"r2"] == new  # already current: untouched
    keyring.retire("police:v1", lambda kid: any(key_id_of(b) == kid for b in store.values()))
    reloaded = Keyring(keyring.path, master)
    assert reloaded.key_ids() == ["police:v2"]
    assert all(reloaded.open(blob, aad) == RECORD for aad, blob in store.items())
    with pytest.raises(UnknownKey, match="retired"):
        reloaded.open(old, b"r1")
    with pytest.raises(KeyInUse, match="current key"):
        reloaded.retire("police:v2", lambda kid: False)


def test_agencies_are_separate_and_need_a_key(keyring: Keyring) -> None:
    keyring.rotate("fire")
    assert key_id_of(keyring.seal("fire", b"x", b"")) == "fire:v1"
    with pytest.raises(UnknownKey, match=r"rotate\('ems'\)"):
        keyring.seal("ems", b"x", b"")


def test_master_key_rotation_rewraps_data_keys(keyring: Keyring, tmp_path: Path) -> None:
    blob = keyring.seal("police", RECORD, b"r")
    new_master = LocalMasterKey.generate()
    keyring.rotate_master(new_master)
    assert Keyring(keyring.path, new_master).open(blob, b"r") == RECORD
    with pytest.raises(MasterKeyError, match="wrapped by master"):
        Keyring(keyring.path, LocalMasterKey.generate()).open(blob, b"r")


def test_master_key_from_file_and_environment(tmp_path: Path, master: LocalMasterKey) -> None:
    path = tmp_path / "master.key"
    master.write(path)
    assert LocalMasterKey.from_file(path).key_id == master.key_id
    env = {"PSN_MASTER_KEY": base64.b64encode(master.key).decode()}
    assert LocalMasterKey.from_env(env) == master
    with pytest.raises(MasterKeyError, match="not set"):
        LocalMasterKey.from_env({})
    with pytest.raises(MasterKeyError, match="32 bytes"):
        LocalMasterKey.from_env({"PSN_MASTER_KEY": "c2hvcnQ="})
    path.chmod(0o644)
    with pytest.raises(Exception, match="chmod 600"):
        LocalMasterKey.from_file(path)


@pytest.fixture(scope="module")
def shared_ring(tmp_path_factory: pytest.TempPathFactory) -> Keyring:
    # Module scope: Hypothesis reruns a test body many times and refuses function-scoped fixtures.
    ring = Keyring(tmp_path_factory.mktemp("ring") / "k.json", LocalMasterKey.generate())
    ring.rotate("police")
    return ring


@given(blob=st.binary(max_size=200), aad=st.binary(max_size=16))
def test_opening_random_bytes_only_raises_typed_errors(shared_ring: Keyring, blob: bytes, aad: bytes) -> None:
    with pytest.raises(EnvelopeError):
        shared_ring.open(blob, aad)


@given(plaintext=st.binary(min_size=1, max_size=64), data=st.data())
def test_mutated_blobs_never_open(shared_ring: Keyring, plaintext: bytes, data: st.DataObject) -> None:
    blob = bytearray(shared_ring.seal("police", plaintext, b"aad"))
    index = data.draw(st.integers(0, len(blob) - 1))
    blob[index] ^= data.draw(st.integers(1, 255))
    with pytest.raises(EnvelopeError):
        shared_ring.open(bytes(blob), b"aad")


def test_malformed_headers_are_named() -> None:
    with pytest.raises(MalformedBlob, match="format byte"):
        key_id_of(b"\x02abc")
    with pytest.raises(MalformedBlob, match="truncated"):
        key_id_of(b"\x01\x09police:v1")


def test_corrupt_keyring_file_is_a_typed_error(tmp_path: Path, master: LocalMasterKey) -> None:
    path = tmp_path / "keyring.json"
    for content in ("not json", '{"keys": [{"key_id": "x"}]}', '{"nokeys": 1}'):
        path.write_text(content)
        path.chmod(0o600)
        with pytest.raises(EnvelopeError, match="not a psn keyring"):
            Keyring(path, master)
