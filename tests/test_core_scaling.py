"""More cores lower the delay of a compute-bound layer until the serial part dominates."""
from __future__ import annotations

import numpy as np
import pytest

from accelsim.config.loader import load_arch
from accelsim.cost import model
from accelsim.hw.builtin import simulate_on
from accelsim.workload.builder import WorkloadBuilder

MESHES = {1: (1, 1), 2: (2, 1), 4: (2, 2), 8: (4, 2), 16: (4, 4), 32: (8, 4), 64: (8, 8)}


def compute_bound():
    """A dense 128 -> 128 -> 128 network that fires at nearly every step: fc2 does ~2^14 ops per step."""
    rng = np.random.default_rng(1)
    b = WorkloadBuilder("bound", input_shape=(128,), timesteps=4)
    h = b.neuron("n1", b.gemm("fc1", b.input, rng.random((128, 128)) * 0.05), "IF", threshold=1.0)
    h = b.neuron("n2", b.gemm("fc2", h, rng.normal(0.05, 0.2, (128, 128))), "IF", threshold=1.0)
    b.readout(b.gemm("fc3", h, rng.normal(size=(10, 128))))
    return b.graph(), rng.random((4, 128))


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    from accelsim.workload.graph import Samples

    graph, x = compute_bound()
    arch = tmp_path_factory.mktemp("a") / "arch.yaml"
    arch.write_text("core: {weight_sram_kib: 512.0}\npim: {macros: 64}\n", encoding="utf-8")
    # the first layer's numerics (PIM defaults) are the same for every core count: one trace
    trace = simulate_on(load_arch(arch).arch, graph, Samples(x, None, "x"))
    out = {}
    for k, (mx, my) in MESHES.items():
        spec = load_arch(arch, [("core.count", k), ("noc.mesh_x", mx), ("noc.mesh_y", my)])
        out[k] = (spec, model.evaluate(trace, spec, graph))
    return trace, out


def test_delay_falls_with_cores_while_compute_bound(sweep):
    _, out = sweep
    delay = {k: c.latency_ns for k, (_, c) in out.items()}
    ks = [1, 2, 4, 8, 16, 32]
    assert all(delay[a] > delay[b] for a, b in zip(ks, ks[1:]))
    # compute-bound: doubling the cores almost halves the delay
    assert delay[1] / delay[2] > 1.8 and delay[2] / delay[4] > 1.8
    # ... until the serial part dominates: 64 cores are no faster than 32
    assert delay[64] >= 0.95 * delay[32]
    assert delay[1] / (64 * delay[64]) < 0.3


def test_serial_part_is_one_vmem_word_per_event(sweep):
    """fc2's dense fan-out spans every core, so every core receives every event and read-modify-writes
    at least one Vmem word for it (2 port cycles): with 128 neurons that floor is reached at 32 cores
    (4 neurons = 1 word per core), after which more cores cannot shorten a task:
    per core and step ceil(2 * 512 events / 4 samples) = 256 cycles + neuron update
    max(ceil(n_d / 16 lanes), 2 * ceil(n_d / 4) / 1 port) = 2 + 16 overhead = 274 cycles."""
    trace, out = sweep
    assert trace.counts[1].events_in.tolist() == [512, 512, 512, 512] and trace.samples == 4
    for k in (32, 64):
        spec, cost = out[k]
        assert spec.arch.core.lanes == 16 and spec.arch.core.task_overhead_cycles == 16
        info = cost.layers[1].info
        assert info["events_received"] == pytest.approx(k * info["events_routed"])  # every core gets every event
        assert info["core_cycles"] == k * 4 * 274
