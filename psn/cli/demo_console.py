"""What `psn demo` shows on its console: the sign-in banner and warnings; the chatter goes to a log file."""

from __future__ import annotations

import logging
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_NAME = "psn.log"


def rotate_log(data_dir: Path) -> Path:
    """The demo's log file, rotated at start: this run writes psn.log, the run before is kept as psn.log.1,
    older runs are dropped, so restarts cannot pile logs up. Within a run it grows only with what happens
    (HTTP requests, WebRTC negotiations): measured, start-up with 36 units and both cams writes 3.3 kB, and
    nothing more came in the next 10 s with no browser open."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOG_NAME
    if path.exists():
        path.replace(path.with_name(LOG_NAME + ".1"))
    return path


def quiet_logging(path: Path, level: str) -> None:
    """Every record at `level` and above to the file; only warnings and errors, from any logger, to stderr."""
    to_file = logging.FileHandler(path)
    to_file.setLevel(level.upper())
    to_console = logging.StreamHandler()
    to_console.setLevel(logging.WARNING)
    root = logging.getLogger()
    root.setLevel(level.upper())
    for handler in (to_file, to_console):
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)


def banner(base: str, token: str, password: str, cameras: list[str], broker: str, units: int, probes: int,
           log_file: Path | None) -> str:
    where = (f"  log: {log_file} (warnings and errors also show here; psn demo --verbose shows everything here)\n"
             if log_file else "")
    return (f"\n  psn demo is live — open this link (signs you in as the NEMO dispatcher):\n\n"
            f"    {base}/login?token={token}\n\n"
            f"  or sign in at {base}/login as nemo.dispatch, police.dispatch, police.admin … (password {password})\n"
            f"  incidents: calls come in every minute or two, most to police.dispatch\n"
            f"  the officer's phone: {base}/phone as police.officer (sign on to a unit of your own, e.g. P-900)\n"
            f"  live video (click the camera badge): {', '.join(cameras)}\n"
            f"  traffic: {base}/traffic, sign in as traffic (password {password}); {probes} buses and taxis,\n"
            f"    a crash on the Philip Goldson Highway 10 min after start and every 30 min, rush hour in the city\n"
            f"  network: {base}/network, sign in as netops (password {password}): the Band 14 cells, played by\n"
            f"    psn sim network; a fire exercise's video fills cell BZE-CTR-1 downtown (drills: docs/network.md)\n"
            f"  MQTT broker (embedded): {broker}  ·  {units} simulated units  ·  Ctrl-C to stop\n"
            f"{where}")
