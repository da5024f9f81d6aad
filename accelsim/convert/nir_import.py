"""NIR (Neuromorphic Intermediate Representation) import: a NIR graph as a workload.

``accelsim import GRAPH.nir -o DIR --dt DT`` reads a NIR graph (PyPI ``nir``)
into a workload. Neurons are discretised with step ``dt``
(:mod:`accelsim.convert.nir_neurons`); synaptic and shape nodes map to ONNX-like
ops (:mod:`accelsim.convert.nir_layers`). Input/Output of nested subgraphs are
pass-throughs; several edges into a node are summed (Add). Every node of the
graph runs once per step in topological order, so a spike crosses any number
of layers within its step (as in the frameworks' sequential modules).

Cycles are recurrent connections (snnTorch's ``RLeaky``/``RSynaptic`` export a
``Linear``/``Affine`` from a LIF/CubaLIF back into its own input; NIR subgraphs
as in the NIR paper's Braille SRNN): the edge of each cycle from a neuron node
into a synaptic node (``Affine``, ``Linear``, ``Conv1d``, ``Conv2d``) carries the
previous step's spikes, chosen as the workload loader chooses it
(:mod:`accelsim.workload.cycles`), so the imported workload's delayed edges are
the same ones; a cycle without a neuron is refused, naming its nodes.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from accelsim.convert.nir_files import node_metadata, read_nir_file, require_nir
from accelsim.convert.nir_layers import LayerImport
from accelsim.convert.nir_neurons import NeuronImport
from accelsim.errors import fail
from accelsim.workload.builder import WorkloadBuilder
from accelsim.workload.cycles import CycleError, delayed_edges
from accelsim.workload.ops import OPS, ShapeError

SUPPORTED = ("Input", "Output", "Affine", "Linear", "Scale", "Conv1d", "Conv2d", "SumPool2d", "AvgPool2d", "Flatten",
             "IF", "LIF", "LI", "I", "CubaLIF", "Threshold", "NIRGraph")
SPIKING = ("CubaLIF", "LIF", "IF")
NEURON_TYPES = tuple(k[len("node_"):] for k in vars(NeuronImport) if k.startswith("node_"))  # its handlers
SYNAPSE_TYPES = ("Affine", "Linear", "Conv1d", "Conv2d")  # their handlers name their output after the node


@dataclass(frozen=True)
class NirOptions:
    dt: float
    discretisation: str = "euler"          # "euler" or "exact"
    timesteps: Optional[int] = None        # default: the graph's metadata (accelsim export), else required
    encoding: Optional[str] = None         # "sequence" (default) or "direct"
    name: Optional[str] = None


class _Importer(LayerImport, NeuronImport):
    """Reads one NIR graph into a workload builder; ``node_<NIR type>`` handlers come from the mixins."""

    def __init__(self, graph, opts: NirOptions, file: str):
        self.opts, self.file = opts, file
        self.nodes: dict[str, Any] = {}
        self.edges: list[tuple[str, str]] = []
        self._flatten(graph, "")
        self.top = set(graph.nodes)
        self.gmeta = node_metadata(graph)

    def bad(self, name: str, message: str, value: Any = ...):
        return fail(self.file, f"nodes.{name}", message) if value is ... else fail(self.file, f"nodes.{name}", message, value)

    def _flatten(self, graph, prefix: str) -> None:
        """Nested NIRGraph nodes are inlined: their Input/Output nodes become pass-throughs."""
        import nir

        for name, node in graph.nodes.items():
            full = prefix + name
            if isinstance(node, nir.NIRGraph):
                self._flatten(node, full + ".")
            else:
                self.nodes[full] = node
        for src, dst in graph.edges:
            s, d = prefix + src, prefix + dst
            if isinstance(graph.nodes.get(src), nir.NIRGraph):
                outs = [k for k, n in graph.nodes[src].nodes.items() if isinstance(n, nir.Output)]
                if len(outs) != 1:
                    raise fail(self.file, f"nodes.{s}", "a subgraph used as a node needs exactly one Output node", outs)
                s = f"{s}.{outs[0]}"
            if isinstance(graph.nodes.get(dst), nir.NIRGraph):
                ins = [k for k, n in graph.nodes[dst].nodes.items() if isinstance(n, nir.Input)]
                if len(ins) != 1:
                    raise fail(self.file, f"nodes.{d}", "a subgraph used as a node needs exactly one Input node", ins)
                d = f"{d}.{ins[0]}"
            self.edges.append((s, d))

    def order(self) -> list[str]:
        """The nodes in topological order of the graph without its delayed (recurrent) edges."""
        import nir

        names = list(self.nodes)
        preds = {n: [s for s, d in self.edges if d == n] for n in names}
        for s, d in self.edges:
            for x in (s, d):
                if x not in self.nodes:
                    raise fail(self.file, "edges", f"edge ({s!r}, {d!r}) names a node that does not exist", x)
        succ: dict[str, list[str]] = {n: [] for n in names}
        for s, d in self.edges:
            if d not in succ[s]:
                succ[s].append(d)
        typ = lambda n: type(self.nodes[n]).__name__  # noqa: E731
        roots = [n for n in names if isinstance(self.nodes[n], nir.Input) and not preds[n]]
        try:
            delayed = set(delayed_edges(names, roots, succ, lambda n: typ(n) in NEURON_TYPES,
                                        lambda n: typ(n) in SYNAPSE_TYPES))
        except CycleError as exc:
            raise fail(self.file, "edges", exc.message(str)) from None
        late = {d for _, d in delayed}
        done, placed, remaining = [], set(), list(names)
        while remaining:
            ready = [n for n in remaining if all(p in placed or (p, n) in delayed for p in preds[n])]
            n = next((k for k in ready if k not in late), ready[0])
            done.append(n)
            placed.add(n)
            remaining.remove(n)
        self.preds, self.delayed = preds, delayed
        return done

    def read(self) -> WorkloadBuilder:
        import nir

        order = self.order()
        inputs = [n for n in order if isinstance(self.nodes[n], nir.Input) and not self.preds[n]]
        if len(inputs) != 1:
            raise fail(self.file, "nodes", f"expected exactly one graph Input node, found {len(inputs)}", inputs)
        shape = tuple(int(d) for d in np.asarray(self.nodes[inputs[0]].input_type["input"]).reshape(-1))
        if not shape or any(d < 1 for d in shape):
            raise fail(self.file, f"nodes.{inputs[0]}", "the Input node needs a fixed positive shape", list(shape))
        T = self.opts.timesteps or self.gmeta.get("accelsim_timesteps")
        if T is None:
            raise fail("--timesteps", "", "the graph does not record a number of time steps; give --timesteps")
        enc = self.opts.encoding or self.gmeta.get("accelsim_encoding", "sequence")
        name = self.opts.name or self.gmeta.get("accelsim_name") or Path(self.file).stem
        self.b = WorkloadBuilder(name, input_shape=shape, timesteps=int(T), encoding=enc, input_name="input",
                                 description=f"imported from {Path(self.file).name} (NIR), dt = {self.opts.dt}, "
                                             f"{self.opts.discretisation} discretisation")
        self.shapes: dict[str, tuple[int, ...]] = {"input": shape}
        self.val: dict[str, str] = {inputs[0]: "input"}
        self.kind: dict[str, str] = {}
        self.pending: dict[str, list[str]] = {}  # neuron -> recurrent synapses reading it, emitted after it
        outputs = []
        for n in order:
            if n == inputs[0]:
                continue
            node = self.nodes[n]
            if not self.preds[n]:
                raise self.bad(n, "has no incoming edge (only the graph's Input may)")
            if any((p, n) in self.delayed for p in self.preds[n]):
                self._defer(n)
                continue
            x = self._sum_inputs(n)
            tname = type(node).__name__
            if isinstance(node, (nir.Input, nir.Output)):
                self.val[n] = x
                if isinstance(node, nir.Output) and n in self.top:
                    outputs.append(x)
                continue
            handler = getattr(self, f"node_{tname}", None)
            if handler is None:
                raise self.bad(n, f"unsupported NIR node type {tname!r}; supported: {', '.join(SUPPORTED)}", tname)
            self.val[n] = handler(n, node, x)
            for r in self.pending.pop(n, []):
                self._recurrent(r)
        if not outputs:
            raise fail(self.file, "nodes", "the graph has no Output node")
        prod = next((nd for nd in self.b.doc["nodes"] if nd["outputs"][0] == outputs[0]), None)
        mode = self.gmeta.get("accelsim_readout")
        if mode not in ("membrane", "spike_count"):
            mode = "spike_count" if prod is not None and prod["op"] in SPIKING else "membrane"
        self.b.readout(outputs[0], mode=mode)
        self.b.doc["outputs"] = list(dict.fromkeys(outputs))
        self.b.graph()  # validate
        return self.b

    # -- recurrent synapses ----------------------------------------------
    def _defer(self, n: str) -> None:
        """A synapse reading a neuron around a cycle: its value is named now (the neuron's input sums
        it) and it is emitted once the neuron it reads exists."""
        src = [p for p in self.preds[n] if (p, n) in self.delayed]
        if len(self.preds[n]) != 1:
            raise self.bad(n, "a recurrent synapse (it reads a neuron around a cycle) must have exactly one "
                              f"incoming edge, from that neuron; it has {len(self.preds[n])}", self.preds[n])
        self.val[n] = n
        self.pending.setdefault(src[0], []).append(n)

    def _recurrent(self, n: str) -> None:
        assumed = self.shapes.pop(n, None)
        node = self.nodes[n]
        out = getattr(self, f"node_{type(node).__name__}")(n, node, self.val[self.preds[n][0]])
        if assumed is not None and self.shapes[out] != assumed:
            raise self.bad(n, f"the recurrent synapse's output has shape {list(self.shapes[out])}, but the input it "
                              f"is summed into has shape {list(assumed)}")

    # -- helpers ---------------------------------------------------------
    def _sum_inputs(self, n: str) -> str:
        vals = [self.val[p] for p in self.preds[n]]
        known = [v for v in vals if v in self.shapes]
        if not known:
            raise self.bad(n, "is fed only by recurrent synapses; it needs a forward input too (its shape)")
        for v in vals:  # a recurrent synapse not emitted yet: its shape is checked when it is (_recurrent)
            self.shapes.setdefault(v, self.shapes[known[0]])
        acc = vals[0]
        for k, v in enumerate(vals[1:], 1):
            if self.shapes[acc] != self.shapes[v]:
                raise self.bad(n, f"incoming edges carry shapes {list(self.shapes[acc])} and {list(self.shapes[v])}; "
                                  "summed inputs must match")
            acc = self._emit(n, f"{n}.sum{k}", "Add", [acc, v], {})
        return acc

    def _emit(self, n: str, name: str, op: str, inputs: list[str], attrs: dict) -> str:
        spec = OPS[op]
        a = spec.Attrs.model_validate(attrs)
        shapes = [self.shapes[i] if i in self.shapes else tuple(self.b.tensors[i].shape) for i in inputs]
        consts = [None if i in self.shapes else self.b.tensors[i] for i in inputs]
        try:
            shape = tuple(int(d) for d in spec.infer(a, shapes, consts))
            if spec.kind == "neuron":
                from accelsim.workload.shapes import check_neuron_params

                check_neuron_params(a, shape, self.b.tensors, spec.params)
        except ShapeError as exc:
            raise self.bad(n, f"{exc}" + (f" ({exc.path})" if exc.path else "")) from None
        out = self.b.node(name, op, inputs, attrs)
        self.shapes[out] = shape
        return out

    def _param(self, n: str, key: str, value, shape: tuple[int, ...]):
        """A neuron parameter: a number if uniform, else a tensor (per channel or per neuron)."""
        arr = np.asarray(value, dtype=np.float64)
        if arr.size == 1 or np.all(arr == arr.reshape(-1)[0]):
            return float(arr.reshape(-1)[0])
        if arr.size == int(np.prod(shape)):
            return self.b.tensor(f"{n}.{key}", arr.reshape(shape))
        if arr.size == shape[0] and arr.shape[0] == shape[0]:  # per channel, e.g. [C] or [C, 1, 1]
            return self.b.tensor(f"{n}.{key}", arr.reshape(shape[0]))
        raise self.bad(n, f"parameter {key} of shape {list(arr.shape)} does not fit the input of shape {list(shape)}")

    def _scalar(self, n: str, key: str, value) -> float:
        arr = np.asarray(value, dtype=np.float64).reshape(-1)
        if arr.size == 0 or not np.all(arr == arr[0]):
            raise self.bad(n, f"{key} must be the same for every neuron (accelsim takes one value)", arr[:4].tolist())
        return float(arr[0])


def import_nir(graph_or_path, opts: NirOptions, file: str = "<nir>") -> WorkloadBuilder:
    """A NIR graph (or a ``.nir`` file) as a workload builder (write it with ``.write(folder)``)."""
    if opts.discretisation not in ("euler", "exact"):
        raise fail("--discretisation", "", "must be euler or exact", opts.discretisation)
    if not (opts.dt > 0 and np.isfinite(opts.dt)):
        raise fail("--dt", "", "must be a positive number (the time step, in the graph's time unit)", opts.dt)
    if isinstance(graph_or_path, (str, Path)):
        file = str(graph_or_path)
        graph_or_path = read_nir_file(graph_or_path)
    else:
        require_nir()
    return _Importer(graph_or_path, opts, file).read()
