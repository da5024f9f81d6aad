"""Convert an ONNX ANN into an SNN workload (``accelsim convert``).

Step 1 (:mod:`accelsim.convert.onnx_graph`) reads the ONNX graph into the
workload format with ``Relu``/``Clip`` activations. Step 2, here:

1. run that ANN on the calibration inputs (accelsim's numpy kernels) and record
   every activation's output a_n;
2. take an activation scale lambda_n per activation node (``max``,
   ``percentile`` or Ding et al.'s ``ratenorm``; :mod:`accelsim.convert.balance`);
3. replace every activation by an IF (or LIF) neuron node, reset by subtraction
   (or to zero), starting at ``v_init`` times its threshold (default 1/2: the
   spike count then rounds T * rate instead of flooring it, which halves the
   expected quantisation error, Bu et al. 2022). Every graph value v gets a
   scale sigma_v, meaning "SNN value
   (rate) = ANN value / sigma_v": sigma = 1 at the analog input (direct input:
   the first layer receives the pixel values at every step), sigma = lambda_n at
   a neuron's spikes, unchanged through pooling and shape nodes. A synaptic node
   keeps its weights and divides its bias by sigma_in, so its output has
   sigma_in; the neuron after it gets ``threshold = lambda_n / sigma_in``.
   Where an ``Add`` joins two branches of different scales, the Conv/Gemm
   feeding it is rescaled (W * sigma_in / sigma_other, b / sigma_other) so both
   agree; a constant addend is divided by sigma. The readout keeps sigma_out:
   its values are the ANN's outputs / sigma_out (recorded in the metadata);
4. a max-pool of values that change over time steps (spikes, or the currents of
   a layer fed by spikes) becomes a spiking max-pool (``--maxpool spike``, the
   default; :class:`~accelsim.workload.ops.pool.SpikeMaxPool`: the output's
   spike count is the window's largest input count, so its rate converges to
   the ANN's max); a max-pool of the static analog input stays (exact there).
   ``--maxpool or`` keeps MaxPool on spikes (an OR of binary spikes, which
   over-counts rates), ``--maxpool avg`` makes every MaxPool an average pool (as
   Ding et al. train theirs); both change a max-pool-trained network's function
   and are recorded as such (``pools_changed``);
5. ``coding fs`` (few-spikes, docs/coding.md): every activation becomes an ``FS``
   node with ``phases`` K and ``code relu``, ``alpha = lambda_n / sigma_in``; an FS
   neuron outputs the quantised activation itself, so every scale stays 1
   (weights and biases unchanged) and the network is the ANN with each
   activation truncated to K bits of alpha; one pass (``timesteps`` 1);
   MaxPool is kept (the max of quantised values is exact);
6. optionally quantise each weight tensor to ``weight_bits`` (symmetric,
   per tensor: w_q = round(w / s) * s, s = max|w| / (2^(bits-1) - 1)).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, Optional

import numpy as np

from accelsim.convert.balance import activation_scale
from accelsim.convert.onnx_graph import AnnGraph
from accelsim.engine.execute import make_executor
from accelsim.engine.interpret import interpret
from accelsim.errors import fail
from accelsim.workload.builder import WorkloadBuilder
from accelsim.workload.graph import Graph, Node


@dataclass(frozen=True)
class ConvertOptions:
    """How an ANN becomes an SNN; see the module docstring."""

    timesteps: int = 32
    neuron: Literal["IF", "LIF"] = "IF"
    leak: float = 1.0                   # LIF multiplicative leak per step, in [0, 1]
    reset: Literal["subtract", "zero"] = "subtract"
    v_init: float = 0.5                 # initial membrane, as a fraction of the threshold (Bu et al. 2022)
    balance: Literal["max", "percentile", "ratenorm"] = "max"
    percentile: float = 99.9
    ratenorm_p: float | str = "auto"    # p in (0, 1], or "auto" (per layer; see balance.py)
    maxpool: Literal["spike", "or", "avg"] = "spike"
    weight_bits: Optional[int] = None
    coding: Literal["rate", "fs"] = "rate"  # fs: few-spikes neurons (docs/coding.md), one pass of ``phases``
    phases: int = 8                         # K of the FS neurons (coding fs)


ACTIVATIONS = ("Relu", "Clip")


def ann_activations(graph: Graph, x: np.ndarray, batch_size: int = 64) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Outputs of every ``Relu``/``Clip`` node on inputs ``x`` (flattened), and the readout [N, classes]."""
    execs = {n.name: make_executor(graph, n, "numpy") for n in graph.nodes}
    acts: dict[str, list[np.ndarray]] = {}

    def record(node: Node, ins: list, out: np.ndarray) -> None:
        if node.op in ACTIVATIONS:
            acts.setdefault(node.name, []).append(out.reshape(-1))

    outs = []
    for start in range(0, x.shape[0], batch_size):
        xb = np.asarray(x[start:start + batch_size], dtype=np.float64)
        out = interpret(graph, {graph.input.name: xb}, execs, observe=record)[graph.readout.output]
        outs.append(out.reshape(out.shape[0], -1))
    return {k: np.concatenate(v) for k, v in acts.items()}, np.concatenate(outs, axis=0)


