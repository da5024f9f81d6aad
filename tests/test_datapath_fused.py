"""The fused fixed-point step (``hw/core/datapath.py``: :class:`FixedStep`) and the synapse's current
pass (``hw/core/current.py``) against their numpy specifications: ``to_fixed`` then
``datapath_step_reference`` (then ``astype(float64)`` or ``v * lsb``, and ``v + s * thr`` for the
membrane before reset), and ``to_current_reference``, bit for bit."""
from __future__ import annotations

import itertools

import numba
import numpy as np
import pytest

from accelsim.errors import InputError
from accelsim.hw.core import current
from accelsim.hw.core.current import to_current, to_current_reference
from accelsim.hw.core.datapath import INT64_MIN, DatapathParams, FixedStep, datapath_step_reference
from accelsim.hw.quantize import to_fixed
from accelsim.util import threads
from tests.test_fixed_point import _random_params as params, arch_with


def plain_params(M: int, thr: int, bits: int) -> DatapathParams:
    """M neurons with unit gain (64 / 2^6), no leak, bias or synaptic state, threshold ``thr``,
    ``bits``-bit saturating words."""
    return DatapathParams(leak_m=np.full(M, 64), leak_k=np.zeros(M, np.int64), gain_m=np.full(M, 64),
                          bias=np.zeros(M, np.int64), thr=np.full(M, thr), syn_m=np.zeros(M, np.int64),
                          syn_k=np.zeros(M, np.int64), w_in_m=np.full(M, 64), has_syn=False, spiking=True,
                          strict=False, reset_zero=False, v_reset=np.zeros(M, np.int64), frac_bits=6,
                          shift_mode=False, vmem_bits=bits, wrap=False)


def reference(v, isyn, i, lsb, p):
    """The former executor path: (output, membrane before reset, overflows, largest |c|)."""
    c = to_fixed(i, lsb)
    s, o = datapath_step_reference(v, isyn, c, p)
    out = s.astype(np.float64) if p.spiking else v * lsb
    big = int(np.abs(c).max()) if c.size else INT64_MIN
    return out, v + s * p.thr, o, big


def check_steps(p, lsb, N, steps, rng, scale=40.0, keep=(True, True)):
    M = lsb.shape[0]
    v1 = rng.integers(-128, 128, (N, M)).astype(np.int64)
    i1 = rng.integers(-128, 128, (N, M)).astype(np.int64)
    v2, i2 = v1.copy(), i1.copy()
    fused = FixedStep(p, lsb)
    total = 0
    for _ in range(steps):
        cur = np.round(rng.normal(0.0, scale, (N, M)), 1) * lsb   # near-integers and ties in LSBs
        out = np.full((N, M), np.nan) if keep[0] else None
        mem = np.full((N, M), 7, np.int64) if keep[1] else None
        o1, big1 = fused(v1, i1, cur, out, mem)
        want, mem2, o2, big2 = reference(v2, i2, cur, lsb, p)
        np.testing.assert_array_equal(v1, v2)
        np.testing.assert_array_equal(i1, i2)
        assert (o1, big1) == (o2, big2)
        if out is not None:
            assert out.tobytes() == want.tobytes()
        if mem is not None and p.spiking and not p.reset_zero:
            np.testing.assert_array_equal(mem, mem2)
        total += o1
    return total


FLAGS = list(itertools.product([False, True], repeat=6))   # has_syn, shift, wrap, strict, reset_zero, spiking


@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: "".join("syn shf wrp str rz spk".split()[k] if x else "-"
                                                                  for k, x in enumerate(f)))
def test_fused_step_equals_to_fixed_then_the_reference(flags):
    rng = np.random.default_rng(sum(b << k for k, b in enumerate(flags)))
    overflows = 0
    for N, M, uniform in ((5, 37, False), (1, 37, True), (3, 20000, True)):
        p = params(rng, M, *flags, uniform=uniform)
        lsb = np.full(M, 0.25) if uniform else rng.uniform(0.05, 2.0, M)
        overflows += check_steps(p, lsb, N, 4, rng)
    assert overflows > 0          # 8-bit words: the currents overflow them


@pytest.mark.parametrize("keep", [(True, False), (False, False), (False, True)])
def test_fused_step_without_output_or_membrane(keep):
    rng = np.random.default_rng(11)
    p = params(rng, 300, False, False, False, False, False, True, uniform=True)
    check_steps(p, np.full(300, 0.5), 4, 3, rng, keep=keep)


