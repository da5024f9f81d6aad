"""Routing the real spike addresses of a layer to the cores that hold their fan-out.

For one layer and one mapping, every input element ``e`` (an AER address) has

* a source core (owner of the neuron that fired it, :mod:`.mapping`),
* a per-core *profile*: the synaptic operations its event causes on each core,
  the weight-SRAM words those read and the Vmem words they read-modify-write.

Elements with the same (profile, source) behave identically and form one *event
class*; a class also fixes the packet's XY multicast tree on the mesh. The
numba kernel :func:`class_histogram` folds the trace's per-address counts
``k[t, e]`` into per-class counts ``h[t, c]``, and every per-core and per-link
figure is then ``h @ table``: exact counts from the real spikes, independent of
the number of samples.

Word-accurate SRAM traffic (``wpw`` weights per ``core.sram_word_bits`` word,
``vpw`` membranes per Vmem word, ``core.vmem_word_bits``). A core stores, per input channel, one word-aligned
block with the weights of all kernel taps to its own output channels of that
channel's group (tap-major, packed), and its membranes position-major,
channel-minor. So an event whose ``taps`` valid taps reach ``n`` channels of a
core each reads ``ceil(taps * n / wpw)`` weight words (one burst over its
block) and read-modify-writes ``taps * ceil(n / vpw)`` Vmem words (one run of
``n`` membranes per output position):

* channel policy, conv: ``n = ch[g, d]`` (channels of the event's group ``g``
  on core ``d``), ``taps`` = valid taps of the event's position;
* spatial policy, conv: ``taps = taps_d``, the valid taps landing on core
  ``d``'s positions, ``n = out_g``;
* dense: ``taps = 1``, ``n`` = outputs on core ``d`` (one word-aligned row per input).
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from accelsim.engine.lower import Layer
from accelsim.hw.core.mapping import LayerMap, blocks
from accelsim.hw.noc import Mesh
from accelsim.util.mathx import cdiv


@numba.njit(cache=True)
def class_histogram(k, cls, ncls):
    """``h[t, c] = sum over e with cls[e] == c of k[t, e]`` (the routing of one layer's events)."""
    T, E = k.shape
    h = np.zeros((T, ncls), dtype=np.int64)
    for t in range(T):
        for e in range(E):
            v = k[t, e]
            if v != 0:
                h[t, cls[e]] += v
    return h


@numba.njit(cache=True)
def spatial_taps_per_core(in_sp, out_sp, kernel, strides, dil, pads, pos_owner, ncores):
    """``taps[s, d]``: valid kernel taps of input position ``s`` whose output position core ``d`` owns."""
    D, H, W = in_sp[0], in_sp[1], in_sp[2]
    OD, OH, OW = out_sp[0], out_sp[1], out_sp[2]
    taps = np.zeros((D * H * W, ncores), dtype=np.int64)
    for d in range(D):
        for h in range(H):
            for w in range(W):
                s = (d * H + h) * W + w
                for kd in range(kernel[0]):
                    td = d + pads[0] - kd * dil[0]
                    if td < 0 or td % strides[0] != 0 or td // strides[0] >= OD:
                        continue
                    for kh in range(kernel[1]):
                        th = h + pads[1] - kh * dil[1]
                        if th < 0 or th % strides[1] != 0 or th // strides[1] >= OH:
                            continue
                        for kw in range(kernel[2]):
                            tw = w + pads[2] - kw * dil[2]
                            if tw < 0 or tw % strides[2] != 0 or tw // strides[2] >= OW:
                                continue
                            o = ((td // strides[0]) * OH + th // strides[1]) * OW + tw // strides[2]
                            taps[s, pos_owner[o]] += 1
    return taps


@dataclass(frozen=True)
class Profiles:
    """Per input element a profile id; per profile and core: ops, weight words, Vmem words."""

    of_element: np.ndarray    # [E]
    ops: np.ndarray           # [P, cores]
    weight_words: np.ndarray  # [P, cores]
    vmem_words: np.ndarray    # [P, cores]


def profiles(layer: Layer, lmap: LayerMap, wpw: int, vpw: int) -> Profiles:
    k = lmap.cores
    E = int(np.prod(layer.in_shape))
    if layer.kind != "conv":
        n_d = np.bincount(lmap.owner, minlength=k).astype(np.int64)[None, :]
        return Profiles(np.zeros(E, np.int64), n_d, cdiv(n_d, wpw), cdiv(n_d, vpw))
    win, G = layer.window, layer.group
    C = layer.in_shape[0]
    S = E // C
    cin_g = C // G
    out_g = lmap.channels // G
    if lmap.policy == "channel":
        chan_owner = blocks(lmap.channels, k)
        ch = np.zeros((G, k), dtype=np.int64)
        np.add.at(ch, (np.arange(lmap.channels) // out_g, chan_owner), 1)
        taps = layer.fanout.reshape(C, S)[0] // out_g  # valid taps per input position
        K = int(win.taps)
        key = (np.arange(C)[:, None] // cin_g) * (K + 1) + taps[None, :]
        uniq, inv = np.unique(key.reshape(-1), return_inverse=True)
        g, t = uniq // (K + 1), (uniq % (K + 1))[:, None]
        return Profiles(inv.astype(np.int64), t * ch[g], cdiv(t * ch[g], wpw), t * cdiv(ch[g], vpw))
    pos_owner = blocks(lmap.positions, k)
    taps_d = spatial_taps_per_core(np.array(win.in_sp), np.array(win.out_sp), np.array(win.kernel),
                                   np.array(win.strides), np.array(win.dilations), np.array(win.pads_begin),
                                   pos_owner, k)
    uniq, inv = np.unique(taps_d, axis=0, return_inverse=True)
    inv = np.tile(inv.reshape(-1), C)
    return Profiles(inv.astype(np.int64), uniq * out_g, cdiv(uniq * out_g, wpw), uniq * cdiv(out_g, vpw))


@dataclass(frozen=True)
class EventClasses:
    """Event classes of one layer under one mapping, with their per-core and per-link tables."""

    of_element: np.ndarray    # [E] class of each input element
    src: np.ndarray           # [C] sending core
    ops: np.ndarray           # [C, cores] synaptic ops per event
    weight_words: np.ndarray  # [C, cores]
    vmem_words: np.ndarray    # [C, cores] words read-modify-written
    recv: np.ndarray          # [C, cores] 1 where the core receives the event
    links: np.ndarray         # [C, links] 1 where the packet crosses the link
    routers: np.ndarray       # [C] router traversals per packet (0: stays on its core)
    depth: np.ndarray         # [C] hops to the farthest destination
    reach: np.ndarray         # [C, mesh_x] per east-west distance, the largest north-south one (-1: none)

    @property
    def count(self) -> int:
        return int(self.src.size)


def event_classes(prof: Profiles, src_of_element: np.ndarray, mesh: Mesh, cores: int) -> EventClasses:
    key = prof.of_element * cores + src_of_element
    uniq, inv = np.unique(key, return_inverse=True)
    p, src = uniq // cores, uniq % cores
    ops, ww, vw = prof.ops[p], prof.weight_words[p], prof.vmem_words[p]
    recv = (ops > 0).astype(np.int64)
    links = np.zeros((uniq.size, mesh.links), dtype=np.int64)
    routers = np.zeros(uniq.size, dtype=np.int64)
    depth = np.zeros(uniq.size, dtype=np.int64)
    for c in range(uniq.size):
        tree, dep = mesh.multicast(int(src[c]), np.nonzero(recv[c])[0].tolist())
        links[c, tree] = 1
        routers[c] = len(tree) + 1 if tree else 0
        depth[c] = dep
    return EventClasses(inv.reshape(-1).astype(np.int64), src.astype(np.int64), ops, ww, vw, recv, links,
                        routers, depth, class_reach(src, recv, mesh))


def class_reach(src: np.ndarray, recv: np.ndarray, mesh: Mesh) -> np.ndarray:
    """[C, mesh.x]: :meth:`Mesh.reach` of every class (source ``src[c]``, destinations ``recv[c] > 0``)."""
    cores = np.arange(recv.shape[1])
    hx = np.abs(src[:, None] % mesh.x - cores[None, :] % mesh.x)
    hy = np.abs(src[:, None] // mesh.x - cores[None, :] // mesh.x)
    dest = recv > 0
    return np.stack([np.where(dest & (hx == k), hy, -1).max(axis=1, initial=-1) for k in range(mesh.x)], axis=1)
