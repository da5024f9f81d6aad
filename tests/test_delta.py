"""Later layers of an ADC sweep from the previous point's inputs and outputs (accelsim/engine/delta.py,
accelsim/kernels/conv_delta.py): the convolution of the changes added to a reference output is the
convolution of the new input, bit for bit, and a sweep's traces are those of separate runs."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from accelsim.engine import delta
from accelsim.engine.delta import DeltaRefs
from accelsim.kernels.conv import conv_reference, scatter_weights
from accelsim.kernels.conv_delta import REF_MAX, changes, conv_delta, conv_delta_reference, delta_exact
from accelsim.kernels.exact import grain, row_abs_max
from accelsim.kernels.window import Window
from accelsim.simulate import functional_trace, prepare
from accelsim.sweep.adc_reuse import GroupTraces
from accelsim.sweep.validate import PointValidator
from trace_checks import assert_same_trace

ROOT = Path(__file__).resolve().parent.parent
PIM = str(ROOT / "arch_configs" / "ace_snn_pim.yaml")
HSI = str(ROOT / "workloads" / "hsi_hybrid" / "workload.json")

GEOMETRIES = [   # (N, C, O, group, in_sp, kernel, strides, pads, dilations)
    (3, 4, 6, 1, (9,), (3,), None, None, None),
    (2, 4, 6, 2, (7, 8), (3, 2), (2, 1), (1, 0, 1, 1), (1, 2)),
    (4, 3, 5, 1, (6, 5, 7), (3, 3, 3), None, (1, 1, 1, 1, 1, 1), None),
    (1, 6, 4, 2, (5, 6, 6), (2, 3, 1), (1, 2, 1), (0, 1, 0, 1, 0, 0), (2, 1, 1)),
]


def _case(rng, geo, changed=0.1):
    N, C, O, g, sp, k, s, p, d = geo
    win = Window.make(sp, k, s, p, d)
    w = rng.integers(-20, 21, size=(O, C // g) + k).astype(np.float64)
    xr = (rng.random((N, C) + sp) < 0.3).astype(np.float64)
    x = xr.copy()
    m = rng.random(x.shape) < changed
    x[m] = rng.choice([0.0, 1.0, 2.0, -1.0, 5.0], size=int(m.sum()))   # spikes, counts, signed values
    return win, w, xr, x


@pytest.mark.parametrize("geo", GEOMETRIES)
@pytest.mark.parametrize("changed", [0.0, 0.02, 0.5])
def test_the_reference_output_plus_the_changes_is_the_convolution_bit_for_bit(geo, changed):
    rng = np.random.default_rng(len(geo[4]) * 10 + int(changed * 100))
    win, w, xr, x = _case(rng, geo, changed)
    g = geo[3]
    y = conv_reference(xr, w, None, win, g)
    r8 = xr.astype(np.int8)
    want = conv_reference(x, w, None, win, g)
    assert conv_delta_reference(x, r8, y, w, win, g).tobytes() == want.tobytes()
    assert changes(x, r8).sum() == np.count_nonzero(x != xr)
    assert list(changes(x, r8)) == [np.count_nonzero(x[n] != xr[n]) for n in range(x.shape[0])]
    conv_delta(x, r8, y, scatter_weights(w, g), win, g)
    assert y.tobytes() == want.tobytes()
    assert np.array_equal(r8, x.astype(np.int8))      # the reference input moved to x
    # and again, from x to a third input: the pair is x's now
    x2 = xr.copy()
    conv_delta(x2, r8, y, scatter_weights(w, g), win, g)
    assert y.tobytes() == conv_reference(x2, w, None, win, g).tobytes()


def test_the_delta_kernel_is_refused_where_it_is_not_provably_exact():
    w = np.arange(-8.0, 8.0).reshape(2, 8)
    assert delta_exact(grain(w), row_abs_max(w))
    assert not delta_exact(grain(w * 0.3), row_abs_max(w * 0.3))        # not integers
    big = np.full((1, 4), 2.0 ** 50)
    assert not delta_exact(grain(big), row_abs_max(big))                 # sums beyond 2^53
    assert REF_MAX == 127


def _hsi_points(bits, n=2):
    job = prepare(PIM, HSI, [], n)
    v = PointValidator(PIM, HSI, ())
    return [replace(job, spec=v.arch_spec((("pim.adc_bits", b),))) for b in bits]


@pytest.mark.parametrize("policy", ["always", "auto"])
def test_an_adc_sweep_with_deltas_gives_the_traces_of_separate_runs(policy):
    """hsi_hybrid's three spike-fed convolutions from the previous point's references: 'always' takes
    every call it can from them (the high-precision points change few inputs), 'auto' the cost rule's
    choice; every trace is the separate run's, bit for bit."""
    jobs = _hsi_points((9, 12, 13, 14, 15))
    gt = GroupTraces()
    with delta.forced(policy):
        traces = [functional_trace(replace(j, reuse=gt)) for j in jobs]
        deltas, full = gt.refs.take_counts()
    for j, tr in zip(jobs, traces):
        assert_same_trace(tr, functional_trace(j))
    calls = 3 * 5 * len(jobs)            # 3 convolutions x 5 steps x one batch, per point
    assert deltas + full == calls
    if policy == "always":
        assert full == 3 * 5 and deltas == calls - 15      # only the first point runs in full
    assert gt.refs.nbytes > 0


def test_over_its_budget_a_call_keeps_no_reference_and_runs_in_full():
    jobs = _hsi_points((13, 14))
    gt = GroupTraces(ref_budget=1)
    with delta.forced("always"):
        traces = [functional_trace(replace(j, reuse=gt)) for j in jobs]
    assert gt.refs.take_counts() == (0, 30) and gt.refs.nbytes == 0 and not gt.refs.refs
    for j, tr in zip(jobs, traces):
        assert_same_trace(tr, functional_trace(j))


def test_far_calls_keep_their_inputs_only():
    """Under the cost rule, a call whose input differs from the previous point's in many positions
    keeps no output (its reference holds the int8 input alone): from 1 to 2 ADC bits the deeper
    layers' inputs change in ~20 % of their positions once spikes reach them (step 0 reaches none)."""
    jobs = _hsi_points((1, 2))
    gt = GroupTraces()
    for j in jobs:
        functional_trace(replace(j, reuse=gt))
    refs = gt.refs.refs
    assert gt.refs.take_counts() == (0, 30) and len(refs) == 15
    assert gt.refs.nbytes == sum(r.nbytes for r in refs.values())
    far = [k for k, r in refs.items() if r.y is None]
    assert {name for name, _, call in far} == {"conv3d_3", "conv2d_4"} and all(call > 0 for _, _, call in far)


def test_the_never_policy_keeps_nothing():
    jobs = _hsi_points((14, 15))
    gt = GroupTraces()
    with delta.forced("never"):
        for j in jobs:
            functional_trace(replace(j, reuse=gt))
    assert gt.refs.nbytes == 0 and gt.refs.take_counts() == (0, 30)
    with pytest.raises(ValueError):
        with delta.forced("sometimes"):
            pass


def test_a_layer_on_the_numpy_backend_does_not_follow_references():
    job = _hsi_points((14,))[0]
    refs = DeltaRefs()
    gt = GroupTraces()
    gt.refs = refs
    functional_trace(replace(job, reuse=gt), backend="numpy")
    assert refs.take_counts() == (0, 0) and not refs.refs
