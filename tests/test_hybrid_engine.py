"""The ``ann`` engine on the hand-worked hybrid (tests/hybrid_cases.py): state-write energy
and NoC traffic worked by hand, the ANN's MAC energy on the digital array, the schedule's
ANN tasks at steps 0, 3, 6, power from step_s, and the invariants (breakdown and engines
sum to the total)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from accelsim.config.loader import load_arch
from accelsim.hw.first_layer import acc_bits
from accelsim.simulate import cost_and_report, functional_trace, prepare, run_simulation

from hybrid_cases import T, workload

ARCH = "arch_configs/ace_snn_pim.yaml"
SETS = ["ann.noc_node=3", "workload.step_s=0.01"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    path = workload(tmp_path_factory.mktemp("hyb"))
    job = prepare(ARCH, str(path), SETS)
    trace = functional_trace(job)
    return job, trace, cost_and_report(job, trace, scheduler="simpy")


def test_state_write_energy_by_hand(run):
    """lif1's 3 membranes sit on core 0: one Vmem word per run, 3 runs; the ANN injects at
    mesh node 3 (x=3, y=0), 3 hops from core 0: ceil(64 / 32) = 2 flits per run."""
    job, _, rep = run
    arch, tech = job.spec.arch, job.spec.tech
    assert arch.core.vmem_word == 64 and arch.noc.flit_bits == 32 and arch.noc.mesh_x == 4
    sw = rep["hybrid"]["state_writes"]
    e = sw["energy_breakdown_pj"]
    write = tech.sram_access_pj(arch.core.vmem_sram_kib, 64, write=True)
    assert e["ann.state_write"] == pytest.approx(3 * 1 * write, rel=1e-12)
    assert e["ann.state_noc_router"] == pytest.approx(3 * 2 * 32 * (3 + 1) * tech.noc_router_pj_per_bit, rel=1e-12)
    assert e["ann.state_noc_link"] == pytest.approx(
        3 * 2 * 32 * 3 * arch.noc.link_mm * tech.noc_link_pj_per_bit_mm, rel=1e-12)
    assert sw["elements"] == 9.0 and sw["cost_details"]["words_per_core"][0] == 1


def test_ann_mac_energy_digital(run):
    job, _, rep = run
    arch, tech = job.spec.arch, job.spec.tech
    (layer,) = rep["hybrid"]["layers"]
    assert layer["evaluations"] == 3 and layer["macs"] == 18.0 and layer["state_initialiser"]
    e_mac = tech.mult_ab_pj(arch.ann.input_bits, arch.ann.weight_bits) + tech.int_add_pj(
        acc_bits(arch.ann.input_bits, arch.ann.weight_bits, 2))
    assert layer["energy_breakdown_pj"]["ann.mac"] == pytest.approx(18 * e_mac, rel=1e-12)


def test_invariants_and_power(run):
    _, _, rep = run
    total = rep["per_inference"]["energy_pj"]
    assert sum(rep["energy_breakdown_pj"].values()) == pytest.approx(total, rel=1e-12)
    assert sum(rep["energy_by_engine_pj"].values()) == pytest.approx(total, rel=1e-12)
    assert set(rep["energy_by_engine_pj"]) == {"ann", "core", "pim"}
    rt = rep["real_time"]
    assert rt["inference_s"] == pytest.approx(T * 0.01)
    assert rt["power_w"]["total"] == pytest.approx(total * 1e-12 / (T * 0.01), rel=1e-12)
    assert rt["power_w"]["ann"] == pytest.approx(rep["energy_by_engine_pj"]["ann"] * 1e-12 / 0.07, rel=1e-12)
    assert rt["ann_rate_hz"] == pytest.approx(100 / 3) and rt["snn_rate_hz"] == pytest.approx(100)


def test_schedule_ann_tasks_every_k(run):
    job, trace, _ = run
    from accelsim.cost.model import evaluate
    for scheduler in ("simpy", "fast"):
        sched = evaluate(trace, job.spec, job.graph, scheduler=scheduler).schedule
        rows = list(sched.rows)
        writes = [r for r in rows if r[1] == "ann.state_write" and r[5] == "core"]
        assert sorted({r[2] for r in writes}) == [0, 3, 6]
        for t in (0, 3, 6):  # the bound layer's step starts after the state write of that step
            end = max(r[4] for r in writes if r[2] == t)
            starts = [r[3] for r in rows if r[1] == "fc1" and r[2] == t]
            assert starts and min(starts) >= end
    fast = evaluate(trace, job.spec, job.graph, scheduler="fast").schedule
    simpy = evaluate(trace, job.spec, job.graph, scheduler="simpy").schedule
    assert list(fast.rows) == list(simpy.rows) and fast.makespan_ns == simpy.makespan_ns


@pytest.mark.parametrize("arch", ["arch_configs/ace_snn_pim.yaml", "arch_configs/digital_only.yaml"])
@pytest.mark.parametrize("target", ["digital", "pim"])
def test_targets_run_and_are_deterministic(tmp_path, arch, target):
    path = workload(tmp_path)
    a = run_simulation(arch, str(path), [f"ann.target={target}"])
    b = run_simulation(arch, str(path), [f"ann.target={target}"])
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    keys = [k for k in a["energy_breakdown_pj"] if k.startswith("ann.")]
    assert any(k.startswith("ann.pim_") for k in keys) == (target == "pim")
    assert a["hybrid"]["ann_energy_pj"] > 0


def test_pim_target_must_fit(tmp_path, expect_problem):
    from accelsim.errors import InputError
    path = workload(tmp_path)
    with pytest.raises(InputError) as err:
        run_simulation(ARCH, str(path), ["ann.target=pim", "pim.macros=1"])
    expect_problem(err.value, ARCH, "pim.macros", "ANN", "ann.target: digital")


def test_noc_node_outside_mesh(tmp_path, expect_problem):
    from accelsim.errors import InputError
    path = workload(tmp_path)
    with pytest.raises(InputError) as err:
        run_simulation(ARCH, str(path), ["ann.noc_node=99"])
    expect_problem(err.value, ARCH, "ann.noc_node", "mesh node", value=99)


def test_ann_on_pim_overlaps_snn_steps(tmp_path):
    """digital_only runs the first layer on the cores, so the PIM macros are free for the ANN: its
    step-3 task runs while the SNN still works on earlier steps, and step 3 of the bound layer waits
    for the state write."""
    from accelsim.cost.model import evaluate
    job = prepare("arch_configs/digital_only.yaml", str(workload(tmp_path)), ["ann.target=pim"])
    trace = functional_trace(job)
    for scheduler in ("fast", "simpy"):
        rows = list(evaluate(trace, job.spec, job.graph, scheduler=scheduler).schedule.rows)
        ann3 = [r for r in rows if r[1] == "ann" and r[2] == 3]
        assert ann3 and all(r[5] == "pim" for r in ann3)
        snn2_end = max(r[4] for r in rows if r[1] in ("fc1", "fc2") and r[2] == 2)
        assert min(r[3] for r in ann3) < snn2_end                       # overlaps SNN step 2
        write3 = max(r[4] for r in rows if r[1] == "ann.state_write" and r[2] == 3)
        assert min(r[3] for r in rows if r[1] == "fc1" and r[2] == 3) >= write3


def test_fixed_point_cores_take_the_ann_state_in_lsbs(tmp_path):
    """core.numerics: fixed keeps integer membranes: the ANN's value is written in membrane LSBs
    (to_fixed, saturated), so the fixed run stays close to the float run (not truncated to 0)."""
    from accelsim.engine.execute import NeuronExec
    from accelsim.hw.core.fixed import FixedNeuronExec
    path = workload(tmp_path)
    job = prepare("arch_configs/digital_only.yaml", str(path), ["core.numerics=fixed"])
    trace = functional_trace(job)
    assert trace.ann.runs == [0, 3, 6]
    ref = functional_trace(prepare("arch_configs/digital_only.yaml", str(path), ["core.numerics=float"]))
    assert np.allclose(trace.scores, ref.scores, atol=0.05 * np.abs(ref.scores).max())
    assert issubclass(FixedNeuronExec, NeuronExec) and FixedNeuronExec.write_state is not NeuronExec.write_state
