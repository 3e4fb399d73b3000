"""The amqtt internals psn.mqtt.amqtt_compat overrides are still where it expects them (fails loudly on an
upgrade that moves them), and a retained message goes through the receive rules like a live one."""

from __future__ import annotations

import pytest

from psn.mqtt import amqtt_compat


def test_the_overridden_amqtt_internals_are_still_there() -> None:
    amqtt_compat.check_compatible()


def test_a_moved_internal_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(amqtt_compat._RELIED_ON, "_matches", ("self", "topic", "the_filter"))
    with pytest.raises(amqtt_compat.IncompatibleAmqtt, match="_matches"):
        amqtt_compat.check_compatible()
