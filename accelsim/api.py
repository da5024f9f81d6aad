"""The Python API: what the CLI does, for notebooks (see docs/api.md).

    import accelsim
    r = accelsim.run("arch_configs/ace_snn_pim.yaml", "workloads/digits/workload.json",
                     set={"pim.adc_bits": 4}, samples=20)
    r.energy_pj, r.latency_ns, r.edp, r.breakdown, r.layers[0].sparsity

An architecture is a path, a dict shaped like the YAML, an :class:`~accelsim.config.Arch` or an
:class:`~accelsim.config.loader.ArchSpec`; a workload is a path, a
:class:`~accelsim.workload.builder.WorkloadBuilder` or a :class:`~accelsim.workload.graph.Graph`.
``set`` takes ``{"dotted.key": value}`` like ``--set``. ``accelsim.run(...).to_json()`` is the text
``accelsim run`` writes to report.json for the same inputs. Every error is an
:class:`accelsim.AccelsimError` (an :class:`~accelsim.errors.InputError` carries ``file``,
``path``, ``value`` and ``allowed``).
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

from accelsim.errors import AccelsimError, InputError, fail

PathLike = Union[str, os.PathLike]
Sets = Union[Mapping[str, Any], Iterable[str], None]
PYTHON = "<python>"   # the file name errors and reports give an object built in Python

__all__ = ["AccelsimError", "InputError", "Report", "LayerResult", "run", "sweep", "load_arch", "load_workload",
           "convert", "import_nir"]


def _pairs(sets: Sets) -> list[tuple[str, Any]]:
    from accelsim.config.loader import parse_set

    if sets is None:
        return []
    if isinstance(sets, Mapping):
        return [(str(k), v) for k, v in sets.items()]
    if isinstance(sets, str):
        return [parse_set(sets)]
    return [parse_set(s) if isinstance(s, str) else tuple(s) for s in sets]


def load_arch(arch: Any, set: Sets = None):
    """An :class:`~accelsim.config.loader.ArchSpec` (validated architecture and its tech table) from a
    path, a dict, an ``Arch`` or an ``ArchSpec``, with ``set`` applied (arch keys only)."""
    from accelsim.config.arch import Arch
    from accelsim.config.loader import ArchSpec, apply_sets, load_arch as load_file, spec_from_raw

    pairs = [(k, v) for k, v in _pairs(set) if not k.startswith("workload.")]
    if isinstance(arch, (str, os.PathLike)):
        return load_file(arch, pairs)
    if isinstance(arch, ArchSpec) and not pairs:
        return arch
    if isinstance(arch, ArchSpec):
        raw, file = arch.arch.model_dump(), arch.source
    elif isinstance(arch, Arch):
        raw, file = arch.model_dump(), PYTHON
    elif isinstance(arch, Mapping):
        raw, file = dict(arch), PYTHON
    else:
        raise fail(PYTHON, "", "an architecture is a path, a dict, an Arch or an ArchSpec", type(arch).__name__)
    return spec_from_raw(apply_sets(raw, pairs, file), file, {k for k, _ in pairs})


def load_workload(workload: Any, set: Sets = None):
    """A validated :class:`~accelsim.workload.graph.Graph` from a path, a ``WorkloadBuilder`` or a
    ``Graph``, with ``set`` applied (the ``workload.*`` keys a file accepts, e.g. ``workload.timesteps``)."""
    from accelsim.workload.builder import WorkloadBuilder
    from accelsim.workload.graph import Graph
    from accelsim.workload.loader import graph_from_doc, load_workload as load_file, set_workload_key

    pairs = [(k, v) for k, v in _pairs(set) if k.startswith("workload.")]
    if isinstance(workload, (str, os.PathLike)):
        return load_file(workload, pairs)
    if isinstance(workload, WorkloadBuilder):
        doc, tensors, samples, file = workload.spec(), workload.tensors, None, f"<{workload.doc['name']}>"
    elif isinstance(workload, Graph):
        if not pairs:
            return workload
        doc, tensors, samples, file = workload.spec.model_dump(), workload.tensors, workload.samples, workload.source
    else:
        raise fail(PYTHON, "", "a workload is a path, a WorkloadBuilder or a Graph", type(workload).__name__)
    for key, value in pairs:
        doc = set_workload_key(doc, key, value, file)
    graph = graph_from_doc(doc, tensors, file)
    return replace(graph, samples=samples) if samples is not None else graph


def _samples(graph, inputs: Any):
    """The samples to run: the workload's own, a ``.npz`` path, or arrays ``(x, y)`` / ``{"x", "y"}``."""
    from accelsim.workload.loader import check_samples, load_inputs

    if inputs is None:
        if graph.samples is None:
            raise fail(graph.source, "samples", "the workload has no samples; pass inputs=(x, y) or a .npz path")
        return graph.samples, graph.samples.source
    if isinstance(inputs, (str, os.PathLike)):
        return load_inputs(inputs, graph), str(inputs)
    if isinstance(inputs, Mapping):
        data = dict(inputs)
    elif isinstance(inputs, Sequence) and len(inputs) in (1, 2):
        data = {"x": inputs[0]} if len(inputs) == 1 or inputs[1] is None else {"x": inputs[0], "y": inputs[1]}
    else:
        data = {"x": inputs}
    import numpy as np

    return check_samples({k: np.asarray(v) for k, v in data.items()}, graph, "inputs", ""), PYTHON


