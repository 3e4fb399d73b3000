import pytest

from simulator.plan import NetworkPlan, parse_plan
from simulator.scenario import Scenario, parse_scenario


@pytest.fixture(scope="session")
def small_plan() -> NetworkPlan:
    """Three sites around Belize City, one urban, two rural."""
    return parse_plan({
        "name": "test plan",
        "sites": [
            {"id": "PMD", "lon": -88.1868, "lat": 17.5135, "height_m": 35, "environment": "uma"},
            {"id": "LDV", "lon": -88.29, "lat": 17.5543, "height_m": 40},
            {"id": "HWY", "lon": -88.40, "lat": 17.42, "height_m": 45},
        ],
    })


@pytest.fixture(scope="session")
def small_scenario() -> Scenario:
    return parse_scenario({"name": "test", "groups": [
        {"name": "cam", "count": 6, "spread_m": 100, "points": [[-88.1868, 17.508]],
         "bearers": [{"qci": 67, "rate_mbps": 1.08, "arp": 8, "may_preempt": False, "preemptable": True},
                     {"qci": 65, "rate_mbps": 0.04, "arp": 2}]},
        {"name": "vip", "count": 1, "spread_m": 10, "uplift": True, "points": [[-88.1868, 17.508]],
         "bearers": [{"qci": 9, "direction": "dl", "rate_mbps": 2.0, "arp": 9}]},
    ]})
