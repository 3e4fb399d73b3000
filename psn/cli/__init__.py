"""The `psn` command line: one sub-command module per area, each with `register(subparsers)`.

Packages outside psn's server plug their commands in through the `psn.cli` entry-point group (pyproject.toml:
`sim = "simulator.cli:register"`), so psn never imports them; a plug-in that fails to load costs its own
commands, with one line on stderr, never the others'.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]
PLUGIN_GROUP = "psn.cli"


def _registrars() -> list[Register]:
    # Imported here so `psn --help` stays fast.
    from psn.cli import admin, backup, net, pki, roads, serve
    from video.cli import register as evidence

    return [serve.register, admin.register, pki.register, backup.register, roads.register, net.register, evidence]


def _register_plugins(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for plugin in sorted(entry_points(group=PLUGIN_GROUP), key=lambda ep: ep.name):
        try:
            plugin.load()(sub)
        except Exception as e:  # an uninstalled or broken plug-in: whatever it raises, the rest still works
            print(f"psn: commands {plugin.name!r} ({plugin.value}) unavailable: {type(e).__name__}: {e}",
                  file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="psn",
        description="Mobile Broadband Public Safety Network server: telemetry, video, dispatch, network.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in _registrars():
        register(sub)
    _register_plugins(sub)
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