@dataclass(frozen=True)
class LayerResult:
    """One layer of a report (all of its report.json keys are in ``data``)."""

    name: str
    engine: str
    energy_pj: float
    latency_ns: float
    synaptic_ops: float
    spikes_out: float
    sparsity: float
    breakdown: dict
    data: dict


@dataclass(frozen=True)
class Report:
    """The result of :func:`run`: report.json as typed fields; ``data`` is the whole dict."""

    data: dict

    @property
    def energy_pj(self) -> float:
        return self.data["per_inference"]["energy_pj"]

    @property
    def latency_ns(self) -> float:
        return self.data["per_inference"]["latency_ns"]

    @property
    def edp(self) -> float:
        """Energy-delay product per inference (pJ ns)."""
        return self.data["per_inference"]["edp_pj_ns"]

    @property
    def accuracy(self) -> Optional[float]:
        return self.data.get("accuracy")

    @property
    def breakdown(self) -> dict[str, float]:
        """Energy per inference by component (pJ)."""
        return dict(self.data["energy_breakdown_pj"])

    @property
    def layers(self) -> list[LayerResult]:
        return [LayerResult(l["name"], l["engine"], l["energy_pj"], l["latency_ns"], l["synaptic_ops"],
                            l["spikes_out"], l["sparsity"], dict(l["energy_breakdown_pj"]), l)
                for l in self.data["layers"]]

    def to_json(self) -> str:
        """The text ``accelsim run`` writes to report.json."""
        return json.dumps(self.data, indent=2, sort_keys=False, allow_nan=False) + "\n"

    def save(self, path: PathLike) -> Path:
        """Write report.json (atomically) to ``path``."""
        from accelsim.util.io import atomic_write_text

        atomic_write_text(path, self.to_json())
        return Path(path)

    def plot(self, kind: str = "breakdown", path: Optional[PathLike] = None):
        """The ``breakdown`` or ``activity`` figure (a matplotlib Figure); also saved when ``path`` is given."""
        from accelsim.plot.activity import plot_activity
        from accelsim.plot.breakdown import plot_breakdown
        from accelsim.plot.report_input import checked_report

        figures = {"breakdown": plot_breakdown, "activity": plot_activity}
        if kind not in figures:
            raise fail("kind", "", f"a report can be plotted as: {', '.join(figures)}", kind)
        fig = figures[kind](checked_report(self.data, PYTHON))
        if path is not None:
            from accelsim.plot.style import output_format, save

            output_format(path)
            save(fig, path)
        return fig


def run(arch: Any, workload: Any, set: Sets = None, samples: Optional[int] = None, inputs: Any = None,
        backend: str = "numba", scheduler: str = "fast", timeline: Optional[PathLike] = None,
        jobs: Optional[int] = None) -> Report:
    """Simulate ``workload`` on ``arch`` (like ``accelsim run``); see the module docstring. ``jobs``:
    worker processes over the samples (None: automatic; the report is the same for any number)."""
    from accelsim.simulate import Job, run_job
    from accelsim.util import threads

    threads.ensure()   # numba on every core, BLAS too when it may share them, unless set (util/threads.py)
    if samples is not None and (type(samples) is not int or samples < 1):
        raise fail("samples", "", "must be a positive integer", samples)
    spec = load_arch(arch, set)
    graph = load_workload(workload, set)
    data, label = _samples(graph, inputs)
    if samples is not None:
        data = data.head(samples)
    arch_file = str(arch) if isinstance(arch, (str, os.PathLike)) else spec.source
    workload_file = str(workload) if isinstance(workload, (str, os.PathLike)) else graph.source
    job = Job(spec, graph, data, arch_file, workload_file, label)
    return Report(run_job(job, backend=backend, scheduler=scheduler,
                          timeline=None if timeline is None else str(timeline), jobs=jobs))


