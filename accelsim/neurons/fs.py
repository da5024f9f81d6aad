"""Few-spikes (FS) neurons: at most one spike in each of K phases (Stöckl & Maass, NMI 2021).

One time step of an FS node runs its K phases on the complete input ``x`` (the
neuron waits for its input, then emits; see docs/coding.md for the timing)::

    v = x;  out = 0
    for k = 1..K:   z_k = [v > T_k];   out += d_k * z_k;   v -= h_k * z_k

with a strict threshold, as in the paper. The receiving layer accumulates
``d_k``-weighted spikes; the step's output is that sum, ``out``, which is what the
next synaptic node reads. ``code: relu`` sets ``T_k = h_k = d_k = alpha * 2^-k``: a
binary code, the spikes are the 1-bits of ``x`` truncated to K fractional bits of
``alpha`` (``out`` = the largest multiple of ``alpha 2^-K`` strictly below ``x``,
clipped to ``[0, alpha (1 - 2^-K)]``), and the receiving synapse's ``d_k`` is a
shift by k of ``alpha * w``. ``code: learned`` takes ``T``, ``h`` and ``d`` per
phase (K entries each: a number, or a tensor per channel or per neuron), as the
paper fits them for Swish or sigmoid.

The AMOS form (K neurons, neuron k fires at most once, at time k, inhibiting the
later ones by ``h_k``) computes exactly the same spikes: neuron k's membrane is
``x - sum_{j<k} h_j z_j``, the FS neuron's ``v`` at phase k.

State (float64 [N, M]): ``v`` the residual after the last phase, ``spikes`` the
number of spikes of the step (the popcount for the binary code) and
``phase_mask`` = sum_k z_k 2^(k-1) (exact: K <= 32), from which the functional
engine reads each phase's spikes.
"""
from __future__ import annotations

from typing import Literal, Optional

import numba
import numpy as np
from pydantic import Field, model_validator

from accelsim.neurons.base import ANY, POSITIVE, AttrsModel, NeuronKind, Param, register

__all__ = ["FS", "FSAttrs", "MAX_PHASES", "fs_step", "fs_step_reference", "relu_code"]

MAX_PHASES = 32


@numba.njit(cache=True, parallel=True)
def _fs_step(x, thr, h, d, v, spikes, mask, out):
    N, M = x.shape
    K = thr.shape[0]
    for n in numba.prange(N):
        for m in range(M):
            u = x[n, m]
            o = 0.0
            c = 0.0
            b = 0.0
            bit = 1.0
            for k in range(K):
                if u > thr[k, m]:
                    o = o + d[k, m]
                    u = u - h[k, m]
                    c += 1.0
                    b += bit
                bit *= 2.0
            v[n, m] = u
            spikes[n, m] = c
            mask[n, m] = b
            out[n, m] = o


def fs_step(v: np.ndarray, spikes: np.ndarray, mask: np.ndarray, x: np.ndarray, thr: np.ndarray, h: np.ndarray,
            d: np.ndarray) -> np.ndarray:
    """All K phases on ``x`` [N, M] (``thr``, ``h``, ``d`` [K, M]); fills the state in place, returns ``out``."""
    out = np.empty_like(v)
    _fs_step(np.ascontiguousarray(x, dtype=np.float64), thr, h, d, v, spikes, mask, out)
    return out


def fs_step_reference(v, spikes, mask, x, thr, h, d) -> np.ndarray:
    """The numpy step, the same float operations in the same order as :func:`fs_step`."""
    u = np.array(x, dtype=np.float64)
    o = np.zeros_like(u)
    c = np.zeros_like(u)
    b = np.zeros_like(u)
    for k in range(thr.shape[0]):
        z = u > thr[k]
        o = np.where(z, o + d[k], o)
        u = np.where(z, u - h[k], u)
        c = np.where(z, c + 1.0, c)
        b = np.where(z, b + 2.0 ** k, b)
    v[...], spikes[...], mask[...] = u, c, b
    return o


