"""Executors kept across the passes of one run or sweep task (accelsim.hw.engines.SharedExecutors):
only stateless ones are shared, each is built once per graph, node and numerics group, and every
trace is bit for bit that of a pass that builds its own."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from accelsim.engine.functional import simulate
from accelsim.hw.engines import HardwareNumerics, SharedExecutors, shareable
from accelsim.simulate import cost_and_report, functional_trace, hardware_layers, prepare
from accelsim.sweep.adc_reuse import GroupTraces
from accelsim.sweep.validate import PointValidator

ROOT = Path(__file__).resolve().parent.parent
PIM = str(ROOT / "arch_configs" / "ace_snn_pim.yaml")
DIGITAL = str(ROOT / "arch_configs" / "digital_only.yaml")
DIGITS = str(ROOT / "workloads" / "digits" / "workload.json")


def _executors(job) -> dict:
    layers = hardware_layers(job)
    build = HardwareNumerics(job.spec.arch, layers)
    return {n.name: build(job.graph, n, "numba") for n in job.graph.nodes}


@pytest.mark.parametrize("arch", [PIM, DIGITAL])
def test_only_stateless_executors_are_shareable(arch):
    job = prepare(arch, DIGITS, [], 4)
    execs = _executors(job)
    for layer in hardware_layers(job):
        syn = execs[layer.synapse.name]
        # the first layer records its activity (PIM crossbar or quantised MACs); the cores' fixed-point
        # synapses hold only their integer weights and layouts
        assert shareable(syn) is (not layer.first_layer), layer.name
        if layer.neuron is not None:
            assert not shareable(execs[layer.neuron.name]), layer.name


def test_a_sweep_task_builds_the_later_layers_once_and_gives_the_same_traces():
    job = prepare(PIM, DIGITS, [], 30)
    v = PointValidator(PIM, DIGITS, ())
    gt = GroupTraces()
    bits = (4, 2, 7)
    for b in bits:
        j = replace(job, spec=v.arch_spec((("pim.adc_bits", b),)))
        assert cost_and_report(j, functional_trace(replace(j, reuse=gt))) == cost_and_report(j, functional_trace(j))
    layers = hardware_layers(job)
    later = sum(1 for l in layers if not l.first_layer)
    assert gt.recorded + gt.replays == len(bits)
    # the first layer's executor (record or replay) is not shared: built by ReuseNumerics every pass
    assert gt.executors.built == later


def test_other_numerics_build_their_own_executors():
    """Two passes with other core weight bits share no executor, and each trace is its own."""
    job = prepare(DIGITAL, DIGITS, [], 20)
    v = PointValidator(DIGITAL, DIGITS, ())
    shared = SharedExecutors()
    layers = hardware_layers(job)
    for bits in (6, 4, 6):
        arch = v.arch_spec((("core.weight_bits", bits),)).arch
        got = simulate(job.graph, job.data, layers=layers, executors=HardwareNumerics(arch, layers, shared))
        want = simulate(job.graph, job.data, layers=layers, executors=HardwareNumerics(arch, layers))
        np.testing.assert_array_equal(got.scores, want.scores)
        for a, b in zip(got.counts, want.counts):
            np.testing.assert_array_equal(a.spikes_out, b.spikes_out)
            np.testing.assert_array_equal(a.synaptic_ops, b.synaptic_ops)
    later = sum(1 for l in layers if not l.first_layer)
    first = len(layers) - later
    assert shared.built == 2 * later + 3 * first   # 6 bits built once, 4 bits once; first layers every pass
