"""`psn roads …`: the road network routing runs on. `psn roads check [FILE]` lists what an operator must look at.

Exit codes of `check`: 0 clean, 1 findings (or refused roads or connectors), 2 a file that cannot be read at all.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from psn.cli.roads_import import add_import_command
from traffic.check import LABELS, Finding, Kind, as_geojson, check, place
from traffic.loader import Loaded, load, shipped_connectors
from traffic.roads import DEFAULT_ROADS

PLURALS = {Kind.COMPONENT: "disconnected components", Kind.GAP: "same-named gaps",
           Kind.DEAD_END: "dead ends near another road"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    roads = sub.add_parser("roads", help="the road network: check it for gaps, import an OpenStreetMap extract")
    commands = roads.add_subparsers(dest="roads_command", metavar="ACTION", required=True)
    add_import_command(commands)

    checking = commands.add_parser(
        "check", help="disconnected pieces, dead ends near another road, same-named gaps",
        description="Lists what an operator must look at in a road network file: pieces cut off from the main "
                    "network, dead ends within 300 m of another road, and same-named roads whose pieces end "
                    "100-500 m apart without joining. Exit code 0 when clean, 1 when anything is found.")
    checking.add_argument("file", nargs="?", type=Path, default=DEFAULT_ROADS,
                          help="road network JSON (default: the shipped Belize trunk and primary roads)")
    which = checking.add_mutually_exclusive_group()
    which.add_argument("--connectors", type=Path, metavar="FILE",
                       help="reviewed connectors to apply (default: the shipped ones for the shipped network)")
    which.add_argument("--no-connectors", action="store_true", help="check the file as it is, without connectors")
    checking.add_argument("--geojson", type=Path, metavar="OUT",
                          help="also write the findings and connectors as a GeoJSON FeatureCollection")
    checking.set_defaults(func=_check)


def _check(args: argparse.Namespace) -> int:
    connectors = None if args.no_connectors else args.connectors or shipped_connectors(args.file)
    try:
        loaded = load(args.file, connectors)
    except (OSError, ValueError) as e:
        print(f"psn roads check: {e}", file=sys.stderr)
        return 2
    findings = check(loaded.roads) if loaded.roads else []
    print(report(args.file, loaded, findings))
    if args.geojson:
        args.geojson.write_text(json.dumps(as_geojson(findings, loaded.connectors), separators=(",", ":")) + "\n",
                                encoding="utf-8")
    return 1 if findings or loaded.refused else 0


def report(path: Path, loaded: Loaded, findings: list[Finding]) -> str:
    """Counts per kind, then each finding with where to look and the roads involved."""
    counts = Counter(f.kind for f in findings)
    lines = [f"{path}: {len(loaded.roads) - len(loaded.connectors)} roads, "
             f"{len(loaded.connectors)} reviewed connectors applied",
             ", ".join(f"{counts[kind]} {LABELS[kind] if counts[kind] == 1 else PLURALS[kind]}" for kind in Kind)]
    if loaded.refused:
        lines.append(f"{len(loaded.refused)} refused (left out):")
        lines += [f"  {reason}" for reason in loaded.refused]
    for f in findings:
        lines += ["", f"{LABELS[f.kind]} at {place(f.lonlat)}: {' / '.join(name or '(unnamed)' for name in f.roads)}",
                  f"  {f.message}"]
    if not findings and not loaded.refused:
        lines.append("clean: one connected network, no gap or dead end to look at")
    return "\n".join(lines)
