"""`psn roads import FILE` on a fresh argparse parser (as `psn roads` will wire it): the graph written whole and
readable back, a bad file refused with its reason and nothing written, an earlier graph left intact."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from psn.cli.roads_import import add_import_command
from traffic.graph import RoadGraph
from traffic.osm import load_osm

LON, LAT = -88.77, 17.25
OSM = f"""<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <node id="1" version="1" lat="{LAT:.7f}" lon="{LON:.7f}"/>
  <node id="2" version="1" lat="{LAT:.7f}" lon="{LON + 0.01:.7f}"/>
  <node id="3" version="1" lat="{LAT + 0.01:.7f}" lon="{LON + 0.01:.7f}"/>
  <way id="1" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/><tag k="name" v="Ring Road"/></way>
  <way id="2" version="1"><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/><tag k="oneway" v="yes"/></way>
</osm>
"""


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="psn")
    roads = parser.add_subparsers(dest="command").add_parser("roads").add_subparsers(dest="roads_command",
                                                                                    required=True)
    add_import_command(roads)
    args = parser.parse_args(["roads", "import", *argv])
    return int(args.func(args))


def test_import_writes_the_graph_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "town.osm"
    source.write_text(OSM)
    out = tmp_path / "data" / "roads.npz"
    assert run(str(source), "--out", str(out)) == 0
    printed = capsys.readouterr().out
    assert "2 ways, 2 drivable (1 one-way); 3 nodes, 3 directed edges" in printed
    with np.load(out, allow_pickle=False) as arrays:
        graph = RoadGraph.from_arrays(dict(arrays))
    direct = load_osm(source).graph
    np.testing.assert_array_equal(graph.tail, direct.tail)
    np.testing.assert_array_equal(graph.head, direct.head)
    np.testing.assert_allclose(graph.travel_s, direct.travel_s, rtol=1e-12)
    assert graph.name == direct.name and graph.road_class == direct.road_class
    assert sorted(p.name for p in out.parent.iterdir()) == ["roads.npz"]


def test_a_bad_file_writes_nothing_and_keeps_the_earlier_graph(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "roads.npz"
    out.write_bytes(b"the earlier graph")
    bad = tmp_path / "bad.osm"
    bad.write_text("<html>not a map</html>\n")
    assert run(str(bad), "--out", str(out)) == 1
    assert "psn roads import:" in capsys.readouterr().err
    assert out.read_bytes() == b"the earlier graph"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.osm", "roads.npz"]
