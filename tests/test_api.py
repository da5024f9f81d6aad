"""The Python API (docs/api.md): its example runs, ``accelsim.run`` equals the CLI's report.json,
objects built in Python work, errors carry the CLI's fields, ``import accelsim`` stays light."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import accelsim
from accelsim.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_docs_api_example_runs(monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "api.md").read_text(), re.S)
    assert len(blocks) >= 4
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "docs/api.md", "exec"), namespace)
    out = capsys.readouterr().out
    assert "pJ" in out and "pim.adc_bits" in out


@pytest.mark.parametrize("arch, workload, sets", [
    ("arch_configs/ace_snn_pim.yaml", "workloads/digits/workload.json", {"pim.adc_noise_lsb": 0.5}),
    ("arch_configs/digital_only.yaml", "workloads/hsi_hybrid/workload.json", {"workload.timesteps": 3}),
])
def test_run_equals_the_cli_report(tmp_path, arch, workload, sets):
    arch, workload = str(ROOT / arch), str(ROOT / workload)
    argv = ["run", arch, workload, "-o", str(tmp_path), "-q", "--samples", "6"]
    for k, v in sets.items():
        argv += ["--set", f"{k}={v}"]
    assert main(argv) == 0
    report = accelsim.run(arch, workload, set=sets, samples=6)
    assert report.to_json() == (tmp_path / "report.json").read_text()
    data = json.loads(report.to_json())
    assert report.energy_pj == data["per_inference"]["energy_pj"] > 0
    assert report.edp == pytest.approx(report.energy_pj * report.latency_ns, rel=1e-12)
    assert sum(report.breakdown.values()) == pytest.approx(report.energy_pj, rel=1e-9)
    assert [l.name for l in report.layers] == [l["name"] for l in data["layers"]]


def test_objects_equal_their_files(tmp_path, arch_file, workload_file):
    from accelsim.workload.builder import WorkloadBuilder  # noqa: F401

    by_path = accelsim.run(arch_file, workload_file)
    spec = accelsim.load_arch(arch_file)
    graph = accelsim.load_workload(workload_file)
    assert accelsim.run(spec, graph).data["per_inference"] == by_path.data["per_inference"]
    as_dict = accelsim.run(spec.arch.model_dump(), graph)
    assert as_dict.data["per_inference"] == by_path.data["per_inference"]
    x, y = graph.samples.x, graph.samples.y
    assert accelsim.run(spec, graph, inputs=(x, y)).data["layers"] == by_path.data["layers"]
    longer = accelsim.run(arch_file, graph, set={"workload.timesteps": 3, "core.lanes": 8})
    assert longer.data["timesteps"] == 3 and longer.energy_pj != by_path.energy_pj


def test_errors_carry_file_path_value_allowed(arch_file, workload_file):
    with pytest.raises(accelsim.AccelsimError) as err:
        accelsim.run(arch_file, workload_file, set={"core.lanes": 0})
    e = err.value
    assert isinstance(e, accelsim.InputError)
    assert (e.file, e.path, e.value) == (str(arch_file), "core.lanes", 0)
    assert "greater than or equal to 1" in e.allowed
    with pytest.raises(accelsim.AccelsimError, match="samples"):
        accelsim.run(arch_file, workload_file, samples=0)
    with pytest.raises(accelsim.AccelsimError, match="an architecture is a path"):
        accelsim.run(42, workload_file)
    with pytest.raises(accelsim.AccelsimError, match="x"):
        accelsim.run(arch_file, workload_file, inputs=np.zeros((2, 3)))
    with pytest.raises(accelsim.AccelsimError, match="activity"):
        accelsim.run(arch_file, workload_file).plot(kind="pie")


def test_sweep_rows_equal_single_runs(tmp_path, arch_file, workload_file):
    rows = accelsim.sweep(arch_file, workload_file, grid={"core.lanes": [2, 8]}, out=tmp_path / "s", workers=1)
    assert [r["status"] for r in rows] == ["ok", "ok"]
    for row, lanes in zip(rows, (2, 8)):
        assert row["energy_pj"] == accelsim.run(arch_file, workload_file, set={"core.lanes": lanes}).energy_pj
    spec = accelsim.load_arch(arch_file)
    rows2 = accelsim.sweep(spec.arch, workload_file, grid={"core.lanes": [2]}, out=tmp_path / "t", workers=1)
    assert rows2[0]["energy_pj"] == rows[0]["energy_pj"]


def test_import_accelsim_is_light():
    code = ("import sys, accelsim; heavy = [m for m in ('numpy', 'numba', 'pydantic', 'yaml', 'matplotlib') "
            "if m in sys.modules]; print(heavy); assert callable(accelsim.run)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
