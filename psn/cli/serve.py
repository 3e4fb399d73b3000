"""`psn serve` and `psn demo`."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from psn import config
from psn.api import create_app
from psn.api.live import MAX_CLIENT_FRAME
from psn.cli.admin import store_flags
from psn.cli.demo_console import LOG_FORMAT, banner, quiet_logging, rotate_log
from psn.cli.net import SHIPPED_PLAN, import_plan
from psn.demo_accounts import PASSWORD, seed
from psn.mqtt import free_port
from psn.server import Server
from video.errors import StreamNotFound

LOOPBACK = ("127.0.0.1", "::1", "localhost")
DEMO_CAMERAS = (("police", "P-101"), ("nemo", "N-101"))  # fleet units that also stream a body cam
# The demo network's background load, shipped beside the plan: a fire exercise's video fills cell BZE-CTR-1.
DEMO_NETWORK_LOAD = SHIPPED_PLAN.with_name("scenario-demo-city-load.json")
log = logging.getLogger(__name__)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="HTTP port (default 8000)")
    parser.add_argument("--mqtt", dest="mqtt_url", metavar="URL",
                        help="broker, e.g. mqtt://127.0.0.1:1883 (default: an embedded broker)")
    store_flags(parser)
    parser.add_argument("--mqtt-ca", help="with mqtts://: the network CA (PEM) the broker's certificate chains to")
    parser.add_argument("--mqtt-cert", help="with mqtts://: psn's client certificate (psn broker-config writes one)")
    parser.add_argument("--mqtt-key", help="with mqtts://: its private key")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="run the server")
    _common(serve)
    serve.add_argument("--tls-cert", help="HTTPS: server certificate (PEM), e.g. from `psn pki issue-server`")
    serve.add_argument("--tls-key", help="HTTPS: its private key")
    serve.add_argument("--insecure-http", action="store_true", default=None,
                       help="allow plain HTTP on a non-loopback address (passwords and tokens in clear)")
    serve.add_argument("--instance", metavar="NAME",
                       help="this instance's name when several share one Mosquitto (--mqtt) and one PostgreSQL "
                            "(docs/deploy.md, 'Several instances'); default: a single instance")
    serve.add_argument("--cluster-group", metavar="NAME",
                       help="the MQTT 5 shared subscription group of the instances (default psn)")
    serve.add_argument("--public-url", metavar="URL",
                       help="how browsers reach this instance itself, behind the proxy (default http(s)://host:port)")
    serve.set_defaults(func=run_serve)
    demo = sub.add_parser("demo", help="run the server with an embedded broker and a live Belize scenario")
    _common(demo)
    demo.add_argument("--units", type=int, default=36, help="simulated police and NEMO units (default 36)")
    demo.add_argument("--probes", type=int, default=300,
                      help="simulated probe vehicles (buses and taxis) for the traffic view (default 300)")
    demo.add_argument("--verbose", action="store_true",
                      help="everything on the console (INFO, HTTP access log, WebRTC) instead of DATA_DIR/psn.log")
    demo.set_defaults(func=run_demo)


def _settings(args: argparse.Namespace, **defaults: object) -> config.Settings:
    overrides = {k: getattr(args, k, None) for k in ("host", "port", "mqtt_url", "db_url", "data_dir", "mqtt_ca",
                                                     "mqtt_cert", "mqtt_key", "tls_cert", "tls_key", "insecure_http",
                                                     "instance", "cluster_group", "public_url")}
    for key, value in defaults.items():
        if overrides.get(key) is None and f"PSN_{key.upper()}" not in os.environ:
            overrides[key] = value
    if overrides.get("demo") and (args.host or "127.0.0.1") not in LOOPBACK:
        raise SystemExit("psn: the demo (plain HTTP, seeded accounts) only listens on loopback")
    try:
        settings = config.load(overrides, config_file=args.config)
        settings.retention_days_by_agency()  # refuse a malformed policy now, not at the first housekeeping
    except config.ConfigError as exc:
        raise SystemExit(f"psn: {exc}") from None
    _check_transport(settings)
    return settings


def _check_transport(settings: config.Settings) -> None:
    """HTTPS given whole or not at all; plain HTTP off loopback only when asked for in so many words."""
    if bool(settings.tls_cert) != bool(settings.tls_key):
        raise SystemExit("psn: HTTPS needs both --tls-cert and --tls-key")
    if settings.tls_cert or settings.host in LOOPBACK:
        return
    if not settings.insecure_http:
        raise SystemExit(f"psn: refusing plain HTTP on {settings.host}: sign-ins and tokens would cross the network "
                         "in clear. Give --tls-cert/--tls-key (psn pki issue-server), or --insecure-http.")
    log.warning("\n%s\n  INSECURE: plain HTTP on %s (--insecure-http). Passwords and tokens travel in clear.\n%s",
                "!" * 78, settings.host, "!" * 78)


def _uvicorn(server: Server, quiet: bool = False) -> uvicorn.Server:
    """Quiet: logging is set up already (quiet_logging) and uvicorn's loggers only propagate to it."""
    settings = server.settings
    if not quiet:
        logging.basicConfig(level=settings.log_level.upper(), format=LOG_FORMAT)
    return uvicorn.Server(
        uvicorn.Config(create_app(server), host=settings.host, port=settings.port, log_level=settings.log_level,
                       log_config=None if quiet else LOGGING_CONFIG,
                       ws_ping_interval=20, ws_max_size=MAX_CLIENT_FRAME,
                       ssl_certfile=settings.tls_cert, ssl_keyfile=settings.tls_key)
    )


