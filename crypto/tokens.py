"""Short-lived signed access tokens (JWT, EdDSA/Ed25519) for users and devices.

Signing keys live in a directory as `{kid}.key` (0600) and `{kid}.pub`, with `current` naming the signing key;
the header's `kid` picks the verification key, so keys rotate without invalidating live tokens.
Only EdDSA is accepted: `alg: none`, HS256 (including HMAC keyed with our public key) and every other
algorithm are refused before any signature check. Time is injected: `now` is seconds since the epoch.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.utils import base64url_decode, base64url_encode

from crypto._files import write_atomic
from crypto.errors import CryptoError
from crypto.keys import fingerprint, load_public_key, load_signing_key, save_signing_key

if TYPE_CHECKING:
    from jwt.types import Options

ALGORITHM = "EdDSA"
MAX_TOKEN_LENGTH = 8192
Kind = Literal["user", "device"]


class TokenError(CryptoError):
    """The token is not acceptable; the subclass says why."""


class MalformedToken(TokenError):
    pass


class BadAlgorithm(TokenError):
    pass


class UnknownSigningKey(TokenError):
    pass


class BadSignature(TokenError):
    pass


class TokenExpired(TokenError):
    pass


class TokenNotYetValid(TokenError):
    pass


class WrongAudience(TokenError):
    pass


class WrongIssuer(TokenError):
    pass


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    agency: str
    roles: tuple[str, ...]
    kind: Kind
    unit: str | None
    audience: str
    issuer: str
    issued_at: float
    not_before: float
    expires_at: float
    token_id: str
    key_id: str


class TokenAuthority:
    """Issues and verifies tokens. A verifier-only copy needs just the `.pub` files and no `current`."""

    def __init__(self, directory: Path, *, issuer: str = "psn", leeway: float = 30.0, max_ttl: float = 12 * 3600):
        self.directory = directory
        self.issuer = issuer
        self.leeway = leeway  # device clocks drift
        self.max_ttl = max_ttl  # a shift: longer-lived credentials are certificates, not tokens
        self._public = {p.stem: load_public_key(p) for p in sorted(directory.glob("*.pub"))}
        current = directory / "current"
        self._kid = current.read_text().strip() if current.exists() else None
        self._signing: Ed25519PrivateKey | None = (
            load_signing_key(directory / f"{self._kid}.key") if self._kid else None
        )

    @property
    def key_ids(self) -> list[str]:
        return sorted(self._public)

    def rotate(self) -> str:
        """Generate a new signing key and make it current; the old public keys keep verifying."""
        key = Ed25519PrivateKey.generate()
        kid = fingerprint(key.public_key())
        save_signing_key(key, self.directory / f"{kid}.key")
        write_atomic(self.directory / "current", kid.encode() + b"\n")
        self._public[kid], self._signing, self._kid = key.public_key(), key, kid
        return kid

    def retire(self, kid: str) -> None:
        """Forget an old key once every token it signed has expired (wait `max_ttl` after rotating)."""
        if kid == self._kid:
            raise TokenError(f"key {kid} is the current signing key: rotate first")
        self._public.pop(kid, None)
        for suffix in (".key", ".pub"):
            (self.directory / f"{kid}{suffix}").unlink(missing_ok=True)

    def issue(
        self,
        subject: str,
        *,
        agency: str,
        roles: Sequence[str],
        kind: Kind,
        audience: str,
        now: float,
        ttl: float = 900.0,
        unit: str | None = None,
    ) -> str:
        if self._signing is None or self._kid is None:
            raise TokenError(f"no signing key in {self.directory}: call rotate() once to create one")
        if not 0 < ttl <= self.max_ttl:
            raise TokenError(f"ttl {ttl:g} s is outside (0, {self.max_ttl:g}] s")
        if kind == "device" and not unit:
            raise TokenError("a device token must name its unit")
        claims: dict[str, Any] = {
            "sub": subject, "agency": agency, "roles": list(roles), "kind": kind, "aud": audience,
            "iss": self.issuer, "iat": int(now), "nbf": int(now), "exp": int(now + ttl), "jti": uuid.uuid4().hex,
        }
        if unit is not None:
            claims["unit"] = unit
        return jwt.encode(claims, self._signing, algorithm=ALGORITHM, headers={"kid": self._kid})

    def verify(self, token: str, *, now: float, audience: str) -> TokenClaims:
        kid = self._check_header(token)
        try:
            payload = jwt.decode(token, self._public[kid], algorithms=[ALGORITHM], options=_SIGNATURE_ONLY)
        except jwt.InvalidSignatureError as exc:
            raise BadSignature("token signature does not verify: it was altered or not issued here") from exc
        except jwt.PyJWTError as exc:
            raise MalformedToken(f"token does not decode: {exc}") from exc
        claims = _claims(payload, kid)
        if claims.issuer != self.issuer:
            raise WrongIssuer(f"token issued by {claims.issuer!r}, expected {self.issuer!r}")
        if claims.audience != audience:
            raise WrongAudience(f"token is for {claims.audience!r}, not {audience!r}")
        if now + self.leeway < claims.not_before:
            raise TokenNotYetValid(f"token valid from {claims.not_before:.0f}, now is {now:.0f}")
        if now - self.leeway >= claims.expires_at:
            raise TokenExpired(f"token expired at {claims.expires_at:.0f}, now is {now:.0f}")
        return claims

    def _check_header(self, token: str) -> str:
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
            raise MalformedToken("a token is an ASCII string of at most 8 KiB")
        segments = token.split(".")
        if len(segments) != 3:
            raise MalformedToken(f"a token has 3 dot-separated parts, this one has {len(segments)}")
        try:
            # Reject non-canonical base64 (spare low bits set): tokens stay unique strings, so denylists work.
            if any(base64url_encode(base64url_decode(s)).decode() != s for s in segments):
                raise MalformedToken("token parts are not canonical base64url")
            header = jwt.get_unverified_header(token)
        except (jwt.PyJWTError, ValueError) as exc:
            raise MalformedToken(f"token header does not decode: {exc}") from exc
        if header.get("alg") != ALGORITHM:
            raise BadAlgorithm(f"algorithm {header.get('alg')!r} is refused: only {ALGORITHM} tokens are accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or kid not in self._public:
            raise UnknownSigningKey(f"token signed with unknown key {kid!r} (retired, or from another server)")
        return kid


_SIGNATURE_ONLY: Options = {
    # Claims are checked below against the injected `now`, with typed errors; PyJWT checks the signature only.
    "verify_signature": True, "verify_exp": False, "verify_nbf": False, "verify_iat": False,
    "verify_aud": False, "verify_iss": False, "verify_sub": False, "verify_jti": False,
}


def _claims(payload: dict[str, Any], kid: str) -> TokenClaims:
    def need(name: str, kind: type | tuple[type, ...]) -> Any:
        value = payload.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise MalformedToken(f"claim {name!r} is missing or of the wrong type")
        return value

    roles = need("roles", list)
    unit = payload.get("unit")
    kind = need("kind", str)
    if not all(isinstance(r, str) for r in roles) or not (unit is None or isinstance(unit, str)):
        raise MalformedToken("claims 'roles' must be strings and 'unit' a string")
    if kind not in ("user", "device"):
        raise MalformedToken(f"claim 'kind' is {kind!r}, expected 'user' or 'device'")
    return TokenClaims(
        subject=need("sub", str), agency=need("agency", str), roles=tuple(roles), kind=kind, unit=unit,
        audience=need("aud", str), issuer=need("iss", str), issued_at=float(need("iat", (int, float))),
        not_before=float(need("nbf", (int, float))), expires_at=float(need("exp", (int, float))),
        token_id=need("jti", str), key_id=kid,
    )
