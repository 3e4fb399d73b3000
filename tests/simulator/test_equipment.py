"""The simulated network equipment's pure core: cell selection, faults, congestion with uplift, expiry.

Expectations are stated by hand from the plan's geometry and the LTE tables, not read from the code."""

import json
import math

import numpy as np
import pytest

from simulator.equipment import Equipment, EquipmentConfig
from simulator.netpolicy import Fault
from simulator.plan import NetworkPlan, load_plan, parse_plan
from simulator.radio.network import RadioConfig
from simulator.scenario import parse_scenario
from simulator.sim import radio_config
from telemetry.topics import NET_FAULT_TOPIC, NET_POLICY_TOPIC, unit_topic

NOW = 1_764_612_345.0
POLICE = {"qci": 69, "video_qci": 67, "voice_qci": 65, "arp": 6, "pci": False, "pvi": True}


def near(plan: NetworkPlan, site: str, bearing_deg: float, distance_m: float) -> tuple[float, float]:
    """(lat, lon) `distance_m` from the site along a compass bearing (flat-earth offsets, fine at 300 m)."""
    s = next(x for x in plan.sites if x.id == site)
    lat = s.lat + distance_m * math.cos(math.radians(bearing_deg)) / 111_320
    lon = s.lon + distance_m * math.sin(math.radians(bearing_deg)) / (111_320 * math.cos(math.radians(s.lat)))
    return lat, lon


def fix(eq: Equipment, unit: str, where: tuple[float, float], now: float = NOW, agency: str = "police") -> None:
    payload = json.dumps({"ts": now, "lat": where[0], "lon": where[1]}).encode()
    assert eq.receive(unit_topic(agency, unit, "telemetry"), payload, now) is None


def policy(eq: Equipment, units: dict[str, dict[str, object]], now: float = NOW) -> None:
    doc = {"ts": now, "seq": 1, "agencies": {"police": POLICE}, "units": units}
    assert eq.receive(NET_POLICY_TOPIC, json.dumps(doc).encode(), now) is None


def link(period, unit: str) -> dict[str, object]:
    return next(doc for _, u, doc in period.links if u == unit)


@pytest.fixture(scope="module")
def belize() -> NetworkPlan:
    return load_plan()


# BZE-PMD's sectors point at 0°, 120° and 240° (simulator/data/belize-band14-plan.json): a unit 200 m out is
# served by the sector whose boresight is nearest its bearing from the site.
@pytest.mark.parametrize(("bearing", "cell"), [(10, "BZE-PMD-1"), (130, "BZE-PMD-2"), (250, "BZE-PMD-3")])
def test_a_unit_next_to_a_site_is_served_by_the_sector_facing_it(belize: NetworkPlan, bearing: float,
                                                                 cell: str) -> None:
    eq = Equipment(belize, np.random.default_rng(1))
    fix(eq, "P-101", near(belize, "BZE-PMD", bearing, 200))
    period = eq.step(NOW)
    got = link(period, "P-101")
    assert got["cell"] == cell and got["agency"] == "police" and got["ts"] == NOW
    assert got["rsrp_dbm"] is not None and -120 < got["rsrp_dbm"] < -30  # type: ignore[operator]
    kpi = next(k for k in period.kpis if k["cell"] == cell)
    assert kpi["connected_ues"] == 1
    assert len(period.kpis) == 165  # every cell on the air reports, idle or not (55 sites x 3)


def test_a_unit_that_moves_round_the_site_changes_sector(belize: NetworkPlan) -> None:
    eq = Equipment(belize, np.random.default_rng(1))
    fix(eq, "P-101", near(belize, "BZE-PMD", 130, 200))
    assert link(eq.step(NOW), "P-101")["cell"] == "BZE-PMD-2"
    fix(eq, "P-101", near(belize, "BZE-PMD", 250, 200), NOW + 4)  # ~350 m away: its path gains are redone
    assert link(eq.step(NOW + 5), "P-101")["cell"] == "BZE-PMD-3"


