"""Leaky integrate-and-fire (LIF) and integrate-and-fire (IF) neurons, discrete time.

Per neuron, parameters flattened to the neuron count M (``v``, ``i`` [N, M]; ``leak``,
``threshold`` [M])::

    v <- leak * v + i
    s  = v >= threshold
    v <- v - threshold * s          (reset by subtraction)
    v <- where(s, v_reset, v)       (reset to zero / v_reset)

The numba kernel and the numpy reference give bit-identical results.
"""
from __future__ import annotations

from typing import Literal

import numba
import numpy as np
from pydantic import Field

from accelsim.neurons.base import (POSITIVE, fire_reference, RESET_SUBTRACT, RESET_ZERO, UNIT, AttrsModel, FixedForm, NeuronKind,
                                   Param, neuron_blocks, register, reset_mode)

__all__ = ["IF", "LIF", "RESET_SUBTRACT", "RESET_ZERO", "lif_step", "lif_step_reference"]


@numba.njit(cache=True, inline="always")
def _lif_block(v, i, leak, thr, reset_mode, v_reset, s):
    for k in range(v.shape[0]):
        u = leak[k] * v[k] + i[k]
        if u >= thr[k]:
            s[k] = 1.0
            if reset_mode == 0:
                u = u - thr[k]
            else:
                u = v_reset
        else:
            s[k] = 0.0
        v[k] = u


@numba.njit(cache=True, parallel=True)
def _lif_step(v, i, leak, thr, reset_mode, v_reset, s, blocks):
    N, M = v.shape
    size = (M + blocks - 1) // blocks
    for b in numba.prange(N * blocks):   # sample b // blocks, neuron block b % blocks (1-d views from 0)
        n = b // blocks
        k0 = (b % blocks) * size
        k1 = min(M, k0 + size)
        _lif_block(v[n, k0:k1], i[n, k0:k1], leak[k0:k1], thr[k0:k1], reset_mode, v_reset, s[n, k0:k1])


def lif_step(v: np.ndarray, i: np.ndarray, leak: np.ndarray, thr: np.ndarray, reset_mode: int,
             v_reset: float = 0.0) -> np.ndarray:
    """Advance ``v`` one step in place; returns the spikes (0.0/1.0) as [N, M]. Fewer samples than
    threads: each sample's neurons are split over the threads (:func:`neuron_blocks`)."""
    s = np.empty_like(v)
    _lif_step(v, np.ascontiguousarray(i, dtype=np.float64), leak, thr, reset_mode, v_reset, s,
              neuron_blocks(*v.shape))
    return s


def lif_step_reference(v: np.ndarray, i: np.ndarray, leak: np.ndarray, thr: np.ndarray, reset_mode: int,
                       v_reset: float = 0.0) -> np.ndarray:
    u = leak * v + i
    return fire_reference(v, u, u >= thr, thr, reset_mode, v_reset)


class NeuronAttrs(AttrsModel):
    threshold: Param = Field(1.0, description="firing threshold: a number, or a tensor name (per channel or per neuron)")
    reset: Literal["subtract", "zero"] = Field("subtract", description="after a spike: v -= threshold, or v = v_reset")
    v_reset: float = Field(0.0, description="membrane value after a reset to zero (reset: zero)")
    v_init: float = Field(0.0, description="membrane value at t = 0")


class LIFAttrs(NeuronAttrs):
    leak: Param = Field(1.0, description="multiplicative leak lambda in [0, 1]: a number or a tensor name")


@register
class LIF(NeuronKind):
    """Leaky integrate-and-fire, discrete time (ACE-SNN):

        v[t] = leak * v[t-1] + I[t];  s[t] = (v[t] >= threshold);
        v[t] -= threshold * s[t]  (reset: subtract)   or   v[t] = v_reset where s[t] (reset: zero)
    """

    op = "LIF"
    Attrs = LIFAttrs
    params = {"threshold": POSITIVE, "leak": UNIT}
    update_mults = 1   # leak * v
    update_adds = 1    # compare with the threshold

    @classmethod
    def prepare(cls, attrs, per_neuron):
        leak = per_neuron.get("leak")
        return {"threshold": per_neuron["threshold"],
                "leak": np.ones_like(per_neuron["threshold"]) if leak is None else leak,
                "reset_mode": reset_mode(attrs.reset), "v_reset": float(attrs.v_reset)}

    @classmethod
    def fixed_form(cls, p):
        thr = p["threshold"]
        return FixedForm(leak=p["leak"], gain=np.ones_like(thr), bias=np.zeros_like(thr), threshold=thr,
                         reset_mode=p["reset_mode"], v_reset=p["v_reset"])

    @staticmethod
    def kernel(state, current, p):
        return lif_step(state["v"], current, p["leak"], p["threshold"], p["reset_mode"], p["v_reset"])

    @staticmethod
    def reference(state, current, p):
        return lif_step_reference(state["v"], current, p["leak"], p["threshold"], p["reset_mode"], p["v_reset"])


@register
class IF(LIF):
    """Integrate-and-fire: LIF with leak = 1 (Ding et al.'s converted neuron):

        v[t] = v[t-1] + I[t];  s[t] = (v[t] >= threshold);  reset as LIF
    """

    op = "IF"
    Attrs = NeuronAttrs
    params = {"threshold": POSITIVE}
    update_mults = 0   # no leak
