"""Indexing: ``x[key]`` (basic: a view; advanced: a gather), ``x[key] = value`` and
``index_put``, the masked ops, ``take``, ``nonzero``/``argwhere``, and the in-place machinery
that the other writing ops (``scatter_``, ``index_add_``...) share.

Keys follow PyTorch (and NumPy) indexing: ints, slices, None, ``...``, and advanced indices
(integer or boolean tensors, arrays, lists, tuples and ranges of ints). Boolean masks become
their ``nonzero()`` integer indices, so every advanced key is a tuple of integer arrays that
``Gather`` reads and ``IndexPut`` writes; the two are each other's gradient.
"""

from __future__ import annotations

import numbers
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _device as _dev
from .. import autograd as _ag
from .._typing import Number
from ..autograd import Op
from ..tensor import Tensor
from ._registry import method
from .compare import Where
from .convert import Cast

__all__ = ["index_put", "index_put_", "masked_fill", "masked_select", "masked_scatter", "take",
           "nonzero", "argwhere"]


# --- the ops ---------------------------------------------------------------------------------


class Index(Op):
    """``x[key]`` with ints, slices, None and Ellipsis: a view; backward writes gy into zeros."""

    is_view = True
    per_call_name = True
    backward_name = "SliceBackward0"  # after release

    def forward(self, x, key):
        self.key = key
        return x[key]

    def _call_name(self) -> str:
        # PyTorch indexes one dim at a time; its node is the last step that changed anything
        key = self.key if isinstance(self.key, tuple) else (self.key,)
        shape = self.meta[0][0]
        dim, name = 0, "Slice" if len(key) == 1 and isinstance(key[0], slice) else "Alias"
        for k in key:
            if k is None:
                name = "Unsqueeze"
            elif k is Ellipsis:
                dim += len(shape) - sum(1 for j in key if j is not None and j is not Ellipsis)
            elif isinstance(k, slice):
                if k.indices(shape[dim]) != (0, shape[dim], 1):
                    name = "Slice"
                dim += 1
            else:
                name, dim = "Select", dim + 1
        return f"{name}Backward0"

    def backward(self, gy):
        shape, dt = self.meta[0]
        g = self.xp.zeros(shape, dt)
        g[self.key] = gy
        return (g,)

    def graph_backward(self, gy):
        shape, dt = self.meta[0]
        zeros = _dev.array_module(gy._data).zeros(shape, dt)
        return (IndexPut.apply(zeros, gy, key=self.key, advanced=False),)


class Gather(Index):
    """``x[key]`` where key holds integer arrays: a copy; repeated indices accumulate in
    backward."""

    is_view = False
    per_call_name = False
    backward_name = "IndexBackward0"

    def backward(self, gy):
        shape, dt = self.meta[0]
        g = self.xp.zeros(shape, dt)
        _dev.scatter_add(g, self.key, gy)
        return (g,)

    def graph_backward(self, gy):
        shape, dt = self.meta[0]
        zeros = _dev.array_module(gy._data).zeros(shape, dt)
        return (IndexPut.apply(zeros, gy, key=self.key, advanced=True, accumulate=True),)


class GatherAlong(Gather):
    """``gather`` / ``take_along_dim``."""

    backward_name = "GatherBackward0"


class IndexSelect(Gather):
    """``index_select``."""

    backward_name = "IndexSelectBackward0"


class MaskedSelect(Gather):
    """``masked_select``."""

    backward_name = "MaskedSelectBackward0"


class Take(Gather):
    """``take``."""

    backward_name = "TakeBackward0"


