"""The ``neurobench`` block of report.json: NeuroBench 2.x metrics from a trace.

Definitions (neurobench 2.3.0, ``neurobench/metrics``; docs/metrics.md maps each):

* ``SynapticOperations`` — per connection layer (Conv, Gemm, MatMul) and time step, the
  layer with binarised weights (non-zero -> 1) and no bias applied to the binarised input
  (non-zero -> 1), summed over its outputs: ``Effective_ACs`` when every input value of the
  step is 0, 1 or -1 (spikes), else ``Effective_MACs``; ``Dense`` is the same with every
  weight and input 1 (every connection, every step). Per inference = summed over steps and
  samples, divided by the samples. Bias, pooling and normalisation are not counted.
  By linearity the effective count of a step over all samples is the binarised layer
  applied once to the trace's per-address event counts (``AddressCounts.by_input``): exact.
* ``ActivationSparsity`` — zero outputs / all outputs of the spiking neuron layers, over all
  steps and samples.
* ``MembraneUpdates`` — per spiking neuron layer: every neuron at the first step, then the
  neurons whose membrane changed in the step, the membrane taken after the step's input and
  before any reset (what snnTorch keeps; it resets at the next step); per inference.
* ``NeuronOperations`` — ``MembraneUpdates`` times the operations of one update of the
  snnTorch class the kind corresponds to (LIF, IF and a CubaLIF without synaptic leak: Leaky,
  4; CubaLIF: Synaptic, 6 with subtract reset, 8 with zero) as ``Effective Neuron Ops``;
  ``Neuron Dense Ops`` = neurons x steps x the same.
* Static: ``ParameterCount`` (weights and biases of the connection layers),
  ``ConnectionSparsity`` (zero weights / weights of the connection layers) and ``Footprint``
  (bytes at accelsim's stored precision: weights at the engine's weight bits, biases and
  neuron parameters at 32 bits, one membrane word per neuron at ``core.vmem_bits``).
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from accelsim.engine.lower import conv_window
from accelsim.engine.trace import GraphKey
from accelsim.hw.builtin import get
from accelsim.util.mathx import cdiv

# snnTorch class of each accelsim neuron kind, and its operations per membrane update
# (neurobench.metrics.workload.neuron_operations.neuron_ops_reset_operations)
SNNTORCH_CLASS = {"LIF": "Leaky", "IF": "Leaky", "CubaLIF": "Synaptic"}
OPS_PER_UPDATE = {"Leaky": {"subtract": 4, "zero": 4}, "Synaptic": {"subtract": 6, "zero": 8}}


def _binary_layer(graph, layer) -> tuple[str, np.ndarray]:
    """The layer's kind and its weights with every non-zero set to 1 (float64)."""
    w = graph.tensors[layer.synapse.inputs[1]]
    wb = (np.asarray(w) != 0).astype(np.float64)
    if layer.synapse.op == "Conv":
        return "conv", wb
    if layer.synapse.op == "Gemm" and layer.synapse.attrs.transB:
        wb = wb.T
    return "dense", wb


