"""`psn roads import FILE`: a full OpenStreetMap extract (.osm.pbf, .osm, .osm.bz2) to psn's road graph.

Reads the drivable roads (`traffic.osm.load_osm`), prints what it found, and writes the graph's arrays to
`--out` (`np.savez_compressed`; `traffic.RoadGraph.from_arrays` reads them back). The file is written beside its
final name and renamed into place, so a failed import leaves nothing behind and an earlier graph intact.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from traffic.osm import RoadImportError, load_osm

DEFAULT_OUT = Path("var/roads.npz")


def add_import_command(roads: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds `import` to the `psn roads` sub-commands."""
    command = roads.add_parser("import", help="import an OpenStreetMap extract as psn's road graph",
                               description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    command.add_argument("file", type=Path, help="the extract: .osm.pbf, .osm or .osm.bz2")
    command.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where the graph goes (default {DEFAULT_OUT})")
    command.set_defaults(func=run_import)


def run_import(args: argparse.Namespace) -> int:
    try:
        found = load_osm(args.file)
    except RoadImportError as exc:
        print(f"psn roads import: {exc}", file=sys.stderr)
        return 1
    graph = found.graph
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".npz")
    try:
        with os.fdopen(handle, "wb") as file:
            arrays: dict[str, Any] = graph.arrays()  # numpy's stubs type **kwds as its allow_pickle flag
            np.savez_compressed(file, **arrays)
        os.replace(temporary, out)
    except BaseException:
        os.unlink(temporary)
        raise
    km = graph.length_m.sum() / 1000
    print(f"{args.file}: {found.ways} ways, {found.drivable_ways} drivable ({found.oneway_ways} one-way); "
          f"{graph.nodes} nodes, {graph.edges} directed edges, {km:.1f} km of edges"
          + (f"; {found.missing_nodes} way nodes missing from the file" if found.missing_nodes else ""))
    print(f"wrote {out}")
    return 0