def assign(a: Any, key: tuple[Any, ...], v: Any, advanced: bool, accumulate: bool) -> None:
    """``a[key] = v`` in place, or ``a[key] += v`` with repeated indices accumulated; a value
    that does not broadcast to ``a[key]`` is a RuntimeError naming both shapes."""
    try:
        if not accumulate:
            a[key] = v
        elif advanced:  # (CuPy's scatter_add takes arrays only)
            xp = _dev.array_module(a)
            _dev.scatter_add(a, key, v if hasattr(v, "dtype") else xp.asarray(v, a.dtype))
        else:
            a[key] += v
    except ValueError as e:
        shape = list(np.broadcast_to(np.zeros((), bool), a.shape)[_host_key(key)].shape)
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(v))} cannot "
                           f"be broadcast to indexing result of shape {shape} ({e})") from None


def _host_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(k if k is None or isinstance(k, (int, slice, type(Ellipsis)))
                 else _dev.to_host(k) for k in key)


def _lead_ones(g: Any, shape: tuple[int, ...]) -> Any:
    """The gradient of a value that had more (leading, size-1) dimensions than ``x[key]``."""
    extra = len(shape) - g.ndim
    return g.reshape((1,) * extra + tuple(g.shape)) if extra > 0 else g


class IndexPut(Op):
    """``x[key] = v`` on a copy of ``x`` (``+=`` with repeats accumulated when
    ``accumulate``). The gradient of x is gy with the written places zeroed (all of gy when
    accumulating); that of v is ``gy[key]`` (summed back to v's shape by the engine)."""

    def forward(self, x, v, key, advanced=True, accumulate=False):
        self.key, self.advanced, self.acc = key, advanced, accumulate
        out = x.copy()
        assign(out, key, v, advanced, accumulate)
        return out

    def backward(self, gy):
        gx = gv = None
        if self.needs[0]:
            if self.acc:
                gx = gy
            else:
                gx = gy.copy()
                gx[self.key] = 0
        if self.needs[1]:
            gv = _lead_ones(gy[self.key], self.meta[1][0])
        return gx, gv

    def graph_backward(self, gy):
        gx = gv = None
        if self.needs[0]:
            gx = gy if self.acc else IndexPut.apply(gy, 0.0, key=self.key,
                                                    advanced=self.advanced)
        if self.needs[1]:
            read = Gather if self.advanced else Index
            gv = _lead_ones(read.apply(gy, key=self.key), self.meta[1][0])
        return gx, gv


# --- keys ------------------------------------------------------------------------------------

_BAD_KEY = ("only integers, slices (`:`), ellipsis (`...`), None and long or bool tensors are "
            "valid indices")


def _sequence_is_tuple(key: list[Any]) -> bool:
    """PyTorch's (and old NumPy's) rule: a list holding a sequence, tensor, slice, None or
    ``...`` is a tuple of indices (``x[[0, slice(None)]]``); else it is one index array."""
    return len(key) < 32 and any(
        k is None or k is Ellipsis or isinstance(k, (Tensor, list, tuple, range, slice,
                                                     np.ndarray)) for k in key)


def _from_sequence(k: Any) -> np.ndarray:
    """A list / tuple / range of ints or bools (nested, maybe holding 0-d tensors) as an
    index array on the host."""
    if isinstance(k, (list, tuple)):
        k = [_from_sequence(e).tolist() if isinstance(e, (list, tuple, Tensor)) else e
             for e in k]
    elif isinstance(k, Tensor):
        return k.numpy()
    try:
        arr = np.asarray(k)
    except ValueError:
        raise IndexError(f"{_BAD_KEY} (got a ragged sequence: {k!r})") from None
    if arr.size == 0 and arr.dtype.kind == "f":  # x[[]]: an empty integer index
        return arr.astype(np.int64)
    if arr.dtype.kind not in "iub":
        raise IndexError(f"{_BAD_KEY} (got a sequence of {arr.dtype.name}: {k!r})")
    return arr


