"""``accelsim sweep ARCH WORKLOAD --grid KEY=V1,V2,... -o OUTDIR``: a design-space sweep (docs/sweeps.md)."""
from __future__ import annotations

import sys

NAME = "sweep"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help="sweep dotted arch/workload keys over a grid, write OUTDIR/results.csv",
                       description="Evaluate every point of a Cartesian grid of dotted keys (or --random N of "
                                   "them); one CSV row per point. Points that differ only in cost parameters "
                                   "reuse one functional trace. Rerunning the same command resumes.")
    p.add_argument("arch", help="architecture YAML")
    p.add_argument("workload", help="workload JSON")
    p.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2,...", required=True,
                   help="a dotted arch key (pim.adc_bits=4,6,8) or workload.timesteps=...; repeatable")
    p.add_argument("-o", "--out", required=True, help="output folder (results.csv, results.journal, sweep.json)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="a fixed override applied to every point; repeatable")
    p.add_argument("--random", type=int, default=None, metavar="N", help="evaluate N points drawn from the grid")
    p.add_argument("--seed", type=int, default=0, help="seed of --random (default 0)")
    p.add_argument("--samples", type=int, default=None, metavar="N", help="simulate only the first N samples")
    p.add_argument("--inputs", default=None, metavar="FILE.npz", help="inputs replacing the workload's samples")
    p.add_argument("--backend", choices=("numba", "numpy"), default="numba", help="functional backend")
    p.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="local worker processes (default) or Dask")
    p.add_argument("--address", default=None, metavar="tcp://HOST:PORT",
                   help="Dask scheduler to use (default: start a local Dask cluster)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes (local, or local Dask cluster); default: CPU count")
    p.add_argument("--no-reuse", action="store_true",
                   help="compute a functional trace for every point (same numbers, slower; for checking)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no summary")


def run(args) -> int:
    from accelsim.config.loader import parse_set
    from accelsim.errors import fail
    from accelsim.sweep.grid import parse_grid
    from accelsim.sweep.runner import SweepSpec, run_sweep

    if args.address and args.executor != "dask":
        raise fail("--address", "", "only with --executor dask", args.address)
    if args.workers is not None and args.workers < 1:
        raise fail("--workers", "", "must be a positive integer", args.workers)
    spec = SweepSpec(args.arch, args.workload, parse_grid(args.grid), tuple(parse_set(s) for s in args.sets),
                     args.samples, args.inputs, args.backend, args.random, args.seed)
    log = (lambda s: None) if args.quiet else (lambda s: print(s, file=sys.stderr))
    res = run_sweep(spec, args.out, executor=args.executor, workers=args.workers, address=args.address,
                    progress=not args.quiet and sys.stderr.isatty(), reuse_traces=not args.no_reuse, log=log)
    if not args.quiet:
        rate = res.ran / res.seconds if res.seconds else 0.0
        print(f"{res.points} points: {res.points - res.failed} ok, {res.failed} failed; {res.reused} reused from "
              f"an earlier run, {res.ran} evaluated with {res.traces} functional trace(s) in {res.seconds:.2f} s "
              f"({rate:.3g} points/s)\nwrote {res.csv}")
    bad = [r for r in res.rows if r.get("status") == "error"]
    for r in bad[:3]:  # the full messages are in the CSV's error column
        print(f"failed: {r.get('point')}: {r.get('error')}", file=sys.stderr)
    if len(bad) > 3:
        print(f"... and {len(bad) - 3} more failed points (see the error column of {res.csv})", file=sys.stderr)
    return 1 if res.failed else 0
