"""Seeded fuzzing of every input the CLI reads: mutated architecture YAML, workload JSON,
tensor and sample ``.npz`` and ``--set`` values. Every case must end in exit 0 or 2 (a clean
:class:`InputError`), never a traceback, never a report holding NaN or inf.

CI runs ``ACCELSIM_FUZZ_EXAMPLES`` cases (default 300, about 17 s on 2 cores) with a fixed
seed; a local campaign sets it higher (``ACCELSIM_FUZZ_EXAMPLES=10000``).
"""
from __future__ import annotations

import io
import json
import math
import os
import tempfile
import time
from pathlib import Path

import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from accelsim.cli import main  # noqa: E402

from conftest import TINY_ARCH_YAML, build_tiny_workload  # noqa: E402

EXAMPLES = int(os.environ.get("ACCELSIM_FUZZ_EXAMPLES", "300"))
BUDGET_S = float(os.environ.get("ACCELSIM_FUZZ_BUDGET_S", "30"))

_BASE: dict[str, bytes] = {}


def base_files() -> dict[str, bytes]:
    """The tiny arch and workload folder as bytes (built once)."""
    if not _BASE:
        with tempfile.TemporaryDirectory() as d:
            wl = build_tiny_workload(Path(d) / "tiny")
            for f in wl.parent.iterdir():
                _BASE[f.name] = f.read_bytes()
        _BASE["arch.yaml"] = TINY_ARCH_YAML.encode()
    return dict(_BASE)


SCALARS = st.one_of(
    st.integers(min_value=-2**70, max_value=2**70), st.sampled_from([0, 1, -1, 2**31, 2**63, 2**64, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e300, 1e-300, -0.0, 5e-324]),
    st.text(max_size=12), st.sampled_from(["4", "true", "", "nan", "1e3", "\x00", "../x", "/dev/zero"]),
    st.booleans(), st.none())
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                      max_leaves=6)
JUNK = st.text(alphabet=st.sampled_from(list(":&*[]{}!-#'\" \t\n,|>%@`0123456789.eE+\\x\x00é")), max_size=12)


DEEP = "__deep__"
DEEP_TEXT = "[" * 3000 + "]" * 3000


def _paths(doc, prefix=()):
    """Every (path, container) of a JSON-like document."""
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, prefix + (i,))
    return out


def _set_at(doc, path, value, delete=False):
    if not path:
        return value
    parent = doc
    for p in path[:-1]:
        parent = parent[p]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


def mutate_doc(data, doc):
    paths = _paths(doc)
    path = data.draw(st.sampled_from(paths))
    op = data.draw(st.sampled_from(["replace", "replace", "delete", "add", "deep"]))
    if op == "delete" and path:
        return _set_at(doc, path, None, delete=True)
    if op == "add":
        target = path[:-1] if path else ()
        parent = doc
        for p in target:
            parent = parent[p]
        if isinstance(parent, dict):
            parent[data.draw(st.text(max_size=8))] = data.draw(VALUES)
            return doc
    if op == "deep":
        return _set_at(doc, path, DEEP)   # replaced by 3000 nested lists once serialised
    return _set_at(doc, path, data.draw(VALUES))


def mutate_text(data, text: str) -> str:
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(text)))
        op = data.draw(st.sampled_from(["insert", "delete", "dup_line", "truncate"]))
        if op == "insert":
            text = text[:i] + data.draw(JUNK) + text[i:]
        elif op == "delete":
            text = text[:i] + text[i + data.draw(st.integers(1, 20)):]
        elif op == "dup_line":
            lines = text.splitlines(keepends=True) or [""]
            j = data.draw(st.integers(0, len(lines) - 1))
            text = "".join(lines[: j + 1] + lines[j:])
        else:
            text = text[:i]
    return text


def mutate_bytes(data, blob: bytes) -> bytes:
    op = data.draw(st.sampled_from(["flip", "truncate", "append", "zero_run"]))
    i = data.draw(st.integers(0, max(len(blob) - 1, 0)))
    if op == "flip" and blob:
        return blob[:i] + bytes([blob[i] ^ data.draw(st.integers(1, 255))]) + blob[i + 1:]
    if op == "truncate":
        return blob[:i]
    if op == "append":
        return blob + data.draw(st.binary(max_size=64))
    return blob[:i] + b"\0" * data.draw(st.integers(1, 64)) + blob[i + 64:]