def relu_code(alpha: np.ndarray, phases: int) -> np.ndarray:
    """``T_k = h_k = d_k = alpha * 2^-k``, k = 1..K, as [K, M] (exact: scaling by powers of two)."""
    scale = 2.0 ** -np.arange(1, phases + 1, dtype=np.float64)
    return np.ascontiguousarray(scale[:, None] * np.asarray(alpha, dtype=np.float64)[None, :])


class FSAttrs(AttrsModel):
    phases: int = Field(8, ge=1, le=MAX_PHASES, description="K: phases per step (each neuron fires at most once per phase)")
    code: Optional[Literal["relu", "learned"]] = Field(
        None, description="relu: T_k = h_k = d_k = alpha 2^-k (binary code); learned: T, h, d given per phase; "
                          "default: learned when T, h, d are given, else relu")
    alpha: Param = Field(1.0, description="code relu: the activation scale (number, or a tensor per channel or neuron)")
    T: Optional[list[Param]] = Field(None, description="code learned: threshold per phase (K entries: number or tensor)")
    h: Optional[list[Param]] = Field(None, description="code learned: reset amount per phase (K entries)")
    d: Optional[list[Param]] = Field(None, description="code learned: output weight per phase (K entries)")

    @model_validator(mode="after")
    def _one_code(self):
        given = [name for name in ("T", "h", "d") if getattr(self, name) is not None]
        learned = self.code == "learned" or (self.code is None and bool(given))
        if learned:
            if len(given) != 3:
                raise ValueError(f"code learned needs T, h and d (one entry per phase), got only {', '.join(given) or 'none'}")
            bad = [f"{n} has {len(getattr(self, n))}" for n in ("T", "h", "d") if len(getattr(self, n)) != self.phases]
            if bad:
                raise ValueError(f"T, h and d need one entry per phase (phases = {self.phases}): {'; '.join(bad)}")
            if "alpha" in self.model_fields_set:
                raise ValueError("alpha is the scale of code relu; code learned takes T, h and d instead")
        elif given:
            raise ValueError(f"code relu derives T, h and d from alpha; remove {', '.join(given)} (or use code learned)")
        return self

    @property
    def learned(self) -> bool:
        return self.code == "learned" or (self.code is None and self.T is not None)


@register
class FS(NeuronKind):
    """Few-spikes neuron (Stöckl & Maass 2021): K phases per step, at most one spike per phase,
    strict threshold; output the d-weighted spikes:

        v = x;  for k = 1..K:  z_k = (v > T_k);  out += d_k * z_k;  v -= h_k * z_k
        code relu: T_k = h_k = d_k = alpha * 2^-k  (out = x truncated to K bits of alpha)
    """

    op = "FS"
    Attrs = FSAttrs
    params = {"alpha": POSITIVE, "T": ANY, "h": ANY, "d": ANY}
    state = {"v": 0.0, "spikes": 0.0, "phase_mask": 0.0}
    graded = True
    update_adds = 1    # per phase: compare with T_k (the subtract of h_k is charged per spike)

    @classmethod
    def phases_of(cls, attrs) -> int:
        return int(attrs.phases)

    @classmethod
    def prepare(cls, attrs, per_neuron):
        K = int(attrs.phases)
        if not attrs.learned:
            code = relu_code(per_neuron["alpha"], K)
            return {"T": code, "h": code, "d": code}
        m = per_neuron["alpha"].shape[0]
        return {k: np.ascontiguousarray(np.broadcast_to(per_neuron[k], (K, m)), dtype=np.float64) for k in ("T", "h", "d")}

    @classmethod
    def spike_counts(cls, state, out):
        return state["spikes"]

    @classmethod
    def phase_spikes(cls, state, out, phase):
        return np.floor(state["phase_mask"] * 2.0 ** -phase) % 2.0

    @staticmethod
    def kernel(state, current, p):
        return fs_step(state["v"], state["spikes"], state["phase_mask"], current, p["T"], p["h"], p["d"])

    @staticmethod
    def reference(state, current, p):
        return fs_step_reference(state["v"], state["spikes"], state["phase_mask"], current, p["T"], p["h"], p["d"])