def run_serve(args: argparse.Namespace) -> int:
    _uvicorn(Server(_settings(args))).run()
    return 0


def run_demo(args: argparse.Namespace) -> int:
    settings = _settings(args, data_dir=Path("var/demo"), demo=True, ice_host_addresses=("127.0.0.1",))
    if args.port is None and _in_use(settings.host, settings.port):
        # Something else has 8000: the demo should still start, and its banner says where.
        settings = dataclasses.replace(settings, port=free_port(settings.host))
    log_file = None if args.verbose else rotate_log(settings.data_dir)
    if log_file is not None:
        quiet_logging(log_file, settings.log_level)
    settings = _demo_coverage(settings)
    server = Server(settings)
    web = _uvicorn(server, quiet=log_file is not None)
    threading.Thread(target=_start_fleet, args=(server, web, args.units, args.probes, log_file), daemon=True).start()
    web.run()
    return 0


def _demo_coverage(settings: config.Settings) -> config.Settings:
    """The demo's coverage map (radio conditions at a point): made by the simulator, as a command, on first start
    into the data dir (1 km pixels: 2.8–4.5 s measured on the 2-core box), then reused. Without it the demo runs on and
    the radio API says 503."""
    if settings.coverage_file is not None:
        return settings
    out = settings.data_dir / "coverage"
    path = out / "coverage.npz"
    if not path.exists():
        log.info("first start: making the coverage map %s", path)
        done = subprocess.run([sys.executable, "-m", "simulator.cli", "coverage", "--npz-only", "--resolution-m",
                               "1000", "--out", str(out)], capture_output=True, text=True)
        if done.returncode != 0:
            log.warning("demo coverage map not made (exit code %s): %s", done.returncode, done.stderr[-500:])
            return settings
    return dataclasses.replace(settings, coverage_file=path)


def _in_use(host: str, port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) == 0


