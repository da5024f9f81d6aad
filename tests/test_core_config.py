"""Spike-core configuration: the Vmem word width rule and its effect."""
from __future__ import annotations

import pytest

from accelsim.config.loader import load_arch
from accelsim.cost import model
from accelsim.errors import InputError

from tests.test_core_handworked import hand  # noqa: F401  (module-scoped fixture)


def test_vmem_word_must_hold_a_membrane(arch_file, expect_problem):
    with pytest.raises(InputError) as err:
        load_arch(arch_file, [("core.vmem_word_bits", 15), ("core.vmem_bits", 16)])
    expect_problem(err.value, arch_file, "core.vmem_word_bits", "must be at least core.vmem_bits = 16", value=15)
    # with its own Vmem word, the weight SRAM word only has to hold a weight
    spec = load_arch(arch_file, [("core.vmem_word_bits", 16), ("core.sram_word_bits", 8), ("core.weight_bits", 8)])
    assert spec.arch.core.vmem_word == 16
    with pytest.raises(InputError) as err:
        load_arch(arch_file, [("core.vmem_word_bits", 16), ("core.sram_word_bits", 8), ("core.weight_bits", 9)])
    expect_problem(err.value, arch_file, "core.sram_word_bits", "must be at least core.weight_bits = 9", value=8)


def test_narrow_vmem_word(hand):  # noqa: F811
    """The hand-worked network with a 16-bit Vmem word: one membrane per word. fc2 has one neuron per
    core, so its Vmem word count is unchanged (10 synaptic + 4 update words) but each access moves
    16 instead of 64 bits; the first layer's 2 neurons per core now take 2 words per update (8 words)."""
    job, trace, wide = hand
    spec = job.spec
    narrow = type(spec)(spec.arch.model_copy(update={"core": spec.arch.core.model_copy(
        update={"vmem_word_bits": 16})}), spec.tech, spec.source)
    cost = model.evaluate(trace, narrow, job.graph)
    t = spec.tech
    rw16 = t.sram_access_pj(2.0, 16) + t.sram_access_pj(2.0, 16, write=True)
    assert cost.layers[1].energy_pj["core.vmem"] == pytest.approx(14 * rw16)
    assert cost.layers[1].energy_pj["core.vmem"] == pytest.approx(wide.layers[1].energy_pj["core.vmem"] / 4)
    assert cost.layers[0].info["neurons_on_cores"]["vmem_words_rmw"] == 8
