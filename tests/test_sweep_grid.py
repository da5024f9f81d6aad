"""Sweep grids: parsing, the points they span, up-front validation naming the --grid item."""
from __future__ import annotations

import pytest

from accelsim.cli import main
from accelsim.errors import InputError
from accelsim.sweep.grid import grid_points, parse_grid, point_key


def test_grid_is_the_cartesian_product_in_order():
    axes = parse_grid(["pim.adc_bits=4,6", "core.count=1,2,4"])
    pts = grid_points(axes)
    assert [p.values for p in pts] == [
        (("pim.adc_bits", a), ("core.count", c)) for a in (4, 6) for c in (1, 2, 4)]
    assert [p.index for p in pts] == list(range(6))


def test_values_are_parsed_like_set_values():
    (axis,) = parse_grid(["pim.adc_model=survey,sar,walden"])
    assert axis.values == ("survey", "sar", "walden")
    (axis,) = parse_grid(["tech.clock_mhz=100,2.5e2,true"])
    assert axis.values == (100, 250.0, True)


def test_point_key_is_stable_and_order_free():
    assert point_key([("b.x", 1), ("a.y", "s")]) == point_key([("a.y", "s"), ("b.x", 1)]) == 'a.y="s";b.x=1'
    assert point_key([("a.y", 4)]) != point_key([("a.y", 4.0)])


def test_random_sampling_is_seeded_and_without_replacement():
    axes = parse_grid(["pim.adc_bits=2,3,4,5,6,7", "core.count=1,2,3,4"])
    a = grid_points(axes, random_n=7, seed=3)
    b = grid_points(axes, random_n=7, seed=3)
    c = grid_points(axes, random_n=7, seed=4)
    assert [p.key for p in a] == [p.key for p in b] != [p.key for p in c]
    assert len({p.key for p in a}) == 7
    assert all(p in grid_points(axes) for p in a)
    assert len(grid_points(axes, random_n=100)) == 24  # N >= grid size: the whole grid


@pytest.mark.parametrize("item, fragment", [
    ("pim.adc_bits", "expected KEY=V1,V2"),
    ("adc_bits=4", "dotted key"),
    ("pim.adc_bits=", "comma-separated"),
    ("pim.adc_bits=4,,6", "none empty"),
    ("pim.adc_bits=4,4", "twice"),
])
def test_bad_grid_items(item, fragment):
    with pytest.raises(InputError) as err:
        parse_grid([item])
    assert fragment in err.value.format() and item.split("=")[0] in err.value.format()


def test_same_key_twice_is_refused():
    with pytest.raises(InputError, match="again"):
        parse_grid(["pim.adc_bits=4", "pim.adc_bits=6"])


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("grid, fragments", [
    (["pim.adc_bits=4,99"], ["--grid pim.adc_bits=4,99", "pim.adc_bits = 99", "less than or equal to 16"]),
    (["pim.adc_bitz=4"], ["--grid pim.adc_bitz=4", "unknown key"]),
    (["core.count=2,64"], ["--grid core.count=2,64", "core.count = 64", "noc.mesh_x * noc.mesh_y"]),
    (["workload.timesteps=2,0"], ["--grid workload.timesteps=2,0", "timesteps = 0"]),
    (["workload.leak=2"], ["--grid workload.leak=2", "only workload.timesteps"]),
])
def test_every_point_is_validated_before_anything_runs(capsys, tmp_path, arch_file, workload_file, grid, fragments):
    out = tmp_path / "sweep"
    args = ["sweep", arch_file, workload_file, "-o", out, "--workers", 1, "-q"]
    for g in grid:
        args += ["--grid", g]
    code, _, err = run_cli(capsys, *args)
    assert code == 2 and "Traceback" not in err and err.startswith("error: ")
    for frag in fragments:
        assert frag in err, err
    assert not (out / "results.csv").exists()   # nothing ran


def test_cross_field_problem_without_a_single_culprit_names_the_point(capsys, tmp_path, arch_file, workload_file):
    # noc.mesh_x=1 makes 1x1 mesh < core.count=2 of the arch file: the rule blames core.count, which is not swept
    code, _, err = run_cli(capsys, "sweep", arch_file, workload_file, "--grid", "noc.mesh_x=1,2", "-o",
                           tmp_path / "s", "-q")
    assert code == 2
    assert "design point noc.mesh_x=1" in err and "core.count" in err


def test_address_needs_dask_executor(capsys, tmp_path, arch_file, workload_file):
    code, _, err = run_cli(capsys, "sweep", arch_file, workload_file, "--grid", "pim.adc_bits=4", "-o", tmp_path,
                           "--address", "tcp://127.0.0.1:1")
    assert code == 2 and "--address" in err


def test_dask_completion_yields_each_future_once_in_submission_order_within_a_poll(monkeypatch):
    """executors._completed: futures finishing in the same poll come out in submission order, every
    future exactly once (Dask's wait replaced by a stand-in finishing 3, then 0 and 2, then 1)."""
    dd = pytest.importorskip("dask.distributed")
    from accelsim.sweep import executors

    rounds = iter([{3}, {2, 0}, set(), {1}])

    def wait(pending, timeout, return_when):
        done = next(rounds)
        return done, set(pending) - done

    class Client:
        def nthreads(self):
            return {"w": 1}

    monkeypatch.setattr(dd, "wait", wait)
    assert list(executors._completed(Client(), [0, 1, 2, 3])) == [3, 0, 2, 1]


def test_trace_reuse_tells_values_of_different_types_apart():
    """1, 1.0 and true are three grid values (as the grid's own duplicate check says): a trace
    group holding two of them means the key reuses traces."""
    from accelsim.sweep.grid import grid_points, parse_grid
    from accelsim.sweep.runner import trace_reuse

    axes = parse_grid(["a.x=1,1.0,true", "b.y=1,2"])
    points = grid_points(axes)
    by_b = [p.values[1][1] for p in points]      # identity = b.y only
    got = trace_reuse(axes, points, by_b)
    assert got.reuse == ("a.x",) and got.rerun == ("b.y",)
