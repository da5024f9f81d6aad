"""accelsim plot: every figure kind writes a non-empty file of the type its extension asks for."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from accelsim.cli import main
from accelsim.plot.pareto import pareto_mask
from accelsim.simulate import run_simulation
from accelsim.sweep import SweepSpec, parse_grid, run_sweep

MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF-", ".svg": b"<?xml"}


def check_file(path):
    data = path.read_bytes()
    assert len(data) > 2000, f"{path} is suspiciously small ({len(data)} bytes)"
    assert data.startswith(MAGIC[path.suffix]), data[:16]


@pytest.fixture
def report_file(tmp_path, arch_file, workload_file):
    path = tmp_path / "report.json"
    path.write_text(json.dumps(run_simulation(str(arch_file), str(workload_file), backend="numpy")))
    return path


@pytest.fixture(scope="module")
def results_file(tmp_path_factory):
    from conftest import TINY_ARCH_YAML, build_tiny_workload

    d = tmp_path_factory.mktemp("sweep")
    (d / "arch.yaml").write_text(TINY_ARCH_YAML)
    wl = build_tiny_workload(d / "tiny")
    spec = SweepSpec(str(d / "arch.yaml"), str(wl), parse_grid(["workload.timesteps=1,2,4", "core.lanes=2,8",
                                                                 "tech.clock_mhz=100,400"]), backend="numpy")
    run_sweep(spec, d / "out", workers=1)
    return d / "out" / "results.csv"


def plot(capsys, *argv):
    code = main(["plot", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("ext", [".png", ".svg", ".pdf"])
@pytest.mark.parametrize("kind", ["breakdown", "activity"])
def test_report_figures(capsys, tmp_path, report_file, kind, ext):
    out = tmp_path / f"fig{ext}"
    code, stdout, err = plot(capsys, report_file, "-o", out, "--kind", kind)
    assert code == 0, err
    assert f"({kind})" in stdout
    check_file(out)


def test_default_report_figure_is_the_breakdown(capsys, tmp_path, report_file):
    code, stdout, _ = plot(capsys, report_file, "-o", tmp_path / "b.png")
    assert code == 0 and "(breakdown)" in stdout
    check_file(tmp_path / "b.png")


def test_same_report_gives_the_same_svg(capsys, tmp_path, report_file):
    plot(capsys, report_file, "-o", tmp_path / "a.svg")
    plot(capsys, report_file, "-o", tmp_path / "b.svg")
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def test_timeline_gantt(capsys, tmp_path):
    csv = tmp_path / "timeline.csv"
    lines = ["resource,layer,step,start_ns,end_ns,kind"]
    for step in range(3):
        lines += [f"pim0,conv,{step},{100 * step},{100 * step + 40},compute",
                  f"core0,fc,{step},{100 * step + 40},{100 * step + 90},compute",
                  f"noc,fc,{step},{100 * step + 90},{100 * step + 95},route"]
    csv.write_text("\n".join(lines) + "\n")
    for ext in (".png", ".pdf"):
        code, stdout, err = plot(capsys, csv, "-o", tmp_path / f"t{ext}")
        assert code == 0 and "(timeline)" in stdout, err
        check_file(tmp_path / f"t{ext}")


def test_bad_timeline_rows_exit_2(capsys, tmp_path):
    csv = tmp_path / "timeline.csv"
    csv.write_text("resource,layer,step,start_ns,end_ns,kind\npim0,conv,0,50,10,compute\n")
    code, _, err = plot(capsys, csv, "-o", tmp_path / "t.png")
    assert code == 2 and "line 2" in err and "start_ns <= end_ns" in err


def test_sweep_results_pareto(capsys, tmp_path, results_file):
    for x, y in (("energy_pj", "accuracy"), ("latency_ns", "energy_pj"), ("edp_pj_ns", "energy_pj.core.vmem")):
        out = tmp_path / f"{x}-{y}.png"
        code, stdout, err = plot(capsys, results_file, "-o", out, "--x", x, "--y", y)
        assert code == 0 and "(pareto)" in stdout, err
        check_file(out)


@pytest.mark.parametrize("argv, fragments", [
    (["--x", "energy", "--y", "accuracy"], ["energy", "no such column", "energy_pj"]),
    (["--kind", "breakdown"], ["--kind", "pareto"]),
])
def test_bad_plot_requests_exit_2(capsys, tmp_path, results_file, argv, fragments):
    code, _, err = plot(capsys, results_file, "-o", tmp_path / "p.png", *argv)
    assert code == 2 and "Traceback" not in err
    for f in fragments:
        assert f in err


def test_bad_extension_and_bad_input_exit_2(capsys, tmp_path, report_file):
    code, _, err = plot(capsys, report_file, "-o", tmp_path / "fig.jpg")
    assert code == 2 and ".png" in err
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    code, _, err = plot(capsys, other, "-o", tmp_path / "fig.png")
    assert code == 2 and "not a report.json" in err


def brute_force_front(x, y, max_x, max_y):
    a, b = (-x if max_x else x), (-y if max_y else y)
    return np.array([not any((a[j] <= a[i] and b[j] <= b[i]) and (a[j] < a[i] or b[j] < b[i])
                             for j in range(len(a))) for i in range(len(a))])


@pytest.mark.parametrize("max_x, max_y", list(itertools.product([False, True], repeat=2)))
def test_pareto_mask_matches_brute_force(max_x, max_y):
    rng = np.random.default_rng(1)
    for _ in range(30):
        n = int(rng.integers(1, 40))
        x = rng.integers(0, 8, n).astype(float)   # small integers: many ties and duplicates
        y = rng.integers(0, 8, n).astype(float)
        assert (pareto_mask(x, y, max_x, max_y) == brute_force_front(x, y, max_x, max_y)).all()


def test_timeline_resources_in_natural_order():
    from accelsim.plot.timeline import _resource_order

    names = ["link:x0y1->x1y1", "core10", "core2", "pim1", "dram", "core0", "pim0"]
    assert sorted(names, key=_resource_order) == ["pim0", "pim1", "core0", "core2", "core10", "dram",
                                                  "link:x0y1->x1y1"]
