"""Indexing: ``x[key]`` (basic: a view; advanced: a gather) and ``x[key] = value``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _device as _dev
from .. import autograd as _ag
from ..autograd import Op
from ..tensor import Tensor
from ._registry import method

__all__: list[str] = []


class Index(Op):
    """``x[key]`` with ints, slices, None and Ellipsis: a view; backward assigns into zeros."""

    is_view = True

    def forward(self, x, key):
        self.key = key
        return x[key]

    def backward(self, gy):
        shape, dt = self.meta[0]
        g = self.xp.zeros(shape, dt)
        g[self.key] = gy
        return (g,)


class Gather(Index):
    """``x[key]`` where key holds integer or boolean arrays: a copy; repeated indices
    accumulate in backward."""

    is_view = False

    def backward(self, gy):
        shape, dt = self.meta[0]
        g = self.xp.zeros(shape, dt)
        _dev.scatter_add(g, self.key, gy)
        return (g,)


def index_key(input: Tensor, key: Any) -> tuple[Any, bool]:
    """The key with Tensors and lists as arrays on input's device; and whether it is advanced."""
    items = key if isinstance(key, tuple) else (key,)
    out, advanced = [], False
    for k in items:
        if isinstance(k, Tensor):
            _dev.same_device_or_raise(input._data, k._data)
            k = k._data
        elif isinstance(k, (list, np.ndarray, range)):
            k = _dev.to_device(np.asarray(k), input.device)
            if k.size == 0 and k.dtype.kind == "f":  # x[[]]: an empty integer index
                k = k.astype(np.int64)
        elif not (k is None or k is Ellipsis or isinstance(k, (slice, int, np.integer))):
            raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or "
                             f"bool tensors are valid indices (got {type(k).__name__}: {k!r})")
        if not (k is None or k is Ellipsis or isinstance(k, (slice, int, np.integer))):
            if getattr(k, "ndim", 1) == 0 and k.dtype.kind in "iu":
                k = int(k)
            else:
                if k.dtype.kind not in "iub":
                    raise IndexError("tensors used as indices must be long, int or bool tensors")
                advanced = True
        out.append(k)
    return (tuple(out) if isinstance(key, tuple) or len(out) != 1 else out[0]), advanced


@method("__getitem__")
def getitem(input: Tensor, key: Any) -> Tensor:
    """``input[key]``: ints, slices, None, ``...``, and integer or boolean index tensors."""
    k, advanced = index_key(input, key)
    try:
        return (Gather if advanced else Index).apply(input, key=k)
    except IndexError as e:
        raise IndexError(f"{e} (indexing a tensor of shape {list(input.shape)})") from None


@method("__setitem__")
def setitem(input: Tensor, key: Any, value: Any) -> None:
    """``input[key] = value``, in place (outside the graph)."""
    if isinstance(value, Tensor):
        _dev.same_device_or_raise(input._data, value._data)
        if value._requires_grad and _ag.is_grad_enabled():
            raise RuntimeError("assigning a tensor that requires grad into another tensor is "
                               "not supported; use gpugrad.where or gpugrad.cat")
        value = value._data
    k, _ = index_key(input, key)

    def write(a: Any) -> None:
        a[k] = value

    input._write(write)
