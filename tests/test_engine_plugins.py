"""Hardware engines as plug-ins: the recipe of docs/architecture.md ("add an engine"),
exercised with a test-only engine registered from here and run end to end.

The ``toy`` engine runs the tiny workload's readout layer ``fc`` (see conftest.py):
its numerics round the layer's output to multiples of 1/8 (so the engine's
executor is seen by the functional pass), it charges ``toy.mac`` = 2 pJ per
synaptic operation, runs one task per step on core 0 of ``ceil(ops / 4)`` cycles and
stores its weights at 3 bits (the report's NeuroBench footprint asks it).

The ``ann2`` engine is the shipped ANN engine under another name and a higher
priority: the hybrid's ANN part goes to the engine that ``runs_ann``, whatever its name.
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
TOY_WEIGHT_BITS = 3
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

    def weight_bits(self, arch):
        return TOY_WEIGHT_BITS

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


def test_the_report_asks_the_engine_how_wide_its_stored_weights_are(toy, arch_file, workload_file):
    job = prepare(str(arch_file), str(workload_file))
    fc = next(n for n in job.graph.nodes if n.name == "fc")
    size = job.graph.tensors[fc.inputs[1]].size
    on_toy = run_simulation(str(arch_file), str(workload_file), backend="numpy")["neurobench"]["layers"]["fc"]
    unregister("toy")
    on_core = run_simulation(str(arch_file), str(workload_file), backend="numpy")["neurobench"]["layers"]["fc"]
    bits = job.spec.arch.core.weight_bits
    assert bits != TOY_WEIGHT_BITS
    assert on_toy["Footprint"] - on_core["Footprint"] == -(-size * TOY_WEIGHT_BITS // 8) - -(-size * bits // 8)


def test_the_hybrid_ann_goes_to_the_engine_that_runs_it_whatever_its_name(tmp_path):
    from accelsim.hw.ann.engine import AnnEngine
    from accelsim.hw.engines import ann_engine

    from hybrid_cases import workload

    class Ann2(AnnEngine):
        name = "ann2"
        priority = -50          # asked before the shipped ``ann``

    path, arch, sets = str(workload(tmp_path)), "arch_configs/ace_snn_pim.yaml", ["ann.target=pim"]
    shipped = run_simulation(arch, path, sets)
    register(Ann2())
    try:
        assert ann_engine().name == "ann2"
        other = run_simulation(arch, path, sets)
    finally:
        unregister("ann2")
    assert [l["engine"] for l in other["hybrid"]["layers"]] == ["ann2"]
    assert other["energy_by_engine_pj"]["ann2"] == shipped["energy_by_engine_pj"]["ann"] > 0
    assert "ann" not in other["energy_by_engine_pj"]            # the shipped ann engine added nothing
    for key in ("energy_pj", "latency_ns"):
        assert other["per_inference"][key] == shipped["per_inference"][key]
    assert other["hybrid"]["snn_energy_pj"] == shipped["hybrid"]["snn_energy_pj"]
    assert other["baselines"]["ann_only_hw"] == shipped["baselines"]["ann_only_hw"]


def test_no_module_outside_the_engines_names_an_engine():
    """Outside accelsim/hw/, behaviour never depends on an engine's name: no ``x.engine == "pim"``,
    no ``get("ann")`` (what differs between engines is a hook of hw/engines.py)."""
    import ast
    from pathlib import Path

    import accelsim

    names = set(engines.ENGINES)
    root = Path(accelsim.__file__).resolve().parent
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).parts[0] == "hw":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                named = any(isinstance(s, (ast.Attribute, ast.Name)) and getattr(s, "attr", getattr(s, "id", None))
                            == "engine" for s in sides)
                if named and any(isinstance(s, ast.Constant) and s.value in names for s in sides):
                    found.append(f"{path.relative_to(root)}:{node.lineno}")
            func = node.func if isinstance(node, ast.Call) else None
            registry_get = (isinstance(func, ast.Name) and func.id == "get") or (
                isinstance(func, ast.Attribute) and func.attr == "get" and getattr(func.value, "id", "") in
                ("engines", "builtin"))            # the registry's get, not a dict's
            if (registry_get and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value in names):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
            if (isinstance(node, ast.Subscript) and getattr(node.value, "id", None) == "ENGINES"
                    and isinstance(node.slice, ast.Constant)):
                found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not found, f"engine names compared or looked up outside accelsim/hw/: {found}"
