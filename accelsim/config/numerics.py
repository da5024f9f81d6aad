"""Which parameters change the functional trace, declared in one place.

A parameter *changes numerics* when it can change what the network computes
(spikes, membrane values, outputs): time steps, quantisation of the first
layer, ADC resolution and range, non-idealities. Every other parameter (energies,
clock, sizes of memories, core counts, NoC) only changes cost, so design points
that differ only in those reuse one functional trace.

Keys are dotted ``--set``/``--grid`` keys; an entry ending in ``.`` covers a
whole section.
"""
from __future__ import annotations

from typing import Iterable

# Exactly what the functional engine reads from the architecture: the first
# layer's model, accelsim.hw.first_layer.FirstLayerNumerics.from_arch
# (tests/test_pim_cost.py checks the two agree).
NUMERICS_KEYS: tuple[str, ...] = (
    "workload.",              # time steps and anything else of the workload
    "pim.enabled",            # which model computes the first layer (analog PIM or quantised digital)
    "pim.input_full_scale",   # input quantiser range (both models)
    "pim.rows",               # row tiling: partial sums are digitised per row tile; ADC full scale
    "pim.cell_bits",
    "pim.weight_bits",
    "pim.input_bits",
    "pim.dac_bits",
    "pim.adc_bits",
    "pim.adc_range",
    "pim.adc_clip_ratio",
    "pim.signed_weights",
    "pim.conductance_sigma",
    "pim.adc_offset_lsb",
    "pim.adc_noise_lsb",
    "pim.seed",
    "core.input_bits",        # digital first layer: input precision
    "core.weight_bits",       # digital first layer: weight precision
)


def changes_numerics(key: str) -> bool:
    """True when the dotted ``key`` can change the functional trace."""
    return any(key == k or (k.endswith(".") and key.startswith(k)) for k in NUMERICS_KEYS)


def numerics_part(pairs: Iterable[tuple[str, object]]) -> tuple[tuple[str, object], ...]:
    """The numerics-changing (key, value) pairs of a design point, sorted: a trace cache key."""
    return tuple(sorted((k, v) for k, v in pairs if changes_numerics(k)))
