"""The shipped examples run end to end on both shipped architectures with the spike-core model."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from accelsim.cli import main

ROOT = Path(__file__).resolve().parent.parent
ARCHS = ["ace_snn_pim", "digital_only"]
EXAMPLES = {"digits": 20, "hsi_hybrid": 2}  # samples simulated


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_runs(tmp_path, name, arch):
    wl = ROOT / "workloads" / name / "workload.json"
    if not wl.exists():
        pytest.skip(f"{wl} not generated (scripts/make_{name}.py)")
    out = tmp_path / "out"
    tl = tmp_path / "tl.csv"
    code = main(["run", str(ROOT / "arch_configs" / f"{arch}.yaml"), str(wl), "-o", str(out), "-q",
                 "--samples", str(EXAMPLES[name]), "--timeline", str(tl)])
    assert code == 0
    rep = json.loads((out / "report.json").read_text())
    per = rep["per_inference"]
    assert rep["cost_model"]["name"] == "spike_core"
    assert sum(rep["energy_breakdown_pj"].values()) == pytest.approx(per["energy_pj"], rel=1e-9)
    assert per["latency_ns"] == rep["timing"]["makespan_ns"] > 0
    assert per["edp_pj_ns"] == pytest.approx(per["energy_pj"] * per["latency_ns"])
    keys = set(rep["energy_breakdown_pj"])
    assert {"core.weight_sram", "core.vmem", "core.accumulate", "core.neuron", "core.fifo", "noc.router",
            "noc.link", "leakage.sram"} <= keys
    assert rep["layers"][0]["engine"] == ("pim" if arch == "ace_snn_pim" else "core")
    for layer in rep["layers"]:
        assert 0 < layer["latency_ns"] <= per["latency_ns"]
        assert sum(layer["energy_breakdown_pj"].values()) == pytest.approx(layer["energy_pj"], rel=1e-9)
        det = layer["cost_details"].get("neurons_on_cores", layer["cost_details"])
        if not rep["layers"].index(layer) == 0:
            # every event leaves its sending core once and reaches at least one core
            assert det["packets_sent"] == pytest.approx(det["events_routed"])
            assert det["events_received"] >= det["events_routed"]
            assert det["synaptic_ops"] == pytest.approx(layer["synaptic_ops"])
    # the layers overlap: pipelining across time steps
    assert sum(l["latency_ns"] for l in rep["layers"]) > per["latency_ns"]
    assert all(0 < u <= 1 for u in rep["timing"]["utilization"].values())
    rows = tl.read_text().splitlines()
    assert rows[0] == "resource,layer,step,start_ns,end_ns,kind" and len(rows) - 1 == rep["timing"]["tasks"]
    assert max(float(r.split(",")[4]) for r in rows[1:]) == pytest.approx(per["latency_ns"])
    kinds = {r.split(",")[5] for r in rows[1:]}
    assert kinds == ({"pim", "core", "noc"} if arch == "ace_snn_pim" else {"first_layer", "core", "noc"})
    if arch == "ace_snn_pim":  # the first layer runs at once on the macros that hold its weights, no others
        pims = {r.split(",")[0] for r in rows[1:] if r.endswith(",pim")}
        used = rep["layers"][0]["cost_details"]["macros_used"]
        det0 = rep["layers"][0]["cost_details"]
        assert used == det0["macros_needed"] * det0["copies"] <= 4   # tiles x weight copies, of the 4 macros
        assert pims == {f"pim{m}" for m in range(used)}
        assert {k for k in rep["timing"]["utilization"] if k.startswith("pim")} == pims


def test_report_is_deterministic(tmp_path):
    wl = ROOT / "workloads" / "digits" / "workload.json"
    if not wl.exists():
        pytest.skip("digits not generated")
    arch = str(ROOT / "arch_configs" / "ace_snn_pim.yaml")
    for d in ("a", "b"):
        assert main(["run", arch, str(wl), "-o", str(tmp_path / d), "-q", "--samples", "8"]) == 0
    assert (tmp_path / "a" / "report.json").read_bytes() == (tmp_path / "b" / "report.json").read_bytes()
