import numpy as np

from simulator.capacity import VIDEO_RATES, make_probes, video_capacity
from simulator.sim import run


def test_more_bitrate_means_fewer_streams_and_protected_load_reduces_them(small_plan, small_scenario) -> None:
    rng = np.random.default_rng(9)
    probes = make_probes(rng, small_plan, per_site=300)
    by_rate = {q: {c.cell: c for c in video_capacity(rng, small_plan, probes, r)} for q, r in VIDEO_RATES.items()}
    for cell, c480 in by_rate["480p"].items():
        assert c480.streams >= by_rate["720p"][cell].streams >= by_rate["1080p"][cell].streams
        assert c480.streams_cell_edge <= c480.streams
    # an unloaded 10 MHz Band 14 cell carries a handful of 720p uplink streams, not zero and not hundreds
    assert 2 <= max(c.streams for c in by_rate["720p"].values()) <= 40

    scen = run(rng, small_plan, small_scenario)
    loaded = {c.cell: c for c in video_capacity(rng, small_plan, probes, VIDEO_RATES["720p"], scen, arp=5)}
    busy = max(loaded.values(), key=lambda c: c.protected_share)
    assert busy.protected_share > 0
    assert busy.streams <= by_rate["720p"][busy.cell].streams


def test_preempted_first_lists_low_arp_preemptable_units(small_plan, small_scenario) -> None:
    rng = np.random.default_rng(2)
    scen = run(rng, small_plan, small_scenario)
    probes = make_probes(rng, small_plan, per_site=100)
    res = video_capacity(rng, small_plan, probes, 1.08, scen)
    named = [u for c in res for u in c.preempted_first]
    assert named and all("cam-" in u and "ARP 8" in u for u in named)
