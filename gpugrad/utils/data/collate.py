"""``default_collate`` and ``default_convert``: samples to batches of Tensors, as PyTorch does.

Element type -> batch type: Tensor -> stacked Tensor (one new leading dimension); NumPy array
-> stacked Tensor; NumPy scalar -> Tensor of its dtype; ``float`` -> float64 Tensor; ``int`` ->
int64 Tensor (``bool`` -> bool); ``str`` / ``bytes`` -> unchanged; a mapping, namedtuple or
sequence -> the same structure with each field collated (a tuple becomes a list). NumPy dtypes
that gpugrad lacks map as ``gpugrad.tensor`` maps them (other integers -> int64).
"""

from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ... import Tensor

__all__ = ["default_collate", "default_convert", "collate", "default_collate_fn_map"]

_STR_OR_OBJECT = re.compile(r"[SaUO]")

CollateFnMap = dict[type | tuple[type, ...], Callable[..., Any]]

_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


def _as_tensor(arr: np.ndarray) -> Tensor:
    import gpugrad

    return gpugrad.as_tensor(arr)


def default_convert(data: Any) -> Any:
    """NumPy arrays and scalars inside ``data`` become Tensors; the structure is kept.

    The conversion used when a DataLoader does not batch (``batch_size=None``).
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.bool_, np.number)):
        if isinstance(data, np.ndarray) and _STR_OR_OBJECT.search(data.dtype.str):
            return data
        return _as_tensor(np.asarray(data))
    return _map_structure(data, default_convert)


def _map_structure(data: Any, fn: Callable[[Any], Any]) -> Any:
    """``fn`` applied to each field of a mapping, namedtuple or sequence (others unchanged)."""
    if isinstance(data, collections.abc.Mapping):
        fields = {key: fn(data[key]) for key in data}
        return _rebuild_mapping(data, fields)
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(fn(d) for d in data))
    if isinstance(data, tuple):
        return [fn(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [fn(d) for d in data])
    return data


def _rebuild_mapping(like: Any, fields: dict[Any, Any]) -> Any:
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)  # keeps a subclass's extra attributes
            clone.update(fields)
            return clone
        return type(like)(fields)
    except TypeError:
        return fields


def _rebuild_sequence(like: Any, items: list[Any]) -> Any:
    try:
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(like)(items)
    except TypeError:
        return items


def collate(batch: Any, *, collate_fn_map: CollateFnMap | None = None) -> Any:
    """Collate ``batch`` (a sequence of samples) by the type of its first element.

    Args:
        collate_fn_map: element type -> function ``f(batch, *, collate_fn_map)``; an exact type
            match wins, then the first key the element is an instance of. Containers (mappings,
            namedtuples, sequences) are collated field by field.
    """
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for key, fn in collate_fn_map.items():
            if isinstance(elem, key):
                return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        fields = {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
                  for key in elem}
        return _rebuild_mapping(elem, fields)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        items = [collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return items  # PyTorch returns a list for tuples
        return _rebuild_sequence(elem, items)
    raise TypeError(_ERR.format(elem_type))


def _collate_tensor(batch: Any, *, collate_fn_map: CollateFnMap | None = None) -> Tensor:
    import gpugrad

    out: Tensor = gpugrad.stack(list(batch), 0)
    return out


def _collate_numpy_array(batch: Any, *, collate_fn_map: CollateFnMap | None = None) -> Tensor:
    if _STR_OR_OBJECT.search(batch[0].dtype.str):
        raise TypeError(_ERR.format(batch[0].dtype))
    shapes = {b.shape for b in batch}
    if len(shapes) > 1:
        raise RuntimeError(f"stack expects each array to be equal size, got shapes "
                           f"{sorted(shapes)}")
    return _as_tensor(np.stack(batch))


def _collate_numpy_scalar(batch: Any, *, collate_fn_map: CollateFnMap | None = None) -> Tensor:
    return _as_tensor(np.array(batch))


def _collate_float(batch: Any, *, collate_fn_map: CollateFnMap | None = None) -> Tensor:
    return _as_tensor(np.array(batch, dtype=np.float64))


def _collate_int(batch: Any, *, collate_fn_map: CollateFnMap | None = None) -> Tensor:
    import gpugrad

    return gpugrad.tensor(list(batch))  # ints -> int64, bools -> bool, mixed -> float32


def _collate_str(batch: Any, *, collate_fn_map: CollateFnMap | None = None) -> Any:
    return batch


default_collate_fn_map: CollateFnMap = {
    Tensor: _collate_tensor,
    np.ndarray: _collate_numpy_array,
    (np.bool_, np.number, np.object_): _collate_numpy_scalar,
    float: _collate_float,
    int: _collate_int,
    str: _collate_str,
    bytes: _collate_str,
}


def default_collate(batch: Any) -> Any:
    """Stack a list of samples into a batch, keeping the samples' structure.

    ``default_collate([(x0, 0), (x1, 1)]) == [stack([x0, x1]), tensor([0, 1])]``; see the module
    docstring for the type rules.
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
