"""Current-based LIF (CubaLIF): a synaptic current state drives the membrane (NIR ``CubaLIF``).

Per neuron parameters are [M]; the states ``v`` and ``isyn`` are [N, M], updated in place::

    isyn <- syn_leak * isyn + w_in * i
    v    <- leak * v + gain * isyn + bias
    s     = v > thr  (strict)
    v    <- v - thr * s  (subtract)  or  where(s, v_reset, v)  (zero)
"""
from __future__ import annotations

from typing import Literal

import numba
import numpy as np
from pydantic import Field

from accelsim.neurons.base import (ANY, POSITIVE, fire_reference, UNIT, FixedForm, NeuronKind, Param, register,
                                   reset_mode)
from accelsim.neurons.li import LIAttrs

__all__ = ["CubaLIF", "cuba_lif_step", "cuba_lif_step_reference"]


@numba.njit(cache=True, parallel=True)
def _cuba_lif_step(v, isyn, i, syn_leak, w_in, leak, gain, bias, thr, reset_mode, v_reset, s):
    N, M = v.shape
    for n in numba.prange(N):
        for k in range(M):
            c = syn_leak[k] * isyn[n, k] + w_in[k] * i[n, k]
            isyn[n, k] = c
            u = leak[k] * v[n, k] + gain[k] * c + bias[k]
            if u > thr[k]:
                s[n, k] = 1.0
                if reset_mode == 0:
                    u = u - thr[k]
                else:
                    u = v_reset
            else:
                s[n, k] = 0.0
            v[n, k] = u


def cuba_lif_step(v, isyn, i, syn_leak, w_in, leak, gain, bias, thr, reset_mode: int, v_reset: float = 0.0) -> np.ndarray:
    """Advance ``isyn`` and ``v`` one step in place; returns the spikes (0.0/1.0) as [N, M]."""
    s = np.empty_like(v)
    _cuba_lif_step(v, isyn, np.ascontiguousarray(i, dtype=np.float64), syn_leak, w_in, leak, gain, bias, thr,
                   reset_mode, v_reset, s)
    return s


def cuba_lif_step_reference(v, isyn, i, syn_leak, w_in, leak, gain, bias, thr, reset_mode: int,
                            v_reset: float = 0.0) -> np.ndarray:
    isyn[...] = syn_leak * isyn + w_in * i
    u = leak * v + gain * isyn + bias
    return fire_reference(v, u, u > thr, thr, reset_mode, v_reset)


class CubaLIFAttrs(LIAttrs):
    threshold: Param = Field(1.0, description="firing threshold (strict: spike when v > threshold)")
    reset: Literal["subtract", "zero"] = Field("zero", description="after a spike: v -= threshold, or v = v_reset")
    v_reset: float = Field(0.0, description="membrane value after a reset (reset: zero)")
    syn_leak: Param = Field(0.0, description="synaptic current decay in [0, 1] per step (0: no synaptic state)")
    w_in: Param = Field(1.0, description="input weight of the synaptic current")


@register
class CubaLIF(NeuronKind):
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
    Attrs = CubaLIFAttrs
    params = {"threshold": POSITIVE, "leak": UNIT, "gain": ANY, "bias": ANY, "syn_leak": UNIT, "w_in": ANY}
    state = {"v": "v_init", "isyn": 0.0}
    update_mults = 4   # syn_leak * i, w_in * I, leak * v, gain * i
    update_adds = 4    # i + w_in I, v + gain i, + bias, compare
    state_words = 2    # membrane and synaptic current

    @classmethod
    def prepare(cls, attrs, per_neuron):
        return {**per_neuron, "reset_mode": reset_mode(attrs.reset), "v_reset": float(attrs.v_reset)}

    @classmethod
    def fixed_form(cls, p):
        return FixedForm(leak=p["leak"], gain=p["gain"], bias=p["bias"], threshold=p["threshold"], strict=True,
                         reset_mode=p["reset_mode"], v_reset=p["v_reset"], syn_leak=p["syn_leak"], w_in=p["w_in"])

    @staticmethod
    def kernel(state, current, p):
        return cuba_lif_step(state["v"], state["isyn"], current, p["syn_leak"], p["w_in"], p["leak"], p["gain"],
                             p["bias"], p["threshold"], p["reset_mode"], p["v_reset"])

    @staticmethod
    def reference(state, current, p):
        return cuba_lif_step_reference(state["v"], state["isyn"], current, p["syn_leak"], p["w_in"], p["leak"],
                                       p["gain"], p["bias"], p["threshold"], p["reset_mode"], p["v_reset"])
