"""The production shape of compose.yml as plain processes on free loopback ports: Mosquitto from the config
`psn broker-config` writes (mTLS, the generated ACL, persistence), a fresh PostgreSQL database, two `psn serve`
processes (instances a and b) and nginx from Debian's packages with deploy/nginx/psn.conf.template in front.

The setup runs the operator commands of compose.yml's `psn-init` (`init_commands`), in this process through
`psn.cli.main` (each as its own process would cost about 2.5 s of imports). What the instances share and what
each keeps for itself follows compose.yml's volumes: `SHARED` directories of the data dir link to one directory.
"""

from __future__ import annotations

import contextlib
import getpass
import io
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from psn.cli import main as psn_cli
from psn.mqtt import free_port
from tests.support import MOSQUITTO, postgres_database, wait_for

REPO = Path(__file__).resolve().parents[1]
PROXY_TEMPLATE = REPO / "deploy" / "nginx" / "psn.conf.template"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
INSTANCES = ("a", "b")
# The data dir's parts every instance must see alike: the master key, the agencies' data keys and the token
# signing keys (a token issued by a must verify on b; a fix sealed by a must open on b), the audit and evidence
# signing keys, the network CA (`psn pki` on any instance), and the audit log (one hash chain; appends are
# serialised with flock, which holds across processes on one host's file system). The rest — video recordings
# above all — stays with the instance that made it.
SHARED = ("keys", "pki", "audit")
# Settings the tests set beside compose.yml's, and why: the traffic analytics cost each psn 2–3 s of a core at
# its first fix (tests/support.make_settings), and warnings only keep the processes' logs readable.
TEST_ONLY = {"PSN_TRAFFIC_ENABLED": "false", "PSN_LOG_LEVEL": "warning"}
UNITS = (("police", "P-1"), ("police", "P-2"))
ADMIN = ("ops", "police", "dispatcher", "network_admin")
PASSWORD = "topology-password"
TEMPLATE_NAME = re.compile(r"\$\{(PSN_[A-Z0-9_]+)\}")


def fill_template(text: str, values: Mapping[str, str]) -> str:
    """`${NAME}` replaced by its value, as the nginx image's envsubst does for names set in its environment; a
    name without a value is an error here (the image would leave it, and nginx refuse the file)."""
    missing = sorted(set(TEMPLATE_NAME.findall(text)) - set(values))
    if missing:
        raise KeyError(f"{PROXY_TEMPLATE.name} needs {missing}")
    return TEMPLATE_NAME.sub(lambda m: values[m[1]], text)


def init_commands(shared: Path, broker: Path, proxy_tls: Path, db_url: str, mqtt_port: int) -> list[list[str]]:
    """What deploy/psn-init.sh runs before compose.yml starts the rest: the network CA, Mosquitto's config (mTLS,
    ACL, persistence) and the proxy's HTTPS certificate. Each command also migrates the database and makes the keys,
    once and before any instance starts: two instances starting on empty keys would each make their own."""
    store = ["--data-dir", str(shared), "--db", db_url]
    return [
        ["pki", "init", *store],
        ["broker-config", "--out", str(broker), "--port", str(mqtt_port), "--bind", "127.0.0.1", "--run-as",
         getpass.getuser(), *store],
        ["pki", "issue-server", "localhost", "127.0.0.1", "--out", str(proxy_tls), *store],
    ]


def _cli(argv: list[str], stdin: str = "") -> None:
    saved, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            code = psn_cli(argv)
    finally:
        sys.stdin = saved
    if code != 0:
        raise RuntimeError(f"psn {' '.join(argv)} failed with exit code {code}")


@dataclass
class Instance:
    name: str
    port: int
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.data_dir.parent / f"psn-{self.name}.log"


