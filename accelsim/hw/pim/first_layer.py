"""The first layer's synaptic node inside the functional engine.

:class:`FirstLayerModel` is the executor factory handed to
:func:`accelsim.engine.functional.simulate` (``first_layer=``): for the input
layer's Conv/Gemm/MatMul node it builds

* :class:`PimExec` when ``pim.enabled``: inputs and weights quantised
  (``pim.input_bits``, ``pim.weight_bits``), the integer product computed by the
  crossbar model (:class:`~accelsim.hw.pim.macro.ProgrammedLayer`);
* :class:`DigitalExec` otherwise: the same quantisers at ``core.input_bits`` x
  ``core.weight_bits`` and an exact integer product (dense MACs on the digital core).

Both return ``s_x * s_w * Y_int + bias`` (bias added digitally, unquantised), so at
lossless ADC resolution and equal precisions PIM and digital agree bit for bit.
Each executor records a :class:`~accelsim.hw.pim.activity.FirstLayerActivity`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from accelsim.engine.execute import Executor, make_executor
from accelsim.engine.lower import conv_window
from accelsim.hw.pim.activity import FirstLayerActivity
from accelsim.hw.pim.macro import MacroParams, ProgrammedLayer
from accelsim.hw.pim.quantize import quantise_inputs, quantise_weights
from accelsim.kernels import conv, dense
from accelsim.kernels.window import Window
from accelsim.workload.graph import Graph, Node

BLOCK_ELEMENTS = 1 << 24  # im2col (+ ADC noise) elements per block of samples: bounds memory


@dataclass(frozen=True)
class DigitalParams:
    input_bits: int
    weight_bits: int


@dataclass(frozen=True)
class FirstLayerNumerics:
    """Everything the functional first-layer model reads from the architecture."""

    engine: str                         # "pim" | "core"
    input_full_scale: float
    pim: Optional[MacroParams]
    digital: Optional[DigitalParams]

    @classmethod
    def from_arch(cls, arch) -> "FirstLayerNumerics":
        fs = arch.pim.input_full_scale
        if arch.pim.enabled:
            return cls("pim", fs, MacroParams.from_config(arch.pim), None)
        return cls("core", fs, None, DigitalParams(arch.core.input_bits, arch.core.weight_bits))

    @property
    def input_bits(self) -> int:
        return self.pim.input_bits if self.pim is not None else self.digital.input_bits

    @property
    def weight_bits(self) -> int:
        return self.pim.weight_bits if self.pim is not None else self.digital.weight_bits


class _Geometry:
    """A synaptic node as groups of integer matrix-vector products."""

    def __init__(self, graph: Graph, node: Node):
        w = graph.tensors[node.inputs[1]].astype(np.float64)
        bias = graph.tensors[node.inputs[2]].astype(np.float64).reshape(-1) if len(node.inputs) > 2 else None
        self.win: Optional[Window] = None
        if node.op == "Conv":
            self.win = conv_window(graph, node)
            self.group = node.attrs.group
            self.w = w                                   # [O, C/g, *k]
            self.bias = bias
        else:
            alpha, beta = (node.attrs.alpha, node.attrs.beta) if node.op == "Gemm" else (1.0, 1.0)
            if node.op == "Gemm" and node.attrs.transB:
                w = w.T
            self.group = 1
            self.w = alpha * w                           # [K, M]
            self.bias = None if bias is None else beta * bias
        self.out_shape = graph.shapes[node.output]

    def matrices(self, wq: np.ndarray) -> list[np.ndarray]:
        """Integer weights per group as [R, O_g]."""
        if self.win is None:
            return [wq]
        O = wq.shape[0]
        og = O // self.group
        return [wq[g * og:(g + 1) * og].reshape(og, -1).T.copy() for g in range(self.group)]

    def im2col(self, xq: np.ndarray, group: int) -> np.ndarray:
        """[N, C, *sp] integer inputs -> [N * P, R] rows of group ``group`` (row = c * taps + tap)."""
        win = self.win
        N, C = xq.shape[:2]
        cin_g = C // self.group
        x5 = win.reshape_in(xq[:, group * cin_g:(group + 1) * cin_g])
        pads = [(0, 0), (0, 0)] + [(win.pads_begin[i], win.pads_end[i]) for i in range(3)]
        xp = np.pad(x5, pads)
        cols = np.stack([xp[sl] for _, sl in conv.window_slices(win)], axis=2)  # [N, c, taps, OD, OH, OW]
        cols = cols.reshape(N, cin_g * win.taps, win.out_positions)
        return np.ascontiguousarray(cols.transpose(0, 2, 1)).reshape(N * win.out_positions, cin_g * win.taps)

    def finish(self, y_int: np.ndarray, scale: float, n: int) -> np.ndarray:
        """[N, O, P] or [N, M] integer-domain outputs -> scaled, biased, graph-shaped."""
        y = y_int * scale
        if self.win is not None:
            O = y.shape[1]
            y = self.win.reshape_out(y.reshape((n, O) + self.win.out_sp))
            if self.bias is not None:
                y = y + self.bias.reshape((1, O) + (1,) * (y.ndim - 2))
        elif self.bias is not None:
            y = y + self.bias
        return y.reshape((n,) + tuple(self.out_shape))


class _QuantExec(Executor):
    def __init__(self, graph, node, backend, numerics: FirstLayerNumerics):
        super().__init__(graph, node, backend)
        self.nm = numerics
        self.geo = _Geometry(graph, node)
        self.wq, self.w_scale = quantise_weights(self.geo.w, numerics.weight_bits)
        self.samples_before = 0
        self.batch = 0
        self.calls = 0

    def reset(self, batch):
        self.samples_before += self.batch
        self.batch, self.calls = batch, 0

    def __call__(self, ins):
        x = ins[0]
        n = x.shape[0]
        xq, xs = self._inputs(x)
        y = self.integer(xq)
        self.calls += 1
        return self.geo.finish(y, xs * self.w_scale, n)

    def integer(self, xq: np.ndarray) -> np.ndarray:
        """Integer-domain output ([N, O, P] for a Conv, [N, M] for a Gemm) of integer inputs."""
        raise NotImplementedError

    def _inputs(self, x: np.ndarray) -> tuple[np.ndarray, float]:
        xq, xs, clipped = quantise_inputs(x, self.nm.input_bits, self.nm.input_full_scale)
        a = self.activity
        a.evaluations += x.shape[0]
        a.inputs += xq.size
        a.inputs_clipped += clipped
        a.nonzero_inputs += int(np.count_nonzero(xq))
        return xq, xs


class DigitalExec(_QuantExec):
    """Dense integer MACs at core.input_bits x core.weight_bits (exact)."""

    def __init__(self, graph, node, backend, numerics):
        super().__init__(graph, node, backend, numerics)
        self.activity = FirstLayerActivity("core")
        self.wqf = self.wq.astype(np.float64)
        self.wt = conv.scatter_weights(self.wqf, self.geo.group) if (self.geo.win is not None and backend == "numba") else None

    def integer(self, xq):
        n = xq.shape[0]
        xf = xq.astype(np.float64)
        if self.geo.win is not None:
            if self.backend == "numba":
                y = conv.conv_events(xf, self.wqf, None, self.geo.win, self.geo.group, self.wt)
            else:
                y = conv.conv_reference(xf, self.wqf, None, self.geo.win, self.geo.group)
            y = y.reshape(n, self.wq.shape[0], -1)
            self.activity.vectors += n * self.geo.win.out_positions * self.geo.group
        else:
            xf = xf.reshape(n, -1)
            y = dense.dense_events(xf, self.wqf, None) if self.backend == "numba" else dense.dense_reference(xf, self.wqf, None)
            self.activity.vectors += n
        return y


class PimExec(_QuantExec):
    """The layer on crossbar macros (see :mod:`accelsim.hw.pim.macro`)."""

    def __init__(self, graph, node, backend, numerics, key: int = 0):
        super().__init__(graph, node, backend, numerics)
        self.macro = ProgrammedLayer(self.geo.matrices(self.wq), numerics.pim, key)
        self.activity = self.macro.new_activity()

    def integer(self, xq):
        n = xq.shape[0]
        p, m = self.nm.pim, self.macro
        if self.geo.win is None:
            y = self._run(0, xq.reshape(n, -1), 0, n)
        else:
            P = self.geo.win.out_positions
            y = np.empty((n, m.Og * m.groups, P))
            per_sample = P * m.R + (p.input_slices * P * m.C if p.adc_noise_lsb > 0 else 0)
            step = max(1, BLOCK_ELEMENTS // per_sample)
            for s0 in range(0, n, step):
                s1 = min(n, s0 + step)
                for g in range(m.groups):
                    cols = self.geo.im2col(xq[s0:s1], g)
                    yg = self._run(g, cols, s0, s1)                   # [(s1-s0) * P, Og]
                    y[s0:s1, g * m.Og:(g + 1) * m.Og] = yg.reshape(s1 - s0, P, m.Og).transpose(0, 2, 1)
        return y

    def _run(self, group: int, cols: np.ndarray, s0: int, s1: int) -> np.ndarray:
        keys = [(self.samples_before + i, self.calls) for i in range(s0, s1)]
        return self.macro.mvm(group, cols, self.activity, keys)


class FirstLayerModel:
    """Executor factory for the input layer's synaptic nodes (see module docstring)."""

    def __init__(self, numerics: FirstLayerNumerics):
        self.numerics = numerics
        self.executors: dict[str, _QuantExec] = {}

    @classmethod
    def from_arch(cls, arch) -> "FirstLayerModel":
        return cls(FirstLayerNumerics.from_arch(arch))

    def __call__(self, graph: Graph, node: Node, backend: str) -> Executor:
        if node.op not in ("Conv", "Gemm", "MatMul"):
            return make_executor(graph, node, backend)
        if self.numerics.engine == "pim":
            ex = PimExec(graph, node, backend, self.numerics, key=len(self.executors))
        else:
            ex = DigitalExec(graph, node, backend, self.numerics)
        self.executors[node.name] = ex
        return ex
