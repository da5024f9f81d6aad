"""PIM configuration: one failing input per PIM rule, and what is deliberately not an error."""
from __future__ import annotations

import pytest

from accelsim.config.loader import load_arch
from accelsim.errors import InputError


def test_clip_ratio_without_calibrated_range_is_an_error(arch_file, expect_problem):
    with pytest.raises(InputError) as err:
        load_arch(arch_file, ["pim.adc_clip_ratio=0.5"])
    expect_problem(err.value, arch_file, "pim.adc_clip_ratio", "only applies with pim.adc_range: calibrated", value=0.5)
    spec = load_arch(arch_file, ["pim.adc_clip_ratio=0.5", "pim.adc_range=calibrated"])
    assert spec.arch.pim.adc_clip_ratio == 0.5


def test_rram_off_resistance_must_exceed_on(arch_file, expect_problem):
    with pytest.raises(InputError) as err:
        load_arch(arch_file, ["tech.overrides={rram: {r_off_kohm: 50.0}}"])
    expect_problem(err.value, arch_file, "tech.overrides.rram.r_off_kohm", "must be greater than r_on_kohm = 100.0")


def test_lossy_adc_is_not_an_error(arch_file):
    spec = load_arch(arch_file, ["pim.adc_bits=2"])      # tiny arch: 16 rows, 1-bit DAC, 2-bit cells
    assert spec.arch.pim.lossless_adc_bits == 6          # ceil(log2(16 * 1 * 3 + 1)) = ceil(5.61)
    assert spec.arch.pim.adc_bits < spec.arch.pim.lossless_adc_bits


@pytest.mark.parametrize("key, value, allowed", [
    ("input_full_scale", 0, "greater than 0"),
    ("adc_clip_ratio", 1.5, "less than or equal to 1"),
    ("replicate_weights", "sometimes", "valid boolean"),
])
def test_new_pim_fields_are_validated(arch_file, expect_problem, key, value, allowed):
    with pytest.raises(InputError) as err:
        load_arch(arch_file, [f"pim.{key}={value}"])
    expect_problem(err.value, arch_file, f"pim.{key}", allowed)
