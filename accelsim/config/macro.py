"""The ``macro`` section: circuit-level description of one PIM macro, for ``accelsim macro``.

The geometry and bit widths are the ``pim`` section's; this section adds what a
silicon macro's paper publishes: its cycle, how inputs are applied and outputs
converted, the data statistics of its headline figure, and its blocks, each an
energy per event with the supply and scaling law it follows and whether the
paper's figure counts it. Model and equations: :mod:`accelsim.hw.pim.circuit`,
docs/validation.md. An architecture without blocks gets them from its technology
table and ``pim`` components (the run's per-action energies).
"""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, field_validator
from accelsim.util.strict import StrictModel

EVENTS = ("array_op", "row", "cell", "column", "conversion", "mvm")
ADC_BIT_LAWS = ("none", "linear", "exp2", "survey")


class MacroBlock(StrictModel):
    """One block of the macro: energy ``pj`` per ``per`` event, at supply ``vdd_v`` and full activity."""

    name: str = Field(description="block name in the breakdown (e.g. adc, dac, array)")
    per: Literal[EVENTS] = Field(description="event the energy is per: array_op (one per input slice), row "
                                 "(active row per array op), cell (active row x column per array op), column "
                                 "(column per array op), conversion (ADC conversion), mvm (once per MVM)")
    pj: float = Field(ge=0, description="energy per event (pJ) at vdd_v, the reference resolution and activity 1")
    data: Literal["none", "input", "product"] = Field(
        "none", description="activity the energy is proportional to: none, the mean input fraction, or the mean "
                            "input x weight fraction (macro.input_fraction, macro.weight_fraction)")
    supply: Literal["core", "fixed"] = Field(
        "core", description="core: follows tech.vdd from vdd_v by the block's law; fixed: its own supply (vdd_v)")
    vdd_v: float = Field(gt=0, le=5, description="supply at which pj (and static_uw) hold (V)")
    law: Literal["cv2", "logic"] = Field(
        "cv2", description="scaling law: cv2 (switched capacitance, C V^2, C proportional to feature size) or "
                           "logic (Stillmaker & Baas energy and power)")
    bits: Literal[ADC_BIT_LAWS] = Field(
        "none", description="dependence on pim.adc_bits relative to macro.adc_ref_bits: none, linear (one step "
                            "per bit), exp2 (2^b: counting/ramp or Walden-limited), survey (Murmann-survey "
                            "energy bound, 4^b above 4 bits; 4 <= adc_bits <= 16)")
    static_uw: float = Field(0.0, ge=0, description="static (leakage) power at vdd_v (uW); unknown = 0, stated")
    area_um2: float = Field(0.0, ge=0, description="area (um^2) where published; 0 = not modelled")
    counted: bool = Field(True, description="the paper's figure counts this block (energy and area)")
    note: str = Field("", description="where the value comes from (published, fitted to which point, derived)")


class MacroConfig(StrictModel):
    """Circuit-level PIM macro description (``accelsim macro``; docs/validation.md)."""

    source: str = Field("", description="the macro's paper (shown in the output)")
    node_nm: Optional[float] = Field(None, gt=0, description="node at which the blocks' energies and cycle_ns hold "
                                     "(nm); default the tech table's")
    instances: int = Field(1, ge=1, le=65536, description="identical macros counted together in tops")
    active_rows: Optional[int] = Field(None, ge=1, le=8192, description="rows driven per array op; default pim.rows")
    columns_per_weight: Optional[int] = Field(
        None, ge=1, le=64, description="bit lines per weight; default from pim (weight slices x 2 if differential)")
    columns_per_conversion: int = Field(
        1, ge=1, le=64, description="bit lines combined in analog before one conversion (C-2C ladder: 8)")
    differential_subtract: bool = Field(
        False, description="subtract a differential pair in analog before conversion (one conversion per pair)")
    signed_inputs: bool = Field(False, description="signed inputs: input_bits - 1 magnitude bits (at least 1) are "
                                "applied, the sign by the pulse polarity")
    pulse_bits: Optional[int] = Field(
        None, ge=1, le=16, description="input bits the physical driver applies per pulse phase when it differs from "
                                       "pim.dac_bits (e.g. bit-serial pulses integrated once per MVM, run with one "
                                       "functional input slice); default pim.dac_bits")
    convert: Literal["per_slice", "per_mvm"] = Field(
        "per_slice", description="ADC conversions after every input slice, or once per MVM (integrating neurons)")
    cycle_ns: Optional[float] = Field(None, gt=0, description="time of one array op (per_slice), or the fixed part of one "
                                      "MVM (per_mvm) (ns), at cycle_vdd; logic-limited: scales with the Stillmaker "
                                      "& Baas delay. Default: pim.read_pulse_ns + "
                                      "serialised conversions of the table's ADC")
    cycle_vdd: Optional[float] = Field(None, gt=0, le=5, description="supply at which cycle_ns holds (V); "
                                       "default the tech table's")
    level_ns: float = Field(0.0, ge=0, description="integration time per input level (pulse count or width) (ns); "
                            "an MVM integrates 2^(applied input bits) - 1 levels")
    adc_ns_per_bit: float = Field(0.0, ge=0, description="conversion time per output bit, per serialised "
                                  "conversion (ns)")
    adc_ref_bits: Optional[int] = Field(None, ge=1, le=16, description="ADC resolution at which the blocks' pj "
                                        "hold; default pim.adc_bits")
    input_fraction: float = Field(0.5, ge=0, le=1, description="mean input code / largest code (data statistics)")
    weight_fraction: float = Field(0.5, ge=0, le=1, description="mean weight magnitude / largest (data statistics)")
    blocks: list[MacroBlock] = Field(default_factory=list, description="the macro's blocks; empty: from the "
                                     "technology table and pim components")

    @field_validator("blocks")
    @classmethod
    def _unique_names(cls, v: list[MacroBlock]) -> list[MacroBlock]:
        names = [b.name for b in v]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"block names must be unique (one breakdown entry each); repeated: {', '.join(repeated)}")
        return v
