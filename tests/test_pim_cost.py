"""PIM cost model: a hand-worked single-tile example, ADC energy vs bits, ADC sharing,
static-input policy, and PIM-vs-digital end to end."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from accelsim.config.arch import Arch
from accelsim.config.loader import ArchSpec
from accelsim.tech.table import load_tech
from accelsim.tech.adc import ADC_MODELS, adc_pj
from accelsim.hw.builtin import first_layer_synaptic_cost
from accelsim.errors import InputError
from accelsim.hw.builtin import simulate_on
from accelsim.simulate import run_simulation
from accelsim.workload.builder import WorkloadBuilder
from accelsim.workload.graph import Samples

ROOT = Path(__file__).resolve().parent.parent


def spec_of(pim: dict, **core) -> ArchSpec:
    arch = Arch.model_validate({"pim": pim, "core": {"count": 1, **core}, "noc": {"mesh_x": 1, "mesh_y": 1}})
    return ArchSpec(arch, load_tech("45nm"), "test.yaml")


def gemm_graph(w: np.ndarray, T: int = 2):
    b = WorkloadBuilder("g", input_shape=(w.shape[1],), timesteps=T)
    b.readout(b.gemm("L", b.input, w, np.zeros(w.shape[0])))
    return b.graph()


def input_cost(spec: ArchSpec, graph, x: np.ndarray):
    tr = simulate_on(spec.arch, graph, Samples(x, None, "t"))
    layer, counts = tr.layers[0], tr.counts[0]
    return first_layer_synaptic_cost(spec, layer, counts, tr.samples, tr.timesteps, layer.name in tr.static_layers)


HAND_PIM = dict(macros=1, rows=4, cols=8, cell_bits=2, weight_bits=3, input_bits=2, dac_bits=1, adc_bits=4,
                adc_share=2, adc_model="sar", signed_weights="differential", read_pulse_ns=10.0, static_input="hold")


def test_hand_worked_single_tile():
    """Gemm 3 -> 1 on one 4 x 8 macro, T = 2 steps, direct input, hold.

    Weights [3, -1, 0] at 3 bits: scale 1, levels (P, N) = (3,0), (0,1), (0,0); 2 magnitude
    bits / 2 bits per cell = 1 slice; differential: 2 bit lines. Input [1, 1/3, 0] at 2 bits:
    codes [3, 1, 0]; dac 1 bit: 2 slices, bits s0 = [1, 1, 0], s1 = [1, 0, 0].
    Per evaluation (one, since held):
      DAC   driven rows 2 + 1 + 0 = 3 (x 1 column tile) x 50 fF * 1 bit * 0.9^2 V^2 = 3 x 0.0405 pJ
      array sum (a/amax)^2 per row [2, 1, 0]; cells per row 2; level fraction per row [1, 1/3, 0]
            drive_off = 2*2 + 1*2 = 6; drive_on = 2*1 + 1*1/3 = 7/3
            G_off = 1/1700 kOhm = 1000/1700 uS, G_on = 1/100 kOhm = 10 uS; V = 0.1 V; t = 10 ns
            E = 0.1^2 * 10 * (6 * 1000/1700 + 7/3 * (10 - 1000/1700)) * 1e-3 pJ
      ADC   2 slices x 2 bit lines = 4 conversions x SAR (2.1691*4 + 16.693) uW * (4+1) ns * 1e-3
      shift_add  4 adds of acc = 2 + 3 + ceil(log2 3) = 7 bits: 0.03 * (7/8)^k, k = log(0.1/0.03)/log(4)
      buffer  input SRAM (3 x 2 bit < 8 KiB: the 8 KiB point, 10 pJ per 64 bits): 3 writes + 3 reads
              of 2 bits; hold buffer: 1 write + T=2 reads of 7 bits
    Latency: 1 copy; one read = 10 ns pulse + min(adc_share 2, 2 bit lines) x 5 ns = 20 ns;
      2 input slices -> 40 ns; held, so steps take [40, 0].
    Output 3*3 - 1*1 = 8 (checked in test_pim_macro)."""
    spec = spec_of(HAND_PIM)
    cost = input_cost(spec, gemm_graph(np.array([[3.0, -1.0, 0.0]])), np.array([[1.0, 1 / 3, 0.0]]))
    g_off, g_on = 1000 / 1700, 10.0
    k = math.log(0.1 / 0.03) / math.log(4)
    want = {
        "pim.dac": 3 * 50 * 1 * 0.81 * 1e-3,
        "pim.array": 0.1 ** 2 * 10 * (6 * g_off + 7 / 3 * (g_on - g_off)) * 1e-3,
        "pim.adc": 4 * (2.1691 * 4 + 16.693) * 5 * 1e-3,
        "pim.shift_add": 4 * 0.03 * (7 / 8) ** k,
        "pim.buffer": 6 * 10 * 2 / 64 + 3 * 10 * 7 / 64,
    }
    assert cost.engine == "pim"
    assert set(cost.energy_pj) == set(want)
    for key, value in want.items():
        assert cost.energy_pj[key] == pytest.approx(value, rel=1e-12), key
    assert cost.latency_ns == pytest.approx(40.0, rel=1e-12)
    assert cost.step_ns == [40.0, 0.0]
    assert cost.info["static_input"] == "hold" and cost.info["copies"] == 1
    assert cost.info["adc_conversions"] == 4 and cost.info["array_utilization"] == pytest.approx(6 / 32)

    # recompute: every per-evaluation part doubles; the input is written once and read twice,
    # the output written and read at each step
    again = input_cost(spec_of({**HAND_PIM, "static_input": "recompute"}), gemm_graph(np.array([[3.0, -1.0, 0.0]])),
                       np.array([[1.0, 1 / 3, 0.0]]))
    for key in ("pim.dac", "pim.array", "pim.adc", "pim.shift_add"):
        assert again.energy_pj[key] == pytest.approx(2 * want[key], rel=1e-12)
    assert again.energy_pj["pim.buffer"] == pytest.approx(9 * 10 * 2 / 64 + 4 * 10 * 7 / 64, rel=1e-12)
    assert again.latency_ns == pytest.approx(80.0) and again.step_ns == [40.0, 40.0]
    auto = input_cost(spec_of({**HAND_PIM, "static_input": "auto"}), gemm_graph(np.array([[3.0, -1.0, 0.0]])),
                      np.array([[1.0, 1 / 3, 0.0]]))
    assert auto.info["static_input"] == "hold"        # the cheaper of the two
    assert auto.info["static_input_energy_pj"] == pytest.approx({"hold": cost.total_pj, "recompute": again.total_pj})


@pytest.mark.parametrize("model", sorted(ADC_MODELS))
def test_adc_energy_rises_with_bits(model):
    tech = load_tech("45nm")
    e = [adc_pj(tech, b, model) for b in range(1, 13)]
    assert all(b > a for a, b in zip(e, e[1:]))


def test_pim_adc_energy_rises_with_adc_bits_end_to_end():
    rng = np.random.default_rng(0)
    graph = gemm_graph(rng.normal(size=(6, 20)))
    x = rng.random((4, 20))
    for model in sorted(ADC_MODELS):
        e = [input_cost(spec_of({**HAND_PIM, "rows": 32, "cols": 64, "adc_model": model, "adc_bits": b}), graph,
                        x).energy_pj["pim.adc"] for b in (2, 4, 6, 8, 10)]
        assert all(b > a for a, b in zip(e, e[1:])), (model, e)


def test_doubling_adc_share_serialises_conversions():
    """8 outputs x 1 slice x 2 = 16 bit lines in one 4 x 64 macro; 2 input slices per vector.
    A read takes t_pulse + min(share, 16) x t_adc (SAR 4 bit: 5 ns): doubling the share from
    2 to 4 adds 2 x 5 ns per read, x 2 reads = 20 ns; beyond 16 it changes nothing."""
    rng = np.random.default_rng(1)
    graph = gemm_graph(rng.normal(size=(8, 3)))
    x = rng.random((2, 3))
    lat = {s: input_cost(spec_of({**HAND_PIM, "cols": 64, "adc_share": s}), graph, x).latency_ns
           for s in (2, 4, 8, 16, 32)}
    assert lat[2] == pytest.approx(2 * (10 + 2 * 5))
    assert lat[4] - lat[2] == pytest.approx(2 * 2 * 5)
    assert lat[8] - lat[4] == pytest.approx(2 * 4 * 5)
    assert lat[32] == lat[16] == pytest.approx(2 * (10 + 16 * 5))
    # with a sample-and-hold the second read overlaps the first one's conversions:
    # 2 reads x max(10, 4 x 5) + min(10, 20) = 50 ns instead of 2 x 30 = 60 ns
    piped = input_cost(spec_of({**HAND_PIM, "cols": 64, "adc_share": 4, "pipelined_adc": True}), graph, x)
    assert piped.latency_ns == pytest.approx(50.0)


def test_layer_that_does_not_fit_is_an_input_error():
    rng = np.random.default_rng(2)
    graph = gemm_graph(rng.normal(size=(3, 10)))       # 10 rows -> 3 row tiles of 4 rows
    with pytest.raises(InputError) as err:
        input_cost(spec_of(HAND_PIM), graph, rng.random((1, 10)))
    assert "pim.macros" in err.value.format() and "needs 3 macros" in err.value.format()


def test_replicas_share_output_positions():
    """A 2-D conv with 16 output positions: 4 macros hold 4 copies, each doing 4 positions."""
    b = WorkloadBuilder("c", input_shape=(1, 4, 4), timesteps=1)
    b.readout(b.conv("L", b.input, np.ones((2, 1, 3, 3)), None, pads=[1, 1, 1, 1]))
    graph = b.graph()
    x = np.random.default_rng(3).random((1, 1, 4, 4))
    one = input_cost(spec_of({**HAND_PIM, "rows": 16, "macros": 1}), graph, x)
    four = input_cost(spec_of({**HAND_PIM, "rows": 16, "macros": 4}), graph, x)
    solo = input_cost(spec_of({**HAND_PIM, "rows": 16, "macros": 4, "replicate_weights": False}), graph, x)
    assert four.info["copies"] == 4 and one.latency_ns == pytest.approx(4 * four.latency_ns)
    assert solo.latency_ns == pytest.approx(one.latency_ns)
    assert four.energy_pj == pytest.approx(one.energy_pj)   # same work, spread over macros


@pytest.mark.slow
def test_pim_at_lossless_adc_matches_digital_end_to_end():
    wl = str(ROOT / "workloads" / "digits" / "workload.json")
    arch = str(ROOT / "arch_configs" / "ace_snn_pim_legacy.yaml")     # the technology-table macro (9 b lossless)
    dig = run_simulation(str(ROOT / "arch_configs" / "digital_only.yaml"), wl, samples=60)
    lossless = run_simulation(arch, wl, ["pim.adc_bits=9"], samples=60)
    low = run_simulation(arch, wl, ["pim.adc_bits=2"], samples=60)
    assert lossless["accuracy"] == dig["accuracy"] > low["accuracy"]
    assert lossless["layers"][0]["engine"] == "pim" and dig["layers"][0]["engine"] == "core"
    assert lossless["static_input"] == "hold"
    for key in ("pim.dac", "pim.array", "pim.adc", "pim.shift_add", "pim.buffer"):
        assert lossless["energy_breakdown_pj"][key] > 0
    assert sum(lossless["energy_breakdown_pj"].values()) == pytest.approx(lossless["per_inference"]["energy_pj"])
    assert lossless["energy_breakdown_pj"]["pim.adc"] > low["energy_breakdown_pj"]["pim.adc"]


def test_sequence_input_recomputes_every_step():
    """A sequence input changes every step: the first layer is evaluated T times per
    sample, and the cost says recompute whatever pim.static_input asks for."""
    rng = np.random.default_rng(4)
    w = rng.normal(size=(2, 3))
    graph = gemm_graph(w, T=3)
    x_seq = rng.random((2, 3, 3))                     # [N, T, features]
    spec = spec_of({**HAND_PIM, "static_input": "hold"})
    tr = simulate_on(spec.arch, graph, Samples(x_seq, None, "seq"))
    act = tr.counts[0].activity
    assert act.evaluations == 2 * 3 and act.vectors == 2 * 3
    cost = first_layer_synaptic_cost(spec, tr.layers[0], tr.counts[0], 2, 3, False)
    assert cost.info["static_input"] == "recompute" and cost.info["evaluations"] == 3
    assert cost.step_ns == [cost.latency_ns / 3] * 3


def test_numpy_backend_gives_the_same_report(tmp_path):
    wl = str(ROOT / "workloads" / "digits" / "workload.json")
    for arch in ("ace_snn_pim.yaml", "digital_only.yaml"):
        a = run_simulation(str(ROOT / "arch_configs" / arch), wl, samples=20, backend="numpy")
        b = run_simulation(str(ROOT / "arch_configs" / arch), wl, samples=20, backend="numba")
        assert a["accuracy"] == b["accuracy"] and a["layers"][0]["engine"] == b["layers"][0]["engine"]
        assert a["per_inference"]["energy_pj"] == pytest.approx(b["per_inference"]["energy_pj"], rel=1e-9)
