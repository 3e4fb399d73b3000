from __future__ import annotations

import hashlib
import hmac
import json
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jwt.utils import base64url_encode

from crypto.tokens import (
    BadAlgorithm,
    BadSignature,
    MalformedToken,
    TokenAuthority,
    TokenError,
    TokenExpired,
    TokenNotYetValid,
    UnknownSigningKey,
    WrongAudience,
)
from tests.crypto.conftest import NOW

AUD = "psn-api"


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> TokenAuthority:
    auth = TokenAuthority(tmp_path_factory.mktemp("tokens"))
    auth.rotate()
    return auth


def issue(auth: TokenAuthority, **extra: object) -> str:
    args: dict[str, object] = {"agency": "police", "roles": ["dispatcher"], "kind": "user", "audience": AUD, "now": NOW}
    return auth.issue("ana", **(args | extra))  # type: ignore[arg-type]


def forge(header: dict[str, object], payload: dict[str, object], signature: bytes = b"") -> str:
    parts = [base64url_encode(json.dumps(part).encode()) for part in (header, payload)]
    return b".".join([*parts, base64url_encode(signature)]).decode()


def test_round_trip(authority: TokenAuthority) -> None:
    token = issue(authority, kind="device", unit="P-12", roles=["unit"], ttl=600)
    claims = authority.verify(token, now=NOW + 599 - authority.leeway, audience=AUD)
    assert (claims.subject, claims.agency, claims.roles, claims.kind, claims.unit) == (
        "ana", "police", ("unit",), "device", "P-12"
    )
    assert claims.expires_at - claims.issued_at == 600 and claims.key_id == authority.key_ids[0]


def test_time_and_audience_are_enforced(authority: TokenAuthority) -> None:
    token = issue(authority, ttl=60)
    with pytest.raises(TokenExpired):
        authority.verify(token, now=NOW + 60 + authority.leeway, audience=AUD)
    with pytest.raises(TokenNotYetValid):
        authority.verify(token, now=NOW - authority.leeway - 1, audience=AUD)
    with pytest.raises(WrongAudience, match="'psn-api', not 'video'"):
        authority.verify(token, now=NOW, audience="video")


def test_issue_rules(authority: TokenAuthority) -> None:
    with pytest.raises(TokenError, match="ttl"):
        issue(authority, ttl=authority.max_ttl + 1)
    with pytest.raises(TokenError, match="must name its unit"):
        issue(authority, kind="device")


def test_algorithm_confusion_is_refused(authority: TokenAuthority) -> None:
    kid = authority.key_ids[0]
    payload: dict[str, object] = {"sub": "mallory", "agency": "police", "roles": ["admin"], "kind": "user",
                                  "aud": AUD, "iss": "psn", "iat": NOW, "nbf": NOW, "exp": NOW + 60, "jti": "x"}
    with pytest.raises(BadAlgorithm, match="'none'"):
        authority.verify(forge({"alg": "none", "kid": kid}, payload), now=NOW, audience=AUD)
    # HS256 keyed with the (public) verification key: the classic RS/HS confusion.
    unsigned = forge({"alg": "HS256", "kid": kid}, payload).rsplit(".", 1)[0]
    pem = (authority.directory / f"{kid}.pub").read_bytes()
    mac = hmac.new(pem, unsigned.encode(), hashlib.sha256).digest()
    with pytest.raises(BadAlgorithm, match="'HS256'"):
        authority.verify(unsigned + "." + base64url_encode(mac).decode(), now=NOW, audience=AUD)
    with pytest.raises(BadSignature):
        authority.verify(forge({"alg": "EdDSA", "kid": kid}, payload, b"\0" * 64), now=NOW, audience=AUD)


def test_rotation_keeps_old_tokens_until_retired(tmp_path: Path) -> None:
    auth = TokenAuthority(tmp_path)
    old_kid = auth.rotate()
    old = issue(auth)
    new_kid = auth.rotate()
    assert stat.S_IMODE((tmp_path / f"{new_kid}.key").stat().st_mode) == 0o600
    reloaded = TokenAuthority(tmp_path)
    assert reloaded.verify(old, now=NOW, audience=AUD).key_id == old_kid
    assert reloaded.verify(issue(reloaded), now=NOW, audience=AUD).key_id == new_kid
    with pytest.raises(TokenError, match="current signing key"):
        reloaded.retire(new_kid)
    reloaded.retire(old_kid)
    with pytest.raises(UnknownSigningKey):
        TokenAuthority(tmp_path).verify(old, now=NOW, audience=AUD)


def test_verifier_without_keys_refuses_to_issue(tmp_path: Path) -> None:
    with pytest.raises(TokenError, match="rotate"):
        issue(TokenAuthority(tmp_path))


@given(st.one_of(st.text(max_size=300), st.binary(max_size=300).map(lambda b: b.decode("latin-1"))))
def test_random_strings_only_raise_typed_errors(authority: TokenAuthority, token: str) -> None:
    with pytest.raises(TokenError):
        authority.verify(token, now=NOW, audience=AUD)


@given(
    st.lists(st.text(alphabet="ABCDEFGHIJabcdefghij0123456789-_=", max_size=40), min_size=1, max_size=4),
    st.dictionaries(st.sampled_from(["alg", "kid", "typ", "crit"]), st.one_of(st.text(max_size=8), st.integers(),
                    st.none(), st.just("EdDSA"))),
)
def test_random_structured_tokens_only_raise_typed_errors(
    authority: TokenAuthority, segments: list[str], header: dict[str, object]
) -> None:
    for token in (".".join(segments), forge(header, {"sub": 1}), forge(header | {"alg": "EdDSA"}, {}, b"x" * 64)):
        with pytest.raises(TokenError):
            authority.verify(token, now=NOW, audience=AUD)


@given(st.data())
def test_every_tampered_token_is_rejected(authority: TokenAuthority, data: st.DataObject) -> None:
    token = issue(authority)
    index = data.draw(st.integers(0, len(token) - 1))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.="
    char = data.draw(st.sampled_from(alphabet).filter(lambda c: c != token[index]))
    with pytest.raises(TokenError):
        authority.verify(token[:index] + char + token[index + 1 :], now=NOW, audience=AUD)


def test_malformed_examples_are_named(authority: TokenAuthority) -> None:
    with pytest.raises(MalformedToken, match="3 dot-separated"):
        authority.verify("abc", now=NOW, audience=AUD)
    with pytest.raises(MalformedToken):
        authority.verify(b"a.b.c", now=NOW, audience=AUD)  # type: ignore[arg-type]
