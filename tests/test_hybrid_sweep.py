"""Sweeps over K (``workload.ann_every``): one trace per K, each row equal to a single run,
average power in the rows, and the energy/power/accuracy-vs-K figure."""
from __future__ import annotations

import csv

import pytest

from accelsim.cli import main
from accelsim.simulate import run_simulation
from accelsim.sweep import SweepSpec, parse_grid, run_sweep

from hybrid_cases import workload

ARCH = "arch_configs/ace_snn_pim.yaml"


def test_sweep_over_k(tmp_path, capsys):
    path = workload(tmp_path / "w")
    spec = SweepSpec(ARCH, str(path), parse_grid(["workload.ann_every=1,3,7"]), base_sets=(("workload.step_s", 0.01),),
                     backend="numpy")
    res = run_sweep(spec, tmp_path / "s", workers=1)
    assert (res.points, res.failed, res.traces) == (3, 0, 3)
    with open(tmp_path / "s" / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        k = r["workload.ann_every"]
        rep = run_simulation(ARCH, str(path), [f"workload.ann_every={k}", "workload.step_s=0.01"], backend="numpy")
        assert float(r["energy_pj"]) == rep["per_inference"]["energy_pj"]
        assert float(r["power_w"]) == rep["real_time"]["power_w"]["total"]
        assert float(r["power_w.ann"]) == rep["real_time"]["power_w"]["ann"]
    ann = [float(r["power_w.ann"]) for r in rows]
    assert ann[0] > ann[1] > ann[2]   # the ANN runs 7, 3, 1 times
    out = tmp_path / "k.png"
    assert main(["plot", str(tmp_path / "s" / "results.csv"), "-o", str(out), "--kind", "trend",
                 "--x", "workload.ann_every"]) == 0
    assert out.stat().st_size > 10_000


def test_trend_needs_a_swept_x(tmp_path, capsys):
    path = workload(tmp_path / "w")
    run_sweep(SweepSpec(ARCH, str(path), parse_grid(["workload.ann_every=1,3"]), backend="numpy"), tmp_path / "s",
              workers=1)
    code = main(["plot", str(tmp_path / "s" / "results.csv"), "-o", str(tmp_path / "k.png"), "--kind", "trend",
                 "--x", "energy_pj"])
    assert code == 2 and "must be a swept parameter" in capsys.readouterr().err


def test_ann_numerics_decide_the_trace(tmp_path):
    """ann.input_bits changes the ANN's numerics (two traces); ann.mac_units is cost-only (one), and its
    rows equal fresh runs."""
    path = workload(tmp_path / "w")
    res = run_sweep(SweepSpec(ARCH, str(path), parse_grid(["ann.input_bits=2,8"]), backend="numpy"),
                    tmp_path / "a", workers=1)
    assert res.traces == 2
    res = run_sweep(SweepSpec(ARCH, str(path), parse_grid(["ann.mac_units=1,64"]), backend="numpy"),
                    tmp_path / "b", workers=1)
    assert res.traces == 1
    with open(tmp_path / "b" / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        rep = run_simulation(ARCH, str(path), [f"ann.mac_units={r['ann.mac_units']}"], backend="numpy")
        assert float(r["energy_pj"]) == rep["per_inference"]["energy_pj"]
        assert float(r["latency_ns"]) == rep["per_inference"]["latency_ns"]
    assert rows[0]["latency_ns"] != rows[1]["latency_ns"]   # 1 MAC per cycle takes longer
