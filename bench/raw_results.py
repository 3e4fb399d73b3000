"""Where a benchmark run leaves its raw JSON: `bench/results/<bench>-<UTC timestamp>.json` (bench/results/README.md).

Each file holds the figures as the bench printed them, plus what is needed to trust them later: the exact command,
the UTC time and the tree measured (`git describe --always --dirty`).
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def tree() -> str | None:
    """The commit measured, `-dirty` if the work tree had changes; None outside a git checkout."""
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=RESULTS.parent, capture_output=True,
                             text=True, timeout=10)
    except OSError:
        return None
    return out.stdout.strip() or None


def save(bench: str, figures: dict[str, Any], results: Path = RESULTS) -> Path:
    """Writes one run's figures; never overwrites an earlier run's file (FileExistsError instead)."""
    now = datetime.now(UTC)
    record = {"bench": bench, "utc": now.isoformat(timespec="seconds"),
              "command": shlex.join(["python", "-m", f"bench.{bench}", *sys.argv[1:]]), "tree": tree(), **figures}
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"{bench}-{now:%Y%m%dT%H%M%SZ}.json"
    with path.open("x") as out:
        out.write(json.dumps(record, indent=2) + "\n")
    return path
