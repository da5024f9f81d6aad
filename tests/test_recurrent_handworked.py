"""Two recurrent neurons on 2 spike cores: every count, energy component and the schedule by hand.

Network (one sample, x = [1, 0] direct, T = 3, IF neurons, threshold 1, reset by subtraction;
readout: the spike counts of the two neurons)::

    fc_in:  Gemm 2 -> 2, W_in = [[1, 0], [0, 0]]     -> i_in = [1, 0] at every step (first layer)
    fc_rec: Gemm 2 -> 2, W_rec = [[0, 0.5], [1, 0]]  reads s[t-1] (zeros at t = 0)
    add:    i = i_in + i_rec;  s = IF(i)

    t0: i = [1, 0]              -> v = [1, 0]: n0 fires (v0 = 0)              s = [1, 0]
    t1: i = [1, 0] + [0, 1]     -> v = [1, 1]: both fire (v = [0, 0])         s = [1, 1]
    t2: i = [1, 0] + [0.5, 1]   -> v = [1.5, 1]: both fire (v = [0.5, 0])     s = [1, 1]

So fc_rec's events (the spikes of t-1) are t0: none, t1: n0, t2: n0 and n1; 5 spikes in all,
of which the 3 of t0 and t1 are read back (the 2 of t2 would be read at a step t3 that does not exist).

Architecture (``ARCH`` of tests/test_core_handworked.py): 2 cores on a 2 x 1 mesh, channel
partition: n0 on core 0, n1 on core 1; fc_rec's outputs (the currents into n0, n1) on the same
cores. 64-bit words: 8 weights (8 bit) or 4 membranes (16 bit) per word; lanes 4, 1 SRAM port,
task overhead 2 cycles, 250 MHz (4 ns); AER word 32 bit = 1 flit of 32 bit, links 32 bit/cycle,
1 cycle per router. Link 0 = core 0 -> core 1 (+x), link 5 = core 1 -> core 0 (-x).
"""
from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml

from accelsim.hw.builtin import first_layer_synaptic_cost
from accelsim.hw.core.engine import core_activities, core_maps
from accelsim.hw.core.mapping import map_layers
import accelsim.schedule as timing
from accelsim.simulate import functional_trace, prepare
from accelsim.workload.builder import WorkloadBuilder

from tests.test_core_handworked import ARCH, evaluate_on, unit_energies
from tests.test_timing_fast import assert_same

T = 3


def _build(folder, arch: dict):
    b = WorkloadBuilder("rec2", input_shape=(2,), timesteps=T)
    i_in = b.gemm("fc_in", b.input, np.array([[1.0, 0.0], [0.0, 0.0]]))
    i_rec = b.gemm("fc_rec", "s", np.array([[0.0, 0.5], [1.0, 0.0]]))
    b.node("if", "IF", [b.node("add", "Add", [i_in, i_rec], output="i")], {"threshold": 1.0, "reset": "subtract"},
           output="s")
    b.readout("s", mode="spike_count")
    return evaluate_on(folder, arch, b.write(folder / "wl", samples=(np.array([[1.0, 0.0]]), np.array([0]))))


@pytest.fixture(scope="module")
def rec(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("rec"), ARCH)


@pytest.fixture(scope="module")
def rec_per_event(tmp_path_factory):
    arch = copy.deepcopy(ARCH)
    arch["core"]["cost_model"] = "per_event"
    return _build(tmp_path_factory.mktemp("rec_pe"), arch)


def test_lowering_and_spikes(rec):
    _, trace, _ = rec
    fc_in, fc_rec = trace.layers
    assert (fc_in.recurrent, fc_rec.recurrent, fc_rec.merges_into) == (False, True, "fc_in")
    assert trace.addresses[0].by_neuron.tolist() == [[1, 0], [1, 1], [1, 1]]
    assert trace.addresses[1].by_input.tolist() == [[0, 0], [1, 0], [1, 1]]
    assert trace.counts[1].synaptic_ops.tolist() == [0, 2, 4]      # dense fan-out 2 per event
    assert trace.counts[0].spikes_out.tolist() == [1, 2, 2]


