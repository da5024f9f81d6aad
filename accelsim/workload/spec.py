"""The workload file format v1 (``workload.json``), as pydantic models.

A workload is an ONNX-like graph: nodes with ONNX operator names (``Conv``,
``Gemm``, ...) and NIR-style neuron nodes (``LIF``, ``IF``) connected by named
values; weights and other constants are named tensors in a sidecar ``.npz``.
These models check the JSON's structure; :mod:`accelsim.workload.loader` checks
names, tensors and shapes. ``accelsim schema workload`` prints the JSON Schema.
"""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

FORMAT_NAME = "accelsim-workload"
FORMAT_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class InputSpec(_Strict):
    """A graph input: shape without the batch dimension, and how it is presented."""

    name: str = Field(min_length=1)
    shape: list[int] = Field(min_length=1, description="shape without batch, ONNX layout [C, *spatial] or [features]")
    encoding: Literal["direct", "sequence"] = Field(
        "direct", description="direct: the same analog input at every time step; sequence: one input per step")


class NodeSpec(_Strict):
    """One operator or neuron node. ``inputs`` name graph values or tensors in the .npz."""

    name: str = Field(min_length=1)
    op: str = Field(min_length=1, description="ONNX operator name (Conv, Gemm, ...) or neuron kind (LIF, IF)")
    inputs: list[str] = Field(min_length=1)
    outputs: list[str] = Field(min_length=1, max_length=1)
    attrs: dict[str, Any] = Field(default_factory=dict, description="operator attributes, ONNX names")


class ReadoutSpec(_Strict):
    """How the class is read out: accumulate ``output`` over the time steps, argmax."""

    output: str = Field(min_length=1, description="graph value that is read out")
    mode: Literal["membrane", "spike_count"] = Field(
        "membrane", description="membrane: sum of the value over steps (non-spiking output layer); spike_count: sum of spikes")


class BindingSpec(_Strict):
    """One state binding: the ANN value ``value`` overwrites state ``state`` of the SNN neuron node
    ``neuron`` (same element count as the neuron node's output) at every ANN step."""

    value: str = Field(min_length=1, description="an ANN value (output of an ann.nodes node)")
    neuron: str = Field(min_length=1, description="name of an SNN neuron node (nodes[].name)")
    state: str = Field("v", min_length=1, description="the neuron kind's state array to overwrite (v: membrane; "
                       "isyn: synaptic current of CubaLIF)")


class AnnSpec(_Strict):
    """The ANN part of a hybrid ANN-SNN (Aydin et al. 2023): a stateless network run every
    ``every`` SNN steps (steps 0, K, 2K, ...) on the input accumulated since its last run, whose
    outputs overwrite bound SNN states before that step's SNN update."""

    every: int = Field(ge=1, le=100_000, description="K: SNN steps per ANN step (the ANN runs at steps 0, K, 2K, ...)")
    accumulate: Literal["sum", "mean", "last"] = Field(
        "sum", description="ANN input at step t: sum or mean of the input frames since its last run "
        "(steps max(0, t-K+1)..t), or the frame of step t only (last)")
    window: Optional[int] = Field(
        None, ge=1, le=100_000, description="frames the ANN input covers, steps max(0, t-window+1)..t "
        "(default: K, the frames since its last run); e.g. K = 1 with a longer window runs the ANN at every step")
    nodes: list[NodeSpec] = Field(min_length=1, description="the ANN's nodes; they read the graph input")
    bindings: list[BindingSpec] = Field(min_length=1)
    initialisers: list[str] = Field(
        default_factory=list, description="names of ann.nodes that are state initialisers (e.g. 1x1 convs); "
        "reported apart from the ANN proper (Aydin's accounting charges them as state initialisation)")


class WorkloadSpec(_Strict):
    format: Literal["accelsim-workload"] = FORMAT_NAME
    version: Literal[1] = FORMAT_VERSION
    name: str = Field(min_length=1)
    description: str = ""
    timesteps: int = Field(ge=1, le=100_000, description="time steps per inference")
    tensors: str = Field("tensors.npz", description="sidecar .npz with the named tensors, relative to the workload folder")
    inputs: list[InputSpec] = Field(min_length=1, max_length=1)
    nodes: list[NodeSpec] = Field(min_length=1)
    outputs: list[str] = Field(min_length=1)
    readout: ReadoutSpec
    samples: Optional[str] = Field(None, description="optional .npz with x [N, *input] or [N, T, *input] and labels y [N]")
    weight_bits: Optional[int] = Field(
        None, ge=1, le=32, description="precision the weights were quantised to, if any (used by baselines)")
    step_s: Optional[float] = Field(
        None, gt=0, le=3600, description="real time of one SNN time step (s): the report then gives average power")
    ann: Optional[AnnSpec] = Field(None, description="hybrid ANN-SNN: an ANN that re-initialises SNN states every K steps")
    metadata: dict[str, Any] = Field(default_factory=dict, description="free-form provenance")
