"""`Programme`: the programme dashboard's figures for a scope (national, or the agencies a principal may see),
gathered from the server's pieces by figure providers, and the officers' training records that trainers post.

A provider is a plain callable `scope → figures` (scope None: national). `providers_of(server)` gives the ones
this part knows (units, officers, incidents, traffic, training, security); the network parts' providers (cells
up, alarms, uplifts) are appended at merge, and until then `netmgmt.programme.assemble` shows those figures as
not available.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from dispatch import Change, Incident, IncidentState
from netmgmt import programme as core
from netmgmt.programme import Figure, IncidentFacts, Training
from psn.audit import AuditLog
from psn.clock import Clock
from psn.store import Database
from psn.store.programme_schema import trainings
from psn.traffic.tick import Picture

if TYPE_CHECKING:  # the server builds the programme and hands itself to `providers_of`
    from psn.server import Server

log = logging.getLogger(__name__)
Scope = Collection[str] | None  # the agencies counted; None: every agency (national)
Provider = Callable[[Scope], Iterable[Figure]]


class DuplicateTraining(ValueError):
    """The same officer, agency, course and completion time is recorded already."""


class TrainingStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, record: Training, recorded_by: str, now: float) -> None:
        try:
            with self.db.engine.begin() as conn:
                conn.execute(trainings.insert().values(
                    officer=record.officer, agency=record.agency, course=record.course,
                    completed=record.completed, recorded_by=recorded_by, recorded=now))
        except sa.exc.IntegrityError:
            raise DuplicateTraining(f"{record.officer} of {record.agency} completing {record.course!r} at "
                                    f"{record.completed} is recorded already") from None

    def all(self) -> list[Training]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(trainings).order_by(trainings.c.id)).all()
        return [Training(r.officer, r.agency, r.course, r.completed) for r in rows]


class Programme:
    def __init__(self, db: Database, clock: Clock, audit: AuditLog, agencies: tuple[str, ...],
                 providers: Sequence[Provider] = ()) -> None:
        self.clock = clock
        self.audit = audit
        self.agencies = agencies
        self.training = TrainingStore(db)
        self.providers: list[Provider] = [*providers, self._training_figures]

    def figures(self, scope: Scope) -> list[Figure]:
        return core.assemble(self._gathered(scope))

    def _gathered(self, scope: Scope) -> Iterator[Figure]:
        """Every provider's figures; one that fails costs only its own figures (logged), never the page."""
        for provider in self.providers:
            try:
                yield from list(provider(scope))
            except Exception:
                log.exception("programme figure provider %s failed", getattr(provider, "__name__", provider))

    def record_training(self, body: object, recorded_by: str, may_record: Callable[[str], None]) -> Training:
        """Parses and stores a completed training; `may_record(agency)` raises when the trainer may not record
        for that agency. TrainingError (bad record) or DuplicateTraining; audited once stored."""
        now = self.clock.time()
        record = core.parse_training(body, self.agencies, now)
        may_record(record.agency)
        self.training.add(record, recorded_by, now)
        self.audit.record(recorded_by, "programme.training", f"{record.agency}/{record.officer}",
                          course=record.course, completed=record.completed)
        return record

    def _training_figures(self, scope: Scope) -> list[Figure]:
        return core.training_figures(self.training.all(), self.clock.time(), scope)


def providers_of(server: Server) -> list[Provider]:
    """The figures this part gathers from the server's pieces (read when asked, never cached)."""
    started = server.clock.time()

    def last_seen() -> dict[str, float]:
        return {u.id: max(u.ts, u.status_ts or u.ts) for u in server.state.snapshot()}

    def people(scope: Scope) -> list[Figure]:
        seen, now = last_seen(), server.clock.time()
        return [core.agencies_figure(seen, server.settings.agencies, now), *core.unit_figures(seen, now, scope),
                *core.officers_figures(server.cad.crew.crewed(), scope)]

    def incidents(scope: Scope) -> list[Figure]:
        facts = [_facts(i) for i in server.cad.incidents.all()]
        return core.incident_figures(facts, server.clock.time(), scope)

    def traffic(_scope: Scope) -> list[Figure]:
        now = server.clock.time()
        if not server.settings.traffic_enabled:
            return core.traffic_figures(None, None, now, "traffic analytics are off on this server")
        read = server.traffic.read(_traffic_inputs, build=False)
        if read is None:
            return core.traffic_figures(None, None, now, "traffic analytics have not started yet")
        return core.traffic_figures(*read, now=now, why="")

    def security(_scope: Scope) -> list[Figure]:
        return core.security_figures(dict(server.security.counts), started)

    def network(_scope: Scope) -> list[Figure]:
        """National: one network serves every agency (cells up of those the inventory knows or that reported)."""
        states = [row["state"] for row in server.net_kpis.cells()]
        return core.network_figures(states, len(server.alarms.active()),
                                    len(server.qos.uplifts(active_only=True)))

    return [people, incidents, traffic, security, network]


def _traffic_inputs(picture: Picture, _now: float) -> tuple[list[float], list[tuple[float, float]]]:
    return ([alert.raised for alert in picture.alerts.values()],
            [(float(row["index"]), float(row["coverage"])) for row in picture.corridors])


def _facts(incident: Incident) -> IncidentFacts:
    closed = None
    if incident.state is IncidentState.CLOSED:
        closed = next(e.ts for e in reversed(incident.timeline) if e.what is Change.CLOSED)
    return IncidentFacts(incident.owner, incident.opened, closed)


def figures_json(figures: Iterable[Figure]) -> list[dict[str, Any]]:
    return [figure.to_json() for figure in figures]