def _dump_yaml(doc) -> str:
    try:
        return yaml.safe_dump(doc, sort_keys=False)
    except yaml.YAMLError:
        return str(doc)


def fuzz_case(data) -> tuple[dict[str, bytes], list[str]]:
    files = base_files()
    target = data.draw(st.sampled_from(["arch", "arch_text", "workload", "workload_text", "tensors", "samples",
                                        "set"]))
    sets: list[str] = []
    if target == "arch":
        text = _dump_yaml(mutate_doc(data, yaml.safe_load(TINY_ARCH_YAML)))
        files["arch.yaml"] = text.replace(DEEP, DEEP_TEXT).encode()
    elif target == "arch_text":
        files["arch.yaml"] = mutate_text(data, TINY_ARCH_YAML).encode()
    elif target == "workload":
        doc = mutate_doc(data, json.loads(files["workload.json"]))
        files["workload.json"] = json.dumps(doc, allow_nan=True).replace(f'"{DEEP}"', DEEP_TEXT).encode()
    elif target == "workload_text":
        files["workload.json"] = mutate_text(data, files["workload.json"].decode()).encode()
    elif target in ("tensors", "samples"):
        name = f"{target}.npz"
        files[name] = mutate_bytes(data, files[name])
    else:
        keys = _paths(yaml.safe_load(TINY_ARCH_YAML))
        key = ".".join(str(p) for p in data.draw(st.sampled_from([k for k in keys if k])))
        key = data.draw(st.sampled_from([key, "workload.timesteps", "tech.overrides.vdd_v",
                                         "tech.overrides.arith_pj.int8_add", "core.task_overhead_cycles"]))
        value = data.draw(st.one_of(SCALARS.map(lambda v: json.dumps(v) if not isinstance(v, str) else v), JUNK))
        sets = ["--set", f"{key}={value}"]
    return files, sets


_START: list[float] = []
COUNT = {"cases": 0, "ok": 0, "exit2": 0}


@seed(20261130)
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
          suppress_health_check=list(HealthCheck))
@given(st.data())
def test_no_input_crashes_or_exhausts(data):
    if not _START:
        _START.append(time.monotonic())
    if time.monotonic() - _START[0] > BUDGET_S:
        return                                   # the seeded prefix of the campaign fits the budget
    files, sets = fuzz_case(data)
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d) / "tiny"
        folder.mkdir()
        for name, blob in files.items():
            (Path(d) / name if name == "arch.yaml" else folder / name).write_bytes(blob)
        out = Path(d) / "out"
        t0 = time.process_time()   # CPU time: a busy shared machine must not fail a case
        err = io.StringIO()
        import contextlib

        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["run", str(Path(d) / "arch.yaml"), str(folder / "workload.json"), "-o", str(out), "-q",
                         *sets])
        cpu = time.process_time() - t0
        # bad input fails fast; a valid input may ask for real work (--set workload.timesteps=15070)
        assert cpu < (5.0 if code == 2 else 120.0), (code, cpu)
        COUNT["cases"] += 1
        assert code in (0, 2), err.getvalue()
        assert "Traceback" not in err.getvalue()
        if code == 0:
            COUNT["ok"] += 1
            report = json.loads((out / "report.json").read_text(),
                                parse_constant=lambda c: pytest.fail(f"report.json holds {c}"))
            assert math.isfinite(report["per_inference"]["edp_pj_ns"])
        else:
            COUNT["exit2"] += 1
            assert err.getvalue().startswith("error: ")


def test_fuzz_ran_cases():
    """Reports the count (``pytest -s``) and checks the fuzz test ran at all."""
    if COUNT["cases"]:
        print(f"\nfuzz: {COUNT['cases']} cases, {COUNT['ok']} ran, {COUNT['exit2']} exit 2, 0 tracebacks")