def _convert(k: Any, input: Tensor) -> Any:
    """One key item as int, slice, None, Ellipsis or an index array on input's device."""
    if k is None or k is Ellipsis or isinstance(k, slice):
        return k
    if isinstance(k, (bool, np.bool_)):
        return _dev.to_device(np.asarray(bool(k)), input.device)
    if isinstance(k, (int, np.integer)):
        return int(k)
    if isinstance(k, Tensor):
        if k.device != input.device and k.device.type == "cpu":  # host indices, as PyTorch
            arr = _dev.to_device(k._data, input.device)
        else:
            _dev.same_device_or_raise(input._data, k._data)
            arr = k._data
            if arr.ndim and arr.dtype.kind in "iu":  # backward reads it: not later changes
                arr = arr.copy()
    elif isinstance(k, np.ndarray):
        arr = k.astype(np.int64) if not k.size and k.dtype.kind == "f" else k.copy()
    elif isinstance(k, (list, tuple, range)):
        arr = _from_sequence(k)
    else:
        raise IndexError(f"{_BAD_KEY} (got {type(k).__name__}: {k!r})")
    if arr.dtype.kind not in "iub":
        raise IndexError(f"tensors used as indices must be long, int or bool tensors (got "
                         f"{arr.dtype.name})")
    if arr.ndim == 0 and arr.dtype.kind in "iu":
        return int(arr)
    return arr if not isinstance(arr, np.ndarray) else _dev.to_device(arr, input.device)


def _dims_taken(k: Any) -> int:
    if k is None or k is Ellipsis:
        return 0
    if isinstance(k, (int, slice)):
        return 1
    return k.ndim if k.dtype.kind == "b" else 1


def check_bounds(arr: Any, size: int, dim: int, negative: bool = True,
                 error: type[Exception] = IndexError) -> None:
    """Raise ``error`` naming the first index of ``arr`` outside ``[-size, size)`` (or
    ``[0, size)`` when ``negative`` is False): one reduction, so CUDA indices are checked too."""
    if not arr.size:
        return
    lo = -size if negative else 0
    bad = (arr < lo) | (arr >= size)
    if bool(bad.any()):
        first = int(_dev.to_host(arr[bad]).reshape(-1)[0])
        raise error(f"index {first} is out of bounds for dimension {dim} with size {size}")


def index_key(input: Tensor, key: Any) -> tuple[tuple[Any, ...], bool]:
    """``key`` as a tuple NumPy/CuPy index the data with (integer arrays on input's device,
    masks replaced by their nonzero indices), checked against input's shape; and whether it
    is advanced (holds arrays: the result is a copy)."""
    if isinstance(key, tuple):
        items = key
    elif isinstance(key, list) and _sequence_is_tuple(key):
        items = tuple(key)
    else:
        items = (key,)
    conv = [_convert(k, input) for k in items]
    shape = input.shape
    taken = sum(_dims_taken(k) for k in conv)
    if taken > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)} (got {taken} "
                         f"for shape {list(shape)})")
    if sum(k is Ellipsis for k in conv) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    out: list[Any] = []
    advanced = False
    d = 0
    for k in conv:
        if k is None or isinstance(k, slice):
            d += k is not None
        elif k is Ellipsis:
            d += len(shape) - taken
        elif isinstance(k, int):
            n = shape[d]
            if not -n <= k < n:
                raise IndexError(f"index {k} is out of bounds for dimension {d} with size {n}")
            d += 1
        elif k.dtype.kind == "b" and k.ndim:
            if tuple(k.shape) != shape[d:d + k.ndim]:
                raise IndexError(f"The shape of the mask {list(k.shape)} at index {d} does not "
                                 f"match the shape of the indexed tensor {list(shape)} at "
                                 f"index {d}")
            out.extend(_dev.array_module(k).nonzero(k))
            advanced = True
            d += k.ndim
            continue
        else:
            if k.dtype.kind != "b":
                check_bounds(k, shape[d], d)
                d += 1
            advanced = True
        out.append(k)
    return tuple(out), advanced


