"""The programme dashboard's pure figures against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from netmgmt import programme as core
from netmgmt.programme import IncidentFacts, Training, TrainingError

T = 1_764_000_000.0
D = 86_400.0
AGENCIES = ("fire", "police")


def test_daily_bins_end_at_now_oldest_first() -> None:
    bins = core.daily([T, T - 1, T - D, T - D - 1, T - 3 * D + 1, T - 3 * D - 1, T + 1], T, days=3)
    # Bins [T-3D, T-2D), [T-2D, T-D), [T-D, T]: T-3D-1 is before the first, T+1 after the last.
    assert bins == ((T - 3 * D, 1.0), (T - 2 * D, 1.0), (T - D, 3.0))


def test_units_active_per_window_and_agency() -> None:
    seen = {"police/P-1": T - 60, "police/P-2": T - 3600, "fire/F-1": T - 3 * D, "nemo/N-1": T - 20 * D,
            "ems/E-1": T - 40 * D}
    values = {f.spec.id: (f.value, dict(f.parts)) for f in core.unit_figures(seen, T, None)}
    assert values == {
        "units_active_now": (1.0, {"police": 1}),
        "units_active_24h": (2.0, {"police": 2}),
        "units_active_7d": (3.0, {"fire": 1, "police": 2}),
        "units_active_30d": (4.0, {"fire": 1, "nemo": 1, "police": 2}),
    }
    police = {f.spec.id: f.value for f in core.unit_figures(seen, T, {"police"})}
    assert police == {"units_active_now": 1.0, "units_active_24h": 2.0, "units_active_7d": 2.0,
                      "units_active_30d": 2.0}
    agencies = core.agencies_figure(seen, ("ems", "fire", "police"), T)
    assert (agencies.value, dict(agencies.parts)) == (2.0, {"fire": 1, "police": 2})  # nemo is not registered


def test_incidents_open_opened_and_handled() -> None:
    facts = [IncidentFacts("police", T - 40 * D, T - 35 * D), IncidentFacts("police", T - 10 * D, T - 2 * D),
             IncidentFacts("fire", T - 5 * D, None), IncidentFacts("police", T - 3600, None)]
    by_id = {f.spec.id: f for f in core.incident_figures(facts, T, None)}
    assert by_id["incidents_open"].value == 2.0
    assert dict(by_id["incidents_open"].parts) == {"fire": 1.0, "police": 1.0}
    assert by_id["incidents_opened_30d"].value == 3.0
    assert by_id["incidents_handled_30d"].value == 1.0
    history = by_id["incidents_opened_30d"].history
    assert len(history) == 30 and history[0][0] == T - 30 * D
    assert {i: n for i, (_, n) in enumerate(history) if n} == {20: 1.0, 25: 1.0, 29: 1.0}
    assert not by_id["offences_intercepted"].available
    assert "not recorded yet" in (by_id["offences_intercepted"].why or "")


def test_traffic_mean_index_over_measured_corridors_only() -> None:
    figures = core.traffic_figures([T - 60, T - 7 * 3600], [(1.2, 0.5), (1.6, 1.0), (9.0, 0.0)], T, "")
    assert [(f.spec.id, f.value) for f in figures] == [
        ("traffic_alerts_6h", 1.0), ("corridors_monitored", 3.0), ("travel_time_index", 1.4)]
    off = core.traffic_figures(None, None, T, "traffic analytics are off")
    assert [(f.available, f.why) for f in off] == [(False, "traffic analytics are off")] * 3


def test_training_counts_officers_once() -> None:
    records = [Training("pc-101", "police", "Body cams", T - 2 * D), Training("pc-101", "police", "First aid",
                                                                             T - 40 * D),
               Training("ff-7", "fire", "Body cams", T - D)]
    trained, recent = core.training_figures(records, T, None)
    assert (trained.value, dict(trained.parts)) == (2.0, {"fire": 1.0, "police": 1.0})
    assert (recent.value, dict(recent.parts)) == (2.0, {"Body cams": 2.0})
    assert [f.value for f in core.training_figures(records, T, {"fire"})] == [1.0, 1.0]


def test_assemble_keeps_the_first_and_adds_the_missing_network_figures() -> None:
    mine = core.Figure(core.NETWORK_SPECS[0], 150.0)
    duplicate = core.Figure(core.NETWORK_SPECS[0], 3.0)
    rows = core.assemble([mine, duplicate])
    assert [(f.spec.id, f.value) for f in rows] == [("cells_up", 150.0), ("alarms_active", None),
                                                    ("uplifts_active", None)]
    assert rows[1].to_json()["why"] == core.NOT_WIRED and rows[1].to_json()["available"] is False


def test_a_figure_without_value_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="no reason"):
        core.Figure(core.NETWORK_SPECS[0], None)


VALID = {"officer": "pc-101", "agency": "police", "course": "Body cams", "completed": T - 60}


@pytest.mark.parametrize(("change", "reason"), [
    ({"officer": "pc 101"}, "officer must be"),
    ({"officer": ""}, "officer must be"),
    ({"agency": "army"}, "agency must be one of fire, police"),
    ({"course": "   "}, "course must be"),
    ({"course": "x" * 101}, "course must be"),
    ({"course": "tab\there"}, "course must be"),
    ({"completed": True}, "completed must be epoch"),
    ({"completed": math.nan}, "completed must be epoch"),
    ({"completed": "yesterday"}, "completed must be epoch"),
    ({"completed": T + 301}, "must lie between"),
    ({"completed": 1.0}, "must lie between"),
    ({"extra": 1}, "unknown ['extra']"),
])
def test_training_refused_with_reason(change: dict[str, object], reason: str) -> None:
    with pytest.raises(TrainingError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        core.parse_training({**VALID, **change}, AGENCIES, T)


def test_training_parsed_as_sent() -> None:
    assert core.parse_training({**VALID, "completed": T + 300}, AGENCIES, T) == Training(
        "pc-101", "police", "Body cams", T + 300)
    with pytest.raises(TrainingError, match=r"missing \['course'\]"):
        core.parse_training({k: v for k, v in VALID.items() if k != "course"}, AGENCIES, T)
    with pytest.raises(TrainingError, match="JSON object"):
        core.parse_training([VALID], AGENCIES, T)


def test_security_events_by_kind_since_start() -> None:
    events, warnings, captured = core.security_figures({"failed_login": 2, "bad_token": 1, "locked_out": 0}, T)
    assert (events.value, dict(events.parts)) == (3.0, {"bad_token": 1.0, "failed_login": 2.0})
    assert events.spec.source.endswith("(2025-11-24 16:00 UTC)")
    assert not warnings.available and not captured.available


def test_network_figures_count_cells_up_alarms_and_uplifts() -> None:
    from netmgmt.programme import network_figures

    cells, alarms, uplifts = network_figures(["up", "silent", "up", "unknown"], 3, 1)
    assert (cells.spec.id, cells.value, dict(cells.parts)) == ("cells_up", 2.0, {"known": 4.0})
    assert (alarms.spec.id, alarms.value, uplifts.spec.id, uplifts.value) == ("alarms_active", 3.0,
                                                                                "uplifts_active", 1.0)
    nothing_known = network_figures([], 0, 0)[0]
    assert nothing_known.value is None and nothing_known.why
