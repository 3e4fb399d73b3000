"""The advisory lock key of a lease: stable (not Python's salted hash), in PostgreSQL's bigint range, distinct for
psn's leases. The expected values were computed with coreutils, not with the code under test:
`h=$(printf 'psn-lease:kpi-retention' | sha256sum | cut -c1-16); echo $((16#$h))` (bash's 64-bit arithmetic wraps
to the signed value PostgreSQL's bigint holds)."""

from __future__ import annotations

import os
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from psn.server import LEASES
from psn.store.lease import lease_key

BY_HAND = {
    "kpi-retention": -7264369741422325713,
    "net-alarms": -7883185297270051822,
    "qos-policy": 1455315915193498695,
    "command-resends": -2682531172883580355,
}


def test_the_keys_are_the_first_eight_bytes_of_sha256_as_a_signed_integer() -> None:
    assert {name: lease_key(name) for name in BY_HAND} == BY_HAND


def test_the_server_guards_exactly_these_leases() -> None:
    assert sorted(LEASES) == sorted(BY_HAND)


def test_the_key_is_the_same_in_another_process_with_another_hash_seed() -> None:
    code = "from psn.store.lease import lease_key; print(lease_key('net-alarms'))"
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": seed},
                             capture_output=True, text=True, check=True).stdout
        assert int(out) == BY_HAND["net-alarms"]


@given(st.text(max_size=80))
def test_every_name_gives_a_bigint(name: str) -> None:
    assert -(2**63) <= lease_key(name) < 2**63
    assert lease_key(name) == lease_key(str(name))
