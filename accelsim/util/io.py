"""File helpers: atomic writes, safe reads."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def output_dir(path: str | os.PathLike, what: str = "output folder", create: bool = True) -> Path:
    """Check that ``path`` can be a writable folder, before any work is done, and create it
    (with its parents) unless ``create`` is false.

    Raises :class:`accelsim.errors.InputError` (exit 2) when it is a file, cannot be
    created or is not writable.
    """
    from accelsim.errors import fail

    p = Path(path)
    if p.exists() and not p.is_dir():
        raise fail(str(p), "", f"output path exists and is not a folder (the {what})")
    base = p
    while not base.exists():  # the nearest existing ancestor decides whether it can be created
        base = base.parent
    if not base.is_dir():
        raise fail(str(p), "", f"cannot create the {what}: {base} is a file")
    if not os.access(base, os.W_OK | os.X_OK):
        raise fail(str(p), "", f"cannot create the {what}: {base} is not writable")
    if create:
        try:
            p.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise fail(str(p), "", f"cannot create the {what}: {exc.strerror or exc}") from None
    return p


def output_file(path: str | os.PathLike, what: str = "output file", create: bool = True) -> Path:
    """Check that ``path`` can be written as a file (its folder is created); InputError if not."""
    from accelsim.errors import fail

    p = Path(path)
    if p.is_dir():
        raise fail(str(p), "", f"the {what} is a folder; give a file name")
    output_dir(p.parent, f"folder of the {what}", create=create)
    return p


def _temp_beside(path: Path, suffix: str) -> tuple[int, str]:
    """A temporary file next to ``path`` with the permissions a plain ``open`` would give
    (mkstemp makes it 0600; the renamed result must honour the umask like any new file)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    except OSError as exc:  # name the file the user asked for, not the hidden temporary one
        raise _cannot_write(path, exc) from None
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)
    return fd, tmp


def _cannot_write(path: Path, exc: OSError):
    from accelsim.errors import fail

    return fail(str(path), "", f"cannot write: {exc.strerror or exc}")


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and an atomic rename.

    A crash at any moment leaves either the old file or the new one, never half.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    fd, tmp = _temp_beside(path, ".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):  # a full disk, a folder made read-only meanwhile
            raise _cannot_write(path, exc) from None
        raise


def atomic_write_json(path: str | os.PathLike, data: Any) -> None:
    """Write ``data`` as indented JSON atomically, keys in insertion order (byte-stable)."""
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n")


def atomic_save_npz(path: str | os.PathLike, compressed: bool = False, **arrays: Any) -> None:
    """``numpy.savez`` (or ``savez_compressed``) through a temporary file and an atomic rename."""
    import numpy as np

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temp_beside(path, ".tmp.npz")
    os.close(fd)
    try:
        (np.savez_compressed if compressed else np.savez)(tmp, **arrays)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