def test_every_count(rec):
    job, trace, _ = rec
    spec = job.spec
    maps = core_maps(trace, spec.arch.core)
    assert maps["fc_in"].neuron_owner.tolist() == [0, 1] and maps["fc_rec"].owner.tolist() == [0, 1]
    a_in, a_rec = core_activities(trace, job.graph, spec.arch.core, spec.arch.noc)
    assert a_in.spikes.tolist() == [[1, 0], [1, 1], [1, 1]] and a_in.received.sum() == 0
    # every recurrent event reaches both cores (one output each): 1 op, 1 weight word, 1 Vmem word per core
    assert a_rec.received.tolist() == [[0, 0], [1, 1], [2, 2]]
    assert a_rec.ops.tolist() == [[0, 0], [1, 1], [2, 2]]
    assert a_rec.weight_words.tolist() == [[0, 0], [1, 1], [2, 2]]
    assert a_rec.vmem_words.tolist() == [[0, 0], [1, 1], [2, 2]]
    assert a_rec.sent.tolist() == [[0, 0], [1, 0], [1, 1]]          # n0's packets from core 0, n1's from core 1
    assert a_rec.link_flits[:, [0, 5]].tolist() == [[0, 0], [1, 0], [1, 1]] and a_rec.link_flits.sum() == 3
    assert a_rec.router_flits.tolist() == [0, 2, 4] and a_rec.depth.tolist() == [0, 1, 1]
    assert a_rec.neurons.tolist() == [0, 0] and a_rec.spikes.sum() == 0
    # spikes sent = spikes received: each spike of t is one packet read at t + 1
    assert a_rec.sent[1:].sum(axis=1).tolist() == a_in.spikes[:-1].sum(axis=1).tolist()
    assert a_rec.events.tolist() == [0, 1, 2]
    # Vmem SRAM: one 64-bit word per core (its neuron's membrane); the recurrent layer keeps no state
    assert rec[2].mapping["vmem_used_kib_max"] == 64 / 8 / 1024


def test_every_energy_component(rec):
    job, trace, cost = rec
    tech = job.spec.tech
    rd_w, rw_v, fk, fifo, add, router, link = unit_energies(tech)
    l_in, l_rec = cost.layers
    first = first_layer_synaptic_cost(job.spec, trace.layers[0], trace.counts[0], 1, T, True)
    # fc_in's neurons: 2 x 3 = 6 updates, each a compare + the input add; 5 spikes, a subtract each;
    # Vmem: ceil(1/4) = 1 word per core and step -> 6 words read + written
    assert l_in.energy_pj["core.neuron"] == pytest.approx(6 * 2 * add + 5 * add + first.energy_pj.get("core.neuron", 0))
    assert l_in.energy_pj["core.vmem"] == pytest.approx(6 * rw_v + first.energy_pj.get("core.vmem", 0))
    # the Add merging the two currents: one add per non-zero element of each input (the residual-add
    # convention of accelsim.hw.core.cost): i_in 1 per step, i_rec 0, 1, 2
    assert trace.counts[0].aux_ops.tolist() == [1, 2, 3]
    assert l_in.energy_pj["core.accumulate"] == pytest.approx(6 * add + first.energy_pj.get("core.accumulate", 0))
    # fc_rec (the recurrent spikes, priced like forward ones): 3 events to 2 cores = 6 weight words,
    # 6 Vmem words read-modify-written, 6 accumulates; FIFOs: 6 received + 3 sent; NoC: 3 packets of
    # 1 flit over 1 link and 2 routers each
    expect = {"core.weight_sram": 6 * rd_w, "core.vmem": 6 * rw_v, "core.accumulate": 6 * add, "core.neuron": 0.0,
              "core.fifo": 9 * fifo, "noc.router": 6 * router, "noc.link": 3 * link}
    for k, v in expect.items():
        assert l_rec.energy_pj[k] == pytest.approx(v, rel=1e-12, abs=1e-12), k
    assert sum(cost.breakdown().values()) == pytest.approx(cost.energy_pj, rel=1e-12)


