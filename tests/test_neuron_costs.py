"""Neuron kinds cost what their update equations do: multiplies, adds and state words per update."""
from __future__ import annotations

import numpy as np
import pytest

from accelsim.config.loader import load_arch
from accelsim.cost import model
from accelsim.hw.builtin import simulate_on
from accelsim.workload.builder import WorkloadBuilder
from accelsim.workload.graph import Samples
from accelsim.workload.ops import OPS

from tests.conftest import TINY_ARCH_YAML


def _net(kind: str):
    """fc1 (first layer) -> IF -> fc2 -> <kind> (the layer under test) -> fc3 readout."""
    rng = np.random.default_rng(0)
    b = WorkloadBuilder("nk", input_shape=(8,), timesteps=3)
    h = b.neuron("n1", b.gemm("fc1", b.input, rng.normal(size=(8, 8))), "IF")
    h2 = b.gemm("fc2", h, rng.normal(size=(6, 8)))
    if kind == "CubaLIF":
        h2 = b.node("n2", "CubaLIF", [h2], {"threshold": 1.0, "leak": 0.9, "syn_leak": 0.5})
    else:
        h2 = b.neuron("n2", h2, kind, threshold=1.0, leak=0.9)
    b.readout(b.gemm("fc3", h2, rng.normal(size=(2, 6))))
    return b.graph()


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    p = tmp_path_factory.mktemp("arch") / "arch.yaml"
    p.write_text(TINY_ARCH_YAML, encoding="utf-8")
    return load_arch(p, [("pim.enabled", False)])


def _fc2(kind, spec):
    g = _net(kind)
    x = np.zeros((2, 8))  # no input: no events anywhere; only neuron updates (and leakage) cost energy
    tr = simulate_on(spec.arch, g, Samples(x, None, "zero"))
    return next(l for l in model.evaluate(tr, spec, g).layers if l.name == "fc2")


def test_update_energy_follows_the_neuron_equations(spec):
    tech, core = spec.tech, spec.arch.core
    add, mult = tech.int_add_pj(core.vmem_bits), tech.int_mult_pj(core.vmem_bits)
    e = {k: _fc2(k, spec).energy_pj for k in ("IF", "LIF", "CubaLIF")}
    updates = 6 * 3  # 6 neurons x 3 steps per inference
    # IF: a compare; LIF: + a leak multiply; CubaLIF: 4 adds and 4 multiplies
    assert e["IF"]["core.neuron"] == pytest.approx(updates * add)
    assert e["LIF"]["core.neuron"] == pytest.approx(updates * (add + mult))
    assert e["CubaLIF"]["core.neuron"] == pytest.approx(updates * (4 * add + 4 * mult))
    # CubaLIF keeps two state words per neuron (membrane, synaptic current): twice the Vmem traffic
    assert e["CubaLIF"]["core.vmem"] == pytest.approx(2 * e["LIF"]["core.vmem"])
    assert e["LIF"]["core.vmem"] == pytest.approx(e["IF"]["core.vmem"]) and e["IF"]["core.vmem"] > 0


def test_every_neuron_kind_declares_its_update_cost():
    for name, op in OPS.items():
        if op.kind == "neuron":
            assert op.update_adds + op.update_mults > 0, name
            assert op.state_words >= 1, name