@method("__getitem__")
def getitem(input: Tensor, key: Any) -> Tensor:
    """``input[key]``: ints, slices, None, ``...``, and integer or boolean tensors, arrays,
    lists, tuples or ranges (advanced indexing as in PyTorch and NumPy)."""
    try:
        k, advanced = index_key(input, key)
        return (Gather if advanced else Index).apply(input, key=k)
    except IndexError as e:
        raise IndexError(f"{e} (indexing a tensor of shape {list(input.shape)})") from None


# --- writing in place ------------------------------------------------------------------------


def rebind(input: Tensor, out: Tensor) -> Tensor:
    """Make ``input`` the result ``out`` of an op that replaces it (an in-place op recorded in
    the graph): its storage, node and version counter become out's."""
    prev, fn = input._grad_fn, out._grad_fn
    input._data, input._grad_fn = out._data, fn
    input._requires_grad, input._version = out._requires_grad, out._version
    if prev is not None and fn is not None and prev.retain is not None:
        if prev.retain() is input:  # retain_grad() carries over to the new value
            fn.retain, prev.retain = weakref.ref(input), None
    return input


def inplace(input: Tensor, compute: Callable[[], Tensor], write: Callable[[Any], None],
            *others: Any) -> Tensor:
    """Run an in-place op. When the graph is recorded (input, or a Tensor among ``others``,
    requires grad), ``compute()`` builds the result out of place and ``input`` is rebound to
    it (a leaf that requires grad refuses); otherwise ``write(array)`` changes input's storage.
    Either way input's version moves on, so a backward that saved the old contents raises."""
    if _ag.is_grad_enabled() and input._data.dtype.kind == "f" and (
            input._requires_grad or any(isinstance(o, Tensor) and o._requires_grad
                                        for o in others)):
        input._check_inplace_leaf()
        old = input._version
        old.v += 1  # before compute(): what it saves of input is saved at the new version
        try:
            out = compute()
            if out.shape != input.shape:
                raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the "
                                   f"broadcast shape {list(out.shape)}")
        except BaseException:
            old.v -= 1
            raise
        return rebind(input, out)
    return input._write(write)


def _value(input: Tensor, value: Any, name: str) -> Any:
    """A written value: a Tensor on input's device (a 0-d host tensor is moved there, as
    PyTorch allows), or a Python number."""
    if isinstance(value, Tensor):
        if not value.ndim and value.device != input.device and value.device.type == "cpu":
            return value.to(input.device)
        _dev.same_device_or_raise(input._data, value._data)
        return value
    if isinstance(value, numbers.Number) and not isinstance(value, complex):
        return value.item() if isinstance(value, np.generic) else value
    raise TypeError(f"{name}: can't assign a {type(value).__name__} to a tensor; the value must "
                    "be a Tensor or a Python number")


def put_(input: Tensor, key: tuple[Any, ...], advanced: bool, value: Any,
         accumulate: bool = False) -> Tensor:
    """``input[key] = value`` (or ``+=``) in place, for an already converted key."""
    def compute() -> Tensor:
        return IndexPut.apply(input, value, key=key, advanced=advanced, accumulate=accumulate)

    def write(a: Any) -> None:
        assign(a, key, value._data if isinstance(value, Tensor) else value, advanced,
               accumulate)

    return inplace(input, compute, write, value)


@method("__setitem__")
def setitem(input: Tensor, key: Any, value: Tensor | Number) -> None:
    """``input[key] = value``: the key as in ``input[key]``, the value a Tensor or a number,
    broadcast. Recorded in the graph when either requires grad: the value receives
    ``grad[key]`` and the overwritten elements of input receive zero."""
    value = _value(input, value, "__setitem__")
    try:
        k, advanced = index_key(input, key)
    except IndexError as e:
        raise IndexError(f"{e} (indexing a tensor of shape {list(input.shape)})") from None
    put_(input, k, advanced, value)


