"""The first layer (analog input) on the digital spike cores, when there is no PIM macro.

Functional: :class:`DigitalExec`, the same quantisers as the PIM model at
``core.input_bits`` x ``core.weight_bits`` and an exact integer product (dense MACs).
Cost: :func:`core_first_layer_cost`, MACs on all lanes of all cores, per evaluation

    MAC energy  = macs x (E_mult(input_bits x weight_bits) + E_add(acc_bits))
    weight SRAM = weights x ceil(vectors / lanes) reads of weight_bits
    cycles      = ceil(macs / (lanes * cores)) + task_overhead_cycles
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from accelsim.config.arch import CoreConfig
from accelsim.engine.lower import Layer
from accelsim.hw.first_layer import FirstLayerActivity, QuantExec, acc_bits, buffers, step_durations
from accelsim.hw.result import LayerCost
from accelsim.kernels import conv, dense
from accelsim.kernels.gemm import ConvPlan, DensePlan
from accelsim.tech.table import TechTable
from accelsim.util.mathx import cdiv


class DigitalExec(QuantExec):
    """Dense integer MACs at core.input_bits x core.weight_bits (exact)."""

    def __init__(self, graph, node, backend, input_bits: int, weight_bits: int, input_full_scale: float):
        super().__init__(graph, node, backend, input_bits, weight_bits, input_full_scale)
        self.activity = FirstLayerActivity("core")
        self.wqf = self.wq.astype(np.float64)
        self.plan = None   # scatter or GEMM per call (kernels/gemm.py): exact either way on integers
        if backend == "numba":
            self.plan = ConvPlan(self.wqf, self.geo.win, self.geo.group) if self.geo.win is not None \
                else DensePlan(self.wqf)

    def integer(self, xq):
        n = xq.shape[0]
        xf = xq.astype(np.float64)
        if self.geo.win is not None:
            if self.backend == "numba":
                y = self.plan(xf, None)
            else:
                y = conv.conv_reference(xf, self.wqf, None, self.geo.win, self.geo.group)
            y = y.reshape(n, self.wq.shape[0], -1)
            self.activity.vectors += n * self.geo.win.out_positions * self.geo.group
        else:
            xf = xf.reshape(n, -1)
            y = self.plan(xf, None) if self.backend == "numba" else dense.dense_reference(xf, self.wqf, None)
            self.activity.vectors += n
        return y


def core_first_layer_cost(tech: TechTable, core: CoreConfig, clock_ns: float, layer: Layer,
                          act: Optional[FirstLayerActivity], evals: int, policy: str, static: bool, T: int) -> LayerCost:
    """Dense MACs on the digital spike cores at core.input_bits x core.weight_bits, per inference."""
    par = core.lanes * core.count
    vectors = layer.window.out_positions if layer.window is not None else 1
    acc = acc_bits(core.input_bits, core.weight_bits, layer.fan_in)
    weight_reads = layer.weights * cdiv(vectors, core.lanes) * evals
    macs = layer.macs * evals
    e_mac = tech.mult_ab_pj(core.input_bits, core.weight_bits) + tech.int_add_pj(acc)
    outputs = float(np.prod(layer.out_shape))
    buf_pj, buf_info = buffers(tech, layer, core.input_bits, acc, evals,
                                in_writes=float(np.prod(layer.in_shape)) * (1 if static else evals),
                                reads_per_eval=float(vectors * layer.fan_in * layer.group), out_words=outputs,
                                T=T, policy=policy)
    energy = {
        "core.mac": macs * e_mac,
        "core.weight_sram": weight_reads * tech.sram_access_pj(core.weight_sram_kib, core.weight_bits),
        "core.buffer": buf_pj,
    }
    per_eval_cycles = cdiv(layer.macs, par) + core.task_overhead_cycles
    per_eval = per_eval_cycles * clock_ns
    step_ns = step_durations(per_eval, evals, T)
    info = {"static_input": policy, "evaluations": evals, "macs": macs, "mac_pj": e_mac,
            "multiplier_bits": [core.input_bits, core.weight_bits], "accumulator_bits": acc, **buf_info}
    if act is not None:
        info["inputs_clipped_fraction"] = act.inputs_clipped / max(act.inputs, 1)
        info["input_density"] = act.nonzero_inputs / max(act.inputs, 1)
    return LayerCost(layer.name, "core", energy, float(per_eval * evals), info, step_ns, evals, policy)
