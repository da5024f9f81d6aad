"""Bit-true executors of the spike cores (``core.numerics: fixed``, docs/numerics.md).

Per layer the cores hold (:class:`LayerFormat`):

* weights at ``core.weight_bits``, symmetric with one scale per layer (per tensor), or per output
  channel (``core.weight_scale: channel``): ``s_w = max|w| / (2^(b-1) - 1)``, ``q_w = rint(w / s_w)``
  (:mod:`accelsim.hw.quantize`);
* membrane and synaptic current as ``core.vmem_bits`` two's-complement words whose LSB is
  ``s_v = s_w / 2^core.vmem_frac_bits`` (the weight LSB, with ``vmem_frac_bits`` more fractional bits);
* bias, threshold and reset value as integers in LSBs ``rint(x / s_v)``, held in ``vmem_bits``
  words (a threshold is at least 1 LSB and at most the largest word);
* leak, gain, synaptic decay and input weight as multipliers with ``core.leak_frac_bits``
  fractional bits, or decays as shifts (``core.leak_mode``).

The synaptic node (:class:`FixedConvExec`, :class:`FixedDenseExec`) sums the integer weights of
its input events, scaled to membrane LSBs (``2^vmem_frac_bits q_w`` per spike; a non-binary input,
e.g. average-pooled spikes, is rounded to the LSB), plus the integer bias, and hands the current on
as ``current_lsb * s_v``. The neuron node (:class:`FixedNeuronExec`) takes any incoming current to
LSBs (``rint(I / s_v)``: exact for a fixed synapse, one rounding for the sum of a merged shortcut
or for the digital first layer's scaled accumulator) and steps the integer datapath
(:mod:`.datapath`), counting overflow events. Graph values between nodes stay real-valued (LSB
counts times their LSB), so pooling, adds and the readout read them unchanged.
"""
from __future__ import annotations

import dataclasses
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from accelsim.engine.execute import ConvExec, DenseExec, NeuronExec
from accelsim.errors import fail
from accelsim.engine.lower import Layer
from accelsim.hw.core.current import to_current, to_current_reference
from accelsim.hw.core.datapath import DatapathParams, FixedStep, datapath_step_reference
from accelsim.hw.first_layer import Geometry
from accelsim.kernels.gemm import ConvPlan, DensePlan
from accelsim.hw.quantize import leak_shift, multiplier, saturate, to_fixed, weight_scale, weight_scales, word_range
from accelsim.neurons.base import RESET_ZERO, FixedForm
from accelsim.util.buffers import BufferPool
from accelsim.workload.graph import Graph, Node


@dataclass(frozen=True)
class FixedPoint:
    """The word formats of the cores' fixed-point numerics (part of the core engine's numerics)."""

    weight_bits: int
    vmem_bits: int
    vmem_frac_bits: int
    wrap: bool
    shift_leak: bool
    leak_frac_bits: int
    per_channel: bool = False