def _put_key(input: Tensor, indices: Any, name: str) -> tuple[tuple[Any, ...], bool]:
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{name}(): argument 'indices' must be a tuple of Tensors, not "
                        f"{type(indices).__name__}")
    for i, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): expected Tensor as element {i} of 'indices', but got "
                            f"{type(t).__name__}")
    return index_key(input, tuple(indices))


def _put_value(input: Tensor, values: Any, name: str) -> Tensor:
    if not isinstance(values, Tensor):
        raise TypeError(f"{name}(): argument 'values' must be Tensor, not "
                        f"{type(values).__name__}")
    _dev.same_device_or_raise(input._data, values._data)
    return values


@method()
def index_put_(input: Tensor, indices: Sequence[Tensor], values: Tensor,
               accumulate: bool = False) -> Tensor:
    """``input[indices] = values`` in place (``+=``, with repeated indices accumulated, when
    ``accumulate``); ``indices`` is a tuple of integer or boolean tensors."""
    k, advanced = _put_key(input, indices, "index_put_")
    return put_(input, k, advanced, _put_value(input, values, "index_put_"), accumulate)


@method()
def index_put(input: Tensor, indices: Sequence[Tensor], values: Tensor,
              accumulate: bool = False) -> Tensor:
    """Out-of-place ``index_put_``: a copy of ``input`` with ``values`` put at ``indices``."""
    k, advanced = _put_key(input, indices, "index_put")
    v = _put_value(input, values, "index_put")
    return IndexPut.apply(input, v, key=k, advanced=advanced, accumulate=accumulate)


# --- masks -----------------------------------------------------------------------------------


