"""The one-pass value statistics of the functional pass (accelsim/kernels/events.py): the numba
kernels against their numpy specifications (edge values, block and thread boundaries, 1 and 2
threads), the per-step memo, and whole runs whose counts are the same with the numpy
specification in place of the kernels, and the same as an independent recount from probes.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from accelsim.engine import counting
from accelsim.engine.functional import simulate
from accelsim.kernels import events
from accelsim.kernels.events import BLOCK, PARALLEL_MIN, StepStats, ValueStats, summarize, summarize_reference
from accelsim.kernels.exact import grain
from accelsim.simulate import functional_trace, prepare
from accelsim.util import threads
from accelsim.workload.builder import WorkloadBuilder
from accelsim.workload.graph import Samples
from tests.trace_checks import assert_same_trace

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("nnz", "nonbinary", "integral", "finite")


def assert_same(a: ValueStats, b: ValueStats) -> None:
    for f in FIELDS:
        assert getattr(a, f) == getattr(b, f), f
    np.testing.assert_array_equal(a.col, b.col)
    assert a.col.dtype == np.int64
    if a.finite:
        assert a.amax == b.amax
    assert a.grain() == b.grain()


def values(rng, kind: str, shape) -> np.ndarray:
    if kind == "spikes":
        return (rng.random(shape) < 0.15).astype(np.float64)
    if kind == "avgpool":          # average-pooled spikes: k/9, not dyadic
        return rng.integers(0, 10, shape) * (rng.random(shape) < 0.3) / 9.0
    if kind == "dyadic":
        return rng.integers(-8, 9, shape) / 4.0
    if kind == "signed":           # 0, 1, -1 only: binary
        return rng.integers(-1, 2, shape).astype(np.float64)
    if kind == "ints":
        return rng.integers(-2**40, 2**40, shape).astype(np.float64)
    raise ValueError(kind)


SHAPES = [(1, 1), (1, 7), (3, BLOCK - 1), (2, BLOCK), (2, BLOCK + 1), (1, 3 * BLOCK + 5),
          (19, 3, 5, 7), (1, PARALLEL_MIN + 3), (4, PARALLEL_MIN // 4 + BLOCK + 1)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("kind", ["spikes", "avgpool", "dyadic", "signed", "ints"])
def test_summary_equals_the_numpy_specification(shape, kind):
    x = values(np.random.default_rng(hash((shape, kind)) % 2**32), kind, shape)
    got, ref = summarize(x), summarize_reference(x)
    assert_same(got, ref)
    assert got.grain() == grain(x)                  # the plans' exactness bound reads the same grain
    assert got.nnz == np.count_nonzero(x)
    assert got.amax == np.abs(x).max()


def test_edge_values():
    x = np.zeros((4, 6))
    x[0, 0] = -0.0                                    # not an event; integral
    x[1, 1], x[1, 2] = 1.0, -1.0                      # binary
    x[2, 3] = 0.5                                     # non-binary, not an integer: grain 2^-1
    x[3, 4], x[3, 5] = 2.0 ** -1074, 2.0 ** 60        # a subnormal and a large integer
    st = summarize(x)
    assert_same(st, summarize_reference(x))
    assert (st.nnz, st.nonbinary, st.integral, st.finite) == (5, 2, False, True)
    assert st.col.tolist() == [0, 1, 1, 1, 1, 1]
    assert st.grain() == grain(x)
    # a sample with only 0, 1, -1 is binary, one with any other value is not (NaN included)
    for bad in (np.nan, np.inf, -np.inf):
        y = x.copy()
        y[1, 0] = bad
        st = summarize(y)
        assert_same(st, summarize_reference(y))
        assert not st.finite and st.grain() is None and grain(y) is None
        assert st.nonbinary == 3 and st.nnz == 6


@pytest.mark.parametrize("shape", [(0, 5), (3, 0), (0,), (2, 0, 4)])
def test_empty_values(shape):
    x = np.zeros(shape)
    st = summarize(x)
    assert_same(st, summarize_reference(x))
    assert st.nnz == 0 and st.col.shape == (int(np.prod(shape[1:])),) and st.grain() == grain(x)


def test_other_dtypes_and_layouts():
    rng = np.random.default_rng(3)
    x = values(rng, "dyadic", (5, 40))
    for y in (x[:, ::2], x.T.copy().T, np.asfortranarray(x), (x * 4).astype(np.int64),
              (x != 0), x.astype(np.float32)):
        assert_same(summarize(y), summarize_reference(y))


@pytest.mark.parametrize("shape", [(1, 3 * PARALLEL_MIN + 17), (7, PARALLEL_MIN // 3 + 1)], ids=str)
def test_one_and_two_threads_give_the_same_record(shape):
    x = values(np.random.default_rng(4), "avgpool", shape)
    with threads.limited(1):
        one = summarize(x)
    with threads.limited(2):
        two = summarize(x)
    assert_same(one, two)


def test_batch_one_against_many():
    """Per-element counts over a batch are the sums of each sample's alone."""
    x = values(np.random.default_rng(5), "spikes", (6, 2, 9, 9))
    whole = summarize(x)
    parts = [summarize(x[i:i + 1]) for i in range(6)]
    np.testing.assert_array_equal(whole.col, sum(p.col for p in parts))
    assert whole.nnz == sum(p.nnz for p in parts)