def quantise(w: np.ndarray, bits: int) -> np.ndarray:
    """Symmetric uniform quantisation per tensor, returned de-quantised (float)."""
    top = float(np.max(np.abs(w))) if w.size else 0.0
    if top == 0.0:
        return w.copy()
    levels = 2 ** (bits - 1) - 1
    if levels < 1:  # 1 bit: sign * mean magnitude (binary weights)
        return np.sign(w) * float(np.mean(np.abs(w)))
    s = top / levels
    return np.round(w / s) * s


class _Scaling:
    """Activation scales while the ANN's nodes are rewritten as SNN nodes, in graph order.

    ``sigma[v]``: the scale of value ``v`` (the ANN value that one unit of the SNN value
    stands for); an activation becomes a neuron with threshold ``lambda / sigma_in`` and
    output scale ``lambda``; an ``Add`` of differently scaled operands rescales the
    synapse that produces one of them (``weight_scale``).
    """

    def __init__(self, graph, source: str, lam: dict[str, float], opts: ConvertOptions):
        self.graph, self.source, self.lam, self.opts = graph, source, lam, opts
        self.sigma: dict[str, float] = {graph.input.name: 1.0}
        self.spiking: set[str] = set()   # values carrying spikes (downstream of a neuron, through stateless nodes)
        self.varying: set[str] = set()   # values that change over time steps (downstream of any neuron)
        self.weight_scale: dict[str, float] = {}
        self.pools: dict[str, str] = {}  # each ANN MaxPool -> what it became
        self.pools_changed: list[str] = []  # MaxPools whose function the conversion changed (--maxpool or/avg)

    def rescale_synapse(self, value: str, target: float, at: str) -> None:
        """Make the Conv/Gemm producing ``value`` (alone) output at scale ``target``."""
        g = self.graph
        p = g.producer(value)
        if p is None or p.kind != "synaptic" or len(g.consumers(value)) != 1:
            raise fail(self.source, f"nodes.{at}", "cannot balance this Add: its operands have different activation "
                                                   "scales and neither comes straight from a Conv/Gemm used only here",
                       [value])
        self.weight_scale[p.name] = self.sigma[p.inputs[0]] / target
        self.sigma[value] = target

    def add(self, node, vins: list[str], tensors: dict[str, np.ndarray]) -> None:
        """An ``Add``: two values at one scale (rescaling a synapse if needed), or a value plus a constant."""
        g, sigma = self.graph, self.sigma
        if len(vins) == 2:
            s_a, s_b = sigma[vins[0]], sigma[vins[1]]
            if not np.isclose(s_a, s_b, rtol=1e-12):
                # rescale the branch that comes from a synapse (prefer the first)
                p0 = g.producer(vins[0])
                if p0 is not None and p0.kind == "synaptic" and len(g.consumers(vins[0])) == 1:
                    self.rescale_synapse(vins[0], s_b, node.name)
                else:
                    self.rescale_synapse(vins[1], s_a, node.name)
            sigma[node.output] = sigma[vins[0]]
        else:
            tname = next(i for i in node.inputs if i not in g.shapes)
            tensors[tname] = tensors[tname] / sigma[vins[0]]
            sigma[node.output] = sigma[vins[0]]

    def node(self, node, nd: dict, tensors: dict[str, np.ndarray]) -> dict:
        """The SNN version of one ANN node (``nd``: a copy of its workload entry)."""
        opts, sigma = self.opts, self.sigma
        vins = self.graph.value_inputs(node)
        s_in = sigma[vins[0]]
        if node.op in ACTIVATIONS and opts.coding == "fs":
            # the FS neuron outputs the quantised activation in its input's units: every scale stays sigma_in
            nd["op"] = "FS"
            nd["attrs"] = {"phases": int(opts.phases), "code": "relu", "alpha": float(self.lam[node.name] / s_in)}
            sigma[node.output] = s_in
            self.spiking.add(node.output)
        elif node.op in ACTIVATIONS:
            nd["op"] = opts.neuron
            thr = float(self.lam[node.name] / s_in)
            nd["attrs"] = {"reset": opts.reset, "threshold": thr, "v_init": float(opts.v_init * thr)}
            if opts.neuron == "LIF":
                nd["attrs"]["leak"] = float(opts.leak)
            sigma[node.output] = self.lam[node.name]
            self.spiking.add(node.output)
        elif node.kind == "synaptic":
            sigma[node.output] = s_in
        elif node.op == "Add":
            self.add(node, vins, tensors)
        else:
            if node.op == "MaxPool":
                self.maxpool(node.name, nd, vins[0])
            sigma[node.output] = s_in
        if any(v in self.spiking for v in vins) and node.op not in ACTIVATIONS and node.kind != "synaptic":
            self.spiking.add(node.output)
        if node.op in ACTIVATIONS or any(v in self.varying for v in vins):
            self.varying.add(node.output)
        return nd

    def maxpool(self, name: str, nd: dict, value: str) -> None:
        """The SNN version of an ANN MaxPool of ``value`` (``--maxpool``; module docstring, step 4)."""
        what = "spikes" if value in self.spiking else "currents" if value in self.varying else "the analog input"
        mode = self.opts.maxpool
        if mode == "avg":
            nd["op"] = "AveragePool"
            nd["attrs"]["count_include_pad"] = 0
            self.pools[name] = f"AveragePool of {what} (--maxpool avg)"
        elif value not in self.varying:
            self.pools[name] = f"MaxPool of {what} (static: exact)"
            return
        elif self.opts.coding == "fs":  # an FS neuron outputs its quantised activation: its max is exact
            self.pools[name] = "MaxPool of FS values (exact)"
            return
        elif mode == "spike":
            nd["op"] = "SpikeMaxPool"
            self.pools[name] = f"SpikeMaxPool of {what}"
            return
        else:
            how = "an OR of spikes" if what == "spikes" else "the max of each step"
            self.pools[name] = f"MaxPool of {what} (--maxpool or: {how})"
        self.pools_changed.append(name)


