"""Fixed-point neurons with a subtracting reset give their membrane before reset from the step's own
results (state + threshold where fired) instead of replaying the step: the same MembraneUpdates."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from accelsim.hw.core.fixed import FixedNeuronExec
from accelsim.simulate import functional_trace, prepare

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("arch, workload, n", [
    ("digital_only.yaml", "digits", 50),
    ("ace_snn_pim.yaml", "hsi_hybrid", 2),
    ("ace_snn_pim.yaml", "hybrid_events", None),
])
def test_derived_membrane_updates_equal_the_replayed_ones(monkeypatch, arch, workload, n):
    job = prepare(str(ROOT / "arch_configs" / arch), str(ROOT / "workloads" / workload / "workload.json"), [], n)
    derived = functional_trace(job)
    monkeypatch.setattr(FixedNeuronExec, "derives_membrane", property(lambda self: False))
    replayed = functional_trace(job)
    used = 0
    for layer, a, b in zip(derived.layers, derived.counts, replayed.counts):
        if b.membrane_updates is None:
            assert a.membrane_updates is None, layer.name
        else:
            used += 1
            assert np.array_equal(a.membrane_updates, b.membrane_updates), layer.name
    assert used > 0


@pytest.mark.parametrize("workload, n", [("digits", 50), ("srnn_events", 16)])
def test_zero_reset_membranes_from_the_fused_step_equal_the_replayed_ones(tmp_path, monkeypatch, workload, n):
    """With a reset to zero the fused numba step writes the membrane before the reset too (the
    numpy step cannot rebuild it from the state), so such layers are not replayed either."""
    import json
    import shutil

    folder = tmp_path / workload
    shutil.copytree(ROOT / "workloads" / workload, folder)
    doc = json.loads((folder / "workload.json").read_text())
    changed = 0
    for node in doc["nodes"]:
        if node.get("attrs", {}).get("reset") == "subtract":
            node["attrs"]["reset"] = "zero"
            changed += 1
    assert changed
    (folder / "workload.json").write_text(json.dumps(doc))
    job = prepare(str(ROOT / "arch_configs" / "digital_only.yaml"), str(folder / "workload.json"), [], n)
    derived = functional_trace(job)
    assert any(ex.derives_membrane and ex.dp.reset_zero for ex in _neuron_execs(job))
    monkeypatch.setattr(FixedNeuronExec, "derives_membrane", property(lambda self: False))
    replayed = functional_trace(job)
    used = 0
    for layer, a, b in zip(derived.layers, derived.counts, replayed.counts):
        if b.membrane_updates is not None:
            used += 1
            assert np.array_equal(a.membrane_updates, b.membrane_updates), layer.name
    assert used > 0


def _neuron_execs(job):
    from accelsim.hw.engines import HardwareNumerics
    from accelsim.simulate import hardware_layers

    layers = hardware_layers(job)
    build = HardwareNumerics(job.spec.arch, layers)
    return [ex for ex in (build(job.graph, n, "numba") for n in job.graph.nodes if n.kind == "neuron")
            if isinstance(ex, FixedNeuronExec)]