@dataclass
class Topology:
    """Start with `running()`; `start_instance` may also be called alone (bench/scale.py starts b later)."""

    root: Path
    db_url: str
    mqtt_port: int = field(default_factory=free_port)
    proxy_port: int = field(default_factory=free_port)
    instances: dict[str, Instance] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def shared(self) -> Path:
        return self.root / "shared"

    @property
    def broker_dir(self) -> Path:
        return self.root / "broker"

    @property
    def ca(self) -> Path:
        return self.broker_dir / "ca.pem"

    @property
    def proxy_url(self) -> str:
        return f"https://localhost:{self.proxy_port}"

    @property
    def proxy_ws_url(self) -> str:
        return f"wss://localhost:{self.proxy_port}"

    def prepare(self) -> None:
        for argv in init_commands(self.shared, self.broker_dir, self.root / "proxy-tls", self.db_url, self.mqtt_port):
            _cli(argv)
        # What an operator does next: certificates for the units (Mosquitto's `pattern` lines let each publish its
        # own topics without a new ACL) and an account.
        store = ["--data-dir", str(self.shared), "--db", self.db_url]
        for agency, unit in UNITS:
            _cli(["pki", "issue-unit", agency, unit, "--p12-password-stdin", "--out", str(self.root / "units"),
                  *store], stdin="unit-bundle-password\n")
        name, agency, *roles = ADMIN
        _cli(["users", "add", name, "--agency", agency, *(a for r in roles for a in ("--role", r)),
              "--password-stdin", *store], stdin=PASSWORD + "\n")

    def start_broker(self) -> None:
        log = (self.root / "mosquitto.log").open("ab")
        self.processes.append(subprocess.Popen([MOSQUITTO, "-c", str(self.broker_dir / "mosquitto.conf")],
                                               stdout=log, stderr=log))
        wait_for(lambda: _listening(self.mqtt_port), timeout=10)

    def instance_env(self, name: str, port: int, data_dir: Path) -> dict[str, str]:
        """What compose.yml gives psn-{name}, with this run's addresses and paths (tests/deploy/test_compose.py
        checks the two name the same settings)."""
        return {
            "PSN_INSTANCE": name,
            "PSN_PUBLIC_URL": f"{self.proxy_url}/instance/{name}",
            "PSN_HOST": "127.0.0.1",
            "PSN_INSECURE_HTTP": "true",  # compose: plain HTTP between the proxy and psn, on their own network
            "PSN_PORT": str(port),
            "PSN_DATA_DIR": str(data_dir),
            "PSN_DB_URL": self.db_url,
            "PSN_MQTT_URL": f"mqtts://127.0.0.1:{self.mqtt_port}",
            "PSN_MQTT_CA": str(self.ca),
            "PSN_MQTT_CERT": str(self.broker_dir / "psn-server.pem"),
            "PSN_MQTT_KEY": str(self.broker_dir / "psn-server.key"),
        }

    def start_instance(self, name: str) -> Instance:
        data_dir = self.root / f"psn-{name}"
        data_dir.mkdir(exist_ok=True)
        for part in SHARED:
            link = data_dir / part
            if not link.exists():
                link.symlink_to(self.shared / part, target_is_directory=True)
        port = free_port()
        instance = Instance(name, port, data_dir, self.instance_env(name, port, data_dir))
        env = {k: v for k, v in os.environ.items() if not k.startswith("PSN_")}
        with instance.log.open("ab") as log:
            instance.process = subprocess.Popen([sys.executable, "-m", "psn", "serve"], cwd=REPO, stdout=log,
                                                stderr=log, env={**env, **instance.env, **TEST_ONLY})
        self.instances[name] = instance
        return instance

    def wait_ready(self, instance: Instance, timeout: float = 60.0) -> None:
        def ready() -> bool:
            if instance.process is not None and instance.process.poll() is not None:
                raise RuntimeError(f"psn {instance.name} exited: {instance.log.read_text()[-2000:]}")
            try:
                return httpx.get(f"{instance.url}/readyz", timeout=5).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(ready, timeout=timeout, interval=0.1)

    def start_proxy(self) -> None:
        tls = self.root / "proxy-tls"
        conf = fill_template(PROXY_TEMPLATE.read_text(), {
            "PSN_PROXY_LISTEN": f"127.0.0.1:{self.proxy_port}",
            "PSN_PROXY_CERT": str(tls / "localhost.pem"), "PSN_PROXY_KEY": str(tls / "localhost.key"),
            **{f"PSN_{name.upper()}_UPSTREAM": f"127.0.0.1:{i.port}" for name, i in self.instances.items()}})
        (self.root / "psn.conf").write_text(conf)
        temp = self.root / "nginx-temp"
        temp.mkdir(exist_ok=True)
        # The rest of nginx.conf as the nginx image has it (an http block including conf.d), its files in root.
        (self.root / "nginx.conf").write_text(
            f"worker_processes 1;\npid {self.root}/nginx.pid;\nerror_log {self.root}/nginx-error.log warn;\n"
            "events { worker_connections 1024; }\nhttp {\n"
            "  log_format routed '$request_method $uri $upstream_addr';\n"
            f"  access_log {self.access_log} routed;\n"
            + "".join(f"  {kind}_temp_path {temp}/{kind};\n"
                      for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
            + f"  include {self.root}/psn.conf;\n}}\n")
        self.processes.append(subprocess.Popen(
            [NGINX, "-p", str(self.root), "-c", str(self.root / "nginx.conf"), "-g", "daemon off;"],
            stderr=(self.root / "nginx-error.log").open("ab")))
        wait_for(lambda: _listening(self.proxy_port), timeout=10)

    @property
    def access_log(self) -> Path:
        return self.root / "nginx-access.log"

    def routes(self) -> list[tuple[str, str, str]]:
        """(method, path, the instance's name) of every request nginx passed on, in order."""
        names = {f"127.0.0.1:{i.port}": name for name, i in self.instances.items()}
        lines = self.access_log.read_text().splitlines() if self.access_log.exists() else []
        return [(method, path, names.get(upstream, upstream)) for method, path, upstream in map(str.split, lines)]

    def tls_context(self) -> ssl.SSLContext:
        """Trusts the network CA, which signed the proxy's certificate."""
        return ssl.create_default_context(cafile=str(self.ca))

    def unit_client(self, agency: str, unit: str) -> mqtt.Client:
        """A unit connected with its own certificate, as the field does (mTLS: the ACL confines it)."""
        units = self.root / "units"
        client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"{agency}/{unit}",
                             protocol=mqtt.MQTTv5)
        client.tls_set(ca_certs=str(self.ca), certfile=str(units / f"{agency}.{unit}.pem"),
                       keyfile=str(units / f"{agency}.{unit}.key"))
        client.connect("127.0.0.1", self.mqtt_port)
        client.loop_start()
        return client

    def stop_instance(self, instance: Instance) -> None:
        if instance.process is not None and instance.process.poll() is None:
            instance.process.send_signal(signal.SIGTERM)
            try:
                instance.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                instance.process.kill()
                instance.process.wait()

    def stop(self) -> None:
        """Proxy first, then the instances (they flush to the database), then the broker."""
        proxy_and_broker = list(self.processes)
        for process in reversed(proxy_and_broker[1:]):
            process.terminate()
            process.wait(timeout=10)
        for instance in self.instances.values():
            self.stop_instance(instance)
        for process in proxy_and_broker[:1]:
            process.terminate()
            process.wait(timeout=10)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def running(instances: tuple[str, ...] = INSTANCES, proxy: bool = True) -> Iterator[Topology]:
    """The whole topology on a fresh database and a scratch directory; everything stopped and removed after."""
    root = Path(tempfile.mkdtemp(prefix="psn-topology-"))
    try:
        with postgres_database() as db_url:
            topology = Topology(root, db_url)
            try:
                topology.prepare()
                topology.start_broker()
                started = [topology.start_instance(name) for name in instances]
                for instance in started:
                    topology.wait_ready(instance)
                if proxy:
                    topology.start_proxy()
                yield topology
            finally:
                topology.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
