"""CNN baselines worked out by hand on the tiny workload (tests/conftest.py).

Tiny workload: Conv1d(1->2, k=3, pad 1) on [1, 8] -> LIF -> AvgPool(2) -> Flatten -> Gemm(8->3).
  conv: 8 positions x 2 out-channels x fan-in 3 = 48 MACs, 6 weights, in 8 values, out 16 values
  fc:   8 x 3 = 24 MACs, 24 weights, in 8 values, out 3 values
  total 72 MACs per inference.
Tech table 45 nm (Horowitz): fp32 MAC = 3.7 + 0.9 = 4.6 pJ; fp16 MAC = 1.1 + 0.4 = 1.5 pJ;
int8 MAC = int8 mult 0.2 + add at the 24-bit accumulator (2*8+8):
  0.03 * (24/8)**k with k = log(0.1/0.03)/log(4) = 0.86848 -> 0.077892 pJ; MAC 0.277892 pJ.
The tiny workload has no weight_bits, so k = core.weight_bits = 8 (model default).
"""
from __future__ import annotations

import math

import pytest

from accelsim.cli import main
from accelsim.report.summary import summary
from accelsim.simulate import run_simulation

K = math.log(0.1 / 0.03) / math.log(4)
INT8_ADD24 = 0.03 * 3.0 ** K
INT8_MAC = 0.2 + INT8_ADD24


def run(arch_path, workload_file):
    return run_simulation(str(arch_path), str(workload_file), backend="numpy")


def test_cnn_compute_only_by_hand(arch_file, workload_file):
    r = run(arch_file, workload_file)
    b = r["baselines"]
    assert list(b) == ["cnn_fp32", "cnn_int8", "snn_compute_only"]
    assert b["cnn_fp32"]["macs"] == 72
    assert b["cnn_fp32"]["energy_pj"] == pytest.approx(72 * 4.6)          # 331.2 pJ
    assert [l["compute_pj"] for l in b["cnn_fp32"]["layers"]] == pytest.approx([48 * 4.6, 24 * 4.6])
    assert b["cnn_int8"]["energy_per_mac_pj"] == pytest.approx(0.277892, abs=1e-6)
    assert b["cnn_int8"]["energy_pj"] == pytest.approx(72 * INT8_MAC)
    assert b["cnn_fp32"]["memory_pj"] == 0.0 and b["cnn_fp32"]["memory_traffic"] == "none"
    snn = r["per_inference"]["energy_pj"]
    for name in ("cnn_fp32", "cnn_int8"):
        assert b[name]["cnn_over_snn"] == pytest.approx(b[name]["energy_pj"] / snn)
        assert b[name]["snn_over_cnn"] * b[name]["cnn_over_snn"] == pytest.approx(1.0)


def test_snn_compute_only_follows_ace_snn_formula(arch_file, workload_file):
    # E = MACs_1 * E_MAC(8) (direct input: evaluated once) + SynOps_fc * E_AC(8);
    # SynOps_fc = input spikes of fc x fan-out 3 (each spike reaches the 3 outputs).
    r = run(arch_file, workload_file)
    fc = next(l for l in r["layers"] if l["name"] == "fc")
    syn_fc = fc["spikes_in"] * 3
    assert fc["synaptic_ops"] == pytest.approx(syn_fc)
    s = r["baselines"]["snn_compute_only"]
    assert s["energy_per_ac_pj"] == pytest.approx(INT8_ADD24)
    assert s["layers"][0]["evaluations"] == 1 and s["layers"][0]["ops"] == 48
    assert s["layers"][1]["zeta"] == pytest.approx(syn_fc / 24)
    assert s["energy_pj"] == pytest.approx(48 * INT8_MAC + syn_fc * INT8_ADD24)
    ratio = r["baselines"]["cnn_fp32"]["cnn_over_snn_compute_only"]
    assert ratio == pytest.approx(72 * 4.6 / (48 * INT8_MAC + syn_fc * INT8_ADD24))


