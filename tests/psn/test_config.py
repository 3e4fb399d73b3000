from pathlib import Path

import pytest

from psn.config import ConfigError, Settings, load


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
