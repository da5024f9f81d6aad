"""Lossless, resumable sweep results.

Files in the output folder:

* ``sweep.json``: what is being swept over (arch and workload files with their
  SHA-256, samples, inputs, backend, fixed ``--set`` pairs). A rerun into the
  same folder must match it, so finished points are never mixed across
  different experiments. The grid itself may grow: points already done are reused.
* ``results.journal``: the source of truth, one JSON line per finished point
  (``{"point": key, "values": {...}, "row": {...}}``), appended and fsync'ed as
  results arrive. A kill can only tear the last line; reading drops it, and
  :meth:`Journal.open` compacts the file (atomic rewrite) before appending again.
  When a key appears twice the last line wins (a failed point that was retried).
* ``results.journal.lock``: held (``flock``) while a sweep writes the folder, so a
  second sweep into the same folder is refused instead of interleaving.
* ``results.csv``: one row per design point of the current grid, in grid order,
  rewritten atomically (temporary file + ``os.replace``) from the journal.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any, Iterable, Optional

from accelsim.errors import InputError, fail
from accelsim.util.io import atomic_write_json, atomic_write_text
from accelsim.util.reader import MAX_NPZ_BYTES, open_regular, parse_json, read_bytes, read_json, read_text

MAX_JOURNAL_BYTES = 2**30   # a sweep's journal or results.csv (about a million points)

MANIFEST = "sweep.json"
JOURNAL = "results.journal"
RESULTS = "results.csv"
FORMAT = "accelsim-sweep"

# First metric columns, in this order; the rest (per-component energies, baseline ratios) follow sorted.
HEAD_METRICS = ("status", "error", "energy_pj", "latency_ns", "edp_pj_ns", "accuracy", "timesteps", "samples")


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open_regular(path, "input file", MAX_NPZ_BYTES) as fh:   # an architecture, workload or inputs file
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_manifest(out: Path, manifest: dict[str, Any]) -> bool:
    """Write the manifest, or check an existing one matches; True when resuming."""
    path = out / MANIFEST
    if path.exists():
        try:
            old = read_json(path, "sweep manifest")
        except InputError as exc:
            raise fail(str(path), "", f"is not a sweep manifest ({exc.problems[0].message}); choose another -o "
                       "folder") from None
        if not isinstance(old, dict):
            raise fail(str(path), "", "is not a sweep manifest; choose another -o folder")
        diff = [k for k in sorted(set(old) | set(manifest)) if old.get(k) != manifest.get(k)]
        if diff:
            raise fail(str(path), diff[0], "this folder holds a different sweep (it differs in "
                       f"{', '.join(diff)}); choose another -o folder or delete it", manifest.get(diff[0]))
        return True
    atomic_write_json(path, manifest)
    return False


def _journal_entry(line: str, file: str) -> Optional[dict[str, Any]]:
    """One journal line as an entry, or None when it is torn or not an entry."""
    try:
        entry = parse_json(line, file)
    except InputError:
        return None
    ok = (isinstance(entry, dict) and isinstance(entry.get("point"), str) and isinstance(entry.get("row"), dict)
          and isinstance(entry.get("values", {}), dict))
    return entry if ok else None


class Journal:
    """Append-only record of finished points (see the module docstring)."""

    def __init__(self, path: Path):
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        self._fh: Optional[io.TextIOWrapper] = None
        self._lock_fh: Optional[io.TextIOWrapper] = None

    def open(self) -> "Journal":
        if self._lock_fh is None:
            self.lock()
        torn = False
        if self.path.exists():
            text = read_bytes(self.path, "sweep journal", MAX_JOURNAL_BYTES).decode("utf-8", errors="replace")
            for line in text.splitlines():
                entry = _journal_entry(line, str(self.path))
                if entry is None:
                    torn = True
                else:
                    self.entries[entry["point"]] = entry
            if torn:  # drop the torn tail before appending after it
                atomic_write_text(self.path, "".join(json.dumps(e, sort_keys=True) + "\n" for e in self.entries.values()))
        self._fh = open(self.path, "a", encoding="utf-8")
        return self

    def lock(self) -> None:
        """One sweep per folder: an exclusive lock the kernel releases when the process dies (even by SIGKILL)."""
        self._lock_fh = open(self.path.with_name(self.path.name + ".lock"), "a")
        try:
            import fcntl

            fcntl.flock(self._lock_fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # not POSIX: no lock
            pass
        except OSError:
            self._lock_fh.close()
            raise fail(str(self.path.parent), "", "another accelsim sweep is writing to this folder") from None

    def done(self, key: str) -> bool:
        e = self.entries.get(key)
        return e is not None and e["row"].get("status") == "ok"

    def append(self, entries: Iterable[dict[str, Any]]) -> None:
        text = "".join(json.dumps(e, sort_keys=True, allow_nan=False) + "\n" for e in entries)
        if self._fh is None:
            raise RuntimeError("Journal.open() must be called before append()")
        self._fh.write(text)
        self._fh.flush()
        os.fsync(self._fh.fileno())
        for e in entries:
            self.entries[e["point"]] = e

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if getattr(self, "_lock_fh", None) is not None:
            self._lock_fh.close()   # releases the lock
            self._lock_fh = None


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def write_csv(path: Path, keys: list[str], swept: list[str], journal: Journal) -> int:
    """Rewrite results.csv atomically: one row per key in ``keys`` that the journal holds."""
    rows = [journal.entries[k] for k in keys if k in journal.entries]
    extra = sorted({c for e in rows for c in e["row"] if c not in HEAD_METRICS})
    columns = ["point", *swept, *HEAD_METRICS, *extra]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for e in rows:
        vals = {**{k: e["values"].get(k) for k in swept}, **e["row"], "point": e["point"]}
        w.writerow([_cell(vals.get(c)) for c in columns])
    atomic_write_text(path, buf.getvalue())
    return len(rows)


def read_results(path: str | Path) -> tuple[list[str], list[str], list[dict[str, str]]]:
    """(swept columns, all columns, rows) of a results.csv: swept columns lie between ``point`` and ``status``."""
    with io.StringIO(read_text(path, "sweep results.csv", MAX_JOURNAL_BYTES), newline="") as fh:
        reader = csv.DictReader(fh)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    if "point" not in columns or "status" not in columns:
        raise fail(str(path), "", "not an accelsim sweep results.csv (needs the columns point and status)")
    swept = columns[columns.index("point") + 1: columns.index("status")]
    return swept, columns, rows
