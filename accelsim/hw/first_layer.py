"""The first layer (analog input): what its engines (PIM macro, digital core) share.

Functional side: :class:`Geometry` (the synaptic node as groups of integer
matrix-vector products) and :class:`QuantExec` (inputs and weights quantised by
:mod:`accelsim.hw.quantize`; the engine computes the integer product), which
records a :class:`FirstLayerActivity`. Both engines return
``s_x * s_w * Y_int + bias`` (bias added digitally, unquantised), so at lossless ADC
resolution and equal precisions PIM and digital agree bit for bit.

Cost side: accumulator width, input/output buffers and the static-input policy
(docs/pim.md). Direct input (static): ``hold`` evaluates once, writes the outputs to
the hold buffer once and reads them at every step; ``recompute`` evaluates at every
step and passes the outputs on each time (written and read once per step). ``auto``
takes the one with less energy. A sequence input is recomputed at every step.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from accelsim.engine.execute import Executor
from accelsim.engine.lower import Layer, conv_window
from accelsim.hw.quantize import quantise_inputs, quantise_weights
from accelsim.hw.result import LayerCost
from accelsim.kernels import conv
from accelsim.kernels.window import Window
from accelsim.tech.table import TechTable
from accelsim.workload.graph import Graph, Node


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
    row_drive_code_sq: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # ^ per row: sum over input slices of code^2 (exact integers; :attr:`row_drive_sq` relative V^2)
    dac_max: int = 1               # PIM: the top DAC code 2^dac_bits - 1
    row_level_sum: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # ^ per row: sum over its mapped cells of level / (2^cell_bits - 1) (relative conductance,
    #   variation included); constant, set when the weights are programmed
    row_cells: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # ^ per row: mapped cells (bit lines it crosses in use)
    offset_correction_adds: int = 0  # offset encoding: digital adds of the input sum

    @property
    def row_drive_sq(self) -> np.ndarray:
        """Per row: sum over input slices of (code / (2^dac_bits - 1))^2 (relative V^2)."""
        return self.row_drive_code_sq * (1.0 / (self.dac_max * self.dac_max))

    CONSTANT = ("engine", "row_level_sum", "row_cells", "dac_max")  # set when programmed, not counted

    def merge(self, other: "FirstLayerActivity") -> None:
        """Add the counts of ``other`` (the same layer on other samples) into this record: every
        count is an integer, so the sum is exact in any order (a run split into shards,
        accelsim/shards.py, gives the record of the whole run)."""
        for f in self.__dataclass_fields__:
            mine, theirs = getattr(self, f), getattr(other, f)
            if f in self.CONSTANT:
                if not np.array_equal(mine, theirs):
                    raise ValueError(f"first-layer activity: {f} differs between the merged records")
            elif isinstance(mine, np.ndarray):
                mine += theirs
            else:
                setattr(self, f, mine + theirs)

    def array_drive(self) -> tuple[float, float]:
        """(sum_i drive_sq_i * cells_i, sum_i drive_sq_i * level_sum_i): with G_off and
        G_on - G_off they give sum over reads of sum_ij (V_i/V_read)^2 * G_ij."""
        if self.row_drive_sq.size == 0:
            return 0.0, 0.0
        return (float(self.row_drive_sq @ self.row_cells.astype(np.float64)),
                float(self.row_drive_sq @ self.row_level_sum))


class Geometry:
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


class QuantExec(Executor):
    """The first layer's synaptic node with quantised inputs and weights; subclasses compute the
    integer product (:meth:`integer`) and keep an ``activity`` record."""

    def __init__(self, graph, node, backend, input_bits: int, weight_bits: int, input_full_scale: float):
        super().__init__(graph, node, backend)
        self.input_bits, self.input_full_scale = input_bits, input_full_scale
        self.geo = Geometry(graph, node)
        self.wq, self.w_scale = quantise_weights(self.geo.w, weight_bits)
        self.samples_before = 0
        self.batch = 0
        self.calls = 0

    def start(self, first_sample: int) -> None:
        """Samples are numbered from ``first_sample`` (the PIM model keys its ADC noise by sample)."""
        self.samples_before, self.batch, self.calls = first_sample, 0, 0

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
        xq, xs, clipped = quantise_inputs(x, self.input_bits, self.input_full_scale)
        a = self.activity
        a.evaluations += x.shape[0]
        a.inputs += xq.size
        a.inputs_clipped += clipped
        a.nonzero_inputs += int(np.count_nonzero(xq))
        return xq, xs


def acc_bits(in_bits: int, w_bits: int, rows: int) -> int:
    """Accumulator width of a dot product of ``rows`` terms: in + w + ceil(log2 rows), at most 32."""
    return min(32, in_bits + w_bits + max(1, math.ceil(math.log2(max(rows, 2)))))


def buffers(tech: TechTable, layer: Layer, in_bits: int, acc_bits: int, evals: int, in_writes: float,
             reads_per_eval: float, out_words: float, T: int, policy: str) -> tuple[float, dict]:
    """Input buffer (im2col reads) + output/hold buffer energy per inference (pJ)."""
    in_elems = int(np.prod(layer.in_shape))
    in_kib = in_elems * in_bits / 8 / 1024
    out_kib = out_words * acc_bits / 8 / 1024
    e_in = in_writes * tech.sram_access_pj(in_kib, in_bits, write=True) \
        + reads_per_eval * evals * tech.sram_access_pj(in_kib, in_bits)
    out_writes = out_words * (1 if policy == "hold" else evals)
    out_reads = out_words * T
    e_out = out_writes * tech.sram_access_pj(out_kib, acc_bits, write=True) \
        + out_reads * tech.sram_access_pj(out_kib, acc_bits)
    return e_in + e_out, {"input_buffer_kib": in_kib, "output_buffer_kib": out_kib, "input_buffer_pj": e_in,
                          "output_buffer_pj": e_out, "input_buffer_reads": reads_per_eval * evals,
                          "output_buffer_writes": out_writes, "output_buffer_reads": out_reads}


def recorded_evaluations(engine: str, layer: str, act: Optional[FirstLayerActivity], samples: int, T: int,
                         required: bool) -> int:
    """Evaluations per inference that the trace recorded for the first layer on ``engine`` (``T``
    without a record, unless ``required``); a record of another engine is refused."""
    if act is None:
        if required:
            raise ValueError(f"layer {layer}: the trace has no {engine} activity; build it with "
                             "accelsim.simulate.functional_trace")
        return T
    if act.engine != engine or act.evaluations == 0:
        raise ValueError(f"layer {layer}: the trace recorded the {act.engine!r} first layer, cost asked for {engine!r}")
    return max(1, round(act.evaluations / samples))


def first_layer_cost(model: Callable[[int, str], LayerCost], wanted: str, static: bool, T: int,
                     evaluations: Optional[int] = None) -> LayerCost:
    """The first layer's synaptic cost per inference under the static-input policy.

    ``model(evaluations, policy)`` prices it for a number of evaluations per inference;
    ``static``: its input is the same at every step (direct encoding); ``wanted``: the
    policy asked for (``auto`` takes the cheaper of hold and recompute); ``evaluations``:
    per inference, as recorded, for a sequence input (default ``T``).
    """
    if not static:
        return model(evaluations if evaluations is not None else T, "recompute")
    if wanted != "auto":
        return model(1 if wanted == "hold" else T, wanted)
    hold = model(1, "hold")
    again = model(T, "recompute")
    best = hold if hold.total_pj <= again.total_pj else again
    best.info["static_input_energy_pj"] = {"hold": hold.total_pj, "recompute": again.total_pj}
    return best


def step_durations(eval_ns: float, evals: int, T: int) -> list[float]:
    """The layer's task per step: every step when evaluated at each step, else step 0 only."""
    return [eval_ns] * T if evals == T else [eval_ns] + [0.0] * (T - 1)
