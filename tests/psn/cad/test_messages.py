"""Messages end to end: an incident's thread opens to a partner only once police add it, agency messages cross
agencies only while they work together, a unit's goes out as a command over MQTT and its ack is matched, text
sealed at rest and never audited; bad input refused with nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from psn.access import Role
from psn.store.schema import messages
from tests.psn.cad.consoles import consoles, settle
from tests.psn.cad.incidents_http import add_partner, new_incident
from tests.psn.cad.mqtt_unit import Unit
from tests.support import RunningServer, server_with_units, wait_for

SECRET = "Suspect in red pickup BHC-4471 heading west"  # text that must never be in clear on disk


def _post(server: RunningServer, token: str, body: Any) -> httpx.Response:
    return httpx.post(f"{server.base_url}/api/v1/messages", json=body, headers={"Authorization": f"Bearer {token}"})


def _thread(server: RunningServer, token: str, query: str) -> httpx.Response:
    return httpx.get(f"{server.base_url}/api/v1/messages?{query}", headers={"Authorization": f"Bearer {token}"})


def _share(server: RunningServer, token: str, partners: list[str]) -> None:
    """Police's first incident (police-00001), made on the first call; `partners` added to it."""
    if server.server.cad.incidents.get("police-00001") is None:
        assert new_incident(server, token) == "police-00001"
    for partner in partners:
        add_partner(server, token, "police-00001", partner)


def _count(server: RunningServer) -> int:
    with server.server.db.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar_one())


def test_an_incident_thread_opens_to_a_partner_and_agencies_talk_only_while_they_work_together(
        tmp_path: Path) -> None:
    with server_with_units(tmp_path, [("police", "P-1"), ("nemo", "N-1")]) as server:
        police, nemo = server.token("police"), server.token("nemo")
        _share(server, police, [])  # police's incident, no partner yet
        with consoles(server, police=police, nemo=nemo) as seen:
            posted = _post(server, police, {"incident": "police-00001", "text": SECRET})
            assert posted.status_code == 201, posted.text
            first = posted.json()
            assert {k: first[k] for k in ("from", "from_agency", "to", "text")} == {
                "from": "police.test", "from_agency": "police", "to": {"incident": "police-00001"}, "text": SECRET}
            wait_for(lambda: seen["police"].of("message"))
            assert seen["police"].of("message")[0]["message"] == first
            refused = _thread(server, nemo, "incident=police-00001")
            assert refused.status_code == 403 and "incident of police is not shared with nemo" in refused.text
            assert _post(server, nemo, {"incident": "police-00001", "text": "may we help?"}).status_code == 403
            assert server.server.security.counts["access_denied"] == 2  # the read and the post, across agencies
            across = _post(server, police, {"agency": "nemo", "text": "evacuate?"})
            assert across.status_code == 403
            assert "police and nemo share no open incident and no standing agreement" in across.text
            settle(server, *seen.values())
            assert seen["nemo"].of("message") == []

            _share(server, police, ["nemo"])
            assert _thread(server, nemo, "incident=police-00001").json()["messages"] == [first]
            reply = _post(server, nemo, {"incident": "police-00001", "text": "NEMO boat on standby"})
            assert reply.status_code == 201, reply.text
            across = _post(server, police, {"agency": "nemo", "text": "evacuate Queen St?"})
            assert across.status_code == 201, across.text
            wait_for(lambda: len(seen["nemo"].of("message")) == 2 and len(seen["police"].of("message")) == 3)
            assert [m["message"]["text"] for m in seen["nemo"].of("message")] == ["NEMO boat on standby",
                                                                                   "evacuate Queen St?"]
            assert [m["message"]["text"] for m in seen["police"].of("message")] == [
                SECRET, "NEMO boat on standby", "evacuate Queen St?"]
        assert [m["text"] for m in _thread(server, police, "incident=police-00001").json()["messages"]] == [
            SECRET, "NEMO boat on standby"]
        assert [m["text"] for m in _thread(server, nemo, "agency=nemo").json()["messages"]] == [
            "evacuate Queen St?"]
        assert [m["text"] for m in _thread(server, police, "agency=nemo").json()["messages"]] == [
            "evacuate Queen St?"]
        assert _thread(server, server.token("fire"), "agency=nemo").json()["messages"] == []
        audit = (server.settings.data_dir / "audit" / "audit.jsonl").read_text()
        assert first["id"] in audit and SECRET not in audit
        server.server.db.engine.dispose()  # the WAL checkpointed into the file: all of it on disk in one place
        on_disk = b"".join(p.read_bytes() for p in server.settings.data_dir.rglob("*.db*"))
        assert on_disk and SECRET.encode() not in on_disk and b"NEMO boat" not in on_disk


