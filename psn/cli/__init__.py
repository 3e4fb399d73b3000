"""The `psn` command line: one sub-command module per area, each with `register(subparsers)`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def _registrars() -> list[Register]:
    # Imported here so `psn --help` stays fast and one area's import error cannot break the others' help.
    from psn.cli import admin, pki, serve
    from simulator.cli import register as sim
    from video.cli import register as evidence

    return [serve.register, admin.register, pki.register, evidence, sim]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="psn",
        description="Mobile Broadband Public Safety Network server: telemetry, video, dispatch, network.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in _registrars():
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
