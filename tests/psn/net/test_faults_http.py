"""Faults from psn over real HTTP and a real Mosquitto: a trainer takes a cell down, `psn sim network` stops its
KPIs and psn raises cell_silent on it, a network admin clears it and the cell reports again; a dispatcher is refused;
the body fuzzed, each answer and what reached the broker checked against the rules written out here and against
docs/schemas/net-fault.json."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from psn.access import Role
from psn.cli.net import import_plan
from telemetry.topics import NET_FAULT_TOPIC
from tests.psn.net.network_support import Listener, network
from tests.psn.net.qos_support import audit, bearer, token
from tests.support import Mosquitto, RunningServer, make_settings, wait_for

SCHEMA = Draft202012Validator(json.loads((Path(__file__).resolve().parents[3] / "docs" / "schemas" /
                                          "net-fault.json").read_text()))
CELL, SITE = "BZE-PMD-2", "BZE-PMD"  # in the shipped plan psn's inventory imports
SENTINEL = {"fault": "backhaul", "target": "BZE-CTR-1", "action": "clear"}


def send(server: RunningServer, who: str, body: Any) -> httpx.Response:
    return httpx.post(f"{server.base_url}/api/v1/net/faults", json=body, headers=bearer(who))


def test_a_trainers_cell_down_silences_the_cell_and_raises_cell_silent(tmp_path: Path) -> None:
    with network(tmp_path, period_s=1.0) as net:
        psn = net.psn
        import_plan(psn.server, actor="test")
        listener = Listener(net.broker.url, NET_FAULT_TOPIC)
        trainer, netops = token(psn, "nemo", Role.TRAINER), token(psn, "nemo", Role.NETWORK_ADMIN)
        dispatcher = token(psn, "police", Role.DISPATCHER)
        try:
            cells = lambda: {c["id"]: c for c in net.get("/api/v1/net/cells", netops)["cells"]}  # noqa: E731
            wait_for(lambda: cells()[CELL]["state"] == "up", timeout=30)

            refused = send(psn, dispatcher, {"fault": "cell_down", "target": CELL})
            assert refused.status_code == 403 and "simulation" in refused.json()["detail"]
            down = {"fault": "cell_down", "target": CELL, "action": "inject"}
            sent = send(psn, trainer, {"fault": "cell_down", "target": CELL})
            assert sent.status_code == 202, sent.text
            assert sent.json()["command"] == down and sent.json()["sent_by"] == "nemo.trainer"
            wait_for(lambda: listener.messages == [down])  # the dispatcher's never went out

            def silent_alarm() -> list[dict[str, Any]]:
                return [a for a in net.get("/api/v1/net/alarms", netops)["alarms"]
                        if a["kind"] == "cell_silent" and a["target"] == CELL]

            [alarm] = wait_for(silent_alarm, timeout=20)
            assert alarm["severity"] == "critical" and cells()[CELL]["state"] == "silent"
            assert cells()["BZE-PMD-1"]["state"] == "up"  # only the one cell: its site's others report on
            assert "faults: cell_down BZE-PMD-2" in net.equipment_output().splitlines()[-1]

            cleared = send(psn, netops, {"fault": "cell_down", "target": CELL, "action": "clear"})
            assert cleared.status_code == 202, cleared.text
            # The cell reports again; its alarm clears once the cell has been back for 30 s (clear_delay_s).
            wait_for(lambda: cells()[CELL]["state"] == "up", timeout=20)
            psn.server.audit.checkpoint()
            assert [(e["actor"], e["target"], e["action"]) for e in audit(psn, "net.fault_sent")] == [
                ("nemo.trainer", CELL, "inject"), ("nemo.network_admin", CELL, "clear")]
        finally:
            listener.close()


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, Listener, str]]:
    tmp = Path(tmp_path_factory.mktemp("faults"))
    broker = Mosquitto(tmp).start()
    running = RunningServer(make_settings(tmp, broker.url)).start()
    import_plan(running.server, actor="test")
    listener = Listener(broker.url, NET_FAULT_TOPIC)
    try:
        yield running, listener, token(running, "police", Role.NETWORK_ADMIN)
    finally:
        listener.close()
        running.stop()
        broker.stop()


MISSING = object()
# Anything a client might put in each field, and (below) what each field holds in a whole command.
ANY = {"fault": st.sampled_from(["cell_down", "site_down", "backhaul", "Cell_Down", "", 1, None]),
       "target": st.sampled_from([CELL, SITE, "BZE-XXX-9", "BZE-PMD-2 ", "a/b", "", 5, None]),
       "action": st.sampled_from([MISSING, "inject", "clear", "off", None, True]),
       "duration_s": st.sampled_from([MISSING, None, 0.0, 0.5, 1, 60, 1e7, 1.5e7, -1.0, 0.0005, "60", True,
                                      math.nan, math.inf]),
       "capacity": st.sampled_from([MISSING, None, 0.0, 0.5, 1, 1.0, 1.5, -0.1, "0.5", False, math.nan])}
TARGETS = {"cell_down": [CELL], "site_down": [SITE], "backhaul": [CELL, SITE]}


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A whole command with up to two of its fields replaced by anything (none: about a third of them)."""
    kind = draw(st.sampled_from(sorted(TARGETS)))
    action = draw(st.sampled_from([MISSING, "inject", "clear"]))
    inject = action != "clear"
    body = {"fault": kind, "target": draw(st.sampled_from(TARGETS[kind])), "action": action,
            "duration_s": draw(st.sampled_from([MISSING, None, 0.001, 60, 300.5]) if inject else st.just(MISSING)),
            "capacity": draw(st.sampled_from([0.0, 0.3, 1]) if kind == "backhaul" and inject else st.just(MISSING))}
    for name in draw(st.sets(st.sampled_from(sorted(ANY)), max_size=2)):
        body[name] = draw(ANY[name])
    return {k: v for k, v in body.items() if v is not MISSING}