def _mask(input: Tensor, mask: Any, name: str) -> Tensor:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name}(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask._data.dtype.kind != "b":
        raise RuntimeError(f"{name} only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.name}")
    _dev.same_device_or_raise(input._data, mask._data)
    return mask


def _fill_value(input: Tensor, value: Any, name: str) -> Any:
    """A fill value as a 0-d Tensor of input's dtype (differentiable) or a 0-d array."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"{name} only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
        _dev.same_device_or_raise(input._data, value._data)
        if value._data.dtype != input._data.dtype:
            value = Cast.apply(value, dtype=input._data.dtype)
        return value
    v = _value(input, value, name)
    return _dev.array_module(input._data).asarray(v).astype(input._data.dtype)


@method()
def masked_fill(input: Tensor, mask: Tensor, value: Tensor | Number) -> Tensor:
    """``value`` where ``mask`` (a bool tensor broadcasting with input) is True, else input;
    ``value`` is a number or a 0-d tensor (which receives the summed gradient)."""
    m = _mask(input, mask, "masked_fill")
    return Where.apply(m, _fill_value(input, value, "masked_fill"), input)


@method()
def masked_fill_(input: Tensor, mask: Tensor, value: Tensor | Number) -> Tensor:
    """In place: ``value`` where ``mask`` (broadcast to input's shape) is True."""
    m = _mask(input, mask, "masked_fill_")
    v = _fill_value(input, value, "masked_fill_")
    _broadcast_or_raise(m.shape, input.shape, "masked_fill_")

    def write(a: Any) -> None:
        _dev.array_module(a).copyto(a, v._data if isinstance(v, Tensor) else v, where=m._data)

    return inplace(input, lambda: masked_fill(input, m, v), write, v)


def _broadcast_or_raise(shape: tuple[int, ...], target: tuple[int, ...], name: str) -> None:
    try:
        ok = np.broadcast_shapes(shape, target) == target
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"{name}: the mask of shape {list(shape)} does not broadcast to the "
                           f"tensor's shape {list(target)}")


@method()
def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of input where ``mask`` is True, as a 1-d tensor (input and mask
    broadcast together)."""
    m = _mask(input, mask, "masked_select")
    try:
        shape = np.broadcast_shapes(input.shape, m.shape)
    except ValueError:
        raise RuntimeError(f"masked_select: the mask of shape {list(m.shape)} does not "
                           f"broadcast with the tensor's shape {list(input.shape)}") from None
    x = input.broadcast_to(shape) if shape != input.shape else input
    marr = _dev.array_module(m._data).broadcast_to(m._data, shape).reshape(-1)
    return MaskedSelect.apply(x.reshape(-1), key=(marr.nonzero()[0],))


def _masked_scatter_args(input: Tensor, mask: Tensor, source: Tensor,
                         name: str) -> tuple[tuple[Any, ...], Tensor]:
    """The key of the masked places (of input, seen as 1-d when 0-d) and the part of source
    written there."""
    m = _mask(input, mask, name)
    if not isinstance(source, Tensor):
        raise TypeError(f"{name}(): argument 'source' must be Tensor, not "
                        f"{type(source).__name__}")
    _dev.same_device_or_raise(input._data, source._data)
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"{name}: expected self and source to have same dtypes but got "
                           f"{input.dtype.name} and {source.dtype.name}")
    _broadcast_or_raise(m.shape, input.shape, name)
    marr = _dev.array_module(m._data).broadcast_to(m._data, input.shape)
    key = tuple(marr.reshape(1).nonzero() if not input.ndim else marr.nonzero())
    n = int(key[0].shape[0])
    if source.numel() < n:
        raise RuntimeError(f"{name}: Number of elements of source ({source.numel()}) < number "
                           f"of ones in mask ({n})")
    src = source.reshape(-1)
    return key, (src if src.shape[0] == n else src[:n])


@method()
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """A copy of input with the elements where ``mask`` (broadcast to input's shape) is True
    replaced, in order, by the first elements of ``source``."""
    key, src = _masked_scatter_args(input, mask, source, "masked_scatter")
    if not input.ndim:
        return IndexPut.apply(input.reshape(1), src, key=key).reshape(())
    return IndexPut.apply(input, src, key=key)


@method()
def masked_scatter_(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """In place: the elements where ``mask`` is True replaced, in order, by ``source``'s."""
    key, src = _masked_scatter_args(input, mask, source, "masked_scatter_")

    def write(a: Any) -> None:
        (a.reshape(1) if not a.ndim else a)[key] = src._data

    return inplace(input, lambda: masked_scatter(input, mask, source), write, source)


# --- take, nonzero, where(cond) --------------------------------------------------------------


@method()
def take(input: Tensor, index: Tensor) -> Tensor:
    """The elements of input seen as 1-d at ``index`` (int64, negatives from the end); the
    result has index's shape."""
    if not isinstance(index, Tensor):
        raise TypeError(f"take(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._data.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                           f"{index.dtype.name}")
    _dev.same_device_or_raise(input._data, index._data)
    n = input.numel()
    idx = index._data
    if idx.size and bool(((idx < -n) | (idx >= n)).any()):
        bad = int(_dev.to_host(idx[(idx < -n) | (idx >= n)]).reshape(-1)[0])
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")
    return Take.apply(input.reshape(-1), key=(idx,))


@method()
def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """The indices of the nonzero elements: an int64 tensor of shape (count, ndim), or with
    ``as_tuple`` one 1-d tensor per dimension (a 0-d input counts as 1-d)."""
    a = input._data
    xp = _dev.array_module(a)
    idx = xp.nonzero(a.reshape(1) if a.ndim == 0 else a)
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(np.int64, copy=False)) for i in idx)
    if a.ndim == 0:
        return Tensor._wrap(xp.zeros((int(idx[0].shape[0]), 0), np.int64))
    return Tensor._wrap(xp.stack(idx, axis=1).astype(np.int64, copy=False))


@method()
def argwhere(input: Tensor) -> Tensor:
    """The indices of the nonzero elements, shape (count, ndim): ``nonzero(input)``."""
    return nonzero(input)


@method("where")
def _where(input: Tensor, condition: Tensor, y: Tensor | Number) -> Tensor:
    """``gpugrad.where(condition, self, y)``."""
    from .compare import where

    return where(condition, input, y)
