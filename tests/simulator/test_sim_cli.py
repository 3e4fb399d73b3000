import json

from simulator.cli import main


def test_pathloss_prints_hand_values_as_json(capsys) -> None:
    rc = main(["pathloss", "--model", "rma-los", "--freq-mhz", "763", "--hbs", "35", "--hut", "1.5",
               "--distance-km", "1", "5", "10", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and [r["path_loss_db"] for r in out["results"]] == [93.49, 121.43, 133.48]


def test_out_of_range_is_refused_with_reason_and_exit_2(capsys) -> None:
    rc = main(["pathloss", "--model", "hata-urban", "--freq-mhz", "1800", "--hbs", "35", "--hut", "1.5",
               "--distance-km", "1"])
    err = capsys.readouterr().err
    assert rc == 2 and "frequency 1800 MHz is outside the model's validity range 150..1500 MHz" in err
    assert "Traceback" not in err


def test_bad_plan_file_is_a_clear_error(tmp_path, capsys) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text('{"sites": []}')
    assert main(["coverage", "--plan", str(bad), "--out", str(tmp_path)]) == 2
    assert "'sites' must be a non-empty list" in capsys.readouterr().err


def test_calibrate_json_reports_measured_beside_reference(capsys) -> None:
    rc = main(["calibrate", "--reference", "tr36873-uma", "--drops", "2", "--ues", "1500", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert set(out["metrics"]) == {"coupling_loss_db", "geometry_db", "wideband_sinr_db"}
    assert out["metrics"]["geometry_db"]["reference"] == [-3.1, 4.9, 22.6]
    assert rc == (0 if out["pass"] else 1)


def test_capacity_for_one_site(capsys) -> None:
    rc = main(["capacity", "--cell", "BZE-PMD", "--rate-mbps", "1.08", "--probes-per-site", "150", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and [c["cell"] for c in out["cells"]] == ["BZE-PMD-1", "BZE-PMD-2", "BZE-PMD-3"]
    assert all(isinstance(c["streams"]["1.08"], int) for c in out["cells"])


def test_run_outputs_groups_cells_and_units(capsys) -> None:
    assert main(["run", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["groups"][0]["group"] == "nemo-shelters" and out["cells"] and out["units"]
