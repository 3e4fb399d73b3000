"""The network's alarm engine: plain observations in (a cell's KPI sample, a unit's link report, a clock tick),
alarm changes out. No I/O and no clock of its own: the shell passes the time with every call.

Each alarm is one (kind, target) condition. Its lifecycle is raised → acknowledged (who, when) → cleared, the
clearing decided by the condition alone (an acknowledged alarm still clears). Flap control:
- one alarm per (kind, target) while active; a new onset of its condition while active adds to `count`;
- clearing waits until the condition has been absent for `clear_delay_s` (a short gap clears nothing);
- a cleared alarm whose condition comes back within `hold_down_s` is re-opened (raised again, `count` + 1)
  instead of a new alarm being made, so a flapping cell is one alarm with a count, not a flood.
A unit the network stops reporting for more than `silent_periods` periods has left it (the equipment detaches a
unit silent for 5 min): nothing more is known of its coverage, so its unit_no_coverage condition ends there, and
the engine forgets the unit once any alarm of it is past the hold-down. Equipment may name any cell or unit, so
at most `max_cells` and `max_units` are watched: beyond that the one reported longest ago is forgotten the same
way (its conditions end, its alarms clear after the delay), which bounds the engine's memory.
Every change is returned as a `Change` (the alarm after it, and the history entry) for the shell to store,
publish and push.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType


class Kind(enum.StrEnum):
    CELL_SILENT = "cell_silent"  # no KPI from the cell for more than `silent_periods` periods: cell or site down
    CELL_LOAD = "cell_load"  # PRB utilisation (UL or DL) at or above `load_raise`, sustained `load_sustain_s`
    ADMISSION_REJECTED = "admission_rejected"  # bearers refused admission in the cell's last period
    PREEMPTED = "preempted"  # bearers pre-empted in the cell's last period
    UNIT_NO_COVERAGE = "unit_no_coverage"  # `no_coverage_reports` consecutive link reports without a cell


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    WARNING = "warning"


class State(enum.StrEnum):
    RAISED = "raised"
    ACKNOWLEDGED = "acknowledged"
    CLEARED = "cleared"


class Event(enum.StrEnum):
    """What a history entry records: a change of state, or an update (a new onset) that keeps the state."""

    RAISED = "raised"
    REOPENED = "reopened"  # a cleared alarm raised again within the hold-down window
    UPDATED = "updated"  # a new onset of the condition while the alarm is active: count + 1
    ACKNOWLEDGED = "acknowledged"
    CLEARED = "cleared"


CELL_KINDS = (Kind.CELL_SILENT, Kind.CELL_LOAD, Kind.ADMISSION_REJECTED, Kind.PREEMPTED)
SEVERITY: Mapping[Kind, Severity] = MappingProxyType({
    Kind.CELL_SILENT: Severity.CRITICAL,  # every unit in the cell loses service
    Kind.CELL_LOAD: Severity.MAJOR,  # new bearers (video) will be refused or pre-empted next
    Kind.ADMISSION_REJECTED: Severity.MAJOR,  # someone asked for a bearer and did not get it
    Kind.PREEMPTED: Severity.MINOR,  # the ARP policy worked as designed, but a lower-priority user lost a bearer
    Kind.UNIT_NO_COVERAGE: Severity.WARNING,  # one unit, often only driving through a gap
})


@dataclass(frozen=True)
class AlarmConfig:
    period_s: float = 5.0  # the equipment's KPI reporting period (docs/protocol.md)
    silent_periods: int = 3  # cell_silent when no KPI for more than this many periods
    load_raise: float = 0.85
    load_clear: float = 0.70  # hysteresis: a raised cell_load condition holds until utilisation is below this
    load_sustain_s: float = 180.0
    no_coverage_reports: int = 2
    hold_down_s: float = 600.0
    clear_delay_s: float = 30.0
    # Equipment may name any cell and unit: this many of each are watched (10 times the plan's 165 cells and the
    # design load's 5,000 units); beyond it the one reported longest ago is forgotten and its conditions end.
    max_cells: int = 5_000
    max_units: int = 50_000
    severity: Mapping[Kind, Severity] = field(default_factory=lambda: SEVERITY)

    def __post_init__(self) -> None:
        if not (self.period_s > 0 and min(self.silent_periods, self.no_coverage_reports, self.max_cells,
                                          self.max_units) >= 1):
            raise ValueError("period_s must be > 0, silent_periods, no_coverage_reports, max_cells and max_units "
                             "at least 1")
        if not (0.0 <= self.load_clear <= self.load_raise <= 1.0):
            raise ValueError(f"need 0 <= load_clear <= load_raise <= 1, not {self.load_clear}, {self.load_raise}")
        if min(self.load_sustain_s, self.hold_down_s, self.clear_delay_s) < 0:
            raise ValueError("load_sustain_s, hold_down_s and clear_delay_s must be >= 0")

    @property
    def silent_after_s(self) -> float:
        return self.period_s * self.silent_periods


@dataclass(frozen=True, slots=True)
class Alarm:
    id: str  # "AL-12"
    kind: Kind
    target: str  # a cell id, or a unit "agency/unit" for unit_no_coverage
    severity: Severity
    state: State
    raised: float  # when first raised (a re-opened alarm keeps it)
    changed: float  # its last change
    count: int  # onsets of the condition folded into this alarm
    detail: str
    acknowledged_by: str | None = None
    acknowledged: float | None = None

    @property
    def active(self) -> bool:
        return self.state is not State.CLEARED


@dataclass(frozen=True, slots=True)
class Transition:
    """One history entry: the alarm's state and count after `event`."""

    alarm: str
    at: float
    event: Event
    state: State
    count: int
    detail: str
    by: str | None = None  # who acknowledged


