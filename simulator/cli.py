"""`psn sim …`: the radio network simulator's commands (filled in by the simulator work)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("sim", help="radio network simulator: path loss, calibration, capacity")
    parser.set_defaults(func=lambda _args: parser.print_help() or 2)
