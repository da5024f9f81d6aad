"""Test helper: two functional traces are the same, bit for bit (every count of every layer and of a
hybrid's ANN part, dtypes included; activity records field by field; scores and predictions)."""
from __future__ import annotations

from dataclasses import fields

import numpy as np

from accelsim.engine.trace import AddressCounts, LayerCounts


def _same_array(a, b, what):
    if a is None or b is None:
        assert a is None and b is None, what
        return
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), what


def _same_activity(a, b, what):
    if a is None or b is None:
        assert a is None and b is None, what
        return
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            _same_array(x, y, f"{what}.{f.name}")
        else:
            assert x == y, f"{what}.{f.name}: {x} != {y}"


def assert_same_trace(t1, t2):
    assert t1.samples == t2.samples and t1.static_layers == t2.static_layers
    for name in ("scores", "predictions", "labels", "correct_by_step"):
        _same_array(getattr(t1, name), getattr(t2, name), name)
    for layer, c1, c2 in zip(t1.layers, t1.counts, t2.counts):
        for f in fields(LayerCounts):
            if f.name == "activity":
                _same_activity(c1.activity, c2.activity, f"{layer.name}.activity")
            else:
                _same_array(getattr(c1, f.name), getattr(c2, f.name), f"{layer.name}.{f.name}")
    for layer, a1, a2 in zip(t1.layers, t1.addresses, t2.addresses):
        for f in fields(AddressCounts):
            _same_array(getattr(a1, f.name), getattr(a2, f.name), f"{layer.name}.addresses.{f.name}")
    assert (t1.ann is None) == (t2.ann is None)
    if t1.ann is not None:
        for c1, c2 in zip(t1.ann.counts, t2.ann.counts):
            for f in fields(LayerCounts):
                if f.name != "activity":
                    _same_array(getattr(c1, f.name), getattr(c2, f.name), f"ann.{f.name}")
            _same_activity(c1.activity, c2.activity, "ann.activity")
        for w1, w2 in zip(t1.ann.state_writes, t2.ann.state_writes):
            _same_array(w1, w2, "ann.state_writes")
