"""Sign-in and bearer tokens (short-lived, Ed25519-signed JWTs) for people, devices and scripts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crypto.tokens import TokenAuthority, TokenError
from psn.access import Principal, Role
from psn.clock import Clock
from psn.users import Users

AUDIENCE = "psn"


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: float
    principal: Principal


class Auth:
    def __init__(self, key_dir: Path, users: Users, clock: Clock, ttl_s: float = 8 * 3600) -> None:
        key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.tokens = TokenAuthority(key_dir)
        if not self.tokens.key_ids:
            self.tokens.rotate()
        self.users = users
        self.clock = clock
        self.ttl_s = ttl_s

    def login(self, name: str, password: str) -> IssuedToken:
        return self.issue_user(self.users.authenticate(name, password))

    def issue_user(self, principal: Principal, ttl_s: float | None = None) -> IssuedToken:
        now = self.clock.time()
        ttl = ttl_s or self.ttl_s
        token = self.tokens.issue(principal.name, agency=principal.agency, roles=sorted(principal.roles),
                                  kind="user", audience=AUDIENCE, now=now, ttl=ttl)
        return IssuedToken(token, now + ttl, principal)

    def issue_device(self, agency: str, unit: str, ttl_s: float) -> IssuedToken:
        principal = Principal(f"{agency}/{unit}", agency, frozenset(), unit=unit)
        now = self.clock.time()
        token = self.tokens.issue(principal.name, agency=agency, roles=[], kind="device", audience=AUDIENCE,
                                  now=now, ttl=ttl_s, unit=unit)
        return IssuedToken(token, now + ttl_s, principal)

    def principal(self, token: str) -> Principal:
        """The principal a token speaks for; raises `TokenError` (expired, forged, malformed …)."""
        claims = self.tokens.verify(token, now=self.clock.time(), audience=AUDIENCE)
        if claims.kind == "device":
            return Principal(claims.subject, claims.agency, frozenset(), unit=claims.unit)
        try:
            roles = frozenset(Role(r) for r in claims.roles)
        except ValueError as exc:
            raise TokenError(f"token names an unknown role: {exc}") from None
        return Principal(claims.subject, claims.agency, roles)
