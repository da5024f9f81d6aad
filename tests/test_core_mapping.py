"""Mapping of small layers: core.min_neurons_per_core keeps them on few cores."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from accelsim.cli import main
from accelsim.engine.lower import lower
from accelsim.hw.core.mapping import layer_cores, map_layer
from accelsim.workload import load_workload

ROOT = Path(__file__).resolve().parent.parent
DIGITS = ROOT / "workloads" / "digits" / "workload.json"
SRNN = ROOT / "workloads" / "srnn_events" / "workload.json"   # recurrent: docs/recurrent.md


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
    # (dynamic energy: the layer's share of SRAM leakage follows the makespan, which on the shipped
    # ace_snn_pim is set by the PIM first layer's 72 us per vector, not by this mapping)
    dyn = {m: fc3[m]["energy_pj"] - fc3[m]["energy_breakdown_pj"].get("leakage.sram", 0.0) for m in reps}
    assert dyn[16] < dyn[1] / 3
    assert reps[16]["per_inference"]["energy_pj"] < reps[1]["per_inference"]["energy_pj"]
    assert reps[16]["per_inference"]["latency_ns"] >= reps[1]["per_inference"]["latency_ns"]
    assert reps[16]["accuracy"] == reps[1]["accuracy"]  # a cost-only parameter


# (core.min_neurons_per_core, core.count) on the 4 x 4 mesh: a trace costed under each in turn
MAPPINGS = [(1, 4), (64, 4), (1, 16), (64, 16)]


def report_differences(a, b, path=""):
    """Paths at which two report dicts differ (exact: floats bit for bit, NaN equal to NaN)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path} keys {sorted(a.keys() ^ b.keys())}"]
        return [d for k in a for d in report_differences(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return [f"{path} length {len(a)} != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in report_differences(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return []
    return [] if type(a) is type(b) and a == b else [f"{path}: {a!r} != {b!r}"]


@pytest.mark.parametrize("workload", [DIGITS, SRNN], ids=["digits", "srnn_events"])
@pytest.mark.parametrize("arch_name", ["ace_snn_pim", "digital_only"])
def test_one_trace_costed_under_every_mapping_gives_every_report_field_of_fresh_runs(arch_name, workload):
    """The core engine's derived results (mapping, routed counts, Vmem occupancy, placement) are
    memoised on the trace: one trace costed under each mapping, forwards then backwards so every
    memo is hit, must give the whole report.json of a fresh run (own trace) of the same point."""
    from dataclasses import replace

    from accelsim.simulate import cost_and_report, functional_trace, prepare

    arch = str(ROOT / "arch_configs" / f"{arch_name}.yaml")

    def job(m, cores):
        return prepare(arch, str(workload), [("core.min_neurons_per_core", m), ("core.count", cores),
                                           ("noc.mesh_x", 4), ("noc.mesh_y", 4)], samples=10)

    fresh = {}
    for m, cores in MAPPINGS:
        j = job(m, cores)
        fresh[m, cores] = cost_and_report(j, functional_trace(j))
    shared_job = job(*MAPPINGS[0])
    shared = functional_trace(shared_job)
    for point in MAPPINGS + MAPPINGS[::-1]:
        reused = cost_and_report(replace(shared_job, spec=job(*point).spec), shared)  # as a sweep does
        diff = report_differences(reused, fresh[point])
        assert not diff, f"{point}: " + "; ".join(diff[:5])
    energies = {p: r["per_inference"]["energy_pj"] for p, r in fresh.items()}
    assert len(set(energies.values())) == len(MAPPINGS)   # every mapping costs differently
