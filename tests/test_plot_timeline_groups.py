"""Gantt charts of real chips: NoC links beyond the busiest few share one row, cores and engines
keep theirs, the figure height is capped, the title says what was grouped."""
from __future__ import annotations

from accelsim.plot.timeline import MAX_HEIGHT_IN, MAX_LINK_ROWS, group_links, plot_timeline


def _csv(path, cores: int, links: int) -> None:
    rows = ["resource,layer,step,start_ns,end_ns,kind", "pim0,l0,0,0,5,pim"]
    for c in range(cores):
        rows.append(f"core{c},l1,0,5,20,core")
    for k in range(links):   # link k is busy for k + 1 ns: the busiest have the largest numbers
        rows.append(f"link:x{k}y0->x{k}y1,l1,0,20,{21 + k},noc")
    path.write_text("\n".join(rows) + "\n")


def test_many_links_grouped_cores_kept(tmp_path):
    _csv(tmp_path / "t.csv", cores=64, links=48)
    fig = plot_timeline(tmp_path / "t.csv")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[:1] == ["pim0"] and sum(l.startswith("core") for l in labels) == 64
    kept = [l for l in labels if l.startswith("link")]
    assert sorted(kept) == sorted(f"link:x{k}y0->x{k}y1" for k in range(48 - MAX_LINK_ROWS, 48))
    assert labels[-1] == f"other links ({48 - MAX_LINK_ROWS})"
    assert "48 NoC links: the 8 busiest drawn, the other 40 in one row" in fig.axes[0].get_title()
    assert fig.get_size_inches()[1] <= MAX_HEIGHT_IN


def test_few_links_not_grouped(tmp_path):
    _csv(tmp_path / "t.csv", cores=2, links=MAX_LINK_ROWS + 1)
    tasks = [{"resource": f"link{k}", "start_ns": 0.0, "end_ns": 1.0} for k in range(MAX_LINK_ROWS + 1)]
    assert group_links(tasks) == (tasks, "")
    fig = plot_timeline(tmp_path / "t.csv")
    assert "NoC links" not in fig.axes[0].get_title()
    assert len(fig.axes[0].get_yticklabels()) == 1 + 2 + MAX_LINK_ROWS + 1
