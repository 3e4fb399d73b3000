from __future__ import annotations

import pytest

from crypto.passwords import Argon2Params, InvalidPasswordHash, Passwords

FAST = Argon2Params(time_cost=1, memory_cost_kib=8, parallelism=1)  # tests only: defaults take ~50 ms a hash


def test_hash_verify_and_rehash() -> None:
    weak = Passwords(FAST)
    stored = weak.hash("horse battery staple")
    assert stored.startswith("$argon2id$")
    assert weak.verify(stored, "horse battery staple")
    assert not weak.verify(stored, "horse battery stapler")
    assert not weak.needs_rehash(stored)
    assert Passwords(Argon2Params(time_cost=2, memory_cost_kib=8, parallelism=1)).needs_rehash(stored)


def test_defaults_follow_rfc_9106() -> None:
    assert Argon2Params() == Argon2Params(time_cost=3, memory_cost_kib=65536, parallelism=4)


def test_garbage_hash_is_a_typed_error() -> None:
    with pytest.raises(InvalidPasswordHash):
        Passwords(FAST).verify("md5:abc", "x")
    with pytest.raises(InvalidPasswordHash):
        Passwords(FAST).needs_rehash("")
