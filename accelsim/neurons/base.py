"""The base of every neuron kind, its attribute model and the registry of kinds.

A neuron kind is one small class: its workload op name, an attribute model,
its parameters (a number or a tensor name each, with the range the workload
loader checks), its state arrays, what one update of one neuron costs, and a
pure ``step``. The subclass docstring states its update equation. Per step, for
``N`` samples and ``M`` neurons (parameters expanded to ``[M]``, state ``[N, M]``):

    out = step(state, current, params, backend)   # advances ``state`` in place

``backend`` ``"numba"`` runs the kind's numba kernel, anything else its numpy
reference; both give bit-identical results (the tests check it for every kind).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Mapping, Optional, Union

import numba
import numpy as np
from pydantic import BeforeValidator
from accelsim.util.strict import StrictModel

RESET_SUBTRACT = 0
RESET_ZERO = 1


# The base of every attribute model, of neurons and of the other workload ops (no
# docstring: it would enter the JSON Schema): unknown keys are errors, values frozen,
# types strict, numbers finite.
class AttrsModel(StrictModel):
    pass


def _number_or_name(value: Any) -> Any:
    """One clear message instead of one per union member (float, int, str)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("must be a number or the name of a tensor in the .npz")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


# A neuron parameter: a number, or the name of a tensor (scalar, per channel [C] or per neuron).
Param = Annotated[Union[float, int, str], BeforeValidator(_number_or_name)]


@dataclass(frozen=True)
class Range:
    """The values a parameter may take: ``lo``/``hi`` (None: unbounded), each end open or closed."""

    lo: Optional[float] = None
    hi: Optional[float] = None
    lo_open: bool = False
    hi_open: bool = False

    def contains(self, values: np.ndarray) -> bool:
        """Every value lies in the range (NaN never does; infinities are checked separately)."""
        v = np.asarray(values, dtype=np.float64)
        ok = np.ones(v.shape, dtype=bool) if self.lo is None else (v > self.lo if self.lo_open else v >= self.lo)
        if self.hi is not None:
            ok &= v < self.hi if self.hi_open else v <= self.hi
        return bool(np.all(ok))

    def __str__(self) -> str:
        num = lambda x: f"{x:g}"  # noqa: E731
        if self.lo is None and self.hi is None:
            return "finite"
        if self.hi is None:
            return f"{'>' if self.lo_open else '>='} {num(self.lo)}"
        if self.lo is None:
            return f"{'<' if self.hi_open else '<='} {num(self.hi)}"
        return f"in {'(' if self.lo_open else '['}{num(self.lo)}, {num(self.hi)}{')' if self.hi_open else ']'}"


ANY = Range()
POSITIVE = Range(0.0, None, lo_open=True)
NON_NEGATIVE = Range(0.0, None)
UNIT = Range(0.0, 1.0)


@dataclass(frozen=True)
class FixedForm:
    """A kind as the spike core's integer datapath computes it (``core.numerics: fixed``,
    :mod:`accelsim.hw.core.datapath`), real-valued per neuron [M]; the core quantises it::

        isyn <- syn_leak * isyn + w_in * I            (when ``syn_leak`` is not None)
        v    <- leak * v + gain * c + bias             (c = isyn, or I)
        s     = v > threshold (strict) or v >= threshold;  reset as the kind

    ``threshold`` None: a non-spiking kind (its output is ``v``)."""

    leak: np.ndarray
    gain: np.ndarray
    bias: np.ndarray
    threshold: Optional[np.ndarray]
    strict: bool = False
    reset_mode: int = RESET_SUBTRACT
    v_reset: float = 0.0
    syn_leak: Optional[np.ndarray] = None
    w_in: Optional[np.ndarray] = None


