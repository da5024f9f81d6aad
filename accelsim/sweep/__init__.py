"""Design-space sweeps: grids of dotted keys, trace reuse, resumable results, local or Dask workers.

    axes = parse_grid(["pim.adc_bits=4,6", "core.count=2,4"])
    result = run_sweep(SweepSpec(arch, workload, axes), out_dir)

See docs/sweeps.md.
"""
from accelsim.sweep.grid import Axis, Point, parse_grid, grid_points
from accelsim.sweep.runner import SweepSpec, SweepResult, run_sweep

__all__ = ["Axis", "Point", "parse_grid", "grid_points", "SweepSpec", "SweepResult", "run_sweep"]