def test_a_message_to_a_unit_goes_out_as_a_command(tmp_path: Path) -> None:
    """Over the real Mosquitto: the unit's MQTT client receives the message as a `cmd` of type `message` and its
    ack is matched to it like an assignment's."""
    with server_with_units(tmp_path, [("police", "P-1")]) as server:
        unit = Unit(server.mqtt_url, "police", "P-1")
        try:
            posted = _post(server, server.token("police"), {"unit": "police/P-1", "text": "return to station"})
            assert posted.status_code == 201, posted.text
            command = posted.json()["command"]
            assert posted.json()["to"] == {"unit": "police/P-1"}
            [cmd] = wait_for(lambda: unit.received)
            assert {k: cmd[k] for k in ("id", "type", "text", "from")} == {
                "id": command, "type": "message", "text": "return to station", "from": "police.test"}
            unit.ack(command, "accepted")
            wait_for(lambda: server.server.cad.commands.store.find(command).state == "acknowledged")
        finally:
            unit.close()
        assert [m["command"] for m in _thread(server, server.token("police"), "unit=police/P-1").json()[
            "messages"]] == [command]
        assert _thread(server, server.token("nemo"), "unit=police/P-1").status_code == 403


def test_bad_messages_are_refused_naming_the_field_and_nothing_is_written(tmp_path: Path) -> None:
    with server_with_units(tmp_path, [("police", "P-1")]) as server:
        police = server.token("police")
        _share(server, police, [])
        cases = [
            ({"incident": "police-00001", "text": ""}, 422, "text"),
            ({"incident": "police-00001", "text": "x" * 2001}, 422, "at most 2000"),
            ({"incident": "police-00001", "text": " \n\t "}, 422, "text: must hold more than white space"),
            ({"text": "to nobody"}, 422, "exactly one is needed, not 0"),
            ({"incident": "police-00001", "agency": "police", "text": "two"}, 422, "exactly one is needed, not 2"),
            ({"incident": "police-99999", "text": "hello"}, 404, "no incident police-99999"),
            ({"agency": "coastguard", "text": "hello"}, 422, "no agency 'coastguard'"),
            ({"unit": "police/P-404", "text": "hello"}, 404, "no unit police/P-404"),
            ({"unit": "police", "text": "hello"}, 422, "unit"),
            ({"incident": "police 7", "text": "hello"}, 422, "incident"),
            ({"agency": "police", "text": "hello"}, 403, None),  # a field officer: only dispatchers
        ]
        officer = server.token("police", Role.FIELD_OFFICER)
        for body, status, words in cases:
            answer = _post(server, officer if status == 403 else police, body)
            assert answer.status_code == status, (body, answer.text)
            assert answer.json()["detail"] and (words is None or words in answer.text), answer.text
        assert _post(server, police, {"incident": "police-00001", "text": "x" * 2000}).status_code == 201
        assert _count(server) == 1
        for query, status in [("", 422), ("incident=police-99999", 404), ("agency=police&unit=police/P-1", 422),
                              ("unit=P-1", 422)]:
            assert _thread(server, police, query).status_code == status, query


@settings(max_examples=80, deadline=None, database=None)
@given(text=st.one_of(st.text(max_size=40), st.text(min_size=1995, max_size=2005),
                      st.sampled_from(["", " ", "\u2003\n", "a\x00b", "x" * 2000, "x" * 2001, "é" * 2000])))
def _check_text(server: RunningServer, token: str, text: str) -> None:
    answer = _post(server, token, {"incident": "police-00001", "text": text})
    # By hand from the contract: 1 to 2000 characters, not only white space, no NUL.
    valid = 1 <= len(text) <= 2000 and text.strip() != "" and "\x00" not in text
    assert answer.status_code == (201 if valid else 422), (text[:40], answer.text[:200])
    if valid:
        thread = _thread(server, token, "incident=police-00001").json()["messages"]
        assert thread[-1]["id"] == answer.json()["id"] and thread[-1]["text"] == text
    else:
        assert "text" in answer.json()["detail"] or "text" in str(answer.json()["detail"])


def test_any_text_is_kept_exactly_or_refused_naming_the_field(tmp_path: Path) -> None:
    with server_with_units(tmp_path, [("police", "P-1")]) as server:
        token = server.token("police")
        _share(server, token, [])
        _check_text(server, token)