@dataclass(frozen=True, slots=True)
class Change:
    alarm: Alarm
    transition: Transition


@dataclass(frozen=True, slots=True)
class KpiSample:
    """What the engine reads of one cell KPI report."""

    cell: str
    prb_util_dl: float
    prb_util_ul: float
    bearers_rejected: int
    bearers_preempted: int


class AlarmError(Exception):
    """An acknowledgement the alarm's state refuses (cleared, or acknowledged already)."""


@dataclass(slots=True)
class _Condition:
    present: bool
    since: float  # when it last became present or absent


class AlarmEngine:
    """Not thread-safe: the shell serialises calls. `alarms` are those to resume (active, or cleared within the
    hold-down window), e.g. from the store after a restart; their conditions are taken as still present."""

    def __init__(self, config: AlarmConfig = AlarmConfig(), alarms: Iterable[Alarm] = (), next_id: int = 1) -> None:
        self.config = config
        self._alarms: dict[tuple[Kind, str], Alarm] = {}
        self._conditions: dict[tuple[Kind, str], _Condition] = {}
        for alarm in alarms:
            key = (alarm.kind, alarm.target)
            self._alarms[key] = alarm
            if alarm.active:
                self._conditions[key] = _Condition(True, alarm.changed)
        self._next_id = next_id
        self._last_kpi: dict[str, float] = {}  # cell -> when its latest KPI arrived, the latest last
        self._load_high_since: dict[str, float] = {}  # cell -> start of its current run at or above load_raise
        self._no_cell_reports: dict[str, int] = {}  # unit -> consecutive link reports without a cell
        self._last_link: dict[str, float] = {}  # unit -> when its latest link report arrived, the latest last
        self.forgotten_cells = self.forgotten_units = 0  # beyond max_cells, max_units
        for alarm in alarms:
            if alarm.active and alarm.kind is Kind.UNIT_NO_COVERAGE:
                self._last_link[alarm.target] = alarm.changed

    def active(self) -> list[Alarm]:
        return sorted((a for a in self._alarms.values() if a.active), key=lambda a: a.changed)

    def alarms(self) -> list[Alarm]:
        """Every alarm held: the active ones and those cleared within the hold-down window."""
        return list(self._alarms.values())

    def get(self, alarm_id: str) -> Alarm | None:
        return next((a for a in self._alarms.values() if a.id == alarm_id), None)

    def kpi(self, sample: KpiSample, at: float) -> list[Change]:
        cfg, cell = self.config, sample.cell
        self._last_kpi.pop(cell, None)
        self._last_kpi[cell] = at
        changes = self._observe(Kind.CELL_SILENT, cell, False, at, "")
        util = max(sample.prb_util_dl, sample.prb_util_ul)
        loaded = self._conditions.get((Kind.CELL_LOAD, cell))
        if util >= cfg.load_raise:
            since = self._load_high_since.setdefault(cell, at)
            present = at - since >= cfg.load_sustain_s or (loaded is not None and loaded.present)
        else:
            self._load_high_since.pop(cell, None)
            present = loaded is not None and loaded.present and util >= cfg.load_clear
        changes += self._observe(Kind.CELL_LOAD, cell, present, at,
                                 f"PRB utilisation DL {sample.prb_util_dl:.2f}, UL {sample.prb_util_ul:.2f} "
                                 f"(raise at {cfg.load_raise:.2f} for {cfg.load_sustain_s:g} s, "
                                 f"clear below {cfg.load_clear:.2f})")
        changes += self._observe(Kind.ADMISSION_REJECTED, cell, sample.bearers_rejected > 0, at,
                                 f"{sample.bearers_rejected} bearers rejected in the last period")
        changes += self._observe(Kind.PREEMPTED, cell, sample.bearers_preempted > 0, at,
                                 f"{sample.bearers_preempted} bearers pre-empted in the last period")
        if len(self._last_kpi) > cfg.max_cells:
            self.forgotten_cells += 1
            changes += self._forget_cell(next(iter(self._last_kpi)), at)
        return changes

    def expect(self, cell: str, at: float) -> None:
        """A cell known to report (it did before a restart) is silent if no KPI comes within the limit of `at`."""
        self._last_kpi.setdefault(cell, at)

    def link(self, unit: str, cell: str | None, at: float) -> list[Change]:
        """A unit's link report: `cell` None when the network says it is out of coverage."""
        reports = 0
        self._last_link.pop(unit, None)
        self._last_link[unit] = at
        if cell is None:
            reports = self._no_cell_reports[unit] = self._no_cell_reports.get(unit, 0) + 1
        else:
            self._no_cell_reports.pop(unit, None)
        changes = self._observe(Kind.UNIT_NO_COVERAGE, unit, reports >= self.config.no_coverage_reports, at,
                                f"{reports} consecutive link reports without a serving cell")
        if len(self._last_link) > self.config.max_units:
            self.forgotten_units += 1
            changes += self._forget_unit(next(iter(self._last_link)), at)
        return changes

    def tick(self, now: float) -> list[Change]:
        """Staleness: cells silent too long; clears whose delay has passed; forgets what the hold-down is over."""
        cfg = self.config
        changes: list[Change] = []
        for cell, last in list(self._last_kpi.items()):
            if now - last > cfg.silent_after_s:
                changes += self._observe(Kind.CELL_SILENT, cell, True, now,
                                         f"no KPI for {now - last:.0f} s (limit {cfg.silent_after_s:g} s)")
        for unit, last in list(self._last_link.items()):
            if now - last > cfg.silent_after_s:  # no longer reported: detached from the network
                changes += self._forget_unit(unit, now)
        for key, condition in list(self._conditions.items()):
            changes += self._maybe_clear(key, condition, now)
        for key, alarm in list(self._alarms.items()):
            if not alarm.active and now - alarm.changed > cfg.hold_down_s:
                del self._alarms[key]
                self._conditions.pop(key, None)
        return changes

    def put(self, alarm: Alarm) -> None:
        """Takes `alarm` as it stands elsewhere (another psn instance acknowledged it) for the one it holds with the
        same id; an id it does not hold is ignored."""
        key = (alarm.kind, alarm.target)
        held = self._alarms.get(key)
        if held is not None and held.id == alarm.id:
            self._alarms[key] = alarm

    def acknowledge(self, alarm_id: str, by: str, at: float) -> Change:
        """KeyError for an alarm the engine does not hold; AlarmError when it is not raised."""
        alarm = self.get(alarm_id)
        if alarm is None:
            raise KeyError(alarm_id)
        if alarm.state is not State.RAISED:
            who = f" by {alarm.acknowledged_by}" if alarm.state is State.ACKNOWLEDGED else ""
            raise AlarmError(f"alarm {alarm_id} is {alarm.state}{who} already")
        return self._set(replace(alarm, state=State.ACKNOWLEDGED, changed=at, acknowledged_by=by, acknowledged=at),
                         Event.ACKNOWLEDGED, at, by)

    def _observe(self, kind: Kind, target: str, present: bool, at: float, detail: str) -> list[Change]:
        key = (kind, target)
        condition = self._conditions.get(key)
        onset = present and (condition is None or not condition.present)
        if condition is None or condition.present != present:
            if condition is None and not present:
                return []
            condition = self._conditions[key] = _Condition(present, at)
        if not present:
            return self._maybe_clear(key, condition, at)
        if not onset:
            return []
        alarm = self._alarms.get(key)
        if alarm is None or (not alarm.active and at - alarm.changed > self.config.hold_down_s):
            alarm = Alarm(f"AL-{self._next_id}", kind, target, self.config.severity[kind], State.RAISED, at, at, 1,
                          detail)
            self._next_id += 1
            return [self._set(alarm, Event.RAISED, at)]
        if not alarm.active:
            return [self._set(replace(alarm, state=State.RAISED, changed=at, count=alarm.count + 1, detail=detail,
                                      acknowledged_by=None, acknowledged=None), Event.REOPENED, at)]
        return [self._set(replace(alarm, changed=at, count=alarm.count + 1, detail=detail), Event.UPDATED, at)]

    def _forget_cell(self, cell: str, at: float) -> list[Change]:
        del self._last_kpi[cell]
        self._load_high_since.pop(cell, None)
        return [change for kind in CELL_KINDS for change in self._observe(kind, cell, False, at, "")]

    def _forget_unit(self, unit: str, at: float) -> list[Change]:
        del self._last_link[unit]
        self._no_cell_reports.pop(unit, None)
        return self._observe(Kind.UNIT_NO_COVERAGE, unit, False, at, "")

    def _maybe_clear(self, key: tuple[Kind, str], condition: _Condition, now: float) -> list[Change]:
        alarm = self._alarms.get(key)
        if condition.present or now - condition.since < self.config.clear_delay_s:
            return []
        del self._conditions[key]
        if alarm is None or not alarm.active:
            return []
        return [self._set(replace(alarm, state=State.CLEARED, changed=now), Event.CLEARED, now)]

    def _set(self, alarm: Alarm, event: Event, at: float, by: str | None = None) -> Change:
        self._alarms[(alarm.kind, alarm.target)] = alarm
        return Change(alarm, Transition(alarm.id, at, event, alarm.state, alarm.count, alarm.detail, by))