class NeuronKind:
    """One neuron model; subclasses set the class attributes below and the two kernels.

    * ``op``: the workload op name (``"LIF"``);
    * ``Attrs``: the attribute model (an :class:`AttrsModel`);
    * ``params``: the attributes that are a number or a tensor name (:data:`Param`),
      each with its allowed :class:`Range`; the engine expands them to one value per neuron;
    * ``state``: the state arrays and their value at t = 0: the name of an attribute
      (``"v_init"``) or a number;
    * ``spiking``: the output is binary spikes (else an analog state, e.g. LI's membrane);
    * costs of one update of one neuron besides integrating its synaptic events (which
      the cost models charge per event): ``update_mults`` multiplies, ``update_adds``
      adds/compares, ``state_words`` state words read and written, ``phases`` sub-steps
      per time step (each one update, e.g. few-spikes coding; :meth:`phases_of` when it
      depends on the node's attributes), ``update_cycles`` cycles per update per lane
      (None: the architecture's ``core.neuron_update_cycles``);
    * ``graded``: one step emits several spikes per neuron (one per phase) and outputs their
      weighted sum (few-spikes coding); such a kind reports its own spike counts
      (:meth:`spike_counts`) and the spikes of each phase (:meth:`phase_spikes`), which is
      what the functional engine counts as spikes and as the next layer's events;
    * ``fixed_form``: the kind as the cores' integer datapath computes it (``core.numerics: fixed``).

    ``prepare`` turns the expanded parameters and the other attributes into the
    ``params`` that ``kernel`` (numba) and ``reference`` (numpy) read.
    """

    op: ClassVar[str]
    Attrs: ClassVar[type[AttrsModel]]
    params: ClassVar[Mapping[str, Range]] = {}
    state: ClassVar[Mapping[str, Union[str, float]]] = {"v": "v_init"}
    spiking: ClassVar[bool] = True
    update_mults: ClassVar[int] = 0
    update_adds: ClassVar[int] = 0
    state_words: ClassVar[int] = 1
    phases: ClassVar[int] = 1
    update_cycles: ClassVar[Optional[int]] = None
    graded: ClassVar[bool] = False

    @classmethod
    def phases_of(cls, attrs: Any) -> int:
        """Updates per neuron and time step of a node with these attributes (default ``phases``)."""
        return cls.phases

    @classmethod
    def spike_counts(cls, state: dict[str, np.ndarray], out: np.ndarray) -> np.ndarray:
        """Spikes per neuron [N, M] of the step that produced ``out`` (default: ``out`` is the spikes)."""
        return out != 0

    @classmethod
    def phase_spikes(cls, state: dict[str, np.ndarray], out: np.ndarray, phase: int) -> np.ndarray:
        """The binary spikes [N, M] of phase ``phase`` (0-based) of the last step (default: one phase, ``out``)."""
        return (out != 0).astype(np.float64) if phase == 0 else np.zeros_like(out)

    @classmethod
    def prepare(cls, attrs: Any, per_neuron: dict[str, np.ndarray]) -> dict[str, Any]:
        """The ``params`` of :meth:`step` from the attributes and the ``params`` expanded to [M]."""
        return dict(per_neuron)

    @classmethod
    def initial_state(cls, attrs: Any, batch: int, neurons: int) -> dict[str, np.ndarray]:
        """Every state array at t = 0, [batch, neurons] float64."""
        return {name: np.full((batch, neurons), float(getattr(attrs, ref) if isinstance(ref, str) else ref))
                for name, ref in cls.state.items()}

    @classmethod
    def fixed_form(cls, params: dict[str, Any]) -> Optional[FixedForm]:
        """The kind as the cores' fixed-point datapath computes it, from the ``params`` of
        :meth:`prepare`; None: no fixed-point form (it runs in float64 on fixed cores too)."""
        return None

    @staticmethod
    def kernel(state: dict[str, np.ndarray], current: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        """The numba step: advances ``state`` in place, returns the output [N, M] (spikes 0.0/1.0)."""
        raise NotImplementedError

    @staticmethod
    def reference(state: dict[str, np.ndarray], current: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        """The numpy step, bit-identical to :meth:`kernel`."""
        raise NotImplementedError

    @classmethod
    def step(cls, state: dict[str, np.ndarray], current: np.ndarray, params: dict[str, Any],
             backend: str = "numba") -> np.ndarray:
        """One time step of ``N`` samples: ``current`` [N, M]; ``state`` advances in place."""
        return (cls.kernel if backend == "numba" else cls.reference)(state, current, params)


# op -> kind. The workload sees every kind registered here as an op (accelsim.workload.ops).
NEURONS: dict[str, type[NeuronKind]] = {}


def _check_kind(cls: type[NeuronKind]) -> None:
    """A kind that cannot work is a programming error, raised at registration."""
    fields = getattr(cls, "Attrs", AttrsModel).model_fields
    bad = [f"{name} is not an attribute" for name in cls.params if name not in fields]
    bad += [f"state {s} starts from {ref!r}, not an attribute" for s, ref in cls.state.items()
            if isinstance(ref, str) and ref not in fields]
    if not isinstance(getattr(cls, "op", None), str) or not cls.op:
        bad.append("op must be a non-empty string")
    if not (isinstance(cls.phases, int) and cls.phases >= 1):
        bad.append(f"phases must be an integer >= 1, not {cls.phases!r}")
    if cls.update_cycles is not None and not (isinstance(cls.update_cycles, int) and cls.update_cycles >= 1):
        bad.append(f"update_cycles must be None or an integer >= 1, not {cls.update_cycles!r}")
    if not (isinstance(cls.state_words, int) and cls.state_words >= 1):
        bad.append(f"state_words must be an integer >= 1, not {cls.state_words!r}")
    if bad:
        raise TypeError(f"neuron kind {cls.__name__}: " + "; ".join(bad))


def register(cls: type[NeuronKind]) -> type[NeuronKind]:
    """Class decorator: add a neuron kind (it becomes a workload op of kind ``neuron``)."""
    _check_kind(cls)
    NEURONS[cls.op] = cls
    return cls


def unregister(op: str) -> None:
    """Remove a neuron kind (e.g. one a test registered)."""
    NEURONS.pop(op, None)


def fire_reference(v: np.ndarray, u: np.ndarray, s: np.ndarray, thr: np.ndarray, reset_mode: int,
                   v_reset: float) -> np.ndarray:
    """The numpy references' reset: where ``s`` fired, ``u - thr`` (subtract) or ``v_reset`` (zero),
    written into ``v`` in place; returns the spikes as 0.0/1.0."""
    v[...] = np.where(s, u - thr, u) if reset_mode == RESET_SUBTRACT else np.where(s, v_reset, u)
    return s.astype(np.float64)


# a step of fewer neurons than this in all runs on its samples' threads only (splitting a small
# step costs more than it saves; a batch of at least as many samples as threads is split by sample)
SPLIT_NEURONS = 16384


def neuron_blocks(n: int, m: int) -> int:
    """Blocks per sample of a step of ``n`` samples x ``m`` neurons for the numba kernels' work items
    (``n * blocks`` of them, over numba's threads): one per thread when there are fewer samples than
    threads and at least :data:`SPLIT_NEURONS` neurons in all (one sample on two cores), else 1."""
    threads = numba.get_num_threads()
    return threads if 0 < n < threads and n * m >= SPLIT_NEURONS else 1


def reset_mode(reset: str) -> int:
    """The ``reset`` attribute (``subtract`` or ``zero``) as the kernels' integer code."""
    return RESET_SUBTRACT if reset == "subtract" else RESET_ZERO
