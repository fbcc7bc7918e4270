"""``save`` and ``load``: state dicts (nested dicts, lists, numbers, strings, tensors) as .npz.

No pickle: tensors go to NumPy arrays inside the archive and the structure to a JSON entry.
The write is atomic: a temporary file beside the target, flushed and synced, then renamed over
it, so a crash never leaves a partial checkpoint at ``path``.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from . import _device as _dev
from .creation import tensor as _tensor
from .tensor import Tensor

_META = "__gpugrad__"
_FORMAT = 1


def _encode(obj, arrays: dict):
    if isinstance(obj, Tensor):
        key = f"a{len(arrays)}"
        arrays[key] = obj.numpy()
        return {"__tensor__": key, "device": str(obj.device)}
    if isinstance(obj, np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = obj
        return {"__ndarray__": key}
    if isinstance(obj, dict):
        for k in obj:
            if not isinstance(k, (str, int)):
                raise TypeError(f"save: dict keys must be str or int, got {type(k).__name__}")
        return {"__dict__": [[k, _encode(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, arrays) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, arrays) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return {"__float__": repr(obj)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"save: cannot store an object of type {type(obj).__name__}; gpugrad saves "
                    "tensors, arrays, numbers, strings, None and dicts/lists/tuples of them")


def _decode(obj, arrays, map_location):
    if isinstance(obj, list):
        return [_decode(v, arrays, map_location) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__tensor__" in obj:
        device = map_location if map_location is not None else obj["device"]
        if str(device).startswith("cuda") and not _dev.cuda_is_available():
            raise RuntimeError(f"this checkpoint holds a tensor saved on {obj['device']}, but "
                               "CUDA is not available here; pass map_location='cpu'")
        return _tensor(arrays[obj["__tensor__"]], device=device)
    if "__ndarray__" in obj:
        return arrays[obj["__ndarray__"]]
    if "__tuple__" in obj:
        return tuple(_decode(v, arrays, map_location) for v in obj["__tuple__"])
    if "__float__" in obj:
        return float(obj["__float__"])
    return {k: _decode(v, arrays, map_location) for k, v in obj["__dict__"]}


def save(obj, f) -> None:
    """Write ``obj`` to the file ``f`` (exactly that path, whatever its extension), atomically."""
    path = Path(f)
    arrays: dict = {}
    meta = json.dumps({"format": _FORMAT, "obj": _encode(obj, arrays)})
    arrays[_META] = np.array(meta)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"save: the directory {str(directory)!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    try:  # make the rename itself durable
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def load(f, map_location=None):
    """Read what ``save`` wrote. ``map_location`` ("cpu", "cuda:0", a Device) moves tensors."""
    path = Path(f)
    try:
        with np.load(path, allow_pickle=False) as z:
            if _META not in z.files:
                raise ValueError(f"{str(path)!r} is not a gpugrad checkpoint (no {_META} entry)")
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ValueError(f"load: {str(path)!r} is not a readable gpugrad checkpoint: {e}") from e
    meta = json.loads(str(arrays.pop(_META)))
    if meta.get("format") != _FORMAT:
        raise ValueError(f"load: unsupported checkpoint format {meta.get('format')!r}")
    return _decode(meta["obj"], arrays, map_location)
