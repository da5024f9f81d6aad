"""The one bounded reader for every input file (hostile until read).

Every file accelsim reads (architecture YAML, workload JSON, tensor and sample
``.npz``, report.json and CSV for plots, a sweep's journal, the technology and
scaling tables, the macro validation data) goes through here:

* only regular files (no folder, FIFO, device or ``/dev/urandom``; a symlink is
  followed, a loop or a NUL byte in the path is an error), at most
  :data:`MAX_TEXT_BYTES` of text, read once with a bound;
* JSON and YAML: nesting at most :data:`MAX_DEPTH` levels, integers at most
  :data:`MAX_INT_DIGITS` digits, duplicate keys refused (non-finite numbers are
  refused by the schemas, which name the field),
  YAML aliases may expand to at most :data:`MAX_YAML_NODES` nodes (an alias bomb
  fails in milliseconds, before anything is built or printed);
* ``.npz``: a zip archive (checked by its first bytes), members opened lazily,
  only those asked for, each ``.npy`` header checked (dtype without objects,
  declared size at most :data:`MAX_ARRAY_BYTES`, equal to the member's stored
  size, stored or deflated, not encrypted) before its data is inflated.

Every library exception of a reader is turned into :class:`accelsim.errors.InputError`
naming the file and the problem.
"""
from __future__ import annotations

import json
import math
import os
import stat
import zipfile
import zlib
from pathlib import Path
from typing import Any, Iterable, Optional

from accelsim.errors import InputError, fail

MAX_TEXT_BYTES = 64 * 2**20       # a YAML, JSON or CSV file (64 MiB)
MAX_NPZ_BYTES = 16 * 2**30        # a tensor or sample archive on disk (16 GiB; only named members are read)
MAX_ARRAY_BYTES = 2**30           # one array once inflated (1 GiB)
MAX_MODEL_BYTES = 2 * 2**30      # an ONNX or NIR model file (protobuf's own limit is 2 GiB)
MAX_MAT_BYTES = 2 * 2**30        # a MATLAB .mat scene (scipy.io.loadmat reads it whole)
MAX_DEPTH = 64                    # nesting of JSON/YAML mappings and lists
MAX_INT_DIGITS = 100              # digits of an integer in JSON/YAML
MAX_YAML_NODES = 100_000          # nodes of a YAML document with its aliases expanded


