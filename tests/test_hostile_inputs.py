"""One regression test per class of hostile input found by the fuzz campaign of issue 15.

Each class must end in a clean :class:`InputError` (exit 2 from the CLI) naming the
file and the problem, quickly and without a large allocation; none may be
accepted silently.
"""
from __future__ import annotations

import json
import os
import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml

from accelsim.cli import main
from accelsim.config.loader import load_arch
from accelsim.errors import InputError
from accelsim.util import reader
from accelsim.workload.loader import load_inputs, load_workload


def run_cli(capsys, *argv) -> tuple[int, str]:
    t0 = time.perf_counter()
    code = main([str(a) for a in argv])
    assert time.perf_counter() - t0 < 5.0
    return code, capsys.readouterr().err


def error_of(fn, *args) -> str:
    with pytest.raises(InputError) as err:
        fn(*args)
    return err.value.format()


# --- nesting --------------------------------------------------------------------------------------

def test_json_nested_thousands_deep(tiny_workload, capsys):
    tiny_workload.write()
    tiny_workload.path.write_text('{"metadata": ' + "[" * 5000 + "]" * 5000 + "}")
    code, err = run_cli(capsys, "validate", tiny_workload.path)
    assert code == 2 and str(tiny_workload.path) in err and "nested more than 64 levels" in err


def test_yaml_nested_thousands_deep(write_arch, capsys):
    path = write_arch("tech: " + "[" * 5000 + "]" * 5000 + "\n")
    code, err = run_cli(capsys, "validate", path)
    assert code == 2 and str(path) in err and "nested more than 64 levels" in err
    path = write_arch("".join("  " * i + f"k{i}:\n" for i in range(200)))  # block style too
    assert "nested more than 64 levels" in error_of(load_arch, path)


# --- integers -------------------------------------------------------------------------------------

def test_integer_of_thousands_of_digits(write_arch, tiny_workload, arch_file, capsys):
    big = "9" * 5000
    path = write_arch(f"core:\n  lanes: {big}\n")
    assert "integer of 5000 digits" in error_of(load_arch, path)
    tiny_workload.write()
    text = tiny_workload.path.read_text().replace('"timesteps": 2', f'"timesteps": {big}')
    tiny_workload.path.write_text(text)
    assert "integer of 5000 digits" in error_of(load_workload, tiny_workload.path)
    code, err = run_cli(capsys, "run", arch_file, tiny_workload.path, "-o", arch_file.parent / "o",
                        "--set", f"core.lanes={big}")
    assert code == 2 and "integer of 5000 digits" in err


@pytest.mark.parametrize("key", ["core.task_overhead_cycles", "core.neuron_update_cycles",
                                 "noc.router_latency_cycles", "noc.link_bits_per_cycle", "pim.seed",
                                 "core.fifo_depth", "core.min_neurons_per_core"])
def test_integers_beyond_int64_are_bounded(arch_file, workload_file, key, capsys):
    code, err = run_cli(capsys, "run", arch_file, workload_file, "-o", arch_file.parent / "o", "--set",
                        f"{key}={2**63}")
    assert code == 2 and f"{key} = {2**63}" in err and "must be less than or equal to" in err


# --- floats that would make results infinite -------------------------------------------------------

@pytest.mark.parametrize("setting, fragment", [
    ("pim.read_pulse_ns=1.0e+300", "less than or equal to"),
    ("tech.clock_mhz=1.0e-300", "must be at least 0.001"),
    ("core.weight_sram_kib=1.0e+300", "less than or equal to"),
    ("memory.dram_bandwidth_gb_per_s=1.0e-300", "must be at least"),
    ("tech.overrides.vdd_v=1.0e+300", "less than or equal to"),
    ("tech.overrides.arith_pj.int8_add=1.0e-300", "must be at least 1e-9"),
    ("tech.overrides.vdd_v='4'", "must be a valid number"),
    ("tech.overrides.vdd_v=true", "must be a valid number"),
])
def test_floats_out_of_the_representable_range(arch_file, workload_file, setting, fragment, capsys):
    code, err = run_cli(capsys, "run", arch_file, workload_file, "-o", arch_file.parent / "o", "--set", setting)
    assert code == 2 and str(arch_file) in err and fragment in err


