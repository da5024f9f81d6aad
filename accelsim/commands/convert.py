"""``accelsim convert MODEL.onnx --calib CALIB.npz -o WORKLOAD_DIR``: ONNX ANN -> SNN workload."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from accelsim.errors import fail

NAME = "convert"


def _p(text: str):
    if text == "auto":
        return "auto"
    try:
        v = float(text)
    except ValueError:
        v = -1.0
    if not 0.0 < v <= 1.0:
        raise fail("--ratenorm-p", "", "must be a number in (0, 1] or 'auto'", text)
    return v


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help="convert an ONNX ANN (ReLU) into an SNN workload folder",
                       description="Convert an ONNX ANN into an SNN workload (see docs/importing.md).")
    p.add_argument("model", help="the .onnx file")
    p.add_argument("--calib", required=True, metavar="CALIB.npz",
                   help="calibration inputs x [N, *input] (y optional: labelled samples for the workload)")
    p.add_argument("-o", "--out", required=True, metavar="WORKLOAD_DIR", help="folder to write the workload into")
    p.add_argument("--samples", default=None, metavar="FILE.npz",
                   help="labelled samples (x, y) for the workload; default: the calibration file if it has y")
    p.add_argument("--name", default=None, help="workload name (default: the model file's stem)")
    p.add_argument("--timesteps", type=int, default=32, help="time steps per inference (default 32)")
    p.add_argument("--neuron", choices=("IF", "LIF"), default="IF", help="spiking neuron (default IF)")
    p.add_argument("--leak", type=float, default=1.0, help="LIF leak per step in [0, 1] (default 1)")
    p.add_argument("--reset", choices=("subtract", "zero"), default="subtract", help="reset mode (default subtract)")
    p.add_argument("--v-init", type=float, default=0.5,
                   help="initial membrane as a fraction of the threshold, in [0, 1) (default 0.5: spike counts "
                        "round instead of floor)")
    p.add_argument("--balance", choices=("max", "percentile", "ratenorm"), default="max",
                   help="threshold balancing from the calibration activations (default max)")
    p.add_argument("--percentile", type=float, default=99.9, help="percentile for --balance percentile (default 99.9)")
    p.add_argument("--ratenorm-p", type=str, default="auto",
                   help="Ding et al.'s p for --balance ratenorm: a number in (0, 1], or auto (default)")
    p.add_argument("--maxpool", choices=("spike", "or", "avg"), default="spike",
                   help="MaxPool of time-varying values: spike = spiking max-pool whose rate converges to the "
                        "ANN's max (default); or = keep MaxPool (an OR of spikes); avg = every MaxPool an "
                        "average pool")
    p.add_argument("--coding", choices=("rate", "fs"), default="rate",
                   help="rate: IF/LIF neurons over --timesteps (default); fs: few-spikes neurons, --phases K, one pass")
    p.add_argument("--phases", type=int, default=8, help="K, phases of the FS neurons (--coding fs; default 8)")
    p.add_argument("--weight-bits", type=int, default=None, help="quantise weights to this many bits (symmetric)")
    p.add_argument("--check-samples", type=int, default=None, metavar="N",
                   help="check the SNN against the ANN on the first N samples (default: all; 0: no check)")
    p.add_argument("--arch", default=None, metavar="ARCH.yaml",
                   help="warn when this architecture stores fewer weight bits than the model was trained for")


def run(args) -> int:
    from accelsim.util.io import output_dir
    from accelsim.convert.onnx_graph import read_onnx
    from accelsim.convert.onnx_import import ConvertOptions, load_xy, to_snn
    from accelsim.engine.ann import run_ann
    from accelsim.convert.precision import record_precision, synaptic_weights

    if not 1 <= args.timesteps <= 100_000:
        raise fail("--timesteps", "", "must be an integer in [1, 100000]", args.timesteps)
    if not 0.0 <= args.leak <= 1.0:
        raise fail("--leak", "", "must be in [0, 1]", args.leak)
    if not 0.0 <= args.v_init < 1.0:
        raise fail("--v-init", "", "must be in [0, 1) (a fraction of the threshold)", args.v_init)
    if not 0.0 < args.percentile <= 100.0:
        raise fail("--percentile", "", "must be in (0, 100]", args.percentile)
    if not 1 <= args.phases <= 32:
        raise fail("--phases", "", "must be an integer in [1, 32]", args.phases)
    if args.coding == "fs" and args.balance == "ratenorm":
        raise fail("--balance", "", "ratenorm is a rate-coding method; with --coding fs use max or percentile",
                   args.balance)
    if args.weight_bits is not None and not 1 <= args.weight_bits <= 32:
        raise fail("--weight-bits", "", "must be an integer in [1, 32]", args.weight_bits)
    if args.check_samples is not None and args.check_samples < 0:
        raise fail("--check-samples", "", "must be an integer >= 0 (0: no check)", args.check_samples)
    out = output_dir(args.out, "workload folder", create=False)  # written only when the conversion succeeds
    name = args.name or Path(args.model).stem
    opts = ConvertOptions(timesteps=args.timesteps, neuron=args.neuron, leak=args.leak, reset=args.reset,
                          v_init=args.v_init, balance=args.balance, percentile=args.percentile,
                          ratenorm_p=_p(args.ratenorm_p), maxpool=args.maxpool, weight_bits=args.weight_bits,
                          coding=args.coding, phases=args.phases)
    ann = read_onnx(args.model, name=name, timesteps=1 if args.coding == "fs" else args.timesteps)
    calib_x, calib_y = load_xy(args.calib, "calibration", ann.input_shape)
    samples = None
    if args.samples is not None:
        sx, sy = load_xy(args.samples, "samples", ann.input_shape)
        samples = (sx, sy)
    elif calib_y is not None:
        samples = (calib_x, calib_y)
    builder, info = to_snn(ann, calib_x, opts, name=name)
    for warning in record_precision(builder.doc, synaptic_weights(ann.builder.doc, ann.builder.tensors), args.arch):
        print(warning, file=sys.stderr)
    meta = {"generator": "accelsim convert", "source_model": Path(args.model).name, "conversion": info}
    ann_g, snn_g = ann.builder.graph(), builder.graph()   # each built (validated) once
    ann_pred = None
    if samples is not None and samples[1] is not None:
        ncls = int(snn_g.num_classes)
        if samples[1].min() < 0 or samples[1].max() >= ncls:
            raise fail(args.samples or args.calib, "y", f"labels must be in [0, {ncls - 1}] (the model has {ncls} outputs)",
                       [int(samples[1].min()), int(samples[1].max())])
        ann_pred = run_ann(ann_g, samples[0]).argmax(1)   # the check reuses it
        meta["ann_accuracy"] = float((ann_pred == samples[1]).mean())
    check = _check(ann_g, snn_g, builder, info, samples or (calib_x, None), args.check_samples, ann_pred)
    if check is not None:
        meta["check"] = check.as_dict()
    path = builder.write(out, samples=samples, metadata=meta)
    print(json.dumps({"workload": str(path), "timesteps": info["timesteps"], "coding": opts.coding,
                      "phases": info["phases"], "balance": opts.balance, "maxpool": opts.maxpool,
                      "activation_scale": info["activation_scale"],
                      "ann_accuracy": meta.get("ann_accuracy"), "check": meta.get("check")}, indent=1))
    if info["pools_changed"]:
        print(f"note: max-pool(s) {', '.join(info['pools_changed'])} converted with --maxpool {opts.maxpool}: "
              f"{'; '.join(info['pools'][p] for p in info['pools_changed'])}", file=sys.stderr)
    if check is not None:
        print(check.summary(), file=sys.stderr)
        if check.warning:
            print(f"warning: {check.warning}", file=sys.stderr)
    print(f"wrote {path}", file=sys.stderr)
    return 0


def _check(ann_g, snn_g, builder, info: dict, samples: tuple, limit, ann_pred=None):
    """The SNN-vs-ANN check on the first ``limit`` samples (all when None, skipped when 0);
    ``ann_pred``: the ANN's predictions on ``samples`` when already computed."""
    from accelsim.convert.check import check_conversion

    x, y = samples
    if limit == 0:
        return None
    n = len(x) if limit is None else min(limit, len(x))
    print(f"checking the SNN (T = {builder.doc['timesteps']}) against the ANN on {n} samples "
          "(--check-samples N to limit, 0 to skip) ...", file=sys.stderr)
    return check_conversion(ann_g, snn_g, x[:n], None if y is None else y[:n], info,
                            ann_pred if n == len(x) else None)   # a prefix is run again (same batches)