def test_conversion_ties_large_values_and_nan_as_numpy():
    """``rint(i / lsb)`` as int64: halves to even, -0.0, values beyond 2^53 and 2^63 and NaN (numpy's
    cast gives INT64_MIN, whose |.| stays INT64_MIN) convert as ``to_fixed`` does; 64-bit words so
    the datapath holds what fits."""
    lsb = np.array([0.1, 0.25, 1.0, 3.0])
    ties = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, -0.0, 0.0, 1e15 + 0.5, 2.0 ** 53 + 2])
    big = np.array([2.0 ** 62, -2.0 ** 62, 2.0 ** 63, -2.0 ** 63, 2.0 ** 64, -2.0 ** 70, np.inf, -np.inf, np.nan])
    # every value out of range (and NaN) alone: the largest |c| is then INT64_MIN, as numpy gives it
    vals = np.concatenate([ties, big])
    for q in lsb:
        cur = np.concatenate([vals * q, vals])
        M = cur.size
        p = plain_params(M, 2 ** 40, 64)
        with np.errstate(invalid="ignore"):
            c = to_fixed(cur, np.full(M, q))
            v1, v2 = np.zeros((1, M), np.int64), np.zeros((1, M), np.int64)
            out, mem = np.empty((1, M)), np.empty((1, M), np.int64)
            o1, big1 = FixedStep(p, np.full(M, q))(v1, np.zeros_like(v1), cur[None], out, mem)
            s, o2 = datapath_step_reference(v2, np.zeros_like(v2), c[None], p)
        np.testing.assert_array_equal(v1, v2)
        np.testing.assert_array_equal(mem, v2 + s * p.thr)
        assert o1 == o2 and big1 == int(np.abs(c).max())
    assert np.count_nonzero(c == INT64_MIN) >= 4   # 2^63, 2^64, inf, NaN: numpy's indefinite value, as the kernel's


def test_empty_layers_and_batches():
    rng = np.random.default_rng(2)
    for N, M in ((0, 5), (3, 0), (0, 0)):
        p = params(rng, M, False, False, False, False, False, True, uniform=False)
        v = np.zeros((N, M), np.int64)
        out = np.empty((N, M))
        assert FixedStep(p, np.ones(M))(v, v.copy(), np.zeros((N, M)), out, np.empty((N, M), np.int64)) \
            == (0, INT64_MIN)


@pytest.mark.parametrize("N", [1, 2, 3])
def test_one_and_two_threads_and_neuron_blocks_give_the_same_integers(N):
    """Fewer samples than threads: each sample's neurons are split into blocks (one per thread);
    the integers and the counts are those of one thread."""
    rng = np.random.default_rng(5)
    M = 50000
    p = params(rng, M, False, False, False, False, False, True, uniform=True)
    lsb = np.full(M, 0.5)
    fused = FixedStep(p, lsb)
    runs = []
    for n in (1, 2):
        with threads.limited(n):
            if n == 2 and numba.get_num_threads() == 2 and N == 1:
                assert fused.blocks(N, M) == 2
            v = np.zeros((N, M), np.int64)
            r = np.random.default_rng(9)
            outs = []
            for _ in range(3):
                out, mem = np.empty((N, M)), np.empty((N, M), np.int64)
                outs.append((fused(v, np.zeros_like(v), r.normal(0, 60, (N, M)), out, mem), out, mem, v.copy()))
            runs.append(outs)
    for (a, oa, ma, va), (b, ob, mb, vb) in zip(*runs):
        assert a == b and np.array_equal(oa, ob) and np.array_equal(ma, mb) and np.array_equal(va, vb)
    assert fused.blocks(4, M) == 1 and fused.blocks(1, 100) == 1   # batched or small: samples only


@pytest.mark.parametrize("shape, channel_shape", [((3, 5, 4, 4), (1, 5, 1, 1)), ((4, 7), (1, -1)),
                                                  ((1, 2, 3, 2, 2), (1, 2, 1, 1, 1))])
@pytest.mark.parametrize("with_bias", [False, True])
def test_current_pass_equals_the_numpy_reference(monkeypatch, shape, channel_shape, with_bias):
    """Ties after scaling (x.5 LSB), -0.0 (kept without a bias), values beyond 2^53, NaN and inf; the
    kernel runs at any size here (small arrays otherwise take the reference)."""
    monkeypatch.setattr(current, "PARALLEL_ELEMENTS", 0)
    rng = np.random.default_rng(3)
    y = np.round(rng.normal(0, 5, shape), 2)
    flat = y.reshape(-1)
    flat[:8] = [-0.0, -0.2, 0.25, 0.75, -1.25, 2.0 ** 60 + 1, np.nan, -np.inf]
    c = shape[1]
    bias = rng.integers(-4, 5, c).astype(np.float64) if with_bias else None
    lsb = rng.uniform(0.01, 1.0, c)
    for scale in (1.0, 2.0, 4.0):
        a = to_current(y.copy(), scale, bias, lsb, channel_shape)
        b = to_current_reference(y.copy(), scale, bias, lsb, channel_shape)
        assert a.tobytes() == b.tobytes()
    fortran = np.asfortranarray(y)                # not C-contiguous: the reference, in place as before
    assert to_current(fortran, 2.0, bias, lsb, channel_shape) is fortran