@dataclass(frozen=True, eq=False)
class LayerFormat:
    """One layer's fixed-point format: its weight scale and membrane LSB per output channel (all
    equal with one scale per layer)."""

    fp: FixedPoint
    weight_scale: np.ndarray  # s_w per output channel [O]
    lsb: np.ndarray           # s_v = s_w / 2^vmem_frac_bits per output channel [O]
    channel_axis: int         # the output-channel axis of the effective weights (Conv 0, dense 1)
    # what the layer's executors derive from the format and the graph (integer weights, the kernels'
    # weight layouts, datapath words), kept with it so that the executors of the next pass over the
    # same graph and group take them over instead of deriving them again (:meth:`derived`)
    memo: dict = field(default_factory=dict, repr=False)

    def derived(self, key: tuple, make):
        """``memo[key]``, made by ``make()`` the first time. A graph's tensors and attributes do not
        change while it lives (the format itself is computed from its weights once, :class:`FormatMemo`),
        so what is derived from them alone holds for every pass."""
        hit = self.memo.get(key)
        if hit is None:
            hit = self.memo[key] = make()
        return hit

    @classmethod
    def of(cls, graph: Graph, layer: Layer, fp: FixedPoint) -> "LayerFormat":
        """The layer's format, computed once per graph, layer and :class:`FixedPoint` group and
        shared by its synaptic and neuron executors (:data:`_FORMATS`)."""
        return _FORMATS.get(graph, layer, fp)

    @classmethod
    def compute(cls, graph: Graph, layer: Layer, fp: FixedPoint) -> "LayerFormat":
        """Per channel only when ``core.weight_scale: channel`` and the layer's neurons are laid out
        channel-first with the synapse's output channels (else one scale per layer)."""
        w = Geometry(graph, layer.synapse).w
        axis = 0 if layer.synapse.op == "Conv" else 1
        channels = w.shape[axis]
        if fp.per_channel and layer.neuron_shape[0] == channels:
            s_w = weight_scales(w, fp.weight_bits, axis)
        else:
            s_w = np.full(channels, weight_scale(w, fp.weight_bits))
        return cls(fp, s_w, s_w / 2.0 ** fp.vmem_frac_bits, axis)

    def integer_weights(self, w: np.ndarray) -> np.ndarray:
        """``rint(w / s_w)`` (as float64) of the effective weights."""
        shape = [1] * w.ndim
        shape[self.channel_axis] = -1
        out = np.divide(np.asarray(w, dtype=np.float64), self.weight_scale.reshape(shape))
        return np.rint(out, out=out)   # in place: one array of the weights' size, not two

    def neuron_lsb(self, shape: tuple[int, ...]) -> np.ndarray:
        """The membrane LSB of every neuron of a channel-first ``shape``, flattened."""
        if shape[0] != self.lsb.shape[0]:
            return np.full(int(np.prod(shape)), self.lsb[0])
        return np.ascontiguousarray(np.broadcast_to(self.lsb.reshape((-1,) + (1,) * (len(shape) - 1)),
                                                    shape).reshape(-1))


class FormatMemo:
    """The formats of the last few layers, keyed by the graph (by identity, held weakly: a graph is
    not kept alive by its formats), the layer's synaptic node and neuron channels, and the frozen
    :class:`FixedPoint` group (what :meth:`LayerFormat.compute` reads)."""

    def __init__(self, size: int = 64):
        self.size = size
        self._items: "OrderedDict[tuple, tuple[weakref.ref, LayerFormat]]" = OrderedDict()

    def get(self, graph: Graph, layer: Layer, fp: FixedPoint) -> LayerFormat:
        key = (id(graph), layer.synapse.name, layer.synapse.op, layer.neuron_shape[:1], fp)
        hit = self._items.get(key)
        if hit is not None and hit[0]() is graph:
            self._items.move_to_end(key)
            return hit[1]
        fmt = LayerFormat.compute(graph, layer, fp)
        for k in [k for k, (ref, _) in self._items.items() if ref() is None]:   # graphs gone: their derived arrays too
            del self._items[k]
        self._items[key] = (weakref.ref(graph), fmt)
        if len(self._items) > self.size:
            self._items.popitem(last=False)
        return fmt


_FORMATS = FormatMemo()


class _FixedSynapse:
    """Mixin: integer weights, the layer's current in membrane LSBs, handed on as ``lsb * current``."""

    fmt: LayerFormat
    b: Optional[np.ndarray]          # the exact executor's bias (taken over as bias_lsb)
    bias_lsb: Optional[np.ndarray]

    def _quantise(self, w: np.ndarray, fmt: LayerFormat) -> np.ndarray:
        """The integer weights of ``w`` in ``fmt``; the exact executor's bias becomes ``bias_lsb``
        (added in membrane LSBs by :meth:`_current`)."""
        self.fmt = fmt
        b, self.b = self.b, None
        self.bias_lsb = None if b is None else fmt.derived(("bias", self.node.name),
                                                           lambda: to_fixed(b, fmt.lsb).astype(np.float64))
        return fmt.derived(("weights", self.node.name), lambda: np.ascontiguousarray(fmt.integer_weights(w)))

    def _current(self, y: np.ndarray, channel_shape: tuple[int, ...]) -> np.ndarray:
        """``(rint(y 2^f) + bias) lsb``, in place (``y`` is the kernel's own fresh output): one numba
        pass with the numba backend (:mod:`.current`), the numpy reference otherwise."""
        scale = 2.0 ** self.fmt.fp.vmem_frac_bits
        if self.backend == "numba":
            return to_current(y, scale, self.bias_lsb, self.fmt.lsb, channel_shape)
        return to_current_reference(y, scale, self.bias_lsb, self.fmt.lsb, channel_shape)