def _as_file(obj: Any, folder: Path, kind: str) -> str:
    """A sweep's workers read files: an object is written into the sweep folder first."""
    if isinstance(obj, (str, os.PathLike)):
        return str(obj)
    if kind == "arch":
        from accelsim.util.io import atomic_write_text
        import yaml

        path = folder / "arch.yaml"
        atomic_write_text(path, yaml.safe_dump(load_arch(obj).arch.model_dump(), sort_keys=False))
        return str(path)
    from accelsim.workload.builder import WorkloadBuilder

    if isinstance(obj, WorkloadBuilder):
        return str(obj.write(folder / "workload"))
    raise fail(PYTHON, "", "a sweep's workload is a path or a WorkloadBuilder", type(obj).__name__)


def sweep(arch: Any, workload: Any, grid: Mapping[str, Sequence[Any]], out: Optional[PathLike] = None,
          executor: str = "local", workers: Optional[int] = None, set: Sets = None, samples: Optional[int] = None,
          inputs: Optional[PathLike] = None, address: Optional[str] = None, random: Optional[int] = None,
          seed: int = 0, backend: str = "numba") -> list[dict[str, Any]]:
    """Run (or resume) a design-space sweep like ``accelsim sweep``: one row per design point
    (``point``, ``status``, the metrics), in grid order. ``grid``: ``{"pim.adc_bits": [4, 6, 8]}``;
    ``out``: the sweep folder (results.csv, journal; default a new temporary folder)."""
    from accelsim.sweep import SweepSpec, parse_grid, run_sweep

    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="accelsim-sweep-"))
    if not isinstance(grid, Mapping) or not grid:
        raise fail("grid", "", "a dict of dotted key -> list of values, e.g. {'pim.adc_bits': [4, 6]}", grid)
    items = []
    for key, values in grid.items():
        values = list(values) if isinstance(values, (list, tuple, range)) else [values]
        items.append(f"{key}=" + ",".join(json.dumps(v) if not isinstance(v, str) else v for v in values))
    arch_file, workload_file = _as_file(arch, folder, "arch"), _as_file(workload, folder, "workload")
    spec = SweepSpec(arch_file, workload_file, parse_grid(items), tuple(_pairs(set)), samples,
                     None if inputs is None else str(inputs), backend, random, seed)
    return run_sweep(spec, folder, executor=executor, workers=workers, address=address).rows


def convert(model: PathLike, calib: Any, timesteps: int = 32, samples: Any = None, out: Optional[PathLike] = None,
            name: Optional[str] = None, **options: Any):
    """An ONNX ANN converted to a spiking workload (like ``accelsim convert``): a
    :class:`~accelsim.workload.builder.WorkloadBuilder`, written to ``out`` when given. ``calib``:
    calibration inputs (an array, or a ``.npz`` path with ``x``); ``options``: the fields of
    :class:`~accelsim.convert.onnx_import.ConvertOptions` (neuron, leak, reset, balance, ...)."""
    import numpy as np

    from accelsim.convert.onnx_graph import read_onnx
    from accelsim.convert.onnx_import import ConvertOptions, load_xy, to_snn

    try:
        opts = ConvertOptions(timesteps=timesteps, **options)
    except TypeError as exc:
        raise fail("convert", "", f"unknown option: {exc}") from None
    ann = read_onnx(str(model), name=name or Path(model).stem, timesteps=timesteps)
    x = load_xy(calib, "calibration", ann.input_shape)[0] if isinstance(calib, (str, os.PathLike)) else np.asarray(calib)
    builder, _info = to_snn(ann, x, opts, name=name or Path(model).stem)
    if out is not None:
        builder.write(out, samples=samples)
    return builder


def import_nir(graph: Any, dt: float = 1.0, timesteps: Optional[int] = None, out: Optional[PathLike] = None,
               discretisation: str = "euler", encoding: Optional[str] = None, name: Optional[str] = None,
               samples: Any = None):
    """A NIR graph (a ``.nir`` path or a ``nir.NIRGraph``) as a workload, like ``accelsim import``: a
    :class:`~accelsim.workload.builder.WorkloadBuilder`, written to ``out`` when given."""
    from accelsim.convert.nir_import import NirOptions, import_nir as from_nir

    opts = NirOptions(dt=dt, discretisation=discretisation, timesteps=timesteps, encoding=encoding, name=name)
    file = str(graph) if isinstance(graph, (str, os.PathLike)) else "<nir>"
    builder = from_nir(str(graph) if isinstance(graph, os.PathLike) else graph, opts, file=file)
    if out is not None:
        builder.write(out, samples=samples)
    return builder
