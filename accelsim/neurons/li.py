"""Leaky integrator (LI), non-spiking: its output is the membrane (a NIR ``LI`` or ``I``).

Per neuron parameters are [M]; the state ``v`` is [N, M], updated in place::

    v <- leak * v + gain * i + bias          (output: v)
"""
from __future__ import annotations

import numba
import numpy as np
from pydantic import Field

from accelsim.neurons.base import ANY, UNIT, AttrsModel, FixedForm, NeuronKind, Param, register

__all__ = ["LI", "li_step", "li_step_reference"]


@numba.njit(cache=True, parallel=True)
def _li_step(v, i, leak, gain, bias):
    N, M = v.shape
    for n in numba.prange(N):
        for k in range(M):
            v[n, k] = leak[k] * v[n, k] + gain[k] * i[n, k] + bias[k]


def li_step(v: np.ndarray, i: np.ndarray, leak: np.ndarray, gain: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Advance ``v`` one step in place; returns a copy of the membrane (the LI's output)."""
    _li_step(v, np.ascontiguousarray(i, dtype=np.float64), leak, gain, bias)
    return v.copy()


def li_step_reference(v, i, leak, gain, bias) -> np.ndarray:
    v[...] = leak * v + gain * i + bias
    return v.copy()


class LIAttrs(AttrsModel):
    leak: Param = Field(1.0, description="multiplicative leak alpha in [0, 1] per step")
    gain: Param = Field(1.0, description="input gain g (e.g. dt * R / tau from a NIR model)")
    bias: Param = Field(0.0, description="constant drive c per step (e.g. dt * v_leak / tau)")
    v_init: float = Field(0.0, description="membrane value at t = 0")


@register
class LI(NeuronKind):
    """Leaky integrator, non-spiking; its output is the membrane (a NIR ``LI`` or ``I``):

        v[t] = leak * v[t-1] + gain * I[t] + bias;   output v[t]
    """

    op = "LI"
    Attrs = LIAttrs
    params = {"leak": UNIT, "gain": ANY, "bias": ANY}
    spiking = False    # its output is the membrane
    update_mults = 2   # leak * v, gain * I
    update_adds = 2    # + gain * I, + bias

    @classmethod
    def fixed_form(cls, p):
        return FixedForm(leak=p["leak"], gain=p["gain"], bias=p["bias"], threshold=None)

    @staticmethod
    def kernel(state, current, p):
        return li_step(state["v"], current, p["leak"], p["gain"], p["bias"])

    @staticmethod
    def reference(state, current, p):
        return li_step_reference(state["v"], current, p["leak"], p["gain"], p["bias"])
