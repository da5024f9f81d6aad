"""Mapping of small layers: core.min_neurons_per_core keeps them on few cores."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from accelsim.cli import main
from accelsim.engine.lower import lower
from accelsim.hw.core.mapping import layer_cores, map_layer
from accelsim.workload import load_workload

ROOT = Path(__file__).resolve().parent.parent
DIGITS = ROOT / "workloads" / "digits" / "workload.json"


def test_small_layers_use_ceil_neurons_over_min_cores_rotated():
    layers = lower(load_workload(DIGITS))  # fc1 64 neurons, fc2 32, fc3 10 outputs
    assert [l.neurons for l in layers] == [64, 32, 10]
    # 16 cores, at least 16 neurons per core: 4, 2 and 1 cores, starting at (index * used) mod 16
    assert [layer_cores(l, 16, 16) for l in layers] == [(4, 0), (2, 2), (1, 2)]
    m = map_layer(layers[1], 16, "channel", 16)
    assert sorted(set(m.neuron_owner.tolist())) == [2, 3]
    assert m.neurons_per_core.tolist() == [0, 0, 16, 16] + [0] * 12
    # the default spreads every layer over all cores
    assert len(set(map_layer(layers[1], 16, "channel").neuron_owner.tolist())) == 16
    assert layer_cores(layers[0], 16, 1) == (16, 0) and layer_cores(layers[0], 3, 16) == (3, 0)


def test_packing_a_small_layer_saves_energy_and_costs_time(tmp_path):
    arch = ROOT / "arch_configs" / "ace_snn_pim.yaml"
    reps = {}
    for m in (1, 16):
        out = tmp_path / f"m{m}"
        assert main(["run", str(arch), str(DIGITS), "-o", str(out), "-q", "--samples", "20",
                     "--set", f"core.min_neurons_per_core={m}"]) == 0
        reps[m] = json.loads((out / "report.json").read_text())
    fc3 = {m: next(l for l in r["layers"] if l["name"] == "fc3") for m, r in reps.items()}
    # fc3's 10 outputs on one core instead of 10: each event reads one weight word and
    # read-modify-writes one Vmem word once instead of on 10 cores
    words = {m: fc3[m]["cost_details"]["weight_words_read"] for m in reps}
    assert np.isclose(words[1], 10 * words[16])
    assert fc3[16]["energy_pj"] < fc3[1]["energy_pj"] / 3
    assert reps[16]["per_inference"]["energy_pj"] < reps[1]["per_inference"]["energy_pj"]
    assert reps[16]["per_inference"]["latency_ns"] >= reps[1]["per_inference"]["latency_ns"]
    assert reps[16]["accuracy"] == reps[1]["accuracy"]  # a cost-only parameter


def test_one_trace_costed_under_two_mappings_gives_fresh_results():
    """The routed counts are memoised per trace: a change of core.min_neurons_per_core must not
    reuse the counts of the other mapping (what a sweep over it does)."""
    from accelsim.config.loader import load_arch
    from accelsim.cost import model
    from accelsim.simulate import Job, functional_trace

    arch = ROOT / "arch_configs" / "ace_snn_pim.yaml"
    graph = load_workload(DIGITS)
    data = graph.samples.head(10)
    specs = {m: load_arch(arch, [("core.min_neurons_per_core", m)]) for m in (1, 16)}
    shared = functional_trace(Job(specs[1], graph, data, str(arch), str(DIGITS), ""))
    reused = {m: model.evaluate(shared, specs[m], graph).energy_pj for m in (1, 16)}
    fresh = {m: model.evaluate(functional_trace(Job(specs[m], graph, data, str(arch), str(DIGITS), "")),
                               specs[m], graph).energy_pj for m in (1, 16)}
    assert reused == fresh and reused[1] != reused[16]
