"""Hardware engines as plug-ins: the recipe of docs/architecture.md ("add an engine"),
exercised with a test-only engine registered from here and run end to end.

The ``toy`` engine runs the tiny workload's readout layer ``fc`` (see conftest.py):
its numerics round the layer's output to multiples of 1/8 (so the engine's
executor is seen by the functional pass), it charges ``toy.mac`` = 2 pJ per
synaptic operation and runs one task per step on core 0 of ``ceil(ops / 4)`` cycles.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from accelsim.engine.execute import Executor, make_executor
from accelsim.hw import engines
from accelsim.hw.builtin import get
from accelsim.hw.engines import Engine, register, unregister
from accelsim.hw.result import LayerCost
from accelsim.simulate import functional_trace, prepare, run_simulation

TOY_PJ_PER_OP = 2.0
TOY_LANES = 4
STEP = 1.0 / 8


class _Rounded(Executor):
    """The exact executor, its output rounded to multiples of STEP (a stand-in for fixed point)."""

    def __init__(self, graph, node, backend):
        super().__init__(graph, node, backend)
        self.inner = make_executor(graph, node, backend)
        self.activity = {"calls": 0}

    def reset(self, batch):
        self.inner.reset(batch)

    def __call__(self, ins):
        self.activity["calls"] += 1
        return np.round(self.inner(ins) / STEP) * STEP


class ToyEngine(Engine):
    name = "toy"
    priority = 50

    def claims(self, layer, arch):
        return layer.name == "fc"

    def numerics(self, arch):
        return ("rounded", STEP)

    def executor(self, graph, node, layer, arch, backend, key):
        return _Rounded(graph, node, backend)

    def layer_cost(self, run, layer, counts):
        N, T = run.samples, run.timesteps
        ops = counts.synaptic_ops                          # [T], summed over samples
        energy = {"toy.mac": float(ops.sum()) * TOY_PJ_PER_OP / N}
        cycles = np.zeros((T, run.spec.arch.core.count), np.int64)
        cycles[:, 0] = -(-ops // (N * TOY_LANES))
        tasks = get("core").tasks(run, layer, cycles, np.zeros(cycles.shape))
        return LayerCost(layer.name, self.name, energy, 0.0, {"toy_ops": float(ops.sum() / N)}), tasks


@pytest.fixture
def toy():
    register(ToyEngine())
    yield
    unregister("toy")


def test_toy_engine_runs_its_layer_end_to_end(toy, arch_file, workload_file):
    job = prepare(str(arch_file), str(workload_file))
    trace = functional_trace(job, backend="numpy")
    fc = next(l for l in trace.layers if l.name == "fc")
    assert fc.engine == "toy" and [l.engine for l in trace.layers if l.name != "fc"] == ["pim"]
    assert trace.counts[fc.index].activity["calls"] == job.graph.timesteps     # its executor ran every step
    assert np.all(np.round(trace.scores / STEP) == trace.scores / STEP)         # its numerics reached the readout

    report = run_simulation(str(arch_file), str(workload_file), backend="numpy")
    layer = next(l for l in report["layers"] if l["name"] == "fc")
    assert layer["engine"] == "toy"
    ops = float(trace.counts[fc.index].synaptic_ops.sum()) / trace.samples
    assert layer["energy_breakdown_pj"]["toy.mac"] == pytest.approx(ops * TOY_PJ_PER_OP, rel=1e-12)
    assert report["energy_breakdown_pj"]["toy.mac"] == pytest.approx(ops * TOY_PJ_PER_OP, rel=1e-12)
    total = sum(report["energy_breakdown_pj"].values())
    assert math.isclose(total, report["per_inference"]["energy_pj"], rel_tol=1e-12)
    # its tasks are scheduled on core 0 after the layers that feed it, at every step
    starts = report["timing"]["layers"]
    assert starts["fc"]["start_ns"] >= starts["conv"]["start_ns"]
    json.dumps(report)


def test_without_the_toy_engine_the_layer_runs_on_the_cores(arch_file, workload_file):
    report = run_simulation(str(arch_file), str(workload_file), backend="numpy")
    assert next(l for l in report["layers"] if l["name"] == "fc")["engine"] == "core"
    assert "toy" not in engines.ENGINES


def test_a_trace_from_another_engine_assignment_is_refused(toy, arch_file, workload_file):
    from accelsim.cost import model

    job = prepare(str(arch_file), str(workload_file))
    trace = functional_trace(job, backend="numpy")
    unregister("toy")
    with pytest.raises(ValueError, match="toy"):
        model.evaluate(trace, job.spec, job.graph)
