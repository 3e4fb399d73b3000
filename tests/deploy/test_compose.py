"""compose.yml describes what tests/topology.py runs (no Docker engine here to run the file itself): the same
services, the same settings for each psn instance, the proxy template the tests run nginx with, the init commands
the tests run, and volumes shared exactly where the instances must share."""

from __future__ import annotations

import re
import shlex
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from psn import config
from tests.topology import INSTANCES, PROXY_TEMPLATE, REPO, SHARED, Topology, fill_template, init_commands

COMPOSE = REPO / "compose.yml"
INIT_SCRIPT = REPO / "deploy" / "psn-init.sh"
# What an operator exports before `docker compose up` (compose.yml refuses to start without them).
OPERATOR = {"PSN_DB_PASSWORD": "secret", "PSN_PROXY_HOST": "psn.example.bz", "PSN_BROKER_HOST": "mqtt.example.bz"}
VARIABLE = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")


def interpolate(value: Any) -> Any:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}` with the operator's variables."""
    if isinstance(value, dict):
        return {k: interpolate(v) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        name, kind, text = match.groups()
        if name in OPERATOR:
            return OPERATOR[name]
        if kind == "-":
            return text
        raise KeyError(f"compose.yml needs {name}: {text}")

    return VARIABLE.sub(one, value)


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    loaded: dict[str, Any] = interpolate(yaml.safe_load(COMPOSE.read_text()))["services"]
    return loaded


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Mount target -> source (a named volume or a path) of a service."""
    found = {}
    for line in service.get("volumes", ()):
        source, target, *_mode = line.split(":")
        found[target] = source
    return found


def instance_env(name: str) -> dict[str, str]:
    topology = Topology(Path("/topology"), "postgresql://postgres@127.0.0.1:5432/psn_test")
    return topology.instance_env(name, 8000, Path("/topology") / f"psn-{name}")


def test_the_same_services_as_the_topology(services: dict[str, Any]) -> None:
    assert set(services) == {"postgres", "psn-init", "mosquitto", "proxy", *(f"psn-{name}" for name in INSTANCES)}
    assert services["postgres"]["image"] == "postgres:15"
    assert services["mosquitto"]["image"].startswith("eclipse-mosquitto:2")


@pytest.mark.parametrize("name", INSTANCES)
def test_each_instance_gets_the_settings_the_topology_gives_it(services: dict[str, Any], name: str) -> None:
    env = {k: str(v) for k, v in services[f"psn-{name}"]["environment"].items()}
    tested = instance_env(name)
    assert {k for k in env if k.startswith("PSN_")} == set(tested)
    assert env["PSN_INSTANCE"] == name
    assert env["PSN_PUBLIC_URL"] == f"https://{OPERATOR['PSN_PROXY_HOST']}/instance/{name}"
    assert tested["PSN_PUBLIC_URL"].endswith(f"/instance/{name}")
    assert env["PSN_MQTT_URL"].startswith("mqtts://mosquitto:") and tested["PSN_MQTT_URL"].startswith("mqtts://")
    assert env["PSN_DB_URL"].startswith("postgresql://") and "@postgres:" in env["PSN_DB_URL"]
    broker_dir = next(target for target, source in mounts(services["mosquitto"]).items() if source == "broker")
    for key in ("PSN_MQTT_CA", "PSN_MQTT_CERT", "PSN_MQTT_KEY"):  # the files psn broker-config wrote
        assert PurePosixPath(env[key]).parent == PurePosixPath(broker_dir)
        assert PurePosixPath(env[key]).name == Path(tested[key]).name
    settings = config.load(env=env)  # what psn serve would make of it
    assert settings.instance == name and settings.own_url == env["PSN_PUBLIC_URL"]
    assert not settings.host.startswith("127.") and settings.insecure_http  # TLS ends at the proxy


def test_instances_share_keys_pki_and_audit_and_keep_their_own_data(services: dict[str, Any]) -> None:
    data_volumes = []
    shared_volumes: dict[str, set[str]] = {part: set() for part in SHARED}
    for name in INSTANCES:
        service = services[f"psn-{name}"]
        data_dir = service["environment"]["PSN_DATA_DIR"]
        volumes = mounts(service)
        data_volumes.append(volumes[data_dir])
        for part in SHARED:
            shared_volumes[part].add(volumes[f"{data_dir}/{part}"])
    assert len(set(data_volumes)) == len(INSTANCES)  # recordings and the rest of the data dir: per instance
    assert all(len(sources) == 1 for sources in shared_volumes.values())
    init = services["psn-init"]
    init_volumes = mounts(init)
    for part, (source,) in shared_volumes.items():
        assert init_volumes[f"{init['environment']['PSN_DATA_DIR']}/{part}"] == source
    assert len({s for sources in shared_volumes.values() for s in sources} | set(data_volumes)) == \
        len(SHARED) + len(INSTANCES)


def test_the_proxy_runs_the_template_the_tests_run(services: dict[str, Any]) -> None:
    proxy = services["proxy"]
    (template,) = [source for target, source in mounts(proxy).items() if target.startswith("/etc/nginx/templates/")]
    assert (REPO / template).resolve() == PROXY_TEMPLATE
    env = {k: str(v) for k, v in proxy["environment"].items()}
    conf = fill_template(PROXY_TEMPLATE.read_text(), env)  # every ${PSN_…} of the template is given
    for name in INSTANCES:
        port = services[f"psn-{name}"]["environment"]["PSN_PORT"]
        assert env[f"PSN_{name.upper()}_UPSTREAM"] == f"psn-{name}:{port}"
        assert f"location /instance/{name}/" in conf
    assert mounts(proxy)[str(PurePosixPath(env["PSN_PROXY_CERT"]).parent)] == "proxy-tls"


def test_init_runs_the_commands_the_topology_runs_where_the_broker_reads(services: dict[str, Any]) -> None:
    assert services["psn-init"]["command"] == ["sh", "deploy/psn-init.sh"]
    script = [shlex.split(line) for line in INIT_SCRIPT.read_text().replace("\\\n", " ").splitlines()
              if "psn " in line and not line.lstrip().startswith("#")]
    ran = [words[words.index("psn") + 1:] for words in script]
    tested = init_commands(Path("/s"), Path("/b"), Path("/p"), "postgresql://x", 8883)
    assert [argv[:2] for argv in ran] == [argv[:2] for argv in tested]
    broker_config = next(argv for argv in ran if argv[0] == "broker-config")
    out = broker_config[broker_config.index("--out") + 1]
    persistence = broker_config[broker_config.index("--persistence-dir") + 1]
    mosquitto = services["mosquitto"]
    assert mosquitto["command"] == f"mosquitto -c {out}/mosquitto.conf"
    assert mounts(mosquitto)[out] == mounts(services["psn-init"])[out] == "broker"
    assert mounts(mosquitto)[persistence] == mounts(services["psn-init"])[persistence] == "mosquitto-data"
    assert "--port" in broker_config and broker_config[broker_config.index("--port") + 1] == "8883"
    assert "8883:8883" in mosquitto["ports"]
