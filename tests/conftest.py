"""Shared fixtures: a tiny valid architecture and a tiny valid workload folder.

Both are small enough that loading them takes milliseconds. Tests that need a
broken variant copy the fixture, change one thing and write it again:

    def test_x(tiny_workload):
        tiny_workload.node("fc")["attrs"]["transA"] = 1
        with pytest.raises(InputError) as err:
            load_workload(tiny_workload.write())
        expect_problem(err.value, tiny_workload.path, "nodes[4].attrs.transA", "must be 0")
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import yaml
from pydantic import BaseModel

from accelsim.config.arch import Arch
from accelsim.errors import InputError, Problem
from accelsim.workload.builder import WorkloadBuilder

# A tiny architecture: one small PIM macro, two spike cores on a 2 x 1 mesh. Every
# value differs from the model default, so a test can tell it was read.
TINY_ARCH_YAML = """\
name: tiny
tech:
  node: 45nm
  clock_mhz: 250.0
pim:
  macros: 1
  rows: 16
  cols: 16
  cell_bits: 2
  weight_bits: 4
  input_bits: 4
  dac_bits: 1
  adc_bits: 4
  adc_share: 4
  adc_model: survey
core:
  count: 2
  lanes: 4
  weight_sram_kib: 8.0
  vmem_sram_kib: 2.0
noc:
  mesh_x: 2
  mesh_y: 1
memory:
  dram_bandwidth_gb_per_s: 6.4
"""


@pytest.fixture
def tiny_arch_dict() -> dict:
    """The tiny architecture as a fresh, mutable dict."""
    return yaml.safe_load(TINY_ARCH_YAML)


@pytest.fixture
def arch_file(tmp_path: Path) -> Path:
    """The tiny architecture written to ``tmp_path/arch.yaml``."""
    path = tmp_path / "arch.yaml"
    path.write_text(TINY_ARCH_YAML, encoding="utf-8")
    return path


@pytest.fixture
def write_arch(tmp_path: Path) -> Callable[..., Path]:
    """``write_arch(dict_or_text, name="bad.yaml")`` → path of the written YAML."""

    def write(content: dict | str, name: str = "bad.yaml") -> Path:
        path = tmp_path / name
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write


# --------------------------------------------------------------------------
# workload: Conv1d(1->2, k=3, pad 1) -> LIF -> AveragePool(2) -> Flatten -> Gemm(8->3)

TINY_INPUT_SHAPE = (1, 8)
TINY_TIMESTEPS = 2
TINY_NODES = ("conv", "lif", "pool", "flat", "fc")  # file order = topological order


def build_tiny_workload(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    b = WorkloadBuilder("tiny", input_shape=TINY_INPUT_SHAPE, timesteps=TINY_TIMESTEPS)
    h = b.conv("conv", b.input, rng.normal(size=(2, 1, 3)), np.zeros(2), pads=[1, 1])
    s = b.neuron("lif", h, "LIF", threshold=0.5, leak=0.9)
    p = b.pool("pool", s, "avg", [2], strides=[2])
    f = b.flatten("flat", p)
    y = b.gemm("fc", f, rng.normal(size=(3, 8)), np.zeros(3), trans_b=True)
    b.readout(y)
    x = rng.random((4,) + TINY_INPUT_SHAPE)
    return b.write(folder, samples=(x, np.array([0, 1, 2, 0])))


@dataclass
class TinyWorkload:
    """A valid workload folder plus its parts in memory, ready to be broken and rewritten."""

    folder: Path
    doc: dict[str, Any]
    tensors: dict[str, np.ndarray]
    samples: dict[str, np.ndarray]

    @property
    def path(self) -> Path:
        return self.folder / "workload.json"

    def index(self, name: str) -> int:
        return next(i for i, nd in enumerate(self.doc["nodes"]) if nd["name"] == name)

    def node(self, name: str) -> dict[str, Any]:
        return self.doc["nodes"][self.index(name)]

    def write(self) -> Path:
        """Write ``doc``, ``tensors`` and ``samples`` back; return the workload path."""
        self.path.write_text(json.dumps(self.doc, indent=1), encoding="utf-8")
        np.savez(self.folder / "tensors.npz", **self.tensors)
        np.savez(self.folder / "samples.npz", **self.samples)
        return self.path


@pytest.fixture
def workload_file(tmp_path: Path) -> Path:
    """A valid tiny workload folder; the path of its ``workload.json``."""
    return build_tiny_workload(tmp_path / "tiny")


@pytest.fixture
def tiny_workload(workload_file: Path) -> TinyWorkload:
    folder = workload_file.parent
    with np.load(folder / "tensors.npz") as t, np.load(folder / "samples.npz") as s:
        tensors, samples = {k: t[k] for k in t.files}, {k: s[k] for k in s.files}
    doc = json.loads(workload_file.read_text(encoding="utf-8"))
    return TinyWorkload(folder, doc, tensors, samples)


# --------------------------------------------------------------------------
# the architecture's fields

def arch_fields(model: type[BaseModel] = Arch, prefix: str = "") -> list[tuple[str, Any]]:
    """(dotted key, field info) of every leaf field of Arch, section by section (nested sections too)."""
    out = []
    for name, info in model.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out += arch_fields(ann, f"{prefix}{name}.")
        else:
            out.append((prefix + name, info))
    return out


# --------------------------------------------------------------------------
# checking messages

def _expect_problem(err: InputError, file: str | Path, path: str, *fragments: str,
                    value: Any = ..., only: bool = True) -> Problem:
    """Assert ``err`` holds a problem for ``file`` at ``path`` whose text has every fragment.

    The printed message (what the CLI shows) must name the file, the dotted path and
    the fragments too. ``only``: it is the sole problem. ``value``: the offending value.
    """
    assert isinstance(err, InputError), f"expected InputError, got {type(err).__name__}: {err}"
    matches = [p for p in err.problems if p.file == str(file) and p.path == path]
    assert matches, f"no problem at {file}: {path}; got:\n{err.format()}"
    prob = matches[0]
    text = str(prob)
    for frag in fragments:
        assert frag in text, f"{frag!r} not in {text!r}"
    if value is not ...:
        assert prob.value == value, f"value {prob.value!r} != {value!r}"
    if only:
        assert len(err.problems) == 1, f"expected one problem, got:\n{err.format()}"
    printed = err.format()
    assert printed.startswith("error: ")
    for frag in (str(file), path, *fragments):
        assert frag in printed
    return prob


@pytest.fixture
def expect_problem() -> Callable[..., Problem]:
    """``expect_problem(err, file, "pim.adc_bits", "must be ...")``: see :func:`_expect_problem`."""
    return _expect_problem
