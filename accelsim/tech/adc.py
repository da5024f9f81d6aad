"""ADC energy and conversion-time models, selected by name (``pim.adc_model``).

Each model is a pair of pure functions of the technology table and the
resolution; its source is stated beside it. The architecture's ``pim.adc_model``
choices are the keys of :data:`ADC_MODELS` (derived, not listed twice).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from accelsim.tech.table import TechTable


@dataclass(frozen=True)
class AdcModel:
    """An ADC energy/latency model: ``energy_pj(tech, bits)``, ``conversion_ns(tech, bits)``."""

    name: str
    source: str
    energy_pj: Callable[[TechTable, int], float]
    conversion_ns: Callable[[TechTable, int], float]
    bits_range: tuple[int, int] = (1, 16)     # resolutions the model holds for (pim.adc_bits outside: an error)


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


# Murmann ADC survey (1997-2021) energy bound as fitted by the Accelergy ADC plug-in
# (Andrulis et al., Accelergy-Project/accelergy-adc-plug-in, adc_data/model.yaml, MIT licence):
# the Pareto front of the Schreier figure of merit FOM_S = SNDR + 10 log10(f_s / 2 / P) over
# sample rate, FOM_S(f) = min(FOMS_MAX_DB, FOMS_INTERCEPT_DB + FOMS_SLOPE_DB_PER_LN_HZ ln f),
# fitted on ADCs of 4 bits and more; E = P / f_s = 10^((SNDR - FOM_S) / 10) / 2, SNDR = 6.02 b + 1.76 dB.
FOMS_MAX_DB = 180.14159078904734
FOMS_INTERCEPT_DB = 302.7387019052544
FOMS_SLOPE_DB_PER_LN_HZ = -6.460790934271676
FOMS_MAX_LN_HZ = 23.495854559186192      # the fit's highest sample rate: e^23.5 = 1.6 GS/s


def _survey_bound_pj(tech: TechTable, bits: int) -> float:
    f_hz = tech.adc.survey_rate_mhz * 1e6
    foms = min(FOMS_MAX_DB, FOMS_INTERCEPT_DB + FOMS_SLOPE_DB_PER_LN_HZ * math.log(min(f_hz, math.exp(FOMS_MAX_LN_HZ))))
    return 10.0 ** ((6.02 * bits + 1.76 - foms) / 10.0) / 2.0 * 1e12


ADC_MODELS: dict[str, AdcModel] = {
    "survey": AdcModel("survey", "Murmann ADC survey lower bound as fitted by CiMLoop (45 nm, 100 MS/s): "
                       "E(b) = E4 (E8/E4)^((b-4)/4); one conversion per 1/rate", _survey_pj, _survey_ns),
    "sar": AdcModel("sar", "NeuroSim SAR ADC (45 nm): P = (2.1691 b + 16.693) uW over (b+1) cycles of 1 ns",
                    _sar_pj, _sar_ns),
    "walden": AdcModel("walden", "Walden figure of merit: E = FOM_W 2^b (ENOB = b); conversion time as survey",
                       _walden_pj, _survey_ns),
    "survey_bound": AdcModel("survey_bound", "Murmann survey energy bound (Schreier FOM Pareto front over sample rate, "
                             "Accelergy ADC plug-in fit): E = 10^((6.02 b + 1.76 - FOM_S(f)) / 10) / 2 at "
                             "adc.survey_rate_mhz; the best published ADC, an optimistic bound; 4 to 16 bits",
                             _survey_bound_pj, _survey_ns, bits_range=(4, 16)),
}


def _model(model: str) -> AdcModel:
    if model not in ADC_MODELS:
        raise ValueError(f"unknown ADC model {model!r}; known: {', '.join(ADC_MODELS)}")
    return ADC_MODELS[model]


def adc_pj(tech: TechTable, bits: int, model: str) -> float:
    """One ADC conversion at ``bits`` resolution with the named model (see :data:`ADC_MODELS`)."""
    return _model(model).energy_pj(tech, bits)


def adc_ns(tech: TechTable, bits: int, model: str = "sar") -> float:
    """Time of one ADC conversion at ``bits`` resolution with the named model."""
    return _model(model).conversion_ns(tech, bits)