def test_cell_down_moves_its_unit_to_another_cell_and_silences_it(belize: NetworkPlan) -> None:
    eq = Equipment(belize, np.random.default_rng(1))
    fix(eq, "P-101", near(belize, "BZE-PMD", 130, 200))
    assert link(eq.step(NOW), "P-101")["cell"] == "BZE-PMD-2"
    fault = {"fault": "cell_down", "target": "BZE-PMD-2", "action": "inject"}
    assert eq.receive(NET_FAULT_TOPIC, json.dumps(fault).encode(), NOW) is None
    period = eq.step(NOW + 5)
    moved = link(period, "P-101")["cell"]
    assert moved is not None and moved != "BZE-PMD-2"
    assert "BZE-PMD-2" not in {k["cell"] for k in period.kpis} and len(period.kpis) == 164
    assert period.faults == ("cell_down BZE-PMD-2",)
    clear = {"fault": "cell_down", "target": "BZE-PMD-2", "action": "clear"}
    assert eq.receive(NET_FAULT_TOPIC, json.dumps(clear).encode(), NOW + 6) is None
    assert link(eq.step(NOW + 10), "P-101")["cell"] == "BZE-PMD-2"


def test_site_down_far_from_any_other_site_leaves_its_unit_without_coverage(belize: NetworkPlan) -> None:
    # Punta Gorda (PUNTAG): the nearest other site (HWY-22) is ~9 km away over RMa NLOS, below -124 dBm.
    eq = Equipment(belize, np.random.default_rng(1))
    fix(eq, "N-7", near(belize, "PUNTAG", 130, 200), agency="nemo")
    assert link(eq.step(NOW), "N-7")["cell"] == "PUNTAG-2"
    eq.apply(Fault("site_down", "PUNTAG", inject=True, duration_s=60), NOW)
    period = eq.step(NOW + 5)
    assert link(period, "N-7") == {"agency": "nemo", "unit": "N-7", "ts": NOW + 5, "cell": None, "rsrp_dbm": None,
                                   "sinr_db": None, "ul_mbps": 0.0, "dl_mbps": 0.0, "arp": 9, "uplifted": False}
    assert not {"PUNTAG-1", "PUNTAG-2", "PUNTAG-3"} & {k["cell"] for k in period.kpis}
    assert period.covered == 0 and period.attached == 1
    after = eq.step(NOW + 61)  # duration_s 60 from NOW: the site is back by itself
    assert link(after, "N-7")["cell"] == "PUNTAG-2" and after.faults == ()


def test_scheduled_faults_start_at_their_offset(belize: NetworkPlan) -> None:
    eq = Equipment(belize, np.random.default_rng(1), faults=[(30.0, Fault("cell_down", "BZE-PMD-2", True))],
                   start=NOW)
    fix(eq, "P-101", near(belize, "BZE-PMD", 130, 200))
    assert eq.step(NOW + 29).faults == ()
    assert eq.step(NOW + 30).faults == ("cell_down BZE-PMD-2",)


def test_an_unknown_fault_target_is_refused_and_changes_nothing(belize: NetworkPlan) -> None:
    eq = Equipment(belize, np.random.default_rng(1))
    why = eq.receive(NET_FAULT_TOPIC, b'{"fault": "cell_down", "target": "BZE-PMD", "action": "inject"}', NOW)
    assert why is not None and "no cell 'BZE-PMD'" in why
    assert eq.step(NOW).faults == ()


def test_a_unit_silent_for_more_than_five_minutes_is_detached(belize: NetworkPlan) -> None:
    eq = Equipment(belize, np.random.default_rng(1))
    fix(eq, "P-101", near(belize, "BZE-PMD", 130, 200))
    assert eq.step(NOW + 300).attached == 1
    assert eq.step(NOW + 301).links == []


