"""The live feed carries incident notes, messages and alerts: a session that ends (account disabled, token
expired, roles changed) must stop receiving them. The feed checks its token again and closes with 1008."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support import RunningServer


def test_a_disabled_account_loses_its_live_feed(psn_server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("psn.api.live.SESSION_CHECK_S", 0.2)
    monkeypatch.setattr("psn.auth.ACCOUNT_CACHE_S", 0.0)
    stays, goes = psn_server.token("police", name="police.stays"), psn_server.token("police", name="police.goes")
    with connect(f"{psn_server.ws_url}/api/v1/live?access_token={stays}") as kept, \
            connect(f"{psn_server.ws_url}/api/v1/live?access_token={goes}") as ended:
        assert json.loads(ended.recv(timeout=10))["type"] == "snapshot"
        assert json.loads(kept.recv(timeout=10))["type"] == "snapshot"
        psn_server.server.users.set_disabled("police.goes", True)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ended.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
        assert "disabled" in closed.value.rcvd.reason
        psn_server.server.hub.notify("test_marker", {"n": 1}, lambda _who: True)
        assert json.loads(kept.recv(timeout=10)) == {"type": "test_marker", "n": 1}  # the other stays on
