"""ADC sweeps re-quantise the PIM first layer's recorded bit-line sums (accelsim/hw/pim/reuse.py,
accelsim/sweep/adc_reuse.py): bit for bit what separate runs give."""
from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest

from accelsim.config.arch import PimConfig
from accelsim.hw.pim.macro import ArrayParams, MacroParams, ProgrammedLayer
from accelsim.simulate import cost_and_report, functional_trace, prepare
from accelsim.sweep import SweepSpec, parse_grid, run_sweep
from accelsim.sweep.adc_reuse import GroupTraces
from accelsim.sweep.evaluate import metrics_row
from accelsim.sweep.validate import PointValidator

ROOT = Path(__file__).resolve().parent.parent
PIM = str(ROOT / "arch_configs" / "ace_snn_pim.yaml")
DIGITS = str(ROOT / "workloads" / "digits" / "workload.json")
HSI = str(ROOT / "workloads" / "hsi_hybrid" / "workload.json")

ADC_FIELDS = {"adc_bits", "adc_range", "adc_clip_ratio", "adc_offset_lsb", "adc_noise_lsb"}


def _params(**kw) -> MacroParams:
    base = dict(rows=16, cols=32, cell_bits=2, weight_bits=5, input_bits=4, dac_bits=1, adc_bits=5)
    base.update(kw)
    return MacroParams.from_config(PimConfig(**base))


def _layer(rng, params: MacroParams):
    w = rng.integers(-15, 16, size=(40, 6))           # 40 rows: 3 row tiles of 16
    x = rng.integers(0, 2 ** params.input_bits, size=(300, 40)).astype(np.int32)
    x[rng.random(x.shape) < 0.3] = 0
    return ProgrammedLayer([w], params, key=3), x


@pytest.mark.parametrize("kw", [
    {},
    {"dac_bits": 2, "adc_noise_lsb": 0.8, "adc_offset_lsb": 0.3},
    {"signed_weights": "offset", "conductance_sigma": 0.1, "adc_range": "full_scale"},
    {"adc_bits": 2, "adc_clip_ratio": 0.5, "dac_bits": 4},
])
def test_column_sums_then_convert_is_the_fused_kernel_bit_for_bit(kw):
    p = _params(**kw)
    macro, x = _layer(np.random.default_rng(1), p)
    keys = [(i, 0) for i in range(x.shape[0])]
    a1, a2 = macro.new_activity(), macro.new_activity()
    fused = macro.mvm(0, x, a1, keys)
    split = macro.convert(0, macro.column_sums(0, x, a2), a2, keys)
    assert fused.tobytes() == split.tobytes()
    for f in fields(a1):
        assert np.array_equal(getattr(a1, f.name), getattr(a2, f.name)), f.name


def test_the_column_sums_read_the_array_group_only():
    """ArrayParams is what column_sums depends on: the other MacroParams fields are the ADC's, and
    changing any of them leaves the sums unchanged; changing an array field changes them."""
    assert {f.name for f in fields(MacroParams)} - {f.name for f in fields(ArrayParams)} == ADC_FIELDS
    base = _params(conductance_sigma=0.05)
    rng = np.random.default_rng(2)
    w = rng.integers(-15, 16, size=(40, 6))
    x = rng.integers(0, 16, size=(50, 40)).astype(np.int32)

    def sums(p):
        m = ProgrammedLayer([w], p, key=1)
        return [t.tobytes() for t in m.column_sums(0, x, m.new_activity()).tiles]

    ref = sums(base)
    changed = {"adc_bits": 3, "adc_range": "full_scale", "adc_clip_ratio": 0.5, "adc_offset_lsb": 1.0,
               "adc_noise_lsb": 1.0}
    for name, value in changed.items():
        assert sums(replace(base, **{name: value})) == ref, name
    for name, value in {"rows": 8, "cell_bits": 1, "dac_bits": 2, "signed_weights": "offset",
                        "conductance_sigma": 0.2, "seed": 5}.items():
        assert sums(replace(base, **{name: value})) != ref, name
    assert base.array == ArrayParams(**{f.name: getattr(base, f.name) for f in fields(ArrayParams)})


def _assert_rows_are_separate_runs(res, arch, workload, n=None, inputs=None):
    """Every row of the sweep ``res`` equals a separate run of its point (numba backend, no pipeline)."""
    for r in res.rows:
        sets = [s.replace('"', "") for s in r["point"].split(";")]
        job = prepare(str(arch), str(workload), sets, n, inputs=inputs)
        want = metrics_row(cost_and_report(replace(job, pipeline=False), functional_trace(job)))
        assert {k: v for k, v in r.items() if k != "point"} == want, r["point"]


