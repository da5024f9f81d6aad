"""Sweeps end to end on the tiny workload: rows, trace reuse, resume, failures."""
from __future__ import annotations

import csv
import json

import pytest

from accelsim.cli import main
from accelsim.errors import InputError
from accelsim.simulate import run_simulation
from accelsim.sweep import SweepSpec, parse_grid, run_sweep
from accelsim.sweep.store import JOURNAL, read_results

GRID = ["pim.adc_bits=3,5", "core.task_overhead_cycles=8,64"]   # numerics x cost-only: 2 traces for 4 points


def sweep(arch_file, workload_file, out, grid=GRID, **kw):
    spec = SweepSpec(str(arch_file), str(workload_file), parse_grid(grid), backend="numpy", **kw)
    return run_sweep(spec, out, workers=1)


def rows_of(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_2x2_grid_writes_4_rows_equal_to_single_runs(tmp_path, arch_file, workload_file):
    res = sweep(arch_file, workload_file, tmp_path / "s")
    assert (res.points, res.ran, res.reused, res.failed) == (4, 4, 0, 0)
    assert res.traces == 2                     # one per pim.adc_bits value (numerics); core.task_overhead_cycles is cost-only
    rows = rows_of(tmp_path / "s" / "results.csv")
    assert [(r["pim.adc_bits"], r["core.task_overhead_cycles"]) for r in rows] == [("3", "8"), ("3", "64"), ("5", "8"),
                                                                               ("5", "64")]
    for r in rows:
        # independent reference: a full simulation (own trace) of the same point
        rep = run_simulation(str(arch_file), str(workload_file), sets=[f"pim.adc_bits={r['pim.adc_bits']}",
                             f"core.task_overhead_cycles={r['core.task_overhead_cycles']}"], backend="numpy")
        assert r["status"] == "ok" and r["error"] == ""
        assert float(r["energy_pj"]) == rep["per_inference"]["energy_pj"]        # exact: repr round-trips
        assert float(r["latency_ns"]) == rep["per_inference"]["latency_ns"]
        assert float(r["edp_pj_ns"]) == rep["per_inference"]["edp_pj_ns"]
        assert float(r["accuracy"]) == rep["accuracy"]
        for comp, e in rep["energy_breakdown_pj"].items():
            assert float(r[f"energy_pj.{comp}"]) == e
        assert float(r["cnn_over_snn.cnn_fp32"]) == rep["baselines"]["cnn_fp32"]["cnn_over_snn"]
    # cost-only parameter changes latency, not accuracy
    assert rows[0]["accuracy"] == rows[1]["accuracy"] and rows[0]["latency_ns"] != rows[1]["latency_ns"]


def test_rerun_skips_finished_points_and_grid_can_grow(tmp_path, arch_file, workload_file):
    out = tmp_path / "s"
    sweep(arch_file, workload_file, out)
    first = (out / "results.csv").read_text()
    again = sweep(arch_file, workload_file, out)
    assert (again.ran, again.reused, again.traces) == (0, 4, 0)
    assert (out / "results.csv").read_text() == first
    grown = sweep(arch_file, workload_file, out, grid=["pim.adc_bits=3,5,8", "core.task_overhead_cycles=8,64"])
    assert (grown.points, grown.reused, grown.ran, grown.traces) == (6, 4, 2, 1)
    keys = [json.loads(line)["point"] for line in (out / JOURNAL).read_text().splitlines()]
    assert len(keys) == len(set(keys)) == 6    # every point computed exactly once


def test_torn_journal_line_is_dropped_and_recomputed(tmp_path, arch_file, workload_file):
    out = tmp_path / "s"
    sweep(arch_file, workload_file, out)
    lines = (out / JOURNAL).read_text().splitlines(keepends=True)
    (out / JOURNAL).write_text("".join(lines[:2]) + lines[2][: len(lines[2]) // 2])   # killed mid-write
    res = sweep(arch_file, workload_file, out)
    assert (res.reused, res.ran) == (2, 2)     # the torn point and the unwritten one
    keys = [json.loads(line)["point"] for line in (out / JOURNAL).read_text().splitlines()]
    assert sorted(keys) == sorted(set(keys)) and len(keys) == 4
    assert len(rows_of(out / "results.csv")) == 4


def test_failing_point_records_its_error_and_the_sweep_goes_on(tmp_path, arch_file, workload_file, monkeypatch):
    import accelsim.simulate as simulate

    real = simulate.cost_and_report

    def flaky(job, trace):
        if job.spec.arch.core.task_overhead_cycles == 64 and job.spec.arch.pim.adc_bits == 3:
            raise ZeroDivisionError("boom")
        report = real(job, trace)
        if job.spec.arch.core.task_overhead_cycles == 64 and job.spec.arch.pim.adc_bits == 5:
            report["per_inference"]["latency_ns"] = float("nan")
        return report

    monkeypatch.setattr(simulate, "cost_and_report", flaky)
    out = tmp_path / "s"
    res = sweep(arch_file, workload_file, out)
    assert (res.points, res.failed) == (4, 2)
    rows = rows_of(out / "results.csv")
    bad = [r for r in rows if r["status"] == "error"]
    assert [r["point"] for r in bad] == ["core.task_overhead_cycles=64;pim.adc_bits=3",
                                        "core.task_overhead_cycles=64;pim.adc_bits=5"]
    assert "ZeroDivisionError: boom" in bad[0]["error"] and bad[0]["energy_pj"] == ""
    assert bad[1]["error"] == "non-finite metric(s): latency_ns"
    assert all(r["energy_pj"] for r in rows if r["status"] == "ok")
    # a rerun retries only the failed points
    monkeypatch.setattr(simulate, "cost_and_report", real)
    res = sweep(arch_file, workload_file, out)
    assert (res.reused, res.ran, res.failed) == (2, 2, 0)


def test_trace_failure_fails_its_group_only(tmp_path, arch_file, workload_file, monkeypatch):
    import accelsim.simulate as simulate

    real = simulate.functional_trace

    def broken(job, backend="numba", progress=False):
        if job.spec.arch.pim.adc_bits == 5:
            raise MemoryError("out of memory")
        return real(job, backend, progress)

    monkeypatch.setattr(simulate, "functional_trace", broken)
    res = sweep(arch_file, workload_file, tmp_path / "s")
    rows = rows_of(tmp_path / "s" / "results.csv")
    assert res.failed == 2
    assert [r["status"] for r in rows] == ["ok", "ok", "error", "error"]
    assert rows[2]["error"].startswith("functional trace: MemoryError")


def test_other_experiment_in_same_folder_is_refused(tmp_path, arch_file, workload_file):
    out = tmp_path / "s"
    sweep(arch_file, workload_file, out)
    with pytest.raises(InputError, match="different sweep"):
        sweep(arch_file, workload_file, out, samples=2)


def test_workload_key_and_cli_summary(capsys, tmp_path, arch_file, workload_file):
    out = tmp_path / "s"
    code = main(["sweep", str(arch_file), str(workload_file), "--grid", "workload.timesteps=1,3", "--grid",
                 "tech.clock_mhz=100,400", "-o", str(out), "--workers", "1", "--backend", "numpy", "-q"])
    assert code == 0
    swept, columns, rows = read_results(out / "results.csv")
    assert swept == ["workload.timesteps", "tech.clock_mhz"]
    assert [r["timesteps"] for r in rows] == ["1", "1", "3", "3"]
    # latency scales with 1/clock for the same trace: 100 MHz is 4x slower than 400 MHz on the core part
    assert float(rows[0]["latency_ns"]) > float(rows[1]["latency_ns"])


def test_local_worker_processes_give_the_same_numbers(tmp_path, arch_file, workload_file):
    a = sweep(arch_file, workload_file, tmp_path / "a")
    spec = SweepSpec(str(arch_file), str(workload_file), parse_grid(GRID), backend="numpy")
    b = run_sweep(spec, tmp_path / "b", workers=2)   # two spawned processes, one group each
    assert a.rows == b.rows
    assert (tmp_path / "a" / "results.csv").read_text() == (tmp_path / "b" / "results.csv").read_text()


def test_without_trace_reuse_the_numbers_are_the_same(tmp_path, arch_file, workload_file):
    a = sweep(arch_file, workload_file, tmp_path / "a")
    spec = SweepSpec(str(arch_file), str(workload_file), parse_grid(GRID), backend="numpy")
    b = run_sweep(spec, tmp_path / "b", workers=1, reuse_traces=False)
    assert (a.traces, b.traces) == (2, 4)
    assert a.rows == b.rows


def assert_rows_are_fresh_runs(res, arch_file, workload_file, base_sets=()) -> None:
    """Every row of the sweep ``res`` equals a separate run (numpy backend) of its point on ``base_sets``."""
    from accelsim.sweep.evaluate import metrics_row

    for r in res.rows:
        sets = list(base_sets) + [f"{k}={v}" for k, v in (item.split("=") for item in r["point"].split(";"))]
        fresh = metrics_row(run_simulation(str(arch_file), str(workload_file), sets=sets, backend="numpy"))
        assert {k: v for k, v in r.items() if k != "point"} == fresh, r["point"]


def test_trace_groups_derive_from_the_engines_numerics(tmp_path, arch_file, workload_file):
    """pim.adc_bits changes the trace only when the PIM runs the first layer, core.count never,
    pim.enabled always: 3 traces for 8 points, each row equal to a fresh run, and the sweep says so."""
    grid = ["pim.enabled=true,false", "pim.adc_bits=3,5", "core.count=1,2"]
    logs: list[str] = []
    spec = SweepSpec(str(arch_file), str(workload_file), parse_grid(grid), backend="numpy")
    res = run_sweep(spec, tmp_path / "s", workers=1, log=logs.append)
    assert (res.points, res.traces, res.failed) == (8, 3, 0)
    assert ("sweep: re-runs the functional pass for: pim.enabled; reuses traces over: core.count; "
            "re-runs for some values of the other keys: pim.adc_bits") in logs
    assert_rows_are_fresh_runs(res, arch_file, workload_file)
    logs.clear()
    again = run_sweep(spec, tmp_path / "n", workers=1, reuse_traces=False, log=logs.append)
    assert again.traces == 8 and again.rows == res.rows
    assert "sweep: --no-reuse: one functional trace per point" in logs


def test_trace_reuse_names_what_each_swept_key_does(tmp_path, arch_file, workload_file):
    from accelsim.sweep.grid import grid_points
    from accelsim.sweep.runner import trace_reuse
    from accelsim.sweep.validate import PointValidator, validate_points

    axes = parse_grid(["workload.timesteps=1,2", "pim.adc_bits=3,5", "noc.link_mm=1,2", "core.lanes=4"])
    points = grid_points(axes)
    ids = validate_points(PointValidator(str(arch_file), str(workload_file), ()), axes, points)
    assert len(set(ids)) == 4 and len({id(i) for i in ids}) == 4      # equal identities are one object
    got = trace_reuse(axes, points, ids)
    assert (got.rerun, got.reuse, got.partly) == (("workload.timesteps", "pim.adc_bits"), ("noc.link_mm",), ())
    assert str(got) == ("re-runs the functional pass for: workload.timesteps, pim.adc_bits; "
                        "reuses traces over: noc.link_mm")
    # a sparse random sample: values that never share a trace re-run it
    sparse = trace_reuse(axes, [points[i] for i in (0, 3, 6)], [ids[i] for i in (0, 3, 6)])
    assert sparse.reuse == () and "noc.link_mm" in sparse.rerun


def test_dask_missing_is_a_clean_error(capsys, tmp_path, arch_file, workload_file, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "dask.distributed", None)   # import fails as if not installed
    code = main(["sweep", str(arch_file), str(workload_file), "--grid", "core.lanes=2,4", "-o", str(tmp_path / "s"),
                 "--executor", "dask", "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "pip install 'accelsim[dask]'" in err and "Traceback" not in err
    assert not (tmp_path / "s").exists()   # refused before anything was written


def test_two_sweeps_cannot_write_one_folder(tmp_path, arch_file, workload_file):
    from accelsim.sweep.store import Journal

    out = tmp_path / "s"
    out.mkdir()
    first = Journal(out / JOURNAL).open()
    try:
        with pytest.raises(InputError, match="another accelsim sweep"):
            Journal(out / JOURNAL).open()
    finally:
        first.close()
    Journal(out / JOURNAL).open().close()   # free again


def test_random_sampling_through_the_cli(capsys, tmp_path, arch_file, workload_file):
    out = tmp_path / "s"
    argv = ["sweep", str(arch_file), str(workload_file), "--grid", "core.lanes=1,2,4,8", "--grid",
            "tech.clock_mhz=100,200,300", "--random", "5", "--seed", "7", "-o", str(out), "--workers", "1",
            "--backend", "numpy", "-q"]
    assert main(argv) == 0
    rows = rows_of(out / "results.csv")
    assert len(rows) == 5 and len({r["point"] for r in rows}) == 5
    assert main(argv) == 0                   # same seed, same points: all reused
    assert rows_of(out / "results.csv") == rows


def test_fixed_point_widths_rerun_the_functional_pass(tmp_path, arch_file, workload_file):
    """With bit-true cores, core.weight_bits and core.vmem_bits change the numerics (a trace per
    pair), noc.link_mm is energy-only (reused); every row equals a fresh run."""
    grid = ["core.weight_bits=3,8", "core.vmem_bits=5,16", "noc.link_mm=1,2"]
    logs: list[str] = []
    base = (("core.numerics", "fixed"), ("pim.enabled", False))
    spec = SweepSpec(str(arch_file), str(workload_file), parse_grid(grid), base_sets=base, backend="numpy")
    res = run_sweep(spec, tmp_path / "s", workers=1, log=logs.append)
    assert (res.points, res.traces, res.failed) == (8, 4, 0)
    assert ("sweep: re-runs the functional pass for: core.weight_bits, core.vmem_bits; "
            "reuses traces over: noc.link_mm") in logs
    assert_rows_are_fresh_runs(res, arch_file, workload_file, ["core.numerics=fixed", "pim.enabled=false"])
    assert len({r["accuracy"] for r in res.rows} | {r["energy_pj"] for r in res.rows}) > 2
