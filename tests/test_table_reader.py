"""The package's own data files (technology tables, the scaling table, the macro validation data,
HSI .mat scenes, files hashed by a sweep) are read through the one bounded reader: a table that is
a folder, a FIFO, too large, too deep or malformed ends in exit 2 naming the file, no traceback."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from accelsim.cli import main
from accelsim.errors import InputError
from accelsim.tech import scaling, table

SHIPPED = Path(table.__file__).resolve().parent


@pytest.fixture
def tech_dir(tmp_path, monkeypatch) -> Path:
    """A copy of the shipped technology tables that the loader reads instead (caches cleared)."""
    folder = tmp_path / "tech"
    folder.mkdir()
    for p in SHIPPED.glob("*.yaml"):
        shutil.copy(p, folder / p.name)
    monkeypatch.setattr(table, "TECH_DIR", folder)
    table._read_table.cache_clear()
    yield folder
    table._read_table.cache_clear()


def _validate(capsys, arch: Path, workload: Path) -> tuple[int, str]:
    code = main(["validate", str(arch), str(workload)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def _nested(levels: int) -> str:
    return "".join(" " * i + f"k{i}:\n" for i in range(levels)) + " " * levels + "v: 1\n"


def _replace(path: Path, kind: str) -> None:
    path.unlink()
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "oversized":   # sparse: the size check comes before any read
        with open(path, "wb") as fh:
            fh.truncate(table.MAX_TABLE_BYTES + 1)
    elif kind == "deep":
        path.write_text(_nested(100), encoding="utf-8")
    elif kind == "list":
        path.write_text("- 1\n- 2\n", encoding="utf-8")
    else:
        raise AssertionError(kind)


@pytest.mark.parametrize("kind, fragment", [
    ("directory", "is a directory, expected the technology table"),
    ("fifo", "is not a regular file"),
    ("oversized", f"the technology table (YAML) may be at most {2**20} bytes"),
    ("deep", "nested more than 64 levels deep"),
    ("list", "a technology table must be a mapping"),
])
def test_a_bad_tech_table_is_exit_2_naming_it(tech_dir, arch_file, workload_file, capsys, kind, fragment):
    bad = tech_dir / "45nm.yaml"
    _replace(bad, kind)
    code, err = _validate(capsys, arch_file, workload_file)
    assert code == 2
    assert str(bad) in err and fragment in err


def test_a_measured_table_is_validated_naming_its_file_and_key(tech_dir, arch_file, workload_file, capsys):
    path = tech_dir / "45nm.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("dram_pj_per_bit:", "dram_pj_per_bit_x:"),
                    encoding="utf-8")
    code, err = _validate(capsys, arch_file, workload_file)
    assert code == 2
    assert f"{path}: dram_pj_per_bit: required key is missing" in err


@pytest.mark.parametrize("base, fragment", [
    ("13nm", "must name a measured node's table"),
    ("7nm", "must name a measured node's table"),       # itself
    ("65nm", "must name a measured node's table"),      # a derived table: no chains
])
def test_a_derived_table_names_a_measured_one(tech_dir, write_arch, tiny_arch_dict, workload_file, capsys, base,
                                               fragment):
    path = tech_dir / "7nm.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("derive_from: 45nm", f"derive_from: {base}"),
                    encoding="utf-8")
    tiny_arch_dict["tech"]["node"] = "7nm"
    code, err = _validate(capsys, write_arch(tiny_arch_dict), workload_file)
    assert code == 2
    assert f"{path}: derive_from = '{base}': {fragment}" in err


def test_a_derived_table_states_its_node_and_supply(tech_dir, write_arch, tiny_arch_dict, workload_file, capsys):
    path = tech_dir / "7nm.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("vdd_v: 0.7", "vdd_v: low"), encoding="utf-8")
    tiny_arch_dict["tech"]["node"] = "7nm"
    code, err = _validate(capsys, write_arch(tiny_arch_dict), workload_file)
    assert code == 2 and f"{path}: vdd_v = 'low'" in err


@pytest.mark.parametrize("kind, fragment", [("directory", "is a directory"), ("oversized", "may be at most"),
                                            ("garbled", "not a scaling table")])
def test_a_bad_scaling_table_is_exit_2(tmp_path, monkeypatch, write_arch, tiny_arch_dict, workload_file, capsys,
                                       kind, fragment):
    bad = tmp_path / "stillmaker_baas.csv"
    if kind == "directory":
        bad.mkdir()
    elif kind == "oversized":
        with open(bad, "wb") as fh:
            fh.truncate(scaling.MAX_TABLE_BYTES + 1)
    else:
        bad.write_text("node,vdd_nominal\n45,one\n", encoding="utf-8")
    monkeypatch.setattr(scaling, "TABLE", bad)
    scaling._rows.cache_clear()
    table._read_table.cache_clear()
    try:
        tiny_arch_dict["tech"]["node"] = "7nm"   # derived: read through the scaling laws
        code, err = _validate(capsys, write_arch(tiny_arch_dict), workload_file)
    finally:
        scaling._rows.cache_clear()
    assert code == 2 and str(bad) in err and fragment in err


def test_macro_validation_data_through_the_reader(tmp_path):
    from accelsim.hw.pim.validation import compare

    folder = tmp_path / "reference.csv"
    folder.mkdir()
    with pytest.raises(InputError, match="is a directory"):
        compare(tmp_path / "points.yaml", folder, tmp_path)
    csv = tmp_path / "ok.csv"
    csv.write_text("macro,metric\n", encoding="utf-8")
    points = tmp_path / "points.yaml"
    os.mkfifo(points)
    with pytest.raises(InputError, match="not a regular file"):
        compare(points, csv, tmp_path)


def test_a_sweep_hashes_regular_files_only(tmp_path):
    from accelsim.sweep.store import sha256_file

    with pytest.raises(InputError, match="is a directory"):
        sha256_file(tmp_path)
    fifo = tmp_path / "inputs.npz"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):   # refused before it is opened: no hang
        sha256_file(fifo)


def test_hsi_mat_files_through_the_reader(tmp_path):
    pytest.importorskip("scipy")
    from accelsim.datasets.hsi import load_mat_scene

    fifo = tmp_path / "scene.mat"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        load_mat_scene(fifo, fifo)
    junk = tmp_path / "junk.mat"
    junk.write_bytes(b"not a mat file at all" * 20)
    with pytest.raises(InputError, match="not a readable .mat file"):
        load_mat_scene(junk, junk)
