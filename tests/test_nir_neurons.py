"""LI and CubaLIF neurons: numba kernels equal the numpy references bit for bit, and
both follow traces worked out by hand."""
from __future__ import annotations

import numpy as np
import pytest

from accelsim.neurons import cuba_lif, li, lif
from accelsim.neurons.base import RESET_SUBTRACT, RESET_ZERO


def _params(M, rng):
    return dict(syn_leak=rng.uniform(0, 1, M), w_in=rng.normal(size=M), leak=rng.uniform(0, 1, M),
                gain=rng.normal(size=M), bias=0.1 * rng.normal(size=M), thr=rng.uniform(0.2, 1.0, M))


@pytest.mark.parametrize("reset_mode", [RESET_SUBTRACT, RESET_ZERO])
def test_cuba_lif_numba_equals_reference(reset_mode):
    rng = np.random.default_rng(3)
    N, M, T = 5, 37, 30
    p = _params(M, rng)
    v1, v2 = np.zeros((N, M)), np.zeros((N, M))
    c1, c2 = np.zeros((N, M)), np.zeros((N, M))
    total = 0.0
    for _ in range(T):
        i = rng.normal(size=(N, M))
        s1 = cuba_lif.cuba_lif_step(v1, c1, i, p["syn_leak"], p["w_in"], p["leak"], p["gain"], p["bias"], p["thr"],
                                  reset_mode, -0.25)
        s2 = cuba_lif.cuba_lif_step_reference(v2, c2, i, p["syn_leak"], p["w_in"], p["leak"], p["gain"], p["bias"],
                                            p["thr"], reset_mode, -0.25)
        assert np.array_equal(s1, s2) and np.array_equal(v1, v2) and np.array_equal(c1, c2)
        total += s1.sum()
    assert 0 < total < N * M * T  # the trace exercises both branches


def test_li_numba_equals_reference():
    rng = np.random.default_rng(4)
    N, M = 3, 11
    leak, gain, bias = rng.uniform(0, 1, M), rng.normal(size=M), rng.normal(size=M)
    v1, v2 = np.zeros((N, M)), np.zeros((N, M))
    for _ in range(10):
        i = rng.normal(size=(N, M))
        assert np.array_equal(li.li_step(v1, i, leak, gain, bias), li.li_step_reference(v2, i, leak, gain, bias))


def test_cuba_lif_by_hand():
    # one neuron: syn_leak 0.5, w_in 2, leak 0.5, gain 1, bias 0, threshold 1.5, reset to zero; inputs 1, 0, 0, 1
    # t0: i = 0.5*0 + 2*1 = 2;  v = 0.5*0 + 2 = 2 > 1.5 -> spike, v = 0
    # t1: i = 1;                v = 0 + 1 = 1            no spike
    # t2: i = 0.5;              v = 0.5 + 0.5 = 1        no spike
    # t3: i = 0.25 + 2 = 2.25;  v = 0.5 + 2.25 = 2.75    spike, v = 0
    one = lambda x: np.array([x], dtype=np.float64)  # noqa: E731
    v, c = np.zeros((1, 1)), np.zeros((1, 1))
    spikes, vs, cs = [], [], []
    for x in (1.0, 0.0, 0.0, 1.0):
        s = cuba_lif.cuba_lif_step(v, c, np.array([[x]]), one(0.5), one(2.0), one(0.5), one(1.0), one(0.0), one(1.5),
                                   RESET_ZERO, 0.0)
        spikes.append(s[0, 0]), vs.append(v[0, 0]), cs.append(c[0, 0])
    assert spikes == [1.0, 0.0, 0.0, 1.0]
    assert vs == [0.0, 1.0, 1.0, 0.0]
    assert cs == [2.0, 1.0, 0.5, 2.25]


def test_cuba_lif_threshold_is_strict_and_lif_is_not():
    # v exactly at threshold: CubaLIF (NIR, v > thr) does not fire; LIF (v >= thr) does
    one = np.ones(1)
    v, c = np.zeros((1, 1)), np.zeros((1, 1))
    s = cuba_lif.cuba_lif_step(v, c, np.ones((1, 1)), np.zeros(1), one, one, one, np.zeros(1), one, RESET_ZERO)
    assert s[0, 0] == 0.0 and v[0, 0] == 1.0
    v2 = np.zeros((1, 1))
    assert lif.lif_step(v2, np.ones((1, 1)), one, one, RESET_ZERO)[0, 0] == 1.0


def test_li_by_hand():
    # leak 0.5, gain 2, bias 1: v = 0.5 v + 2 i + 1; inputs 1, 1 -> 3, 4.5
    v = np.zeros((1, 1))
    args = (np.array([0.5]), np.array([2.0]), np.array([1.0]))
    assert li.li_step(v, np.ones((1, 1)), *args)[0, 0] == 3.0
    assert li.li_step(v, np.ones((1, 1)), *args)[0, 0] == 4.5
