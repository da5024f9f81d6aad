"""Spike-core energy follows activity: fewer spikes -> less core energy; no spikes -> only neuron updates and leakage."""
from __future__ import annotations

import numpy as np
import pytest

from accelsim.cost import model
from accelsim.hw.core.engine import core_maps
from accelsim.hw.builtin import simulate_on
from accelsim.config.loader import load_arch
from accelsim.workload.builder import WorkloadBuilder
from accelsim.workload.graph import Samples

from tests.conftest import TINY_ARCH_YAML

SPIKE_KEYS = ("core.weight_sram", "core.accumulate", "core.fifo", "noc.router", "noc.link")


def conv_net(scale: float):
    """Conv2d -> LIF -> AvgPool -> Conv2d -> LIF -> Flatten -> Gemm readout; thresholds x ``scale``."""
    rng = np.random.default_rng(3)
    b = WorkloadBuilder("act", input_shape=(1, 8, 8), timesteps=4)
    h = b.neuron("l1", b.conv("c1", b.input, rng.normal(0.3, 0.5, (4, 1, 3, 3)), pads=[1, 1, 1, 1]), "LIF",
                 threshold=0.8 * scale, leak=0.9)
    h = b.pool("p1", h, "avg", [2, 2], strides=[2, 2])
    h = b.neuron("l2", b.conv("c2", h, rng.normal(0.2, 0.5, (6, 4, 3, 3)), pads=[1, 1, 1, 1]), "LIF",
                 threshold=0.5 * scale, leak=0.9)
    b.readout(b.gemm("fc", b.flatten("f", h), rng.normal(size=(3, 96))))
    return b.graph()


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    p = tmp_path_factory.mktemp("arch") / "arch.yaml"
    p.write_text(TINY_ARCH_YAML.replace("weight_sram_kib: 8.0", "weight_sram_kib: 32.0"), encoding="utf-8")
    return load_arch(p)


def _run(graph, spec, x):
    trace = simulate_on(spec.arch, graph, Samples(x, None, "test"))
    return trace, model.evaluate(trace, spec, graph)


def _core_pj(cost, keys=None) -> float:
    return sum(v for l in cost.layers[1:] for k, v in l.energy_pj.items()
               if (k.startswith("core.") or k.startswith("noc.")) and (keys is None or k in keys))


@pytest.mark.parametrize("policy", ["channel", "spatial"])
def test_higher_thresholds_fewer_spikes_less_core_energy(spec, policy):
    spec = type(spec)(spec.arch.model_copy(update={"core": spec.arch.core.model_copy(update={"partition": policy})}),
                      spec.tech, spec.source)
    x = np.random.default_rng(0).random((6, 1, 8, 8))
    costs, spikes = [], []
    for scale in (1.0, 1.5, 2.5):
        trace, cost = _run(conv_net(scale), spec, x)
        spikes.append(sum(int(c.spikes_out.sum()) for c in trace.counts))
        costs.append(cost)
    assert spikes[0] > spikes[1] > spikes[2] > 0
    for a, b in zip(costs, costs[1:]):
        assert _core_pj(a) > _core_pj(b)
        for key in SPIKE_KEYS:
            assert a.breakdown()[key] > b.breakdown()[key], key
    # neuron updates do not depend on activity, only their spike-reset part does
    assert costs[0].breakdown()["core.neuron"] > costs[2].breakdown()["core.neuron"]


def test_zero_input_leaves_neuron_updates_and_leakage(spec):
    graph = conv_net(1.0)
    trace, cost = _run(graph, spec, np.zeros((2, 1, 8, 8)))
    assert all(int(c.spikes_out.sum()) == 0 for c in trace.counts)
    tech, core = spec.tech, spec.arch.core
    rw = tech.sram_access_pj(core.vmem_sram_kib, core.sram_word_bits) * 2  # write == read in the table
    add, mult = tech.int_add_pj(core.vmem_bits), tech.int_mult_pj(core.vmem_bits)
    vpw = core.sram_word_bits // core.vmem_bits
    T = trace.timesteps
    for layer, lc in zip(trace.layers[1:], cost.layers[1:]):
        nonzero = {k for k, v in lc.energy_pj.items() if v}
        if layer.spiking:
            assert nonzero == {"core.neuron", "core.vmem", "leakage.sram"}, (layer.name, nonzero)
            # per step: every neuron a compare + leak multiply; its core's membranes read and written once
            n_d = core_maps(trace, core)[layer.name].neurons_per_core
            assert lc.energy_pj["core.neuron"] == pytest.approx(layer.neurons * T * (add + mult))
            assert lc.energy_pj["core.vmem"] == pytest.approx(int((-(-n_d // vpw)).sum()) * T * rw)
        else:  # the readout gets no events: no task, no energy (leakage is split by busy time)
            assert nonzero <= {"leakage.sram"}, (layer.name, nonzero)
    assert cost.breakdown()["leakage.sram"] > 0
