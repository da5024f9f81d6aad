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
