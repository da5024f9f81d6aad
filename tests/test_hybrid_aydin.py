"""Aydin et al.'s accounting: the Aydin-shaped workload (scripts/make_aydin_shaped.py) gives
their ANN power at 100 Hz and ANN + state initialisation at 10 Hz within 1 %; the
hybrid's SNN part follows their formula from a run's own rates (hand-worked workload)."""
from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

from accelsim.engine.lower import lower
from accelsim.report import aydin
from accelsim.simulate import run_simulation
from accelsim.workload.loader import load_workload

from hybrid_cases import workload

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("make_aydin_shaped", ROOT / "scripts" / "make_aydin_shaped.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def aydin_graph(tmp_path_factory):
    return load_workload(_script().build(tmp_path_factory.mktemp("aydin")))


def test_layer_mops_are_theirs(aydin_graph):
    layers = lower(aydin_graph.ann.graph)
    mops = [round(l.macs / 1e6, 2) for l in layers if l.name != "init"]
    assert mops == [104.86, 838.86, 838.86, 838.86, 603.98, 603.98, 6710.89, 6710.89, 6710.89]
    assert sum(l.macs for l in layers if l.name != "init") / 1e6 == pytest.approx(23_962, abs=0.1)


def test_their_power_numbers(aydin_graph):
    g = aydin_graph
    layers = lower(g.ann.graph)
    ann = sum(l.macs for l in layers if l.name not in g.ann.initialisers)
    init = sum(l.macs for l in layers if l.name in g.ann.initialisers)
    snn_hz, ann_hz = 1 / g.step_s, 1 / (g.ann.every * g.step_s)
    assert (snn_hz, ann_hz) == (pytest.approx(100), pytest.approx(10))
    assert aydin.ann_power_w(ann, snn_hz) == pytest.approx(3.718, rel=0.01)            # ANN alone at 100 Hz
    assert aydin.ann_power_w(ann + init, ann_hz) == pytest.approx(0.393, rel=0.01)     # ANN + init at 10 Hz
    assert aydin.ANN_MAC_PJ == pytest.approx(1.5514, rel=1e-4)


def test_snn_part_follows_their_formula(tmp_path):
    rep = run_simulation("arch_configs/digital_only.yaml", str(workload(tmp_path)), ["workload.step_s=0.01"])
    b = rep["baselines"]["hybrid_aydin"]
    by_name = {l["name"]: l for l in rep["layers"]}
    T = rep["timesteps"]
    # sum over steps of r_l(t) MACs_l 0.38 pJ = (spikes per inference / neurons) MACs_l 0.38 pJ
    fc1 = by_name["fc1"]["spikes_out"] / 3 * 6 * 0.38
    fc2 = (1 - by_name["fc2"]["sparsity"]) * T * 6 * 0.38   # non-spiking readout: its non-zero output fraction
    assert b["snn_pj"] == pytest.approx(fc1 + fc2, rel=1e-12)
    assert b["init_pj"] == pytest.approx(3 * 6 * aydin.ANN_MAC_PJ, rel=1e-12) and b["ann_pj"] == 0.0
    assert b["energy_pj"] == pytest.approx(b["snn_pj"] + b["init_pj"], rel=1e-12)
    assert b["power_w"] == pytest.approx(b["energy_pj"] * 1e-12 / (T * 0.01), rel=1e-12)
    assert math.isclose(sum(b["snn_step_pj"]), b["snn_pj"], rel_tol=1e-12)
