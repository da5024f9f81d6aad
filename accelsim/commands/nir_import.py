"""``accelsim import GRAPH.nir -o WORKLOAD_DIR --dt DT``: a NIR graph as a workload."""
from __future__ import annotations

import sys
from pathlib import Path

from accelsim.errors import fail

NAME = "import"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help="import a NIR graph (snnTorch, Norse, ... export) as a workload folder",
                       description="Import a NIR graph as a workload (see docs/importing.md for the equations).")
    p.add_argument("graph", help="the .nir file (HDF5, written by nir.write)")
    p.add_argument("-o", "--out", required=True, metavar="WORKLOAD_DIR", help="folder to write the workload into")
    p.add_argument("--dt", type=float, required=True,
                   help="time step, in the graph's time unit (snnTorch exports assume dt = 1e-4)")
    p.add_argument("--discretisation", choices=("euler", "exact"), default="euler",
                   help="forward Euler (default; what snnTorch and Norse step) or exact exponential")
    p.add_argument("--timesteps", type=int, default=None,
                   help="time steps per inference (default: recorded by accelsim export; else required)")
    p.add_argument("--encoding", choices=("sequence", "direct"), default=None,
                   help="input per step (sequence, default) or the same input at every step (direct)")
    p.add_argument("--samples", default=None, metavar="FILE.npz", help="samples (x, y optional) to store with the workload")
    p.add_argument("--name", default=None, help="workload name (default: recorded, else the file's stem)")
    p.add_argument("--arch", default=None, metavar="ARCH.yaml",
                   help="warn when this architecture stores fewer weight bits than the model was trained for")


def run(args) -> int:
    from accelsim.util.io import output_dir
    from accelsim.convert.nir_import import NirOptions, import_nir
    from accelsim.convert.precision import record_precision, synaptic_weights
    from accelsim.workload.loader import check_samples, load_npz

    if args.timesteps is not None and not 1 <= args.timesteps <= 100_000:
        raise fail("--timesteps", "", "must be an integer in [1, 100000]", args.timesteps)
    out = output_dir(args.out, "workload folder", create=False)  # written only when the conversion succeeds
    opts = NirOptions(dt=args.dt, discretisation=args.discretisation, timesteps=args.timesteps,
                      encoding=args.encoding, name=args.name)
    b = import_nir(args.graph, opts)
    for warning in record_precision(b.doc, synaptic_weights(b.doc, b.tensors), args.arch):
        print(warning, file=sys.stderr)
    samples = None
    if args.samples is not None:
        s = check_samples(load_npz(Path(args.samples), args.samples, "", args.samples), b.graph(), args.samples, "")
        samples = (s.x, s.y)
    meta = {"generator": "accelsim import", "source_graph": Path(args.graph).name, "dt": args.dt,
            "discretisation": args.discretisation}
    path = b.write(out, samples=samples, metadata=meta)
    print(f"wrote {path}", file=sys.stderr)
    return 0
