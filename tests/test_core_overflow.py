"""Weights that do not fit core SRAM: a clear error (exit 2), or streamed from DRAM."""
from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from accelsim.cli import main
from accelsim.workload.builder import WorkloadBuilder

from tests.conftest import TINY_ARCH_YAML


@pytest.fixture
def big(tmp_path):
    """fc2 has 256 x 128 8-bit weights: on 2 cores 128 x ceil(64 / 8) = 1024 words of 64 bit = 8 KiB
    each (+ fc3); the tiny arch has 8 KiB of weight SRAM per core."""
    rng = np.random.default_rng(0)
    b = WorkloadBuilder("big", input_shape=(16,), timesteps=2)
    h = b.neuron("n1", b.gemm("fc1", b.input, rng.random((256, 16))), "IF", threshold=1.0)
    h = b.neuron("n2", b.gemm("fc2", h, rng.normal(0.02, 0.1, (128, 256))), "IF", threshold=1.0)
    b.readout(b.gemm("fc3", h, rng.normal(size=(4, 128))))
    wl = b.write(tmp_path / "big", samples=(rng.random((3, 16)), None))
    arch = yaml.safe_load(TINY_ARCH_YAML)
    arch["core"].update({"weight_bits": 8, "weight_sram_kib": 6.0})
    arch["pim"]["macros"] = 64  # the PIM first layer keeps all its weights in crossbars: fc1 needs 64 of 16 x 16
    path = tmp_path / "arch.yaml"
    path.write_text(yaml.safe_dump(arch), encoding="utf-8")
    return path, wl


def test_error_names_layer_and_sizes(big, tmp_path, capsys):
    arch, wl = big
    code = main(["run", str(arch), str(wl), "-o", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    # fc2 needs 256 rows x ceil(64 weights / 8 per word) words x 8 bytes = 16 KiB per core
    assert "layer 'fc2' needs 16.00 KiB of weight SRAM on core 0" in err
    assert "only 6.00 KiB of 6 KiB are available" in err
    assert f"{arch}: core.weight_sram_kib = 6.0" in err
    assert not (tmp_path / "out" / "report.json").exists()


def test_dram_mode_streams_and_charges_dram(big, tmp_path):
    arch, wl = big
    out = tmp_path / "out"
    code = main(["run", str(arch), str(wl), "-o", str(out), "-q", "--set", "core.on_overflow=dram",
                 "--timeline", str(tmp_path / "tl.csv")])
    assert code == 0
    rep = json.loads((out / "report.json").read_text())
    assert rep["mapping"]["streamed_from_dram"] == ["fc2"]
    fc2 = next(l for l in rep["layers"] if l["name"] == "fc2")
    words = fc2["cost_details"]["weight_words_read"]
    assert words > 0
    # every weight word fc2 reads comes from DRAM: 64 bits x dram_pj_per_bit, no SRAM read
    assert fc2["energy_breakdown_pj"]["dram.weights"] == pytest.approx(words * 64 * 20.3125)
    assert fc2["energy_breakdown_pj"]["core.weight_sram"] == 0.0
    assert rep["energy_breakdown_pj"]["dram.weights"] > 0
    assert rep["timing"]["utilization"]["dram"] > 0
    assert any(",dram" in ln and ",fc2," in ln for ln in (tmp_path / "tl.csv").read_text().splitlines())
    assert sum(rep["energy_breakdown_pj"].values()) == pytest.approx(rep["per_inference"]["energy_pj"], rel=1e-12)


def test_spatial_partition_replicates_weights(big, tmp_path, capsys):
    """Spatial partitioning of a conv layer replicates its weights on every core: the same layer that fits
    split by channels overflows replicated."""
    rng = np.random.default_rng(0)
    b = WorkloadBuilder("conv", input_shape=(1, 8, 8), timesteps=2)
    h = b.neuron("n1", b.conv("c1", b.input, rng.random((16, 1, 3, 3)), pads=[1, 1, 1, 1]), "IF", threshold=1.0)
    h = b.neuron("n2", b.conv("c2", h, rng.normal(0, 0.2, (64, 16, 3, 3)), pads=[1, 1, 1, 1]), "IF", threshold=1.0)
    b.readout(b.gemm("fc", b.flatten("f", h), rng.normal(size=(2, 64 * 64))))
    wl = b.write(tmp_path / "conv", samples=(rng.random((1, 1, 8, 8)), None))
    arch, _ = big
    # c2 channel-split: 16 input channels x ceil(9 taps x 32 / 8) words = 576 words = 4.5 KiB per core; fc: 4096 x 1 word = 32 KiB
    sets = ["--set", "core.weight_sram_kib=40", "--set", "core.on_overflow=error"]
    assert main(["run", str(arch), str(wl), "-o", str(tmp_path / "o1"), "-q", *sets]) == 0
    # replicated: 16 x ceil(9 x 64 / 8) = 1152 words = 9 KiB per core, plus fc 32 KiB > 40 KiB
    code = main(["run", str(arch), str(wl), "-o", str(tmp_path / "o2"), "-q", *sets, "--set", "core.partition=spatial"])
    err = capsys.readouterr().err
    assert code == 2 and "layer 'fc' needs 32.00 KiB" in err and "use core.partition: channel" in err


def test_digital_first_layer_streamed(big, tmp_path):
    """fc1 (16 x 256 weights) on the digital core, SRAM too small even for it: its weights come from DRAM
    once per evaluation (direct input, held: one evaluation) = 4096 x 8 bits."""
    arch, wl = big
    out = tmp_path / "out"
    sets = ["--set", "core.on_overflow=dram", "--set", "pim.enabled=false", "--set", "core.weight_sram_kib=0.5",
            "--set", "pim.static_input=hold"]
    assert main(["run", str(arch), str(wl), "-o", str(out), "-q", *sets]) == 0
    rep = json.loads((out / "report.json").read_text())
    assert rep["mapping"]["streamed_from_dram"] == ["fc1", "fc2", "fc3"]
    fc1 = rep["layers"][0]
    assert fc1["engine"] == "core"
    assert fc1["energy_breakdown_pj"]["dram.weights"] == pytest.approx(4096 * 8 * 20.3125)
