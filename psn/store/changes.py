"""Changes made through one psn instance, told to the others through PostgreSQL `LISTEN/NOTIFY`.

A writer that changes shared CAD or sharing state (an incident, an agreement, a message …) calls
`Database.announce(conn, kind, key)` inside the transaction that writes it: PostgreSQL delivers a NOTIFY on
commit only, never for a rolled-back transaction, so a peer never hears of a change that did not happen. The
payload is small (`encode`): what changed (kind and key) and the sending instance; the receiver reads the thing
itself from the database. On SQLite, or with `instance` unset, nothing is sent: there is one instance.

Every instance runs one `ChangeListener`: a thread on one dedicated psycopg connection (autocommit, `LISTEN`),
which hands each peer's change to `handle` in the order they committed and skips its own. When the connection
fails it says so in the log and reconnects with back-off; each time it is listening (at start too) it calls
`caught_up` (a full reload), so what changed before it listened, or while it was away, is read back whole.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg
from prometheus_client import CollectorRegistry, Gauge

log = logging.getLogger(__name__)
CHANNEL = "psn_changes"
# What changes travel (the receiver's handlers are keyed by these).
INCIDENT = "incident"  # an incident and its share (the share's transaction announces it: both are committed)
SHARING = "sharing"  # standing agreements and the emergency flag
MESSAGE = "message"
GEOFENCE = "geofence"
UPLIFT = "uplift"
QOS_PROFILES = "qos_profiles"
BOARD = "board"  # a unit's board entry
COMMAND = "command"  # a command to a unit: sent, answered, resent or given up on
CAMERA = "camera"  # a traffic camera registered or removed
KINDS = frozenset({INCIDENT, SHARING, MESSAGE, GEOFENCE, UPLIFT, QOS_PROFILES, BOARD, COMMAND, CAMERA})
MAX_PAYLOAD = 7999  # PostgreSQL refuses a NOTIFY payload of 8000 bytes or more
BACKOFF_S = (0.5, 10.0)  # first retry, then doubling up to the second
POLL_S = 1.0  # how long one wait for notifications lasts: how soon a stop is noticed


class BadChange(ValueError):
    """A payload that is not one of ours (another program on the channel, a newer psn): counted, skipped."""


@dataclass(frozen=True, slots=True)
class Change:
    kind: str
    key: str  # the changed thing's id ("" for a whole set, e.g. the emergency flag with the agreements)
    sender: str  # the instance that wrote it
    # A few words the database does not keep but the consoles are told (a board change's actor and via).
    extra: tuple[tuple[str, str], ...] = ()


def encode(change: Change) -> str:
    text = orjson.dumps({"v": 1, "from": change.sender, "kind": change.kind, "id": change.key,
                         **({"extra": dict(change.extra)} if change.extra else {})}).decode()
    if len(text.encode()) > MAX_PAYLOAD:
        raise ValueError(f"change payload of {len(text.encode())} bytes: PostgreSQL takes {MAX_PAYLOAD} at most")
    return text


def decode(text: str) -> Change:
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise BadChange(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("v") != 1:
        raise BadChange(f"not a version 1 change: {text[:80]!r}")
    sender, kind, key, extra = data.get("from"), data.get("kind"), data.get("id"), data.get("extra", {})
    if not (isinstance(sender, str) and sender and isinstance(key, str)):
        raise BadChange(f"'from' (non-empty) and 'id' must be strings: {text[:80]!r}")
    if kind not in KINDS:
        raise BadChange(f"unknown kind {kind!r}")
    if not (isinstance(extra, dict) and all(isinstance(v, str) for v in extra.values())):
        raise BadChange(f"'extra' must map names to strings: {text[:80]!r}")
    return Change(kind, key, sender, tuple(sorted(extra.items())))


Connect = Callable[[str], psycopg.Connection[Any]]


def _connect(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(url, autocommit=True, application_name="psn-changes")


class ChangeListener:
    def __init__(self, url: str, instance: str, handle: Callable[[Change], None], caught_up: Callable[[], None],
                 connect: Connect = _connect) -> None:
        self.url = url  # a libpq URL (postgresql://…), not SQLAlchemy's
        self.instance = instance
        self.handle = handle
        self.caught_up = caught_up
        self.connect = connect
        self.connected = threading.Event()
        self.received = 0  # peers' changes handled
        self.failed = 0  # peers' changes whose handler raised (logged)
        self.bad = 0  # payloads not ours (logged)
        self.reconnects = 0  # times it listened again after losing its connection
        self.pid: int | None = None  # the listening backend's process id (pg_stat_activity.pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="psn-changes", daemon=True)

    def export(self, registry: CollectorRegistry) -> None:
        """Its figures in Prometheus, read at each scrape."""
        Gauge("psn_changes_listening", "1 while the change listener listens to the other instances' changes",
              registry=registry).set_function(lambda: float(self.connected.is_set()))
        counts = Gauge("psn_changes", "Other instances' changes: applied, failed (logged), bad (not psn's "
                       "payload), and the listener's reconnections", ["what"], registry=registry)
        for what in ("received", "failed", "bad", "reconnects"):
            counts.labels(what).set_function(self._count(what))

    def _count(self, what: str) -> Callable[[], float]:
        return lambda: float(getattr(self, what))

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        delay = BACKOFF_S[0]
        first = True
        while not self._stop.is_set():
            try:
                with self.connect(self.url) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.pid = conn.info.backend_pid
                    self.connected.set()
                    if not first:
                        self.reconnects += 1
                        log.warning("change listener listening again: reloading what other instances changed")
                    # Read back whole once listening: what changed before (since this instance loaded at start,
                    # or while the listener was away) is in it, what changes after arrives as notifications.
                    self.caught_up()
                    first, delay = False, BACKOFF_S[0]
                    while not self._stop.is_set():
                        for notify in conn.notifies(timeout=POLL_S):
                            self._received(notify.payload)
            except Exception as exc:  # the connection failed (or the catch-up did): say so, try again
                self.connected.clear()
                if self._stop.is_set():
                    return
                first = False
                log.warning("change listener disconnected (%s): changes made on other instances are not seen "
                            "until it reconnects; next try in %.1f s", str(exc).splitlines()[0] if str(exc) else
                            type(exc).__name__, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, BACKOFF_S[1])
        self.connected.clear()

    def _received(self, payload: str) -> None:
        try:
            change = decode(payload)
        except BadChange as exc:
            self.bad += 1
            log.warning("change notification skipped: %s", exc)
            return
        if change.sender == self.instance:
            return
        try:
            self.handle(change)
            self.received += 1
        except Exception:  # one change that cannot be applied must not stop the others
            self.failed += 1
            log.exception("applying %s %s from instance %s failed", change.kind, change.key, change.sender)
