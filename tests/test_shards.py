"""Many samples in shards (accelsim/shards.py, engine/merge.py): the merged trace of any split is
the trace of one run, bit for bit, and so is the report."""
from __future__ import annotations

from pathlib import Path

import pytest

from accelsim.cli import main
from accelsim.errors import InputError, fail
from accelsim.shards import auto_jobs, bounds, sharded_trace
from accelsim.simulate import cost_and_report, functional_trace, hardware_layers, prepare
from tests.trace_checks import assert_same_trace

ROOT = Path(__file__).resolve().parent.parent
PIM = str(ROOT / "arch_configs" / "ace_snn_pim.yaml")
DIGITAL = str(ROOT / "arch_configs" / "digital_only.yaml")
DIGITS = str(ROOT / "workloads" / "digits" / "workload.json")
HSI = str(ROOT / "workloads" / "hsi_hybrid" / "workload.json")
EVENTS = str(ROOT / "workloads" / "hybrid_events" / "workload.json")


def test_bounds_cover_the_samples_in_order():
    assert bounds(10, 3) == [(0, 4), (4, 7), (7, 10)]
    assert bounds(2, 5) == [(0, 1), (1, 2)]
    assert bounds(7, 1) == [(0, 7)]


CASES = {
    # PIM first layer (a 3-D conv) with ADC noise (keyed by sample), 2-bit DAC slices (a non-integer
    # drive), conductance variation
    "hsi_pim_noise": (PIM, HSI, ["pim.adc_noise_lsb=0.7", "pim.dac_bits=2", "pim.conductance_sigma=0.05"], 2),
    "digits_fixed": (DIGITAL, DIGITS, [], 40),
    "digits_pim": (PIM, DIGITS, ["pim.adc_noise_lsb=0.5", "pim.dac_bits=2"], 40),
    "hybrid_events": (PIM, EVENTS, [], None),
}


@pytest.mark.parametrize("case, jobs", [("hsi_pim_noise", 2), ("digits_fixed", 3), ("digits_pim", 3),
                                        ("hybrid_events", 2)])
def test_shards_merge_to_the_trace_and_report_of_one_run(case, jobs):
    arch, workload, sets, n = CASES[case]
    job = prepare(arch, workload, sets, n)
    whole = functional_trace(job, jobs=1)
    layers = hardware_layers(job)
    merged = sharded_trace(job.graph, job.data, layers, job.spec.arch, "numba", jobs, inline=True)
    assert_same_trace(whole, merged)
    assert cost_and_report(job, merged) == cost_and_report(job, whole)


def test_worker_processes_write_the_same_report_json(tmp_path):
    """1 worker (in-process) and 2 worker processes: report.json identical byte for byte."""
    out1, out2 = tmp_path / "one", tmp_path / "two"
    base = ["run", PIM, DIGITS, "--samples", "30", "--set", "pim.adc_noise_lsb=0.5", "-q"]
    assert main(base + ["-o", str(out1), "--jobs", "1"]) == 0
    assert main(base + ["-o", str(out2), "--jobs", "2"]) == 0
    assert (out1 / "report.json").read_bytes() == (out2 / "report.json").read_bytes()


def test_worker_processes_report_progress_per_shard():
    """Shards in real worker processes count their samples into the progress callback as they finish
    (what the CLI's progress bar reads), and the trace is the one of a single run."""
    job = prepare(DIGITAL, DIGITS, [], 12)
    seen = []
    merged = sharded_trace(job.graph, job.data, hardware_layers(job), job.spec.arch, "numba", 2, progress=seen.append)
    assert sorted(seen) == [6, 6]
    assert_same_trace(functional_trace(job, jobs=1), merged)


@pytest.mark.parametrize("bad", ["0", "-3"])
def test_jobs_must_be_positive(tmp_path, capsys, bad):
    assert main(["run", PIM, DIGITS, "-o", str(tmp_path / "o"), "--jobs", bad, "-q"]) == 2
    err = capsys.readouterr().err
    assert "--jobs" in err and "positive integer" in err and "Traceback" not in err


def test_api_jobs_is_checked():
    import accelsim

    with pytest.raises(InputError) as exc:
        accelsim.run(PIM, DIGITS, samples=2, jobs=0)
    assert exc.value.problems[0].file == "jobs"


def test_automatic_jobs_keep_small_runs_in_process():
    job = prepare(PIM, DIGITS)
    layers = hardware_layers(job)
    assert auto_jobs(job.graph, layers, len(job.data), available=2) == 1      # digits: a few M MACs
    big = prepare(PIM, HSI)
    hl = hardware_layers(big)
    assert auto_jobs(big.graph, hl, 3, available=2) == 1                      # fewer than 2 per worker
    assert auto_jobs(big.graph, hl, 10_000, available=2) == 2
    assert auto_jobs(big.graph, hl, 10_000, available=1) == 1


def test_an_input_error_in_a_shard_reaches_the_caller(monkeypatch):
    import accelsim.shards as shards

    job = prepare(DIGITAL, DIGITS, [], 4)

    def broken(*a, **k):
        raise fail("w.json", "nodes[1]", "too large", 7)

    monkeypatch.setattr(shards, "simulate", broken)
    with pytest.raises(InputError) as exc:
        sharded_trace(job.graph, job.data, hardware_layers(job), job.spec.arch, "numba", 2, inline=True)
    p = exc.value.problems[0]
    assert (p.file, p.path, p.message, p.value) == ("w.json", "nodes[1]", "too large", 7)


@pytest.mark.parametrize("min_seconds", [0.0, 1e9])
def test_automatic_jobs_probe_then_split_give_the_same_report(monkeypatch, min_seconds):
    """jobs=None on a run large enough to probe: its first samples in-process, the rest in 2 worker
    processes (min_seconds 0) or in-process (1e9); the report is that of one in-process run."""
    import accelsim.shards as shards

    monkeypatch.setattr(shards, "PARALLEL_MIN_MACS", 0.0)
    monkeypatch.setattr(shards, "PARALLEL_MIN_SECONDS", min_seconds)
    spawned = []
    real = shards._in_workers
    monkeypatch.setattr(shards, "_in_workers", lambda sh, pr: spawned.append(len(sh)) or real(sh, pr))
    job = prepare(PIM, DIGITS, ["pim.adc_noise_lsb=0.5"], 30)
    assert cost_and_report(job, functional_trace(job, jobs=None)) == cost_and_report(job, functional_trace(job, jobs=1))
    assert spawned == ([2] if min_seconds == 0.0 else [])
