"""``save`` and ``load``: state dicts (nested dicts, lists, numbers, strings, tensors,
parameters...) as .npz.

No pickle, ever: tensors and arrays go to ``.npy`` entries of a zip archive and the structure to
a JSON entry (``__gpugrad__``). ``save`` refuses, before touching any file, whatever would need
a pickle (object arrays, arbitrary objects), naming where it sits in the object.

Writes are atomic: a temporary file beside the target (``.<name>.<host>.<pid>.<token>
.gpugrad-tmp``), flushed and synced, then renamed over the target, so a crash never leaves a
partial checkpoint at the path. New files get the permissions ``open()`` would give (0666 less
the umask, as ``torch.save``); a replaced file keeps its permission bits. Temporary files left
by killed writers are removed by later saves into the same folder: only files named as ours,
only when their writer process is gone (same host) or they are a day old.

``load`` reads only what ``save`` writes. Any file it cannot read as a checkpoint (truncated,
corrupt, foreign) raises :class:`CheckpointError` naming the file and the fault; a file that
cannot be opened raises the usual ``OSError``.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import socket
import stat
import time
import zipfile
from collections import Counter, OrderedDict
from pathlib import Path
from typing import IO, Any, TypeAlias

import numpy as np

from . import Size, Tensor, device, dtype, from_numpy
from . import _device as _dev
from . import cuda as _cuda
from . import dtypes as _dtypes
from ._device import Device

__all__ = ["CheckpointError", "load", "remove_stale_temp_files", "save"]

_META = "__gpugrad__"
_FORMAT = 2
_READS = (1, 2)  # format 1: no requires_grad/parameter flags, OrderedDict, Counter, sets...
TEMP_SUFFIX = ".gpugrad-tmp"
"""How the temporary files of ``save`` end."""
STALE_AFTER_S = 24 * 3600.0
"""Age after which a temporary file is stale whoever wrote it."""
_TEMP_RE = re.compile(r"^\.(?P<target>.*)\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)"
                      r"\.(?P<token>[0-9a-f]{16})" + re.escape(TEMP_SUFFIX) + "$")
_DTYPES = {d.name: d for d in _dtypes.ALL}
_DEVICE_RE = re.compile(r"^(cpu|cuda(:\d+)?)$")

FileLike = str | os.PathLike[str] | IO[bytes]
MapLocation: TypeAlias = "str | Device | dict[str, str] | None"


class CheckpointError(RuntimeError, ValueError):
    """A file ``load`` cannot read as a gpugrad checkpoint (truncated, corrupt or foreign);
    the message names the file and what is wrong. Also a ValueError, which ``load`` raised
    for such files before this type existed."""


# --- encoding ---------------------------------------------------------------------------------


def _encode_pairs(obj: Any, arrays: dict[str, np.ndarray], where: str, seen: dict[int, str],
                  path_ids: set[int]) -> list[Any]:
    pairs = []
    for k, v in obj.items():
        if isinstance(k, np.integer):
            k = int(k)
        if isinstance(k, (Tensor, np.ndarray)):
            raise TypeError(f"save: {where} has a key of type {type(k).__name__}; dict keys "
                            "must be numbers, strings, bytes, None or tuples of them")
        key = k if isinstance(k, (str, int)) else _encode(k, arrays, f"{where} key {k!r}", seen,
                                                         path_ids)
        pairs.append([key, _encode(v, arrays, f"{where}[{k!r}]", seen, path_ids)])
    return pairs


def _encode(obj: Any, arrays: dict[str, np.ndarray], where: str, seen: dict[int, str],
            path_ids: set[int]) -> Any:
    if isinstance(obj, Tensor):
        key = seen.get(id(obj))
        if key is None:  # a tensor stored twice is stored once, and loads as one tensor
            key = seen[id(obj)] = f"a{len(arrays)}"
            arrays[key] = _dev.to_host(obj._data)
        node: dict[str, Any] = {"__tensor__": key, "device": str(obj.device)}
        if obj.requires_grad:
            node["requires_grad"] = True
        if _is_parameter(obj):
            node["parameter"] = True
        return node
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            raise TypeError(f"save: {where} is a NumPy array of dtype {obj.dtype}, which would "
                            "need a pickle; gpugrad saves numeric, bool and string arrays only")
        key = f"a{len(arrays)}"
        arrays[key] = obj
        return {"__ndarray__": key}
    if isinstance(obj, np.generic):
        if obj.dtype.hasobject:
            raise TypeError(f"save: {where} is a NumPy scalar of dtype {obj.dtype}, which would "
                            "need a pickle")
        key = f"a{len(arrays)}"
        arrays[key] = np.asarray(obj)
        return {"__npscalar__": key}
    if isinstance(obj, (dict, list, tuple, set)):
        if id(obj) in path_ids:
            raise ValueError(f"save: {where} contains itself")
        path_ids.add(id(obj))
        try:
            if isinstance(obj, dict):
                kind = ("__counter__" if isinstance(obj, Counter) else
                        "__odict__" if isinstance(obj, OrderedDict) else "__dict__")
                return {kind: _encode_pairs(obj, arrays, where, seen, path_ids)}
            if isinstance(obj, set):
                return {"__set_items__": [_encode(v, arrays, f"{where} item {v!r}", seen, path_ids)
                                          for v in obj]}
            items = [_encode(v, arrays, f"{where}[{i}]", seen, path_ids)
                     for i, v in enumerate(obj)]
            if isinstance(obj, Size):
                return {"__size__": items}
            return {"__tuple__": items} if isinstance(obj, tuple) else items
        finally:
            path_ids.discard(id(obj))
    if isinstance(obj, float) and not math.isfinite(obj):
        return {"__float__": repr(obj)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, complex):
        return {"__complex__": [_encode(obj.real, arrays, where, seen, path_ids),
                                _encode(obj.imag, arrays, where, seen, path_ids)]}
    if isinstance(obj, (bytes, bytearray)):
        key = f"a{len(arrays)}"
        arrays[key] = np.frombuffer(bytes(obj), np.uint8)
        return {"__bytearray__" if isinstance(obj, bytearray) else "__bytes__": key}
    if isinstance(obj, dtype):
        return {"__dtype__": obj.name}
    if isinstance(obj, device):
        return {"__device__": str(obj)}
    raise TypeError(f"save: {where} is of type {type(obj).__name__}, which would need a pickle; "
                    "gpugrad saves tensors, parameters, arrays, numbers, strings, bytes, None, "
                    "dtypes, devices and dicts (also OrderedDict, Counter)/lists/tuples/sets of "
                    "them")


def _is_parameter(t: Tensor) -> bool:
    from .nn.parameter import Parameter
    return isinstance(t, Parameter)


def _temp_name(target: str) -> str:
    host = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32] or "host"
    return f".{target[:96]}.{host}.{os.getpid()}.{secrets.token_hex(8)}{TEMP_SUFFIX}"


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # no safe probe: rely on age alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else (EPERM), or cannot tell
    return True


def remove_stale_temp_files(directory: str | os.PathLike[str],
                            max_age: float = STALE_AFTER_S) -> list[Path]:
    """Delete the temporary files that killed ``save`` calls left in ``directory``.

    Only regular files named as ``save`` names them are considered, and one is removed when
    its writer (same host) is no longer running and it is a minute old, or when it is older
    than ``max_age`` seconds. Errors are ignored. Returns the removed paths.
    """
    removed: list[Path] = []
    host = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32] or "host"
    now = time.time()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for e in entries:
        m = _TEMP_RE.match(e.name)
        if m is None:
            continue
        try:
            st = e.stat(follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode):
                continue
            age = now - st.st_mtime
            dead = m["host"] == host and int(m["pid"]) != os.getpid() and not _pid_alive(
                int(m["pid"]))
            if (dead and age > 60.0) or age > max_age:
                os.unlink(e.path)
                removed.append(Path(e.path))
        except OSError:
            continue
    return removed


def save(obj: Any, f: FileLike) -> None:
    """Write ``obj`` to ``f``: a path (exactly that name, whatever its extension; written
    atomically) or a binary file object.

    ``obj`` may nest what PyTorch's weights-only loader accepts: dicts (``OrderedDict`` and
    ``Counter`` load as such; keys of any of these hashable types), lists, tuples, sets,
    ``Size``, tensors (``requires_grad`` kept, gradients not saved), ``nn.Parameter`` (loads as
    one), numbers (complex too), strings, bytes, bytearray, None, dtypes and devices; also NumPy
    arrays and scalars. Anything else raises TypeError naming where it is, and no file changes.
    """
    arrays: dict[str, np.ndarray] = {}
    try:
        meta = json.dumps({"format": _FORMAT, "obj": _encode(obj, arrays, "obj", {}, set())})
    except RecursionError:
        raise ValueError("save: the object is nested too deeply") from None
    arrays[_META] = np.array(meta)
    entries: dict[str, Any] = arrays
    if hasattr(f, "write"):
        np.savez(f, **entries)
        return
    path = Path(os.fspath(f))
    directory = path.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"save: the directory {str(directory)!r} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"save: {str(path)!r} is a directory")
    remove_stale_temp_files(directory)
    while True:
        tmp = directory / _temp_name(path.name)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                         0o666)  # the umask applies, as for open(path, "wb")
            break
        except FileExistsError:
            continue
    try:
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            mode = None
        if mode is not None and hasattr(os, "fchmod"):
            os.fchmod(fd, mode)  # replacing a file keeps its permissions
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **entries)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


# --- decoding ---------------------------------------------------------------------------------


class _FaultError(Exception):
    """A fault in the file, described for CheckpointError."""


def _read_npy(m: IO[bytes], size: int, name: str) -> np.ndarray:
    fmt = np.lib.format
    version = fmt.read_magic(m)
    if version == (1, 0):
        shape, fortran, dtype = fmt.read_array_header_1_0(m)
    elif version == (2, 0):
        shape, fortran, dtype = fmt.read_array_header_2_0(m)
    else:
        raise _FaultError(f"entry {name!r} has .npy format version {version}, never written "
                          "by gpugrad")
    if dtype.hasobject:
        raise _FaultError(f"entry {name!r} holds objects (a pickle), which gpugrad never loads")
    count = math.prod(shape)
    if dtype.itemsize == 0 and count:
        raise _FaultError(f"entry {name!r} has a zero-size dtype {dtype}")
    nbytes = count * dtype.itemsize
    left = size - m.tell()
    if nbytes != left:
        raise _FaultError(f"entry {name!r} declares {nbytes} bytes of data but holds {left}")
    flat = np.empty(count, dtype)
    view = flat.view(np.uint8).data
    got = 0
    while got < nbytes:
        n = m.readinto(view[got:])  # type: ignore[attr-defined]
        if not n:
            raise _FaultError(f"entry {name!r} ends early")
        got += n
    if m.read(1):  # also makes zipfile check the entry's CRC
        raise _FaultError(f"entry {name!r} has bytes after its data")
    return flat.reshape(shape[::-1]).T if fortran else flat.reshape(shape)


def _read_archive(fh: IO[bytes]) -> tuple[dict[str, np.ndarray], Any]:
    with zipfile.ZipFile(fh) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            raise _FaultError("the archive names an entry twice")
        if _META + ".npy" not in names:
            raise _FaultError(f"not a gpugrad checkpoint (no {_META} entry)")
        arrays = {}
        for info in infos:
            if not info.filename.endswith(".npy"):
                raise _FaultError(f"unexpected entry {info.filename!r}")
            with zf.open(info) as m:
                arrays[info.filename[:-4]] = _read_npy(m, info.file_size, info.filename)
    meta = arrays.pop(_META)
    if meta.dtype.kind != "U" or meta.shape != ():
        raise _FaultError(f"the {_META} entry is not a JSON string")
    doc = json.loads(meta.item())
    if not isinstance(doc, dict) or "obj" not in doc:
        raise _FaultError(f"the {_META} entry is not gpugrad's")
    if doc.get("format") not in _READS:
        raise _FaultError(f"checkpoint format {doc.get('format')!r} is not supported (this version "
                          f"reads formats {', '.join(map(str, _READS))})")
    return arrays, doc["obj"]


class _Pending:
    """A tensor read from the file, still to be put on its device."""

    __slots__ = ("tensor", "device", "requires_grad", "parameter")

    def __init__(self, tensor: Tensor, device: str, requires_grad: bool, parameter: bool) -> None:
        self.tensor = tensor
        self.device = device
        self.requires_grad = requires_grad
        self.parameter = parameter


def _flag(node: dict[str, Any], name: str) -> bool:
    value = node.get(name, False)
    if not isinstance(value, bool):
        raise _FaultError(f"tensor flag {name!r} is {value!r}, not a bool")
    return value


def _decode_pairs(pairs: Any, arrays: dict[str, np.ndarray], tensors: dict[str, _Pending],
                  out: dict[Any, Any]) -> dict[Any, Any]:
    for k, v in pairs:
        if not isinstance(k, (str, int)):
            k = _decode(k, arrays, tensors)
            try:
                hash(k)
            except TypeError:
                raise _FaultError(f"dict key {k!r} is not hashable") from None
        out[k] = _decode(v, arrays, tensors)
    return out


def _bytes_entry(key: Any, arrays: dict[str, np.ndarray]) -> bytes:
    arr = arrays[key]
    if arr.dtype != np.uint8 or arr.ndim != 1:
        raise _FaultError(f"bytes entry {key!r} is not a 1-d uint8 array")
    return arr.tobytes()


def _decode(obj: Any, arrays: dict[str, np.ndarray], tensors: dict[str, _Pending]) -> Any:
    if isinstance(obj, list):
        return [_decode(v, arrays, tensors) for v in obj]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if not isinstance(obj, dict):
        raise _FaultError(f"unexpected {type(obj).__name__} in the structure")
    if "__tensor__" in obj:
        key, dev = obj["__tensor__"], obj["device"]
        if not isinstance(dev, str) or not _DEVICE_RE.match(dev):
            raise _FaultError(f"tensor {key!r} has an unknown device {dev!r}")
        if key not in tensors:
            arr = arrays[key]
            if arr.dtype.byteorder == ">":
                arr = arr.astype(arr.dtype.newbyteorder("="))
            tensors[key] = _Pending(from_numpy(arr), dev, _flag(obj, "requires_grad"),
                                    _flag(obj, "parameter"))
        return tensors[key]
    if "__ndarray__" in obj:
        return arrays[obj["__ndarray__"]]
    if "__npscalar__" in obj:
        arr = arrays[obj["__npscalar__"]]
        if arr.shape != ():
            raise _FaultError(f"NumPy scalar entry {obj['__npscalar__']!r} is not 0-d")
        return arr[()]
    if "__tuple__" in obj:
        return tuple(_decode(v, arrays, tensors) for v in obj["__tuple__"])
    if "__size__" in obj:
        return Size(_decode(v, arrays, tensors) for v in obj["__size__"])
    if "__set_items__" in obj:
        try:
            return {_decode(v, arrays, tensors) for v in obj["__set_items__"]}
        except TypeError:
            raise _FaultError("a set holds an unhashable item") from None
    if "__float__" in obj:
        if obj["__float__"] not in ("nan", "inf", "-inf"):
            raise _FaultError(f"bad special float {obj['__float__']!r}")
        return float(obj["__float__"])
    if "__complex__" in obj:
        re_, im = (_decode(v, arrays, tensors) for v in obj["__complex__"])
        if not all(isinstance(v, (int, float)) for v in (re_, im)):
            raise _FaultError("a complex number has non-numeric parts")
        return complex(re_, im)
    if "__bytes__" in obj:
        return _bytes_entry(obj["__bytes__"], arrays)
    if "__bytearray__" in obj:
        return bytearray(_bytes_entry(obj["__bytearray__"], arrays))
    if "__dtype__" in obj:
        found = _DTYPES.get(obj["__dtype__"])
        if found is None:
            raise _FaultError(f"unknown dtype {obj['__dtype__']!r}")
        return found
    if "__device__" in obj:
        if not isinstance(obj["__device__"], str) or not _DEVICE_RE.match(obj["__device__"]):
            raise _FaultError(f"unknown device {obj['__device__']!r}")
        return device(obj["__device__"])
    if "__dict__" in obj:
        return _decode_pairs(obj["__dict__"], arrays, tensors, {})
    if "__odict__" in obj:
        return _decode_pairs(obj["__odict__"], arrays, tensors, OrderedDict())
    if "__counter__" in obj:
        return _decode_pairs(obj["__counter__"], arrays, tensors, Counter())
    raise _FaultError(f"unknown node with keys {sorted(obj)[:4]}")


def _target(saved: str, map_location: MapLocation) -> str:
    if map_location is None:
        return saved
    if isinstance(map_location, dict):
        return str(map_location.get(saved, saved))
    return str(map_location)


def _place(obj: Any, map_location: MapLocation, moved: dict[int, Tensor]) -> Any:
    if isinstance(obj, _Pending):
        t = moved.get(id(obj))
        if t is None:
            where = _target(obj.device, map_location)
            if where.startswith("cuda") and not _cuda.is_available():
                raise RuntimeError(f"load: a tensor saved on {obj.device} would go to {where}, "
                                   "but CUDA is not available here; pass map_location='cpu'")
            t = obj.tensor.to(where)
            if obj.parameter:
                from .nn.parameter import Parameter
                t = Parameter(t, requires_grad=obj.requires_grad)
            elif obj.requires_grad:
                t.requires_grad_(True)
            moved[id(obj)] = t
        return t
    if isinstance(obj, list):
        return [_place(v, map_location, moved) for v in obj]
    if isinstance(obj, Size):
        return obj
    if isinstance(obj, tuple):
        return tuple(_place(v, map_location, moved) for v in obj)
    if isinstance(obj, set):
        return {_place(v, map_location, moved) for v in obj}
    if isinstance(obj, dict):
        out = type(obj)()  # dict, OrderedDict or Counter
        for k, v in obj.items():
            out[k] = _place(v, map_location, moved)
        return out
    return obj


def load(f: FileLike, map_location: MapLocation = None, *,
         weights_only: bool | None = True) -> Any:
    """Read what ``save`` wrote.

    Args:
        f: a path or a binary file object.
        map_location: where tensors go: a device ("cpu", "cuda:0", a ``gpugrad.device``) or a
            dict from saved device names to new ones; by default, where they were saved.
        weights_only: accepted for PyTorch compatibility; gpugrad never unpickles, so every
            load is weights-only.

    Raises:
        CheckpointError: ``f`` is not a readable gpugrad checkpoint (names the file and fault).
        OSError: the file cannot be opened.
    """
    if map_location is not None and not isinstance(map_location, (str, device, dict)):
        raise TypeError("map_location must be a device, a device name or a dict of device "
                        f"names, not {type(map_location).__name__}")
    if hasattr(f, "read"):
        name = repr(getattr(f, "name", "<stream>"))
        return _load_from(f, name, map_location)  # type: ignore[arg-type]
    path = Path(os.fspath(f))
    with open(path, "rb") as fh:
        return _load_from(fh, repr(str(path)), map_location)


def _load_from(fh: IO[bytes], name: str, map_location: MapLocation) -> Any:
    try:
        arrays, tree = _read_archive(fh)
        obj = _decode(tree, arrays, {})
    except MemoryError:
        raise
    except _FaultError as e:
        raise CheckpointError(f"load: {name} is not a readable gpugrad checkpoint: {e}") from None
    except Exception as e:  # every other fault of a corrupt or foreign file
        raise CheckpointError(f"load: {name} is not a readable gpugrad checkpoint: "
                              f"{type(e).__name__}: {e}") from e
    return _place(obj, map_location, {})