@pytest.mark.parametrize("where, expected_fp32", [
    # SRAM 32 KiB: 20 pJ per 64-bit read -> 0.3125 pJ/bit (write = read).
    # conv: weights 6*32 + in 8*32 + out 16*32 = 960 bits; fc: 24*32 + 8*32 + 3*32 = 1120 bits
    ("sram", (960 + 1120) * 0.3125),
    # DRAM weights at 1300/64 = 20.3125 pJ/bit: (6+24)*32 bits; activations (24+11)*32 bits in SRAM
    ("dram", 30 * 32 * 20.3125 + 35 * 32 * 0.3125),
])
def test_memory_traffic_by_hand(tiny_arch_dict, write_arch, workload_file, where, expected_fp32):
    tiny_arch_dict["baselines"] = {"precisions": ["fp16", 4, 8], "memory_traffic": where, "sram_kib": 32}
    r = run(write_arch(tiny_arch_dict, "arch.yaml"), workload_file)
    b = r["baselines"]
    assert list(b) == ["cnn_fp32", "cnn_int8", "cnn_fp16", "cnn_int4", "snn_compute_only"]
    assert b["cnn_fp32"]["memory_pj"] == pytest.approx(expected_fp32)
    assert b["cnn_fp32"]["energy_pj"] == pytest.approx(72 * 4.6 + expected_fp32)
    assert b["cnn_fp16"]["memory_pj"] == pytest.approx(expected_fp32 / 2)   # 16 of 32 bits
    assert b["cnn_int4"]["memory_pj"] == pytest.approx(expected_fp32 / 8)   # 4 of 32 bits
    assert b["cnn_fp16"]["energy_pj"] == pytest.approx(72 * 1.5 + expected_fp32 / 2)
    # the compute-only ratio ignores memory
    assert b["cnn_fp32"]["cnn_over_snn_compute_only"] == pytest.approx(72 * 4.6 / b["snn_compute_only"]["energy_pj"])


@pytest.mark.parametrize("bad, path", [
    ({"precisions": [1]}, "baselines.precisions"),
    ({"precisions": ["fp8"]}, "baselines.precisions"),
    ({"memory_traffic": "hbm"}, "baselines.memory_traffic"),
    ({"sram_kib": 0}, "baselines.sram_kib"),
])
def test_bad_baseline_section_exits_2(capsys, tiny_arch_dict, write_arch, bad, path):
    tiny_arch_dict["baselines"] = bad
    f = write_arch(tiny_arch_dict)
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert str(f) in err and path in err and "Traceback" not in err


def test_summary_shows_totals_layers_and_baselines(arch_file, workload_file):
    r = run(arch_file, workload_file)
    text = summary(r)
    for frag in ("per inference:", "top components:", "spike rate", "conv", "fc", "cnn_fp32", "cnn_int8",
                 "SNN compute only"):
        assert frag in text
    assert len(text.splitlines()) < 25   # readable at a glance


@pytest.mark.parametrize("arch", ["ace_snn_pim.yaml", "digital_only.yaml"])
def test_shipped_example_reports_have_fp32_and_kbit_baselines(arch):
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    r = run_simulation(str(root / "arch_configs" / arch), str(root / "workloads" / "digits" / "workload.json"),
                       samples=5)
    b = r["baselines"]
    # digits has no weight_bits: k = core.weight_bits = 6; the arch files add fp16 and 8 bits
    assert list(b) == ["cnn_fp32", "cnn_int6", "cnn_fp16", "cnn_int8", "snn_compute_only"]
    for name, entry in b.items():
        assert entry["energy_pj"] > 0
        if entry["kind"] == "cnn":
            assert entry["cnn_over_snn"] == pytest.approx(entry["energy_pj"] / r["per_inference"]["energy_pj"])
            assert entry["cnn_over_snn_compute_only"] > 0
    # fp32 CNN costs more than any integer one (same MACs, dearer MAC)
    assert all(b["cnn_fp32"]["energy_pj"] > e["energy_pj"] for n, e in b.items() if n.startswith("cnn_int"))