def nonzero_fanout(graph, layer) -> np.ndarray:
    """Per input element (flattened as ``AddressCounts.by_input``): the outputs of the binarised
    layer one event there adds to, counted with multiplicity (its non-zero weights that reach a
    valid output), int64. The binarised layer summed over its outputs is linear in its input, so
    for a row ``x`` of event counts it is ``x @ nonzero_fanout``: exact integers, the sum the
    layer's scatter would give (tests/test_neurobench_metrics.py compares the two).

    Conv: ``sum_{taps} nz[c, tap] * valid_d[d, kd] * valid_h[h, kh] * valid_w[w, kw]``, with
    ``nz[c, tap]`` the non-zero weights of input channel ``c`` at that tap over its group's output
    channels and ``valid_a`` whether a tap takes a position on axis ``a`` to a valid output."""
    kind, wb = _binary_layer(graph, layer)
    if kind == "dense":
        return wb.sum(axis=1).astype(np.int64)
    win = conv_window(graph, layer.synapse)
    out_ch, per_group, g = wb.shape[0], wb.shape[1], layer.group
    nz = wb.astype(np.int64).reshape((g, out_ch // g, per_group) + win.kernel).sum(axis=1)
    nz = nz.reshape((g * per_group,) + win.kernel)         # input channel gi * per_group + c
    taps = [win.axis_taps(a).astype(np.int64) for a in range(3)]
    return np.einsum("cxyz,dx,hy,wz->cdhw", nz, *taps, optimize=True).reshape(-1)


def _synaptic_ops(graph, layer, counts, addresses, T: int) -> tuple[float, float, float]:
    """(effective MACs, effective ACs, dense) of one layer over all steps and samples."""
    x = addresses.by_input.reshape(T, -1).astype(np.int64)
    per_step = (x @ nonzero_fanout(graph, layer)).astype(np.float64)   # exact: integers far below 2^53
    binary = counts.nonbinary_inputs == 0 if counts.nonbinary_inputs is not None else np.zeros(T, bool)
    return float(per_step[~binary].sum()), float(per_step[binary].sum()), float(layer.fanout.sum())


def _stored_bits(layer, arch) -> int:
    """Bits of one stored weight of the layer, as its engine stores them."""
    return get(layer.engine).weight_bits(arch)


def _neuron_params(graph, layer) -> int:
    """Elements of the tensors a layer's neuron node names (thresholds, leaks given per neuron)."""
    if layer.neuron is None:
        return 0
    names = [v for v in layer.neuron.attrs.model_dump().values() if isinstance(v, str) and v in graph.tensors]
    return int(sum(graph.tensors[n].size for n in set(names)))


def _neuron_ops(graph, layer) -> Optional[int]:
    cls = SNNTORCH_CLASS.get(layer.neuron.op) if layer.neuron is not None else None
    if cls == "Synaptic":  # no synaptic current carried over (syn_leak 0): snnTorch's Leaky, as exported
        ref = getattr(layer.neuron.attrs, "syn_leak", None)
        value = graph.tensors[ref] if isinstance(ref, str) else ref
        if value is not None and not np.any(np.asarray(value)):
            cls = "Leaky"
    if cls is None:
        return None
    return OPS_PER_UPDATE[cls][getattr(layer.neuron.attrs, "reset", "subtract")]


def trace_synaptic_ops(trace, g: GraphKey) -> list[tuple[float, float, float]]:
    """Per layer, :func:`_synaptic_ops` (a property of the trace alone: derived once per trace, so a
    sweep that costs many design points from one trace does it once)."""
    return [_synaptic_ops(g.graph, l, c, a, trace.timesteps)
            for l, c, a in zip(trace.layers, trace.counts, trace.addresses)]


def trace_zero_weights(trace, g: GraphKey) -> list[int]:
    """Per layer, its zero weights (a property of the graph: derived once per trace, not per design point)."""
    return [int(np.count_nonzero(np.asarray(g.graph.tensors[l.synapse.inputs[1]]) == 0)) for l in trace.layers]


def _layer_block(graph, layer, counts, ops: tuple[float, float, float], zeros: int, arch, N: int,
                 T: int) -> dict[str, Any]:
    mac, ac, dense_step = ops
    w = np.asarray(graph.tensors[layer.synapse.inputs[1]])
    bias = int(graph.tensors[layer.synapse.inputs[2]].size) if len(layer.synapse.inputs) > 2 else 0
    block: dict[str, Any] = {
        "SynapticOperations": {"Effective_MACs": mac / N, "Effective_ACs": ac / N, "Dense": dense_step * T},
        "ParameterCount": int(w.size) + bias,
        "ConnectionSparsity": float(zeros / w.size) if w.size else 0.0,
        "Footprint": cdiv(int(w.size) * _stored_bits(layer, arch), 8) + 4 * (bias + _neuron_params(graph, layer)),
    }
    if layer.spiking:
        spikes = float(counts.nonzero_out.sum())   # NeuroBench: non-zero activations
        updates = float(counts.membrane_updates.sum()) if counts.membrane_updates is not None else None
        ops = _neuron_ops(graph, layer)
        block["ActivationSparsity"] = 1.0 - spikes / (layer.neurons * T * N)
        block["MembraneUpdates"] = None if updates is None else updates / N   # None: fixed-point neurons
        block["NeuronOperations"] = None if ops is None or updates is None else {"Effective Neuron Ops": updates * ops / N,
                                                              "Neuron Dense Ops": float(layer.neurons * T * ops)}
        block["Footprint"] += cdiv(layer.neurons * arch.core.vmem_bits, 8)
    return block


def neurobench_block(graph, trace, arch) -> Optional[dict[str, Any]]:
    """``{"per_inference": {...}, "layers": {name: {...}}}``, or None when the trace holds no
    per-address counts."""
    N, T = trace.samples, trace.timesteps
    if not trace.addresses or N < 1:
        return None
    ops = trace.derived(trace_synaptic_ops, GraphKey(graph))
    zeros = trace.derived(trace_zero_weights, GraphKey(graph))
    layers = {l.name: _layer_block(graph, l, c, o, z, arch, N, T)
              for l, c, o, z in zip(trace.layers, trace.counts, ops, zeros)}
    spiking = [(l, c) for l, c in zip(trace.layers, trace.counts) if l.spiking]
    total_out = sum(l.neurons * T * N for l, _ in spiking)
    sparsity = 1.0 - sum(float(c.nonzero_out.sum()) for _, c in spiking) / total_out if total_out else None
    nops = [b["NeuronOperations"] for b in layers.values() if b.get("NeuronOperations")]
    per = {
        "SynapticOperations": {k: sum(b["SynapticOperations"][k] for b in layers.values())
                               for k in ("Effective_MACs", "Effective_ACs", "Dense")},
        "ActivationSparsity": sparsity,
        "MembraneUpdates": (None if any(b.get("MembraneUpdates", 0.0) is None for b in layers.values())
                            else sum(b.get("MembraneUpdates", 0.0) for b in layers.values())),
        "NeuronOperations": ({k: sum(n[k] for n in nops) for k in ("Effective Neuron Ops", "Neuron Dense Ops")}
                             if nops else None),
        "ParameterCount": sum(b["ParameterCount"] for b in layers.values()),
        "ConnectionSparsity": _connection_sparsity(graph, trace.layers, zeros),
        "Footprint": sum(b["Footprint"] for b in layers.values()),
    }
    return {"version": "neurobench 2.x definitions (docs/metrics.md)", "per_inference": per, "layers": layers}


def _connection_sparsity(graph, layers, zeros: list[int]) -> float:
    total = sum(np.asarray(graph.tensors[l.synapse.inputs[1]]).size for l in layers)
    return float(sum(zeros) / total) if total else 0.0
