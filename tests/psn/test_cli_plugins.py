"""Commands plugged into `psn` through the `psn.cli` entry points: the simulator's `psn sim …` (README)."""

from __future__ import annotations

import json
import re
from importlib.metadata import EntryPoint, entry_points

import pytest

import psn.cli
from psn.cli import main

SIM_COMMANDS = ("pathloss", "calibrate", "capacity", "coverage", "run", "network")


def help_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[list[str], str]:
    """The sub-commands `psn … --help` lists (argparse indents each name by four spaces), and stderr."""
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 0
    captured = capsys.readouterr()
    return re.findall(r"^    (\S+)", captured.out, re.MULTILINE), captured.err


def test_psn_sim_help_lists_the_simulator_commands(capsys: pytest.CaptureFixture[str]) -> None:
    listed, err = help_of(["sim", "--help"], capsys)
    assert listed == list(SIM_COMMANDS) and err == ""


def test_psn_sim_runs_through_the_plug_in(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["sim", "pathloss", "--model", "rma-los", "--freq-mhz", "763", "--hbs", "35", "--hut", "1.5",
               "--distance-km", "1", "5", "10", "--json"])
    assert rc == 0
    assert [r["path_loss_db"] for r in json.loads(capsys.readouterr().out)["results"]] == [93.49, 121.43, 133.48]


def test_a_broken_plug_in_costs_one_line_not_the_other_commands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = EntryPoint("aaa-broken", "psn_no_such_plugin.cli:register", "psn.cli")
    monkeypatch.setattr(psn.cli, "entry_points", lambda group: [broken, *entry_points(group=group)])
    listed, err = help_of(["--help"], capsys)
    assert {"serve", "users", "pki", "evidence", "sim"} <= set(listed)
    assert len(err.splitlines()) == 1
    assert "'aaa-broken'" in err and "ModuleNotFoundError" in err
