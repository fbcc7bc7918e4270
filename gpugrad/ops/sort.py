"""Order statistics: sort, argsort, topk, kthvalue, median/nanmedian, mode, unique.

The indices are found on the raw arrays (a stable argsort; NaN counts as the largest value, as
in PyTorch); the values are then gathered by ``TakeAlong``, whose gradient scatters the output
gradient back to those indices (``PutAlong``, its transpose: both run on Tensors too).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _device as _dev
from .. import return_types
from ..autograd import Op
from ..tensor import Tensor
from ._registry import method
from .reduce import dim_args, flip, norm_dims, one_dim

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode",
           "unique"]


def scatter_along(xp, src, idx, axis: int, shape, dtype):
    """``zeros(shape)`` with ``src`` added at ``idx`` along ``axis`` (repeats accumulate)."""
    out = xp.zeros(shape, dtype)
    key = []
    for d, n in enumerate(idx.shape):
        if d == axis:
            key.append(idx)
        else:
            s = [1] * idx.ndim
            s[d] = n
            key.append(xp.arange(n).reshape(s))
    _dev.scatter_add(out, tuple(key), src)
    return out


class TakeAlong(Op):
    """``take_along_axis(x, idx, axis)`` for constant indices, squeezing ``axis`` if asked; the
    gradient is scattered back to the indices."""

    def forward(self, x, idx, axis, squeeze=False):
        self.idx, self.axis, self.squeeze = idx, axis, squeeze
        y = self.xp.take_along_axis(x, idx, axis=axis)
        return y.squeeze(axis) if squeeze else y

    def backward(self, gy):
        shape, dt = self.meta[0]
        g = self.xp.expand_dims(gy, self.axis) if self.squeeze else gy
        return (scatter_along(self.xp, g, self.idx, self.axis, shape, dt),)

    def graph_backward(self, gy):
        g = self.xp.expand_dims(gy, self.axis) if self.squeeze else gy
        return (PutAlong.apply(g, idx=self.idx, axis=self.axis, shape=self.meta[0][0]),)


class PutAlong(Op):
    """``zeros(shape)`` with ``src`` scatter-added at ``idx`` along ``axis``: the transpose of
    ``TakeAlong`` (its gradient gathers)."""

    def forward(self, src, idx, axis, shape):
        self.idx, self.axis = idx, axis
        return scatter_along(self.xp, src, idx, axis, shape, src.dtype)

    def backward(self, gy):
        return (self.xp.take_along_axis(gy, self.idx, self.axis),)


def take_along(input: Tensor, idx: Any, axis: int, squeeze: bool = False) -> Tensor:
    """``input`` gathered at ``idx`` (an integer array or Tensor of ``input``'s ndim) along
    ``axis``; differentiable with respect to ``input``."""
    if isinstance(idx, Tensor):
        idx = idx._data
    return TakeAlong.apply(input, idx=idx, axis=axis, squeeze=squeeze)


def order(a, axis: int, descending: bool):
    """A stable argsort of the array ``a`` along ``axis``; descending keeps equal elements in
    their original order; NaN is the largest value."""
    xp = _dev.array_module(a)
    if not descending:
        return xp.argsort(a, axis=axis, kind="stable")
    rev = xp.argsort(flip(a, axis), axis=axis, kind="stable")
    return (a.shape[axis] - 1) - flip(rev, axis)


def _prepare(fn: str, input: Any, dim: Any) -> tuple[Any, int]:
    """The input's array (0-d as shape (1,)) and the checked axis."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    ax = (norm_dims(one_dim(fn, dim), input.ndim) or (0,))[0]
    a = input._data
    return (a.reshape((1,)) if a.ndim == 0 else a), ax


def _values(input: Tensor, idx: Any, axis: int, squeeze: bool = False) -> tuple[Tensor, Tensor]:
    """(values, indices) for indices found on the (possibly 0-d-as-1-d) array."""
    x = input.reshape((1,)) if input.ndim == 0 else input
    values = take_along(x, idx, axis, squeeze)
    idx = idx.squeeze(axis) if squeeze else idx
    if input.ndim == 0:
        values, idx = values.reshape(()), idx.reshape(())
    return values, Tensor._wrap(idx.astype(np.int64, copy=False))


SortResult = return_types.sort
TopKResult = return_types.topk
KthvalueResult = return_types.kthvalue
MedianResult = return_types.median
NanMedianResult = return_types.nanmedian
ModeResult = return_types.mode


@method()
def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False,
         axis: int | None = None) -> SortResult:
    """``(values, indices)`` of ``input`` sorted along ``dim`` (NaN last, or first when
    descending); always stable. The gradient flows back to the indices."""
    dim, _ = dim_args("sort", dim, axis, False, None, unset=-1)
    a, ax = _prepare("sort", input, dim)
    return SortResult(*_values(input, order(a, ax, descending), ax))