def test_schedule_keeps_the_step_dependency(rec, monkeypatch):
    """Task cycles (4 ns each):

    * fc_in's neurons: max(ceil(1/4) * 1, 2 * ceil(1/4) / 1) = 2, the Add ceil(aux ops / (4 lanes x 2
      cores)) = 1, + 2 overhead = 5 cycles = 20 ns per core and step; its first-layer synaptic task F ns
      at t0 only (direct input, held);
    * fc_rec t1: max(ceil(1/4), 1 weight word, 2 * 1 Vmem words, 1 event) = 2 + 2 = 4 cycles = 16 ns;
      t2: max(1, 2, 4, 2) = 4 + 2 = 6 cycles = 24 ns; t0: no events, no task;
    * fc_rec's packets: 1 flit = 1 link cycle (4 ns), then (1 hop + 1) routers = 8 ns.

    fc_rec's step t waits for fc_in's step t-1; fc_in's core tasks of step t wait for fc_rec's step t:
    fc_in t0 [F, F+20]; fc_rec t1: link [F+20, F+24], ready F+32, [F+32, F+48]; fc_in t1 [F+48, F+68];
    fc_rec t2: links [F+68, F+72], ready F+80, [F+80, F+104]; fc_in t2 [F+104, F+124]. Every step of the
    loop is serial: makespan F + 124 ns (3 x 20 for the neurons, 16 + 24 for the recurrent spikes,
    2 x 12 for their NoC hand-off).
    """
    job, trace, cost = rec
    F = first_layer_synaptic_cost(job.spec, trace.layers[0], trace.counts[0], 1, T, True).step_ns[0]
    assert F == 12.0  # whole nanoseconds here: the times below compare exactly
    assert cost.makespan_ns == pytest.approx(F + 124)
    for core in ("core0", "core1"):
        rows = [r for r in cost.schedule.rows if r[0] == core and r[5] == "core"]
        assert [(r[1], r[2], r[3] - F, r[4] - F) for r in rows] == ([
            ("fc_in", 0, 0, 20), ("fc_rec", 1, 32, 48), ("fc_in", 1, 48, 68), ("fc_rec", 2, 80, 104),
            ("fc_in", 2, 104, 124)])
    links = [(r[0], r[2], r[3] - F, r[4] - F) for r in cost.schedule.rows if r[5] == "noc"]
    assert links == ([("link:x0y0->x1y0", 1, 20, 24), ("link:x0y0->x1y0", 2, 68, 72),
                                   ("link:x1y0->x0y0", 2, 68, 72)])
    # the same tasks without the step dependency (an impossible schedule) finish earlier
    from dataclasses import replace
    from tests.test_timing_fast import captured_schedules

    args = captured_schedules(monkeypatch, trace, job.spec, job.graph)[0]
    free = [replace(lt, delayed_sources=(), update_sources=()) for lt in args[0]]
    assert timing.schedule(free, *args[1:], cache=False).makespan_ns < cost.makespan_ns
    # leakage split by core busy time: fc_in 2 x 3 x 20 = 120 ns, fc_rec 2 x (16 + 24) = 80 ns
    l_in, l_rec = cost.layers
    assert l_rec.energy_pj["leakage.sram"] == pytest.approx(
        (l_in.energy_pj["leakage.sram"] + l_rec.energy_pj["leakage.sram"]) * 80 / 200)


