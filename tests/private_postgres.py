"""A private PostgreSQL cluster for outage tests: its own data directory in tmp and a free loopback port, so a test
may stop it (even `-m immediate`, a crash as PostgreSQL sees it) and start it again. Never the system one.

Its directory is a fresh one under the system tmp, not pytest's: as root, initdb and pg_ctl run as the postgres
user, who cannot enter pytest's `/tmp/pytest-of-root` (mode 700)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psutil

from psn.mqtt import free_port


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else (shutil.which(name) or name)


class PrivatePostgres:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="psn-pg-"))
        self.data = self.root / "data"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: str) -> None:
        # initdb and pg_ctl refuse to run as root: as the postgres user then, which must own the directory.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *argv], check=True, capture_output=True, timeout=60)

    def init(self) -> PrivatePostgres:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        # --no-sync and fsync=off: a test cluster, nothing to keep across a power cut (initdb 1.6 s measured).
        self._run(_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")
        return self

    def start(self) -> PrivatePostgres:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")
        return self

    def stop(self, mode: str = "immediate") -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def signal_all(self, signum: int) -> None:
        """`signum` to the postmaster and every backend (SIGSTOP: a server that accepts and never answers)."""
        postmaster = psutil.Process(int((self.data / "postmaster.pid").read_text().split()[0]))
        for process in (postmaster, *postmaster.children(recursive=True)):
            process.send_signal(signum)

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def remove(self) -> None:
        """Stops the cluster if it runs and deletes its directory."""
        if self.running():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
