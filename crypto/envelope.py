"""Envelope encryption: records sealed with AES-256-GCM under per-agency data keys, wrapped by a master key.

Blob layout (all lengths in bytes)::

    version=1 (1) | len(key_id) (1) | key_id ASCII, e.g. "police:v3" | nonce (12) | ciphertext + GCM tag (16)

The GCM associated data is the header followed by the caller's `aad` (e.g. b"fixes/12345"), so neither
the key id nor the record a blob belongs to can be changed without `open` failing.
Random 96-bit nonces: NIST SP 800-38D caps one key at 2**32 seals, so rotate each agency's key well before
(a monthly rotation covers 1,500 units reporting every second).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto._files import PRIVATE, read_private, write_atomic
from crypto.errors import CryptoError

FORMAT = 1
NONCE_SIZE = 12
TAG_SIZE = 16
MASTER_ENV = "PSN_MASTER_KEY"


class EnvelopeError(CryptoError):
    """Envelope encryption failure."""


class MalformedBlob(EnvelopeError):
    """The bytes are not a sealed blob of a known format."""


class UnknownKey(EnvelopeError):
    """The blob names a data key this keyring does not hold (never created, or retired)."""


class DecryptionFailed(EnvelopeError):
    """Authentication failed: the blob was altered, or it is being opened for another record."""


class KeyInUse(EnvelopeError):
    """A data key cannot be retired while it is current or data still references it."""


class MasterKeyError(EnvelopeError):
    """The master key is missing, malformed, or not the one that wrapped the keyring."""


class MasterKeyProvider(Protocol):
    """Wraps data keys. A key file and an environment variable ship here; an HSM or KMS is another provider."""

    @property
    def key_id(self) -> str: ...

    def wrap(self, data_key: bytes, context: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes: ...


@dataclass(frozen=True)
class LocalMasterKey:
    """A 256-bit master key in process memory, loaded from a 0600 file or `PSN_MASTER_KEY` (base64)."""

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) != 32:
            raise MasterKeyError(f"a master key is 32 bytes, got {len(self.key)}")

    @classmethod
    def generate(cls) -> LocalMasterKey:
        return cls(AESGCM.generate_key(256))

    @classmethod
    def from_file(cls, path: Path) -> LocalMasterKey:
        return cls(_b64_key(read_private(path), str(path)))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> LocalMasterKey:
        value = environ.get(MASTER_ENV)
        if not value:
            raise MasterKeyError(f"{MASTER_ENV} is not set (expected 32 random bytes, base64)")
        return cls(_b64_key(value.encode(), MASTER_ENV))

    def write(self, path: Path) -> None:
        write_atomic(path, base64.b64encode(self.key) + b"\n", PRIVATE)

    @property
    def key_id(self) -> str:
        # A fingerprint, not the key: tells which master wrapped an entry without revealing it.
        return "local:" + hashlib.sha256(b"psn-master-key-id\0" + self.key).hexdigest()[:16]

    def wrap(self, data_key: bytes, context: bytes) -> bytes:
        nonce = os.urandom(NONCE_SIZE)
        return nonce + AESGCM(self.key).encrypt(nonce, data_key, context)

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        try:
            return AESGCM(self.key).decrypt(wrapped[:NONCE_SIZE], wrapped[NONCE_SIZE:], context)
        except InvalidTag as exc:
            raise MasterKeyError("a wrapped data key does not open: wrong master key or altered keyring") from exc


@dataclass(frozen=True)
class WrappedKey:
    key_id: str
    agency: str
    version: int
    created: float
    master_id: str
    wrapped: bytes = field(repr=False)


class Keyring:
    """Per-agency, versioned data keys persisted as a JSON file of wrapped keys (never plaintext)."""

    def __init__(self, path: Path, master: MasterKeyProvider, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.master = master
        self._clock = clock
        self._keys: dict[str, WrappedKey] = {}
        self._aead: dict[str, AESGCM] = {}
        self._current: dict[str, str] = {}  # agency -> newest key id; seal() is on the ingest hot path
        if path.exists():
            try:
                for entry in json.loads(read_private(path))["keys"]:
                    key = WrappedKey(**(entry | {"wrapped": base64.b64decode(entry["wrapped"], validate=True)}))
                    self._keys[key.key_id] = key
            except (ValueError, KeyError, TypeError) as exc:
                raise EnvelopeError(f"{path} is not a psn keyring: {exc!r}") from exc
        self._reindex()

    def key_ids(self, agency: str | None = None) -> list[str]:
        keys = sorted(self._keys.values(), key=lambda k: (k.agency, k.version))
        return [k.key_id for k in keys if agency is None or k.agency == agency]

    def current(self, agency: str) -> str:
        key_id = self._current.get(agency)
        if key_id is None:
            raise UnknownKey(f"no data key for agency {agency!r}: create one with rotate({agency!r})")
        return key_id

    def rotate(self, agency: str) -> str:
        """Add a new key version for `agency`, used for every new seal; older versions stay readable."""
        if not agency or ":" in agency:
            raise EnvelopeError(f"agency {agency!r} cannot name a key (empty or contains ':')")
        versions = [self._keys[k].version for k in self.key_ids(agency)]
        version = max(versions, default=0) + 1
        key_id = f"{agency}:v{version}"
        data_key = AESGCM.generate_key(256)
        wrapped = self.master.wrap(data_key, _context(key_id))
        self._keys[key_id] = WrappedKey(key_id, agency, version, self._clock(), self.master.key_id, wrapped)
        self._aead[key_id] = AESGCM(data_key)
        self._save()
        self._reindex()
        return key_id

    def seal(self, agency: str, plaintext: bytes, aad: bytes) -> bytes:
        key_id = self.current(agency)
        kid = key_id.encode("ascii")
        nonce = os.urandom(NONCE_SIZE)
        header = bytes((FORMAT, len(kid))) + kid + nonce
        return header + self._cipher(key_id).encrypt(nonce, plaintext, header + aad)

    def open(self, blob: bytes, aad: bytes) -> bytes:
        key_id, header = _parse_header(blob)
        try:
            return self._cipher(key_id).decrypt(header[-NONCE_SIZE:], blob[len(header) :], header + aad)
        except InvalidTag as exc:
            raise DecryptionFailed(
                f"blob under {key_id} failed authentication: it was altered, or it belongs to another record"
            ) from exc

    def reencrypt(self, blob: bytes, aad: bytes) -> bytes:
        """The same plaintext sealed under its agency's current key (unchanged if already current)."""
        key_id = key_id_of(blob)
        agency = key_id.rpartition(":")[0]
        if key_id == self.current(agency):
            return blob
        return self.seal(agency, self.open(blob, aad), aad)

    def retire(self, key_id: str, in_use: Callable[[str], bool]) -> None:
        """Forget an old key. `in_use(key_id)` is the caller's check that no stored blob references it."""
        key = self._keys.get(key_id)
        if key is None:
            raise UnknownKey(f"no data key {key_id!r} to retire")
        if key_id == self.current(key.agency):
            raise KeyInUse(f"{key_id} is the current key of {key.agency!r}: rotate first")
        if in_use(key_id):
            raise KeyInUse(f"{key_id} still encrypts stored data: re-encrypt it before retiring the key")
        del self._keys[key_id]
        self._aead.pop(key_id, None)
        self._save()
        self._reindex()

    def rotate_master(self, new_master: MasterKeyProvider) -> None:
        """Re-wrap every data key under `new_master`; data blobs are untouched."""
        rewrapped = {
            kid: WrappedKey(
                kid, k.agency, k.version, k.created, new_master.key_id,
                new_master.wrap(self._unwrap(k), _context(kid)),
            )
            for kid, k in self._keys.items()
        }
        self._keys, self.master = rewrapped, new_master
        self._save()

    def _reindex(self) -> None:
        self._current = {k.agency: k.key_id for k in sorted(self._keys.values(), key=lambda k: k.version)}

    def _cipher(self, key_id: str) -> AESGCM:
        aead = self._aead.get(key_id)
        if aead is None:
            key = self._keys.get(key_id)
            if key is None:
                raise UnknownKey(f"data key {key_id!r} is not in {self.path} (never created here, or retired)")
            aead = self._aead[key_id] = AESGCM(self._unwrap(key))
        return aead

    def _unwrap(self, key: WrappedKey) -> bytes:
        if key.master_id != self.master.key_id:
            raise MasterKeyError(f"{key.key_id} was wrapped by master {key.master_id}, not {self.master.key_id}")
        return self.master.unwrap(key.wrapped, _context(key.key_id))

    def _save(self) -> None:
        keys = [asdict(k) | {"wrapped": base64.b64encode(k.wrapped).decode()} for k in self._keys.values()]
        write_atomic(self.path, json.dumps({"format": FORMAT, "keys": keys}, indent=1).encode(), PRIVATE)


