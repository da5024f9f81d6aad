"""The ``pim`` engine: the first layer (analog input) on PIM crossbar macros.

It claims the first layer when ``pim.enabled``; its functional executor is the
crossbar model (:mod:`.numerics`, parameters :class:`~.macro.MacroParams`), its
fit check the macro mapping (:mod:`.mapping`), its cost the macro model
(:mod:`.cost`) plus the layer's neurons on the spike cores (the ``core`` engine's
neuron part). Its schedule task holds the macros the layer's weights are
programmed into.
"""
from __future__ import annotations

from typing import Hashable

from accelsim.config.arch import Arch
from accelsim.config.loader import ArchSpec
from accelsim.engine.lower import Layer
from accelsim.engine.trace import LayerCounts
from accelsim.errors import fail
from accelsim.hw.core.engine import merge_parts
from accelsim.hw.engines import CostRun, Engine, get, register
from accelsim.hw.first_layer import FirstLayerActivity, first_layer_cost, recorded_evaluations
from accelsim.hw.pim.cost import check_fits, pim_first_layer_cost
from accelsim.hw.pim.macro import MacroParams
from accelsim.hw.pim.mapping import map_layer
from accelsim.hw.pim.numerics import PimExec
from accelsim.hw.result import LayerCost
from accelsim.hw.tasks import LayerTasks


class PimEngine(Engine):
    name = "pim"
    priority = 10

    def claims(self, layer: Layer, arch: Arch) -> bool:
        return layer.first_layer and arch.pim.enabled

    def numerics(self, arch: Arch) -> Hashable:
        return (MacroParams.from_config(arch.pim), arch.pim.input_full_scale)

    def executor(self, graph, node, layer, arch, backend, key):
        return PimExec(graph, node, backend, MacroParams.from_config(arch.pim), arch.pim.input_full_scale, key=key)

    def check(self, layers: list[Layer], spec: ArchSpec) -> None:
        for layer in layers:
            if layer.engine == self.name:
                check_fits(map_layer(layer, spec.arch.pim), spec.arch.pim, layer.name, spec.source)
        pim, macro = spec.arch.pim, spec.arch.macro
        if macro.blocks and macro.convert == "per_mvm" and pim.input_slices > 1:
            raise fail(spec.source, "pim.dac_bits", f"macro.convert: per_mvm converts once per MVM; the run's "
                       f"functional model converts after every input slice: set pim.dac_bits to pim.input_bits = "
                       f"{pim.input_bits} (the integrated pulses act as one multi-bit input)", pim.dac_bits)

    def pim_macros(self, layers: list[Layer], arch: Arch) -> int:
        return sum(map_layer(l, arch.pim).tiles for l in layers if l.engine == self.name)

    def weight_bits(self, arch: Arch) -> int:
        return arch.pim.weight_bits

    def first_layer_synaptic(self, spec: ArchSpec, layer: Layer, counts: LayerCounts, samples: int,
                             timesteps: int, static: bool) -> LayerCost:
        act: FirstLayerActivity = counts.activity
        evals = recorded_evaluations(self.name, layer.name, act, samples, timesteps, required=True)
        pim = spec.arch.pim

        def model(evals: int, policy: str) -> LayerCost:
            return pim_first_layer_cost(spec.tech, pim, layer, act, evals, policy, static, timesteps, spec.source,
                                        spec.arch.macro)
        return first_layer_cost(model, pim.static_input, static, timesteps, evals)

    def layer_cost(self, run: CostRun, layer: Layer, counts: LayerCounts) -> tuple[LayerCost, LayerTasks]:
        core = get("core")
        part, cycles, dram_bits = core.neuron_part(run, layer, counts)
        static = layer.name in run.trace.static_layers
        cost = self.first_layer_synaptic(run.spec, layer, counts, run.samples, run.timesteps, static)
        run.state[self.name] = int(cost.info["macros_used"])
        merge_parts(cost, part)
        return cost, core.tasks(run, layer, cycles, dram_bits, list(cost.step_ns), "pim")

    def macros_held(self, run: CostRun, costs: list[LayerCost]) -> int:
        """Macros the first layer's task holds: those its weights are programmed into."""
        return min(run.state.get(self.name, 1), run.spec.arch.pim.macros)


register(PimEngine())
