"""Convolution (1-D/2-D/3-D, strides, pads, dilations, groups).

``conv_events`` is the event-driven kernel the engine uses: every non-zero input
(a spike, or an analog value) scatters its weights into the outputs it reaches,
so its cost follows activity. ``conv_reference`` is a plain numpy gather
implementation for tests. They agree exactly whenever the arithmetic is exact
(e.g. integer-valued weights and inputs), and to rounding otherwise.
"""
from __future__ import annotations

import numba
import numpy as np

from accelsim.kernels.window import Window


@numba.njit(cache=True, parallel=True, fastmath=False)
def _conv_scatter(x, wt, out, sd, sh, sw, dd, dh, dw, pd, ph, pw, cin_g, out_g, nj):
    N, C, D, H, W = x.shape
    KD, KH, KW = wt.shape[1], wt.shape[2], wt.shape[3]
    OD, OH, OW = out.shape[1], out.shape[2], out.shape[3]
    jb = (out_g + nj - 1) // nj
    for q in numba.prange(N * nj):   # tasks: (sample, block of output channels per group)
        n = q // nj
        j0 = (q % nj) * jb
        j1 = min(out_g, j0 + jb)
        for c in range(C):
            base = (c // cin_g) * out_g
            for d in range(D):
                for h in range(H):
                    for w in range(W):
                        v = x[n, c, d, h, w]
                        if v == 0.0:
                            continue
                        for kd in range(KD):
                            td = d + pd - kd * dd
                            if td < 0 or td % sd != 0:
                                continue
                            od = td // sd
                            if od >= OD:
                                continue
                            for kh in range(KH):
                                th = h + ph - kh * dh
                                if th < 0 or th % sh != 0:
                                    continue
                                oh = th // sh
                                if oh >= OH:
                                    continue
                                for kw in range(KW):
                                    tw = w + pw - kw * dw
                                    if tw < 0 or tw % sw != 0:
                                        continue
                                    ow = tw // sw
                                    if ow >= OW:
                                        continue
                                    o = out[n, od, oh, ow, base + j0:base + j1]
                                    wk = wt[c, kd, kh, kw, j0:j1]
                                    for j in range(j1 - j0):
                                        o[j] += v * wk[j]
    return out


def output_blocks(samples: int, outputs: int) -> int:
    """Blocks of output channels per sample in the scatter kernels' parallel loop: 1 when the samples
    alone give every numba thread work, else enough for two tasks per thread. Every output still adds
    its inputs' contributions in the same order, so the split changes no bit."""
    threads = numba.get_num_threads()
    if samples >= threads or samples <= 0:     # no sample (an empty batch): nothing to split
        return 1
    return max(1, min(outputs, -(-2 * threads // samples)))


@numba.njit(cache=True, parallel=True, fastmath=False)
def _scatter_layout(w4, out):
    """``out[g, c, t, j] = w4[g, j, c, t]``: the weights [group, O/g, C/g, taps] as the scatter
    kernel's [group, C/g, taps, O/g]; one task per (group, input channel)."""
    G, J, C, T = w4.shape
    for q in numba.prange(G * C):
        g = q // C
        c = q % C
        for j in range(J):          # reads contiguous over t; the writes stay in this task's block
            for t in range(T):
                out[g, c, t, j] = w4[g, j, c, t]
    return out


def scatter_weights(w: np.ndarray, group: int) -> np.ndarray:
    """[O, C/g, *k] -> [C, KD, KH, KW, O/g]: per input channel, its group's weights, float64; by one
    parallel copy (:func:`_scatter_layout`; numpy's strided transposing copy,
    :func:`scatter_weights_reference`, gives the same values and was 0.022 s of ResNet-18's pass)."""
    O, cin_g = w.shape[:2]
    k3 = (1,) * (3 - (w.ndim - 2)) + tuple(w.shape[2:])
    wt = np.empty((group * cin_g,) + k3 + (O // group,))
    if wt.size:
        _scatter_layout(np.ascontiguousarray(w, dtype=np.float64).reshape(group, O // group, cin_g, -1),
                        wt.reshape(group, cin_g, -1, O // group))
    return wt


def scatter_weights_reference(w: np.ndarray, group: int) -> np.ndarray:
    """numpy reference of :func:`scatter_weights`."""
    O, cin_g = w.shape[:2]
    k = w.shape[2:]
    k3 = (1,) * (3 - len(k)) + tuple(k)
    out_g = O // group
    w5 = w.reshape(group, out_g, cin_g, *k3)            # [g, j, c, kd, kh, kw]
    wt = np.transpose(w5, (0, 2, 3, 4, 5, 1))           # [g, c, kd, kh, kw, j]
    return np.ascontiguousarray(wt.reshape(group * cin_g, *k3, out_g), dtype=np.float64)


def conv_events(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, win: Window, group: int,
                wt: np.ndarray | None = None) -> np.ndarray:
    """Event-driven convolution. ``x`` [N, C, *sp]; returns [N, O, *out_sp]."""
    N = x.shape[0]
    O = w.shape[0]
    x5 = np.ascontiguousarray(win.reshape_in(x), dtype=np.float64)
    if wt is None:
        wt = scatter_weights(w, group)
    out = np.zeros((N,) + win.out_sp + (O,), dtype=np.float64)
    _conv_scatter(x5, wt, out, *win.strides, *win.dilations, *win.pads_begin, w.shape[1], O // group,
                  output_blocks(N, O // group))
    y = np.ascontiguousarray(np.moveaxis(out, -1, 1))
    if b is not None:
        y += b.reshape((1, O, 1, 1, 1))
    return win.reshape_out(y)


def _padded(x5: np.ndarray, win: Window, fill: float = 0.0) -> np.ndarray:
    """``x5`` [A, B, D, H, W] padded by the window's pads with ``fill``; ``x5`` itself when there is
    nothing to pad."""
    if not any(win.pads_begin) and not any(win.pads_end):
        return x5
    sp = tuple(x5.shape[2 + i] + win.pads_begin[i] + win.pads_end[i] for i in range(3))
    xp = np.empty(x5.shape[:2] + sp, dtype=x5.dtype)
    xp.fill(fill)
    xp[(slice(None), slice(None)) + tuple(slice(b, b + n) for b, n in zip(win.pads_begin, x5.shape[2:]))] = x5
    return xp


def window_slices(win: Window):
    """Yield ((kd, kh, kw), slices) selecting, from the padded input, the input seen by each tap."""
    for kd in range(win.kernel[0]):
        for kh in range(win.kernel[1]):
            for kw in range(win.kernel[2]):
                sl = tuple(
                    slice(k * win.dilations[i], k * win.dilations[i] + win.strides[i] * (win.out_sp[i] - 1) + 1, win.strides[i])
                    for i, k in enumerate((kd, kh, kw))
                )
                yield (kd, kh, kw), (slice(None), slice(None)) + sl


def conv_reference(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, win: Window, group: int) -> np.ndarray:
    """Plain numpy gather convolution (the ONNX Conv definition) by im2col + matmul."""
    N = x.shape[0]
    O, cin_g = w.shape[:2]
    out_g = O // group
    xp = _padded(win.reshape_in(x).astype(np.float64), win)
    # columns [N, C, taps, OD, OH, OW]: the input each kernel tap sees at each output position
    cols = np.stack([xp[sl] for _, sl in window_slices(win)], axis=2)
    P = win.out_positions
    w2 = w.reshape(O, cin_g * win.taps).astype(np.float64)
    y = np.empty((N, O, P))
    for g in range(group):
        cg = cols[:, g * cin_g:(g + 1) * cin_g].reshape(N, cin_g * win.taps, P)
        y[:, g * out_g:(g + 1) * out_g] = np.matmul(w2[g * out_g:(g + 1) * out_g], cg)
    y = y.reshape((N, O) + win.out_sp)
    if b is not None:
        y += b.reshape((1, O, 1, 1, 1))
    return win.reshape_out(y)
