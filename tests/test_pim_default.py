"""The shipped ace_snn_pim.yaml's PIM macro is the validated NeuRRAM macro moved to 45 nm.

The expected values are computed here from arch_configs/validation/wan_nature_2022.yaml
and the scaling law (accelsim/tech/scaling.py), not copied: a change of either file,
or of the law, that is not carried into the shipped file fails these tests.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from accelsim.config.loader import load_arch
from accelsim.hw.pim.circuit import evaluate
from accelsim.tech.scaling import cv2_ratio, logic_ratio
from accelsim.tech.table import load_tech

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "arch_configs" / "ace_snn_pim.yaml"
VALIDATED = ROOT / "arch_configs" / "validation" / "wan_nature_2022.yaml"


@pytest.fixture(scope="module")
def specs():
    return load_arch(SHIPPED), load_arch(VALIDATED)


def test_blocks_are_the_validated_blocks_scaled_to_45nm(specs):
    shipped, valid = specs
    node1, v1 = shipped.tech.node_nm, shipped.tech.vdd_v
    node0 = valid.arch.macro.node_nm
    assert (node0, node1, v1) == (130, 45, 0.9)
    assert shipped.arch.macro.node_nm == node1
    got = {b.name: b for b in shipped.arch.macro.blocks}
    assert list(got) == [b.name for b in valid.arch.macro.blocks]
    for b in valid.arch.macro.blocks:
        s = got[b.name]
        if b.law == "cv2":            # switched capacitance: C ~ feature size, own supply kept when fixed
            assert b.supply == "fixed" and s.vdd_v == b.vdd_v
            want = b.pj * cv2_ratio(b.vdd_v, s.vdd_v) * node1 / node0
        else:                         # logic: Stillmaker & Baas energy ratio to the table's supply
            assert s.vdd_v == v1
            want = b.pj * logic_ratio("energy", node0, b.vdd_v, node1, v1)
        assert s.pj == pytest.approx(want, rel=1e-12), b.name
        for k in ("per", "data", "supply", "law", "bits", "static_uw", "counted"):
            assert getattr(s, k) == getattr(b, k), (b.name, k)


def test_times_and_scheme_are_the_validated_macros(specs):
    shipped, valid = specs
    sm, vm = shipped.arch.macro, valid.arch.macro
    assert sm.cycle_vdd == shipped.tech.vdd_v
    assert sm.cycle_ns == pytest.approx(vm.cycle_ns * logic_ratio("delay", vm.node_nm, vm.cycle_vdd,
                                                                   sm.node_nm, sm.cycle_vdd), rel=1e-12)
    for k in ("level_ns", "adc_ns_per_bit", "adc_ref_bits", "differential_subtract", "convert",
              "columns_per_conversion"):
        assert getattr(sm, k) == getattr(vm, k), k
    assert sm.pulse_bits == valid.arch.pim.dac_bits == 1                 # bit-serial pulses
    for k in ("rows", "cols", "cell_bits", "signed_weights", "adc_share"):
        assert getattr(shipped.arch.pim, k) == getattr(valid.arch.pim, k), k
    assert shipped.arch.pim.adc_bits == 10                                # NeuRRAM's neuron: 1-10 b


@pytest.mark.parametrize("vdd", [0.8, 0.9, 1.1])
def test_same_figures_as_the_validated_file_run_at_45nm(specs, vdd):
    """The pre-scaled blocks at 45 nm give what the 130 nm file gives when the run scales it
    (``macro.node_nm = 130`` on a 45 nm table), at the table's and other supplies."""
    shipped, valid = specs
    tech = load_tech("45nm", vdd=vdd) if vdd != 0.9 else shipped.tech
    pim = shipped.arch.pim
    at45 = evaluate(tech, pim, shipped.arch.macro)
    moved = evaluate(tech, pim, valid.arch.macro.model_copy(update={
        "instances": 1, "signed_inputs": False, "pulse_bits": 1, "source": shipped.arch.macro.source}))
    assert at45["mvm_ns"] == pytest.approx(moved["mvm_ns"], rel=1e-12)
    assert at45["energy_pj_by_block"] == pytest.approx(moved["energy_pj_by_block"], rel=1e-12)
    assert at45["tops_per_w"] == pytest.approx(moved["tops_per_w"], rel=1e-12)
