#!/usr/bin/env python
"""Many samples and ADC sweeps (issue 16 targets, docs/performance.md):

* ResNet-18 shape, 224x224, T = 4: N samples (default 100) through the functional pass and
  cost + report, workers chosen automatically (accelsim.shards) or --jobs; wall time and
  the peak resident memory of the whole process tree (target: 100 samples <= 60 s, <= 4 GB);
  with --compare K, K samples in-process (1 worker) and in 2 workers;
* hsi_hybrid, all 24 samples: `accelsim run` with a warm numba cache and accelsim's modules
  compiled to bytecode (_timing.warm_bytecode), --jobs 1 and automatic (target <= 2 s);
* a 16-point pim.adc_bits sweep (1..16) on hsi_hybrid: `accelsim sweep` against 16 separate
  `accelsim run` (target: >= 3x faster).

    python benchmarks/bench_batch.py [--resnet-samples 100] [--compare 8] [--repeat 3] [--skip resnet,hsi,sweep]

Every figure is a whole wall-clock time on this machine; the load average is printed beside
each (the machine may be shared), and for the CLI runs and the sweep the CPU time, system time and
minor page faults of the processes (less sensitive to other users of the machine than wall time).
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from _timing import machine, warm_bytecode  # noqa: E402
PIM = "arch_configs/ace_snn_pim.yaml"
HSI = "workloads/hsi_hybrid/workload.json"


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f}"


class PeakMemory:
    """Peak resident memory of this process and its children, sampled every 50 ms (psutil), or
    the largest single process's (ru_maxrss) without psutil."""

    def __enter__(self):
        self.peak, self.stop = 0, False
        try:
            import psutil
        except ImportError:
            self.thread = None
            return self
        me = psutil.Process()

        def watch():
            while not self.stop:
                try:
                    procs = [me] + me.children(recursive=True)
                    self.peak = max(self.peak, sum(p.memory_info().rss for p in procs if p.is_running()))
                except Exception:   # noqa: BLE001 - a child ended while being read
                    pass
                time.sleep(0.05)

        self.thread = threading.Thread(target=watch, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop = True
        if self.thread is not None:
            self.thread.join()
        else:
            import resource
            self.peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) * 1024

    @property
    def gib(self) -> float:
        return self.peak / 2**30


def resnet(samples: int, jobs, timesteps: int = 4):
    from bench_resnet18 import build

    from accelsim.config.loader import load_arch
    from accelsim.simulate import Job, cost_and_report, functional_trace
    from accelsim.workload.graph import Samples

    graph = build(timesteps)
    x = np.random.default_rng(1).uniform(0.0, 1.0, size=(samples, 3, 224, 224))
    job = Job(load_arch(str(ROOT / PIM), ["core.on_overflow=dram", "pim.macros=8"]), graph,
              Samples(x, None, "random images"), PIM, "<resnet18>", "random")
    n = jobs or "automatic"
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        trace = functional_trace(job, jobs=jobs)
        t1 = time.perf_counter()
        cost_and_report(job, trace)
        t2 = time.perf_counter()
    return n, t1 - t0, t2 - t1, mem.gib


class Usage:
    """What the child processes run inside the block used: CPU seconds (user + system), the system
    part, minor page faults (the children's rusage; a CLI process and every worker it waits for)."""

    def __enter__(self):
        self.r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        return self

    def __exit__(self, *exc):
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.sys = r1.ru_stime - self.r0.ru_stime
        self.cpu = r1.ru_utime - self.r0.ru_utime + self.sys
        self.faults = r1.ru_minflt - self.r0.ru_minflt

    def __str__(self) -> str:
        return f"CPU {self.cpu:.1f} s (system {self.sys:.1f} s), {self.faults / 1e3:.0f}K minor faults"


def cli(args: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "accelsim", *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def hsi_run(repeat: int) -> None:
    warm_bytecode()
    out = tempfile.mkdtemp(prefix="bench-batch-")
    try:
        for jobs in (["--jobs", "1"], []):
            base = ["run", PIM, HSI, "-o", out, "-q"] + jobs
            cli(base)   # warm numba's cache
            times = []
            for _ in range(repeat):
                with Usage() as use:
                    times.append(cli(base))
                print(f"  {times[-1]:.2f} s, {use} ({load()})")
            print(f"hsi_hybrid, 24 samples, accelsim run {' '.join(jobs) or '(automatic jobs)'}: best of {repeat} "
                  f"{min(times):.2f} s ({load()})")
    finally:
        shutil.rmtree(out, ignore_errors=True)


def adc_sweep() -> None:
    warm_bytecode()
    out = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    bits = list(range(1, 17))
    try:
        cli(["run", PIM, HSI, "-o", str(out / "warm"), "-q"])
        with Usage() as use:
            t_runs = sum(cli(["run", PIM, HSI, "-o", str(out / f"r{b}"), "-q", "--set", f"pim.adc_bits={b}"])
                         for b in bits)
        print(f"16 separate accelsim run (pim.adc_bits=1..16): {t_runs:.1f} s, {use} ({load()})")
        with Usage() as use:
            t_sweep = cli(["sweep", PIM, HSI, "-o", str(out / "sweep"), "-q",
                           "--grid", "pim.adc_bits=" + ",".join(map(str, bits))])
        print(f"accelsim sweep --grid pim.adc_bits=1..16: {t_sweep:.1f} s, {use} -> {t_runs / t_sweep:.1f}x faster "
              f"({load()})")
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resnet-samples", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=None, help="workers for the ResNet-18 run (default: automatic)")
    ap.add_argument("--compare", type=int, default=0, metavar="K", help="also K samples with 1 and 2 workers")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip", default="", help="comma-separated: resnet, hsi, sweep")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    print(f"machine: {machine()}; {load()}")
    if "hsi" not in skip:
        hsi_run(args.repeat)
    if "sweep" not in skip:
        adc_sweep()
    if args.compare:
        for jobs in (1, 2):
            n, tf, tc, gib = resnet(args.compare, jobs)
            print(f"ResNet-18 shape, {args.compare} samples, {n} worker(s): functional {tf:.1f} s, cost+report "
                  f"{tc:.1f} s, peak {gib:.2f} GiB ({load()})")
    if "resnet" not in skip:
        n, tf, tc, gib = resnet(args.resnet_samples, args.jobs)
        print(f"ResNet-18 shape, {args.resnet_samples} samples, {n} worker(s): functional {tf:.1f} s, cost+report "
              f"{tc:.1f} s, total {tf + tc:.1f} s, peak memory {gib:.2f} GiB (process tree) ({load()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