def _scale_tensors(graph, nodes: dict[str, dict], sc: _Scaling, tensors: dict[str, np.ndarray],
                   weight_bits: Optional[int]) -> None:
    """Weights and biases of the SNN: W * weight_scale, b / sigma_out (then quantised if asked)."""
    for node in graph.nodes:
        if node.kind != "synaptic":
            continue
        nd = nodes[node.name]
        k = sc.weight_scale.get(node.name, 1.0)
        if k != 1.0:
            tensors[nd["inputs"][1]] = tensors[nd["inputs"][1]] * k
        if len(nd["inputs"]) > 2:
            tensors[nd["inputs"][2]] = tensors[nd["inputs"][2]] / sc.sigma[node.output]
        if weight_bits is not None:
            tensors[nd["inputs"][1]] = quantise(tensors[nd["inputs"][1]], weight_bits)


def to_snn(ann: AnnGraph, calib_x: np.ndarray, opts: ConvertOptions, name: Optional[str] = None) -> tuple[WorkloadBuilder, dict]:
    """The SNN workload builder, and a dict of what was done (for the metadata)."""
    if opts.coding == "fs" and opts.balance == "ratenorm":
        raise fail(ann.source, "balance", "ratenorm is a rate-coding method; with coding fs use max or percentile",
                   opts.balance)
    if opts.coding == "fs":  # one pass: each FS layer runs its K phases within it (docs/coding.md)
        opts = replace(opts, timesteps=1)
    ann.builder.doc["timesteps"] = int(opts.timesteps)
    graph = ann.builder.graph()
    acts, ann_out = ann_activations(graph, calib_x)
    lam = {n: activation_scale(a, opts.balance, opts.percentile, opts.ratenorm_p, opts.timesteps)
           for n, a in acts.items()}
    for node in graph.nodes:  # a ceiling below lambda: the ANN never exceeds it
        if node.op == "Clip":
            lam[node.name] = min(lam[node.name], float(node.attrs.max))

    src = ann.builder
    b = WorkloadBuilder(name or src.doc["name"], input_shape=graph.input.shape, timesteps=opts.timesteps,
                        input_name=graph.input.name, description=src.doc["description"])
    b.tensors = {k: np.array(v, dtype=np.float64) if v.dtype.kind == "f" else np.array(v) for k, v in src.tensors.items()}
    nodes = {nd["name"]: nd for nd in src.doc["nodes"]}
    sc = _Scaling(graph, ann.source, lam, opts)
    b.doc["nodes"] = [sc.node(node, {**nodes[node.name], "attrs": dict(nodes[node.name]["attrs"]),
                                     "inputs": list(nodes[node.name]["inputs"])}, b.tensors) for node in graph.nodes]
    _scale_tensors(graph, nodes, sc, b.tensors, opts.weight_bits)
    b.readout(graph.readout.output, mode="membrane")
    if opts.weight_bits is not None:
        b.doc["weight_bits"] = int(opts.weight_bits)
    info = {
        "balance": opts.balance, "percentile": opts.percentile if opts.balance == "percentile" else None,
        "ratenorm_p": opts.ratenorm_p if opts.balance == "ratenorm" else None,
        "activation_scale": {k: float(v) for k, v in lam.items()},
        "readout_scale": float(sc.sigma[graph.readout.output]),
        "maxpool": opts.maxpool, "pools": sc.pools, "pools_changed": sc.pools_changed,
        "rescaled_for_add": {k: float(v) for k, v in sc.weight_scale.items()},
        "neuron": opts.neuron, "leak": opts.leak if opts.neuron == "LIF" else None, "reset": opts.reset,
        "v_init": opts.v_init,
        "weight_bits": opts.weight_bits, "calibration_samples": int(calib_x.shape[0]),
        "input": "direct (analog values at every step into the first layer)",
        "coding": opts.coding, "phases": int(opts.phases) if opts.coding == "fs" else None,
        "timesteps": int(opts.timesteps),
    }
    if opts.coding == "fs":
        info.update(neuron="FS", leak=None, reset=None, v_init=None, readout_scale=1.0,
                    input="direct (analog values into the first layer, one pass of K phases per FS layer)")
    b.graph()  # validate before anyone writes it
    return b, info


