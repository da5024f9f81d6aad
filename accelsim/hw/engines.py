"""Hardware engines as plug-ins: which engine runs each layer, its numerics and its cost.

An engine is one module with one :class:`Engine` subclass, registered here by
name (:func:`register`). It provides, for the layers it runs:

* ``claims(layer, arch)``: whether it runs this layer (engines are asked by
  descending ``priority``; ``core``, priority 0, takes the rest);
* ``numerics(arch)``: the frozen group of parameters its functional executors read
  (part of a trace's identity), and ``executor(...)``: that executor of a layer's
  synaptic node, or None for the exact float64 executor of the functional engine;
  ``neuron_executor(...)``: the same for the layer's neuron node (e.g. fixed-point state);
* ``check(layers, spec)``: mapping and placement fit, before the functional pass;
  ``pim_macros(layers, arch)``: the PIM macros its layers are programmed into (what a
  hybrid's ANN on PIM shares); ``weight_bits(arch)``: the width of a stored weight
  of its layers (the report's NeuroBench footprint);
* ``prepare(run)`` and ``layer_cost(run, layer, counts)``: its per-layer energy by
  component (:class:`~accelsim.hw.result.LayerCost`) and the tasks it hands to the
  schedule (:class:`~accelsim.hw.tasks.LayerTasks`); ``finish(run, costs, schedule)``
  for what depends on the whole schedule (leakage over the delay); ``info(run)``
  for the report's ``mapping`` block; ``extend(run, tasks)``: costs and schedule tasks
  it adds beyond the layers (a hybrid's ANN part);
* ``runs_ann``: it runs the ANN part of a hybrid ANN-SNN workload (:func:`ann_engine`:
  the ``ann`` engine), its synaptic nodes built through its ``executor`` and checked by
  its ``check_ann``;
* ``always_used``: it takes part in every run (prepare, finish, info) whichever layers it
  runs (``core``: every layer's neurons and the shared SRAM).

No other module compares engine names: what differs between engines is one of these
hooks.

The shipped engines register when :mod:`accelsim.hw.builtin` is imported (the
cost model and :mod:`accelsim.simulate` do). Adding an engine: one module that
calls :func:`register` + one import line in :mod:`accelsim.hw.builtin` + its
tests.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Hashable, Optional

from accelsim.config.arch import Arch
from accelsim.config.loader import ArchSpec
from accelsim.engine.execute import Executor, make_executor
from accelsim.engine.lower import Layer
from accelsim.engine.trace import LayerCounts, Trace
from accelsim.hw.result import LayerCost
from accelsim.hw.tasks import LayerTasks
from accelsim.workload.graph import Graph, Node


@dataclass
class CostRun:
    """One costing of a trace on an architecture: what every engine's cost hooks see.
    ``state`` holds each engine's per-run results of :meth:`Engine.prepare` by engine name."""

    trace: Trace
    spec: ArchSpec
    graph: Graph
    source: str
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def samples(self) -> int:
        return self.trace.samples

    @property
    def timesteps(self) -> int:
        return self.trace.timesteps


class Engine:
    """Base of a hardware engine (see the module docstring); every hook has a neutral default."""

    name: ClassVar[str]
    priority: ClassVar[int] = 0       # asked before engines of lower priority
    runs_ann: ClassVar[bool] = False  # runs the ANN part of a hybrid ANN-SNN workload (see ann_engine)
    always_used: ClassVar[bool] = False  # in every run, whichever layers it runs (see engines_used)

    def claims(self, layer: Layer, arch: Arch) -> bool:
        return False

    def numerics(self, arch: Arch) -> Hashable:
        return None

    def reuse_executor(self, graph: Graph, node: Node, layer: Layer, arch: Arch, backend: str, key: int,
                       store: Any, replay: bool) -> Optional[Executor]:
        """The layer's synaptic executor that keeps its reusable intermediate results in ``store``
        (``replay`` False) or computes from the kept ones (``replay`` True), for a sweep's trace
        groups equal in :meth:`reusable_numerics`; None: the engine keeps nothing."""
        return None

    def reusable_numerics(self, arch: Arch) -> Hashable:
        """The part of :meth:`numerics` that the engine's reusable intermediate results depend on
        (``pim``: the column sums before the ADC, :mod:`accelsim.hw.pim.reuse`); design points
        equal in it share those results. Default: all of :meth:`numerics` (nothing shared)."""
        return self.numerics(arch)

    def executor(self, graph: Graph, node: Node, layer: Layer, arch: Arch, backend: str,
                 key: int) -> Optional[Executor]:
        return None

    def neuron_executor(self, graph: Graph, node: Node, layer: Layer, arch: Arch,
                        backend: str) -> Optional[Executor]:
        """The functional executor of the layer's neuron node (e.g. fixed-point state), or
        None for the neuron kind's float64 kernel."""
        return None

    def check(self, layers: list[Layer], spec: ArchSpec) -> None:
        pass

    def pim_macros(self, layers: list[Layer], arch: Arch) -> int:
        """PIM macros the weights of its layers among ``layers`` are programmed into (0: none)."""
        return 0

    def weight_bits(self, arch: Arch) -> int:
        """Bits of one stored weight of the layers it runs (default: the cores' weight SRAM,
        ``core.weight_bits``)."""
        return arch.core.weight_bits

    def check_ann(self, ann_layers: list[Layer], snn_layers: list[Layer], spec: ArchSpec) -> None:
        """An engine that ``runs_ann``: the hybrid's ANN layers fit beside the SNN's, before the
        functional pass."""
        pass

    def prepare(self, run: CostRun) -> None:
        pass

    def layer_cost(self, run: CostRun, layer: Layer, counts: LayerCounts) -> tuple[LayerCost, LayerTasks]:
        raise NotImplementedError

    def extend(self, run: CostRun, tasks: list[LayerTasks]) -> tuple[list[LayerCost], list[LayerTasks]]:
        """Costs beyond the trace's layers and the schedule's tasks with its own added (default:
        none, the tasks unchanged)."""
        return [], tasks

    def finish(self, run: CostRun, costs: list[LayerCost], schedule: Any) -> None:
        pass

    def macros_held(self, run: CostRun, costs: list[LayerCost]) -> int:
        """PIM macros its tasks hold in the schedule (0: none)."""
        return 0

    def info(self, run: CostRun) -> dict:
        return {}


