"""A run priced by the macro's circuit blocks (accelsim/hw/pim/circuit_cost.py).

Blocks that restate the technology table's per-action energies give the table model's
figures; a validated macro's blocks scale with node and supply; a per-MVM converting
macro needs one input slice.
"""
from __future__ import annotations

import pytest
import yaml

from accelsim.config.loader import load_arch
from accelsim.errors import InputError
from accelsim.hw.pim.periphery import cell_conductance_us, dac_pj
from accelsim.simulate import run_simulation
from accelsim.tech.adc import adc_pj

from conftest import TINY_ARCH_YAML


def _blocks(arch_path) -> list[dict]:
    spec = load_arch(arch_path)
    tech, pim = spec.tech, spec.arch.pim
    g_off, g_on = cell_conductance_us(tech)
    read = tech.rram.read_v ** 2 * pim.read_pulse_ns * 1e-3
    v = tech.vdd_v
    return [
        {"name": "dac", "per": "row", "pj": dac_pj(tech, pim.dac_bits), "data": "input", "vdd_v": v},
        {"name": "array_off", "per": "cell", "pj": read * g_off, "data": "input", "vdd_v": v, "supply": "fixed"},
        {"name": "array_on", "per": "cell", "pj": read * (g_on - g_off), "data": "product", "vdd_v": v,
         "supply": "fixed"},
        {"name": "adc", "per": "conversion", "pj": adc_pj(tech, pim.adc_bits, pim.adc_model), "vdd_v": v},
    ]


@pytest.fixture()
def tiny_pair(tmp_path, workload_file):
    base = tmp_path / "base.yaml"
    base.write_text(TINY_ARCH_YAML, encoding="utf-8")
    raw = yaml.safe_load(TINY_ARCH_YAML)
    raw["macro"] = {"blocks": _blocks(base)}
    circ = tmp_path / "circuit.yaml"
    circ.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return base, circ, workload_file


def test_blocks_restating_the_table_give_the_table_model(tiny_pair):
    base, circ, wl = tiny_pair
    a = run_simulation(str(base), str(wl), samples=4)
    b = run_simulation(str(circ), str(wl), samples=4)
    ea, eb = a["energy_breakdown_pj"], b["energy_breakdown_pj"]
    assert eb["pim.adc"] == pytest.approx(ea["pim.adc"], rel=1e-12)
    assert eb["pim.dac"] == pytest.approx(ea["pim.dac"], rel=1e-12)
    assert eb["pim.array_off"] + eb["pim.array_on"] == pytest.approx(ea["pim.array"], rel=1e-12)
    assert eb["pim.buffer"] == pytest.approx(ea["pim.buffer"], rel=1e-12)
    # same time model without macro.cycle_ns: read pulse + serialised conversions per slice
    assert b["per_inference"]["latency_ns"] == pytest.approx(a["per_inference"]["latency_ns"], rel=1e-12)


def test_circuit_blocks_follow_the_supply(tiny_pair, tmp_path):
    base, circ, wl = tiny_pair
    lo = run_simulation(str(circ), str(wl), ["tech.vdd=0.8"], samples=2)["energy_breakdown_pj"]
    hi = run_simulation(str(circ), str(wl), samples=2)["energy_breakdown_pj"]
    assert lo["pim.adc"] == pytest.approx(hi["pim.adc"] * (0.8 / 0.9) ** 2, rel=1e-12)     # C V^2, core supply
    assert lo["pim.array_on"] == pytest.approx(hi["pim.array_on"], rel=1e-12)              # fixed read supply


def test_per_mvm_conversion_needs_one_input_slice(tiny_pair, tmp_path):
    base, circ, wl = tiny_pair
    with pytest.raises(InputError, match="pim.dac_bits.*per_mvm converts once per MVM"):
        run_simulation(str(circ), str(wl), ["macro.convert=per_mvm"], samples=1)


def test_per_mvm_macro_with_bit_serial_pulses(tiny_pair):
    """One functional slice (dac_bits = input_bits = 4) standing for 4 bit-serial pulse phases
    (macro.pulse_bits = 1) integrated once per MVM: array ops and rows x 4 phases, one
    conversion per bit line and vector; time per vector = cycle + 15 levels + adc bits x t_bit."""
    base, circ, wl = tiny_pair
    sets = ["pim.dac_bits=4", "macro.convert=per_mvm", "macro.pulse_bits=1", "macro.cycle_ns=100.0",
            "macro.level_ns=10.0", "macro.adc_ns_per_bit=5.0", "pim.adc_share=1"]
    extra = {"name": "ctrl", "per": "array_op", "pj": 1.0, "vdd_v": 0.9}
    raw = yaml.safe_load(circ.read_text())
    raw["macro"]["blocks"].append(extra)
    circ.write_text(yaml.safe_dump(raw))
    rep = run_simulation(str(circ), str(wl), sets, samples=1)
    info = rep["layers"][0]["cost_details"]
    assert info["vector_ns"] == pytest.approx(100.0 + 10.0 * 15 + 5.0 * 4, rel=1e-12)
    spec = load_arch(circ, sets)
    from accelsim.hw.pim.mapping import map_layer
    from accelsim.engine.lower import lower
    from accelsim.workload import load_workload
    layer = lower(load_workload(wl))[0]
    m = map_layer(layer, spec.arch.pim)
    evals = info["evaluations"]
    assert rep["energy_breakdown_pj"]["pim.ctrl"] == pytest.approx(
        1.0 * m.vectors * m.groups * 4 * m.row_tiles * m.col_tiles * evals, rel=1e-12)


def test_ace_snn_pim_uses_the_scaled_neurram_blocks():
    """The shipped architecture (re-derived from NeuRRAM) prices its first layer with NeuRRAM's blocks moved to 45 nm:
    word-line energy per row and pulse phase = 2.3015 pJ x 45/130 (C V^2 at its own 2.2 V supply)."""
    from pathlib import Path
    from accelsim.hw.pim.circuit import evaluate_spec
    root = Path(__file__).resolve().parent.parent
    spec = load_arch(root / "arch_configs" / "ace_snn_pim.yaml")
    out = evaluate_spec(spec)
    rows, phases = spec.arch.pim.rows, spec.arch.pim.input_bits        # pulse_bits 1: one phase per input bit
    assert out["energy_pj_by_block"]["wl_switching"] == pytest.approx(2.30147903488 * 45 / 130 * rows * phases,
                                                                      rel=1e-12)
    rep = run_simulation(str(root / "arch_configs" / "ace_snn_pim.yaml"),
                         str(root / "workloads" / "digits" / "workload.json"), samples=4)
    keys = {k for k in rep["energy_breakdown_pj"] if k.startswith("pim.")}
    assert keys == {"pim.wl_switching", "pim.input_pulses", "pim.neuron_integrate", "pim.neuron_convert", "pim.buffer"}