def test_every_tech_value_at_its_bound_gives_finite_results(arch_file, workload_file, tmp_path):
    """~20 overrides at the extremes of their ranges: a finite report or a clean error, never inf."""
    from accelsim.simulate import run_simulation

    sets = [f"tech.overrides.{k}={v}" for k, v in (
        ("arith_pj.int8_add", 1e-9), ("arith_pj.int32_add", 1e9), ("arith_pj.int8_mult", 1e-9),
        ("arith_pj.int32_mult", 1e9), ("sram_read_64b_pj.8", 1e-9), ("sram_read_64b_pj.32", 1e9),
        ("sram_write_over_read", 1e9), ("dram_pj_per_bit", 1e9), ("sram_leakage_uw_per_kib", 1e9),
        ("noc_router_pj_per_bit", 1e9), ("noc_link_pj_per_bit_mm", 1e9), ("adc.survey_pj_8b", 1e9),
        ("adc.survey_pj_4b", 1e-9), ("adc.survey_rate_mhz", 1e-9), ("adc.walden_fom_fj", 1e9),
        ("dac.cap_ff", 1e9), ("rram.r_on_kohm", 1e-9), ("rram.r_off_kohm", 1e9), ("rram.read_v", 1e9),
        ("vdd_v", 1e9))]
    sets = [s.replace("1000000000.0", "1.0e+9").replace("1e-09", "1.0e-9") for s in sets]   # YAML 1.1 floats
    sets += ["tech.clock_mhz=0.001", "pim.read_pulse_ns=1000000.0", "memory.dram_bandwidth_gb_per_s=0.000001"]
    try:
        report = run_simulation(str(arch_file), str(workload_file), sets=sets)
    except InputError as exc:
        assert "not finite" in exc.format() or "cannot represent" in exc.format()
    else:
        assert np.isfinite(report["per_inference"]["edp_pj_ns"])
        json.dumps(report, allow_nan=False)


def test_check_finite_names_the_first_non_finite_number():
    from accelsim.simulate import check_finite

    check_finite({"a": [1.0, {"b": 2}]}, "arch.yaml")
    with pytest.raises(InputError) as err:
        check_finite({"per_inference": {"energy_pj": 1.0, "latency_ns": float("inf")}}, "arch.yaml")
    assert "arch.yaml" in err.value.format() and "per_inference.latency_ns = inf" in err.value.format()


# --- tensor and sample files ----------------------------------------------------------------------

def test_nul_byte_and_symlink_loop_in_a_path(tiny_workload, tmp_path):
    graph = load_workload(tiny_workload.path)
    assert "contains a NUL byte" in error_of(load_inputs, str(tmp_path / "a\0b.npz"), graph)
    loop = tmp_path / "loop.npz"
    os.symlink(loop, loop)
    assert "cannot read" in error_of(load_inputs, loop, graph)


def _npz_member(path: Path, name: str, payload: bytes, compress_type=zipfile.ZIP_STORED, flag_bits=0) -> None:
    with zipfile.ZipFile(path, "w") as z:
        zi = zipfile.ZipInfo(name)
        zi.compress_type = compress_type
        z.writestr(zi, payload)
    if flag_bits:  # patch the flag in both the local header and the central directory
        data = bytearray(path.read_bytes())
        for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            i = data.index(sig)
            data[i + off:i + off + 2] = struct.pack("<H", flag_bits)
        path.write_bytes(bytes(data))


