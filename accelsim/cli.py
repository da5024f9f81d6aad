"""Command-line interface: ``accelsim run|validate|schema|...``.

The only place that turns exceptions into exit codes: bad input
(:class:`InputError`) prints its problems and exits 2, without a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence

from accelsim.version import __version__
from accelsim.errors import InputError, fail
from accelsim.util import threads


def _add_run(sub) -> None:
    p = sub.add_parser("run", help="simulate a workload on an architecture, write OUTDIR/report.json")
    p.add_argument("arch", help="architecture YAML")
    p.add_argument("workload", help="workload JSON")
    p.add_argument("-o", "--out", required=True, help="output folder (report.json is written there)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="override a dotted arch key (pim.adc_bits=4) or workload.timesteps; repeatable")
    p.add_argument("--samples", type=int, default=None, metavar="N", help="simulate only the first N samples")
    p.add_argument("--inputs", default=None, metavar="FILE.npz",
                   help="inputs replacing the workload's samples: x [N, *input] or [N, T, *input], y optional")
    p.add_argument("--backend", choices=("numba", "numpy"), default="numba",
                   help="numba event-driven kernels (default) or the numpy reference")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="worker processes over the samples for the functional pass (default: automatic, one per "
                        "core for large runs, in-process for small ones); the report is the same for any N")
    p.add_argument("--scheduler", choices=("fast", "simpy"), default="fast",
                   help="the numba scheduler (default) or its simpy specification; the same schedule, recorded "
                        "as timing.scheduler in report.json")
    p.add_argument("--timeline", default=None, metavar="FILE.csv",
                   help="write the schedule: one row per task (resource,layer,step,start_ns,end_ns,kind)")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary, no progress bar")


def _add_validate(sub) -> None:
    v = sub.add_parser("validate", help="check architecture (.yaml) and workload (.json) files")
    v.add_argument("files", nargs="+")


def _add_schema(sub) -> None:
    s = sub.add_parser("schema", help="print the JSON Schema of a file format")
    s.add_argument("which", choices=("arch", "workload"))


def _builtin_commands() -> list[tuple[str, Callable, Callable]]:
    return [("run", _add_run, cmd_run), ("validate", _add_validate, cmd_validate),
            ("schema", _add_schema, cmd_schema)]


# Further subcommands live in their own modules under accelsim/commands/, each with
# ``NAME`` (the subcommand), ``add_parser(sub)`` and ``run(args) -> int``; list the
# module names here.
COMMAND_MODULES: tuple[str, ...] = ("sweep", "plot", "convert", "nir_import", "nir_export", "macro")


def _commands() -> list[tuple[str, Callable, Callable]]:
    cmds = _builtin_commands()
    for module in COMMAND_MODULES:
        mod = importlib.import_module(f"accelsim.commands.{module}")
        cmds.append((mod.NAME, mod.add_parser, mod.run))
    return cmds


def build_parser() -> argparse.ArgumentParser:
    import accelsim

    parser = argparse.ArgumentParser(prog="accelsim", description=accelsim.__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"accelsim {__version__}")
    parser.add_argument("--threads", default=None, metavar="N",
                        help="threads of the numba kernels within one process (BLAS gets one; default: "
                             "$ACCELSIM_THREADS, else every core; docs/performance.md)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, add, func in _commands():
        add(sub)
        sub.choices[name].set_defaults(func=func)
    return parser


def cmd_run(args) -> int:
    from accelsim.simulate import run_simulation
    from accelsim.report.summary import summary
    from accelsim.util.io import atomic_write_json, output_dir, output_file

    if args.samples is not None and args.samples < 1:
        raise fail("--samples", "", "must be a positive integer", args.samples)
    out = Path(args.out)
    if out.exists() and not out.is_dir():  # before loading anything
        raise fail(str(out), "", "output path exists and is not a folder")

    def outputs_writable(job) -> None:
        output_dir(out)
        if args.timeline:
            output_file(args.timeline, "timeline file")
        # report.json is written last and marks a finished run: an old one goes before the new timeline
        # is written, so an interrupted run never leaves a new timeline beside an old report
        (out / "report.json").unlink(missing_ok=True)
        if args.samples is not None and args.samples > len(job.data):
            print(f"note: --samples {args.samples}: there are only {len(job.data)} samples; simulating all of them",
                  file=sys.stderr)

    report = run_simulation(args.arch, args.workload, sets=args.sets, samples=args.samples, inputs=args.inputs,
                            backend=args.backend, progress=not args.quiet and sys.stderr.isatty(),
                            timeline=args.timeline, before_run=outputs_writable, scheduler=args.scheduler,
                            jobs=args.jobs)
    atomic_write_json(out / "report.json", report)
    if not args.quiet:
        print(summary(report))
        print(f"\nwrote {out / 'report.json'}")
    return 0


def cmd_validate(args) -> int:
    from accelsim.config.loader import load_arch
    from accelsim.workload.loader import load_workload

    bad = 0
    for f in args.files:
        try:
            suffix = Path(f).suffix.lower()
            if suffix in (".yaml", ".yml"):
                load_arch(f)
            elif suffix == ".json":
                load_workload(f)
            else:
                raise fail(f, "", "unknown file type; expected an architecture .yaml/.yml or a workload .json")
            print(f"ok: {f}")
        except InputError as exc:
            bad += 1
            print(exc.format(), file=sys.stderr)
    return 2 if bad else 0


def cmd_schema(args) -> int:
    from accelsim.schema import arch_schema, workload_schema

    schema = arch_schema() if args.which == "arch" else workload_schema()
    print(json.dumps(schema, indent=2))
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        threads.set_threads(threads.requested(args.threads))
        return args.func(args)
    except InputError as exc:
        print(exc.format(), file=sys.stderr)
        return 2
    except OSError as exc:  # a file the user named could not be read or written
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