def key_id_of(blob: bytes) -> str:
    """The data key a blob was sealed under, read from its header (for `retire` checks)."""
    return _parse_header(blob)[0]


def _parse_header(blob: bytes) -> tuple[str, bytes]:
    if len(blob) < 2 or blob[0] != FORMAT:
        raise MalformedBlob(f"not a sealed blob (format byte {blob[:1].hex() or 'missing'}, expected {FORMAT:02x})")
    end = 2 + blob[1] + NONCE_SIZE
    if blob[1] == 0 or len(blob) < end + TAG_SIZE:
        raise MalformedBlob(f"sealed blob truncated: {len(blob)} bytes")
    try:
        key_id = blob[2 : 2 + blob[1]].decode("ascii")
    except UnicodeDecodeError as exc:
        raise MalformedBlob("sealed blob key id is not ASCII") from exc
    return key_id, blob[:end]


def _context(key_id: str) -> bytes:
    # Binds a wrapped key to its id: swapping two entries in the JSON file makes both fail to unwrap.
    return b"psn-data-key\0" + key_id.encode()


def _b64_key(raw: bytes, source: str) -> bytes:
    try:
        return base64.b64decode(raw.strip(), validate=True)
    except binascii.Error as exc:
        raise MasterKeyError(f"{source} is not base64") from exc
