"""Evidence retention per agency, applied by the server's housekeeping and audited."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crypto import Keyring, LocalMasterKey
from psn.clock import ManualClock
from psn.config import ConfigError, Settings, load
from psn.server import Server
from tests.video.test_recorder import record


async def test_old_recordings_go_per_agency_policy_and_are_audited(tmp_path: Path) -> None:
    ring = Keyring(tmp_path / "ring.json", LocalMasterKey.generate())
    ring.rotate("police")
    store = await record(tmp_path, ring, Ed25519PrivateKey.generate(), seconds=12)  # tmp_path/recordings
    (_, signed), = store.recordings()
    end = signed.manifest.segments[-1].end
    clock = ManualClock(end + 20 * 86400)
    server = Server(Settings(data_dir=tmp_path, video_retention=("police=30",), video_retention_days=7), clock)
    assert server.apply_retention() == []  # police keep 30 days, not the default 7
    clock.advance(11 * 86400)
    assert server.apply_retention() == [signed.manifest.recording_id]
    assert list(store.recordings()) == []
    assert '"evidence.retention_delete"' in server.audit.file.path.read_text()


def test_retention_settings_from_environment() -> None:
    settings = load(env={"PSN_VIDEO_RETENTION": "police=365, nemo=30"})
    assert settings.retention_days_by_agency() == {"police": 365.0, "nemo": 30.0}
    with pytest.raises(ConfigError, match="police=365"):
        load(env={"PSN_VIDEO_RETENTION": "police:365"}).retention_days_by_agency()
