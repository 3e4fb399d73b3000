"""`psn roads check`: the report, its exit codes, the GeoJSON, and bad files (tests/traffic/synthetic.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from psn.cli import main
from tests.traffic.synthetic import ROADS, as_file


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(["roads", "check", *argv])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


@pytest.fixture
def synthetic(tmp_path: Path) -> Path:
    path = tmp_path / "roads.json"
    path.write_text(json.dumps(as_file(ROADS)))
    return path


def test_findings_are_counted_located_and_exit_1(synthetic: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "check.geojson"
    rc, report, err = run([str(synthetic), "--geojson", str(out)], capsys)
    assert (rc, err) == (1, "")
    lines = report.splitlines()
    assert lines[0] == f"{synthetic}: 8 roads, 0 reviewed connectors applied"
    assert lines[1] == "1 disconnected component, 1 same-named gap, 1 dead end near another road"
    assert "disconnected component at 17.1300 N, 87.0000 W: Island" in lines
    assert "dead end near another road at 17.0250 N, 86.9980 W: Spur / Main" in lines
    assert "  Spur ends 213 m from Main without joining it: a missing junction or bridge, or a genuine dead end" \
        in lines
    layer = json.loads(out.read_text())
    assert [f["properties"]["kind"] for f in layer["features"]] == ["component", "gap", "gap", "dead_end", "dead_end"]


def test_a_clean_network_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "clean.json"
    path.write_text(json.dumps(as_file([ROADS[1], ROADS[2], *ROADS[4:7]])))
    rc, report, _ = run([str(path)], capsys)
    assert rc == 0
    assert report.splitlines()[1:] == ["0 disconnected components, 0 same-named gaps, 0 dead ends near another road",
                                       "clean: one connected network, no gap or dead end to look at"]


def test_connectors_given_on_the_command_line_are_applied(synthetic: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    connectors = tmp_path / "connectors.json"
    connectors.write_text(json.dumps({"connectors": [
        {"roads": ["Main", "Main"], "points": [[-87.0, 17.1], [-87.0, 17.1015]], "why": "one road"},
        {"roads": ["Spur", "Main"], "points": [[-86.998, 17.025], [-87.0, 17.025]], "why": "a T junction"},
        {"roads": ["Spur", "Main"], "points": [[-86.998, 17.025], [-87.0, 17.03]], "why": ""},
    ]}))
    rc, report, _ = run([str(synthetic), "--connectors", str(connectors)], capsys)
    assert rc == 1  # the island, and one refused connector
    lines = report.splitlines()
    assert lines[:4] == [f"{synthetic}: 8 roads, 2 reviewed connectors applied",
                         "1 disconnected component, 0 same-named gaps, 0 dead ends near another road",
                         "1 refused (left out):",
                         '  connector 2: "why" must say why the gap is real']


def test_bad_roads_are_refused_and_the_rest_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = as_file([ROADS[1], ROADS[2], *ROADS[4:7]])
    raw["roads"].append({"n": "Broken", "c": "trunk", "g": [[-88.0, "17.0"], [-88.0, 17.1]]})  # type: ignore[attr-defined]
    path = tmp_path / "roads.json"
    path.write_text(json.dumps(raw))
    rc, report, _ = run([str(path)], capsys)
    assert rc == 1
    assert report.splitlines()[1:4] == [
        "0 disconnected components, 0 same-named gaps, 0 dead ends near another road",
        "1 refused (left out):",
        "  road 5 ('Broken'): point 0 of \"g\" is not a [lon, lat] pair of numbers in range"]


@pytest.mark.parametrize(("content", "reason"), [
    (None, "No such file"),
    ("{not json", "not JSON"),
    ('{"type": "FeatureCollection", "features": []}', 'expected a JSON object with a "roads" list'),
])
def test_a_file_that_is_not_a_road_network_exits_2_with_the_reason(
        content: str | None, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "roads.json"
    if content is not None:
        path.write_text(content)
    rc, out, err = run([str(path)], capsys)
    assert (rc, out) == (2, "")
    assert err.startswith("psn roads check: ") and reason in err


def test_the_shipped_network_is_clean_with_its_connectors_and_not_without(capsys: pytest.CaptureFixture[str]) -> None:
    rc, report, _ = run([], capsys)
    assert rc == 0 and report.splitlines()[-1] == "clean: one connected network, no gap or dead end to look at"
    rc, report, _ = run(["--no-connectors"], capsys)
    assert rc == 1 and "same-named gap at" in report


def test_roads_needs_an_action(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["roads"])
    assert exited.value.code == 2