def expected(body: dict[str, Any]) -> dict[str, Any] | None:
    """The document psn must send for `body`, or None when it must refuse it: the fault commands of
    docs/protocol.md over the shipped plan's ids, restated here."""
    known = {"fault", "target", "action", "duration_s", "capacity"}
    kind, target = body.get("fault"), body.get("target")
    action = body.get("action", "inject")
    duration, capacity = body.get("duration_s"), body.get("capacity")
    if set(body) - known or not all(isinstance(v, str) for v in (kind, target, action)):
        return None
    if any(isinstance(v, bool | str) or (isinstance(v, float) and not math.isfinite(v))
           for v in (duration, capacity)):
        return None
    targets = {"cell_down": {CELL}, "site_down": {SITE}, "backhaul": {CELL, SITE}}.get(str(kind), set())
    if target not in targets or action not in ("inject", "clear"):
        return None
    if duration is not None and (action == "clear" or not 0.001 <= duration <= 1e7):
        return None
    needs_capacity = kind == "backhaul" and action == "inject"
    if (capacity is None) == needs_capacity or (capacity is not None and not 0 <= capacity <= 1):
        return None
    return {"fault": kind, "target": target, "action": action,
            **({} if duration is None else {"duration_s": duration}),
            **({} if capacity is None else {"capacity": capacity})}


@settings(max_examples=60)
@given(body=bodies(), extra=st.booleans())
def test_what_goes_out_is_the_command_or_nothing(fuzzed: tuple[RunningServer, Listener, str], body: dict[str, Any],
                                                 extra: bool) -> None:
    server, listener, netops = fuzzed
    body = body | ({"why": "drill"} if extra else {})
    want = expected(body)
    listener.messages.clear()
    # NaN and Infinity as a client might write them (Python's json writes and reads them).
    answer = httpx.post(f"{server.base_url}/api/v1/net/faults", content=json.dumps(body), timeout=10,
                        headers={**bearer(netops), "Content-Type": "application/json"})
    if want is None:
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["detail"]
    else:
        assert answer.status_code == 202, (body, answer.text)
        assert answer.json()["command"] == want
    # The sentinel, sent after, arrives after anything this request published (one client, one topic, QoS 1).
    assert send(server, netops, SENTINEL).status_code == 202
    wait_for(lambda: listener.messages and listener.messages[-1] == SENTINEL)
    assert listener.messages == ([] if want is None else [want]) + [SENTINEL]
    for document in listener.messages:
        SCHEMA.validate(document)  # what equipment reads is the documented command