def test_the_current_limit_error_is_the_same_on_both_backends():
    from accelsim.hw.builtin import simulate_on
    from accelsim.workload.builder import WorkloadBuilder
    from accelsim.workload.graph import Samples

    b = WorkloadBuilder("big_current", input_shape=(2,), timesteps=2)
    b.readout(b.node("li", "LI", [b.gemm("fc", b.input, np.eye(2))], {"leak": 1.0, "gain": 2.0 ** 20}))
    arch = arch_with({"pim.enabled": False, "core.numerics": "fixed", "core.weight_bits": 24, "core.vmem_bits": 8,
                      "core.vmem_frac_bits": 16, "core.leak_frac_bits": 12})
    messages = []
    for backend in ("numba", "numpy"):
        with pytest.raises(InputError) as err:
            simulate_on(arch, b.graph(), Samples(np.ones((1, 2)), None, "<x>"), backend=backend)
        messages.append(str(err.value))
    assert messages[0] == messages[1] and "input current reaches" in messages[0]


def test_the_largest_current_of_only_out_of_range_values_is_int64_min():
    M = 3
    p = plain_params(M, 5, 16)
    cur = np.array([[np.nan, 2.0 ** 63, -np.inf]])
    with np.errstate(invalid="ignore"):
        want = int(np.abs(to_fixed(cur, np.ones(M))).max())
    v = np.zeros((1, M), np.int64)
    assert FixedStep(p, np.ones(M))(v, np.zeros_like(v), cur, np.empty((1, M)))[1] == want == INT64_MIN


def test_current_pass_runs_the_kernel_in_place_on_large_outputs():
    y = np.round(np.random.default_rng(4).normal(0, 5, (2, 4, 100, 100)), 2)
    assert y.size >= current.PARALLEL_ELEMENTS
    want = to_current_reference(y.copy(), 2.0, None, np.full(4, 0.3), (1, 4, 1, 1))
    got = to_current(y, 2.0, None, np.full(4, 0.3), (1, 4, 1, 1))
    assert got is y and got.tobytes() == want.tobytes()


@pytest.mark.parametrize("reset_mode", [0, 1])
def test_the_float_lif_kernel_split_over_neuron_blocks_equals_its_reference(reset_mode):
    """neurons/lif.py: one sample of a large layer is split over the threads (neuron_blocks); the
    result is the numpy reference's at 1 and 2 threads, batch 1 and 3."""
    from accelsim.neurons.base import neuron_blocks
    from accelsim.neurons.lif import lif_step, lif_step_reference

    rng = np.random.default_rng(8)
    M = 40000
    leak, thr = rng.uniform(0.5, 1.0, M), rng.uniform(0.5, 2.0, M)
    for N in (1, 3):
        i = rng.normal(0.3, 1.0, (N, M))
        v0 = rng.normal(0.0, 1.0, (N, M))
        v2 = v0.copy()
        want = lif_step_reference(v2, i, leak, thr, reset_mode, 0.25)
        for n in (1, 2):
            with threads.limited(n):
                if N == 1 and numba.get_num_threads() == 2:
                    assert neuron_blocks(N, M) == 2
                v1 = v0.copy()
                got = lif_step(v1, i, leak, thr, reset_mode, 0.25)
            assert got.tobytes() == want.tobytes() and v1.tobytes() == v2.tobytes()


@pytest.mark.parametrize("v_init", [0.0, 0.75, -3.0, 1e6])
def test_initial_state_in_lsbs_as_the_conversion_gives(v_init):
    """``FixedNeuronExec.reset`` takes an all-zero initial state without converting it; any other
    (here v_init, including one beyond the word: saturated) is ``saturate(to_fixed(x, lsb))``."""
    from accelsim.hw.core.fixed import FixedNeuronExec, FixedPoint, LayerFormat
    from accelsim.hw.quantize import saturate
    from accelsim.workload.builder import WorkloadBuilder

    b = WorkloadBuilder("init", input_shape=(3,), timesteps=1)
    b.readout(b.node("lif", "LIF", [b.gemm("fc", b.input, np.eye(3) * 0.5)], {"leak": 0.9, "threshold": 1.0,
                                                                               "v_init": v_init}))
    g = b.graph()
    node = g.nodes[-1]
    fp = FixedPoint(weight_bits=6, vmem_bits=10, vmem_frac_bits=2, wrap=False, shift_leak=False, leak_frac_bits=8)
    lsb = np.full(3, 0.5 / 31 / 4)
    fmt = LayerFormat(fp, np.full(3, 0.5 / 31), lsb, 1)
    ex = FixedNeuronExec(g, node, "numba", fmt)
    ex.reset(4)
    want = saturate(to_fixed(np.full((4, 3), v_init), lsb), fp.vmem_bits, fp.wrap)[0]
    assert ex.v.dtype == np.int64 and ex.v.shape == (4, 3)
    np.testing.assert_array_equal(ex.v, want)
    assert (v_init == 0.0) == (not want.any())
