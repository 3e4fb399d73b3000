"""netmgmt/ is a domain package: it imports nothing of psn and nothing of the simulator (which plays the network)."""

from tests.imports import forbidden_imports


def test_netmgmt_imports_neither_psn_nor_the_simulator() -> None:
    assert forbidden_imports("netmgmt", ("psn", "simulator")) == []
