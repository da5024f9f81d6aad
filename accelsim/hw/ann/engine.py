"""The ``ann`` engine: the ANN of a hybrid ANN-SNN workload, and its state writes.

It claims no SNN layer. The functional engine runs the ANN part
(:mod:`accelsim.engine.hybrid`); every ANN synaptic node is built through this
engine's numerics (:meth:`AnnEngine.executor`: the PIM crossbar model, or quantised
digital MACs, by ``ann.target``). The cost model calls :meth:`AnnEngine.extend` when
the trace has an ANN part: it prices every ANN layer (:mod:`.compute`) and the state
writes (:mod:`.state`), and adds two schedule tasks per inference:

* ``ann``: the ANN's layers one after another at each run step (0, K, 2K, ...). On
  ``pim`` it holds the PIM macros (contending with a PIM first layer); on the
  ``digital`` MAC array (a unit no other task uses) it is a pure delay of its cycles;
* ``ann.state_write``: after ``ann`` at the same step, the state packets over the
  NoC and the Vmem writes on the cores holding the bound neurons.

The bound SNN layers' step-t tasks wait for ``ann.state_write`` at step t (their
state is overwritten before the step's update); otherwise ANN tasks overlap SNN
steps wherever resources allow (the ANN for step 2K may run during steps K..2K-1:
the input is taken as available, as for the first layer).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Hashable

import numpy as np

from accelsim.config.arch import Arch
from accelsim.config.loader import ArchSpec
from accelsim.errors import fail
from accelsim.hw.ann.compute import ann_layer_cost
from accelsim.hw.ann.state import bound_layers, state_writes, write_link_cycles
from accelsim.hw.core.first_layer import DigitalExec
from accelsim.hw.engines import CostRun, Engine, ann_engine, engines_used, register
from accelsim.hw.pim.macro import MacroParams
from accelsim.hw.pim.mapping import map_layer
from accelsim.hw.pim.numerics import PimExec
from accelsim.hw.result import LayerCost
from accelsim.hw.tasks import LayerTasks
from accelsim.util.mathx import cdiv

COMPUTE_TASK = "ann"
WRITE_TASK = "ann.state_write"


class AnnEngine(Engine):
    name = "ann"
    priority = -100   # never claims an SNN layer
    runs_ann = True

    def numerics(self, arch: Arch) -> Hashable:
        a = arch.ann
        if a.target == "pim":
            return ("pim", MacroParams.from_config(arch.pim), a.input_full_scale)
        return ("digital", a.input_bits, a.weight_bits, a.input_full_scale)

    def executor(self, graph, node, layer, arch, backend, key):
        a = arch.ann
        if a.target == "pim":
            return PimExec(graph, node, backend, MacroParams.from_config(arch.pim), a.input_full_scale, key=1000 + key)
        return DigitalExec(graph, node, backend, a.input_bits, a.weight_bits, a.input_full_scale)

    def check_ann(self, ann_layers: list, snn_layers: list, spec: ArchSpec) -> None:
        """Before the functional pass: the ANN's weights fit the PIM macros beside the first layer's,
        and ``ann.noc_node`` is a mesh node."""
        arch = spec.arch
        nodes = arch.noc.mesh_x * arch.noc.mesh_y
        if arch.ann.noc_node >= nodes:
            raise fail(spec.source, "ann.noc_node", f"must be a mesh node in [0, {nodes - 1}]", arch.ann.noc_node)
        if arch.ann.target != "pim":
            return
        pim = arch.pim
        need = sum(map_layer(l, pim).tiles for l in ann_layers)
        first = sum(e.pim_macros(snn_layers, arch) for e in engines_used(snn_layers))
        if need + first > pim.macros:
            raise fail(spec.source, "pim.macros", f"the ANN's layers need {need} macros of {pim.rows} x {pim.cols} "
                       f"besides the first layer's {first}; raise pim.macros, or set ann.target: digital", pim.macros)

    def extend(self, run: CostRun, tasks: list[LayerTasks]) -> tuple[list[LayerCost], list[LayerTasks]]:
        """The ANN layers' and state writes' costs, and the tasks with the two ANN tasks added
        (the bound SNN layers wait for the state writes); nothing without an ANN part, or when
        another engine runs it (:func:`~accelsim.hw.engines.ann_engine`)."""
        trace, arch, T = run.trace, run.spec.arch, run.timesteps
        ann = trace.ann
        if ann is None or ann_engine() is not self:
            return [], tasks
        runs = len(ann.runs)
        costs, total_ns = [], 0.0
        for layer, counts in zip(ann.layers, ann.counts):
            cost, eval_ns = ann_layer_cost(run.spec, layer, counts, runs)
            cost.engine = self.name
            cost.info["state_initialiser"] = layer.name in ann.initialisers
            costs.append(cost)
            total_ns += eval_ns
        sw = state_writes(trace, arch, run.spec.tech)
        costs.append(LayerCost(WRITE_TASK, self.name, {
            "ann.state_write": sw.write_pj * runs, "ann.state_noc_router": sw.router_pj * runs,
            "ann.state_noc_link": sw.link_pj * runs}, 0.0, {
            "runs": runs, "vmem_words_per_run": int(sw.words.sum()), "flits_per_run": int(sw.flits.sum()),
            "words_per_core": sw.words.tolist(), "hops_per_core": sw.hops.tolist()}))
        return costs, self._tasks(run, tasks, sw, total_ns)

    def _tasks(self, run: CostRun, tasks: list[LayerTasks], sw, total_ns: float) -> list[LayerTasks]:
        trace, arch, T = run.trace, run.spec.arch, run.timesteps
        cores, links = arch.core.count, 4 * arch.noc.mesh_x * arch.noc.mesh_y
        ran = np.zeros(T, dtype=bool)
        ran[trace.ann.runs] = True
        zeros = lambda *s: np.zeros(s, dtype=np.int64)  # noqa: E731
        i_c, i_w = len(tasks), len(tasks) + 1
        if arch.ann.target == "pim":
            compute = LayerTasks(i_c, COMPUTE_TASK, zeros(T, cores), zeros(T, cores), zeros(T, links), zeros(T), (),
                                 [total_ns if r else 0.0 for r in ran], "pim")
        else:  # a dedicated MAC array: its cycles are a delay of the task, no shared resource
            cycles = int(round(total_ns / arch.clock_ns))
            compute = LayerTasks(i_c, COMPUTE_TASK, zeros(T, cores), zeros(T, cores), zeros(T, links),
                                 np.where(ran, cycles, 0).astype(np.int64), ())
        hops = int(sw.hops[sw.flits > 0].max()) if np.any(sw.flits > 0) else 0
        latency = (hops + 1) * arch.noc.router_latency_cycles if hops else 0
        write = LayerTasks(i_w, WRITE_TASK, np.outer(ran, cdiv(sw.words, arch.core.sram_ports)).astype(np.int64),
                           zeros(T, cores), np.outer(ran, write_link_cycles(sw, arch)).astype(np.int64),
                           np.where(ran, latency, 0).astype(np.int64), (i_c,))
        bound = {l.index for l in bound_layers(trace, trace.ann)}
        out = [replace(t, sources=t.sources + (i_w,)) if k in bound else t for k, t in enumerate(tasks)]
        return out + [compute, write]

    def macros_held(self, run: CostRun, costs: list[LayerCost]) -> int:
        """The ANN's macros on ``pim`` with those the SNN layers' engines hold (the first layer's)."""
        if run.trace.ann is None or run.spec.arch.ann.target != "pim":
            return 0
        ann = sum(int(c.info.get("macros_used", 0)) for c in costs if c.engine == self.name)
        snn = sum(e.macros_held(run, costs) for e in engines_used(run.trace.layers))
        return min(run.spec.arch.pim.macros, ann + snn)


register(AnnEngine())
