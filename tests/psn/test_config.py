"""Settings: defaults, the precedence of file, environment and flags, and each setting refused with its reason
(reserved agency names, the shortest uplift, malformed files)."""

import subprocess
import sys
from pathlib import Path

import pytest

from psn.cli import build_parser
from psn.cli.serve import _settings
from psn.config import ConfigError, Settings, load
from tests.support import Mosquitto, RunningServer, make_settings


def test_defaults_work_without_anything() -> None:
    settings = load(env={})
    assert settings == Settings()
    assert settings.mqtt_url is None  # embedded broker
    assert settings.database_url.startswith("sqlite:///")


def test_precedence_file_then_env_then_flags(tmp_path: Path) -> None:
    path = tmp_path / "psn.toml"
    path.write_text('port = 9001\nmqtt_url = "mqtt://127.0.0.2:1883"\nagencies = ["police", "nemo"]\n')
    env = {"PSN_PORT": "9002", "PSN_DB_URL": "postgresql://u@h/db"}
    settings = load({"port": 9003}, env=env, config_file=path)
    assert settings.port == 9003
    assert settings.mqtt_url == "mqtt://127.0.0.2:1883"
    assert settings.agencies == ("police", "nemo")
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert load(env=env, config_file=path).port == 9002


def test_env_list_and_config_path() -> None:
    assert load(env={"PSN_AGENCIES": "police, fire"}).agencies == ("police", "fire")


@pytest.mark.parametrize(
    ("text", "message"),
    [("prot = 1\n", "unknown settings ['prot']"), ("port = [\n", "cannot read config file"),
     ('port = "eighty"\n', "setting 'port'")],
)
def test_bad_config_files_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "psn.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load(env={}, config_file=path)


@pytest.mark.parametrize(("agencies", "message"), [
    ("police,net", "'net' is reserved"),
    ("police,probes", "'probes' is reserved"),
    ("police,_x", "'_x' is reserved"),
    ("police,_rejected", "'_rejected' is reserved"),
    ("police,a/b", "must match"),
    ("police,+", "must match"),
    ("", "at least one agency"),
])
def test_reserved_or_malformed_agency_names_are_refused_at_start(agencies: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(env={"PSN_AGENCIES": agencies})


@pytest.mark.parametrize("value", ["0", "0.0004", "-1", "100.5", "10000", "nan", "inf"])
def test_the_video_rate_is_one_a_cell_could_carry(value: str) -> None:
    with pytest.raises(ConfigError, match=r"qos_video_ul_mbps must be in \[0.001, 100\] Mbit/s"):
        load(env={"PSN_QOS_VIDEO_UL_MBPS": value})


@pytest.mark.parametrize("value", [0.001, 1.08, 100.0])
def test_video_rates_at_the_bounds_are_taken(value: float) -> None:
    assert load(env={"PSN_QOS_VIDEO_UL_MBPS": str(value)}).qos_video_ul_mbps == value


@pytest.mark.parametrize("value", ["0", "-3"])
def test_at_least_one_uplift_may_be_in_force(value: str) -> None:
    with pytest.raises(ConfigError, match="qos_max_uplifts must be at least 1"):
        load(env={"PSN_QOS_MAX_UPLIFTS": value})


@pytest.mark.parametrize("value", ["0", "-1", "61", "nan"])
def test_the_shortest_uplift_is_at_most_the_services_minute(value: str) -> None:
    with pytest.raises(ConfigError, match="qos_uplift_min_s must be in"):
        load(env={"PSN_QOS_UPLIFT_MIN_S": value})


def test_deployment_facts_are_settings() -> None:
    settings = load(env={"PSN_SERVICE_AREA": "-89.3, 15.8, -87.4, 18.6", "PSN_AGENCIES": "police,fire",
                         "PSN_DEFAULT_AGENCY": "fire"})
    box = settings.service_bbox()
    assert (box.west, box.south, box.east, box.north) == (-89.3, 15.8, -87.4, 18.6)
    assert Settings().service_area == (-90.5, 15.0, -86.5, 19.5)  # Belize with its border areas and the reef
    with pytest.raises(ConfigError, match="west,south,east,north"):
        load(env={"PSN_SERVICE_AREA": "-87.4, 15.8, -89.3, 18.6"})
    with pytest.raises(ConfigError, match="west,south,east,north"):
        load(env={"PSN_SERVICE_AREA": "1,2,3"})
    with pytest.raises(ConfigError, match="default_agency 'police' is not one of"):
        load(env={"PSN_AGENCIES": "fire"})


def test_psn_refuses_to_start_with_a_reserved_agency(tmp_path: Path) -> None:
    """Through the command a person types: a clear message, no traceback, non-zero exit."""
    done = subprocess.run([sys.executable, "-m", "psn", "serve", "--data-dir", str(tmp_path), "--port", "0"],
                          env={"PSN_AGENCIES": "police,net", "PATH": "/usr/bin:/bin"}, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    assert "agencies: agency name 'net' is reserved" in done.stderr and "Traceback" not in done.stderr


def test_traffic_settings() -> None:
    assert (Settings().roads_file, Settings().traffic_tick_s, Settings().probe_keep_s) == (None, 10.0, 300.0)
    assert load(env={"PSN_ROADS_FILE": "/srv/belize.npz"}).roads_file == Path("/srv/belize.npz")
    assert load(env={"PSN_ROADS_FILE": ""}).roads_file is None
    assert load(env={"PSN_TRAFFIC_ENABLED": "false"}).traffic_enabled is False
    for bad in ({"PSN_TRAFFIC_TICK_S": "0"}, {"PSN_PROBE_KEEP_S": "-1"}):
        with pytest.raises(ConfigError, match="must be > 0"):
            load(env=bad)


def test_serve_flags_name_the_instance(tmp_path: Path) -> None:
    args = build_parser().parse_args(["serve", "--data-dir", str(tmp_path), "--mqtt", "mqtt://127.0.0.1:1883",
                                      "--db", "postgresql://psn@127.0.0.1:5432/psn",
                                      "--instance", "b", "--cluster-group", "psn-bz", "--public-url",
                                      "https://b.psn.example:8443"])
    settings = _settings(args)
    assert (settings.instance, settings.cluster_group, settings.public_url) == ("b", "psn-bz",
                                                                                 "https://b.psn.example:8443")
    assert settings.client_id == "psn-server-b" and settings.own_url == "https://b.psn.example:8443"
    alone = build_parser().parse_args(["serve", "--data-dir", str(tmp_path), "--instance", "b"])
    with pytest.raises(SystemExit, match="several instances need Mosquitto"):
        _settings(alone)
    # Each on its own SQLite file, two instances would each hold every once-only job (two policy publishers
    # numbering their own seq, two resenders) and each store half the fixes.
    own_file = build_parser().parse_args(["serve", "--data-dir", str(tmp_path), "--mqtt", "mqtt://127.0.0.1:1883",
                                          "--instance", "b"])
    with pytest.raises(SystemExit, match="several instances need one PostgreSQL"):
        _settings(own_file)


def test_a_session_shorter_than_a_minute_is_refused_and_the_setting_reaches_the_client(
        tmp_path: Path, mosquitto: Mosquitto) -> None:
    with pytest.raises(ConfigError, match="mqtt_session_expiry_s must be at least 60"):
        Settings(mqtt_session_expiry_s=59)
    running = RunningServer(make_settings(tmp_path, mosquitto.url, mqtt_session_expiry_s=600)).start()
    try:
        assert running.server.mqtt is not None and running.server.mqtt.session_expiry_s == 600
    finally:
        running.stop()
