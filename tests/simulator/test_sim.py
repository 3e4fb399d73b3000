import numpy as np

from simulator.radio.qos import Admission
from simulator.sim import cell_kpis, link_conditions, run


def test_scenario_run_gives_kpis_and_link_conditions(small_plan, small_scenario) -> None:
    r = run(np.random.default_rng(4), small_plan, small_scenario)
    assert len(r.admission) == len(r.bearers) == 13
    assert np.all(r.result.cell_prb_load >= 0) and np.all(r.result.cell_prb_load <= 1 + 1e-9)
    kpis = cell_kpis(r, 1.0)
    assert sum(k["connected_ues"] for k in kpis) == 7
    assert {"cell", "prb_util_dl", "prb_util_ul", "thr_ul_mbps", "bearers_preempted"} <= set(kpis[0])
    links = link_conditions(r)
    assert set(links) == set(r.population.unit_ids)
    cam = links["cam-001"]
    admitted = r.admission[r.bearers.ue == 0] == Admission.ADMITTED
    if admitted.all():
        assert cam["ul_mbps"] > 0.5 and 0 < cam["latency_ms"] <= 100 and cam["loss"] < 0.01


def test_uplifted_unit_is_scheduled_ahead_of_its_qci_peers(small_plan, small_scenario) -> None:
    r = run(np.random.default_rng(4), small_plan, small_scenario)
    vip = r.population.unit_ids.index("vip-001")
    b = r.bearers.ue == vip
    assert r.bearers.arp[b].tolist() == [1] and not r.bearers.preemptable[b].any()


def test_load_coupling_removes_interference_from_idle_cells(small_plan, small_scenario) -> None:
    full = run(np.random.default_rng(4), small_plan, small_scenario, load_iterations=0)
    coupled = run(np.random.default_rng(4), small_plan, small_scenario, load_iterations=1)
    np.testing.assert_array_equal(full.snapshot.serving, coupled.snapshot.serving)
    assert np.all(coupled.snapshot.dl_sinr_db >= full.snapshot.dl_sinr_db - 1e-9)
    assert coupled.snapshot.dl_sinr_db.mean() > full.snapshot.dl_sinr_db.mean()
