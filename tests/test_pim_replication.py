"""In-array weight replication (pim.replicate_in_array): copies of a one-tile layer placed
block-diagonally inside each array take different output positions at once."""
from __future__ import annotations

from pathlib import Path

import pytest

from accelsim.config.arch import PimConfig
from accelsim.hw.pim.mapping import map_matrix
from accelsim.simulate import run_simulation

ROOT = Path(__file__).resolve().parent.parent


def test_in_array_copies_by_hand():
    pim = PimConfig(rows=128, cols=128, weight_bits=6, cell_bits=2)        # 3 slices x 2 = 6 bit lines per weight
    m = map_matrix(groups=1, rows_per_group=63, outputs_per_group=8, vectors=100, pim=pim)
    assert (m.rows_per_group, m.cols_per_group) == (63, 48)
    assert m.in_array_copies() == 2                                          # min(128 // 63, 128 // 48)
    assert m.copies(4, True, in_array=True) == 8 and m.copies(4, True) == 4 and m.copies(4, False, True) == 2
    big = map_matrix(groups=1, rows_per_group=200, outputs_per_group=8, vectors=1, pim=pim)   # two row tiles
    assert big.in_array_copies() == 1
    grouped = map_matrix(groups=2, rows_per_group=10, outputs_per_group=2, vectors=1, pim=pim)
    assert grouped.in_array_copies() == 1


def test_in_array_copies_halve_the_macro_time_not_the_energy():
    wl = str(ROOT / "workloads" / "hsi_hybrid" / "workload.json")
    arch = str(ROOT / "arch_configs" / "ace_snn_pim_legacy.yaml")    # the table macro: 128 x 128, 2 copies fit
    a = run_simulation(arch, wl, samples=2)
    b = run_simulation(arch, wl, ["pim.replicate_in_array=true"], samples=2)
    da, db = a["layers"][0]["cost_details"], b["layers"][0]["cost_details"]
    assert (db["copies"], db["macros_used"]) == (2 * da["copies"], da["macros_used"])
    vectors = 24 * 23 * 23                                       # hsi_hybrid's first layer: 12,696 positions
    per_read = da["evaluation_ns"] / (-(-vectors // da["copies"]))
    assert db["evaluation_ns"] == pytest.approx(-(-vectors // db["copies"]) * per_read, rel=1e-12)
    for key in ("pim.adc", "pim.dac", "pim.array", "pim.shift_add"):
        assert b["layers"][0]["energy_breakdown_pj"][key] == pytest.approx(a["layers"][0]["energy_breakdown_pj"][key],
                                                                           rel=1e-12)