@method()
def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False,
            axis: int | None = None) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (as ``sort``'s indices)."""
    dim, _ = dim_args("argsort", dim, axis, False, None, unset=-1)
    a, ax = _prepare("argsort", input, dim)
    idx = order(a, ax, descending).astype(np.int64, copy=False)
    return Tensor._wrap(idx.reshape(()) if input.ndim == 0 else idx)


@method()
def msort(input: Tensor) -> Tensor:
    """``input`` sorted along its first dimension (``sort(input, 0).values``)."""
    return sort(input, 0).values


@method()
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True, *,
         axis: int | None = None) -> TopKResult:
    """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) elements along
    ``dim``, in order (NaN counts as the largest). The gradient flows back to the indices."""
    dim, _ = dim_args("topk", dim, axis, False, None, unset=-1)
    a, ax = _prepare("topk", input, dim)
    k = int(k)
    if not 0 <= k <= a.shape[ax]:
        raise RuntimeError("selected index k out of range")
    idx = order(a, ax, largest)[(slice(None),) * ax + (slice(0, k),)]
    return TopKResult(*_values(input, idx, ax))


@method()
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False, *,
             axis: int | None = None, keepdims: bool | None = None) -> KthvalueResult:
    """``(values, indices)`` of the ``k``-th smallest element (k from 1) along ``dim``."""
    dim, keepdim = dim_args("kthvalue", dim, axis, keepdim, keepdims, unset=-1)
    a, ax = _prepare("kthvalue", input, dim)
    k = int(k)
    if not 1 <= k <= a.shape[ax]:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {ax}")
    idx = order(a, ax, False)[(slice(None),) * ax + (slice(k - 1, k),)]
    return KthvalueResult(*_values(input, idx, ax, squeeze=not keepdim and input.ndim > 0))


def _median_positions(a, ax: int, ignore_nan: bool):
    """Per slice: the index (into ``a``) of the lower median; where a slice has NaN, its first
    NaN (``median``) or the median of the other elements (``nanmedian``)."""
    xp = _dev.array_module(a)
    o = order(a, ax, False)
    n = a.shape[ax]
    nans = xp.isnan(a).sum(axis=ax, keepdims=True) if a.dtype.kind == "f" else \
        xp.zeros(tuple(1 if d == ax else s for d, s in enumerate(a.shape)), np.int64)
    if ignore_nan:
        pos = xp.maximum(n - nans - 1, 0) // 2
    else:
        pos = xp.where(nans > 0, n - nans, (n - 1) // 2)
    return xp.take_along_axis(o, pos.astype(o.dtype), axis=ax)


class MedianAll(Op):
    """The lower median of all elements; the gradient is shared by the elements equal to it
    (or by the NaNs when it is NaN), as PyTorch's."""

    ignore_nan = False
    nondiff = ("share",)

    def forward(self, x):
        xp = self.xp
        flat = x.reshape((-1,))
        if flat.size == 0:
            return xp.full((), np.nan, x.dtype)
        pos = _median_positions(flat, 0, self.ignore_nan)
        y = flat[pos].reshape(())
        if self.needs[0]:
            mask = x == y
            if x.dtype.kind == "f":
                mask |= xp.isnan(x) & xp.isnan(y)
            self.share = mask / x.dtype.type(max(int(mask.sum()), 1))
        return y

    def backward(self, gy):
        return (gy * self.share,)


class NanMedianAll(MedianAll):
    ignore_nan = True


def _median(fn: str, input: Tensor, dim: Any, keepdim: bool, axis: Any, keepdims: Any,
            ignore_nan: bool) -> Any:
    dim, keepdim = dim_args(fn, dim, axis, keepdim, keepdims)
    if dim is None:
        if not isinstance(input, Tensor):
            raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor")
        return (NanMedianAll if ignore_nan else MedianAll).apply(input)
    a, ax = _prepare(fn, input, dim)
    if a.shape[ax] == 0:
        raise IndexError(f"{fn}(): Expected reduction dim {ax} to have non-zero size.")
    idx = _median_positions(a, ax, ignore_nan)
    result = NanMedianResult if ignore_nan else MedianResult
    return result(*_values(input, idx, ax, squeeze=not keepdim and input.ndim > 0))


@method()
def median(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
           axis: int | None = None, keepdims: bool | None = None) -> Any:
    """``median()``: the lower median of all elements (NaN if any is NaN);
    ``median(dim)``: ``(values, indices)`` along ``dim`` (a slice with NaN gives its first
    NaN)."""
    return _median("median", input, dim, keepdim, axis, keepdims, False)


@method()
def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
              axis: int | None = None, keepdims: bool | None = None) -> Any:
    """``median`` ignoring NaN (NaN only where a slice is all NaN)."""
    return _median("nanmedian", input, dim, keepdim, axis, keepdims, True)


