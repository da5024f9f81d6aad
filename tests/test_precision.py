"""The precision a converted model was trained for (workload weight_bits) and the warning when an
architecture stores fewer bits (accelsim/convert/precision.py, `convert --arch`)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from accelsim.cli import main
from accelsim.config.loader import load_arch
from accelsim.convert.precision import stored_bits_warnings, tensor_grid_bits, trained_weight_bits

ROOT = Path(__file__).resolve().parent.parent


def grid(bits: int, shape, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    levels = 2 ** (bits - 1) - 1
    q = rng.integers(-levels, levels + 1, shape)
    q.flat[0] = levels                                   # the grid's top is reached
    return q * (0.37 / levels)


def test_grid_bits_of_quantised_and_float_weights():
    assert tensor_grid_bits(grid(3, (8, 5))) == 3
    assert tensor_grid_bits(grid(6, (30, 20)).astype(np.float32)) == 6    # exported as float32
    assert tensor_grid_bits(np.random.default_rng(1).normal(size=(30, 20))) is None
    assert trained_weight_bits([grid(4, (10, 10)), grid(6, (10, 3))]) == 6
    assert trained_weight_bits([grid(4, (10, 10)), np.random.default_rng(2).normal(size=(10, 3))]) is None


def test_warnings_name_each_place_that_stores_fewer_bits():
    pim = load_arch(ROOT / "arch_configs" / "ace_snn_pim.yaml").arch          # pim 6 bits, core 6 bits, fixed
    digital = load_arch(ROOT / "arch_configs" / "digital_only.yaml").arch
    assert stored_bits_warnings(6, pim) == [] and stored_bits_warnings(4, digital) == []
    w = stored_bits_warnings(8, pim)
    assert len(w) == 2 and "pim.weight_bits = 6" in w[0] and "core.weight_bits = 6" in w[1]
    assert "every spike-core layer" in w[1]
    float_model = stored_bits_warnings(None, digital)
    assert len(float_model) == 1 and "float32 weights" in float_model[0]
    fl = load_arch(ROOT / "arch_configs" / "digital_only.yaml", [("core.numerics", "float")]).arch
    assert "the first layer on the cores" in stored_bits_warnings(8, fl)[0]


def test_convert_records_the_trained_bits_and_warns(tmp_path, capsys):
    pytest.importorskip("onnx")
    import onnx
    from accelsim.convert.mlp_onnx import mlp_to_onnx

    coefs = [grid(8, (6, 5), 3), grid(8, (5, 3), 4)]
    onnx.save(mlp_to_onnx(coefs, [np.zeros(5), np.zeros(3)], (6,)), tmp_path / "m.onnx")
    np.savez(tmp_path / "calib.npz", x=np.random.default_rng(0).random((20, 6)))
    arch = ROOT / "arch_configs" / "digital_only.yaml"
    rc = main(["convert", str(tmp_path / "m.onnx"), "--calib", str(tmp_path / "calib.npz"), "--timesteps", "4",
               "-o", str(tmp_path / "wl"), "--arch", str(arch)])
    assert rc == 0
    assert json.loads((tmp_path / "wl" / "workload.json").read_text())["weight_bits"] == 8
    err = capsys.readouterr().err
    assert f"warning: {arch}: the model was trained with 8-bit weights; core.weight_bits = 6" in err


@pytest.mark.parametrize("bits", [4, None])
def test_nir_import_records_the_trained_bits_and_warns(tmp_path, capsys, bits):
    nir = pytest.importorskip("nir")
    w = grid(4, (3, 5), 5) if bits else np.random.default_rng(5).normal(size=(3, 5))
    nodes = {"input": nir.Input(input_type={"input": np.array([5])}),
             "fc": nir.Linear(weight=w),
             "lif": nir.LIF(tau=np.full(3, 2.0), r=np.ones(3), v_leak=np.zeros(3), v_threshold=np.ones(3)),
             "output": nir.Output(output_type={"output": np.array([3])})}
    edges = [("input", "fc"), ("fc", "lif"), ("lif", "output")]
    nir.write(tmp_path / "g.nir", nir.NIRGraph(nodes=nodes, edges=edges, type_check=False))
    arch = ROOT / "arch_configs" / "ace_snn_pim.yaml"
    assert main(["import", str(tmp_path / "g.nir"), "--dt", "1", "--timesteps", "4", "-o", str(tmp_path / "o"),
                 "--arch", str(arch)]) == 0
    doc = json.loads((tmp_path / "o" / "workload.json").read_text())
    err = capsys.readouterr().err
    assert doc.get("weight_bits") == bits
    if bits:
        assert "warning" not in err                                    # 4-bit weights fit 6-bit words
    else:
        assert "float32 weights; pim.weight_bits = 6" in err and "core.weight_bits = 6" in err