def _start_fleet(server: Server, web: uvicorn.Server, units: int, probes: int, log_file: Path | None) -> None:
    """Once the server listens, drives the scenario from separate processes, as real units would; their output
    goes to the demo's log file unless --verbose. The banner comes once they run, so it stays the last line."""
    while not web.started:
        time.sleep(0.1)
    seed(server)
    if not server.inventory.cells():  # first start: later ones keep what the operator changed
        import_plan(server, SHIPPED_PLAN, actor="psn demo")
    base = f"http://{server.settings.host}:{server.settings.port}"
    nemo = server.users.get("nemo.dispatch")
    assert nemo is not None
    token = server.auth.issue_user(nemo).token
    out = None if log_file is None else log_file.open("ab")  # appends, as the server's own handler does
    processes = {"fleet": subprocess.Popen(
        [sys.executable, "-m", "simulator.fleet", "--mqtt", str(server.broker_url), "--units", str(units)],
        stdout=out, stderr=out)}
    for agency, unit in DEMO_CAMERAS:
        processes[f"body cam {agency}/{unit}"] = subprocess.Popen(
            [sys.executable, "-m", "simulator.bodycam", "--base", base, "--stream", f"{agency}:{unit}",
             "--token", server.auth.issue_device(agency, unit, 8 * 3600).token,
             *(arg for address in server.settings.ice_host_addresses for arg in ("--ice-address", address))],
            stdout=out, stderr=out)
    # Anonymous buses and taxis for the traffic view; the demo's broker is plain and anonymous, like the fleet's.
    processes["probes"] = subprocess.Popen(
        [sys.executable, "-m", "simulator.probes", "--mqtt", str(server.broker_url), "--vehicles", str(probes)],
        stdout=out, stderr=out)
    dispatchers = [server.users.get(f"{agency}.dispatch") for agency in ("police", "nemo")]
    processes["calls"] = subprocess.Popen(
        [sys.executable, "-m", "simulator.calls", "--base", base,
         *(arg for who in dispatchers if who is not None
           for arg in ("--token", f"{who.agency}={server.auth.issue_user(who).token}"))],
        stdout=out, stderr=out)
    # The LTE network's equipment, played by the simulator: every cell's KPIs and each unit's link every 5 s. Its
    # line per period is not kept (about 100 kB of log an hour); what it refuses goes to its stderr, the log.
    processes["network"] = subprocess.Popen(
        [sys.executable, "-m", "simulator.cli", "network", "--mqtt", str(server.broker_url), "--load",
         str(DEMO_NETWORK_LOAD)], stdout=subprocess.DEVNULL, stderr=out)
    if out is not None:
        out.close()  # the children hold their own copies
    # Measured: cams connected and fleet publishing 4.4 s after start-up (mostly the cams importing aiortc);
    # past 20 s the banner shows anyway, and _watch reports a part that died.
    deadline = time.monotonic() + 20
    while not (_scenario_running(server) or web.should_exit or time.monotonic() > deadline):
        time.sleep(0.1)
    print(banner(base, token, PASSWORD, [f"{a}/{u}" for a, u in DEMO_CAMERAS], str(server.broker_url), units,
                 probes, log_file), flush=True)
    _watch(web, processes, log_file)


def _scenario_running(server: Server) -> bool:
    """The fleet's fixes arrive and both body cams are connected. Connected takes the cam's DTLS handshake,
    which its event loop runs only after it printed that it publishes. A small fleet may lack the cams' units,
    so this asks the hub; `streams()` copies its dict in one C call under the GIL, safe from this thread."""
    if not server.stats.as_json()["accepted"]:
        return False
    streams = server.video.streams()
    try:
        connected = [server.video.publisher(s).pc.connectionState == "connected" for s in streams]
    except StreamNotFound:  # one ended meanwhile: look again
        return False
    return len(streams) >= len(DEMO_CAMERAS) and all(connected)


def _watch(web: uvicorn.Server, processes: dict[str, subprocess.Popen[bytes]], log_file: Path | None) -> None:
    """Says on the console when a part of the scenario stops early (its own output may be in the log file);
    stops them all when the server stops."""
    running = dict(processes)
    while not web.should_exit:
        for name, process in list(running.items()):
            if process.poll() is not None and not web.should_exit:
                log.warning("demo %s stopped (exit code %s)%s", name, process.returncode,
                            f"; its output is in {log_file}" if log_file else "")
                del running[name]
        time.sleep(0.5)
    for process in processes.values():
        process.terminate()
