"""Mapping of the first layer onto crossbar macros.

A Conv (1-D/2-D/3-D) is lowered by im2col: per group, the weight matrix has
``R = C_in/g * kernel volume`` rows and ``O/g`` outputs; a Gemm/MatMul has
``R = in_features`` and one group. Each output needs ``cols_per_weight`` bit
lines: ``weight_slices = ceil(stored_bits / cell_bits)`` slices, times 2 for
differential pairs (stored_bits = weight_bits - 1) or 1 for offset encoding
(stored_bits = weight_bits). The matrix is cut into ``row_tiles x col_tiles``
tiles of at most ``rows x cols``, one macro each; every input vector (an output
position) is applied to all tiles of its group at once. Idle macros may hold
copies of the whole layer (``replicate_weights``), each copy taking a share of the
output positions; a layer that fits one tile may also be copied inside one array
(``replicate_in_array``: block-diagonally, each copy on its own rows and bit lines).
"""
from __future__ import annotations

from dataclasses import dataclass

from accelsim.config.arch import PimConfig
from accelsim.engine.lower import Layer
from accelsim.util.mathx import cdiv


@dataclass(frozen=True)
class PimMapping:
    groups: int
    rows_per_group: int          # R: im2col rows (kernel volume x input channels per group)
    outputs_per_group: int       # O/g
    vectors: int                 # input vectors per evaluation of one sample (output positions)
    weight_slices: int
    cols_per_weight: int
    input_slices: int
    row_tiles: int
    col_tiles: int
    rows: int                    # crossbar size
    cols: int

    @property
    def cols_per_group(self) -> int:
        return self.outputs_per_group * self.cols_per_weight

    @property
    def tiles(self) -> int:
        """Macros one copy of the layer occupies."""
        return self.row_tiles * self.col_tiles * self.groups

    @property
    def cells_used(self) -> int:
        return self.groups * self.rows_per_group * self.cols_per_group

    @property
    def utilization(self) -> float:
        """Programmed cells / cells of the macros one copy occupies."""
        return self.cells_used / (self.tiles * self.rows * self.cols)

    def max_cols_in_tile(self) -> int:
        """Bit lines in use in the fullest column tile."""
        return min(self.cols, self.cols_per_group)

    def in_array_copies(self) -> int:
        """Copies of a layer that fits one tile, placed block-diagonally in one array (each on its
        own rows and bit lines, so copies take different input vectors at once); 1 otherwise
        (several tiles or groups)."""
        if self.row_tiles != 1 or self.col_tiles != 1 or self.groups != 1:
            return 1
        return max(1, min(self.rows // self.rows_per_group, self.cols // self.cols_per_group))

    def copies(self, macros: int, replicate: bool, in_array: bool = False) -> int:
        """Copies of the layer that fit in ``macros`` (0: it does not fit), times the copies inside
        one array with ``in_array``."""
        fit = macros // self.tiles
        return (min(fit, 1) if not replicate else fit) * (self.in_array_copies() if in_array else 1)


def map_matrix(groups: int, rows_per_group: int, outputs_per_group: int, vectors: int, pim: PimConfig) -> PimMapping:
    per_weight = pim.weight_slices * (2 if pim.signed_weights == "differential" else 1)
    return PimMapping(
        groups=groups, rows_per_group=rows_per_group, outputs_per_group=outputs_per_group, vectors=vectors,
        weight_slices=pim.weight_slices, cols_per_weight=per_weight, input_slices=pim.input_slices,
        row_tiles=cdiv(rows_per_group, pim.rows), col_tiles=cdiv(outputs_per_group * per_weight, pim.cols),
        rows=pim.rows, cols=pim.cols,
    )


def map_layer(layer: Layer, pim: PimConfig) -> PimMapping:
    """Mapping of a lowered layer (Conv: im2col; Gemm/MatMul: one vector per sample)."""
    vectors = layer.window.out_positions if layer.window is not None else 1
    return map_matrix(layer.group, layer.fan_in, layer.out_shape[0] // layer.group, vectors, pim)
