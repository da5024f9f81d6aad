"""The one dotted-key setter (accelsim.util.dotted): copy-on-write, sections created, clear failure."""
from __future__ import annotations

import copy

import pytest

from accelsim.util.dotted import NotAMapping, flatten, set_all, set_dotted


def test_set_copies_only_the_path_and_never_mutates_the_input():
    tree = {"pim": {"adc_bits": 4, "rows": 16}, "core": {"count": 2}, "name": "tiny"}
    before = copy.deepcopy(tree)
    out = set_dotted(tree, "pim.adc_bits", 6)
    assert tree == before
    assert out == {"pim": {"adc_bits": 6, "rows": 16}, "core": {"count": 2}, "name": "tiny"}
    assert out["pim"] is not tree["pim"] and out["core"] is tree["core"]  # off the path: shared


def test_set_creates_missing_and_null_sections():
    assert set_dotted({}, "tech.overrides.arith_pj.int8_add", 0.05) == \
        {"tech": {"overrides": {"arith_pj": {"int8_add": 0.05}}}}
    assert set_dotted({"memory": None}, "memory.dram_latency_ns", 10.0) == {"memory": {"dram_latency_ns": 10.0}}


def test_set_all_applies_in_order_without_mutating():
    tree = {"pim": {"adc_bits": 4}}
    out = set_all(tree, [("pim.adc_bits", 5), ("pim.rows", 8), ("pim.adc_bits", 6)])
    assert out == {"pim": {"adc_bits": 6, "rows": 8}} and tree == {"pim": {"adc_bits": 4}}
    assert set_all(tree, []) == tree and set_all(tree, []) is not tree


def test_a_path_through_a_value_names_the_prefix_and_its_value():
    tree = {"pim": {"adc_bits": 4}}
    with pytest.raises(NotAMapping) as err:
        set_dotted(tree, "pim.adc_bits.lsb.x", 1)
    assert (err.value.key, err.value.prefix, err.value.value) == ("pim.adc_bits.lsb.x", "pim.adc_bits", 4)
    assert "pim.adc_bits = 4 is not a section; cannot set pim.adc_bits.lsb.x inside it" in str(err.value)
    assert tree == {"pim": {"adc_bits": 4}}


def test_flatten_is_the_inverse_of_set_all():
    nested = {"arith_pj": {"int8_add": 0.05, "int32_add": 0.1}, "vdd_v": 0.9, "empty": {}}
    flat = flatten(nested)
    assert flat == [("arith_pj.int8_add", 0.05), ("arith_pj.int32_add", 0.1), ("vdd_v", 0.9), ("empty", {})]
    assert set_all({}, flat) == nested
