"""The per-event spike-core model (``core.cost_model: per_event``) on arch_configs/validation/loihi.yaml,
every per-event cost of Loihi's Table 2 pinned on a tiny network worked out by hand.

Network (one sample, x = [1, 1], T = 2, IF neurons, threshold 1, reset by subtraction):

    fc1: Gemm 2 -> 4 (first layer, dense MACs on the cores), currents [1, 0.5, 0, 1] every step
         -> n0 fires at t0, t1; n1 at t1; n2 never (zero input: inactive); n3 at t0, t1     (5 spikes)
    fc2: Gemm 4 -> 3, W = [[1, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]
         inputs t0: n0, n3; t1: n0, n1, n3 -> currents o0 = 1, 2; o1 = 1, 1; o2 = 0, 0 (inactive)
         -> o0 fires t0 (v 1 -> 0) and t1 (v 2 -> 1), o1 both steps                          (4 spikes)
    fc3: Gemm 3 -> 2 readout (no neurons)

loihi.yaml with ``core.count = 4`` on a 2 x 2 mesh, ``core.min_neurons_per_core = 1024`` (Loihi's compartments
per core): one layer per core,
layer i on core i: fc1 on core 0 (x0y0), fc2 on core 1 (x1y0), fc3 on core 2 (x0y1). fc2's packets go
core 0 -> 1 (one E-W hop), fc3's core 1 -> 0 -> 2 (one E-W and one N-S hop). 1 GHz: 1 ns per cycle.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from accelsim.cli import main
from accelsim.config.loader import load_arch
from accelsim.cost import model
from accelsim.errors import InputError
from accelsim.hw.builtin import first_layer_synaptic_cost
from accelsim.hw.core.engine import active_per_core, core_activities
from accelsim.hw.core.params import MappingParams
from accelsim.simulate import functional_trace, prepare
from accelsim.workload.builder import WorkloadBuilder

ROOT = Path(__file__).resolve().parent.parent
LOIHI = ROOT / "arch_configs" / "validation" / "loihi.yaml"
SMALL = ["core.count=4", "noc.mesh_x=2", "noc.mesh_y=2", "core.min_neurons_per_core=1024", "pim.static_input=hold"]

# Davies et al., IEEE Micro 2018, Table 2 (the values loihi.yaml copies)
SYN_E, SYN_T = 23.6, 3.5
ACT_E, ACT_T, INACT_E, INACT_T = 81.0, 8.4, 52.0, 5.3
SPK_E, SPK_T = 1.7, 2.1
EW_E, NS_E, EW_T, NS_T = 3.0, 4.0, 4.1, 6.5
BARRIER_T = 465.0


@pytest.fixture(scope="module")
def workload(tmp_path_factory):
    folder = tmp_path_factory.mktemp("per_event")
    b = WorkloadBuilder("per_event", input_shape=(2,), timesteps=2)
    h = b.neuron("if1", b.gemm("fc1", b.input, np.array([[1, 0], [0.5, 0], [0, 0], [0, 1.0]])), "IF", threshold=1.0)
    w2 = np.array([[1, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0.0]])
    h = b.neuron("if2", b.gemm("fc2", h, w2), "IF", threshold=1.0)
    b.readout(b.gemm("fc3", h, np.array([[1, 0, 0], [0, 1, 0.0]])))
    return str(b.write(folder / "wl", samples=(np.array([[1.0, 1.0]]), np.array([0]))))


def run(workload, sets=()):
    job = prepare(str(LOIHI), workload, SMALL + list(sets))
    trace = functional_trace(job)
    return job, trace, model.evaluate(trace, job.spec, job.graph)


@pytest.fixture(scope="module")
def loihi(workload):
    return run(workload)


def test_counts_and_active_neurons(loihi):
    job, trace, _ = loihi
    assert trace.addresses[0].by_neuron.tolist() == [[1, 0, 0, 1], [1, 1, 0, 1]]
    assert trace.addresses[0].active_by_neuron.tolist() == [[1, 1, 0, 1], [1, 1, 0, 1]]
    assert trace.addresses[1].by_neuron.tolist() == [[1, 1, 0], [1, 1, 0]]
    assert trace.addresses[1].active_by_neuron.tolist() == [[1, 1, 0], [1, 1, 0]]
    a0, a1, a2 = core_activities(trace, job.graph, job.spec.arch.core, job.spec.arch.noc)
    active = active_per_core(trace, MappingParams.of(job.spec.arch.core))
    assert active[0][:, 0].tolist() == [3, 3] and a0.neurons.tolist() == [4, 0, 0, 0]
    assert active[1][:, 1].tolist() == [2, 2] and not active[2].any()
    assert a1.ops[:, 1].tolist() == [6, 9] and a1.sent[:, 0].tolist() == [2, 3]
    # reach: per east-west distance (0, 1) the largest north-south distance of a destination (-1: none)
    assert a1.reach.tolist() == [[-1, 0], [-1, 0]]                   # core 0 -> 1: one column east
    assert a2.ops[:, 2].tolist() == [4, 4] and a2.reach.tolist() == [[-1, 1], [-1, 1]]  # core 1 -> 2


def test_every_per_event_energy(loihi):
    job, trace, cost = loihi
    l0, l1, l2 = cost.layers
    first = first_layer_synaptic_cost(job.spec, trace.layers[0], trace.counts[0], 1, 2, True)
    # fc1 (neurons): 6 active updates (n0, n1, n3 at both steps), 2 inactive (n2), 5 spikes; its synaptic
    # part is the first-layer model's, unchanged; no routed input: no hops, no barrier
    expect0 = {**first.energy_pj, "core.neuron_active": 6 * ACT_E, "core.neuron_inactive": 2 * INACT_E,
               "core.spike": 5 * SPK_E, "core.synop": 0.0, "noc.hop_ew": 0.0, "noc.hop_ns": 0.0,
               "core.barrier": 0.0, "leakage.core": 0.0}
    # fc2: 5 events x 3 outputs = 15 synops; active o0, o1 at both steps (4), inactive o2 (2); 4 spikes;
    # 5 packets x 1 E-W hop
    expect1 = {"core.synop": 15 * SYN_E, "core.neuron_active": 4 * ACT_E, "core.neuron_inactive": 2 * INACT_E,
               "core.spike": 4 * SPK_E, "noc.hop_ew": 5 * EW_E, "noc.hop_ns": 0.0, "core.barrier": 0.0,
               "leakage.core": 0.0}
    # fc3: 4 events x 2 outputs = 8 synops; no neurons; 4 packets x (1 E-W + 1 N-S hop)
    expect2 = {"core.synop": 8 * SYN_E, "core.neuron_active": 0.0, "core.neuron_inactive": 0.0, "core.spike": 0.0,
               "noc.hop_ew": 4 * EW_E, "noc.hop_ns": 4 * NS_E, "core.barrier": 0.0, "leakage.core": 0.0}
    for lc, exp in ((l0, expect0), (l1, expect1), (l2, expect2)):
        assert {k for k, v in lc.energy_pj.items() if v} <= set(exp), lc.name
        for k, v in exp.items():
            assert lc.energy_pj.get(k, 0.0) == pytest.approx(v, rel=1e-12, abs=1e-12), (lc.name, k)
    assert l1.info["cost_model"] == "per_event" and l1.info["hops_ew"] == 5 and l2.info["hops_ns"] == 4
    assert sum(cost.breakdown().values()) == pytest.approx(cost.energy_pj, rel=1e-12)


def test_every_per_event_time_and_the_makespan(loihi):
    job, trace, cost = loihi
    first = first_layer_synaptic_cost(job.spec, trace.layers[0], trace.counts[0], 1, 2, True)
    F = first.step_ns[0]
    assert first.step_ns[1] == 0.0  # hold: computed once
    c = math.ceil
    # core time per step, rounded up to 1 ns cycles:
    fc1 = [c(3 * ACT_T + INACT_T + 2 * SPK_T), c(3 * ACT_T + INACT_T + 3 * SPK_T)]              # 35, 37
    fc2 = [c(6 * SYN_T + 2 * ACT_T + INACT_T + 2 * SPK_T), c(9 * SYN_T + 2 * ACT_T + INACT_T + 2 * SPK_T)]  # 48, 58
    fc3 = [c(4 * SYN_T)] * 2                                                                       # 14, 14
    assert (fc1, fc2, fc3) == ([35, 37], [48, 58], [14, 14])
    lat2, lat3 = c(EW_T + BARRIER_T), c(EW_T + NS_T + BARRIER_T)                                  # 470, 476
    # Each layer's NoC hand-offs run in step order (the schedule's gate, docs/spike-core.md section 6):
    # step t's packets leave after the producers' step t and after step t-1's hand-off (its hops and barrier).
    # fc1: [F, F+35], [F+35, F+72]
    # fc2 t0: 2 flits on link 0 after fc1 t0, + 470 -> ready; t1: 3 flits after that and after fc1 t1, + 470
    r0 = F + fc1[0] + 2 + lat2
    r1 = max(r0, F + fc1[0] + fc1[1]) + 3 + lat2
    t2_0, t2_1 = r0, max(r1, r0 + fc2[0])
    # fc3 t0: after fc2 t0, 2 flits + 476; t1 after that and after fc2 t1
    s0 = t2_0 + fc2[0] + 2 + lat3
    s1 = max(s0, t2_1 + fc2[1]) + 2 + lat3
    t3_0, t3_1 = s0, max(s1, s0 + fc3[0])
    rows = sorted((r[1], r[2], r[3], r[4]) for r in cost.schedule.rows if r[5] == "core")
    want = sorted([
        ("fc1", 0, F, F + 35), ("fc1", 1, F + 35, F + 72),
        ("fc2", 0, t2_0, t2_0 + fc2[0]), ("fc2", 1, t2_1, t2_1 + fc2[1]),
        ("fc3", 0, t3_0, t3_0 + 14), ("fc3", 1, t3_1, t3_1 + 14)])
    assert [r[:2] for r in rows] == [w[:2] for w in want]
    # pytest.approx compares flat sequences only (pytest >= 9.2 refuses nested ones)
    assert [t for r in rows for t in r[2:]] == pytest.approx([t for w in want for t in w[2:]])
    assert cost.makespan_ns == pytest.approx(t3_1 + 14)


def test_static_power_over_the_delay(workload):
    _, _, cost = run(workload, ["core.per_event.static_power_uw_per_core=812.5"])
    total = 4 * 812.5 * cost.makespan_ns * 1e-3  # 4 cores x uW x ns = pJ x 1e3
    assert sum(l.energy_pj["leakage.core"] for l in cost.layers) == pytest.approx(total, rel=1e-12)
    assert all("leakage.sram" not in l.energy_pj for l in cost.layers)


def test_phases_and_barrier_energy_scale(workload, loihi):
    _, _, base = loihi
    _, _, cost = run(workload, ["core.per_event.barrier_energy_pj=10", "core.per_event.hop_ns_energy_pj=0"])
    l0, l1, l2 = cost.layers
    assert l0.energy_pj.get("core.barrier", 0.0) == 0.0  # the first layer has no routed input
    assert l1.energy_pj["core.barrier"] == 2 * 10.0 and l2.energy_pj["core.barrier"] == 2 * 10.0
    assert l2.energy_pj["noc.hop_ns"] == 0.0
    assert cost.energy_pj == pytest.approx(base.energy_pj + 40.0 - 4 * NS_E, rel=1e-12)


def test_the_table_is_unused_under_the_component_model(workload):
    """Like the pim section of a digital-only file, core.per_event is ignored under core.cost_model:
    components (so one sweep can compare the two models on one file)."""
    job = prepare(str(LOIHI), workload, SMALL + ["core.cost_model=components"])
    cost = model.evaluate(functional_trace(job), job.spec, job.graph)
    keys = {k for l in cost.layers for k in l.energy_pj}
    assert {"core.vmem", "core.weight_sram", "leakage.sram"} <= keys
    assert not keys & {"core.synop", "core.neuron_active", "noc.hop_ew", "leakage.core"}


@pytest.mark.parametrize("key, value, says", [
    ("core.cost_model", "events", "components"),
    ("core.per_event.synop_energy_pj", -1, "greater than or equal to 0"),
    ("core.per_event.hop_ew_time_ns", "fast", "number"),
    ("core.per_event.synops_pj", 1, "synops_pj"),
])
def test_bad_per_event_settings_exit_2(workload, tmp_path, capsys, key, value, says):
    code = main(["run", str(LOIHI), workload, "-o", str(tmp_path / "out"), "-q", "--set", f"{key}={value}"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "loihi.yaml" in err and key.rsplit(".", 1)[0] in err and says in err, err


def test_shipped_configs_keep_the_component_model():
    for path in sorted((ROOT / "arch_configs").glob("*.yaml")):
        assert load_arch(path).arch.core.cost_model == "components", path.name


def test_same_counts_as_the_component_model_on_digits():
    """One trace priced both ways: the per-event model prices the component model's exact routed counts
    (synaptic ops, spikes, link crossings = E-W + N-S hops), and its figures are reproducible bit for bit."""
    arch = str(ROOT / "arch_configs" / "ace_snn_pim.yaml")
    spread = ["core.min_neurons_per_core=1"]  # every layer over all 16 cores of the 4 x 4 mesh: N-S hops too
    job = prepare(arch, str(ROOT / "workloads" / "digits" / "workload.json"), spread, samples=40)
    trace = functional_trace(job)
    comp = model.evaluate(trace, job.spec, job.graph)
    ev_job = prepare(arch, str(ROOT / "workloads" / "digits" / "workload.json"), spread + ["core.cost_model=per_event"],
                     samples=40)
    ev = model.evaluate(trace, ev_job.spec, ev_job.graph)
    again = model.evaluate(functional_trace(ev_job), ev_job.spec, ev_job.graph)
    for c, e in zip(comp.layers[1:], ev.layers[1:]):
        assert e.info["synaptic_ops"] == c.info["synaptic_ops"] and e.info["spikes_emitted"] == c.info["spikes_emitted"]
        assert e.info["hops_ew"] + e.info["hops_ns"] == c.info["noc_link_flits"]  # one 32-bit flit per packet
        assert e.energy_pj["core.synop"] == pytest.approx(c.info["synaptic_ops"] * SYN_E, rel=1e-12)
    assert sum(l.info["hops_ns"] for l in ev.layers[1:]) > 0 and sum(l.info["hops_ew"] for l in ev.layers[1:]) > 0
    assert [l.energy_pj for l in again.layers] == [l.energy_pj for l in ev.layers]
    assert again.makespan_ns == ev.makespan_ns and again.schedule.rows == ev.schedule.rows
    assert sum(ev.breakdown().values()) == pytest.approx(ev.energy_pj, rel=1e-12)


def test_hop_latency_is_the_slowest_destination_exactly():
    """A multicast to (2, 0) and (0, 1) from (0, 0): 2 E-W hops or 1 N-S hop, not both (8.2 ns, not 14.7);
    and on random meshes and destination sets the reach frontier gives the brute-force maximum."""
    from types import SimpleNamespace

    from accelsim.config.per_event import PerEventConfig
    from accelsim.hw.core.per_event import noc_latency_cycles
    from accelsim.hw.noc import Mesh

    pe = PerEventConfig(barrier_time_ns=0.0)
    mesh = Mesh(3, 3)
    reach = mesh.reach(0, [2, 3])
    assert reach == [1, -1, 0]
    assert noc_latency_cycles(pe, SimpleNamespace(reach=np.array([reach])), 0.1).tolist() == [82]
    rng = np.random.default_rng(0)
    for _ in range(200):
        mesh = Mesh(int(rng.integers(1, 7)), int(rng.integers(1, 7)))
        src = int(rng.integers(mesh.nodes))
        dests = rng.choice(mesh.nodes, size=int(rng.integers(1, mesh.nodes + 1)), replace=False).tolist()
        t_ew, t_ns = rng.uniform(0.1, 10, size=2)
        pe = PerEventConfig(hop_ew_time_ns=float(t_ew), hop_ns_time_ns=float(t_ns), barrier_time_ns=0.0)
        brute = max(abs(mesh.coord(src)[0] - mesh.coord(d)[0]) * t_ew + abs(mesh.coord(src)[1] - mesh.coord(d)[1]) * t_ns
                    for d in dests)
        got = noc_latency_cycles(pe, SimpleNamespace(reach=np.array([mesh.reach(src, dests)])), 1e-3)[0]
        assert got == math.ceil(round(brute / 1e-3, 9))


def test_class_reach_equals_the_mesh_reference():
    from accelsim.hw.core.routes import class_reach
    from accelsim.hw.noc import Mesh

    rng = np.random.default_rng(1)
    for _ in range(50):
        mesh = Mesh(int(rng.integers(1, 7)), int(rng.integers(1, 7)))
        C = int(rng.integers(1, 20))
        src = rng.integers(mesh.nodes, size=C)
        recv = (rng.random((C, mesh.nodes)) < 0.3).astype(np.int64)
        want = [mesh.reach(int(s), np.nonzero(r)[0].tolist()) for s, r in zip(src, recv)]
        assert class_reach(src, recv, mesh).tolist() == want


def test_truenorth_yaml_on_the_hand_worked_network(workload):
    """truenorth.yaml through the whole simulator: 23 synaptic ops at 1.530 pJ, 13 hops at 2.3 pJ, static
    power over the delay; the 1 ms tick makes each layer hand-off one tick: 2 steps + 2 routed layers - 1
    = 3 ticks of delay (plus the sub-microsecond core work)."""
    tn = ROOT / "arch_configs" / "validation" / "truenorth.yaml"
    job = prepare(str(tn), workload, SMALL)
    cost = model.evaluate(functional_trace(job), job.spec, job.graph)
    pe = job.spec.arch.core.per_event
    total = lambda key: sum(l.energy_pj.get(key, 0.0) for l in cost.layers)  # noqa: E731
    assert total("core.synop") == pytest.approx(23 * 1.530, rel=1e-12)
    assert total("noc.hop_ew") + total("noc.hop_ns") == pytest.approx(13 * 2.3, rel=1e-12)
    assert total("leakage.core") == pytest.approx(4 * pe.static_power_uw_per_core * cost.makespan_ns * 1e-3, rel=1e-12)
    assert {k for l in cost.layers for k, v in l.energy_pj.items() if v and not k.startswith(("core.mac", "core.buffer",
            "core.weight_sram"))} == {"core.synop", "noc.hop_ew", "noc.hop_ns", "leakage.core"}
    assert 3e6 < cost.makespan_ns < 3e6 + 1e4
