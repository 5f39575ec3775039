import csv

import numpy as np
import pytest

from iadb_graphics.cli import build_parser, main
from iadb_graphics.cli.demo import run_demo


@pytest.mark.slow
def test_demo_writes_figures_and_a_sane_summary(tmp_path):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--out", str(out), "--seed", "3"]) == 0
    for name in ("maps.png", "trajectories.png", "round_trip.png", "summary.md", "summary.csv"):
        assert (out / name).stat().st_size > 0, name
    with open(out / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert {(r["pair"], r["method"]) for r in rows} == {
        (p, m) for p in ("uniform→photo", "8gaussians→moons") for m in ("grid", "mlp")}
    for r in rows:
        assert 1.0 <= float(r["optimality_ratio"]) < 2.0
        assert abs(float(r["energy_z"])) < 30, r  # a broken map scores in the hundreds at this N
        if r["pair"] == "uniform→photo":  # the target's density is known: KL and ESS from the exact pdf
            assert 0.0 <= float(r["kl"]) < 0.5 and 0.6 < float(r["ess"]) <= 1.0, r
        else:
            assert r["kl"] == "nan" and r["ess"] == "nan", r


def test_demo_grid_only_is_reproducible(tmp_path):
    a = run_demo(tmp_path / "a", methods=("grid",), quick=True, seed=1, n=256, echo=lambda *_: None)
    b = run_demo(tmp_path / "b", methods=("grid",), quick=True, seed=1, n=256, echo=lambda *_: None)
    assert [(r["kl"], r["energy_z"]) for r in a] == [(r["kl"], r["energy_z"]) for r in b]
    assert all(np.isfinite(r["energy_z"]) for r in a)


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["--help"])
    assert exc.value.code == 0
    assert "demo" in capsys.readouterr().out


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


@pytest.mark.parametrize("argv, msg", [(["--method", "grid", "--device", "cpu"], "only used by the MLP"),
                                       (["--method", "mlp", "--device", "nonsense"], "--device='nonsense'")])
def test_demo_bad_device_is_one_error_line(tmp_path, capsys, argv, msg):
    assert main(["demo", "--out", str(tmp_path / "d"), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("iadb-graphics demo: error:") and msg in err[0], err
    assert not (tmp_path / "d").exists()
