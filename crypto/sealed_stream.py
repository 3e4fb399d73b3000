"""A byte stream sealed with a passphrase: psn's backup archives (`psn backup`), written and read in one pass,
so an archive of any size needs no more memory than one chunk.

Layout::

    MAGIC (8) | len(params) (2, big-endian) | params JSON | check (32) | records…
    record = len(ciphertext) (4, big-endian) | AES-256-GCM ciphertext + tag of one chunk (at most CHUNK bytes)

The passphrase goes through argon2id (the salt and costs are in `params`) to 64 bytes: the first 32 are the
AES key; SHA-256 of the last 32 is `check`, so a wrong passphrase is told apart from damage before anything is
decrypted. Chunk i's nonce is the 7-byte random prefix from `params`, i as 4 bytes, and 1 on the last chunk else
0 (the STREAM construction: chunks cannot be reordered, dropped or the stream cut short unnoticed); every chunk
authenticates the whole header as associated data, so no parameter can be changed either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from typing import BinaryIO

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.errors import CryptoError
from crypto.passwords import Argon2Params

MAGIC = b"PSNSEAL1"
CHUNK = 1 << 20  # 1 MiB: the memory a reader or writer holds; 16 bytes of tag a MiB
MAX_PARAMS = 4096
MAX_RECORD = CHUNK + 16
_LENGTH = 4
COST = Argon2Params()  # RFC 9106's second option, as for passwords: about 0.2 s a derivation


class SealedStreamError(CryptoError):
    """The stream cannot be opened: say why, nothing was written from it."""


class WrongPassphrase(SealedStreamError):
    """The passphrase does not open this archive (or its header was altered)."""


class DamagedStream(SealedStreamError):
    """Authentication failed: the archive was altered, truncated or is not one of psn's."""


@dataclass(frozen=True)
class _Header:
    raw: bytes
    key: AESGCM
    prefix: bytes


def _derive(passphrase: bytes, salt: bytes, params: Argon2Params) -> tuple[bytes, bytes]:
    out = hash_secret_raw(passphrase, salt, time_cost=params.time_cost, memory_cost=params.memory_cost_kib,
                          parallelism=params.parallelism, hash_len=64, type=Type.ID)
    return out[:32], hashlib.sha256(b"psn-sealed-stream-check\0" + out[32:]).digest()


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    if index >= 1 << 32:
        raise SealedStreamError("stream too long: more than 2**32 chunks")
    return prefix + index.to_bytes(4, "big") + bytes((last,))


class SealingWriter:
    """Write plaintext with `write`; `close` seals the last chunk (without it the stream reads as truncated)."""

    def __init__(self, out: BinaryIO, passphrase: bytes, params: Argon2Params = COST) -> None:
        if not passphrase:
            raise SealedStreamError("an empty passphrase protects nothing")
        salt, prefix = os.urandom(16), os.urandom(7)
        fields = {"kdf": "argon2id", "salt": base64.b64encode(salt).decode(), "t": params.time_cost,
                  "m": params.memory_cost_kib, "p": params.parallelism, "chunk": CHUNK,
                  "nonce": base64.b64encode(prefix).decode()}
        encoded = json.dumps(fields, sort_keys=True).encode()
        key, check = _derive(passphrase, salt, params)
        raw = MAGIC + len(encoded).to_bytes(2, "big") + encoded + check
        self._header = _Header(raw, AESGCM(key), prefix)
        self._out = out
        self._buffer = bytearray()
        self._index = 0
        self._closed = False
        out.write(raw)

    def write(self, data: bytes) -> int:
        if self._closed:
            raise ValueError("write to a closed sealed stream")
        self._buffer += data
        while len(self._buffer) > CHUNK:  # keep at least one byte back: the last chunk is sealed as last
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def close(self) -> None:
        if not self._closed:
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
            self._closed = True

    def _seal(self, chunk: bytes, last: bool) -> None:
        h = self._header
        sealed = h.key.encrypt(_nonce(h.prefix, self._index, last), chunk, h.raw)
        self._out.write(len(sealed).to_bytes(_LENGTH, "big") + sealed)
        self._index += 1


class OpeningReader:
    """`read(n)` gives authenticated plaintext only; raises `DamagedStream` at the first altered chunk, and at the
    end if the last chunk never came or bytes follow it."""

    def __init__(self, source: BinaryIO, passphrase: bytes) -> None:
        self._in = source
        head = _exact(source, len(MAGIC) + 2, "header")
        if head[: len(MAGIC)] != MAGIC:
            raise DamagedStream("not a psn backup archive (wrong magic bytes)")
        size = int.from_bytes(head[len(MAGIC):], "big")
        if size > MAX_PARAMS:
            raise DamagedStream(f"archive header claims {size} bytes of parameters")
        encoded = _exact(source, size, "header")
        check = _exact(source, 32, "header")
        try:
            fields = json.loads(encoded)
            params = Argon2Params(int(fields["t"]), int(fields["m"]), int(fields["p"]))
            salt, prefix = base64.b64decode(fields["salt"]), base64.b64decode(fields["nonce"])
            if fields["kdf"] != "argon2id" or len(prefix) != 7 or fields["chunk"] != CHUNK:
                raise ValueError(f"unsupported parameters {fields}")
            if not (1 <= params.time_cost <= 64 and 8 <= params.memory_cost_kib <= 4 << 20
                    and 1 <= params.parallelism <= 64):
                raise ValueError(f"argon2 costs out of range {params}")
        except (ValueError, KeyError, TypeError) as exc:
            raise DamagedStream(f"archive header is damaged: {exc}") from None
        key, expected = _derive(passphrase, salt, params)
        if not hmac.compare_digest(check, expected):
            raise WrongPassphrase("wrong passphrase (or the archive's header was altered)")
        self._header = _Header(head + encoded + check, AESGCM(key), prefix)
        self._index = 0
        self._plain = b""
        self._done = False

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._plain) < size):
            self._plain += self._next()
        if size < 0:
            size = len(self._plain)
        out, self._plain = self._plain[:size], self._plain[size:]
        return out

    def _next(self) -> bytes:
        length = int.from_bytes(_exact(self._in, _LENGTH, f"chunk {self._index}"), "big")
        if not 16 <= length <= MAX_RECORD:
            raise DamagedStream(f"chunk {self._index} claims {length} bytes: the archive is damaged")
        sealed = _exact(self._in, length, f"chunk {self._index}")
        h = self._header
        for last in (False, True):
            try:
                plain = h.key.decrypt(_nonce(h.prefix, self._index, last), sealed, h.raw)
            except InvalidTag:
                continue
            self._index += 1
            if last:
                self._done = True
                if self._in.read(1):
                    raise DamagedStream("bytes follow the archive's last chunk: the archive is damaged")
            return plain
        raise DamagedStream(f"chunk {self._index} fails authentication: the archive was altered or is damaged")


def _exact(source: BinaryIO, size: int, what: str) -> bytes:
    data = source.read(size)
    if len(data) != size:
        raise DamagedStream(f"the archive ends inside its {what}: truncated")
    return data
