"""A layer's fixed-point format (``core.numerics: fixed``) is computed once per graph, layer and
:class:`FixedPoint` group, and its synaptic and neuron executors share it."""
from __future__ import annotations

import gc
import weakref

import numpy as np

from accelsim.engine.lower import lower
from accelsim.hw.builtin import HardwareNumerics, assign, simulate_on
from accelsim.hw.core import fixed
from accelsim.hw.core.fixed import FixedPoint, FormatMemo, LayerFormat

from test_fixed_point import arch_with, random_graph

ARCH = {"pim.enabled": False, "core.numerics": "fixed", "core.weight_bits": 5, "core.vmem_bits": 12}


def _counting(monkeypatch) -> list:
    calls = []
    compute = LayerFormat.compute.__func__

    def counted(cls, graph, layer, fp):
        calls.append(layer.name)
        return compute(cls, graph, layer, fp)

    monkeypatch.setattr(LayerFormat, "compute", classmethod(counted))
    monkeypatch.setattr(fixed, "_FORMATS", FormatMemo())
    return calls


def test_one_format_per_layer_shared_by_its_two_executors(monkeypatch):
    calls = _counting(monkeypatch)
    graph, _ = random_graph(0)
    arch = arch_with(ARCH)
    layers = assign(lower(graph), arch)
    build = HardwareNumerics(arch, layers)
    fixed_layers = 0
    for layer in layers:
        syn = build(graph, layer.synapse, "numpy")
        neu = build(graph, layer.neuron, "numpy") if layer.neuron is not None else None
        if isinstance(neu, fixed.FixedNeuronExec) and not layer.first_layer:   # the first layer: DigitalExec
            fixed_layers += 1
            assert syn.fmt is neu.fmt, layer.name
    assert fixed_layers >= 3
    on_core = [l.name for l in layers if l.engine == "core"]
    assert sorted(calls) == sorted(on_core)         # once per layer, not once per executor


def test_a_whole_run_computes_each_format_once(monkeypatch):
    calls = _counting(monkeypatch)
    graph, samples = random_graph(1)
    trace = simulate_on(arch_with(ARCH), graph, samples, batch_size=4)     # several batches
    on_core = [l.name for l in trace.layers if l.engine == "core"]
    assert sorted(calls) == sorted(on_core)
    simulate_on(arch_with({**ARCH, "core.vmem_bits": 14}), graph, samples)  # another group: new formats
    assert len(calls) == 2 * len(on_core)


def test_the_memo_is_keyed_by_the_group_and_holds_no_graph():
    memo = FormatMemo(size=4)
    graph, _ = random_graph(2)
    layer = lower(graph)[1]
    fp = FixedPoint(4, 8, 1, False, False, 6)
    a = memo.get(graph, layer, fp)
    assert memo.get(graph, layer, fp) is a
    b = memo.get(graph, layer, FixedPoint(4, 8, 2, False, False, 6))
    assert b is not a and np.allclose(b.lsb, a.lsb / 2)
    np.testing.assert_array_equal(a.weight_scale, LayerFormat.compute(graph, layer, fp).weight_scale)
    ref = weakref.ref(graph)
    del graph
    gc.collect()
    assert ref() is None                            # the memo does not keep the graph alive
