"""Routed per-core counts against a brute-force reference; spikes sent equal spikes received."""
from __future__ import annotations

import numpy as np
import pytest

from accelsim.config.loader import load_arch
from accelsim.hw.core.engine import core_activities, core_maps, core_producers
from accelsim.hw.builtin import simulate_on
from accelsim.hw.noc import Mesh
from accelsim.kernels.conv import conv_reference
from accelsim.workload.builder import WorkloadBuilder
from accelsim.workload.graph import Samples


def network(seed: int, group: int):
    """Conv(stride 2, pad) -> LIF -> MaxPool -> grouped Conv(dilation) -> LIF -> Flatten -> Gemm -> LIF -> Gemm."""
    rng = np.random.default_rng(seed)
    b = WorkloadBuilder(f"r{seed}", input_shape=(2, 11, 9), timesteps=3)
    h = b.neuron("l1", b.conv("c1", b.input, rng.normal(0.3, 0.6, (6, 2, 3, 3)), strides=[1, 1], pads=[1, 1, 1, 1]),
                 "LIF", threshold=0.7, leak=0.9)
    h = b.pool("p", h, "max", [2, 2], strides=[2, 2])
    h = b.neuron("l2", b.conv("c2", h, rng.normal(0.3, 0.6, (8, 6 // group, 3, 2)), strides=[2, 1],
                              pads=[1, 0, 1, 1], dilations=[1, 2], group=group), "IF", threshold=0.8)
    f = b.flatten("f", h)
    h = b.neuron("l3", b.gemm("g1", f, rng.normal(0.1, 0.3, (7, 8 * 3 * 3))), "IF", threshold=0.5)
    b.readout(b.gemm("g2", h, rng.normal(size=(3, 7))))
    graph = b.graph()
    return graph, rng.random((4, 2, 11, 9))


def reached(layer, graph, e: int) -> np.ndarray:
    """Flattened outputs of ``layer`` that input element ``e`` reaches (brute force, numpy reference)."""
    x = np.zeros((1, int(np.prod(layer.in_shape))))
    x[0, e] = 1.0
    w = graph.tensors[layer.synapse.inputs[1]]
    if layer.kind == "conv":
        y = conv_reference(x.reshape((1,) + layer.in_shape), np.ones_like(w), None, layer.window, layer.group)
    else:
        y = np.ones((1, int(np.prod(layer.out_shape))))
    return np.nonzero(y.reshape(-1))[0]


CASES = [(0, 1, "channel", 4, (2, 2)), (1, 2, "spatial", 4, (2, 2)), (2, 1, "spatial", 3, (3, 1)),
         (3, 2, "channel", 6, (3, 2))]


@pytest.mark.parametrize("seed,group,policy,cores,mesh", CASES)
def test_routed_counts_match_brute_force(tmp_path, seed, group, policy, cores, mesh):
    graph, x = network(seed, group)
    arch = tmp_path / "a.yaml"
    arch.write_text("core: {weight_sram_kib: 256.0, weight_bits: 8, vmem_bits: 16}\n", encoding="utf-8")
    trace = simulate_on(load_arch(arch).arch, graph, Samples(x, None, "x"))
    spec = load_arch(arch, [("core.count", cores), ("core.partition", policy), ("noc.mesh_x", mesh[0]),
                            ("noc.mesh_y", mesh[1])])
    maps = core_maps(trace, spec.arch.core)
    m = Mesh(*mesh)
    acts = core_activities(trace, graph, spec.arch.core, spec.arch.noc)
    gids, offsets = core_producers(trace, graph)
    owners = np.concatenate([maps[l.name].neuron_owner for l in trace.layers if l.spiking])
    wpw, vpw = 64 // 8, 64 // 16
    fired = 0
    for layer, adr, act, cnt, gid in zip(trace.layers, trace.addresses, acts, trace.counts, gids):
        # spikes emitted per core = the trace's spikes of the neurons it owns
        assert int(act.spikes.sum()) == int(cnt.spikes_out.sum())
        if layer.first_layer:
            continue
        owner = maps[layer.name].owner
        T = adr.by_input.shape[0]
        ops = np.zeros((T, cores), np.int64)
        recv = np.zeros((T, cores), np.int64)
        sent = np.zeros((T, cores), np.int64)
        vw = np.zeros((T, cores), np.int64)
        ww = np.zeros((T, cores), np.int64)
        links = np.zeros((T, m.links), np.int64)
        for e in range(adr.by_input.shape[1]):
            k = adr.by_input[:, e].astype(np.int64)
            if not k.any():
                continue
            outs = reached(layer, graph, e)
            per_core = np.bincount(owner[outs], minlength=cores)
            ops += k[:, None] * per_core[None, :]
            recv += k[:, None] * (per_core > 0)[None, :]
            src = owners[gid[e]] if gid[e] >= 0 else 0
            sent[:, src] += k
            tree = sorted({l for d in np.nonzero(per_core)[0] for l in m.path(src, d)})
            links[:, tree] += k[:, None]
            if layer.kind == "conv" and policy == "channel":
                # per tap its channels of the core: ceil(n / vpw) words (taps reach all channels of a group)
                outs_sp = outs % maps[layer.name].positions
                taps = len(np.unique(outs_sp))
                vw += k[:, None] * (taps * -(-(per_core // max(taps, 1)) // vpw))[None, :]
                ww += k[:, None] * (-(-per_core // wpw))[None, :]  # one packed burst of taps x n weights
        # spikes sent == events in the trace, spikes received == sum over events of their destination cores
        assert np.array_equal(act.sent, sent)
        assert np.array_equal(act.sent.sum(axis=1), cnt.events_in)
        assert np.array_equal(act.received, recv)
        assert np.array_equal(act.ops, ops)
        assert np.array_equal(act.ops.sum(axis=1), cnt.synaptic_ops)
        assert np.array_equal(act.link_flits, links)
        if layer.kind == "conv" and policy == "channel":
            assert np.array_equal(act.vmem_words, vw)
            assert np.array_equal(act.weight_words, ww)
        fired += int(cnt.events_in.sum())
    assert fired > 0
    # g1 reads l2's spikes through a Flatten, g2 reads l3's directly: per core and step, the packets a
    # core sends for the next layer are exactly the spikes its neurons fired
    names = [l.name for l in trace.layers]
    for producer, consumer in (("c2", "g1"), ("g1", "g2")):
        a_p, a_c = acts[names.index(producer)], acts[names.index(consumer)]
        assert np.array_equal(a_p.spikes, a_c.sent)
