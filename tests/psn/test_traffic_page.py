"""Who lands where and what `/auth/me` says they may do: a traffic manager's `/` is `/traffic`, every other role
stays; `rights` mirrors the access model (the role table of the issue, written out here)."""

from __future__ import annotations

import httpx
import pytest

from psn.access import Role
from tests.support import RunningServer

# Role -> (where `/` sends them, their rights on traffic): the table.
EXPECTED = {
    Role.TRAFFIC_MANAGER: ("/traffic", ["manage", "view"]),
    Role.DISPATCHER: (None, ["view"]),
    Role.TRAINER: (None, ["view"]),
    Role.ADMIN: (None, ["view"]),
    Role.FIELD_OFFICER: (None, None),
    Role.NETWORK_ADMIN: (None, None),
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_home_and_rights_by_role(psn_server: RunningServer, role: Role) -> None:
    lands, traffic = EXPECTED[role]
    headers = psn_server.headers("police", role)
    home = httpx.get(f"{psn_server.base_url}/", headers=headers, follow_redirects=False)
    if lands is None:
        assert home.status_code == 200 and "PSN live map" in home.text
    else:
        assert (home.status_code, home.headers["location"]) == (303, lands)
    rights = httpx.get(f"{psn_server.base_url}/api/v1/auth/me", headers=headers).json()["rights"]
    assert rights.get("traffic") == traffic


def test_traffic_page_asks_to_sign_in_first(psn_server: RunningServer) -> None:
    page = httpx.get(f"{psn_server.base_url}/traffic", follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/traffic")
    signed_in = httpx.get(f"{psn_server.base_url}/traffic", headers=psn_server.headers("police", Role.TRAFFIC_MANAGER))
    assert signed_in.status_code == 200 and "PSN traffic" in signed_in.text
