"""Per-action energies and times of hardware components, from the tech table.

Small pure functions: parameters in, pJ or ns out. Each states its model and the
table entries it uses (sources in accelsim/tech/<node>.yaml). ADC models are
selected by name from :data:`ADC_MODELS` (``pim.adc_model``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from accelsim.config.tech import TechTable


def dac_pj(tech: TechTable, bits: int) -> float:
    """One DAC conversion driving a word line: C * bits * VDD^2 (ZigZag), 1 fF*V^2 = 1e-3 pJ."""
    return tech.dac.cap_ff * bits * tech.vdd_v ** 2 * 1e-3


@dataclass(frozen=True)
class AdcModel:
    """An ADC energy/latency model: ``energy_pj(tech, bits)``, ``conversion_ns(tech, bits)``."""

    name: str
    source: str
    energy_pj: Callable[[TechTable, int], float]
    conversion_ns: Callable[[TechTable, int], float]


def _survey_pj(tech: TechTable, bits: int) -> float:
    a = tech.adc
    return a.survey_pj_4b * (a.survey_pj_8b / a.survey_pj_4b) ** ((bits - 4) / 4.0)


def _survey_ns(tech: TechTable, bits: int) -> float:
    return 1e3 / tech.adc.survey_rate_mhz


def _sar_pj(tech: TechTable, bits: int) -> float:
    a = tech.adc
    return (a.sar_uw_per_bit * bits + a.sar_uw_offset) * _sar_ns(tech, bits) * 1e-3   # uW * ns = 1e-3 pJ


def _sar_ns(tech: TechTable, bits: int) -> float:
    return (bits + 1) * tech.adc.sar_ns_per_cycle


def _walden_pj(tech: TechTable, bits: int) -> float:
    return tech.adc.walden_fom_fj * 2.0 ** bits * 1e-3


ADC_MODELS: dict[str, AdcModel] = {
    "survey": AdcModel("survey", "Murmann ADC survey lower bound as fitted by CiMLoop (45 nm, 100 MS/s): "
                       "E(b) = E4 (E8/E4)^((b-4)/4); one conversion per 1/rate", _survey_pj, _survey_ns),
    "sar": AdcModel("sar", "NeuroSim SAR ADC (45 nm): P = (2.1691 b + 16.693) uW over (b+1) cycles of 1 ns",
                    _sar_pj, _sar_ns),
    "walden": AdcModel("walden", "Walden figure of merit: E = FOM_W 2^b (ENOB = b); conversion time as survey",
                       _walden_pj, _survey_ns),
}


def adc_pj(tech: TechTable, bits: int, model: str) -> float:
    """One ADC conversion at ``bits`` resolution with the named model (see :data:`ADC_MODELS`)."""
    if model not in ADC_MODELS:
        raise ValueError(f"unknown ADC model {model!r}; known: {', '.join(ADC_MODELS)}")
    return ADC_MODELS[model].energy_pj(tech, bits)


def adc_ns(tech: TechTable, bits: int, model: str = "sar") -> float:
    """Time of one ADC conversion at ``bits`` resolution with the named model."""
    if model not in ADC_MODELS:
        raise ValueError(f"unknown ADC model {model!r}; known: {', '.join(ADC_MODELS)}")
    return ADC_MODELS[model].conversion_ns(tech, bits)


def cell_conductance_us(tech: TechTable) -> tuple[float, float]:
    """(G_off, G_on) of a memory cell in uS: 1 / R in kOhm is mS, x 1000 for uS."""
    return 1e3 / tech.rram.r_off_kohm, 1e3 / tech.rram.r_on_kohm


def array_read_pj(tech: TechTable, pulse_ns: float, drive_off: float, drive_on: float) -> float:
    """Energy dissipated in the cells by read pulses: sum over pulses and cells of V^2 G t.

    With V_i = (a_i / a_max) V_read and G_ij = G_off + f_ij (G_on - G_off):
    ``E = V_read^2 t (drive_off G_off + drive_on (G_on - G_off))`` where
    ``drive_off = sum (a_i/a_max)^2 * cells`` and ``drive_on = sum (a_i/a_max)^2 * f_ij``
    (recorded by the functional model). V^2 * uS * ns = 1e-15 J = 1e-3 pJ.
    """
    g_off, g_on = cell_conductance_us(tech)
    return tech.rram.read_v ** 2 * pulse_ns * (drive_off * g_off + drive_on * (g_on - g_off)) * 1e-3


def mult_pj(tech: TechTable, a_bits: int, b_bits: int) -> float:
    """An ``a_bits`` x ``b_bits`` integer multiplier: the table's power law at the geometric
    mean width sqrt(a b) (array-multiplier area and energy grow with a * b)."""
    return tech.int_mult_pj(math.sqrt(a_bits * b_bits))


def fifo_kib(depth: int, word_bits: int) -> float:
    return depth * word_bits / 8.0 / 1024.0


def ceil_div(a: float, b: float) -> int:
    return int(math.ceil(a / b)) if a > 0 else 0
