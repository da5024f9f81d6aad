"""The shipped examples run end to end through the CLI, as a user runs them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from accelsim.cli import main

ROOT = Path(__file__).resolve().parent.parent
DIGITS = ROOT / "workloads" / "digits" / "workload.json"
HSI = ROOT / "workloads" / "hsi_hybrid" / "workload.json"
PIM = ROOT / "arch_configs" / "ace_snn_pim.yaml"
DIGITAL = ROOT / "arch_configs" / "digital_only.yaml"

REPORT_KEYS = {"accelsim_version", "arch", "workload", "samples", "timesteps", "per_inference",
               "energy_breakdown_pj", "layers", "accuracy", "baselines"}
LAYER_KEYS = {"name", "engine", "neurons", "synaptic_ops", "spikes_in", "spikes_out", "spike_rate",
              "sparsity", "energy_pj", "latency_ns"}


def _run(tmp_path: Path, arch: Path, workload: Path, *extra: str) -> tuple[dict, bytes]:
    out = tmp_path / "out"
    assert main(["run", str(arch), str(workload), "-o", str(out), "-q", *extra]) == 0
    raw = (out / "report.json").read_bytes()
    return json.loads(raw), raw


def _check_report(rep: dict) -> None:
    assert REPORT_KEYS <= set(rep)
    assert set(rep["per_inference"]) >= {"energy_pj", "latency_ns", "edp_pj_ns"}
    pi = rep["per_inference"]
    assert pi["energy_pj"] > 0 and pi["latency_ns"] > 0
    assert pi["edp_pj_ns"] == pytest.approx(pi["energy_pj"] * pi["latency_ns"])
    assert sum(rep["energy_breakdown_pj"].values()) == pytest.approx(pi["energy_pj"], rel=1e-9)
    assert sum(l["energy_pj"] for l in rep["layers"]) == pytest.approx(pi["energy_pj"], rel=1e-9)
    for layer in rep["layers"]:
        assert LAYER_KEYS <= set(layer)
        if layer["spiking"]:
            assert layer["spike_rate"] == pytest.approx(1 - layer["sparsity"])
    assert {"cnn_fp32"} <= set(rep["baselines"])


def test_digits_accuracy_matches_the_ann_and_rates_are_in_range(tmp_path):
    rep, _ = _run(tmp_path, PIM, DIGITS)
    _check_report(rep)
    meta = json.loads(DIGITS.read_text())["metadata"]
    assert rep["samples"] == 360 and rep["timesteps"] == 16
    # the converted SNN keeps the ANN's accuracy within a few points at the shipped T
    assert abs(rep["accuracy"] - meta["ann_test_accuracy"]) <= 0.03
    assert rep["accuracy"] > 0.9
    for layer in rep["layers"]:
        if layer["spiking"]:
            assert 0.0 < layer["spike_rate"] < 1.0
    assert rep["layers"][0]["engine"] == "pim"
    assert [l["engine"] for l in rep["layers"][1:]] == ["core", "core"]


def test_digits_on_digital_only_runs_first_layer_on_the_core(tmp_path):
    rep, _ = _run(tmp_path, DIGITAL, DIGITS, "--samples", "40")
    _check_report(rep)
    assert rep["layers"][0]["engine"] == "core"
    assert not any(k.startswith("pim.") for k in rep["energy_breakdown_pj"])


def test_same_command_twice_gives_byte_identical_reports(tmp_path):
    _, a = _run(tmp_path / "a", PIM, DIGITS, "--samples", "50")
    _, b = _run(tmp_path / "b", PIM, DIGITS, "--samples", "50")
    assert a == b


@pytest.mark.skipif(not HSI.is_file(), reason="workloads/hsi_hybrid not generated")
@pytest.mark.parametrize("arch", [PIM, DIGITAL], ids=["pim", "digital"])
def test_hsi_hybrid_runs_and_shows_3d_convolutions(tmp_path, arch):
    rep, _ = _run(tmp_path, arch, HSI, "--samples", "3")
    _check_report(rep)
    conv3d = [l for l in rep["layers"] if l["op"] == "Conv" and len(l["input_shape"]) == 4]
    assert [l["name"] for l in conv3d] == ["conv3d_1", "conv3d_2", "conv3d_3"]
    assert conv3d[0]["output_shape"] == [8, 24, 23, 23]
    for layer in rep["layers"]:
        if layer["spiking"]:
            assert 0.0 < layer["spike_rate"] < 1.0
