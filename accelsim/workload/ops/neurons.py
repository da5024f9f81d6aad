"""Neuron operators: stateful nodes updated once per time step (LIF, IF, LI, CubaLIF).

Their parameters (``Param``) are a number or the name of a tensor in the .npz
(per channel or per neuron); each spec also states what one update of one
neuron costs besides integrating its synaptic events.
"""
from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Union

from pydantic import BeforeValidator, Field

from accelsim.workload.ops.registry import OpAttrs, OpSpec, register


def _number_or_name(value: Any) -> Any:
    """One clear message instead of one per union member (float, int, str)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("must be a number or the name of a tensor in the .npz")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Param = Annotated[Union[float, int, str], BeforeValidator(_number_or_name)]


class NeuronAttrs(OpAttrs):
    threshold: Param = Field(1.0, description="firing threshold: a number, or a tensor name (per channel or per neuron)")
    reset: Literal["subtract", "zero"] = Field("subtract", description="after a spike: v -= threshold, or v = v_reset")
    v_reset: float = Field(0.0, description="membrane value after a reset to zero (reset: zero)")
    v_init: float = Field(0.0, description="membrane value at t = 0")


class LIFAttrs(NeuronAttrs):
    leak: Param = Field(1.0, description="multiplicative leak lambda in [0, 1]: a number or a tensor name")


@register
class LIF(OpSpec):
    """Leaky integrate-and-fire, discrete time (ACE-SNN):

        v[t] = leak * v[t-1] + I[t];  s[t] = (v[t] >= threshold);
        v[t] -= threshold * s[t]  (reset: subtract)   or   v[t] = v_reset where s[t] (reset: zero)
    """

    op = "LIF"
    kind = "neuron"
    roles = ("value",)
    Attrs = LIFAttrs
    update_mults = 1   # leak * v
    update_adds = 1    # compare with the threshold

    @classmethod
    def infer(cls, attrs, shapes, consts):
        return tuple(shapes[0])


@register
class IF(LIF):
    """Integrate-and-fire: LIF with leak = 1 (Ding et al.'s converted neuron)."""

    op = "IF"
    Attrs = NeuronAttrs
    update_mults = 0   # no leak


class LIAttrs(OpAttrs):
    leak: Param = Field(1.0, description="multiplicative leak alpha in [0, 1] per step")
    gain: Param = Field(1.0, description="input gain g (e.g. dt * R / tau from a NIR model)")
    bias: Param = Field(0.0, description="constant drive c per step (e.g. dt * v_leak / tau)")
    v_init: float = Field(0.0, description="membrane value at t = 0")


@register
class LI(OpSpec):
    """Leaky integrator, non-spiking; its output is the membrane (a NIR ``LI`` or ``I``):

        v[t] = leak * v[t-1] + gain * I[t] + bias;   output v[t]
    """

    op = "LI"
    kind = "neuron"
    roles = ("value",)
    Attrs = LIAttrs
    params = ("leak", "gain", "bias")
    spiking = False    # its output is the membrane
    update_mults = 2   # leak * v, gain * I
    update_adds = 2    # + gain * I, + bias

    @classmethod
    def infer(cls, attrs, shapes, consts):
        return tuple(shapes[0])


class CubaLIFAttrs(LIAttrs):
    threshold: Param = Field(1.0, description="firing threshold (strict: spike when v > threshold)")
    reset: Literal["subtract", "zero"] = Field("zero", description="after a spike: v -= threshold, or v = v_reset")
    v_reset: float = Field(0.0, description="membrane value after a reset (reset: zero)")
    syn_leak: Param = Field(0.0, description="synaptic current decay in [0, 1] per step (0: no synaptic state)")
    w_in: Param = Field(1.0, description="input weight of the synaptic current")


@register
class CubaLIF(OpSpec):
    """Current-based LIF with a synaptic current state (NIR ``CubaLIF``; with
    ``syn_leak = 0`` and ``w_in = 1`` it is NIR's ``LIF``/``IF``, ``Threshold`` with ``leak = 0``).
    The current is updated first and drives the membrane in the same step:

        i[t] = syn_leak * i[t-1] + w_in * I[t]
        v[t] = leak * v[t-1] + gain * i[t] + bias
        s[t] = (v[t] > threshold);   v[t] = v_reset where s[t] (reset: zero)  or  v[t] -= threshold * s[t]

    Unlike ``LIF`` (which fires at v >= threshold, as in ACE-SNN's code) the
    comparison is strict, as NIR and the frameworks define it.
    """

    op = "CubaLIF"
    kind = "neuron"
    roles = ("value",)
    Attrs = CubaLIFAttrs
    params = ("threshold", "leak", "gain", "bias", "syn_leak", "w_in")
    update_mults = 4   # syn_leak * i, w_in * I, leak * v, gain * i
    update_adds = 4    # i + w_in I, v + gain i, + bias, compare
    state_words = 2    # membrane and synaptic current

    @classmethod
    def infer(cls, attrs, shapes, consts):
        return tuple(shapes[0])
