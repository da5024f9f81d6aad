"""A tiny network on 2 spike cores, every count, energy component and the makespan worked out by hand.

Network (one sample, x = [1, 1], T = 2, IF neurons, threshold 1, reset by subtraction):

    fc1: Gemm 2 -> 4 (first layer, on the digital core), currents [1, 0.5, 0, 1]
         -> n0 fires at t0, t1; n1 at t1 (0.5 + 0.5); n2 never; n3 at t0, t1
    fc2: Gemm 4 -> 2, W = [[1, 1, 0, 0], [0, 0, 0, 1]]
         -> o0: t0 1 (fire), t1 1 + 2 = 2... v = 0 + 2 -> fires, v = 1;  o1: 1 at t0 and t1 -> fires both
    fc3: Gemm 2 -> 2 readout (no neurons)

Architecture: 2 cores on a 2 x 1 mesh, channel partition (dense: outputs in blocks):
fc1 neurons n0, n1 -> core 0, n2, n3 -> core 1; fc2 o0 -> core 0, o1 -> core 1; fc3 r0 -> core 0, r1 -> core 1.
64-bit SRAM words: 8 weights (8 bit) or 4 membranes (16 bit) per word. lanes 4, 1 port, task
overhead 2 cycles, 1 cycle per neuron update, 250 MHz (4 ns). AER word 32 bit = 1 flit of 32 bit,
links 32 bit/cycle, 1 cycle per router. Link 0 = core 0 -> core 1 (+x), link 5 = core 1 -> core 0 (-x).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest
import yaml

from accelsim.hw.memory import fifo_kib
from accelsim.hw.builtin import first_layer_synaptic_cost
from accelsim.simulate import cost_and_report, functional_trace, prepare
from accelsim.cost import model
from accelsim.hw.core.engine import core_activities, core_maps
from accelsim.workload.builder import WorkloadBuilder

ARCH = {
    "name": "hand",
    "tech": {"node": "45nm", "clock_mhz": 250.0},
    "pim": {"enabled": False, "static_input": "hold"},
    "core": {"count": 2, "lanes": 4, "weight_bits": 8, "vmem_bits": 16, "input_bits": 8,
             "weight_sram_kib": 8.0, "vmem_sram_kib": 2.0, "sram_word_bits": 64, "sram_ports": 1,
             "fifo_depth": 64, "fifo_word_bits": 32, "neuron_update_cycles": 1, "task_overhead_cycles": 2,
             "on_overflow": "error", "partition": "channel"},
    "noc": {"mesh_x": 2, "mesh_y": 1, "flit_bits": 32, "router_latency_cycles": 1, "link_bits_per_cycle": 32,
            "link_mm": 1.5},
    "memory": {"dram_bandwidth_gb_per_s": 12.8},
}


class UnitEnergies(NamedTuple):
    rd_w: float     # one 64-bit weight-SRAM word read (8 KiB)
    rw_v: float     # one 64-bit Vmem word read + written (2 KiB)
    fk: float       # one FIFO's size, KiB (64 x 32 bits)
    fifo: float     # one FIFO word written + read
    add: float      # one 16-bit add
    router: float   # one 32-bit flit through a router
    link: float     # one 32-bit flit over a 1.5 mm link


def unit_energies(tech) -> UnitEnergies:
    """The per-access energies (pJ) of ``ARCH`` that the hand-worked tests multiply by counts."""
    rd_w = tech.sram_access_pj(8.0, 64)
    rw_v = tech.sram_access_pj(2.0, 64) + tech.sram_access_pj(2.0, 64, write=True)
    fk = fifo_kib(64, 32)
    fifo = tech.sram_access_pj(fk, 32) + tech.sram_access_pj(fk, 32, write=True)
    add = tech.int_add_pj(16)
    router = 32 * tech.noc_router_pj_per_bit
    link = 32 * 1.5 * tech.noc_link_pj_per_bit_mm
    return UnitEnergies(rd_w, rw_v, fk, fifo, add, router, link)


def evaluate_on(folder, arch: dict, workload):
    """``arch`` written to ``folder/arch.yaml``, ``workload`` prepared on it: (job, trace, cost)."""
    path = folder / "arch.yaml"
    path.write_text(yaml.safe_dump(arch), encoding="utf-8")
    job = prepare(str(path), str(workload))
    trace = functional_trace(job)
    return job, trace, model.evaluate(trace, job.spec, job.graph)


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hand")
    b = WorkloadBuilder("hand", input_shape=(2,), timesteps=2)
    h = b.neuron("if1", b.gemm("fc1", b.input, np.array([[1, 0], [0.5, 0], [0, 0], [0, 1.0]])), "IF", threshold=1.0)
    h = b.neuron("if2", b.gemm("fc2", h, np.array([[1, 1, 0, 0], [0, 0, 0, 1.0]])), "IF", threshold=1.0)
    b.readout(b.gemm("fc3", h, np.array([[1, 0], [0, 1.0]])))
    return evaluate_on(folder, ARCH, b.write(folder / "wl", samples=(np.array([[1.0, 1.0]]), np.array([0]))))


def test_spike_pattern_is_the_designed_one(hand):
    _, trace, _ = hand
    assert trace.addresses[0].by_neuron.tolist() == [[1, 0, 0, 1], [1, 1, 0, 1]]
    assert trace.addresses[1].by_input.tolist() == [[1, 0, 0, 1], [1, 1, 0, 1]]
    assert trace.addresses[1].by_neuron.tolist() == [[1, 1], [1, 1]]
    assert trace.addresses[2].by_input.tolist() == [[1, 1], [1, 1]]


def test_every_count(hand):
    job, trace, _ = hand
    spec = job.spec
    maps = core_maps(trace, spec.arch.core)
    assert maps["fc1"].neuron_owner.tolist() == [0, 0, 1, 1]
    assert maps["fc2"].owner.tolist() == [0, 1]
    acts = core_activities(trace, job.graph, spec.arch.core, spec.arch.noc)
    a0, a1, a2 = acts
    # fc1 (first layer): no routed input; spikes per core t0: n0 | n3; t1: n0, n1 | n3
    assert a0.received.sum() == 0 and a0.spikes.tolist() == [[1, 1], [2, 1]] and a0.neurons.tolist() == [2, 2]
    # fc2: every event reaches both cores (o0 on core 0, o1 on core 1): 1 op, 1 weight word, 1 Vmem word each.
    # t0: events n0 (from core 0), n3 (core 1); t1: n0, n1 (core 0), n3 (core 1)
    assert a1.received.tolist() == [[2, 2], [3, 3]]
    assert a1.ops.tolist() == [[2, 2], [3, 3]]
    assert a1.weight_words.tolist() == [[2, 2], [3, 3]]
    assert a1.vmem_words.tolist() == [[2, 2], [3, 3]]
    assert a1.sent.tolist() == [[1, 1], [2, 1]]
    assert a1.spikes.tolist() == [[1, 1], [1, 1]]
    # multicast from core 0 crosses link 0 (0 -> 1), from core 1 link 5 (1 -> 0); 2 routers per packet
    assert a1.link_flits[:, [0, 5]].tolist() == [[1, 1], [2, 1]] and a1.link_flits.sum() == 5
    assert a1.router_flits.tolist() == [4, 6] and a1.depth.tolist() == [1, 1]
    # fc3: events o0 (core 0), o1 (core 1) at both steps
    assert a2.received.tolist() == [[2, 2], [2, 2]] and a2.ops.tolist() == [[2, 2], [2, 2]]
    assert a2.sent.tolist() == [[1, 1], [1, 1]] and a2.router_flits.tolist() == [4, 4]
    assert a2.neurons.tolist() == [0, 0]


def test_every_energy_component_and_the_makespan(hand):
    job, trace, cost = hand
    tech = job.spec.tech
    rd_w, rw_v, fk, fifo, add, router, link = unit_energies(tech)
    l0, l1, l2 = cost.layers
    first = first_layer_synaptic_cost(job.spec, trace.layers[0], trace.counts[0], 1, 2, True)
    F = first.step_ns[0]
    assert first.step_ns[1] == 0.0  # hold: computed once
    # fc1 neurons: 4 neurons x 2 steps = 8 updates, each a compare + the input add (IF: no leak multiply),
    # 5 spikes (1 subtract each); Vmem: ceil(2/4) = 1 word per core per step -> 4 words read + written
    for k, v in first.energy_pj.items():  # the first layer's synaptic part is taken over unchanged
        if k not in ("core.vmem", "core.neuron"):
            assert l0.energy_pj[k] == pytest.approx(v, rel=1e-12), k
    assert {k for k, v in l0.energy_pj.items() if v} <= set(first.energy_pj) | {"core.vmem", "core.neuron",
                                                                                 "leakage.sram"}
    assert l0.energy_pj["core.neuron"] == pytest.approx(8 * 2 * add + 5 * add + first.energy_pj.get("core.neuron", 0))
    assert l0.energy_pj["core.vmem"] == pytest.approx(4 * rw_v + first.energy_pj.get("core.vmem", 0))
    # fc2: 10 weight words, 10 + 4 (updates: 1 word per core per step) Vmem words, 10 ops,
    # 4 updates + 4 spikes, 10 received + 5 sent FIFO, 10 router flits, 5 link flits
    expect1 = {"core.weight_sram": 10 * rd_w, "core.vmem": 14 * rw_v, "core.accumulate": 10 * add,
               "core.neuron": 8 * add, "core.fifo": 15 * fifo, "noc.router": 10 * router, "noc.link": 5 * link}
    # fc3: 8 weight words, 8 Vmem words, 8 ops, no neurons, 8 received + 4 sent, 8 router, 4 link flits
    expect2 = {"core.weight_sram": 8 * rd_w, "core.vmem": 8 * rw_v, "core.accumulate": 8 * add,
               "core.neuron": 0.0, "core.fifo": 12 * fifo, "noc.router": 8 * router, "noc.link": 4 * link}
    for lc, exp in ((l1, expect1), (l2, expect2)):
        for k, v in exp.items():
            assert lc.energy_pj[k] == pytest.approx(v, rel=1e-12, abs=1e-12), (lc.name, k)
    # Task cycles (4 ns each):
    #  fc1 neurons: max(ceil(2/4)*1, ceil(2*ceil(2/4)/1)) = 2, + 2 overhead = 4 cycles = 16 ns per core and step
    #  fc2 t0: max(ceil(2/4), 2 weight words, 2*2 Vmem words, 2 events) = 4, neurons max(1, 2) = 2 -> 8 = 32 ns
    #  fc2 t1: max(1, 3, 6, 3) = 6 -> 10 cycles = 40 ns;  fc3: max(1, 2, 4, 2) = 4 + 2 = 6 = 24 ns
    #  NoC: 1 flit = 1 link cycle; latency (1 hop + 1) routers = 2 cycles = 8 ns
    # Schedule:
    #  first layer's synaptic task (digital fc1) on both cores [0, F]; fc1 t0 [F, F+16]; fc1 t1 [F+16, F+32]
    #  fc2 t0 links [F+16, F+20] + 8 -> ready F+28, cores busy until F+32 -> [F+32, F+64]
    #  fc2 t1 links [F+32, F+40] (2 flits on link 0) + 8 -> ready F+48; after its t0 task -> [F+64, F+104]
    #  fc3 t0 links [F+64, F+68] + 8 -> ready F+76; cores busy -> [F+104, F+128]
    #  fc3 t1 links [F+104, F+108] + 8 -> F+116; after t0 -> [F+128, F+152]
    assert cost.makespan_ns == pytest.approx(F + 152)
    sched = cost.schedule
    rows = [r for r in sched.rows if r[0] == "core0" and r[5] == "core"]
    assert [(r[1], r[2], r[3] - F, r[4] - F) for r in rows] == [
        ("fc1", 0, 0, 16), ("fc1", 1, 16, 32), ("fc2", 0, 32, 64), ("fc2", 1, 64, 104),
        ("fc3", 0, 104, 128), ("fc3", 1, 128, 152)]
    assert sched.busy_ns["link:x0y0->x1y0"] == pytest.approx(4 + 8 + 4 + 4)
    assert sched.busy_ns["link:x1y0->x0y0"] == pytest.approx(4 + 4 + 4 + 4)
    assert l1.latency_ns == pytest.approx(104 - 16) and l2.latency_ns == pytest.approx(152 - 64)
    assert l1.info["per_core"] == {"neurons": [1, 1], "events_received": [5.0, 5.0], "packets_sent": [3.0, 2.0],
                                   "synaptic_ops": [5.0, 5.0], "spikes": [2.0, 2.0], "task_cycles": [18, 18]}
    # leakage: 2 cores x (8 + 2 + 2 FIFOs) KiB x uW/KiB x makespan, split by core busy time
    # (fc1 4 x 16 = 64 ns plus its synaptic tasks 2 x F is not core-task time; fc2 2 x (32 + 40) = 144; fc3 4 x 24 = 96)
    total = tech.sram_leakage_pj_per_ns(2 * (8 + 2 + 2 * fk)) * (F + 152)
    assert sum(l.energy_pj["leakage.sram"] for l in cost.layers) == pytest.approx(total)
    assert l1.energy_pj["leakage.sram"] == pytest.approx(total * 144 / (64 + 144 + 96))
    # the breakdown sums to the total
    assert sum(cost.breakdown().values()) == pytest.approx(cost.energy_pj, rel=1e-12)


def test_report_and_timeline(hand, tmp_path):
    job, trace, _ = hand
    tl = tmp_path / "tl.csv"
    rep = cost_and_report(job, trace, timeline=str(tl))
    lines = tl.read_text().splitlines()
    assert lines[0] == "resource,layer,step,start_ns,end_ns,kind"
    assert len(lines) - 1 == rep["timing"]["tasks"]
    assert {ln.split(",")[5] for ln in lines[1:]} == {"first_layer", "core", "noc"}
    assert rep["per_inference"]["latency_ns"] == rep["timing"]["makespan_ns"]
    assert set(rep["timing"]["utilization"]) >= {"core0", "core1", "link:x0y0->x1y0"}
    assert all(0 < u <= 1 for u in rep["timing"]["utilization"].values())
    assert sum(rep["energy_breakdown_pj"].values()) == pytest.approx(rep["per_inference"]["energy_pj"], rel=1e-12)
