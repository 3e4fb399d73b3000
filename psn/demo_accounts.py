"""Sign-in accounts and grants for the demo (never outside loopback): one account per role, and the
hurricane-season agreement under which NEMO sees police units while an emergency is declared."""

from __future__ import annotations

from psn.access import Agreement, Resource, Role
from psn.server import Server

PASSWORD = "belize-demo"
ACCOUNTS = (
    ("nemo.dispatch", "nemo", Role.DISPATCHER),
    ("police.dispatch", "police", Role.DISPATCHER),
    ("police.officer", "police", Role.FIELD_OFFICER),
    ("traffic", "police", Role.TRAFFIC_MANAGER),
    ("trainer", "nemo", Role.TRAINER),
    ("netops", "nemo", Role.NETWORK_ADMIN),
    ("police.admin", "police", Role.ADMIN),
    ("nemo.admin", "nemo", Role.ADMIN),
)


def seed(server: Server) -> None:
    if server.users.exists():
        return
    for name, agency, role in ACCOUNTS:
        server.users.add(name, agency, [role.value], PASSWORD, server.settings.agencies)
    server.sharing.add_agreement(
        Agreement("police", "nemo", frozenset({Resource.UNIT, Resource.TRACK}), only_during_emergency=True),
        created_by="police.admin",
    )
    server.sharing.set_emergency(True)
    server.audit.record("psn demo", "demo.seed", "accounts", accounts=[a[0] for a in ACCOUNTS])