@method()
def mode(input: Tensor, dim: int = -1, keepdim: bool = False, *, axis: int | None = None,
         keepdims: bool | None = None) -> ModeResult:
    """``(values, indices)``: the most frequent value along ``dim`` (the smallest of equally
    frequent ones) and the index of its last occurrence."""
    from .scan import scan_pairs

    dim, keepdim = dim_args("mode", dim, axis, keepdim, keepdims, unset=-1)
    a, ax = _prepare("mode", input, dim)
    n = a.shape[ax]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {ax} to have non-zero size.")
    xp = _dev.array_module(a)
    o = order(a, ax, False)
    s = xp.take_along_axis(a, o, axis=ax)
    head = (slice(None),) * ax
    starts = xp.ones(s.shape, bool)
    starts[head + (slice(1, None),)] = s[head + (slice(1, None),)] != s[head + (slice(0, -1),)]
    shape = [1] * a.ndim
    shape[ax] = n
    pos = xp.broadcast_to(xp.arange(n).reshape(shape), a.shape)
    start, _ = scan_pairs(xp, xp.where(starts, pos, 0), ax, True)
    run = pos - start + 1  # the length of the run of equal values up to each position
    best = xp.argmax(run, axis=ax)  # the first longest run ends here: the smallest value
    best = xp.expand_dims(best, ax)
    idx = xp.take_along_axis(o, best, axis=ax)  # the last occurrence (a stable sort)
    return ModeResult(*_values(input, idx, ax, squeeze=not keepdim and input.ndim > 0))


@method()
def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct elements (or, with ``dim``, distinct slices along ``dim``), sorted;
    with ``return_inverse`` the index of each input element in them, with ``return_counts``
    how often each occurs. Not differentiable."""
    if not isinstance(input, Tensor):
        raise TypeError(f"unique(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    a = input._data
    xp = _dev.array_module(a)
    axis = None if dim is None else norm_dims(one_dim("unique", dim), a.ndim)[0]
    kw: dict[str, Any] = {"equal_nan": False} if a.dtype.kind == "f" and axis is None else {}
    res = xp.unique(a.reshape(-1) if axis is None else a, return_inverse=True,
                    return_counts=True, axis=axis, **kw)
    values, inverse, counts = res
    out = [Tensor._wrap(values)]
    if return_inverse:
        inv = inverse.reshape(a.shape if axis is None else (-1,))
        out.append(Tensor._wrap(inv.astype(np.int64, copy=False)))
    if return_counts:
        out.append(Tensor._wrap(counts.astype(np.int64, copy=False)))
    return out[0] if len(out) == 1 else tuple(out)