def test_step_stats_share_a_record_between_views_and_recycle_their_buffers():
    rng = np.random.default_rng(6)
    stats = StepStats()
    x = values(rng, "spikes", (3, 4, 5, 5))
    a = stats.of(x)
    assert stats.of(x.reshape(3, -1)) is a            # a Flatten or a dense node's view
    assert stats.of(x.reshape(3, 20, 5)) is a         # a Reshape
    other = stats.of(x.copy())                         # equal values elsewhere: a record of its own
    assert other is not a and other.col is not a.col
    assert stats.of(x.reshape(1, -1)) is not a         # another batch split: other per-element counts
    assert stats.of(x[:, :2]) is not a                 # a slice: another value
    assert_same(stats.of(x[:, :2]), summarize_reference(x[:, :2]))
    col = a.col
    stats.clear()
    y = values(rng, "avgpool", (3, 4, 5, 5))
    b = stats.of(y)
    assert b is not a and b.col is col or b.col.shape == col.shape   # a column array of the last step reused
    assert_same(b, summarize_reference(y))


@pytest.mark.parametrize("n", [0, 5, PARALLEL_MIN + 9])
@pytest.mark.parametrize("dtype", [np.int64, np.float64])
def test_changed_and_kept(n, dtype):
    rng = np.random.default_rng(7)
    prev = rng.integers(-3, 4, (n,)).astype(dtype)
    u = prev.copy()
    flip = rng.random(n) < 0.2
    u[flip] += 1
    if dtype == np.float64 and n:
        prev[0], u[0] = np.nan, np.nan                 # NaN differs from everything, itself included
        prev[1], u[1] = 0.0, -0.0                      # equal, but the kept value carries u's sign
    expect = int(np.count_nonzero(u != prev))
    assert events.changed_and_kept(u, prev) == expect
    assert prev.tobytes() == u.tobytes()
    assert events.changed_and_kept(u.reshape(1, -1), prev.reshape(1, -1)) == (1 if dtype == np.float64 and n else 0)
    with pytest.raises(ValueError):
        events.changed_and_kept(u, prev.astype(np.float32))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.uint64])
def test_add_counts(dtype):
    rng = np.random.default_rng(8)
    row = rng.integers(0, 50, 1000).astype(dtype)
    counts = rng.integers(0, 50, 1000)
    expect = row.astype(np.int64) + counts
    events.add_counts(row, counts)
    assert row.dtype == dtype and np.array_equal(row, expect)


# ------------------------------------------------------------------ whole runs

class ReferenceStats(StepStats):
    """Every reader gets its own numpy-specification record: no kernel, no sharing."""

    def of(self, x):
        return summarize_reference(x)


def fs_pool_network() -> tuple:
    """Few-spikes neurons, average pooling (non-binary inputs, phase events), a dense readout."""
    rng = np.random.default_rng(11)
    b = WorkloadBuilder("fsconv", input_shape=(2, 12, 12), timesteps=2)
    h = b.conv("c1", b.input, rng.integers(-8, 9, (4, 2, 3, 3)) / 4, rng.integers(-8, 9, 4) / 4)
    h = b.node("fs1", "FS", [h], {"phases": 4, "alpha": 2.0})
    h = b.conv("c2", b.pool("pool", h, "avg", [2, 2], strides=[2, 2]), rng.integers(-8, 9, (3, 4, 2, 2)) / 4)
    h = b.neuron("if2", h, "IF", threshold=1.0, reset="subtract")
    h = b.gemm("fc", b.flatten("flat", b.pool("pool2", h, "avg", [2, 2], strides=[2, 2])),
               rng.integers(-8, 9, (5, 12)) / 4)
    b.readout(h)
    return b.graph(), Samples(rng.integers(0, 9, (5, 2, 12, 12)) / 8, None, "")


