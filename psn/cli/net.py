"""`psn net …`: the network inventory from the command line. `psn net import-plan [FILE]` seeds sites and cells
from a radio plan document (default: the shipped Belize Band 14 plan, read as a file: psn never imports the
simulator). Importing again updates what changed and leaves the rest."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from netmgmt.inventory import InventoryError, Merge
from netmgmt.inventory_codec import Parsed, from_plan, json_document
from psn.cli.admin import _server, store_flags
from psn.server import Server

# The plan ships with the repository beside psn (simulator/data/); an installed psn without it names a FILE.
SHIPPED_PLAN = Path(__file__).resolve().parents[2] / "simulator" / "data" / "belize-band14-plan.json"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    net = sub.add_parser("net", help="the network inventory: import the radio plan's sites and cells")
    commands = net.add_subparsers(dest="net_command", metavar="ACTION", required=True)
    plan = commands.add_parser(
        "import-plan", help="create or update sites and cells from a radio plan JSON document",
        description="Reads a radio plan (the format of simulator/data/belize-band14-plan.json) into the inventory:"
                    " one site per plan site, cells {site}-{k} (k from 1) with the plan's defaults applied. Exit"
                    " code 0 when every site was taken, 1 when some were refused, 2 when the file cannot be read.")
    plan.add_argument("file", nargs="?", type=Path, default=SHIPPED_PLAN,
                      help="the plan (default: the shipped Belize Band 14 plan)")
    store_flags(plan)
    plan.set_defaults(func=_import_plan)


def read_plan(path: Path) -> Parsed:
    """InventoryError when the file cannot be read at all; else its sites and cells, and the refused ones."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InventoryError(f"{path}: cannot read it: {exc.strerror}") from None
    try:
        return from_plan(json_document(text))
    except InventoryError as exc:
        raise InventoryError(f"{path}: {exc}") from None


def import_plan(server: Server, path: Path = SHIPPED_PLAN, actor: str = "cli") -> Merge:
    """The plan's sites and cells into the server's inventory (what `psn demo` seeds with); audited as `actor`."""
    result = server.inventory.import_rows(read_plan(path).entries, actor, f"plan:{path}")
    server.audit.checkpoint()
    return result


def _import_plan(args: argparse.Namespace) -> int:
    try:
        read_plan(args.file)  # a file that cannot be read fails before the data dir is touched
        server = _server(args)
        result = import_plan(server, args.file)
    except InventoryError as exc:
        print(f"psn net import-plan: {exc}", file=sys.stderr)
        return 2
    for kind in ("sites", "cells"):
        print(f"{kind}: {result.created.get(kind, 0)} created, {result.updated.get(kind, 0)} updated, "
              f"{result.unchanged.get(kind, 0)} unchanged")
    for refusal in result.refused:
        print(f"refused {refusal.at} ({refusal.id or 'no id'}): {refusal.reason}")
    server.db.close()
    return 1 if result.refused else 0