# The congestion cell: one site, every unit 300 m in front of sector 1, uplink power control with alpha = 1
# and P0 = -90 dBm per PRB, no shadowing. Alone on the site, every unit's uplink SINR is then P0 minus the noise
# in one PRB (-174 + 10 log10(180 kHz) + 5 dB = -116.4 dBm): 26.4 dB, CQI 15 (>= 22.7 dB), 5.5547 bit/s/Hz,
# x 168 resource elements x (1 - 0.15 overhead) = 793.2 bits per PRB per 1 ms TTI; 50 PRBs = 39.66 Mbit/s.
# GBR admission fills 90 % of it: 35.7 Mbit/s, so eight 4 Mbit/s streams fit (32) and a ninth does not (36).
STREAM_MBPS, DATA_UL_MBPS, FITTING = 4.0, 0.05, 8


ONE_SITE = parse_plan({"name": "one site", "sites": [{"id": "S", "lon": -88.5, "lat": 17.2, "height_m": 35}]})
CONGESTION_RADIO = RadioConfig(**{**radio_config(ONE_SITE).__dict__, "alpha": 1.0, "p0_dbm_per_prb": -90.0,
                                  "sf_sigma_db": (0.0, 0.0, 0.0, 0.0)})


@pytest.fixture
def congested() -> Equipment:
    eq = Equipment(ONE_SITE, np.random.default_rng(3), EquipmentConfig(data_ul_mbps=DATA_UL_MBPS),
                   radio=CONGESTION_RADIO)
    for k in range(1, 11):
        fix(eq, f"U{k:02d}", near(ONE_SITE, "S", 0, 300))
    return eq


def test_uplifting_units_in_a_congested_cell_raises_their_uplink_and_preempts_others(congested: Equipment) -> None:
    eq, t = congested, NOW
    video: dict[str, dict[str, object]] = {}
    for k in range(1, 11):  # one stream more each period: U01 is the oldest, U10 the newest
        video[f"U{k:02d}"] = {"video_ul_mbps": STREAM_MBPS}
        policy(eq, {f"police/{u}": v for u, v in video.items()}, t)
        period = eq.step(t)
        t += 5
    ul = {u: link(period, u)["ul_mbps"] for u in video}
    assert ul == {**{f"U{k:02d}": STREAM_MBPS + DATA_UL_MBPS for k in range(1, FITTING + 1)},
                  "U09": DATA_UL_MBPS, "U10": DATA_UL_MBPS}
    assert [k["bearers_rejected"] for k in period.kpis if k["cell"] == "S-1"] == [1]  # U10's, this period

    until = t + 60  # before the units (last fix at NOW) are detached at NOW + 300
    lifted = {"uplift": "UP-1", "until": until}
    policy(eq, {**{f"police/{u}": v for u, v in video.items()},
                "police/U09": {**video["U09"], **lifted}, "police/U10": {**video["U10"], **lifted}}, t)
    period = eq.step(t)
    ul = {u: link(period, u)["ul_mbps"] for u in video}
    # The uplifted newcomers take their streams; the two newest pre-emptable streams (U07, U08) make room.
    assert ul == {**{f"U{k:02d}": STREAM_MBPS + DATA_UL_MBPS for k in (1, 2, 3, 4, 5, 6, 9, 10)},
                  "U07": DATA_UL_MBPS, "U08": DATA_UL_MBPS}
    s1 = next(k for k in period.kpis if k["cell"] == "S-1")
    assert s1["bearers_preempted"] == 2 and s1["bearers_rejected"] == 0
    assert (link(period, "U09")["arp"], link(period, "U09")["uplifted"]) == (1, True)
    assert (link(period, "U01")["arp"], link(period, "U01")["uplifted"]) == (6, False)
    again = next(k for k in eq.step(t + 5).kpis if k["cell"] == "S-1")  # still displaced: counted once
    assert (again["bearers_preempted"], again["bearers_rejected"]) == (0, 0)

    period = eq.step(until + 1)  # the uplift ended by itself; the streams it admitted stay established
    assert (link(period, "U09")["arp"], link(period, "U09")["uplifted"]) == (6, False)
    assert link(period, "U09")["ul_mbps"] == STREAM_MBPS + DATA_UL_MBPS
    assert link(period, "U07")["ul_mbps"] == DATA_UL_MBPS


