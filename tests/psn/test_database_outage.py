"""A PostgreSQL outage, drilled on real processes: psn on a private PostgreSQL cluster and a real Mosquitto; the
cluster stopped as in a crash (`pg_ctl stop -m immediate`) while fixes keep coming, then started again.

psn must say so (`/readyz` 503 with the database check red; `/healthz` still 200), keep serving what it holds in
memory (the live map, the WebSocket, a signed-in user's session), answer what needs the database with 503 and a
reason — never 500, over every GET route of its OpenAPI schema — and store every fix published during the outage
once the database is back (counted in PostgreSQL directly against what the test published)."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.sync.connection import Connection

from psn.access import Role
from psn.auth import ACCOUNT_CACHE_S
from tests.private_postgres import PrivatePostgres
from tests.support import Mosquitto, RunningServer, make_settings, publisher, wait_for

UNITS = ("P-1", "P-2", "P-3", "P-4")
FIXES_EACH = 10  # per unit, before the outage and again during it


@pytest.fixture
def drill(tmp_path: Path) -> Iterator[tuple[RunningServer, PrivatePostgres, Mosquitto]]:
    pg = PrivatePostgres().init().start()
    broker = Mosquitto(tmp_path).start()
    running = RunningServer(make_settings(tmp_path, broker.url, db_url=pg.url)).start()
    try:
        yield running, pg, broker
    finally:
        if not pg.running():
            pg.start()  # psn's shutdown flushes its writer
        running.stop()
        broker.stop()
        pg.remove()


def stored_fixes(pg: PrivatePostgres) -> int:
    with psycopg.connect(pg.url) as conn:
        row = conn.execute("SELECT count(*) FROM fixes").fetchone()
    return int(row[0]) if row else 0


def publish_fixes(mqtt_url: str, start: float) -> None:
    client = publisher(mqtt_url, mqtt5=False)
    infos = [client.publish(f"psn/v1/police/{unit}/telemetry",
                            json.dumps({"ts": start + i, "lat": 17.5 + i * 1e-4, "lon": -88.2}), qos=1)
             for i in range(FIXES_EACH) for unit in UNITS]
    for info in infos:
        info.wait_for_publish(timeout=10)
    client.disconnect()
    client.loop_stop()


def get(running: RunningServer, path: str, token: str | None = None, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{running.base_url}{path}", headers=headers, params=params, timeout=30)


def readiness(running: RunningServer) -> tuple[int, dict[str, Any]]:
    answer = get(running, "/readyz")
    return answer.status_code, answer.json()


def next_update(ws: Connection, unit: str) -> dict[str, Any]:
    while True:
        message = json.loads(ws.recv(timeout=10))
        for seen in message.get("units", ()):
            if seen["id"] == unit:
                return dict(seen)


def sample(schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return schema.get("minimum", 1.0)
    if kind == "boolean":
        return "false"
    return "police"


def get_routes(running: RunningServer) -> list[tuple[str, dict[str, Any]]]:
    """Every GET route of the OpenAPI schema, path parameters and required query parameters filled in."""
    routes = []
    for path, operations in get(running, "/openapi.json").json()["paths"].items():
        if "get" not in operations:
            continue
        url, params = path, {}
        for parameter in operations["get"].get("parameters", ()):
            value = sample(parameter.get("schema", {}))
            if parameter["in"] == "path":
                url = url.replace("{" + parameter["name"] + "}", str(value))
            elif parameter.get("required"):
                params[parameter["name"]] = value
        routes.append((url, params))
    return routes


def test_psn_rides_out_a_database_outage(drill: tuple[RunningServer, PrivatePostgres, Mosquitto]) -> None:
    running, pg, broker = drill
    token = running.token("police", Role.ADMIN, Role.DISPATCHER, Role.NETWORK_ADMIN)
    unseen = running.token("police", name="police.unseen")  # an account psn has not looked up before the outage
    start = time.time() - 3600
    publish_fixes(broker.url, start)
    wait_for(lambda: stored_fixes(pg) == len(UNITS) * FIXES_EACH, timeout=20)
    wait_for(lambda: readiness(running)[0] == 200)
    assert get(running, "/api/v1/units", token).status_code == 200  # signed in: the account is looked up

    with connect(f"{running.ws_url}/api/v1/live?access_token={token}") as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
        pg.stop("immediate")
        _status, body = wait_for(lambda: (r := readiness(running))[0] == 503 and r, timeout=15)
        database = body["checks"]["database"]
        assert not database["ok"] and database["since"] <= time.time() and database["reason"]
        assert get(running, "/healthz").status_code == 200

        time.sleep(ACCOUNT_CACHE_S)  # every account lookup from here on has to go to the database, which is down
        publish_fixes(broker.url, start + FIXES_EACH)
        newest = next_update(ws, "police/P-4")  # the live feed goes on
        while newest["ts"] < start + 2 * FIXES_EACH - 1:
            newest = next_update(ws, "police/P-4")
        units = get(running, "/api/v1/units", token)  # from memory, the session from the cache
        assert units.status_code == 200
        assert {u["id"]: u["ts"] for u in units.json()["units"]}["police/P-4"] == start + 2 * FIXES_EACH - 1

        answers = {url: get(running, url, token, **params) for url, params in get_routes(running)}
        assert len(answers) > 20
        with_reason = {url: str(a.json().get("detail", "")) for url, a in answers.items() if a.status_code == 503}
        unavailable = {url for url, detail in with_reason.items() if detail.startswith("database unavailable: ")}
        failed = {url: (a.status_code, a.text[:200]) for url, a in answers.items()
                  if a.status_code >= 500 and not with_reason.get(url) and url != "/readyz"}
        assert not failed  # a 503 with a reason, never a 500
        assert "/api/v1/units/police/police/track" in unavailable
        assert answers["/readyz"].status_code == 503 and answers["/healthz"].status_code == 200
        assert "/api/v1/units" not in unavailable and answers["/api/v1/units"].status_code == 200
        track = get(running, "/api/v1/units/police/P-1/track", token)
        assert track.status_code == 503 and track.json()["detail"].startswith("database unavailable")
        unseen_units = get(running, "/api/v1/units", unseen)
        assert unseen_units.status_code == 503 and unseen_units.json()["detail"].startswith("database unavailable")
        with connect(f"{running.ws_url}/api/v1/live?access_token={unseen}") as refused, \
                pytest.raises(ConnectionClosed) as closed:
            refused.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
        login = httpx.post(f"{running.base_url}/api/v1/auth/login", data={"name": "police.unseen",
                                                                          "password": "long-enough-pw"})
        assert login.status_code == 503 and login.json()["detail"].startswith("database unavailable")
        metrics = get(running, "/metrics", token).text
        assert 'psn_health_check_ok{check="database"} 0.0' in metrics and "psn_ready 0.0" in metrics
        assert 'psn_http_refused_total{status="503"}' in metrics
        store = readiness(running)[1]["checks"]["store"]
        assert store["backlog"] > 0 and store["state"] in ("buffering", "blocking")

    pg.start()
    wait_for(lambda: readiness(running)[0] == 200, timeout=20)
    wait_for(lambda: stored_fixes(pg) == 2 * len(UNITS) * FIXES_EACH, timeout=30)
    assert get(running, "/api/v1/units/police/P-1/track", token).status_code == 200


def test_a_database_that_never_answers_gets_503s_not_hangs(tmp_path: Path) -> None:
    """The cluster frozen (SIGSTOP: it accepts connections and never answers; a hang, not a refusal): every GET
    route answers within the request deadline — from memory, or 503 with a reason — and none hangs or says 500;
    thawed, the track reads from the database again."""
    pg = PrivatePostgres().init().start()
    broker = Mosquitto(tmp_path).start()
    running = RunningServer(make_settings(tmp_path, broker.url, db_url=pg.url, request_timeout_s=2.0,
                                          db_timeout_s=1.0)).start()
    token = running.token("police")
    try:
        publish_fixes(running.mqtt_url, time.time() - 60)
        wait_for(lambda: stored_fixes(pg) == FIXES_EACH * len(UNITS))
        assert get(running, "/api/v1/units/police/P-1/track", token).status_code == 200
        routes = get_routes(running)
        pg.signal_all(signal.SIGSTOP)
        try:
            with ThreadPoolExecutor(8) as pool:  # httpx's 30 s timeout would raise on a hang
                answers = list(pool.map(lambda route: (route[0], get(running, route[0], token, **route[1])), routes))
            late = get(running, "/api/v1/units/police/P-1/track", token)
            assert late.status_code == 503
            assert late.json()["detail"] == ("no answer within 2 s: the database is not answering (see /readyz); "
                                             "try again")
            assert get(running, "/api/v1/units", token).status_code == 200  # the live picture, from memory
            assert readiness(running)[0] == 503
        finally:
            pg.signal_all(signal.SIGCONT)
        assert [(path, answer.status_code) for path, answer in answers if answer.status_code >= 500
                and answer.status_code != 503] == []
        assert any(answer.status_code == 503 for _, answer in answers)
        wait_for(lambda: get(running, "/api/v1/units/police/P-1/track", token).status_code == 200, timeout=30)
    finally:
        running.stop()
        broker.stop()
        pg.remove()