def _npy_bytes(arr: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


@pytest.mark.parametrize("case, fragment", [
    ("npy_then_zip", "not a zip archive"),
    ("truncated_header", "cannot be read"),
    ("encrypted", "is encrypted"),
    ("bzip2", "compression method 12"),
    ("huge_shape", "declares shape [1099511627776, 7]"),
    ("padded", "truncated or padded"),
])
def test_damaged_tensor_files(tiny_workload, case, fragment):
    tiny_workload.write()
    npz = tiny_workload.folder / "tensors.npz"
    good = npz.read_bytes()
    if case == "npy_then_zip":
        npz.write_bytes(_npy_bytes(np.zeros(3)) + good)
    elif case == "truncated_header":
        _npz_member(npz, "conv.weight.npy", _npy_bytes(np.zeros(3))[:20])
    elif case == "encrypted":
        _npz_member(npz, "conv.weight.npy", _npy_bytes(np.zeros(3)), flag_bits=1)
    elif case == "bzip2":
        _npz_member(npz, "conv.weight.npy", _npy_bytes(np.zeros(3)), compress_type=zipfile.ZIP_BZIP2)
    elif case == "huge_shape":  # 7 TiB declared by a 128-byte header
        header = _npy_bytes(np.zeros((1, 7)))
        header = header.replace(b"(1, 7)", b"(1099511627776, 7)")
        _npz_member(npz, "conv.weight.npy", header)
    else:
        _npz_member(npz, "conv.weight.npy", _npy_bytes(np.zeros(3)) + b"\0" * 8)
    t0 = time.perf_counter()
    text = error_of(load_workload, tiny_workload.path)
    assert time.perf_counter() - t0 < 2.0
    assert str(tiny_workload.path) in text and "tensors" in text and fragment in text


def test_zero_d_samples(tiny_workload):
    tiny_workload.samples = {"x": np.array(1.0), "y": np.array(0)}
    tiny_workload.write()
    assert "0-d value" in error_of(load_workload, tiny_workload.path)


def _with_mul(tiny_workload, const: np.ndarray) -> None:
    fc = tiny_workload.index("fc")
    tiny_workload.doc["nodes"].insert(fc + 1, {"name": "scale", "op": "Mul", "inputs": ["fc_out", "k"],
                                               "outputs": ["scaled"], "attrs": {}})
    tiny_workload.doc["nodes"][fc]["outputs"] = ["fc_out"]
    tiny_workload.doc["outputs"] = ["scaled"]
    tiny_workload.doc["readout"]["output"] = "scaled"
    tiny_workload.tensors["k"] = const
    tiny_workload.write()


@pytest.mark.parametrize("const, fragment", [(np.array(["a"]), "must be numeric"),
                                             (np.array([np.nan]), "NaN or infinite"),
                                             (np.array([np.inf]), "NaN or infinite")])
def test_bad_mul_constant_is_refused_by_validate(tiny_workload, const, fragment, capsys):
    _with_mul(tiny_workload, const)
    code, err = run_cli(capsys, "validate", tiny_workload.path)
    assert code == 2 and "nodes[5].inputs[1]" in err and fragment in err


# --- resource exhaustion --------------------------------------------------------------------------

def alias_bomb(levels: int = 12) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + f"\ntech: *a{levels - 1}\n"


def test_yaml_alias_bomb_fails_within_a_second(write_arch, capsys):
    path = write_arch(alias_bomb())
    assert len(path.read_bytes()) < 700   # 9^12 = 2.8e11 values once expanded
    tracemalloc.start()
    t0 = time.perf_counter()
    code, err = run_cli(capsys, "validate", path)
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert code == 2 and "through its aliases" in err and str(path) in err
    assert elapsed < 1.0 and peak < 50 * 2**20


def test_unused_npz_member_is_not_inflated(tiny_workload):
    tiny_workload.write()
    big = np.zeros(300 * 2**20, np.uint8)                  # 300 MiB of zeros: ~300 KiB deflated
    tiny_workload.tensors["unused"] = big
    np.savez_compressed(tiny_workload.folder / "tensors.npz", **tiny_workload.tensors)
    del big
    tiny_workload.tensors.pop("unused")
    load_workload(workload_file := tiny_workload.path)   # warm: imports and caches are not the file's cost
    tracemalloc.start()
    load_workload(workload_file)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20 * 2**20


def test_device_fifo_and_folder_inputs(tmp_path, tiny_workload, arch_file, capsys):
    rnd = tmp_path / "random.json"
    os.symlink("/dev/urandom", rnd)
    code, err = run_cli(capsys, "validate", rnd)
    assert code == 2 and "not a regular file" in err
    fifo = tmp_path / "arch.yaml"
    fifo.unlink(missing_ok=True)
    os.mkfifo(fifo)
    code, err = run_cli(capsys, "validate", fifo)
    assert code == 2 and "not a regular file" in err
    code, err = run_cli(capsys, "run", arch_file.with_name("none.yaml"), tiny_workload.path, "-o", tmp_path / "o")
    assert code == 2 and "file not found" in err


def test_mesh_bounded_and_schedule_memory_capped(arch_file, workload_file, monkeypatch):
    from accelsim.schedule import fast
    from accelsim.simulate import run_simulation

    assert "less than or equal to 64" in error_of(load_arch, arch_file, [("noc.mesh_x", 1024)])
    monkeypatch.setattr(fast, "MAX_PACKED_BYTES", 100)   # the tiny schedule takes ~400 bytes
    with pytest.raises(InputError) as err:
        run_simulation(str(arch_file), str(workload_file))
    assert err.value.problems[0].file == str(arch_file) and "smaller mesh" in err.value.format()


# --- duplicate keys -------------------------------------------------------------------------------

def test_duplicate_keys(write_arch, tiny_workload):
    path = write_arch("core:\n  lanes: 4\n  lanes: 8\n")
    assert "duplicate key 'lanes'" in error_of(load_arch, path)
    tiny_workload.write()
    text = tiny_workload.path.read_text()
    tiny_workload.path.write_text(text.replace('"timesteps": 2', '"timesteps": 2, "timesteps": 3'))
    assert "duplicate key 'timesteps'" in error_of(load_workload, tiny_workload.path)


# --- messages of the CLI --------------------------------------------------------------------------

def test_inputs_folder_and_unwritable_output(arch_file, workload_file, tmp_path, capsys, monkeypatch):
    code, err = run_cli(capsys, "run", arch_file, workload_file, "-o", tmp_path / "o", "--inputs", tmp_path)
    assert code == 2 and "is a folder; --inputs takes a .npz file" in err

    import tempfile

    def denied(*a, **k):
        raise PermissionError(13, "Permission denied", str(tmp_path / "o" / ".report.json.x.tmp"))

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    code, err = run_cli(capsys, "run", arch_file, workload_file, "-o", tmp_path / "o", "-q")
    assert code == 2 and f"{tmp_path / 'o' / 'report.json'}: cannot write: Permission denied" in err
    assert ".tmp" not in err


def test_plot_activity_of_a_report_without_timesteps(arch_file, workload_file, tmp_path, capsys):
    assert main(["run", str(arch_file), str(workload_file), "-o", str(tmp_path / "o"), "-q"]) == 0
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    del report["timesteps"]
    (tmp_path / "r.json").write_text(json.dumps(report))
    assert main(["plot", str(tmp_path / "r.json"), "--kind", "activity", "-o", str(tmp_path / "a.png")]) == 0
    report["layers"][0]["sparsity"] = "lots"
    (tmp_path / "r.json").write_text(json.dumps(report))
    code, err = run_cli(capsys, "plot", tmp_path / "r.json", "--kind", "activity", "-o", tmp_path / "a.png")
    assert code == 2 and "layers[0].sparsity" in err


def test_interrupted_run_never_leaves_a_new_timeline_beside_an_old_report(arch_file, workload_file, tmp_path,
                                                                          monkeypatch):
    out, tl = tmp_path / "o", tmp_path / "o" / "timeline.csv"
    assert main(["run", str(arch_file), str(workload_file), "-o", str(out), "--timeline", str(tl), "-q"]) == 0
    assert (out / "report.json").exists()
    import accelsim.util.io as uio

    def killed(*a, **k):
        raise KeyboardInterrupt  # the process dies between the timeline and the report

    monkeypatch.setattr(uio, "atomic_write_json", killed)
    tl.unlink()
    assert main(["run", str(arch_file), str(workload_file), "-o", str(out), "--timeline", str(tl), "-q"]) == 130
    assert tl.exists() and not (out / "report.json").exists()


# --- the bounded reader on its own ----------------------------------------------------------------

def test_reader_limits_directly(tmp_path):
    with pytest.raises(InputError, match="duplicate key"):
        reader.parse_json('{"a": 1, "a": 2}', "f.json")
    assert reader.parse_yaml("a: [1, 2]\nb: {c: 3}\n", "f.yaml") == {"a": [1, 2], "b": {"c": 3}}
    assert reader.parse_yaml("key: [unclosed", "--set", raw_on_syntax_error=True) == "key: [unclosed"
    with pytest.raises(InputError, match="month must be in 1..12|invalid YAML"):
        reader.parse_yaml("d: 2020-13-45\n", "f.yaml")
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(reader.MAX_TEXT_BYTES + 1)   # sparse: costs no disk
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="may be at most"):
        reader.read_json(big)
    assert time.perf_counter() - t0 < 0.5
    assert yaml.safe_load(alias_bomb(3))  # the same document is valid YAML for an unbounded loader


def test_cases_found_by_the_fuzz_campaign(write_arch, arch_file, workload_file, capsys):
    code, err = run_cli(capsys, "run", arch_file, workload_file, "-o", arch_file.parent / "o", "--set", "name=\x1b")
    assert code in (0, 2) and "Traceback" not in err     # a control character in a --set value
    path = write_arch("n[ame: tiny\n")                   # an unknown key holding '['
    assert "n[ame = 'tiny': unknown key" in error_of(load_arch, path)
