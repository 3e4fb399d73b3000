"""`psn sim …`: path loss, calibration, capacity, coverage and scenario runs from the command line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Handler = Callable[[argparse.Namespace], int]


def _fail(message: str) -> int:
    print(f"psn sim: {message}", file=sys.stderr)
    return 2


def _guard(handler: Handler) -> Handler:
    """Input problems (bad file, out-of-range parameters) print one line and exit 2, no traceback."""

    def run(args: argparse.Namespace) -> int:
        from simulator.netpolicy import NetDocumentError
        from simulator.plan import PlanError
        from simulator.radio.validity import OutOfValidityError
        from simulator.scenario import ScenarioError

        try:
            return handler(args)
        except (PlanError, ScenarioError, OutOfValidityError, NetDocumentError) as e:
            return _fail(str(e))
        except OSError as e:  # unreachable broker, unwritable output directory
            return _fail(f"{e.strerror or e}" + (f": {e.filename}" if e.filename else ""))

    return run


def _progress(description: str) -> Any:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn(description), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), console=_console(stderr=True), transient=True)


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr)


def _pathloss(args: argparse.Namespace) -> int:
    from simulator.radio.pathloss import MODELS

    model = MODELS[args.model]
    model.check(args.distance_km, args.freq_mhz, args.hbs, args.hut)
    pl = model(args.distance_km, args.freq_mhz, args.hbs, args.hut)
    rows = [{"distance_km": d, "path_loss_db": round(float(v), 2)} for d, v in zip(args.distance_km, pl, strict=True)]
    if args.json:
        print(json.dumps({"model": model.name, "description": model.description, "freq_mhz": args.freq_mhz,
                          "h_bs_m": args.hbs, "h_ut_m": args.hut, "results": rows}))
    else:
        print(f"{model.description} at {args.freq_mhz:g} MHz, hBS {args.hbs:g} m, hUT {args.hut:g} m")
        for r in rows:
            print(f"  {r['distance_km']:8.3f} km  {r['path_loss_db']:7.2f} dB")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    import numpy as np

    from simulator import calibration as cal

    rng = np.random.default_rng(args.seed)
    drops = []
    with _progress("calibration drops") as bar:
        task = bar.add_task("drops", total=args.drops)
        for _ in range(args.drops):
            drops.append(cal.drop(rng, args.ues))
            bar.advance(task)
    measured = cal.concat(drops)
    table = cal.compare(measured)
    if args.plots:
        _calibration_plots(Path(args.plots), measured)
    ok = all(bool(v["within_tolerance"]) for v in table.values())
    if args.json:
        print(json.dumps({"reference": args.reference, "drops": args.drops, "ues_per_drop": args.ues,
                          "tolerance_db": cal.TOLERANCE_DB, "metrics": table, "pass": ok}, indent=1))
    else:
        from rich.table import Table

        t = Table(title=f"TR 36.873 3D-UMa calibration, {args.drops} x {args.ues} UEs (5 / 50 / 95 %)")
        for col in ("metric", "measured", "reference", "max dev (dB)", "±1.5 dB"):
            t.add_column(col)
        for name, v in table.items():
            t.add_row(name.removesuffix("_db").replace("_", " "), " / ".join(f"{x:.1f}" for x in v["measured"]),  # type: ignore[attr-defined]
                      " / ".join(f"{x:.1f}" for x in v["reference"]),  # type: ignore[attr-defined]
                      f"{v['max_deviation_db']:.2f}", "yes" if v["within_tolerance"] else "NO")
        _console().print(t)
    return 0 if ok else 1


def _calibration_plots(out: Path, m: Any) -> None:
    from simulator import calibration as cal
    from simulator.plots import calibration_cdf

    out.mkdir(parents=True, exist_ok=True)
    labels = {"coupling_loss_db": "coupling loss (dB)", "geometry_db": "geometry (dB)",
              "wideband_sinr_db": "wideband SINR (dB)"}
    for metric, ref in cal.REFERENCE_TR36873_UMA.items():
        calibration_cdf(out / f"sim-calibration-{metric.removesuffix('_db').replace('_', '-')}.png",
                        getattr(m, metric), ref, cal.PERCENTILES, labels[metric], cal.TOLERANCE_DB)


def _plan(args: argparse.Namespace) -> Any:
    from simulator.plan import load_plan

    return load_plan(args.plan) if args.plan else load_plan()


def _load(args: argparse.Namespace) -> tuple[Any, Any]:
    from simulator.scenario import load_scenario

    return _plan(args), load_scenario(args.scenario) if args.scenario else load_scenario()


def _capacity(args: argparse.Namespace) -> int:
    import numpy as np

    from simulator.capacity import make_probes, video_capacity
    from simulator.sim import run

    plan, scenario = _load(args)
    rng = np.random.default_rng(args.seed)
    scen_run = None if args.empty else run(rng, plan, scenario)
    probes = make_probes(rng, plan, args.probes_per_site)
    results: dict[float, list[Any]] = {}
    with _progress("capacity sweep") as bar:
        task = bar.add_task("sweep", total=len(args.rate_mbps) * 12)
        for rate in args.rate_mbps:
            base = bar.tasks[0].completed

            def step(i: int, _n: int, b: float = base) -> None:
                bar.update(task, completed=b + i)

            results[rate] = video_capacity(rng, plan, probes, rate, scen_run, qci=67, arp=args.arp,
                                           progress=step)
            bar.update(task, completed=base + 12)
    wanted = [c for c in results[args.rate_mbps[0]] if c.cell.startswith(tuple(args.cell or ("",)))]
    if not wanted:
        return _fail(f"no cell id starts with {args.cell}")
    by_rate = {r: {c.cell: c for c in res} for r, res in results.items()}
    rows = [{
        "cell": c.cell,
        "streams": {f"{r:g}": by_rate[r][c.cell].streams for r in args.rate_mbps},
        "streams_cell_edge": {f"{r:g}": by_rate[r][c.cell].streams_cell_edge for r in args.rate_mbps},
        "protected_prb_share": c.protected_share,
        "coverage": {f"{r:g}": by_rate[r][c.cell].coverage for r in args.rate_mbps},
        "preempted_first": list(c.preempted_first),
    } for c in wanted]
    if args.json:
        print(json.dumps({"plan": plan.name, "scenario": None if args.empty else scenario.name, "qci": 67,
                          "arp": args.arp, "rates_mbps": args.rate_mbps, "cells": rows}, indent=1))
        return 0
    from rich.table import Table

    t = Table(title=f"Max concurrent uplink QCI 67 video streams (ARP {args.arp}) within the 100 ms budget\n"
                    f"{plan.name} / {'empty network' if args.empty else scenario.name}")
    t.add_column("cell")
    for r in args.rate_mbps:
        t.add_column(f"{r:g} Mbit/s\n(edge)", justify="right")
    t.add_column("held by\nprotected", justify="right")
    t.add_column("pre-empted first")
    for row in rows:
        t.add_row(row["cell"], *(f"{row['streams'][f'{r:g}']} ({row['streams_cell_edge'][f'{r:g}']})"
                                 for r in args.rate_mbps),
                  f"{100 * row['protected_prb_share']:.0f} %", "\n".join(row["preempted_first"]) or "-")
    _console().print(t)
    return 0


def _coverage(args: argparse.Namespace) -> int:
    from simulator.coverage import (
        bounds_of_districts,
        class_polygons,
        coverage_raster,
        plot_map,
        write_geotiff,
        write_npz,
    )

    plan = _plan(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with _progress("coverage raster") as bar:
        task = bar.add_task("rows", total=None)
        raster = coverage_raster(plan, bounds_of_districts(), args.resolution_m,
                                 progress=lambda done, total: bar.update(task, completed=done, total=total))
    write_npz(out / "coverage.npz", raster)
    written = ["coverage.npz"]
    for band, name in (() if args.npz_only else (("rsrp_dbm", "rsrp_dbm"), ("dl_sinr_db", "sinr_db"))):
        write_geotiff(out / f"coverage-{name}.tif", raster, band)
        plot_map(out / f"coverage-{name}.png", raster, plan, band)
        written += [f"coverage-{name}.tif", f"coverage-{name}.png"]
    if not args.npz_only:
        (out / "coverage-rsrp-classes.geojson").write_text(json.dumps(class_polygons(raster)))
        written.append("coverage-rsrp-classes.geojson")
    print(json.dumps({"out": str(out), "files": written, "shape": list(raster.shape),
                      "resolution_m": args.resolution_m, "crs": raster.crs}))
    return 0


def _run(args: argparse.Namespace) -> int:
    import numpy as np

    from simulator.radio.scheduler import SchedulerConfig
    from simulator.sim import cell_kpis, link_conditions, radio_config, run

    plan, scenario = _load(args)
    rng = np.random.default_rng(args.seed)
    sched = SchedulerConfig(policy=args.scheduler, prbs=plan.band.prbs, duration_s=args.duration_s,
                            slot_s=radio_config(plan).slot_s)
    r = run(rng, plan, scenario, sched)
    kpis = cell_kpis(r, time.time())
    if args.mqtt:
        from simulator.kpi_publisher import KpiPublisher

        host, _, port = args.mqtt.partition(":")
        try:
            with KpiPublisher(host, int(port or 1883)) as pub:
                pub.publish(kpis)
                for _ in range(args.repeat - 1):  # an eNodeB agent reports periodically: a fresh drop each time
                    time.sleep(args.period_s)
                    pub.publish(cell_kpis(run(rng, plan, scenario, sched), time.time()))
        except OSError as e:
            return _fail(f"cannot publish cell KPIs to MQTT broker {args.mqtt}: {e.strerror or e}")
    if args.plots:
        _run_plots(Path(args.plots), r)
    links = link_conditions(r)
    from simulator.radio.qos import Admission

    groups = []
    for gi, g in enumerate(scenario.groups):
        m = r.population.group_of_ue[r.bearers.ue] == gi
        groups.append({"group": g.name, "units": g.count, "bearers": int(m.sum()),
                       **{a.name.lower(): int((r.admission[m] == a).sum()) for a in Admission}})
    print(json.dumps({"plan": plan.name, "scenario": scenario.name, "groups": groups, "cells": kpis,
                      "units": links} if args.json else {"groups": groups, "cells": kpis}, indent=1))
    return 0


def broker_address(url: str) -> tuple[str, int]:
    """`mqtt://host:port` (or `host:port`) -> (host, port); the port defaults to 1883."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url if "://" in url else f"mqtt://{url}")
        port = parts.port or 1883
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"bad broker URL {url!r}: {e}") from e
    if parts.scheme != "mqtt" or not parts.hostname:
        raise argparse.ArgumentTypeError(f"expected mqtt://host:port, got {url!r}")
    return parts.hostname, port


