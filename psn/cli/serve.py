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

from psn import config
from psn.api import create_app
from psn.cli.admin import store_flags
from psn.demo_accounts import PASSWORD, seed
from psn.mqtt import free_port
from psn.server import Server

LOOPBACK = ("127.0.0.1", "::1", "localhost")
DEMO_CAMERAS = (("police", "P-101"), ("nemo", "N-101"))  # fleet units that also stream a body cam
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
    serve.set_defaults(func=run_serve)
    demo = sub.add_parser("demo", help="run the server with an embedded broker and a live Belize scenario")
    _common(demo)
    demo.add_argument("--units", type=int, default=36, help="simulated police and NEMO units (default 36)")
    demo.set_defaults(func=run_demo)


def _settings(args: argparse.Namespace, **defaults: object) -> config.Settings:
    overrides = {k: getattr(args, k, None) for k in ("host", "port", "mqtt_url", "db_url", "data_dir", "mqtt_ca",
                                                     "mqtt_cert", "mqtt_key", "tls_cert", "tls_key", "insecure_http")}
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


def _uvicorn(server: Server) -> uvicorn.Server:
    settings = server.settings
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return uvicorn.Server(
        uvicorn.Config(create_app(server), host=settings.host, port=settings.port, log_level=settings.log_level,
                       ws_ping_interval=20, ssl_certfile=settings.tls_cert, ssl_keyfile=settings.tls_key)
    )


def run_serve(args: argparse.Namespace) -> int:
    _uvicorn(Server(_settings(args))).run()
    return 0


def run_demo(args: argparse.Namespace) -> int:
    settings = _settings(args, data_dir=Path("var/demo"), demo=True)
    if args.port is None and _in_use(settings.host, settings.port):
        # Something else has 8000: the demo should still start, and its banner says where.
        settings = dataclasses.replace(settings, port=free_port(settings.host))
    server = Server(settings)
    web = _uvicorn(server)
    threading.Thread(target=_start_fleet, args=(server, web, args.units), daemon=True).start()
    web.run()
    return 0


def _in_use(host: str, port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) == 0


def _start_fleet(server: Server, web: uvicorn.Server, units: int) -> None:
    """Once the server listens, drives the scenario from a separate process, as real units would."""
    while not web.started:
        time.sleep(0.1)
    seed(server)
    base = f"http://{server.settings.host}:{server.settings.port}"
    nemo = server.users.get("nemo.dispatch")
    assert nemo is not None
    token = server.auth.issue_user(nemo).token
    fleet = subprocess.Popen(
        [sys.executable, "-m", "simulator.fleet", "--mqtt", str(server.broker_url), "--units", str(units)]
    )
    cameras = [subprocess.Popen([sys.executable, "-m", "simulator.bodycam", "--base", base, "--stream",
                                 f"{agency}:{unit}", "--token", server.auth.issue_device(agency, unit, 8 * 3600).token])
               for agency, unit in DEMO_CAMERAS]
    print(f"\n  psn demo is live — open this link (signs you in as the NEMO dispatcher):\n\n"
          f"    {base}/login?token={token}\n\n"
          f"  or sign in at {base}/login as nemo.dispatch, police.dispatch, police.admin … "
          f"(password {PASSWORD})\n"
          f"  live video (click the camera badge): {', '.join(f'{a}/{u}' for a, u in DEMO_CAMERAS)}\n"
          f"  MQTT broker (embedded): {server.broker_url}  ·  {units} simulated units  ·  Ctrl-C to stop\n",
          flush=True)
    while not web.should_exit:
        time.sleep(0.5)
    for process in (fleet, *cameras):
        process.terminate()
