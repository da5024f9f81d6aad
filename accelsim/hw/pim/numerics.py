"""The first layer's synaptic node on PIM crossbar macros, inside the functional engine.

Inputs and weights are quantised (``pim.input_bits``, ``pim.weight_bits``) and the
integer product is computed by the crossbar model
(:class:`~accelsim.hw.pim.macro.ProgrammedLayer`: bit-sliced weights, input
slices, bit-line sums, ADC, shift-and-add, non-idealities); the executor records a
:class:`~accelsim.hw.first_layer.FirstLayerActivity` for the cost model.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from accelsim.hw.first_layer import QuantExec
from accelsim.hw.pim.macro import MacroParams, ProgrammedLayer

BLOCK_ELEMENTS = 1 << 24  # im2col (+ ADC noise) elements per block of samples: bounds memory


class PimExec(QuantExec):
    """The layer on crossbar macros (see :mod:`accelsim.hw.pim.macro`)."""

    def __init__(self, graph, node, backend, params: MacroParams, input_full_scale: float, key: int = 0):
        super().__init__(graph, node, backend, params.input_bits, params.weight_bits, input_full_scale)
        self.params = params
        self.macro = ProgrammedLayer(self.geo.matrices(self.wq), params, key)
        self.activity = self.macro.new_activity()

    def integer(self, xq):
        n = xq.shape[0]
        p, m = self.params, self.macro
        if self.geo.win is None:
            return self._run(0, lambda: xq.reshape(n, -1), 0, n)
        P = self.geo.win.out_positions
        y = np.empty((n, m.Og * m.groups, P))
        per_sample = P * m.R + (p.input_slices * P * m.C if p.adc_noise_lsb > 0 else 0)
        step = max(1, BLOCK_ELEMENTS // per_sample)
        for s0 in range(0, n, step):
            s1 = min(n, s0 + step)
            for g in range(m.groups):
                yg = self._run(g, lambda: self.geo.im2col(xq[s0:s1], g), s0, s1)   # [(s1-s0) * P, Og]
                y[s0:s1, g * m.Og:(g + 1) * m.Og] = yg.reshape(s1 - s0, P, m.Og).transpose(0, 2, 1)
        return y

    def noise_keys(self, s0: int, s1: int) -> list[tuple[int, int]]:
        """The ADC noise seed keys of the batch's samples s0..s1-1: (global sample, call)."""
        return [(self.samples_before + i, self.calls) for i in range(s0, s1)]

    def _run(self, group: int, cols: Callable[[], np.ndarray], s0: int, s1: int) -> np.ndarray:
        """Integer outputs [vectors, Og] of group ``group`` for the batch's samples s0..s1-1;
        ``cols()``: their integer input vectors [vectors, R]."""
        return self.macro.mvm(group, cols(), self.activity, self.noise_keys(s0, s1))
