"""The REST API fuzzed from its own OpenAPI schema (schemathesis builds the requests, hypothesis drives them)
against a real psn with real Mosquitto, with real tokens of several roles and agencies and a device's token.

Whatever is sent: never a 5xx; every 4xx names its reason in `detail`; no response carries a secret field name,
key material from the data dir, another caller's token, or a unit of an agency the caller may not see."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, GenerationMode

from psn.access import Role
from psn.store.schema import agreements, flags, incident_shares
from tests.radio_map import write_map
from tests.support import RunningServer, server_with_units

# Unit names no generator stumbles on by chance: finding one in an answer means psn put it there.
UNITS = {"police": "P-kq7z", "nemo": "N-wx3v", "fire": "F-jt9y"}
# Field names that must never leave psn, in any answer to anyone.
FORBIDDEN_KEYS = frozenset({"password", "password_hash", "private_key", "master_key", "secret", "wrapped",
                            "data_key", "key_material", "failed_logins", "locked_until"})
# caller -> the units whose names it may meet (no grant between agencies exists while a request runs). A device
# sees no unit's data, but its own unit is its name (`/auth/me`).
CALLERS: dict[str, frozenset[str]] = {
    "police dispatcher": frozenset({UNITS["police"]}),
    "police field officer": frozenset({UNITS["police"]}),
    "police admin": frozenset({UNITS["police"]}),
    "nemo dispatcher": frozenset({UNITS["nemo"]}),
    "device police/P-kq7z": frozenset({UNITS["police"]}),
}
EXAMPLES = 250  # per caller and generation mode: 10 runs, 2,500 requests, about 35 s on 2 cores (measured)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    tmp = Path(tmp_path_factory.mktemp("fuzz"))
    # With a coverage map, so that radio at a point answers (without one it is a 503 by design).
    with server_with_units(tmp, sorted(UNITS.items()), coverage_file=write_map(tmp / "coverage.npz")) as running:
        yield running


@pytest.fixture(scope="module")
def tokens(server: RunningServer) -> dict[str, str]:
    return {
        "police dispatcher": server.token("police", Role.DISPATCHER),
        "police field officer": server.token("police", Role.FIELD_OFFICER),
        "police admin": server.token("police", Role.ADMIN),
        "nemo dispatcher": server.token("nemo", Role.DISPATCHER),
        "device police/P-kq7z": server.server.auth.issue_device("police", UNITS["police"], 3600).token,
    }


@pytest.fixture(scope="module")
def key_material(server: RunningServer) -> set[str]:
    """Every base64 run of 32+ characters in the private key files and the keyring (wrapped data keys)."""
    found: set[str] = set()
    for path in (server.settings.data_dir / "keys").rglob("*"):
        if path.is_file() and path.suffix != ".pub" and path.name != "current":
            found.update(re.findall(r"[A-Za-z0-9+/]{32,}={0,2}", path.read_text()))
    assert len(found) >= 5, found  # master key, audit, evidence and token signing keys, wrapped data keys
    return found


@pytest.fixture(scope="module")
def operations(server: RunningServer) -> dict[GenerationMode, list[APIOperation]]:
    schema = schemathesis.openapi.from_url(f"{server.base_url}/openapi.json")
    every = [result.ok() for result in schema.get_all_operations()]
    assert len(every) >= 20, [op.label for op in every]
    # A negative case needs something to break: a body, a query, or a path parameter with a rule. Without one,
    # schemathesis finds no invalid request at all (hypothesis: Unsatisfiable).
    breakable = [op for op in every if op.body or op.query or any(_has_rule(p.definition) for p in op.path_parameters)]
    return {GenerationMode.POSITIVE: every, GenerationMode.NEGATIVE: breakable}


def _has_rule(definition: dict[str, Any]) -> bool:
    rules = definition.get("schema", definition)
    return bool({"pattern", "minimum", "maximum", "maxLength", "enum"} & set(rules)) or rules.get("type") == "integer"


def keys_of(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from keys_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from keys_of(item)


def answered(body: Any) -> Any:
    """The answer without the echo of the request itself: a 422's validation details quote what was sent as
    `input` (a body of `{"wrapped": null}` comes back in it), which is the caller's own, not psn's."""
    if isinstance(body, dict) and isinstance(body.get("detail"), list):
        return {**body, "detail": [{k: v for k, v in item.items() if k != "input"} if isinstance(item, dict) else item
                                   for item in body["detail"]]}
    return body


def check(status: int, content_type: str, text: str, sent: str, caller: str, tokens: dict[str, str],
          secrets: set[str]) -> None:
    """The oracle: what no answer may be or hold, whatever was asked."""
    assert status < 500, text[:500]
    body = json.loads(text) if content_type.startswith("application/json") else None
    if 400 <= status < 500:
        assert isinstance(body, dict) and body.get("detail"), f"{status} without a reason: {text[:300]}"
    leaked = FORBIDDEN_KEYS & set(keys_of(answered(body)))
    assert not leaked, f"secret fields {leaked} in {text[:300]}"
    assert not [s for s in secrets if s in text], "key material in an answer"
    assert not [t for who, t in tokens.items() if who != caller and t in text], "another caller's token"
    hidden = {f"{agency}/{unit}": unit for agency, unit in UNITS.items() if unit not in CALLERS[caller]}
    named = [unit for unit in hidden.values() if unit in text and unit not in sent]
    assert not named, f"{caller} was shown units {named}: {text[:300]}"
    if 200 <= status < 300:  # asked for by name, refused or not: an answer that hands it out is a leak
        assert not [uid for uid in hidden if uid in text], f"{caller} was given a unit it may not see: {text[:300]}"


# Texts that parse as numbers to some parsers and as trouble to others: non-finite, overflowing, odd spellings.
# Schemathesis sends only finite numbers where the schema says number, so these go in by hand.
ODD_NUMBERS = ("nan", "NaN", "inf", "-inf", "Infinity", "1e309", "-1e309", "1e-400", "-0", "0x10", "1_000", "")


def aim(case: schemathesis.Case, target: tuple[str, str] | None, odd: str | None) -> schemathesis.Case:
    """Points a generated request at a real agency and unit (a random name only ever meets a 404 for an unknown
    agency, and the handlers behind that check would go unfuzzed), and puts an odd number in its query.
    Other fields keep what was generated."""
    if target is not None:
        agency, unit = target
        for name, value in (("agency", agency), ("unit", unit), ("stream_id", f"{agency}:{unit}")):
            if name in case.path_parameters:
                case.path_parameters[name] = value
        if case.query and "agency" in case.query:
            case.query["agency"] = agency
    if odd is not None and case.query:
        case.query[sorted(case.query)[len(odd) % len(case.query)]] = odd
    return case


def reset_sharing(server: RunningServer) -> None:
    """Back to no grants between agencies, so that the visibility oracle stays "own agency only"."""
    with server.server.db.engine.begin() as conn:
        for table in (agreements, incident_shares, flags):
            conn.execute(sa.delete(table))
    server.server.sharing.reload()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize("caller", list(CALLERS))
def test_fuzz_rest_from_its_schema(server: RunningServer, tokens: dict[str, str], key_material: set[str],
                                   operations: dict[GenerationMode, list[APIOperation]], caller: str,
                                   mode: GenerationMode) -> None:
    strategies = [op.as_strategy(generation_mode=mode) for op in operations[mode]]
    headers = {"Authorization": f"Bearer {tokens[caller]}"}
    session = requests.Session()
    calls: list[str] = []
    targets = st.none() | st.sampled_from(sorted(UNITS.items()))
    odd = st.none() | st.sampled_from(ODD_NUMBERS)

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(case=st.builds(aim, st.one_of(strategies), targets, odd))
    def fuzz(case: schemathesis.Case) -> None:
        response = case.call(base_url=server.base_url, headers=headers, session=session, timeout=30)
        calls.append(case.operation.label)
        sent = f"{response.request.url} {response.request.body!r}"
        note(f"{caller}: {case.method} {sent} -> {response.status_code}")
        content_type = (response.headers.get("content-type") or [""])[0]
        try:
            check(response.status_code, content_type, response.content.decode("utf-8", "replace"), sent, caller,
                  tokens, key_material)
        finally:
            if case.method.upper() != "GET":
                reset_sharing(server)

    fuzz()
    assert len(set(calls)) >= len(operations[mode]) // 2, "the fuzz reached too few operations"


def test_the_oracle_sees_what_it_looks_for(server: RunningServer, tokens: dict[str, str],
                                           key_material: set[str]) -> None:
    """Each check above fails on an answer that has the fault: a guard against an oracle that can never fail."""
    def units(caller: str) -> str:
        return requests.get(f"{server.base_url}/api/v1/units",
                            headers={"Authorization": f"Bearer {tokens[caller]}"}).text

    assert [u["unit"] for u in json.loads(units("nemo dispatcher"))["units"]] == ["N-wx3v"]
    check(200, "application/json", units("nemo dispatcher"), "", "nemo dispatcher", tokens, key_material)
    with pytest.raises(AssertionError, match="was shown units"):
        check(200, "application/json", units("police admin"), "", "nemo dispatcher", tokens, key_material)
    faults = [
        (500, {"detail": "boom"}, "boom"),
        (422, {"detail": ""}, "without a reason"),
        (404, ["no detail"], "without a reason"),
        (200, {"users": [{"name": "a", "password_hash": "$argon2id$"}]}, "secret fields"),
        (200, {"key": sorted(key_material)[0]}, "key material"),
        (200, {"token": tokens["police admin"]}, "another caller's token"),
    ]
    for status, body, message in faults:
        with pytest.raises(AssertionError, match=message):
            check(status, "application/json", json.dumps(body), "", "nemo dispatcher", tokens, key_material)
