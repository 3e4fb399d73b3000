"""The command resend timer publishes over MQTT: it starts once the MQTT client exists (a round before would
count a resend that went nowhere) and stops before the client does (its last round still reaches the broker)."""

from __future__ import annotations

from pathlib import Path

from tests.support import Mosquitto, RunningServer, make_settings


def test_resend_timer_runs_only_while_mqtt_does(tmp_path: Path, mosquitto: Mosquitto) -> None:
    running = RunningServer(make_settings(tmp_path, mosquitto.url))
    server, seen = running.server, []
    start, stop = server.cad.start, server.cad.stop

    async def started() -> None:
        seen.append(("cad.start", server.mqtt is not None and not server.mqtt._stopping))
        await start()

    async def stopped() -> None:
        seen.append(("cad.stop", server.mqtt is not None and not server.mqtt._stopping))
        await stop()

    server.cad.start, server.cad.stop = started, stopped  # type: ignore[method-assign]
    running.start()
    running.stop()
    assert seen == [("cad.start", True), ("cad.stop", True)]  # (when, the MQTT client running then)