def _stat_regular(path: Path, what: str) -> os.stat_result:
    file = str(path)
    try:
        st = os.stat(path)
    except ValueError:  # an embedded NUL byte
        raise fail(file.replace("\0", "\\0"), "", "invalid path (contains a NUL byte)") from None
    except FileNotFoundError:
        raise fail(file, "", "file not found") from None
    except OSError as exc:  # a symlink loop, a name too long, permission denied on a folder
        raise fail(file, "", f"cannot read the {what}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise fail(file, "", f"is a directory, expected the {what}")
    if not stat.S_ISREG(st.st_mode):
        raise fail(file, "", f"is not a regular file (a FIFO, socket or device); expected the {what}")
    return st


def check_regular(path: str | os.PathLike, what: str, max_bytes: int) -> None:
    """``path`` is a regular file of at most ``max_bytes`` (for files a library reads itself)."""
    st = _stat_regular(Path(path), what)
    if st.st_size > max_bytes:
        raise fail(str(path), "", f"is {st.st_size} bytes; the {what} may be at most {max_bytes} bytes")


def open_regular(path: str | os.PathLike, what: str, max_bytes: int):
    """A binary file object of ``path``, after checking it is a regular file of at most
    ``max_bytes`` (checked again on the open descriptor)."""
    path = Path(path)
    check_regular(path, what, max_bytes)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise fail(str(path), "", f"cannot read the {what}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced between stat and open
        os.close(fd)
        raise fail(str(path), "", f"is not a regular file; expected the {what}")
    return os.fdopen(fd, "rb")


def read_bytes(path: str | os.PathLike, what: str = "input file", max_bytes: int = MAX_TEXT_BYTES) -> bytes:
    """The whole of a regular file of at most ``max_bytes``."""
    with open_regular(path, what, max_bytes) as fh:
        try:  # a buffer of the file's size (plus one byte to see it grow), not of the cap
            data = fh.read(min(os.fstat(fh.fileno()).st_size, max_bytes) + 1)
            if len(data) > os.fstat(fh.fileno()).st_size:  # still growing: read on up to the cap
                data += fh.read(max_bytes + 1 - len(data))
        except OSError as exc:
            raise fail(str(path), "", f"cannot read the {what}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:  # grew after the stat
        raise fail(str(path), "", f"the {what} may be at most {max_bytes} bytes")
    return data


def read_text(path: str | os.PathLike, what: str = "input file", max_bytes: int = MAX_TEXT_BYTES) -> str:
    """A UTF-8 text file (a byte-order mark is dropped)."""
    data = read_bytes(path, what, max_bytes)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(str(path), "", f"not a UTF-8 text file (byte {exc.start})") from None


# --- JSON ------------------------------------------------------------------------------------

class _Bad(Exception):
    """A limit hit while parsing (converted to an InputError naming the file)."""


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k in out:
            raise _Bad(f"duplicate key {k[:60]!r} in one object (each key may appear once)")
        out[k] = v
    return out


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Bad(f"integer of {len(text)} digits; at most {MAX_INT_DIGITS} are allowed")
    return int(text)


def check_depth(value: Any, file: str, limit: int = MAX_DEPTH) -> None:
    """Refuse mappings and lists nested deeper than ``limit`` (iterative, no recursion)."""
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (dict, list)):
            if d > limit:
                raise fail(file, "", f"nested more than {limit} levels deep")
            stack.extend((c, d + 1) for c in (v.values() if isinstance(v, dict) else v))


def parse_json(text: str, file: str) -> Any:
    """JSON text with the reader's limits (depth, integer size, unique keys)."""
    try:
        value = json.loads(text, object_pairs_hook=_json_pairs, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise fail(file, f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {exc.msg}") from None
    except _Bad as exc:
        raise fail(file, "", f"invalid JSON: {exc}") from None
    except RecursionError:
        raise fail(file, "", f"invalid JSON: nested more than {MAX_DEPTH} levels deep") from None
    check_depth(value, file)
    return value


def read_json(path: str | os.PathLike, what: str = "JSON file") -> Any:
    return parse_json(read_text(path, what), str(path))


# --- YAML ------------------------------------------------------------------------------------

def _yaml_loader():
    import yaml
    from yaml.constructor import ConstructorError

    class BoundedLoader(yaml.SafeLoader):
        """SafeLoader with a nesting limit, unique keys and bounded integers (the alias-expansion
        limit is checked on the composed node graph by :func:`parse_yaml`)."""

        def compose_node(self, parent, index):
            self._depth = getattr(self, "_depth", 0) + 1
            try:
                if self._depth > MAX_DEPTH:
                    raise _Bad(f"nested more than {MAX_DEPTH} levels deep")
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

        def construct_mapping(self, node, deep=False):
            if isinstance(node, yaml.MappingNode):
                self.flatten_mapping(node)
                seen = set()
                for key_node, _ in node.value:
                    key = self.construct_object(key_node, deep=True)
                    try:
                        dup = key in seen
                        seen.add(key)
                    except TypeError:
                        raise ConstructorError(None, None, "a mapping key must be a plain value",
                                               key_node.start_mark) from None
                    if dup:
                        mark = key_node.start_mark
                        raise _Bad(f"line {mark.line + 1}: duplicate key {str(key)[:60]!r} "
                                   "(each key may appear once)")
            return super().construct_mapping(node, deep)

        def construct_yaml_int(self, node):
            digits = sum(c.isalnum() for c in str(node.value))
            if digits > MAX_INT_DIGITS:
                raise _Bad(f"line {node.start_mark.line + 1}: integer of {digits} digits; "
                           f"at most {MAX_INT_DIGITS} are allowed")
            return super().construct_yaml_int(node)

    BoundedLoader.add_constructor("tag:yaml.org,2002:int", BoundedLoader.construct_yaml_int)
    return BoundedLoader


_LOADER = None


def _expanded_nodes(root) -> int:
    """Nodes of the document with every alias expanded (memoised per node, so an alias bomb is
    measured without being expanded); stops counting past the limit."""
    import yaml

    sizes: dict[int, int] = {}

    def size(node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        n = 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                n += size(k) + size(v)
                if n > MAX_YAML_NODES:
                    break
        elif isinstance(node, yaml.SequenceNode):
            for v in node.value:
                n += size(v)
                if n > MAX_YAML_NODES:
                    break
        sizes[id(node)] = n
        return n

    return size(root)


def parse_yaml(text: str, file: str, raw_on_syntax_error: bool = False) -> Any:
    """YAML text with the reader's limits; ``None`` for an empty document. ``raw_on_syntax_error``:
    text that is not YAML is returned as it is (a ``--set`` value), a limit still fails."""
    import yaml
    import yaml.constructor

    global _LOADER
    if _LOADER is None:
        _LOADER = _yaml_loader()
    loader = None
    try:
        loader = _LOADER(text)   # the reader refuses control characters here
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_nodes(node) > MAX_YAML_NODES:
            raise _Bad(f"expands to more than {MAX_YAML_NODES} values through its aliases (&anchor/*alias)")
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        if raw_on_syntax_error and not isinstance(exc, yaml.constructor.ConstructorError):
            return text
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise fail(file, where, f"invalid YAML: {problem}") from None
    except _Bad as exc:
        raise fail(file, "", f"invalid YAML: {exc}") from None
    except RecursionError:
        raise fail(file, "", f"invalid YAML: nested more than {MAX_DEPTH} levels deep") from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a timestamp with a month 13
        raise fail(file, "", f"invalid YAML value: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()


def read_yaml(path: str | os.PathLike, what: str = "YAML file") -> Any:
    return parse_yaml(read_text(path, what), str(path))


# --- .npz ------------------------------------------------------------------------------------

_ZIP_STARTS = (b"PK\x03\x04", b"PK\x05\x06")   # a local file header, or the end record of an empty archive


class NpzArchive:
    """A ``.npz`` opened lazily: :attr:`names` lists its arrays, :meth:`array` reads one after
    checking its header. Use as a context manager."""

    def __init__(self, path: str | os.PathLike, file: str, where: str, shown: Any):
        self.path, self.file, self.where, self.shown = Path(path), file, where, shown
        try:
            self._fh = open_regular(path, "tensor file (.npz)", MAX_NPZ_BYTES)
        except InputError as exc:
            msg = exc.problems[0].message.replace("file not found", "not found")
            raise self._fail(f"tensor file {msg} ({self.path})") from None
        try:
            head = self._fh.read(4)
            if head not in _ZIP_STARTS:
                raise self._fail("not a valid .npz file (not a zip archive); write it with numpy.savez")
            self._fh.seek(0)
            self._zip = zipfile.ZipFile(self._fh)
            self._members = {zi.filename[:-4] if zi.filename.endswith(".npy") else zi.filename: zi
                             for zi in self._zip.infolist()}
        except InputError:
            self._fh.close()
            raise
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            self._fh.close()
            raise self._fail(f"not a valid .npz file: {exc}") from None

    def _fail(self, message: str) -> InputError:
        return fail(self.file, self.where, message, self.shown)

    @property
    def names(self) -> list[str]:
        return list(self._members)

    def __enter__(self) -> "NpzArchive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()
        self._fh.close()

    def check_all(self) -> None:
        """Check every member's header without inflating its data (a pickled, foreign, encrypted or
        truncated member is refused even when unused; a huge unused member costs nothing)."""
        for name in self._members:
            self._guarded(name, lambda member, zi, what: self._header(member, zi, what, cap=False))

    def array(self, name: str):
        """The array ``name``, its header checked before its data is inflated."""
        return self._guarded(name, self._read_member)

    def _guarded(self, name: str, body):
        zi = self._members[name]
        what = f"member {name[:60]!r}"
        if not zi.filename.endswith(".npy"):
            raise self._fail(f"{what} is not a numpy array (.npy); write the file with numpy.savez")
        if zi.flag_bits & 0x1:
            raise self._fail(f"{what} is encrypted")
        if zi.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise self._fail(f"{what} uses compression method {zi.compress_type}; only stored or deflated "
                             "(numpy.savez / savez_compressed) are read")
        try:
            with self._zip.open(zi) as member:
                return body(member, zi, what)
        except InputError:
            raise
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError,
                RuntimeError, OverflowError, TypeError) as exc:
            raise self._fail(f"not a valid .npz file: {what} cannot be read: {exc}") from None

    def _header(self, member, zi: zipfile.ZipInfo, what: str, cap: bool = True):
        """``(shape, fortran_order, dtype, count, nbytes)`` of a member, checked; ``cap``: refuse
        more than :data:`MAX_ARRAY_BYTES` (for a member about to be read; an unused one costs nothing)."""
        from numpy.lib import format as npf

        version = npf.read_magic(member)
        if version not in ((1, 0), (2, 0), (3, 0)):
            raise self._fail(f"{what}: unknown .npy format version {version}")
        reader = npf.read_array_header_1_0 if version == (1, 0) else npf.read_array_header_2_0
        shape, fortran, dtype = reader(member, max_header_size=10_000)
        if dtype.hasobject:
            raise self._fail("contains pickled (object) arrays, which are not allowed; save numeric arrays only")
        count = math.prod(int(d) for d in shape)
        nbytes = count * dtype.itemsize
        if cap and nbytes > MAX_ARRAY_BYTES:
            raise self._fail(f"{what} declares shape {list(shape)} ({nbytes} bytes); an array may be at most "
                             f"{MAX_ARRAY_BYTES} bytes")
        header = member.tell()
        if header + nbytes != zi.file_size:
            raise self._fail(f"{what} is truncated or padded: its header declares shape {list(shape)} "
                             f"({nbytes} bytes of data), the archive stores {zi.file_size - header}")
        return shape, fortran, dtype, count, nbytes

    def _read_member(self, member, zi: zipfile.ZipInfo, what: str):
        import numpy as np

        shape, fortran, dtype, count, nbytes = self._header(member, zi, what)
        data = member.read(nbytes)
        if len(data) != nbytes:
            raise self._fail(f"{what} is truncated")
        arr = np.frombuffer(data, dtype=dtype, count=count)
        return arr.reshape(shape, order="F" if fortran else "C").copy()


def read_npz(path: str | os.PathLike, file: str, where: str, shown: Any,
             names: Optional[Iterable[str]] = None) -> dict[str, Any]:
    """The arrays of a ``.npz`` (only ``names`` when given, those present), every member's header
    checked first."""
    with NpzArchive(path, file, where, shown) as npz:
        npz.check_all()
        wanted = npz.names if names is None else [n for n in npz.names if n in set(names)]
        return {n: npz.array(n) for n in wanted}
