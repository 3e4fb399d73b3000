"""Fails loudly when an aiortc upgrade changes the internals the forwarding path relies on."""

from __future__ import annotations

import aiortc

from video import aiortc_compat


def test_aiortc_internals_match() -> None:
    aiortc_compat.check_compatible()
    assert aiortc.__version__.startswith(aiortc_compat.AIORTC_TARGET), (
        f"video.aiortc_compat targets aiortc {aiortc_compat.AIORTC_TARGET}; re-read it against {aiortc.__version__}"
    )
