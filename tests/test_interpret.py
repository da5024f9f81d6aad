"""The graph interpreter: topological order, gathered inputs, overrides, cached values, observers."""
from __future__ import annotations

import numpy as np

from accelsim.engine.execute import make_executor
from accelsim.engine.interpret import interpret
from accelsim.workload.builder import WorkloadBuilder


def small_graph():
    """conv (weight, bias) -> LIF -> pool -> flatten -> Gemm (weight): values and tensors mixed."""
    rng = np.random.default_rng(0)
    b = WorkloadBuilder("small", input_shape=(1, 6), timesteps=2)
    h = b.conv("c", b.input, rng.normal(size=(2, 1, 3)), rng.normal(size=2))
    h = b.neuron("n", h, "LIF", threshold=0.5, leak=0.9)
    h = b.pool("p", h, "avg", [2], strides=[2])
    h = b.flatten("f", h)
    b.readout(b.gemm("g", h, rng.normal(size=(3, 4))))
    return b.graph()


def symbolic_ops(graph, calls):
    """Ops that record (name, inputs) and output the node's name: values become names, tensors stay."""
    def op(name):
        def run(ins):
            calls.append((name, ins))
            return name
        return run
    return {n.name: op(n.name) for n in graph.nodes}


def test_nodes_run_in_topological_order_with_gathered_inputs():
    g = small_graph()
    calls = []
    vals = interpret(g, {g.input.name: "x"}, symbolic_ops(g, calls))
    assert [name for name, _ in calls] == [n.name for n in g.nodes] == ["c", "n", "p", "f", "g"]
    for (name, ins), node in zip(calls, g.nodes):
        assert len(ins) == len(node.inputs)
        for got, ref in zip(ins, node.inputs):
            if ref in g.shapes:  # the value computed earlier (named after its producer here)
                assert got == ("x" if ref == g.input.name else g.producer(ref).name)
            else:  # a tensor, passed as stored
                assert got is g.tensors[ref]
    assert vals == {g.input.name: "x", **{n.output: n.name for n in g.nodes}}


def test_an_override_replaces_one_node():
    g = small_graph()
    execs = {n.name: make_executor(g, n, "numpy") for n in g.nodes}
    x = np.random.default_rng(1).normal(size=(4, 1, 6))
    ops = dict(execs, n=lambda ins: np.maximum(ins[0], 0.0))  # the neuron replaced by ReLU
    vals = interpret(g, {g.input.name: x}, ops)
    conv = execs["c"]([x] + [g.tensors[t] for t in g.node("c").inputs[1:]])
    np.testing.assert_array_equal(vals[g.node("n").output], np.maximum(conv, 0.0))
    np.testing.assert_array_equal(vals[g.node("p").output], execs["p"]([np.maximum(conv, 0.0)]))


def test_a_cached_value_is_not_recomputed_and_keep_fills_the_cache():
    g = small_graph()
    calls = []
    ops = symbolic_ops(g, calls)
    cache = {}
    interpret(g, {g.input.name: "x"}, ops, cache, keep={g.node("c").output, g.node("p").output})
    assert cache == {g.node("c").output: "c", g.node("p").output: "p"}
    calls.clear()
    cache[g.node("p").output] = "held"
    vals = interpret(g, {g.input.name: "x"}, ops, cache)
    assert [name for name, _ in calls] == ["n", "f", "g"]          # c and p not evaluated
    assert vals[g.node("c").output] == "c" and vals[g.node("p").output] == "held"
    assert dict(calls)["f"] == ["held"]                           # consumers see the cached value


def test_keep_without_a_cache_stores_nothing_and_evaluates_everything():
    g = small_graph()
    calls = []
    interpret(g, {g.input.name: "x"}, symbolic_ops(g, calls), keep={g.node("c").output})
    assert [name for name, _ in calls] == ["c", "n", "p", "f", "g"]


def test_the_observer_sees_every_evaluated_node_with_its_inputs_and_output():
    g = small_graph()
    seen = []
    cache = {g.node("c").output: "c0"}
    interpret(g, {g.input.name: "x"}, symbolic_ops(g, []), cache,
              observe=lambda node, ins, out: seen.append((node.name, ins[0], out)))
    assert seen == [("n", "c0", "n"), ("p", "n", "p"), ("f", "p", "f"), ("g", "f", "g")]
