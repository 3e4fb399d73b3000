"""Shared crypto fixtures: a fresh CA per test (EC key generation is cheap; CA index state must not leak)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crypto.pki import CertificateAuthority, init_ca

NOW = 1_764_000_000.0


@pytest.fixture
def ca(tmp_path: Path) -> CertificateAuthority:
    return init_ca(tmp_path / "ca", "PSN Test CA", now=NOW)
