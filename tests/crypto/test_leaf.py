from __future__ import annotations

import subprocess
import sys

PROJECT = ("psn", "telemetry", "simulator", "video", "traffic", "dispatch")


def test_crypto_imports_nothing_of_the_project() -> None:
    probe = f"import sys, crypto; print([m for m in sys.modules if m.split('.')[0] in {PROJECT!r}])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