def test_both_schedulers_agree(rec, monkeypatch):
    job, trace, _ = rec
    from tests.test_timing_fast import captured_schedules

    for args in captured_schedules(monkeypatch, trace, job.spec, job.graph):
        assert_same(timing.schedule(*args, cache=False, scheduler="simpy"),
                    timing.schedule(*args, cache=False, scheduler="fast"))


def test_per_event_model(rec_per_event):
    """The per-event model prices the recurrent spikes from the same routed counts: 6 synaptic ops,
    3 packets over 1 east-west hop each, one barrier per step; fc_in: 5 spikes."""
    job, trace, cost = rec_per_event
    pe = job.spec.arch.core.per_event
    l_in, l_rec = cost.layers
    expect = {"core.synop": 6 * pe.synop_energy_pj, "noc.hop_ew": 3 * pe.hop_ew_energy_pj, "noc.hop_ns": 0.0,
              "core.spike": 0.0, "core.neuron_active": 0.0, "core.neuron_inactive": 0.0,
              "core.barrier": T * pe.barrier_energy_pj}
    for k, v in expect.items():
        assert l_rec.energy_pj[k] == pytest.approx(v, rel=1e-12, abs=1e-12), k
    assert l_in.energy_pj["core.spike"] == pytest.approx(5 * pe.spike_energy_pj)
    # the step dependency: fc_in's step t core tasks after fc_rec's step t, which follow fc_in's t-1
    rows = sorted((r[3], r[1], r[2]) for r in cost.schedule.rows if r[0] == "core0" and r[5] == "core")
    assert [(name, t) for _, name, t in rows] == [("fc_in", 0), ("fc_rec", 1), ("fc_in", 1), ("fc_rec", 2),
                                                  ("fc_in", 2)]
    ends = {(r[1], r[2]): r[4] for r in cost.schedule.rows if r[0] == "core0" and r[5] == "core"}
    starts = {(r[1], r[2]): r[3] for r in cost.schedule.rows if r[0] == "core0" and r[5] == "core"}
    for t in (1, 2):
        assert starts[("fc_rec", t)] > ends[("fc_in", t - 1)]
        assert starts[("fc_in", t)] >= ends[("fc_rec", t)]


def test_recurrent_weights_follow_the_membranes(rec):
    """With ``core.min_neurons_per_core: 2`` each 2-output layer uses one core, consecutive layers on
    different cores (fc_in on core 0, fc_rec would be on core 1); a recurrent layer is mapped onto
    the cores of the neurons it merges into instead."""
    _, trace, _ = rec
    maps = map_layers(trace.layers, 2, "channel", 2)
    assert maps["fc_in"].neuron_owner.tolist() == [0, 0]
    assert maps["fc_rec"].owner.tolist() == [0, 0]
    from accelsim.hw.core.mapping import map_layer
    assert map_layer(trace.layers[1], 2, "channel", 2).owner.tolist() == [1, 1]


