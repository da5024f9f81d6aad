"""Cross-field rules of the architecture, one named check per rule.

Each rule takes the validated :class:`Arch` and yields ``(dotted_path, value,
message)`` for every violation. Add a rule by writing a function and listing it
in :data:`ARCH_RULES`.
"""
from __future__ import annotations

from typing import Iterator

from accelsim.config.arch import Arch

Violation = tuple[str, object, str]


def mesh_holds_all_cores(arch: Arch) -> Iterator[Violation]:
    nodes = arch.noc.mesh_x * arch.noc.mesh_y
    if arch.core.count > nodes:
        yield ("core.count", arch.core.count,
               f"must be at most noc.mesh_x * noc.mesh_y = {nodes} (one core per mesh node)")


def dac_not_wider_than_input(arch: Arch) -> Iterator[Violation]:
    if arch.pim.dac_bits > arch.pim.input_bits:
        yield ("pim.dac_bits", arch.pim.dac_bits, f"must be at most pim.input_bits = {arch.pim.input_bits}")


def signed_weights_need_two_bits(arch: Arch) -> Iterator[Violation]:
    if arch.pim.weight_bits < 2:
        yield ("pim.weight_bits", arch.pim.weight_bits, "must be at least 2 (sign + magnitude)")


def differential_needs_even_columns(arch: Arch) -> Iterator[Violation]:
    if arch.pim.signed_weights == "differential" and arch.pim.cols < 2:
        yield ("pim.cols", arch.pim.cols, "must be at least 2 for differential column pairs")


def clip_ratio_needs_calibrated_range(arch: Arch) -> Iterator[Violation]:
    # adc_bits below the lossless bound is a legitimate design point (reported as
    # cost_details.adc_lossy), not an error; a setting that would be ignored is.
    if arch.pim.adc_clip_ratio != 1.0 and arch.pim.adc_range != "calibrated":
        yield ("pim.adc_clip_ratio", arch.pim.adc_clip_ratio,
               "only applies with pim.adc_range: calibrated (the full-scale range does not clip)")


def sram_word_holds_a_weight_and_a_membrane(arch: Arch) -> Iterator[Violation]:
    """The spike core packs whole weights and membrane potentials into SRAM words."""
    c = arch.core
    if c.vmem_word_bits is None:
        need = max(c.weight_bits, c.vmem_bits)
        if c.sram_word_bits < need:
            yield ("core.sram_word_bits", c.sram_word_bits,
                   f"must be at least max(core.weight_bits, core.vmem_bits) = {need} (whole values per SRAM word)")
        return
    if c.sram_word_bits < c.weight_bits:
        yield ("core.sram_word_bits", c.sram_word_bits,
               f"must be at least core.weight_bits = {c.weight_bits} (whole weights per SRAM word)")
    if c.vmem_word_bits < c.vmem_bits:
        yield ("core.vmem_word_bits", c.vmem_word_bits,
               f"must be at least core.vmem_bits = {c.vmem_bits} (whole membranes per SRAM word)")


def fixed_numerics_need_signed_words(arch: Arch) -> Iterator[Violation]:
    """Fixed-point cores hold signed weights and membranes: a sign bit and at least one magnitude bit."""
    c = arch.core
    if c.numerics != "fixed":
        return
    for key in ("weight_bits", "vmem_bits"):
        if getattr(c, key) < 2:
            yield (f"core.{key}", getattr(c, key), "must be at least 2 with core.numerics: fixed (sign + magnitude)")


def adc_bits_in_the_model_range(arch: Arch) -> Iterator[Violation]:
    """The ADC model holds for the resolution (accelsim/tech/adc.py: each model's bits_range)."""
    from accelsim.tech.adc import ADC_MODELS

    lo, hi = ADC_MODELS[arch.pim.adc_model].bits_range
    if not lo <= arch.pim.adc_bits <= hi:
        yield ("pim.adc_bits", arch.pim.adc_bits,
               f"the {arch.pim.adc_model} ADC model holds for {lo} to {hi} bits (pim.adc_model)")


def macro_fits_the_array(arch: Arch) -> Iterator[Violation]:
    """The macro section describes the pim array: its active rows and a weight's columns fit it."""
    m, p = arch.macro, arch.pim
    if m.active_rows is not None and m.active_rows > p.rows:
        yield ("macro.active_rows", m.active_rows, f"must be at most pim.rows = {p.rows}")
    if m.columns_per_weight is not None and m.columns_per_weight > p.cols:
        yield ("macro.columns_per_weight", m.columns_per_weight, f"must be at most pim.cols = {p.cols}")


def macro_cycle_vdd_needs_cycle(arch: Arch) -> Iterator[Violation]:
    if arch.macro.cycle_vdd is not None and arch.macro.cycle_ns is None:
        yield ("macro.cycle_vdd", arch.macro.cycle_vdd, "only applies with macro.cycle_ns (the cycle it was measured at)")


def differential_subtract_needs_pairs(arch: Arch) -> Iterator[Violation]:
    """Analog subtraction before one conversion needs a differential column pair to subtract;
    offset-encoded weights sit in one column (group) with no partner."""
    if arch.macro.differential_subtract and arch.pim.signed_weights != "differential":
        yield ("macro.differential_subtract", True,
               f"needs pim.signed_weights: differential (got {arch.pim.signed_weights!r}: an offset-encoded weight "
               "has no column pair to subtract)")


ARCH_RULES = (
    mesh_holds_all_cores,
    sram_word_holds_a_weight_and_a_membrane,
    dac_not_wider_than_input,
    signed_weights_need_two_bits,
    differential_needs_even_columns,
    clip_ratio_needs_calibrated_range,
    fixed_numerics_need_signed_words,
    adc_bits_in_the_model_range,
    macro_fits_the_array,
    macro_cycle_vdd_needs_cycle,
    differential_subtract_needs_pairs,
)
