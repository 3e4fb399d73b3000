"""Sign-in and bearer tokens (short-lived, Ed25519-signed JWTs) for people, devices and scripts."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from crypto.tokens import TokenAuthority, TokenError
from psn.access import Principal
from psn.clock import Clock
from psn.store.availability import UNAVAILABLE, Deadline
from psn.users import Users

AUDIENCE = "psn"
ACCOUNT_CACHE_S = 5.0  # how long a looked-up account is trusted before asking the database again
# Accounts whose last good answer is kept to ride out a database outage, least recently used dropped first: more
# than one deployment's staff signed in at once, for about 6 MB (616 bytes an entry, measured with tracemalloc).
OUTAGE_CACHE_ACCOUNTS = 10_000


@dataclass(frozen=True)
class _Lookup:
    principal: Principal | None  # None: no such account, or disabled
    answered: float  # when the database gave this answer
    fresh_until: float  # when to ask it again


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: float
    principal: Principal


class Auth:
    def __init__(self, key_dir: Path, users: Users, clock: Clock, ttl_s: float = 8 * 3600,
                 outage_grace_s: float = 1800.0, db_timeout_s: float = 2.0) -> None:
        key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.tokens = TokenAuthority(key_dir)
        if not self.tokens.key_ids:
            self.tokens.rotate()
        self.users = users
        self.clock = clock
        self.ttl_s = ttl_s
        self.outage_grace_s = outage_grace_s
        self._deadline = Deadline(db_timeout_s)  # a database that hangs must not hang every signed-in request
        self._accounts: OrderedDict[str, _Lookup] = OrderedDict()
        self._lock = threading.Lock()  # requests authenticate on several worker threads at once

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
        account or taking a role away applies to live sessions within `ACCOUNT_CACHE_S` (once the database
        answers: through an outage, see `_account`). Raises one of `UNAVAILABLE` when the database cannot say
        and there is no good answer to stand on."""
        claims = self.tokens.verify(token, now=self.clock.time(), audience=AUDIENCE)
        if claims.kind == "device":
            return Principal(claims.subject, claims.agency, frozenset(), unit=claims.unit)
        account = self._account(claims.subject)
        if account is None or account.agency != claims.agency:
            raise TokenError(f"account {claims.subject!r} is disabled or no longer exists")
        return account

    def _account(self, name: str) -> Principal | None:
        """The account as the database last said, asked again every `ACCOUNT_CACHE_S`. While the database is
        unavailable the last good answer stands for up to `outage_grace_s` since it was given (a signed-in user
        stays signed in through an outage; nobody can disable an account in a database that is down); without
        one, the database's error is raised (the API answers 503)."""
        now = self.clock.time()
        with self._lock:
            cached = self._accounts.get(name)
        if cached is not None and now < cached.fresh_until:
            return cached.principal
        try:
            principal = self._deadline.call(lambda: self.users.get(name))
        except UNAVAILABLE:
            if cached is None or now - cached.answered > self.outage_grace_s:
                raise
            # Asked again after ACCOUNT_CACHE_S, not on every request while the outage lasts; never past the grace.
            fresh_until = min(now + ACCOUNT_CACHE_S, cached.answered + self.outage_grace_s)
            self._remember(name, _Lookup(cached.principal, cached.answered, fresh_until))
            return cached.principal
        self._remember(name, _Lookup(principal, now, now + ACCOUNT_CACHE_S))
        return principal

    def _remember(self, name: str, lookup: _Lookup) -> None:
        with self._lock:
            self._accounts[name] = lookup
            self._accounts.move_to_end(name)
            while len(self._accounts) > OUTAGE_CACHE_ACCOUNTS:
                self._accounts.popitem(last=False)