def test_feedback_from_a_later_layer(tmp_path, monkeypatch):
    """A cycle through two layers: ``fb`` reads ``lif2``'s spikes of t-1 and merges into ``lif1``
    (4 neurons on 2 cores each). Its packets come from the cores of ``lif2``'s neurons, one per spike
    of t-1, to both cores of ``lif1``; its step t waits for ``fc2``'s step t-1 and ``fc1``'s core tasks
    for its step t; the two schedulers agree."""
    rng = np.random.default_rng(7)
    b = WorkloadBuilder("fb2", input_shape=(3,), timesteps=6)
    i1 = b.gemm("fc1", b.input, rng.uniform(0.2, 0.9, (4, 3)))
    fb = b.gemm("fb", "s2", rng.uniform(-0.5, 0.8, (4, 4)))
    b.node("lif1", "LIF", [b.node("add", "Add", [i1, fb], output="i")], {"threshold": 1.0, "leak": 0.8},
           output="s1")
    b.node("lif2", "LIF", [b.gemm("fc2", "s1", rng.uniform(0.1, 0.9, (4, 4)))], {"threshold": 1.0, "leak": 0.8},
           output="s2")
    b.readout("s2", mode="spike_count")
    wl = b.write(tmp_path / "wl", samples=(rng.random((5, 6, 3)), None))
    path = tmp_path / "arch.yaml"
    path.write_text(yaml.safe_dump(ARCH), encoding="utf-8")
    job = prepare(str(path), str(wl))
    trace = functional_trace(job)
    names = [l.name for l in trace.layers]
    i_fc1, i_fb, i_fc2 = names.index("fc1"), names.index("fb"), names.index("fc2")
    assert trace.layers[i_fb].recurrent and trace.layers[i_fb].merges_into == "fc1"
    acts = core_activities(trace, job.graph, job.spec.arch.core, job.spec.arch.noc)
    s2 = acts[i_fc2].spikes
    assert s2.sum() > 0
    assert acts[i_fb].sent[0].sum() == 0 and np.array_equal(acts[i_fb].sent[1:], s2[:-1])  # from lif2's cores
    assert acts[i_fb].received.sum() == 2 * acts[i_fb].sent.sum()
    from tests.test_timing_fast import captured_schedules

    calls = captured_schedules(monkeypatch, trace, job.spec, job.graph)
    tasks = calls[0][0]
    assert tasks[i_fb].delayed_sources == (i_fc2,) and tasks[i_fb].sources == ()
    assert tasks[i_fc1].update_sources == (i_fb,) and tasks[i_fc2].sources == (i_fc1,)
    for args in calls:
        assert_same(timing.schedule(*args, cache=False, scheduler="simpy"),
                    timing.schedule(*args, cache=False, scheduler="fast"))
    sched = timing.schedule(*calls[0], cache=False)
    span = {}
    for r in sched.rows:
        if r[5] == "core":
            s, e = span.get((r[1], r[2]), (np.inf, -np.inf))
            span[(r[1], r[2])] = (min(s, r[3]), max(e, r[4]))
    checked = [t for t in range(1, 6) if ("fb", t) in span]
    assert checked
    for t in checked:
        assert span[("fb", t)][0] >= span[("fc2", t - 1)][1]
        assert span[("fc1", t)][0] >= span[("fb", t)][1]


def test_recurrent_spikes_to_the_same_core(tmp_path):
    """``core.min_neurons_per_core: 2``: both neurons (and the recurrent weights) on core 0, so the
    recurrent packets never enter the NoC. 3 events (t1: n0; t2: n0, n1), each received once on core 0:
    2 ops, ceil(2/8) = 1 weight word and ceil(2/4) = 1 Vmem word per event; FIFOs 3 received + 3 sent."""
    arch = copy.deepcopy(ARCH)
    arch["core"]["min_neurons_per_core"] = 2
    job, trace, cost = _build(tmp_path, arch)
    a_in, a_rec = core_activities(trace, job.graph, job.spec.arch.core, job.spec.arch.noc)
    assert a_in.neurons.tolist() == [2, 0]
    assert a_rec.received.tolist() == [[0, 0], [1, 0], [2, 0]] and a_rec.sent.tolist() == [[0, 0], [1, 0], [2, 0]]
    assert a_rec.ops.sum() == 6 and a_rec.weight_words.sum() == 3 and a_rec.vmem_words.sum() == 3
    tech = job.spec.tech
    fifo = unit_energies(tech).fifo
    l_rec = cost.layers[1]
    assert l_rec.energy_pj["noc.link"] == 0.0 and l_rec.energy_pj["noc.router"] == 0.0
    assert l_rec.energy_pj["core.fifo"] == pytest.approx(6 * fifo, rel=1e-12)
    assert l_rec.energy_pj["core.weight_sram"] == pytest.approx(3 * tech.sram_access_pj(8.0, 64), rel=1e-12)
    assert not [r for r in cost.schedule.rows if r[5] == "noc"]
