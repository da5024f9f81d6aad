"""Technology scaling across nodes and supplies (accelsim/tech/scaling.py, derived.py)."""
from __future__ import annotations

import math

import pytest

from accelsim.errors import InputError
from accelsim.tech.scaling import ScalingRangeError, cv2_ratio, factor, logic_ratio, nodes_nm, nominal_vdd
from accelsim.tech.table import available_nodes, load_tech

# Stillmaker & Baas (Integration 58:74-81, 2017), their polynomials evaluated at each node's
# nominal supply, as tabulated independently of the coefficients (the validation set's
# nominal-Vdd factor table): node -> (Vdd, delay, energy, power)
AT_NOMINAL = {130: (1.3, 31.961, 6.30129, 31208.8), 65: (1.1, 19.1517, 1.68075, 8397.9),
              45: (1.0, 12.5, 0.8612, 4224.4), 20: (0.9, 9.4673, 0.20079, 1509.32),
              7: (0.7, 3.2391, 0.04781, 340.12)}


@pytest.mark.parametrize("node", sorted(AT_NOMINAL))
def test_polynomials_match_the_tabulated_nominal_factors(node):
    v, d, e, p = AT_NOMINAL[node]
    assert nominal_vdd(node) == v
    assert factor("delay", node, v) == pytest.approx(d, rel=2e-4)
    assert factor("energy", node, v) == pytest.approx(e, rel=2e-4)
    assert factor("power", node, v) == pytest.approx(p, rel=2e-4)


def test_22nm_is_the_log_log_interpolation():
    t = math.log(32 / 22) / math.log(32 / 20)
    for kind in ("delay", "energy", "power"):
        expect = factor(kind, 32, 0.8) ** (1 - t) * factor(kind, 20, 0.8) ** t
        assert factor(kind, 22, 0.8) == pytest.approx(expect, rel=1e-12)
    assert 22 in nodes_nm()


def test_laws():
    assert cv2_ratio(1.0, 0.7) == pytest.approx(0.49)
    assert logic_ratio("energy", 45, 1.0, 45, 1.0) == 1.0
    assert logic_ratio("energy", 45, 1.0, 7, 0.7) == pytest.approx(0.04781 / 0.8612, rel=2e-4)
    assert logic_ratio("delay", 45, 1.0, 45, 0.8) > 1.0           # slower at a lower supply


def test_out_of_range():
    with pytest.raises(ScalingRangeError, match="threshold"):
        factor("energy", 45, 0.4)
    with pytest.raises(ScalingRangeError, match="beyond"):
        factor("energy", 45, 1.6)
    with pytest.raises(ScalingRangeError, match="no scaling table"):
        factor("energy", 28, 0.9)


def test_node_tables_shipped_and_derived():
    assert {"7nm", "22nm", "45nm", "65nm", "130nm"} <= set(available_nodes())
    base = load_tech("45nm")
    for name, node in (("7nm", 7), ("22nm", 22), ("65nm", 65), ("130nm", 130)):
        t = load_tech(name)
        e = logic_ratio("energy", 45, 0.9, node, nominal_vdd(node))
        assert t.node_nm == node and t.vdd_v == nominal_vdd(node)
        assert t.arith_pj.int8_add == pytest.approx(base.arith_pj.int8_add * e, rel=1e-12)
        assert t.sram_read_64b_pj[8] == pytest.approx(base.sram_read_64b_pj[8] * e, rel=1e-12)
        assert t.dram_pj_per_bit == base.dram_pj_per_bit                 # off chip: unchanged
        assert t.noc_link_pj_per_bit_mm == pytest.approx(
            base.noc_link_pj_per_bit_mm * (nominal_vdd(node) / 0.9) ** 2, rel=1e-12)


def test_vdd_moves_a_table_and_bad_supply_is_an_input_error():
    base, low = load_tech("45nm"), load_tech("45nm", vdd=0.7)
    assert low.adc.survey_pj_8b == pytest.approx(base.adc.survey_pj_8b * (0.7 / 0.9) ** 2, rel=1e-12)
    assert low.arith_pj.int32_mult == pytest.approx(
        base.arith_pj.int32_mult * logic_ratio("energy", 45, 0.9, 45, 0.7), rel=1e-12)
    assert load_tech("45nm", vdd=0.9) == base
    with pytest.raises(InputError, match=r"a.yaml: tech.vdd = 0.2: supply out of range"):
        load_tech("45nm", vdd=0.2, file="a.yaml")


def test_survey_bound_adc_by_hand():
    """Schreier FOM front at 100 MS/s: 302.74 - 6.461 ln(1e8) = 183.7 dB, capped at 180.14 dB."""
    from accelsim.tech.adc import adc_pj
    t = load_tech("45nm")
    for bits in (4, 8, 12):
        sndr = 6.02 * bits + 1.76
        assert adc_pj(t, bits, "survey_bound") == pytest.approx(10 ** ((sndr - 180.14159078904734) / 10) / 2 * 1e12,
                                                                rel=1e-12)
    fast = load_tech("45nm").model_copy(update={"adc": t.adc.model_copy(update={"survey_rate_mhz": 1000.0})})
    foms = 302.7387019052544 - 6.460790934271676 * math.log(1e9)           # 168.8 dB: below the cap
    assert adc_pj(fast, 8, "survey_bound") == pytest.approx(10 ** ((6.02 * 8 + 1.76 - foms) / 10) / 2 * 1e12, rel=1e-12)