@pytest.mark.parametrize("workload, n, grid, workers", [
    (HSI, 1, ["pim.adc_bits=3,6,9"], 1),                       # a 3-D conv: im2col blocks
    (DIGITS, 40, ["pim.adc_bits=2,3,6,8,10", "pim.adc_noise_lsb=0,0.5"], 1),
    (DIGITS, 40, ["pim.adc_bits=2,6,10", "pim.adc_range=calibrated,full_scale"], 2),   # 2 worker processes
])
def test_an_adc_sweep_gives_the_rows_of_separate_runs(tmp_path, workload, n, grid, workers):
    axes = parse_grid(grid)
    res = run_sweep(SweepSpec(PIM, workload, axes, samples=n), tmp_path / "s", workers=workers)
    assert res.failed == 0 and res.points == len(res.rows)
    _assert_rows_are_separate_runs(res, PIM, workload, n)


def _job_at(validator, job, **sets):
    return replace(job, spec=validator.arch_spec(tuple(sets.items())))


def test_group_traces_record_once_replay_and_share_equal_adcs():
    """On the legacy macro (128 rows, 2-bit cells, 1-bit DAC slices, calibrated range) a few ADC bits
    already resolve every kept sum of digits, so the higher settings share a trace."""
    legacy = str(ROOT / "arch_configs" / "ace_snn_pim_legacy.yaml")
    job = prepare(legacy, DIGITS, [], 40)
    v = PointValidator(legacy, DIGITS, ())
    gt = GroupTraces()
    for bits in (6, 3, 10, 12, 3):
        j = _job_at(v, job, **{"pim.adc_bits": bits})
        tr = functional_trace(replace(j, reuse=gt))
        assert cost_and_report(j, tr) == cost_and_report(j, functional_trace(j)), bits
    # 6 recorded; 3 replayed; 10 and 12 resolve every recorded sum like 6 (LSB 1, nothing
    # clipped) or like each other; the second 3 is 3's trace
    assert gt.recorded == 1 and gt.replays + gt.shared == 4 and gt.shared >= 2


def test_over_its_budget_the_store_gives_up_and_the_pass_runs_in_full():
    job = prepare(PIM, DIGITS, [], 20)
    v = PointValidator(PIM, DIGITS, ())
    gt = GroupTraces(budget=1)
    for bits in (6, 3):
        j = _job_at(v, job, **{"pim.adc_bits": bits})
        tr = functional_trace(replace(j, reuse=gt))
        assert cost_and_report(j, tr) == cost_and_report(j, functional_trace(j))
    assert not gt.store.complete and gt.replays == 0


def test_a_sequence_input_replays_every_step(tmp_path, arch_file, workload_file):
    """Inputs [N, T, ...]: the first layer is evaluated at every step; each step's sums are kept."""
    x = np.random.default_rng(4).random((4, 2, 1, 8))
    np.savez(tmp_path / "seq.npz", x=x, y=np.array([0, 1, 2, 0]))
    axes = parse_grid(["pim.adc_bits=2,3,4,8", "pim.adc_offset_lsb=0,0.4"])
    spec = SweepSpec(str(arch_file), str(workload_file), axes, inputs=str(tmp_path / "seq.npz"))
    res = run_sweep(spec, tmp_path / "s", workers=1)
    assert res.failed == 0
    _assert_rows_are_separate_runs(res, arch_file, workload_file, inputs=str(tmp_path / "seq.npz"))


def test_a_reuse_group_is_split_round_robin_over_the_workers():
    """group_tasks: the trace groups of one reuse identity go to min(workers, groups) tasks, dealt
    round-robin; each task records its own column sums, and the rows are those of one task."""
    from accelsim.sweep.evaluate import run_group
    from accelsim.sweep.grid import grid_points
    from accelsim.sweep.runner import group_tasks
    from accelsim.sweep.validate import validate_points

    axes = parse_grid(["pim.adc_bits=2,3,4,5,6", "core.lanes=4,8"])
    spec = SweepSpec(PIM, DIGITS, axes, samples=20)
    points = grid_points(axes)
    reuse: list = []
    ids = validate_points(PointValidator(PIM, DIGITS, ()), axes, points, reuse)
    todo = {p.key for p in points}
    one = group_tasks(spec, points, ids, todo, True, reuse, workers=1)
    two = group_tasks(spec, points, ids, todo, True, reuse, workers=2)
    assert len(one) == 1 and one[0].trace_count == 5
    assert len(two) == 2 and [t.trace_count for t in two] == [3, 2]
    assert [p.values[0][1] for p in two[1].points] == [3, 3, 5, 5]       # every other adc_bits
    rows = lambda tasks: sorted((e["point"], sorted(e["row"].items())) for t in tasks for e in run_group(t))  # noqa: E731
    assert rows(two) == rows(one)