ENGINES: dict[str, Engine] = {}


def register(engine: Engine) -> Engine:
    """Add (or replace) ``engine`` under its name; returns it."""
    ENGINES[engine.name] = engine
    return engine


def unregister(name: str) -> None:
    ENGINES.pop(name, None)


def get(name: str) -> Engine:
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; registered: {', '.join(sorted(ENGINES))}")
    return ENGINES[name]


def by_priority() -> list[Engine]:
    """The registered engines, by descending priority (then name)."""
    return sorted(ENGINES.values(), key=lambda e: (-e.priority, e.name))


def engine_of(layer: Layer, arch: Arch) -> str:
    for engine in by_priority():
        if engine.claims(layer, arch):
            return engine.name
    raise ValueError(f"no engine runs layer {layer.name!r}")


def ann_engine(required: bool = True) -> Optional[Engine]:
    """The engine that runs a hybrid's ANN part: the first registered one, by priority, with
    ``runs_ann``; when none is, None, or a ValueError when ``required``."""
    engine = next((e for e in by_priority() if e.runs_ann), None)
    if engine is None and required:
        raise ValueError("the workload has an ANN part and no registered engine runs it (Engine.runs_ann)")
    return engine


def assign(layers: list[Layer], arch: Arch) -> list[Layer]:
    """The layers with their ``engine`` set: the first registered engine that claims each."""
    return [replace(l, engine=engine_of(l, arch)) for l in layers]


def engines_used(layers: list[Layer]) -> list[Engine]:
    """The engines that run ``layers``, and every engine ``always_used`` (``core``: it holds the
    neurons of every layer and the shared SRAM), by name."""
    names = sorted({l.engine for l in layers} | {e.name for e in ENGINES.values() if e.always_used})
    return [get(n) for n in names]


class HardwareNumerics:
    """Executor factory for :func:`accelsim.engine.functional.simulate`: each synaptic node and
    each neuron node of a layer through its engine's numerics; every other node exact."""

    def __init__(self, arch: Arch, layers: list[Layer]):
        self.arch = arch
        self.by_synapse = {l.synapse.name: l for l in layers}
        self.by_neuron = {l.neuron.name: l for l in layers if l.neuron is not None}
        self.built = 0

    def __call__(self, graph: Graph, node: Node, backend: str) -> Executor:
        layer = self.by_synapse.get(node.name)
        ex = None
        if layer is not None:
            ex = get(layer.engine).executor(graph, node, layer, self.arch, backend, self.built)
            self.built += ex is not None
        elif node.name in self.by_neuron:
            layer = self.by_neuron[node.name]
            ex = get(layer.engine).neuron_executor(graph, node, layer, self.arch, backend)
        elif node.kind == "synaptic" and (ann := ann_engine(required=False)) is not None:  # a node of a hybrid's ANN part
            ex = ann.executor(graph, node, None, self.arch, backend, self.built)
            self.built += ex is not None
        return ex if ex is not None else make_executor(graph, node, backend)


def _identity(layers: list[Layer], arch: Arch, ann: bool, hook: str) -> tuple:
    """Per layer (name, engine, the engine's ``hook(arch)``), and the ANN part's when ``ann``."""
    out = tuple((l.name, l.engine, getattr(get(l.engine), hook)(arch)) for l in layers)
    if not ann:
        return out
    engine = ann_engine()
    return out + (("ann", engine.name, getattr(engine, hook)(arch)),)


def numerics_identity(layers: list[Layer], arch: Arch, ann: bool = False) -> tuple:
    """What makes two traces of one workload equal: each layer's engine and its numerics group
    (the sweep groups design points by it; tests/test_trace_identity.py checks it is complete);
    ``ann``: the workload has an ANN part, run through the numerics of :func:`ann_engine`."""
    return _identity(layers, arch, ann, "numerics")


def reuse_identity(layers: list[Layer], arch: Arch, ann: bool = False) -> tuple:
    """:func:`numerics_identity` with each engine's :meth:`Engine.reusable_numerics` in place of its
    numerics: design points equal in it differ at most in numerics whose intermediate results an
    engine can reuse (a sweep runs them as one group)."""
    return _identity(layers, arch, ann, "reusable_numerics")
