"""Password hashing with argon2id (RFC 9106), through argon2-cffi."""

from __future__ import annotations

from dataclasses import dataclass

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from crypto.errors import CryptoError


class InvalidPasswordHash(CryptoError):
    """The stored value is not an argon2 hash (corrupt column, or another scheme)."""


@dataclass(frozen=True)
class Argon2Params:
    """RFC 9106's second recommended option (64 MiB, 3 passes). Lower it in tests only."""

    time_cost: int = 3
    memory_cost_kib: int = 64 * 1024
    parallelism: int = 4


class Passwords:
    def __init__(self, params: Argon2Params = Argon2Params()) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=params.time_cost,
            memory_cost=params.memory_cost_kib,
            parallelism=params.parallelism,
            type=argon2.Type.ID,
        )

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except InvalidHashError as exc:
            raise InvalidPasswordHash("stored password hash is not an argon2 hash") from exc
        except VerificationError:
            return False

    def needs_rehash(self, stored: str) -> bool:
        """True when `stored` was made with other parameters: re-hash it at the next successful login."""
        try:
            return self._hasher.check_needs_rehash(stored)
        except InvalidHashError as exc:
            raise InvalidPasswordHash("stored password hash is not an argon2 hash") from exc
