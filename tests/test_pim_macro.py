"""Functional PIM crossbar model: exactness at lossless ADC resolution, an independent
aihwkit-style oracle when lossy, non-idealities, mapping.

The oracle below does not share code with accelsim.hw.pim.macro: it slices weights
and inputs with plain integer arithmetic and runs, per (row tile, input slice,
weight slice, polarity), the analog-tile forward pass in the style of IBM
aihwkit's ``AnalogTile`` (quantise input -> matrix-vector product -> quantise
output with a bounded ADC), then shifts and adds.
"""
from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

from accelsim.config.arch import PimConfig
from accelsim.engine.lower import lower
from accelsim.hw.core.first_layer import DigitalExec
from accelsim.hw.pim.numerics import PimExec
from accelsim.hw.pim.macro import MacroParams
from accelsim.hw.pim.mapping import map_layer
from accelsim.hw.quantize import quantise_inputs, quantise_weights
from accelsim.kernels import conv
from accelsim.workload.builder import WorkloadBuilder


def pim_cfg(**kw) -> PimConfig:
    base = dict(rows=16, cols=32, cell_bits=2, weight_bits=5, input_bits=4, dac_bits=1, adc_bits=6)
    base.update(kw)
    return PimConfig(**base)


def numerics(cfg: PimConfig) -> tuple[MacroParams, float]:
    """The PIM executor's parameters: the macro's numerics group and the input full scale."""
    return MacroParams.from_config(cfg), cfg.input_full_scale


