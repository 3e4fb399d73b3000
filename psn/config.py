"""One typed settings object. Sources, weakest first: defaults, a TOML file, `PSN_*` environment, flags."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from netmgmt.series import Retention
from telemetry import BBox, topics


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    # None: start an embedded broker in-process (the demo default); production gives Mosquitto.
    mqtt_url: str | None = None
    embedded_mqtt_port: int = 0  # 0: any free port (1883 is usually taken by a system broker)
    mqtt_client_id: str = "psn-server"
    # mTLS to Mosquitto (`mqtts://`): the network CA and psn's own `psn-server` client certificate and key.
    mqtt_ca: str | None = None
    mqtt_cert: str | None = None
    mqtt_key: str | None = None
    # None: SQLite under data_dir; otherwise an SQLAlchemy URL, e.g. postgresql://user@host/db.
    db_url: str | None = None
    data_dir: Path = Path("var")
    # Deployment facts: the agencies on the network, and the area fixes must fall in (west, south, east, north;
    # the default is Belize with a generous margin: the Guatemala/Mexico border areas, the cayes and the reef).
    agencies: tuple[str, ...] = ("bdf", "ems", "fire", "nemo", "police")
    service_area: tuple[float, ...] = (-90.5, 15.0, -86.5, 19.5)
    default_agency: str = "police"  # provisional home of devices not yet bound to a unit
    live_interval_s: float = 0.1  # how often the live WebSocket sends coalesced changes
    max_payload: int = 4096
    max_future_s: float = 30.0
    store_batch: int = 5000
    store_flush_s: float = 0.25
    log_level: str = "info"
    # HTTPS: a server certificate (e.g. `psn pki issue-server`) and its key. Plain HTTP only on loopback,
    # unless insecure_http says so explicitly.
    tls_cert: str | None = None
    tls_key: str | None = None
    insecure_http: bool = False
    encrypt_at_rest: bool = True  # positions sealed with the agency's AES-256-GCM data key
    token_ttl_s: float = 8 * 3600.0  # a shift
    # Video evidence kept this many days, then deleted unless on legal hold; per agency as "agency=days".
    video_retention_days: float = 90.0
    video_retention: tuple[str, ...] = ()
    housekeeping_interval_s: float = 3600.0
    # WebRTC: the addresses ICE offers to publishers and viewers; empty offers every interface but loopback
    # (aioice's choice). The demo, on loopback, offers 127.0.0.1.
    ice_host_addresses: tuple[str, ...] = ()
    # Commands to units (psn/v1/{agency}/{unit}/cmd): resent with the same id when no ack came within the
    # timeout, at most cmd_resends times, then marked unacknowledged and raised to the dispatchers.
    cmd_ack_timeout_s: float = 20.0
    cmd_resends: int = 2
    # Roads: None = the shipped Belize network; else an .npz from `psn roads import` (or `RoadGraph.arrays()`).
    # Dispatch ETAs and traffic analytics route and match on the same graph.
    roads_file: Path | None = None
    # Radio conditions at a point: the coverage map `psn sim coverage` writes (coverage.npz); None = no map, and
    # /api/v1/net/radio answers 503. The demo makes one in its data dir on first start.
    coverage_file: Path | None = None
    # Traffic analytics: live segment speeds from every unit's fixes and the probe feeds, a snapshot every
    # traffic_tick_s; a probe vehicle silent for probe_keep_s is forgotten (its last positions dropped).
    traffic_enabled: bool = True
    traffic_tick_s: float = 10.0
    probe_keep_s: float = 300.0
    # Network QoS: the uplink rate the policy asks for a unit's live video bearer (H.264 720p at 30 fps), and how
    # often the retained policy document is republished when nothing changed.
    qos_video_ul_mbps: float = 1.08
    qos_policy_every_s: float = 60.0
    # The shortest uplift a request may ask for. 60 s in service; the end-to-end test lowers it so an uplift
    # expires within the test (the equipment and psn both read the real clock: a manual one would split them).
    qos_uplift_min_s: float = 60.0
    # The uplifts in force at once (each of at most 100 units): bounds the retained policy document.
    qos_max_uplifts: int = 200
    # Network management: cells report KPIs every net_kpi_period_s (silent after 3 periods); the time series keeps
    # raw samples net_kpi_raw_hours, 1-min aggregates net_kpi_1m_days and 15-min aggregates net_kpi_15m_days.
    net_kpi_period_s: float = 5.0
    net_kpi_raw_hours: float = 48.0
    net_kpi_1m_days: float = 30.0
    net_kpi_15m_days: float = 400.0
    # Health (/readyz): the database is asked `SELECT 1` at most every health_cache_s, red if no answer within
    # db_timeout_s (an account lookup waits no longer either); the data dir's disk is red below health_min_free_mb
    # free. Through a database outage a signed-in user's last good account lookup stands for session_outage_grace_s.
    health_cache_s: float = 1.0
    db_timeout_s: float = 2.0
    health_min_free_mb: float = 1024.0
    session_outage_grace_s: float = 1800.0
    # An API request's answer starts within request_timeout_s of its body's arrival, or it is a 503 (a database
    # that accepts connections and never answers would otherwise hang it: psn/api/answer_deadline.py).
    request_timeout_s: float = 30.0
    # Several instances on one Mosquitto and one PostgreSQL (docs/deploy.md, "Several instances"): each has its own
    # `instance` name (its MQTT client id is `{mqtt_client_id}-{instance}`); "" is the single-instance default.
    # Instances of one `cluster_group` share the device topics (MQTT 5 `$share/{cluster_group}/…`: each message is
    # processed once) and hear each other on `psn/v1/_peer/…`. `public_url` is how browsers reach this instance
    # itself, not the proxy (a viewer is sent there for a stream this instance holds); "" = http://host:port.
    instance: str = ""
    # How long Mosquitto keeps psn's session (its subscriptions and every QoS 1 message queued for it) while psn is
    # away: longer than the longest restart or outage you plan for; at 2 s a kill -9 lost 670 of 2,400 fixes
    # (tests/psn/test_cluster_failover.py). The broker's max_queued_messages bounds what it keeps meanwhile.
    mqtt_session_expiry_s: int = 3600
    cluster_group: str = "psn"
    public_url: str = ""
    # Once-only jobs (docs/deploy.md, "Once-only jobs"): each runs on the instance holding its PostgreSQL advisory
    # lock; an instance tries the leases it lacks, and confirms those it holds, every lease_retry_s. A lease
    # taken counts, and one unconfirmed lapses, after 2 × lease_retry_s, so a holder that died is replaced within
    # about 3 × lease_retry_s.
    lease_retry_s: float = 2.0
    # Demo only (refused off loopback): seeds sign-in accounts and a NEMO/police emergency agreement.
    demo: bool = False

    def __post_init__(self) -> None:
        """Refuses at start-up what would otherwise surface as puzzling rejections later."""
        if not self.agencies:
            raise ConfigError("agencies: at least one agency is needed")
        for agency in self.agencies:
            error = topics.reserved_agency_error(agency)
            if error is not None:
                raise ConfigError(f"agencies: {error}")
        if self.default_agency not in self.agencies:
            raise ConfigError(f"default_agency {self.default_agency!r} is not one of the agencies {self.agencies}")
        self.service_bbox()
        net = (self.net_kpi_period_s, self.net_kpi_raw_hours, self.net_kpi_1m_days, self.net_kpi_15m_days)
        if not all(value > 0 for value in net):
            raise ConfigError(f"net_kpi_period_s, net_kpi_raw_hours, net_kpi_1m_days and net_kpi_15m_days must be "
                              f"> 0, not {net}")
        if not (self.traffic_tick_s > 0 and self.probe_keep_s > 0):
            raise ConfigError(f"traffic_tick_s and probe_keep_s must be > 0, not {self.traffic_tick_s}, "
                              f"{self.probe_keep_s}")
        # The policy carries rates in 3 decimals (below 0.001 one reads 0, which its schema refuses); above
        # 100 Mbit/s a stream asks more than a whole Band 14 cell's uplink (about 40 Mbit/s: 50 PRBs at CQI 15).
        if not (0.001 <= self.qos_video_ul_mbps <= 100 and self.qos_policy_every_s > 0):
            raise ConfigError(f"qos_video_ul_mbps must be in [0.001, 100] Mbit/s and qos_policy_every_s > 0, not "
                              f"{self.qos_video_ul_mbps}, {self.qos_policy_every_s}")
        if self.qos_max_uplifts < 1:
            raise ConfigError(f"qos_max_uplifts must be at least 1, not {self.qos_max_uplifts}")
        if not 0 < self.qos_uplift_min_s <= 60:
            raise ConfigError(f"qos_uplift_min_s must be in (0, 60], not {self.qos_uplift_min_s}")
        health = (self.health_cache_s, self.db_timeout_s, self.health_min_free_mb, self.session_outage_grace_s)
        if self.mqtt_session_expiry_s < 60:
            raise ConfigError(f"mqtt_session_expiry_s must be at least 60 (a shorter session loses what the broker "
                              f"queued for psn across a restart), not {self.mqtt_session_expiry_s}")
        if not self.request_timeout_s > 0:
            raise ConfigError(f"request_timeout_s must be > 0, not {self.request_timeout_s}")
        if not all(value >= 0 for value in health) or self.db_timeout_s == 0:
            raise ConfigError(f"health_cache_s, health_min_free_mb and session_outage_grace_s must be >= 0 and "
                              f"db_timeout_s > 0, not {health}")
        for name in ("instance", "cluster_group"):
            value = getattr(self, name)
            if (value or name == "cluster_group") and not topics.NAME.fullmatch(value):
                raise ConfigError(f"{name} must match {topics.NAME.pattern} (it goes into MQTT topics and client "
                                  f"ids), not {value!r}")
        if self.instance and not self.mqtt_url:
            raise ConfigError("several instances need Mosquitto (mqtt_url): the embedded broker speaks MQTT 3.1.1, "
                              "which has no shared subscriptions")
        if self.instance and not self.database_url.startswith("postgresql"):
            raise ConfigError("several instances need one PostgreSQL (db_url) they share: each on its own SQLite file "
                              "would hold every once-only job and store only the messages it took")
        if not self.lease_retry_s > 0:
            raise ConfigError(f"lease_retry_s must be > 0, not {self.lease_retry_s}")
        if not (self.cmd_ack_timeout_s > 0 and self.cmd_resends >= 0):
            raise ConfigError(f"cmd_ack_timeout_s must be > 0 and cmd_resends >= 0, not {self.cmd_ack_timeout_s}, "
                              f"{self.cmd_resends}")

    def net_kpi_retention(self) -> Retention:
        return Retention(self.net_kpi_raw_hours * 3600.0, self.net_kpi_1m_days * 86400.0,
                         self.net_kpi_15m_days * 86400.0)

    def service_bbox(self) -> BBox:
        if len(self.service_area) != 4:
            raise ConfigError(f"service_area is west,south,east,north in degrees, not {self.service_area}")
        west, south, east, north = self.service_area
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise ConfigError(f"service_area {self.service_area} is not a west,south,east,north box in degrees")
        return BBox(west, south, east, north)

    def retention_days_by_agency(self) -> dict[str, float]:
        days: dict[str, float] = {}
        for item in self.video_retention:
            agency, sep, value = item.partition("=")
            try:
                days[agency.strip()] = float(value)
            except ValueError:
                raise ConfigError(f"video_retention entries look like 'police=365', not {item!r}") from None
            if not sep or not agency.strip():
                raise ConfigError(f"video_retention entries look like 'police=365', not {item!r}")
        return days

    @property
    def client_id(self) -> str:
        """This instance's MQTT client id: its persistent session on the broker (kept across restarts)."""
        return self.client_id_of(self.instance)

    def client_id_of(self, instance: str) -> str:
        """The MQTT client id of `instance` of this cluster ("" = the single instance): a survivor adopts a dead
        instance's session under it (psn/adoption.py)."""
        return f"{self.mqtt_client_id}-{instance}" if instance else self.mqtt_client_id

    @property
    def own_url(self) -> str:
        """Where browsers reach this instance itself (not through the proxy)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        scheme = "https" if self.tls_cert else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    @property
    def database_url(self) -> str:
        if self.db_url:
            return _sqlalchemy_url(self.db_url)
        return f"sqlite:///{(self.data_dir / 'psn.db').resolve()}"


def _sqlalchemy_url(url: str) -> str:
    # Users write postgresql://…; SQLAlchemy needs to be told which driver (psycopg 3).
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _coerce(name: str, kind: Any, value: Any) -> Any:
    try:
        if kind in (int, "int"):
            return int(value)
        if kind in (float, "float"):
            return float(value)
        if kind in (bool, "bool"):
            return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")
        if kind in (Path, "Path"):
            return Path(value)
        if kind == "Path | None":
            return None if value in ("", None) else Path(value)
        if "tuple" in str(kind):
            items = value.split(",") if isinstance(value, str) else list(value)
            if "float" in str(kind):
                return tuple(float(item) for item in items if str(item).strip())
            return tuple(str(item).strip() for item in items if str(item).strip())
        return None if value in ("", None) else str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r}: cannot use {value!r} ({exc})") from None


def load(
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Merge the sources; unknown keys in the file are an error so typos do not pass silently."""
    env = os.environ if env is None else env
    known = {f.name: f.type for f in fields(Settings)}
    values: dict[str, Any] = {}
    path = config_file or (Path(env["PSN_CONFIG"]) if env.get("PSN_CONFIG") else None)
    if path is not None:
        try:
            data = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from None
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(f"{path}: unknown settings {unknown}; known: {sorted(known)}")
        values.update(data)
    for name in known:
        key = f"PSN_{name.upper()}"
        if key in env:
            values[name] = env[key]
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return dataclasses.replace(Settings(), **{k: _coerce(k, known[k], v) for k, v in values.items()})


__all__ = ["ConfigError", "Settings", "load"]