def _period(text: str) -> float:
    value = float(text)
    if not 0.05 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"period must be 0.05..3600 s, got {text}")
    return value


def _network(args: argparse.Namespace) -> int:
    from simulator.equipment_mqtt import run

    return run(args)


def _run_plots(out: Path, r: Any) -> None:
    from simulator.plots import load_per_cell, sinr_cdf

    out.mkdir(parents=True, exist_ok=True)
    sinr_cdf(out / "sim-sinr-cdf.png", {"downlink (full-load interference)": r.snapshot.dl_sinr_db,
                                         "uplink (PUSCH, 50 % load)": r.snapshot.ul_sinr_db},
             "SINR of the scenario's units")
    n = len(r.cells)
    load_per_cell(out / "sim-load-per-cell.png", r.cells.ids, r.result.cell_prb_load[:n],
                  r.result.cell_prb_load[n:])


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from simulator.radio.pathloss import MODELS
    from telemetry.topics import cell_kpi_topic

    parser = sub.add_parser("sim", help="radio network simulator: path loss, calibration, capacity, coverage")

    def usage(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(func=usage)
    cmds = parser.add_subparsers(dest="sim_command", metavar="SIM_COMMAND")

    p = cmds.add_parser("pathloss", help="path loss (dB) of one model, refusing inputs outside its validity")
    p.add_argument("--model", required=True, choices=sorted(MODELS))
    p.add_argument("--freq-mhz", type=float, required=True)
    p.add_argument("--hbs", type=float, required=True, help="base station antenna height (m)")
    p.add_argument("--hut", type=float, required=True, help="UE antenna height (m)")
    p.add_argument("--distance-km", type=float, nargs="+", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_guard(_pathloss))

    p = cmds.add_parser("calibrate", help="reproduce the TR 36.873 3D-UMa calibration and compare")
    p.add_argument("--reference", choices=["tr36873-uma"], default="tr36873-uma")
    p.add_argument("--drops", type=int, default=10)
    p.add_argument("--ues", type=int, default=2000, help="UEs per drop")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--plots", help="directory for CDF plots (PNG)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_guard(_calibrate))

    def plan_args(p: argparse.ArgumentParser, scenario: bool = True) -> None:
        p.add_argument("--plan", help="network plan JSON (default: the illustrative Belize Band 14 plan)")
        if scenario:
            p.add_argument("--scenario", help="scenario JSON (default: carnival + hurricane shelters)")
            p.add_argument("--seed", type=int, default=1)

    p = cmds.add_parser("capacity", help="max concurrent uplink video streams per cell, and who is pre-empted")
    plan_args(p)
    p.add_argument("--rate-mbps", type=float, nargs="+", default=[0.53, 1.08, 2.76],
                   help="stream bitrates (default 480p / 720p / 1080p)")
    p.add_argument("--arp", type=int, default=5, help="ARP priority of the new streams (1 highest)")
    p.add_argument("--cell", nargs="*", help="only cells whose id starts with one of these (e.g. BZE-PMD)")
    p.add_argument("--empty", action="store_true", help="ignore the scenario: capacity of an idle network")
    p.add_argument("--probes-per-site", type=int, default=600)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_guard(_capacity))

    p = cmds.add_parser("coverage", help="RSRP / SINR raster over Belize: GeoTIFF, PNG, GeoJSON classes and the "
                        "coverage.npz psn loads (its coverage_file)")
    plan_args(p, scenario=False)
    p.add_argument("--resolution-m", type=float, default=1000.0)
    p.add_argument("--out", default="coverage")
    p.add_argument("--npz-only", action="store_true", help="write only coverage.npz (what psn needs)")
    p.set_defaults(func=_guard(_coverage))

    p = cmds.add_parser("run", help="run a scenario: per-group admission, per-cell KPIs, per-unit link conditions")
    plan_args(p)
    p.add_argument("--scheduler", choices=["pf", "rr"], default="pf")
    p.add_argument("--duration-s", type=float, default=1.0)
    p.add_argument("--mqtt", help=f"publish cell KPIs to this broker (host[:port]) on {cell_kpi_topic('{id}')}")
    p.add_argument("--repeat", type=int, default=1, help="with --mqtt: publish this many reports")
    p.add_argument("--period-s", type=float, default=5.0, help="with --mqtt: seconds between reports")
    p.add_argument("--plots", help="directory for the SINR CDF and load-per-cell plots")
    p.add_argument("--json", action="store_true", help="include per-unit link conditions")
    p.set_defaults(func=_guard(_run))

    p = cmds.add_parser("network", help="play the LTE network's equipment live over MQTT: cell KPIs, unit links, "
                                        "psn's QoS policy, faults")
    plan_args(p, scenario=False)
    p.add_argument("--mqtt", type=broker_address, default="mqtt://127.0.0.1:1883", help="broker, mqtt://host:port")
    p.add_argument("--period-s", type=_period, default=5.0, help="seconds between reports")
    p.add_argument("--load", help="scenario JSON whose groups become background (non-psn) UEs and bearers")
    p.add_argument("--faults", help='JSON list of faults with "at_s" (seconds after start), as on the fault topic')
    p.add_argument("--owntracks-agency", default="police", help="psn's default agency (OwnTracks devices)")
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=_guard(_network))


def main(argv: list[str] | None = None) -> int:
    """`python -m simulator.cli …`: the same commands without the server's CLI (argv starts after `sim`)."""
    parser = argparse.ArgumentParser(prog="psn")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["sim", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
