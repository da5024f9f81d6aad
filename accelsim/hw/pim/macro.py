"""The programmed crossbar: functional model of one layer on PIM macros.

For one group with integer weights ``W`` [R, O] and integer inputs ``x`` [V, R]
(V vectors: output positions x samples):

* weights -> cells. Differential: ``W = P - N``, ``P, N >= 0``, each written in
  base ``2^cell_bits`` over ``weight_slices`` columns; offset: ``U = W + 2^(wb-1)``
  (``U >= 1``) written the same way, and ``2^(wb-1) * sum_i x_i`` subtracted
  digitally. A cell's level ``d`` (0 .. 2^cell_bits - 1) stands for conductance
  ``G_off + d (G_on - G_off) / (2^cell_bits - 1)``; the G_off part is taken as
  cancelled by a reference (the functional value is the level). Variation:
  ``d' = max(0, d (1 + sigma * eps))``, eps ~ N(0, 1), fixed per cell (seeded).
* inputs -> slices: ``x = sum_s a_s 2^(s dac_bits)``, ``a_s`` in 0 .. 2^dac_bits - 1,
  applied one slice per read.
* per (row tile t, input slice s, bit line j): ``v = sum_{i in t} a_s,i d'_ij``, the
  bit-line sum, digitised by an ADC of ``b = adc_bits``:
  ``code = clip(floor(v / LSB + 1/2 + offset_j + noise), 0, 2^b - 1)``,
  ``LSB = 2^max(0, ceil(log2(range + 1)) - b)``, with ``range`` the array's full
  scale ``rows (2^dac_bits - 1)(2^cell_bits - 1)`` or, calibrated, the largest sum
  the programmed tile can reach times ``adc_clip_ratio``. A power-of-two LSB keeps
  the recombination a shift; ``b >= ceil(log2(full scale + 1))`` gives LSB 1 and no
  clipping: lossless.
* shift-and-add: ``y_o = sum_{t,s,j->o} sign_j 2^(s dac_bits + k_j cell_bits) LSB code``
  (k_j: the weight slice of column j), digital, exact.

Whole layers at once: one parallel numba kernel per row tile computes, for every
vector, the bit-line sums of all input slices (skipping zero input codes), the
ADC conversions and the shift-and-add, and records the drive statistics.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numba
import numpy as np

from accelsim.config.arch import PimBitSlicing
from accelsim.hw.first_layer import FirstLayerActivity
from accelsim.util.mathx import cdiv


@dataclass(frozen=True)
class ArrayParams(PimBitSlicing):
    """What the bit-line sums before the ADC read: the cells programmed from the weights (bit
    slicing, signed encoding, conductance variation drawn from ``seed``) and the input slices
    driven by the DAC. A frozen group: :meth:`ProgrammedLayer.column_sums` depends on these and
    on the layer's weights and inputs alone, so two design points with equal groups have equal
    column sums (an ADC sweep re-quantises them, :mod:`accelsim.hw.pim.reuse`)."""

    rows: int
    cell_bits: int
    weight_bits: int
    input_bits: int
    dac_bits: int
    signed_weights: str       # "differential" | "offset"
    conductance_sigma: float
    seed: int


@dataclass(frozen=True)
class MacroParams(ArrayParams):
    """The PIM parameters the crossbar model reads, named as in ``pim``: the ``pim`` engine's numerics
    group (part of a trace's identity, :func:`accelsim.hw.engines.numerics_identity`): the array's
    (:class:`ArrayParams`) and the ADC's."""

    adc_bits: int
    adc_range: str            # "full_scale" | "calibrated"
    adc_clip_ratio: float
    adc_offset_lsb: float
    adc_noise_lsb: float

    @classmethod
    def from_config(cls, pim) -> "MacroParams":
        """The group's fields, read by name from the ``pim`` section (the same names)."""
        return cls(**{f.name: getattr(pim, f.name) for f in fields(cls)})

    @property
    def array(self) -> ArrayParams:
        """The part the column sums depend on (the fields of :class:`ArrayParams`)."""
        return ArrayParams(**{f.name: getattr(self, f.name) for f in fields(ArrayParams)})


def adc_lsb(value_range: float, adc_bits: int) -> float:
    """Power-of-two LSB whose ``2^adc_bits`` codes cover ``value_range`` (at least 1)."""
    need = math.ceil(math.log2(max(value_range, 0.0) + 1.0))
    return float(2 ** max(0, need - adc_bits))


@numba.njit(cache=True, inline="always")
def _bitline_sums(x, v, r0, r1, g, dac_bits, amask, n_slices, acc, driven_b, drive_sq_b):
    """Vector ``v``'s bit-line sums of every input slice into ``acc`` [S, C] (zeroed first);
    per row of the tile, ``driven_b`` += slices with a non-zero code, ``drive_sq_b`` += code^2."""
    C = g.shape[1]
    acc[:, :] = 0
    for i in range(r0, r1):
        xi = x[v, i]
        if xi == 0:
            continue
        gi = g[i]
        for s in range(n_slices):
            a = (xi >> (s * dac_bits)) & amask
            if a == 0:
                continue
            driven_b[i - r0] += 1
            drive_sq_b[i - r0] += a * a
            acc_s = acc[s]
            if a == 1:
                for j in range(C):
                    acc_s[j] += gi[j]
            else:
                for j in range(C):
                    acc_s[j] += a * gi[j]


@numba.njit(cache=True, inline="always")
def _convert(acc, v, inv, top, offset, noise, with_noise, weight, col_out, out_v):
    """ADC and shift-and-add of vector ``v``'s bit-line sums ``acc`` [S, C] into ``out_v``;
    returns the conversions clipped at the top code."""
    n_sat = 0
    for s in range(acc.shape[0]):
        acc_s = acc[s]
        w_s = weight[s]
        for j in range(acc.shape[1]):
            u = acc_s[j] * inv + 0.5 + offset[j]
            if with_noise:
                u += noise[s, v, j]
            code = math.floor(u)
            if code > top:
                code = top
                n_sat += 1
            elif code < 0:
                code = 0
            out_v[col_out[j]] += code * w_s[j]
    return n_sat


@numba.njit(cache=True)
def _shift_add_weights(n_slices, dac_bits, lsb, col_weight):
    """The shift-and-add weight of each conversion [S, C]: 2^(s dac_bits) LSB sign 2^(k cell_bits)."""
    weight = np.empty((n_slices, col_weight.shape[0]))
    for s in range(n_slices):
        for j in range(col_weight.shape[0]):
            weight[s, j] = float(1 << (s * dac_bits)) * lsb * col_weight[j]
    return weight


@numba.njit(cache=True, parallel=True)
def crossbar_tile(x, r0, r1, g, dac_bits, n_slices, lsb, top, offset, noise, col_out, col_weight,
                  out, driven, drive_sq, sat, chunk):
    """One row tile of the crossbar for every vector: bit-line sums, ADC, shift-and-add.

    x [V, R] integer inputs; rows r0..r1 form the tile; g [R, C] programmed levels;
    lsb, top: ADC step and top code; offset [C] (LSB); noise [S, V, C] (LSB) or
    shape (0, 0, 0); col_out [C] output of each bit line; col_weight [C] =
    sign * 2^(k cell_bits). Accumulates into out [V, O]; per block of ``chunk``
    vectors b: driven[b, i] (+= slices with a non-zero code on row r0+i),
    drive_sq[b, i] (+= code^2, an integer), sat[b] (+= saturated conversions).
    A zero input slice drives nothing and adds nothing (the sum is skipped, not
    the conversion: every bit line is still converted). The same arithmetic as
    :func:`column_sums_tile` followed by :func:`adc_tile` (shared helpers), fused.
    """
    V = x.shape[0]
    amask = (1 << dac_bits) - 1
    with_noise = noise.shape[0] > 0
    inv = 1.0 / lsb
    n_blocks = (V + chunk - 1) // chunk
    weight = _shift_add_weights(n_slices, dac_bits, lsb, col_weight)
    for b in numba.prange(n_blocks):
        acc = np.zeros((n_slices, g.shape[1]), dtype=g.dtype)
        n_sat = 0
        for v in range(b * chunk, min(V, (b + 1) * chunk)):
            _bitline_sums(x, v, r0, r1, g, dac_bits, amask, n_slices, acc, driven[b], drive_sq[b])
            n_sat += _convert(acc, v, inv, top, offset, noise, with_noise, weight, col_out, out[v])
        sat[b] += n_sat


@numba.njit(cache=True, parallel=True)
def column_sums_tile(x, r0, r1, g, dac_bits, n_slices, sums, driven, drive_sq, chunk):
    """The bit-line sums of one row tile before the ADC: ``sums`` [V, S, C] (stored in a dtype
    that holds them exactly); ``driven``, ``drive_sq`` as in :func:`crossbar_tile`."""
    V = x.shape[0]
    amask = (1 << dac_bits) - 1
    n_blocks = (V + chunk - 1) // chunk
    for b in numba.prange(n_blocks):
        acc = np.zeros((n_slices, g.shape[1]), dtype=g.dtype)
        for v in range(b * chunk, min(V, (b + 1) * chunk)):
            _bitline_sums(x, v, r0, r1, g, dac_bits, amask, n_slices, acc, driven[b], drive_sq[b])
            sums[v] = acc


@numba.njit(cache=True, parallel=True)
def adc_tile(sums, dac_bits, lsb, top, offset, noise, col_out, col_weight, out, sat, chunk):
    """ADC and shift-and-add of one row tile's recorded bit-line sums ``sums`` [V, S, C] into
    ``out`` [V, O] (the second half of :func:`crossbar_tile`)."""
    V, n_slices = sums.shape[0], sums.shape[1]
    with_noise = noise.shape[0] > 0
    inv = 1.0 / lsb
    n_blocks = (V + chunk - 1) // chunk
    weight = _shift_add_weights(n_slices, dac_bits, lsb, col_weight)
    for b in numba.prange(n_blocks):
        n_sat = 0
        for v in range(b * chunk, min(V, (b + 1) * chunk)):
            n_sat += _convert(sums[v], v, inv, top, offset, noise, with_noise, weight, col_out, out[v])
        sat[b] += n_sat


class ProgrammedLayer:
    """A layer's integer weights programmed into crossbar cells (all groups).

    ``weights``: list over groups of integer matrices [R, O_g]. Call :meth:`mvm`
    with integer inputs [V, R] per group.
    """

    def __init__(self, weights: list[np.ndarray], p: MacroParams, key: int = 0):
        self.p, self.key = p, key
        self.groups = len(weights)
        self.R, self.Og = weights[0].shape
        K = p.weight_slices
        base = 2 ** p.cell_bits
        diff = p.signed_weights == "differential"
        pol = 2 if diff else 1
        self.C = self.Og * K * pol
        # column j = (o * K + k) * pol + polarity
        o_idx = np.repeat(np.arange(self.Og), K * pol)
        k_idx = np.tile(np.repeat(np.arange(K), pol), self.Og)
        sign = np.tile(np.array([1.0, -1.0][:pol]), self.Og * K)
        self.col_out = o_idx.astype(np.int64)
        self.col_weight = (sign * (2.0 ** (k_idx * p.cell_bits))).astype(np.float64)
        self.offset_code = 2 ** (p.weight_bits - 1) if not diff else 0
        self.row_tiles = cdiv(self.R, p.rows)
        # ideal levels are integers: int32 sums (exact; vectorise well); with variation float32
        # (its rounding error is far below the ADC LSB)
        if p.conductance_sigma > 0:
            self.dtype = np.float32
        else:
            self.dtype = np.int32 if p.full_scale < 2 ** 31 else np.float64
        rng = np.random.default_rng([p.seed, key, 0])
        self.levels = []      # per group [R, C] ideal levels
        self.g = []           # per group [R, C] programmed levels (with variation), in the sums' dtype
        self.lsb = []         # per group [row_tiles]
        self.offsets = []     # per group [row_tiles, C] (LSB)
        adc_top = (2 ** p.adc_bits - 1)
        amax = 2 ** p.dac_bits - 1
        for wq in weights:
            wq = np.asarray(wq, dtype=np.int64)
            mags = [np.maximum(wq, 0), np.maximum(-wq, 0)] if diff else [wq + self.offset_code]
            lev = np.zeros((self.R, self.Og, K, pol), dtype=np.int64)
            for q, m in enumerate(mags):
                for k in range(K):
                    lev[:, :, k, q] = (m >> (k * p.cell_bits)) & (base - 1)
            lev = lev.reshape(self.R, self.C)
            g = lev.astype(np.float64)
            if p.conductance_sigma > 0:  # programmed level = ideal level x (1 + sigma eps), never below 0
                g = np.maximum(0.0, g * (1.0 + p.conductance_sigma * rng.standard_normal(g.shape)))
            self.levels.append(lev)
            self.g.append(np.ascontiguousarray(g, dtype=self.dtype))
            lsbs = []
            for t in range(self.row_tiles):
                r0, r1 = self.tile_rows(t)
                if p.adc_range == "full_scale":
                    rng_v = float(p.full_scale)
                else:
                    reach = float((g[r0:r1].sum(axis=0) * amax).max()) if r1 > r0 else 0.0
                    rng_v = p.adc_clip_ratio * reach
                lsbs.append(adc_lsb(rng_v, p.adc_bits))
            self.lsb.append(lsbs)
            if p.adc_offset_lsb > 0:
                self.offsets.append(p.adc_offset_lsb * rng.standard_normal((self.row_tiles, self.C)))
            else:
                self.offsets.append(np.zeros((self.row_tiles, self.C)))
        self.adc_top = adc_top
        self.row_level_sum = np.concatenate([g.astype(np.float64).sum(axis=1) / (base - 1) for g in self.g])
        self.row_cells = np.full(self.groups * self.R, self.C, dtype=np.int64)

    def new_activity(self) -> FirstLayerActivity:
        n = self.groups * self.R
        return FirstLayerActivity("pim", row_driven=np.zeros(n, np.int64), row_drive_code_sq=np.zeros(n, np.int64),
                                  row_level_sum=self.row_level_sum.copy(), row_cells=self.row_cells.copy(),
                                  dac_max=2 ** self.p.dac_bits - 1)

    CHUNK = 256   # vectors per parallel block of the kernels

    @property
    def sums_dtype(self) -> np.dtype:
        """The dtype that holds a bit-line sum exactly: the sums' own (float32 with variation),
        else the smallest unsigned integer above the full scale."""
        if self.dtype != np.int32:
            return np.dtype(self.dtype)
        return np.dtype(np.uint16 if self.p.full_scale < 2 ** 16 else np.int32)

    def _noise(self, group: int, t: int, V: int, noise_keys) -> np.ndarray:
        p = self.p
        if p.adc_noise_lsb <= 0:
            return np.zeros((0, 0, 0), dtype=np.float32)
        keys = noise_keys or [(0,)]
        per = V // len(keys)
        return np.concatenate([
            np.random.default_rng([p.seed, 1, self.key, group, t, *k]).standard_normal((p.input_slices, per, self.C))
            for k in keys], axis=1).astype(np.float32) * np.float32(p.adc_noise_lsb)

    def mvm(self, group: int, xq: np.ndarray, act: FirstLayerActivity,
            noise_keys: list[tuple[int, ...]] | None = None) -> np.ndarray:
        """Integer-domain outputs [V, O_g] (float64) for integer inputs ``xq`` [V, R].

        ``noise_keys``: one seed key per block of V / len(keys) vectors (a sample's
        vectors), so ADC noise does not depend on how samples are batched.
        """
        p = self.p
        V = xq.shape[0]
        out = np.zeros((V, self.Og), dtype=np.float64)
        n_blocks = cdiv(V, self.CHUNK)
        xq = np.ascontiguousarray(xq, dtype=np.int32)
        for t in range(self.row_tiles):
            r0, r1 = self.tile_rows(t)
            drv = np.zeros((n_blocks, r1 - r0), dtype=np.int64)
            dsq = np.zeros((n_blocks, r1 - r0), dtype=np.int64)
            sat = np.zeros(n_blocks, dtype=np.int64)
            crossbar_tile(xq, r0, r1, self.g[group], p.dac_bits, p.input_slices, self.lsb[group][t], self.adc_top,
                          self.offsets[group][t], self._noise(group, t, V, noise_keys), self.col_out,
                          self.col_weight, out, drv, dsq, sat, self.CHUNK)
            self._record_drive(act, group, r0, drv, dsq)
            self._record_adc(act, V, sat)
        return self._finish(out, xq.sum(axis=1, dtype=np.int64) if self.offset_code else None, V, act)

    def tile_rows(self, t: int) -> tuple[int, int]:
        """The rows ``r0 .. r1 - 1`` of a group's row tile ``t``."""
        return t * self.p.rows, min(self.R, (t + 1) * self.p.rows)

    def _record_drive(self, act: FirstLayerActivity, group: int, r0: int, drv: np.ndarray, dsq: np.ndarray) -> None:
        """A row tile's drive statistics (per block of vectors [blocks, tile rows]) into ``act``."""
        rows = slice(group * self.R + r0, group * self.R + r0 + drv.shape[1])
        act.row_driven[rows] += drv.sum(axis=0)
        act.row_drive_code_sq[rows] += dsq.sum(axis=0)

    def _record_adc(self, act: FirstLayerActivity, V: int, sat: np.ndarray) -> None:
        """A row tile's conversions of ``V`` vectors and those saturated (per block) into ``act``."""
        act.adc_saturated += int(sat.sum())
        act.conversions += self.p.input_slices * V * self.C

    def _finish(self, out: np.ndarray, xsum: np.ndarray | None, V: int, act: FirstLayerActivity) -> np.ndarray:
        if self.offset_code:
            out -= self.offset_code * xsum[:, None].astype(np.float64)
            act.offset_correction_adds += int(V * (self.R + self.Og))  # input sum + one subtract per output
        act.vectors += V
        return out

    def column_sums(self, group: int, xq: np.ndarray, act: FirstLayerActivity) -> "ColumnBlock":
        """The bit-line sums before the ADC of integer inputs ``xq`` [V, R] (what an ADC sweep
        re-quantises with :meth:`convert`; ``column_sums`` then ``convert`` = :meth:`mvm`). Records
        the drive statistics; the ADC's records are :meth:`convert`'s."""
        p = self.p
        V = xq.shape[0]
        n_blocks = cdiv(V, self.CHUNK)
        xq = np.ascontiguousarray(xq, dtype=np.int32)
        tiles = []
        for t in range(self.row_tiles):
            r0, r1 = self.tile_rows(t)
            drv = np.zeros((n_blocks, r1 - r0), dtype=np.int64)
            dsq = np.zeros((n_blocks, r1 - r0), dtype=np.int64)
            sums = np.empty((V, p.input_slices, self.C), dtype=self.sums_dtype)
            column_sums_tile(xq, r0, r1, self.g[group], p.dac_bits, p.input_slices, sums, drv, dsq, self.CHUNK)
            self._record_drive(act, group, r0, drv, dsq)
            tiles.append(sums)
        return ColumnBlock(tiles, xq.sum(axis=1, dtype=np.int64) if self.offset_code else None)

    def convert(self, group: int, block: "ColumnBlock", act: FirstLayerActivity,
                noise_keys: list[tuple[int, ...]] | None = None) -> np.ndarray:
        """Integer-domain outputs [V, O_g] of recorded bit-line sums (ADC, shift-and-add, offset
        correction): bit for bit what :meth:`mvm` gives for the inputs they were recorded from."""
        p = self.p
        V = block.vectors
        out = np.zeros((V, self.Og), dtype=np.float64)
        n_blocks = cdiv(V, self.CHUNK)
        for t, sums in enumerate(block.tiles):
            sat = np.zeros(n_blocks, dtype=np.int64)
            adc_tile(sums, p.dac_bits, self.lsb[group][t], self.adc_top, self.offsets[group][t],
                     self._noise(group, t, V, noise_keys), self.col_out, self.col_weight, out, sat, self.CHUNK)
            self._record_adc(act, V, sat)
        return self._finish(out, block.xsum, V, act)


@dataclass
class ColumnBlock:
    """Recorded bit-line sums of V input vectors of one group: per row tile [V, S, C]; ``xsum`` [V]
    the vectors' input sums (offset encoding's digital correction), else None."""

    tiles: list[np.ndarray]
    xsum: np.ndarray | None

    @property
    def vectors(self) -> int:
        return int(self.tiles[0].shape[0]) if self.tiles else 0

    @property
    def nbytes(self) -> int:
        return sum(t.nbytes for t in self.tiles) + (self.xsum.nbytes if self.xsum is not None else 0)

    def rows(self, v0: int, v1: int) -> "ColumnBlock":
        return ColumnBlock([t[v0:v1] for t in self.tiles], None if self.xsum is None else self.xsum[v0:v1])
