"""A custom road graph (`Settings.roads_file`) that cannot be read fails the server's start with the file's name,
instead of every later batch of fixes in the traffic subscriber and every dispatch recommendation."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from psn.server import Server
from tests.support import Mosquitto, make_settings


@pytest.mark.parametrize("content", [None, b"not a road graph", b"PK\x03\x04 a broken zip"])
def test_an_unreadable_roads_file_fails_the_start_naming_it(tmp_path: Path, mosquitto: Mosquitto,
                                                            content: bytes | None) -> None:
    roads = tmp_path / "roads.npz"
    if content is not None:
        roads.write_bytes(content)
    server = Server(make_settings(tmp_path, mosquitto.url, roads_file=roads))
    with pytest.raises(ValueError, match=r"roads\.npz: cannot read a road graph"):
        asyncio.run(server.start())