def load_xy(path: str | Path, what: str, input_shape: tuple[int, ...]) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """``x`` [N, *input] (and optional ``y`` [N]) from a calibration or samples ``.npz``."""
    from accelsim.workload.loader import load_npz

    path = Path(path)
    data = load_npz(path, str(path), "", str(path)) if path.exists() else None
    if data is None:
        raise fail(str(path), "", f"{what} file not found")
    if "x" not in data:
        raise fail(str(path), "x", f"array 'x' missing; the file has: {', '.join(sorted(data)) or 'nothing'}")
    x = data["x"]
    if x.dtype.kind not in "fiub" or tuple(x.shape[1:]) != tuple(input_shape) or x.shape[0] < 1:
        raise fail(str(path), "x", f"must be numeric [N, {', '.join(map(str, input_shape))}] (the model's input "
                                   f"without batch), N >= 1", list(x.shape))
    if not np.all(np.isfinite(x)):
        raise fail(str(path), "x", "contains NaN or infinite values")
    y = data.get("y")
    if y is not None and (y.dtype.kind not in "iu" or y.shape != (x.shape[0],)):
        raise fail(str(path), "y", f"labels must be integers of shape [N] = [{x.shape[0]}]", list(y.shape))
    return x.astype(np.float64), None if y is None else y.astype(np.int64)
