"""One digest keys the memoised schedules of both schedulers (accelsim/schedule/dispatch.py): it
covers every field of the tasks a schedule reads and every scheduler parameter, and the fast
scheduler packs its arrays only when it runs (not to look a schedule up)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import accelsim.schedule as timing
from accelsim.hw.memory import Dram
from accelsim.hw.noc import Mesh
from accelsim.hw.tasks import LayerTasks
from accelsim.schedule import dispatch, fast

T, CORES = 3, 2
MESH = Mesh(2, 1)
DRAM = Dram(6.4, 50.0, 20.0)
PARAMS = (T, CORES, MESH, 1.0, DRAM, 1)


def tasks() -> list[LayerTasks]:
    first = LayerTasks(0, "l0", np.array([[1, 2], [0, 3], [2, 2]], np.int64), np.array([[64.0, 0], [0, 0], [0, 128.0]]),
                       np.zeros((T, MESH.links), np.int64), np.array([0, 1, 0], np.int64), (), [1.0, 0.5, 2.0], "pim")
    links = np.zeros((T, MESH.links), np.int64)
    links[:, 0] = [1, 0, 2]
    second = LayerTasks(1, "l1", np.ones((T, CORES), np.int64), np.zeros((T, CORES)), links,
                        np.array([2, 2, 0], np.int64), (0,))
    return [first, second]


def _changed(field: str) -> list[LayerTasks]:
    layers = tasks()
    lt = layers[1]
    if field in ("core_cycles", "dram_bits", "link_cycles", "noc_latency_cycles"):
        a = getattr(lt, field).copy()
        a.reshape(-1)[-1] += 1
        return [layers[0], dataclasses.replace(lt, **{field: a})]
    value = {"index": 5, "name": "l9", "sources": (0, 0), "first_layer_ns": [0.0, 0.0, 0.0],
             "first_layer_resource": "cores", "delayed_sources": (1,), "update_sources": (0,),
             "input_steps": 2}[field]
    return [layers[0], dataclasses.replace(lt, **{field: value})]


FIELDS = ("index", "name", "core_cycles", "dram_bits", "link_cycles", "noc_latency_cycles", "sources",
          "first_layer_ns", "first_layer_resource", "delayed_sources", "update_sources", "input_steps")


def test_the_digest_reads_every_field_a_schedule_reads():
    assert {f.name for f in dataclasses.fields(LayerTasks)} == set(FIELDS) | {"info"}
    base = dispatch.task_digest(tasks(), *PARAMS, "fast")
    assert dispatch.task_digest(tasks(), *PARAMS, "fast") == base
    for field in FIELDS:
        assert dispatch.task_digest(_changed(field), *PARAMS, "fast") != base, field
    for i, other in enumerate((4, 3, Mesh(1, 2), 2.0, Dram(6.4, 0.0, 20.0), 2)):
        params = PARAMS[:i] + (other,) + PARAMS[i + 1:]
        assert dispatch.task_digest(tasks(), *params, "fast") != base, i
    assert dispatch.task_digest(tasks(), *PARAMS, "simpy") != base
    wider = tasks()
    wider[1] = dataclasses.replace(wider[1], dram_bits=wider[1].dram_bits.astype(np.int64))  # zeros: same bytes
    assert dispatch.task_digest(wider, *PARAMS, "fast") != base
    info = tasks()
    info[1].info["note"] = "not read by a schedule"
    assert dispatch.task_digest(info, *PARAMS, "fast") == base


@pytest.mark.parametrize("scheduler", timing.SCHEDULERS)
def test_both_schedulers_are_keyed_by_the_one_digest(monkeypatch, scheduler):
    keys = []
    real = dispatch.task_digest

    def spy(*args):
        keys.append(real(*args))
        return keys[-1]

    monkeypatch.setattr(dispatch, "task_digest", spy)
    dispatch.clear_cache()
    a = timing.schedule(tasks(), *PARAMS, scheduler=scheduler)
    b = timing.schedule(tasks(), *PARAMS, scheduler=scheduler)
    assert len(keys) == 2 and keys[0] == keys[1] and a is b
    assert not hasattr(fast, "digest_packed")
    dispatch.clear_cache()


def test_a_memoised_fast_schedule_is_not_packed_again(monkeypatch):
    packed = []
    real = dispatch.pack

    def spy(*args):
        packed.append(1)
        return real(*args)

    monkeypatch.setattr(dispatch, "pack", spy)
    dispatch.clear_cache()
    first = timing.schedule(tasks(), *PARAMS)
    again = timing.schedule(tasks(), *PARAMS)
    assert again is first and len(packed) == 1
    fresh = timing.schedule(tasks(), *PARAMS, cache=False)
    assert len(packed) == 2 and fresh.makespan_ns == first.makespan_ns
    dispatch.clear_cache()


def test_a_memoised_schedule_too_large_for_the_kernel_is_still_refused(monkeypatch):
    from accelsim.errors import InputError

    dispatch.clear_cache()
    timing.schedule(tasks(), *PARAMS)
    monkeypatch.setattr(fast, "MAX_PACKED_BYTES", 100)
    with pytest.raises(InputError, match="smaller mesh"):
        timing.schedule(tasks(), *PARAMS)
    dispatch.clear_cache()