def test_a_degraded_backhaul_halves_what_the_cell_admits(congested: Equipment) -> None:
    # Capacity 0.5: each PRB carries half, so a stream needs twice the share: 4 streams fit in 90 % (not 8).
    eq = congested
    policy(eq, {f"police/U{k:02d}": {"video_ul_mbps": STREAM_MBPS} for k in range(1, 11)})
    eq.apply(Fault("backhaul", "S-1", inject=True, capacity=0.5), NOW)
    period = eq.step(NOW)
    streaming = sorted(u for _, u, doc in period.links if doc["ul_mbps"] > 1)
    assert len(streaming) == FITTING // 2
    s1 = next(k for k in period.kpis if k["cell"] == "S-1")
    assert s1["thr_ul_mbps"] == pytest.approx(4 * (STREAM_MBPS + DATA_UL_MBPS) + 6 * DATA_UL_MBPS, abs=0.01)
    assert period.faults == ("backhaul S-1 x0.5",)


def test_background_load_fills_the_cell_and_an_uplifted_unit_preempts_one_of_it() -> None:
    lat, lon = near(ONE_SITE, "S", 0, 300)
    cams = parse_scenario({"name": "cams", "groups": [
        {"name": "cam", "count": FITTING + 1, "spread_m": 0, "points": [[lon, lat]],
         "bearers": [{"qci": 67, "rate_mbps": STREAM_MBPS, "arp": 8, "may_preempt": False, "preemptable": True}]},
    ]})
    eq = Equipment(ONE_SITE, np.random.default_rng(3), EquipmentConfig(data_ul_mbps=DATA_UL_MBPS),
                   radio=CONGESTION_RADIO, load=cams)
    fix(eq, "U01", (lat, lon))
    s1 = next(k for k in eq.step(NOW).kpis if k["cell"] == "S-1")
    # 9 background UEs + U01; eight cams stream, the ninth is refused; U01 sends its data only
    assert (s1["connected_ues"], s1["bearers_rejected"], s1["bearers_preempted"]) == (FITTING + 2, 1, 0)
    assert s1["thr_ul_mbps"] == pytest.approx(FITTING * STREAM_MBPS + DATA_UL_MBPS, abs=0.01)
    policy(eq, {"police/U01": {"video_ul_mbps": STREAM_MBPS, "uplift": "UP-1", "until": NOW + 60}}, NOW + 5)
    period = eq.step(NOW + 5)
    s1 = next(k for k in period.kpis if k["cell"] == "S-1")
    assert link(period, "U01")["ul_mbps"] == STREAM_MBPS + DATA_UL_MBPS
    assert (s1["bearers_rejected"], s1["bearers_preempted"]) == (0, 1)
    s1 = next(k for k in eq.step(NOW + 10).kpis if k["cell"] == "S-1")  # the displaced cam is counted once
    assert (s1["bearers_rejected"], s1["bearers_preempted"]) == (0, 0)
    assert s1["thr_ul_mbps"] == pytest.approx(FITTING * STREAM_MBPS + DATA_UL_MBPS, abs=0.01)


def test_owntracks_devices_attach_as_psn_names_them_and_refused_fixes_attach_nobody(belize: NetworkPlan) -> None:
    eq = Equipment(belize, np.random.default_rng(1), EquipmentConfig(owntracks_agency="nemo"))
    lat, lon = near(belize, "BZE-PMD", 130, 200)
    located = json.dumps({"_type": "location", "tst": int(NOW), "lat": lat, "lon": lon}).encode()
    assert eq.receive("owntracks/alice/phone", located, NOW) is None
    far = json.dumps({"ts": NOW, "lat": 40.0, "lon": -3.0}).encode()  # Madrid: outside the plan's area
    assert "service area" in (eq.receive(unit_topic("police", "P-9", "telemetry"), far, NOW) or "")
    assert eq.receive(unit_topic("police", "P-8", "telemetry"), b"{", NOW) is not None
    assert [(a, u, doc["cell"]) for a, u, doc in eq.step(NOW).links] == [("nemo", "ot-alice-phone", "BZE-PMD-2")]
