"""`psn demo` really started as a command: its console shows the sign-in banner last and no library chatter,
which goes to a log file in the data dir; `--verbose` puts it all back on the console."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from psn.cli.demo_console import rotate_log
from psn.demo_accounts import PASSWORD
from psn.mqtt import free_port
from tests.support import wait_for

PSN = Path(sys.executable).with_name("psn")  # the installed command, as `make demo` runs it
SETTLE_S = 6.0  # after the banner: ICE wrap-up and a few rounds of fleet fixes, time for any chatter to leak


def _session(sid: int) -> dict[int, str]:
    """Live processes of a session (the demo and every child it started), by pid, with their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state, ppid, pgrp, session
            if int(fields[3]) == sid and fields[0] != "Z":
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    return found


def _lines(console: Path) -> list[str]:
    return [line for line in console.read_text().splitlines() if line.strip()]


@contextlib.contextmanager
def demo(tmp_path: Path, *flags: str) -> Iterator[tuple[subprocess.Popen[bytes], Path, Path]]:
    """The demo with its console (stdout and stderr) in a file; stopped with Ctrl-C, and nothing of it left."""
    data, console = tmp_path / "demo", tmp_path / "console.txt"
    with console.open("wb") as out:
        process = subprocess.Popen([str(PSN), "demo", "--port", str(free_port()), "--data-dir", str(data),
                                    "--units", "4", *flags], stdout=out, stderr=out, start_new_session=True)
    try:
        wait_for(lambda: "/login?token=" in console.read_text(), timeout=60, interval=0.2)
        yield process, data, console
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        try:
            wait_for(lambda: not _session(process.pid), timeout=10, interval=0.2)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def test_the_console_shows_the_banner_last_and_the_chatter_goes_to_the_log_file(tmp_path: Path) -> None:
    with demo(tmp_path) as (process, data, console):
        time.sleep(SETTLE_S)
        lines = _lines(console)
        log_file = data / "psn.log"
        # The banner's last line says where the log is; nothing comes after it.
        assert str(log_file) in lines[-1]
        first = next(i for i, line in enumerate(lines) if "psn demo is live" in line)
        assert any("/login?token=" in line for line in lines[first:])
        assert all(" WARNING " in line or " ERROR " in line for line in lines[:first]), lines[:first]
        for chatter in ("INFO", "aioice", '"GET /', '"POST /', "Uvicorn running", "bodycam:"):
            assert not [line for line in lines if chatter in line], chatter
        logged = log_file.read_text()
        assert " INFO uvicorn.error: Uvicorn running on http://127.0.0.1:" in logged
        assert "aioice" in logged and '"POST /whip/' in logged
        assert "bodycam: publishing police:P-101" in logged  # the children's own output
        # First start: the simulator made the coverage map in the data dir, and psn read it (radio at a point).
        assert f"coverage map {data / 'coverage' / 'coverage.npz'}: 288 x 159 pixels of 1000 m, 165 cells" in logged

        # The network: the plan's cells in psn's inventory, played by psn sim network, whose background load (a
        # fire exercise's 20 body cams, simulator/data/scenario-demo-city-load.json) fills cell BZE-CTR-1.
        found = re.search(r"(http://127\.0\.0\.1:\d+)/login\?token=", console.read_text())
        assert found is not None
        base = found.group(1)
        netops = httpx.post(f"{base}/api/v1/auth/login", data={"name": "netops", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {netops['token']}"}

        def cells() -> dict[str, dict[str, Any]]:
            return {c["id"]: c for c in httpx.get(f"{base}/api/v1/net/cells", headers=headers).json()["cells"]}

        downtown = wait_for(lambda: (c := cells()["BZE-CTR-1"])["kpi"] and c["kpi"]["connected_ues"] >= 20 and c,
                            timeout=20, interval=0.5)
        assert len(cells()) == 165 and downtown["state"] == "up"
        assert downtown["kpi"]["prb_util_ul"] >= 0.85  # congested: psn's cell_load threshold

        # A part of the scenario that dies says so on the console.
        fleet = next(pid for pid, cmd in _session(process.pid).items() if "simulator.fleet" in cmd)
        os.kill(fleet, signal.SIGKILL)
        wait_for(lambda: any("WARNING" in line and "fleet" in line for line in _lines(console)[len(lines):]),
                 timeout=5)


def test_verbose_puts_everything_on_the_console(tmp_path: Path) -> None:
    with demo(tmp_path, "--verbose") as (_, data, console):
        shown = console.read_text()
        assert "INFO" in shown and "Uvicorn running on http://127.0.0.1:" in shown
        assert '"POST /whip/' in shown and "aioice" in shown
        assert not (data / "psn.log").exists()
        # The body cams' own start-up lines come before the banner, not after.
        banner = shown.index("psn demo is live")
        for stream in ("police:P-101", "nemo:N-101"):
            assert -1 < shown.find(f"bodycam: publishing {stream}") < banner, stream


def test_each_start_keeps_one_earlier_log_and_drops_older_ones(tmp_path: Path) -> None:
    for run in ("first", "second", "third"):
        log_file = rotate_log(tmp_path)
        assert not log_file.exists()
        log_file.write_text(run)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["psn.log", "psn.log.1"]
    assert (tmp_path / "psn.log.1").read_text() == "second"
