"""The ANN's dense layers on their target, per inference (``ann.target`` in the architecture).

Each ANN layer is evaluated once per ANN run (steps 0, K, 2K, ...: ``runs`` per inference).

* ``pim``: the PIM crossbar macro model of the first layer (:mod:`accelsim.hw.pim.cost`:
  DAC, value-dependent array read, ADC, shift-and-add, buffers) on the activity the
  crossbar numerics recorded for the ANN's own inputs (accumulated events quantised to
  ``pim.input_bits`` over ``[0, ann.input_full_scale]``); keys ``ann.pim_<component>``.
* ``digital``: a dense MAC array of ``ann.mac_units`` MACs per cycle with its own weight
  SRAM (the digital first-layer model, :mod:`accelsim.hw.core.first_layer`, with the array
  as one core of ``mac_units`` lanes): per evaluation ``macs x (E_mult(in x w) + E_add(acc))``,
  weight reads, buffers, ``ceil(macs / mac_units) + core.task_overhead_cycles`` cycles;
  keys ``ann.<component>``.
"""
from __future__ import annotations

from accelsim.config.arch import Arch
from accelsim.config.loader import ArchSpec
from accelsim.engine.lower import Layer
from accelsim.engine.trace import LayerCounts
from accelsim.hw.core.first_layer import core_first_layer_cost
from accelsim.hw.first_layer import recorded_evaluations
from accelsim.hw.pim.cost import pim_first_layer_cost
from accelsim.hw.result import LayerCost


def mac_array(arch: Arch):
    """The digital MAC array as the core model sees a core: one core of ``mac_units`` lanes."""
    a = arch.ann
    return arch.core.model_copy(update={"count": 1, "lanes": a.mac_units, "input_bits": a.input_bits,
                                        "weight_bits": a.weight_bits, "weight_sram_kib": a.weight_sram_kib})


def _renamed(cost: LayerCost, prefix: str) -> LayerCost:
    cost.energy_pj = {f"ann.{prefix}{k.split('.', 1)[1]}": v for k, v in cost.energy_pj.items()}
    cost.engine = "ann"
    return cost


def ann_layer_cost(spec: ArchSpec, layer: Layer, counts: LayerCounts, runs: int) -> tuple[LayerCost, float]:
    """(the layer's cost per inference, one evaluation's duration in ns) for ``runs`` ANN runs."""
    arch = spec.arch
    act = counts.activity
    if arch.ann.target == "pim":
        recorded_evaluations("pim", layer.name, act, 1, runs, required=True)
        # T = runs: outputs are read once per evaluation (not at every SNN step)
        cost = pim_first_layer_cost(spec.tech, arch.pim, layer, act, runs, "recompute", False, runs, spec.source)
        cost = _renamed(cost, "pim_")
    else:
        recorded_evaluations("core", layer.name, act, 1, runs, required=False)
        cost = core_first_layer_cost(spec.tech, mac_array(arch), arch.clock_ns, layer, act, runs, "recompute",
                                     False, runs)
        cost = _renamed(cost, "")
    eval_ns = cost.latency_ns / runs if runs else 0.0
    cost.info = {**cost.info, "target": arch.ann.target, "runs": runs}
    return cost, eval_ns
