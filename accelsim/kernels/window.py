"""Geometry of windowed operators (convolution, pooling) in 1-D, 2-D and 3-D.

Everything is normalised to three spatial axes (missing leading axes have extent
1, kernel 1, stride 1, no padding), so one kernel serves Conv1d/2d/3d.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Window:
    """Input/output extents, kernel, strides, dilations and begin/end pads (3 axes each)."""

    in_sp: tuple[int, int, int]
    out_sp: tuple[int, int, int]
    kernel: tuple[int, int, int]
    strides: tuple[int, int, int]
    dilations: tuple[int, int, int]
    pads_begin: tuple[int, int, int]
    pads_end: tuple[int, int, int]
    nd: int  # original number of spatial axes

    @classmethod
    def make(cls, in_sp, kernel, strides=None, pads=None, dilations=None) -> "Window":
        nd = len(in_sp)
        strides = tuple(strides) if strides is not None else (1,) * nd
        dilations = tuple(dilations) if dilations is not None else (1,) * nd
        pads = tuple(pads) if pads is not None else (0,) * (2 * nd)
        pb, pe = pads[:nd], pads[nd:]
        out = tuple(
            (in_sp[i] + pb[i] + pe[i] - ((kernel[i] - 1) * dilations[i] + 1)) // strides[i] + 1 for i in range(nd)
        )
        lift = lambda t, fill: (fill,) * (3 - nd) + tuple(int(v) for v in t)  # noqa: E731
        return cls(lift(in_sp, 1), lift(out, 1), lift(kernel, 1), lift(strides, 1), lift(dilations, 1),
                   lift(pb, 0), lift(pe, 0), nd)

    @property
    def taps(self) -> int:
        return int(np.prod(self.kernel))

    @property
    def out_positions(self) -> int:
        return int(np.prod(self.out_sp))

    def axis_taps(self, axis: int) -> np.ndarray:
        """[input position, kernel tap] on ``axis``: whether the tap takes the input to a valid output."""
        n_in, n_out = self.in_sp[axis], self.out_sp[axis]
        k, s, d, p = self.kernel[axis], self.strides[axis], self.dilations[axis], self.pads_begin[axis]
        pos = np.arange(n_in)[:, None] + p - np.arange(k)[None, :] * d  # [in, k]: stride-scaled output index
        return (pos >= 0) & (pos % s == 0) & (pos // s < n_out)

    def axis_fanout(self, axis: int) -> np.ndarray:
        """For each input position on ``axis``: how many kernel taps reach a valid output."""
        return self.axis_taps(axis).sum(axis=1).astype(np.int64)

    def spatial_fanout(self) -> np.ndarray:
        """Taps reaching a valid output, per input position: shape ``in_sp`` (3-D)."""
        a, b, c = (self.axis_fanout(i) for i in range(3))
        return a[:, None, None] * b[None, :, None] * c[None, None, :]

    def reshape_in(self, x: np.ndarray) -> np.ndarray:
        """[N, C, *sp_nd] -> [N, C, D, H, W]."""
        return x.reshape(x.shape[:2] + self.in_sp)

    def reshape_out(self, y: np.ndarray) -> np.ndarray:
        """[N, C, D, H, W] -> [N, C, *out_nd]."""
        return y.reshape(y.shape[:2] + self.out_sp[3 - self.nd:])