class FixedConvExec(_FixedSynapse, ConvExec):
    def __init__(self, graph: Graph, node: Node, backend: str, fmt: LayerFormat):
        super().__init__(graph, node, backend)
        self.w = self._quantise(self.w, fmt)   # ConvExec's plan (both layouts) follows self.w
        if backend == "numba":   # the plan of the integer weights (layouts built on first use) is kept for later passes
            self._plan = fmt.derived(("plan", node.name), lambda: ConvPlan(self.w, self.win, self.group))

    def __call__(self, ins):
        y = super().__call__(ins)
        return self._current(y, (1, y.shape[1]) + (1,) * (y.ndim - 2))


class FixedDenseExec(_FixedSynapse, DenseExec):
    def __init__(self, graph: Graph, node: Node, backend: str, fmt: LayerFormat):
        super().__init__(graph, node, backend)
        self.wt = self._quantise(self.wt, fmt)
        if backend == "numba":
            self._plan = fmt.derived(("plan", node.name), lambda: DensePlan(self.wt))

    def __call__(self, ins):
        return self._current(super().__call__(ins), (1, -1))


def fixed_synapse(graph: Graph, node: Node, backend: str, fmt: LayerFormat):
    """The fixed-point executor of a layer's synaptic node (Conv, Gemm or MatMul)."""
    return (FixedConvExec if node.op == "Conv" else FixedDenseExec)(graph, node, backend, fmt)


def datapath_params(form: FixedForm, fp: FixedPoint, lsb: np.ndarray) -> DatapathParams:
    """A kind's fixed-point form in integer words of the layer's format (``lsb`` per neuron)."""
    lo, hi = word_range(fp.vmem_bits)
    word = lambda x: np.clip(to_fixed(x, lsb), lo, hi)  # noqa: E731
    mult = lambda x: multiplier(x, fp.leak_frac_bits)  # noqa: E731
    m = form.leak.shape[0]
    has_syn = form.syn_leak is not None
    syn_leak = form.syn_leak if has_syn else np.zeros(m)
    return DatapathParams(
        leak_m=mult(form.leak), leak_k=leak_shift(form.leak), gain_m=mult(form.gain), bias=word(form.bias),
        thr=np.clip(to_fixed(form.threshold, lsb), 1, hi) if form.threshold is not None else np.zeros(m, np.int64),
        syn_m=mult(syn_leak), syn_k=leak_shift(syn_leak), w_in_m=mult(form.w_in if has_syn else np.ones(m)),
        has_syn=has_syn, spiking=form.threshold is not None, strict=form.strict,
        reset_zero=form.reset_mode == RESET_ZERO, v_reset=word(np.full(m, form.v_reset)),
        frac_bits=fp.leak_frac_bits, shift_mode=fp.shift_leak, vmem_bits=fp.vmem_bits, wrap=fp.wrap)


PRODUCT_LIMIT = 2 ** 62   # |x * m + 2^(f-1)| must stay below 2^63 in the int64 datapath


