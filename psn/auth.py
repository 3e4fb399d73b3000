"""Sign-in and bearer tokens (short-lived, Ed25519-signed JWTs) for people, devices and scripts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crypto.tokens import TokenAuthority, TokenError
from psn.access import Principal
from psn.clock import Clock
from psn.users import Users

AUDIENCE = "psn"
ACCOUNT_CACHE_S = 5.0  # how long a looked-up account is trusted before asking the database again


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
        self._accounts: dict[str, tuple[float, Principal | None]] = {}

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
        """The principal a token speaks for; raises `TokenError` (expired, forged, malformed, account gone …).

        A person's rights come from the account as it is now, not as it was at sign-in: disabling an
        account or taking a role away applies to live sessions within `ACCOUNT_CACHE_S`."""
        claims = self.tokens.verify(token, now=self.clock.time(), audience=AUDIENCE)
        if claims.kind == "device":
            return Principal(claims.subject, claims.agency, frozenset(), unit=claims.unit)
        account = self._account(claims.subject)
        if account is None or account.agency != claims.agency:
            raise TokenError(f"account {claims.subject!r} is disabled or no longer exists")
        return account

    def _account(self, name: str) -> Principal | None:
        now = self.clock.time()
        cached = self._accounts.get(name)
        if cached is None or cached[0] < now:
            cached = self._accounts[name] = (now + ACCOUNT_CACHE_S, self.users.get(name))
        return cached[1]
