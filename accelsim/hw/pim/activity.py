"""What the first layer did, as the cost model needs it: recorded by the functional
model, summed over every evaluation of every sample (no energies here).

An *evaluation* is one sample's pass through the layer (once per sample for a
direct input, which the functional engine computes once and reuses; once per
step for a sequence input). The cost model divides by ``evaluations`` and
multiplies by the evaluations per inference it decides on (hold or recompute).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class FirstLayerActivity:
    engine: str                    # "pim" (analog macro) or "core" (quantised digital MACs)
    evaluations: int = 0           # sample-evaluations recorded
    vectors: int = 0               # input vectors (im2col columns) summed over groups
    inputs: int = 0                # input elements quantised
    inputs_clipped: int = 0        # of those, outside [0, input_full_scale]
    nonzero_inputs: int = 0        # quantised inputs != 0
    # PIM only -----------------------------------------------------------
    conversions: int = 0           # ADC conversions
    adc_saturated: int = 0         # conversions clipped at the top code
    row_driven: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # ^ per crossbar row (groups x rows): input slices with a non-zero DAC code
    row_drive_sq: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # ^ per row: sum over input slices of (code / (2^dac_bits - 1))^2 (relative V^2)
    row_level_sum: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # ^ per row: sum over its mapped cells of level / (2^cell_bits - 1) (relative conductance,
    #   variation included); constant, set when the weights are programmed
    row_cells: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # ^ per row: mapped cells (bit lines it crosses in use)
    offset_correction_adds: int = 0  # offset encoding: digital adds of the input sum

    def array_drive(self) -> tuple[float, float]:
        """(sum_i drive_sq_i * cells_i, sum_i drive_sq_i * level_sum_i): with G_off and
        G_on - G_off they give sum over reads of sum_ij (V_i/V_read)^2 * G_ij."""
        if self.row_drive_sq.size == 0:
            return 0.0, 0.0
        return (float(self.row_drive_sq @ self.row_cells.astype(np.float64)),
                float(self.row_drive_sq @ self.row_level_sum))