@pytest.mark.parametrize("arch, workload, sets, n", [
    ("digital_only.yaml", "hsi_hybrid", [], 3),                       # fixed point, average pooling
    ("ace_snn_pim.yaml", "digits", [], 40),                           # PIM first layer
    ("digital_only.yaml", "digits", ["core.numerics=float"], 40),     # float neurons: replayed membranes
    ("digital_only.yaml", "srnn_events", [], 6),                      # recurrent
    ("ace_snn_pim.yaml", "hybrid_events", [], None),                  # hybrid ANN-SNN
])
def test_runs_count_the_same_with_the_numpy_specification(monkeypatch, arch, workload, sets, n):
    job = prepare(str(ROOT / "arch_configs" / arch), str(ROOT / "workloads" / workload / "workload.json"), sets, n)
    fast = functional_trace(job)
    monkeypatch.setattr(counting, "StepStats", ReferenceStats)
    assert_same_trace(fast, functional_trace(job))


@pytest.mark.parametrize("batch", [1, 2, 5])
def test_few_spikes_and_pooling_count_the_same_with_the_numpy_specification(monkeypatch, batch):
    graph, samples = fs_pool_network()
    fast = simulate(graph, samples, batch_size=batch)
    monkeypatch.setattr(counting, "StepStats", ReferenceStats)
    assert_same_trace(fast, simulate(graph, samples, batch_size=5))
    assert fast.counts[1].nonbinary_inputs.sum() > 0      # the pooled phase spikes are not binary


@pytest.mark.parametrize("workload, n", [("hsi_hybrid", 3), ("srnn_events", 5)])
def test_per_address_counts_equal_a_recount_from_the_probes(workload, n):
    """by_input and by_neuron recounted from the values each layer saw (a probe), batch 1 and many."""
    job = prepare(str(ROOT / "arch_configs" / "digital_only.yaml"),
                  str(ROOT / "workloads" / workload / "workload.json"), [], n)
    from accelsim.hw.builtin import HardwareNumerics
    from accelsim.simulate import hardware_layers
    layers = hardware_layers(job)
    for batch in (1, n):
        seen_in = {l.name: np.zeros((job.graph.timesteps, int(np.prod(l.in_shape))), np.int64) for l in layers}
        seen_out = {l.name: np.zeros((job.graph.timesteps, l.neurons), np.int64) for l in layers}

        def probe(layer, t, start, xin, yout):
            seen_in[layer.name][t] += (xin.reshape(xin.shape[0], -1) != 0).sum(axis=0)
            seen_out[layer.name][t] += (yout.reshape(yout.shape[0], -1) != 0).sum(axis=0)

        tr = simulate(job.graph, job.data, batch_size=batch, probes=[probe], layers=layers,
                      executors=HardwareNumerics(job.spec.arch, layers))
        for layer, adr, cnt in zip(layers, tr.addresses, tr.counts):
            np.testing.assert_array_equal(adr.by_input, seen_in[layer.name])
            np.testing.assert_array_equal(cnt.events_in, seen_in[layer.name].sum(axis=1))
            if adr.by_neuron is not None:
                np.testing.assert_array_equal(adr.by_neuron, seen_out[layer.name])
                np.testing.assert_array_equal(cnt.spikes_out, seen_out[layer.name].sum(axis=1))


def test_membrane_updates_count_changes_since_the_last_step():
    """NeuroBench's count: every neuron at a batch's first step, then those whose membrane changed;
    the membrane handed in may be a buffer its executor overwrites at the next step."""
    from accelsim.engine.counting import _Membranes

    rng = np.random.default_rng(9)
    m = _Membranes()
    for batch, dtype in ((3, np.int64), (3, np.float64), (2, np.float64)):   # new batches, a smaller last one
        buf = np.zeros((batch, 50), dtype)
        last = None
        for t in range(4):
            new = buf.copy()
            new[rng.random(new.shape) < 0.3] += 1
            if dtype == np.float64 and t == 2:
                new[0, 0] = np.nan                       # NaN counts as changed (numpy's !=) at t = 2 and 3
            buf[...] = new                               # the executor's reused buffer
            expect = buf.size if t == 0 else int(np.count_nonzero(new != last))
            assert m.updates("layer", buf, t) == expect
            last = new


def test_step_stats_hold_what_they_describe():
    """A record keeps its array alive, so a later array of the step cannot take its address (a
    value of another dtype is summarised from a float64 copy: the original is what is held)."""
    import gc
    import weakref

    stats = StepStats()
    x = np.ones((2, 3), np.int64)
    ref = weakref.ref(x)
    stats.of(x)
    del x
    gc.collect()
    assert ref() is not None
    stats.clear()
    gc.collect()
    assert ref() is None