def one_layer(kind: str, rng, cin: int, cout: int, group: int = 1):
    """A graph whose first (input) layer is a random Conv of ``kind`` ("1d"/"2d"/"3d") or a Gemm."""
    if kind == "gemm":
        b = WorkloadBuilder("t", input_shape=(cin,), timesteps=1)
        y = b.gemm("L", b.input, rng.normal(size=(cout, cin)), rng.normal(size=cout))
    else:
        nd = int(kind[0])
        sp = tuple(int(v) for v in rng.integers(3, 7, size=nd))
        k = tuple(int(v) for v in rng.integers(1, 4, size=nd))
        k = tuple(min(a, s) for a, s in zip(k, sp))
        b = WorkloadBuilder("t", input_shape=(cin,) + sp, timesteps=1)
        y = b.conv("L", b.input, rng.normal(size=(cout, cin // group) + k), rng.normal(size=cout),
                   strides=[int(v) for v in rng.integers(1, 3, size=nd)], pads=[1] * nd + [0] * nd, group=group)
    b.readout(y)
    g = b.graph()
    return g, g.nodes[0]


def exact_integer(graph, node, x, in_bits, w_bits):
    """Integer output of the quantised layer, by the plain numpy ONNX definitions."""
    xq, _, _ = quantise_inputs(x, in_bits, 1.0)
    w = graph.tensors[node.inputs[1]]
    if node.op == "Conv":
        wq, _ = quantise_weights(w, w_bits)
        layer = lower(graph)[0]
        y = conv.conv_reference(xq.astype(np.float64), wq.astype(np.float64), None, layer.window, layer.window and node.attrs.group)
        return y.reshape(len(x), w.shape[0], -1)
    wq, _ = quantise_weights(w.T, w_bits)   # Gemm transB
    return xq.reshape(len(x), -1).astype(np.float64) @ wq


def run_int(ex, x):
    """The executor's integer-domain output for analog inputs ``x`` (as its __call__ computes it)."""
    ex.reset(len(x))
    xq, _ = ex._inputs(x)
    y = ex.integer(xq)
    ex.calls += 1
    return y


CASES = [  # (kind, cin, cout, group, cell_bits, dac_bits, input_bits, weight_bits, rows)
    ("1d", 3, 4, 1, 1, 1, 4, 4, 8),
    ("1d", 4, 6, 2, 2, 2, 4, 6, 16),
    ("2d", 2, 5, 1, 2, 1, 5, 5, 7),
    ("2d", 3, 3, 1, 3, 3, 6, 7, 32),
    ("3d", 2, 4, 1, 2, 1, 3, 6, 12),
    ("3d", 1, 3, 1, 4, 2, 4, 5, 64),
    ("gemm", 37, 5, 1, 1, 1, 4, 4, 16),
    ("gemm", 20, 7, 1, 2, 4, 8, 8, 9),
]


@pytest.mark.parametrize("encoding", ["differential", "offset"])
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-cell{c[4]}-dac{c[5]}-rows{c[8]}" for c in CASES])
def test_lossless_adc_gives_exact_integer_convolution(case, encoding):
    kind, cin, cout, group, cell, dac, ib, wb, rows = case
    rng = np.random.default_rng(zlib.crc32(repr((case, encoding)).encode()))
    graph, node = one_layer(kind, rng, cin, cout, group)
    cfg0 = pim_cfg(rows=rows, cell_bits=cell, dac_bits=dac, input_bits=ib, weight_bits=wb, signed_weights=encoding)
    x = rng.random((3,) + tuple(graph.input.shape)) * 1.1        # a few inputs clip at full scale
    want = exact_integer(graph, node, x, ib, wb)
    for extra in (0, 2):                                         # at and above the bound
        cfg = cfg0.model_copy(update={"adc_bits": min(16, cfg0.lossless_adc_bits + extra)})
        ex = PimExec(graph, node, "numba", *numerics(cfg))
        got = run_int(ex, x)
        assert np.array_equal(got, want.reshape(got.shape))
        assert ex.activity.adc_saturated == 0
    assert cfg.lossless_adc_bits == math.ceil(math.log2(rows * (2 ** dac - 1) * (2 ** cell - 1) + 1))
    # the digital first layer at the same precisions gives the same floats, bit for bit
    dig = DigitalExec(graph, node, "numba", ib, wb, 1.0)
    ex.reset(len(x)), dig.reset(len(x))
    assert np.array_equal(ex([x]), dig([x]))


# ---------------------------------------------------------------------------
# independent oracle

def aihwkit_style_read(x_in, g, out_res, out_bound):
    """One analog tile read, as aihwkit's forward: y = W x, then the ADC: round to the
    output resolution (half up) and clip to [0, out_bound] (unsigned bit-line current)."""
    y = x_in @ g
    return np.clip(np.floor(y / out_res + 0.5), 0, out_bound / out_res) * out_res


def oracle(xq, wq, cfg: PimConfig):
    """Bit-sliced crossbar by plain loops: xq [V, R] ints, wq [R, O] ints -> [V, O]."""
    V, R = xq.shape
    O = wq.shape[1]
    base, amax = 2 ** cfg.cell_bits, 2 ** cfg.dac_bits - 1
    if cfg.signed_weights == "differential":
        parts = [(+1, np.maximum(wq, 0)), (-1, np.maximum(-wq, 0))]
        nbits, offset = cfg.weight_bits - 1, 0
    else:
        offset = 2 ** (cfg.weight_bits - 1)
        parts, nbits = [(+1, wq + offset)], cfg.weight_bits
    n_w = math.ceil(nbits / cfg.cell_bits)
    n_x = math.ceil(cfg.input_bits / cfg.dac_bits)
    full = cfg.rows * amax * (base - 1)
    y = np.zeros((V, O))
    for r0 in range(0, R, cfg.rows):
        r1 = min(R, r0 + cfg.rows)
        for sign, mag in parts:
            for k in range(n_w):
                g = (mag[r0:r1] // base ** k) % base
                if cfg.adc_range == "full_scale":
                    rng_ = full
                else:
                    rng_ = cfg.adc_clip_ratio * max((amax * (((mg[r0:r1] // base ** kk) % base).sum(axis=0))).max()
                                                  for _, mg in parts for kk in range(n_w))
                lsb = 2.0 ** max(0, math.ceil(math.log2(rng_ + 1)) - cfg.adc_bits)
                bound = lsb * (2 ** cfg.adc_bits - 1)
                for s in range(n_x):
                    xs = (xq[:, r0:r1] // (amax + 1) ** s) % (amax + 1)
                    y += sign * base ** k * (amax + 1) ** s * aihwkit_style_read(xs, g, lsb, bound)
    return y - offset * xq.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("encoding", ["differential", "offset"])
@pytest.mark.parametrize("adc_range", ["full_scale", "calibrated"])
@pytest.mark.parametrize("adc_bits, cell, dac, rows", [(3, 2, 1, 16), (4, 1, 2, 10), (5, 3, 1, 24), (2, 2, 2, 6)])
def test_oracle_agrees_within_one_lsb(encoding, adc_range, adc_bits, cell, dac, rows):
    rng = np.random.default_rng(adc_bits * 100 + cell * 10 + dac)
    graph, node = one_layer("gemm", rng, 40, 6)
    cfg = pim_cfg(rows=rows, cell_bits=cell, dac_bits=dac, input_bits=6, weight_bits=6, adc_bits=adc_bits,
                  signed_weights=encoding, adc_range=adc_range, adc_clip_ratio=0.8 if adc_range == "calibrated" else 1.0)
    x = rng.random((50,) + tuple(graph.input.shape))
    ex = PimExec(graph, node, "numba", *numerics(cfg))
    got = run_int(ex, x)
    xq, _, _ = quantise_inputs(x, 6, 1.0)
    wq, _ = quantise_weights(graph.tensors[node.inputs[1]].T, 6)
    want = oracle(xq.reshape(50, -1).astype(np.int64), wq, cfg)
    lsb = max(ex.macro.lsb[0])           # ADC LSB in output integer units (conversion weight 2^0 * 2^0)
    assert not np.array_equal(got, exact_integer(graph, node, x, 6, 6))  # the case is lossy ...
    assert np.max(np.abs(got - want)) <= lsb  # ... and the macro agrees with the oracle within one LSB


def test_low_adc_bits_saturate_and_degrade():
    rng = np.random.default_rng(7)
    graph, node = one_layer("gemm", rng, 64, 8)
    x = rng.random((40, 64))
    exact = exact_integer(graph, node, x, 4, 5)
    errs = []
    for bits in (2, 4, 6, 9):
        ex = PimExec(graph, node, "numba", *numerics(pim_cfg(rows=64, adc_bits=bits)))
        errs.append(float(np.mean(np.abs(run_int(ex, x) - exact))))
    assert errs[0] > errs[1] > errs[2] > errs[3] == 0.0


# ---------------------------------------------------------------------------
# non-idealities

def _noisy(**kw):
    return pim_cfg(rows=32, adc_bits=7, **kw)


def test_non_idealities_are_seeded_and_batch_independent():
    rng = np.random.default_rng(3)
    graph, node = one_layer("2d", rng, 2, 4)
    x = rng.random((5,) + tuple(graph.input.shape))
    ideal = run_int(PimExec(graph, node, "numba", *numerics(_noisy())), x)
    cfg = _noisy(conductance_sigma=0.05, adc_offset_lsb=0.3, adc_noise_lsb=0.5, seed=11)
    a = run_int(PimExec(graph, node, "numba", *numerics(cfg)), x)
    b = run_int(PimExec(graph, node, "numba", *numerics(cfg)), x)
    assert np.array_equal(a, b)                              # same seed: same result
    assert not np.array_equal(a, ideal)
    c = run_int(PimExec(graph, node, "numba", *numerics(cfg.model_copy(update={"seed": 12}))), x)
    assert not np.array_equal(a, c)
    # the same samples in two batches: noise is keyed by sample, so results are identical
    ex = PimExec(graph, node, "numba", *numerics(cfg))
    parts = [run_int(ex, x[:2]), run_int(ex, x[2:])]
    assert np.array_equal(np.concatenate(parts), a)
    # each non-ideality alone perturbs the result, and more of it perturbs more
    for key in ("conductance_sigma", "adc_offset_lsb", "adc_noise_lsb"):
        errs = [float(np.mean(np.abs(run_int(PimExec(graph, node, "numba", *numerics(_noisy(**{key: v}))), x) - ideal)))
                for v in (0.1, 0.4, 0.8)]
        assert 0 < errs[1] < errs[2] and errs[0] <= errs[1], (key, errs)


def test_activity_counts_by_hand():
    """Gemm 3 -> 1, weights [3, -1, 0] at 3 bits (levels +-3), input codes [3, 1, 0] at 2 bits,
    rows 4, cell 2 bits (1 slice), differential (2 bit lines), dac 1 bit (2 input slices).
      slice 0 bits: [1, 1, 0]; slice 1 bits: [1, 0, 0]
      driven rows: row0 twice, row1 once, row2 never -> [2, 1, 0]
      conversions: 2 slices x 2 bit lines = 4; result 3*3 - 1*1 = 8."""
    b = WorkloadBuilder("t", input_shape=(3,), timesteps=1)
    b.readout(b.gemm("L", b.input, np.array([[3.0, -1.0, 0.0]]), np.zeros(1)))
    graph = b.graph()
    cfg = pim_cfg(rows=4, cell_bits=2, weight_bits=3, input_bits=2, dac_bits=1, adc_bits=4)
    ex = PimExec(graph, graph.nodes[0], "numba", *numerics(cfg))
    got = run_int(ex, np.array([[1.0, 1 / 3, 0.0]]))
    assert got.tolist() == [[8.0]]
    a = ex.activity
    assert a.row_driven.tolist() == [2, 1, 0] and a.row_drive_sq.tolist() == [2.0, 1.0, 0.0]
    assert a.conversions == 4 and a.evaluations == 1 and a.vectors == 1
    # levels: row0 w=3 -> (P=3, N=0); row1 w=-1 -> (0, 1); row2 0 -> (0, 0); / 3 per level
    assert a.row_level_sum.tolist() == [1.0, 1 / 3, 0.0] and a.row_cells.tolist() == [2, 2, 2]
    assert a.array_drive() == (2 * 2 + 1 * 2, 2 * 1.0 + 1 * (1 / 3))


def test_mapping_tiles_and_utilisation():
    rng = np.random.default_rng(0)
    graph, node = one_layer("gemm", rng, 300, 50)
    layer = lower(graph)[0]
    m = map_layer(layer, PimConfig(rows=128, cols=128, weight_bits=6, cell_bits=2))
    # rows 300 -> 3 row tiles; 50 outputs x 3 slices x 2 (differential) = 300 bit lines -> 3 col tiles
    assert (m.row_tiles, m.col_tiles, m.tiles, m.cols_per_weight) == (3, 3, 9, 6)
    assert m.utilization == pytest.approx(300 * 300 / (9 * 128 * 128))
    assert m.copies(20, True) == 2 and m.copies(20, False) == 1 and m.copies(8, True) == 0
    off = map_layer(layer, PimConfig(rows=128, cols=128, weight_bits=6, cell_bits=2, signed_weights="offset"))
    assert off.cols_per_weight == 3                  # 6 stored bits / 2 bits per cell


def test_one_bit_below_the_bound_is_lossy():
    """15 rows, all inputs at full scale (4-bit codes 1111), all weights equal (quantised to the
    top 5-bit level 15: magnitude 1111 -> 2-bit cells 11, 11): every positive bit line sums
    15 * 1 * 3 = 45 = the full scale of a 15-row array. Bound: ceil(log2(46)) = 6 bits; exact
    result 15 rows * 15 * 15 = 3375. At 5 bits the LSB is 2: 45 -> code 23 -> 46, one too many
    in each of 4 input slices x 2 weight slices, weighted 2^s * 4^k: (1+2+4+8) * (1+4) = 75."""
    b = WorkloadBuilder("t", input_shape=(15,), timesteps=1)
    b.readout(b.gemm("L", b.input, np.full((1, 15), 0.7), np.zeros(1)))
    graph = b.graph()
    x = np.ones((1, 15))
    for bits, want in ((6, 3375), (5, 3375 + 75)):
        cfg = pim_cfg(rows=15, cell_bits=2, weight_bits=5, input_bits=4, dac_bits=1, adc_bits=bits)
        assert cfg.lossless_adc_bits == 6
        assert run_int(PimExec(graph, graph.nodes[0], "numba", *numerics(cfg)), x).tolist() == [[want]]