def check_multipliers(form: FixedForm, fp: FixedPoint, graph: Graph, node: Node) -> None:
    """InputError when a held state times a multiplier cannot fit the int64 datapath."""
    held = 2.0 ** (fp.vmem_bits - 1 + fp.leak_frac_bits)
    for name in ("leak", "gain", "syn_leak"):
        x = getattr(form, name)
        if x is not None and x.size and float(np.abs(x).max()) * held >= PRODUCT_LIMIT:
            raise fail(graph.source, f"nodes[{graph.nodes.index(node)}].attrs.{name}",
                       f"with core.numerics: fixed, |{name}| x 2^core.leak_frac_bits x 2^(core.vmem_bits - 1) must "
                       "stay below 2^62 (the 64-bit datapath); lower core.leak_frac_bits", float(np.abs(x).max()))


def current_limit(dp: DatapathParams) -> Optional[int]:
    """The largest incoming current (LSBs) whose products with the multiplier applied to it fit
    int64 (None: no multiplier touches it)."""
    one = 1 << dp.frac_bits
    on_input = dp.w_in_m if dp.has_syn else dp.gain_m
    m = int(np.abs(on_input[on_input != one]).max()) if np.any(on_input != one) else 0
    return PRODUCT_LIMIT // m if m else None


class FixedNeuronExec(NeuronExec):
    """A neuron node on the fixed-point cores: integer states [batch, neurons] in membrane LSBs,
    stepped by the integer datapath; ``overflows`` counts overflow events since the last
    :meth:`take_overflows`."""

    def __init__(self, graph: Graph, node: Node, backend: str, fmt: LayerFormat):
        self.fmt = fmt
        self.lsb = fmt.derived(("lsb", node.name), lambda: fmt.neuron_lsb(graph.shapes[node.output]))   # per neuron [M]
        self._outs = BufferPool(np.float64)     # the numba step's outputs and membranes, reused when no one holds them
        self._mems = BufferPool(np.int64)
        super().__init__(graph, node, backend)
        words = fmt.derived(("datapath", node.name), self._datapath)
        self.dp, self.current_limit, self._replay_dp, self._step = words
        self.overflows = 0

    def _datapath(self) -> tuple:
        """(datapath words, current limit, the replay's words, the fused step): None for a kind
        without a fixed-point form; InputError when its multipliers cannot fit the datapath."""
        form = self.kind.fixed_form(self.params)
        if form is None:
            return None, None, None, None
        check_multipliers(form, self.fmt.fp, self.graph, self.node)
        dp = datapath_params(form, self.fmt.fp, self.lsb)
        replay = dataclasses.replace(dp, spiking=False)        # :meth:`integrated`'s datapath
        return dp, current_limit(dp), replay, FixedStep(dp, self.lsb)

    def reset(self, batch):
        self.batch = batch
        state = self.kind.initial_state(self.node.attrs, batch, self.m)
        self.v = self._hold(state["v"])
        self.isyn = self._hold(state["isyn"]) if "isyn" in state else np.zeros((batch, self.m), np.int64)
        self.state = {"v": self.v, "isyn": self.isyn}      # integer LSBs, advanced in place
        self._mem = self._last_spikes = None   # the last step's membrane before reset, when its step kept it

    def _hold(self, x: np.ndarray) -> np.ndarray:
        """An initial state in membrane LSBs, saturated or wrapped into the word. An all-zero state
        (the usual one) is zeros in any format (0 / lsb rounds to 0, inside every word), taken
        without the conversion's temporaries: a sweep resets every layer once per batch and pass."""
        x = np.asarray(x)
        if not x.any():
            return np.zeros(x.shape, np.int64)
        return saturate(to_fixed(x, self.lsb), self.fmt.fp.vmem_bits, self.fmt.fp.wrap)[0]

    @property
    def derives_membrane(self) -> bool:
        """Whether the membrane before reset comes from the step itself, so the step is not replayed
        for it: the fused numba step writes the held membrane before any reset (either reset mode);
        the numpy step rebuilds it as the state plus the threshold where it fired, exact integers for
        a subtracting reset only."""
        return self.dp is not None and self.dp.spiking and (self.backend == "numba" or not self.dp.reset_zero)

    def membrane_before_reset(self) -> np.ndarray:
        """The last step's membrane (LSBs) after its input, before any reset: what :meth:`integrated`
        gives by replaying the step (the datapath computes the same held value, then subtracts the
        threshold where it fires). With the numba backend and :attr:`derives_membrane` the step
        writes it into an array of the executor's :class:`BufferPool`, which a later step reuses only
        once no one references it."""
        if self._mem is not None:
            return self._mem
        return self.v + self._last_spikes * self.dp.thr

    @property
    def replay_writes(self) -> tuple[str, ...]:
        """The state arrays :meth:`integrated` advances (``isyn`` only with a synaptic state)."""
        if self.dp is None or not self.dp.spiking:
            return ()
        return ("v", "isyn") if self.dp.has_syn else ("v",)

    def integrated(self, state: dict, current: np.ndarray):
        """The membrane (LSBs) after one step from ``state`` (a copy, advanced in place), before any
        reset: the datapath replayed without firing (NeuroBench's MembraneUpdates; overflows of the
        replay are not counted)."""
        if self.dp is None or not self.dp.spiking:
            return None
        last, c = getattr(self, "_last_current", (None, None))
        if last is not current:   # the step's own current is converted once (see _reference_step)
            c = to_fixed(current.reshape(current.shape[0], -1), self.lsb)
        datapath_step_reference(state["v"], state["isyn"], c, self._replay_dp)
        return state["v"]

    def write_state(self, name: str, values: np.ndarray) -> None:
        """A state overwritten from outside the step (a hybrid's ANN): to membrane LSBs and saturated
        like the initial state."""
        st = self.state[name]
        st[...] = saturate(to_fixed(values.reshape(st.shape), self.lsb), self.fmt.fp.vmem_bits, self.fmt.fp.wrap)[0]

    def take_overflows(self) -> int:
        n, self.overflows = self.overflows, 0
        return n

    def _too_large(self, largest: int) -> None:
        """InputError when the step's largest |current| (LSBs) reaches :attr:`current_limit`."""
        if self.current_limit is not None and largest >= self.current_limit:
            raise fail(self.graph.source, f"nodes[{self.graph.nodes.index(self.node)}]",
                       f"with core.numerics: fixed, its input current reaches {largest} LSB, beyond "
                       f"what a 64-bit product with its multipliers holds ({self.current_limit}); lower "
                       "core.leak_frac_bits or core.vmem_frac_bits", self.node.name)

    def _reference_step(self, x: np.ndarray, i: np.ndarray) -> np.ndarray:
        """The numpy backend's step (the specification of the numba one) of the input ``x`` (``i``:
        as [N, M]): the current to LSBs, the limit check, :func:`datapath_step_reference`; returns
        the output [N, M]."""
        c = to_fixed(i, self.lsb)
        self._last_current = (x, c)
        if c.size:
            self._too_large(int(np.abs(c).max()))
        s, overflows = datapath_step_reference(self.v, self.isyn, c, self.dp)
        self._last_spikes = s
        self.overflows += overflows
        return s.astype(np.float64) if self.dp.spiking else self.v * self.lsb

    def __call__(self, ins):
        i = ins[0].reshape(ins[0].shape[0], -1)
        if i.shape[0] != self.batch:
            self.reset(i.shape[0])
        if self.backend != "numba":
            out = self._reference_step(ins[0], i)
            return out.reshape((out.shape[0],) + self.out_shape)
        # the output and the membrane go to arrays no one holds any more (BufferPool): the values of
        # the step before last, once the interpreter, the caller's counts and probes have let them go
        self._mem = self._last_spikes = None
        out = self._outs.take(i.shape)
        mem = self._mems.take(i.shape) if self.derives_membrane else None
        overflows, largest = self._step(self.v, self.isyn, i, out, mem)
        # the limit is checked after the fused step: an error ends the run, whatever the states hold
        if i.size:
            self._too_large(largest)
        self._mem = mem
        self.overflows += overflows
        return out.reshape((out.shape[0],) + self.out_shape)
