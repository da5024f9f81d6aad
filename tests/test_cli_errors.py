"""Bad input through the command line: exit code 2, a clear message, no traceback.

Most cases call :func:`accelsim.cli.main` in-process; a few run
``python -m accelsim`` in a subprocess to check the real entry point.
"""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from accelsim.cli import main
from accelsim.workload.ops import OPS


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_module(*argv, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "accelsim", *map(str, argv)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def assert_clean_error(code: int, out: str, err: str, *fragments: str) -> None:
    assert code == 2, f"exit code {code}; stderr:\n{err}"
    assert "Traceback" not in out + err
    assert err.startswith("error: "), err
    for frag in fragments:
        assert frag in err, f"{frag!r} not in stderr:\n{err}"


# --------------------------------------------------------------------------
# accelsim validate


def test_validate_good_files(capsys, arch_file, workload_file):
    code, out, err = run_main(capsys, "validate", arch_file, workload_file)
    assert code == 0, err
    assert out.splitlines() == [f"ok: {arch_file}", f"ok: {workload_file}"]
    assert err == ""


def test_validate_a_mix_reports_each_file(capsys, arch_file, workload_file, tiny_arch_dict, write_arch):
    tiny_arch_dict["pim"]["adc_bits"] = 17
    bad = write_arch(tiny_arch_dict)
    code, out, err = run_main(capsys, "validate", arch_file, bad, workload_file)
    assert_clean_error(code, out, err, str(bad), "pim.adc_bits = 17", "must be less than or equal to 16")
    assert out.splitlines() == [f"ok: {arch_file}", f"ok: {workload_file}"]  # the good ones are still checked


def test_validate_reports_every_bad_file(capsys, tmp_path, tiny_workload):
    tiny_workload.node("fc")["op"] = "Dense"
    bad_wl = tiny_workload.write()
    missing = tmp_path / "missing.yaml"
    code, out, err = run_main(capsys, "validate", missing, bad_wl)
    assert_clean_error(code, out, err, f"{missing}: file not found", f"{bad_wl}: nodes[4].op = 'Dense': unknown operator")
    assert out == ""


def test_validate_unknown_file_type(capsys, tmp_path):
    odd = tmp_path / "notes.txt"
    odd.write_text("hi")
    code, out, err = run_main(capsys, "validate", odd)
    assert_clean_error(code, out, err, str(odd), "unknown file type", ".yaml/.yml", ".json")


# --------------------------------------------------------------------------
# accelsim schema


def test_schema_arch_is_json_with_the_sections(capsys):
    code, out, _ = run_main(capsys, "schema", "arch")
    assert code == 0
    schema = json.loads(out)
    assert set(schema["properties"]) == {"name", "tech", "pim", "core", "noc", "memory", "baselines", "macro", "ann"}
    adc_bits = schema["$defs"]["PimConfig"]["properties"]["adc_bits"]
    assert (adc_bits["type"], adc_bits["minimum"], adc_bits["maximum"]) == ("integer", 1, 16)
    assert schema["$defs"]["PimConfig"]["additionalProperties"] is False


def test_schema_workload_is_json_with_ops_and_attributes(capsys):
    code, out, _ = run_main(capsys, "schema", "workload")
    assert code == 0
    schema = json.loads(out)
    assert {"format", "version", "timesteps", "tensors", "inputs", "nodes", "outputs", "readout", "samples"} <= set(
        schema["properties"])
    assert set(schema["required"]) >= {"name", "timesteps", "inputs", "nodes", "outputs", "readout"}
    node = schema["$defs"]["NodeSpec"]
    assert node["properties"]["op"]["enum"] == sorted(OPS)
    per_op = {rule["if"]["properties"]["op"]["const"]: rule["then"]["properties"]["attrs"] for rule in node["allOf"]}
    assert set(per_op) == set(OPS)
    assert "pads" in per_op["Conv"]["properties"] and "leak" in per_op["LIF"]["properties"]


# --------------------------------------------------------------------------
# accelsim run: bad input of each kind stops with exit 2 before simulating


def test_run_with_unknown_arch_key(capsys, tmp_path, tiny_arch_dict, write_arch, workload_file):
    tiny_arch_dict["core"]["cores"] = 4
    bad = write_arch(tiny_arch_dict)
    code, out, err = run_main(capsys, "run", bad, workload_file, "-o", tmp_path / "out")
    assert_clean_error(code, out, err, str(bad), "core.cores = 4", "unknown key; allowed keys: count, lanes")
    assert not (tmp_path / "out").exists()


def test_run_with_wrong_arch_type(capsys, tmp_path, tiny_arch_dict, write_arch, workload_file):
    tiny_arch_dict["pim"]["rows"] = True
    bad = write_arch(tiny_arch_dict)
    code, out, err = run_main(capsys, "run", bad, workload_file, "-o", tmp_path / "out")
    assert_clean_error(code, out, err, str(bad), "pim.rows = True", "must be a valid integer")


def test_run_with_unknown_op(capsys, tmp_path, arch_file, tiny_workload):
    tiny_workload.node("flat")["op"] = "Flaten"
    bad = tiny_workload.write()
    code, out, err = run_main(capsys, "run", arch_file, bad, "-o", tmp_path / "out")
    assert_clean_error(code, out, err, str(bad), "nodes[3].op = 'Flaten'", "supported: Add, AveragePool")


def test_run_with_tensor_missing(capsys, tmp_path, arch_file, tiny_workload):
    del tiny_workload.tensors["conv.bias"]
    bad = tiny_workload.write()
    code, out, err = run_main(capsys, "run", arch_file, bad, "-o", tmp_path / "out")
    assert_clean_error(code, out, err, str(bad), "nodes[0].inputs[2] = 'conv.bias'", "tensor in the .npz")


def test_run_with_bad_conv_pads(capsys, tmp_path, arch_file, tiny_workload):
    tiny_workload.node("conv")["attrs"]["pads"] = [1, 1, 1, 1]
    bad = tiny_workload.write()
    code, out, err = run_main(capsys, "run", arch_file, bad, "-o", tmp_path / "out")
    assert_clean_error(code, out, err, str(bad), "nodes[0].attrs.pads = [1, 1, 1, 1]", "needs 2 values")


def test_run_with_corrupt_npz(capsys, tmp_path, arch_file, tiny_workload):
    bad = tiny_workload.write()
    (tiny_workload.folder / "tensors.npz").write_bytes(b"\x00" * 64)
    code, out, err = run_main(capsys, "run", arch_file, bad, "-o", tmp_path / "out")
    assert_clean_error(code, out, err, str(bad), "tensors = 'tensors.npz'", "not a valid .npz file")


def test_run_with_inputs_of_wrong_shape(capsys, tmp_path, arch_file, workload_file):
    inputs = tmp_path / "inputs.npz"
    np.savez(inputs, x=np.zeros((2, 1, 9)))
    code, out, err = run_main(capsys, "run", arch_file, workload_file, "-o", tmp_path / "out", "--inputs", inputs)
    assert_clean_error(code, out, err, str(inputs), "x: shape [2, 1, 9] must be [N, 1, 8]")


def test_run_with_inputs_labels_out_of_range(capsys, tmp_path, arch_file, workload_file):
    inputs = tmp_path / "inputs.npz"
    np.savez(inputs, x=np.zeros((2, 1, 8)), y=np.array([0, 7]))
    code, out, err = run_main(capsys, "run", arch_file, workload_file, "-o", tmp_path / "out", "--inputs", inputs)
    assert_clean_error(code, out, err, str(inputs), "y = [0, 7]", "labels must be in [0, 2]")


def test_run_with_missing_inputs_file(capsys, tmp_path, arch_file, workload_file):
    missing = tmp_path / "nope.npz"
    code, out, err = run_main(capsys, "run", arch_file, workload_file, "-o", tmp_path / "out", "--inputs", missing)
    assert_clean_error(code, out, err, str(missing), "file not found")


@pytest.mark.parametrize("item, fragments", [
    ("pim.adc_bits", ["--set: pim.adc_bits: expected KEY=VALUE"]),
    ("pim.adc_bits=99", ["pim.adc_bits = 99", "must be less than or equal to 16"]),
    ("pim.adc_bits.lsb=1", ["pim.adc_bits = 4: is not a section", "pim.adc_bits.lsb"]),
    ("pim.adc_model=flash", ["pim.adc_model = 'flash'", "'survey', 'sar', 'walden' or 'survey_bound'"]),
    ("workload.timesteps=0", ["timesteps = 0", "must be greater than or equal to 1"]),
    ("workload.nodes=[]", ["workload.nodes", "only workload.timesteps"]),
])
def test_run_with_bad_set(capsys, tmp_path, arch_file, workload_file, item, fragments):
    code, out, err = run_main(capsys, "run", arch_file, workload_file, "-o", tmp_path / "out", "--set", item)
    assert_clean_error(code, out, err, *fragments)


def test_run_with_zero_samples(capsys, tmp_path, arch_file, workload_file):
    code, out, err = run_main(capsys, "run", arch_file, workload_file, "-o", tmp_path / "out", "--samples", "0")
    assert_clean_error(code, out, err, "--samples", "must be a positive integer")


def test_run_without_samples_or_inputs(capsys, tmp_path, arch_file, tiny_workload):
    del tiny_workload.doc["samples"]
    wl = tiny_workload.write()
    code, out, err = run_main(capsys, "run", arch_file, wl, "-o", tmp_path / "out")
    assert_clean_error(code, out, err, str(wl), "samples: the workload has no samples; pass --inputs FILE.npz")


def test_run_output_path_is_a_file(capsys, tmp_path, arch_file, workload_file):
    target = tmp_path / "report"
    target.write_text("not a folder")
    code, out, err = run_main(capsys, "run", arch_file, workload_file, "-o", target, "-q", "--backend", "numpy")
    assert_clean_error(code, out, err, str(target), "output path exists and is not a folder")


def test_run_good_files_exit_0(capsys, tmp_path, arch_file, workload_file):
    # the counterpart of the failures above: the fixtures themselves run
    code, out, err = run_main(capsys, "run", arch_file, workload_file, "-o", tmp_path / "out", "-q",
                              "--backend", "numpy", "--set", "pim.adc_bits=5")
    assert code == 0, err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["samples"] == 4 and report["timesteps"] == 2


def test_usage_error_exits_2_without_traceback(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["schema", "hardware"])
    _, err = capsys.readouterr()
    assert stop.value.code == 2
    assert "invalid choice: 'hardware'" in err and "Traceback" not in err


# --------------------------------------------------------------------------
# the real entry point, in a subprocess


def test_module_validate_bad_arch(tmp_path, tiny_arch_dict, write_arch, workload_file):
    tiny_arch_dict["pim"]["adc_model"] = "flash"
    tiny_arch_dict["noc"]["mesh_x"] = -2
    bad = write_arch(tiny_arch_dict)
    proc = run_module("validate", bad, workload_file, cwd=tmp_path)
    assert_clean_error(proc.returncode, proc.stdout, proc.stderr, "error: 2 problems:",
                       f"{bad}: pim.adc_model = 'flash'", f"{bad}: noc.mesh_x = -2")
    assert proc.stdout.strip() == f"ok: {workload_file}"


def test_module_run_with_invalid_json(tmp_path, arch_file, tiny_workload):
    wl = tiny_workload.write()
    wl.write_text('{"format": "accelsim-workload", "version": 1\n "name": "x"}\n')
    proc = run_module("run", arch_file, wl, "-o", tmp_path / "out", cwd=tmp_path)
    assert_clean_error(proc.returncode, proc.stdout, proc.stderr, str(wl), "line 2, column 2", "invalid JSON")


def test_module_run_with_inputs_of_wrong_shape(tmp_path, arch_file, workload_file):
    inputs = tmp_path / "inputs.npz"
    np.savez(inputs, x=np.zeros((3, 2, 2, 8)))  # T=2 but the input is [1, 8]
    proc = run_module("run", arch_file, workload_file, "-o", tmp_path / "out", "--inputs", inputs, cwd=tmp_path)
    assert_clean_error(proc.returncode, proc.stdout, proc.stderr, str(inputs), "x: shape [3, 2, 2, 8] must be [N, 1, 8]")


def test_module_run_with_set_without_equals(tmp_path, arch_file, workload_file):
    proc = run_module("run", arch_file, workload_file, "-o", tmp_path / "out", "--set", "core.count", cwd=tmp_path)
    assert_clean_error(proc.returncode, proc.stdout, proc.stderr, "--set: core.count: expected KEY=VALUE")


def test_module_run_with_escaping_tensor_path(tmp_path, arch_file, tiny_workload):
    tiny_workload.doc["tensors"] = "../../etc/weights.npz"
    wl = tiny_workload.write()
    proc = run_module("run", arch_file, wl, "-o", tmp_path / "out", cwd=tmp_path)
    assert_clean_error(proc.returncode, proc.stdout, proc.stderr, str(wl),
                       "tensors = '../../etc/weights.npz': must stay inside the workload's folder")


def test_module_schema_workload(tmp_path):
    proc = run_module("schema", "workload", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["title"] == "accelsim workload v1 (JSON)"


# --------------------------------------------------------------------------
# output paths that cannot be written: exit 2 before the long part, no traceback

def _blocker(tmp_path):
    f = tmp_path / "afile"
    f.write_text("not a folder\n", encoding="utf-8")
    return f


@pytest.mark.parametrize("where", ["out", "timeline_under_file", "timeline_is_dir"])
def test_run_with_unwritable_outputs(capsys, tmp_path, arch_file, workload_file, where):
    f = _blocker(tmp_path)
    out, extra = tmp_path / "out", []
    if where == "out":
        out = f / "sub"
    elif where == "timeline_under_file":
        extra = ["--timeline", str(f / "t.csv")]
    else:
        (tmp_path / "adir").mkdir()
        extra = ["--timeline", str(tmp_path / "adir")]
    code = main(["run", str(arch_file), str(workload_file), "-o", str(out), "-q", *extra])
    _, err = capsys.readouterr()
    assert code == 2 and "Traceback" not in err and err.startswith("error: ")
    assert not (out / "report.json").exists()


@pytest.mark.parametrize("cmd", ["plot", "export"])
def test_plot_and_export_to_unwritable_paths(capsys, tmp_path, workload_file, cmd):
    f = _blocker(tmp_path)
    if cmd == "plot":
        argv = ["plot", str(tmp_path / "missing_report.json"), "-o", str(f / "p.png")]
    else:
        pytest.importorskip("nir")
        argv = ["export", str(workload_file), "-o", str(f / "x.nir")]
    code = main(argv)
    _, err = capsys.readouterr()
    assert code == 2 and "Traceback" not in err and str(f) in err


def test_sweep_into_a_path_under_a_file(capsys, tmp_path, arch_file, workload_file):
    f = _blocker(tmp_path)
    code = main(["sweep", str(arch_file), str(workload_file), "--grid", "core.lanes=2,4", "-o", str(f / "s"), "-q"])
    _, err = capsys.readouterr()
    assert code == 2 and "Traceback" not in err and str(f) in err


def test_more_samples_than_available_says_so(capsys, tmp_path, arch_file, workload_file):
    assert main(["run", str(arch_file), str(workload_file), "-o", str(tmp_path / "o"), "-q", "--samples", "1000"]) == 0
    _, err = capsys.readouterr()
    assert "note: --samples 1000: there are only" in err


def test_swapped_arguments_are_named(capsys, tmp_path, arch_file, workload_file):
    code = main(["run", str(workload_file), str(arch_file), "-o", str(tmp_path / "o")])
    _, err = capsys.readouterr()
    assert code == 2 and "the order is ARCH WORKLOAD" in err and err.count("\n") == 1


def test_set_values_are_blamed_on_the_command_line(capsys, tmp_path, arch_file, workload_file):
    code = main(["run", str(arch_file), str(workload_file), "-o", str(tmp_path / "o"), "--set", "pim.adc_bits=four"])
    _, err = capsys.readouterr()
    assert code == 2 and f"{arch_file}: pim.adc_bits = 'four'" in err and "(set by --set pim.adc_bits)" in err


def test_plot_axes_only_for_sweep_results(capsys, tmp_path, arch_file, workload_file):
    assert main(["run", str(arch_file), str(workload_file), "-o", str(tmp_path / "o"), "-q"]) == 0
    code = main(["plot", str(tmp_path / "o" / "report.json"), "-o", str(tmp_path / "p.png"), "--x", "energy_pj"])
    _, err = capsys.readouterr()
    assert code == 2 and "--x" in err and "only for a sweep's results.csv" in err


def test_report_names_the_samples_file(tmp_path, arch_file, workload_file):
    assert main(["run", str(arch_file), str(workload_file), "-o", str(tmp_path / "o"), "-q"]) == 0
    rep = json.loads((tmp_path / "o" / "report.json").read_text())
    assert rep["inputs"] == str(workload_file.parent / "samples.npz")


def test_input_error_survives_pickling():
    """An InputError raised in a worker process (accelsim.shards, sweep workers) arrives whole:
    its problems, values and 'no value' markers, not its message split into characters."""
    import pickle

    from accelsim.errors import InputError, Problem

    err = InputError([Problem("a.yaml", "pim.adc_bits", "must be at most 16", 40),
                      Problem("a.yaml", "core", "missing section")])
    back = pickle.loads(pickle.dumps(err))
    assert isinstance(back, InputError)
    assert back.problems == err.problems
    assert str(back) == str(err)
    assert back.value == 40 and back.problems[1].value_missing
    assert str(back.problems[1]) == "a.yaml: core: missing section"
