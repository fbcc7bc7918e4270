"""Scans along one dimension: cumsum, cumprod, cummax/cummin (with indices), logcumsumexp.

Backward rules run on Tensors too: cumsum's is a reversed cumsum; the rules that need more
(cumprod with zeros, logcumsumexp) share one helper between ``backward`` (arrays) and
``graph_backward`` (Tensors), given the functions to use (``TENSOR_FNS`` on Tensors).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _device as _dev
from .. import creation, return_types
from .._typing import DTypeLike
from ..autograd import Op
from ..tensor import Tensor
from . import compare, shape, unary
from ._registry import method
from .reduce import dim_args, flip, norm_dims, one_dim
from .reduce import prod as _prod

__all__ = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"]


def _axis(fn: str, input: Any, dim: Any) -> int:
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if dim is None:
        raise TypeError(f"{fn}() missing 1 required positional arguments: \"dim\"")
    return (norm_dims(one_dim(fn, dim), input.ndim) or (0,))[0]


def _flat(x):
    """A 0-d array as shape (1,) (scans need an axis); other arrays unchanged."""
    return x.reshape((1,)) if x.ndim == 0 else x


def _revcumsum(fns, a, axis: int):
    """``sum(a[k:])`` at each ``k`` along ``axis``."""
    return flip(fns.cumsum(flip(a, axis), axis=axis), axis)


class Cumsum(Op):
    def forward(self, x, axis):
        self.axis = axis
        return self.xp.cumsum(_flat(x), axis=axis).reshape(x.shape)

    def backward(self, gy):
        return (_revcumsum(self.xp, _flat(gy), self.axis).reshape(gy.shape),)


def _cumprod_grad(fns, x, y, gy, axis: int):
    """d/dx of ``sum(gy * cumprod(x))``, exact where x has zeros (per slice: the formula
    ``revcumsum(gy y) / x`` before the first zero, the product of the others at it, 0 after)."""
    data = x._data if isinstance(x, Tensor) else x
    ar = _dev.array_module(data)
    iz = data == 0
    if not bool(iz.any()):
        return _revcumsum(fns, gy * y, axis) / x
    seen = ar.cumsum(iz, axis=axis)
    before, first = seen == 0, iz & (seen == 1)
    g_before = _revcumsum(fns, gy * y, axis) / fns.where(before, x, 1.0)
    after_first = fns.cumprod(fns.where(before | first, 1.0, x), axis=axis)
    s = fns.where(seen >= 1, gy * after_first, 0.0).sum(axis=axis, keepdims=True)
    lead = fns.prod(fns.where(before, x, 1.0), axis=axis, keepdims=True)
    return fns.where(before, g_before, fns.where(first, lead * s, 0.0))


class Cumprod(Op):
    saved_inputs = (0,)
    saved_output = True

    def forward(self, x, axis):
        self.axis, self.x = axis, x
        return self.xp.cumprod(_flat(x), axis=axis).reshape(x.shape)

    def backward(self, gy):
        x, y = self.x, self._out
        return (_cumprod_grad(self.xp, _flat(x), _flat(y), _flat(gy), self.axis)
                .reshape(x.shape),)

    def graph_backward(self, gy):
        x, y = _flat(self.x), _flat(self._out)
        if not bool((x._data == 0).any()):
            return (_cumprod_grad(TENSOR_FNS, x, y, _flat(gy), self.axis).reshape(gy.shape),)
        # At zeros the O(n) rule above has the right value but not the right derivative (as
        # PyTorch, use O(n^2) work there): g_i = sum_{k >= i} gy_k cumprod(x with x_i = 1)_k.
        gy, axis = _flat(gy), self.axis
        n = x.shape[axis]
        ar = _dev.array_module(x._data)
        pos = ar.arange(n).reshape((n,) + (1,) * (x.ndim - axis - 1))
        parts = []
        for i in range(n):
            c = cumprod(compare.where(pos == i, 1.0, x), axis)
            parts.append(compare.where(pos >= i, gy * c, 0.0).sum(axis=axis, keepdims=True))
        return (shape.cat(parts, axis).reshape(self.x.shape),)


def scan_pairs(xp, values, axis: int, largest: bool):
    """Running max (or min) along ``axis`` and its index: ties and NaN go to the later element
    and NaN counts as the largest (PyTorch's cummax/cummin). Hillis-Steele doubling: log2(n)
    elementwise passes, the same code on every device."""
    v = values.copy()
    n = v.shape[axis]
    shape = [1] * v.ndim
    shape[axis] = n
    i = xp.broadcast_to(xp.arange(n).reshape(shape), v.shape).copy()
    s = 1
    with np.errstate(invalid="ignore"):
        while s < n:
            late = (slice(None),) * axis + (slice(s, None),)
            early = (slice(None),) * axis + (slice(None, -s),)
            a, b = v[early], v[late]  # a: the earlier window, b: the later one
            if v.dtype.kind == "f":
                keep_b = xp.isnan(b) | ~xp.isnan(a) & ((b >= a) if largest else (b <= a))
            else:
                keep_b = (b >= a) if largest else (b <= a)
            v[late] = xp.where(keep_b, b, a)
            i[late] = xp.where(keep_b, i[late], i[early])
            s *= 2
    return v, i


class LogCumSumExp(Op):
    """log(cumsum(exp(x))) along an axis, stable for any magnitudes (a scan of logaddexp)."""

    saved_inputs = (0,)
    saved_output = True

    def forward(self, x, axis):
        self.axis, self.x = axis, x
        return _lcse(self.xp, _flat(x), axis).reshape(x.shape)

    def backward(self, gy):
        return (_lcse_grad(_ArrayFns(self.xp), _flat(self.x), _flat(self._out), _flat(gy),
                           self.axis).reshape(gy.shape),)

    def graph_backward(self, gy):
        return (_lcse_grad(TENSOR_FNS, _flat(self.x), _flat(self._out), _flat(gy), self.axis)
                .reshape(gy.shape),)


def _lcse(xp, x, axis: int):
    """logcumsumexp of an array by doubling steps of logaddexp (no underflow of early terms)."""
    y = x.copy()
    n, s = y.shape[axis], 1
    with np.errstate(invalid="ignore"):
        while s < n:
            late = (slice(None),) * axis + (slice(s, None),)
            early = (slice(None),) * axis + (slice(None, -s),)
            y[late] = xp.logaddexp(y[late], y[early])
            s *= 2
    return y


def _lcse_grad(fns, x, y, gy, axis: int):
    """d/dx_j of sum_k gy_k y_k = sum_{k >= j} gy_k exp(x_j - y_k), in log space: the positive
    and negative parts of gy each as exp(x_j + reversed-logcumsumexp(log|gy| - y))."""
    data = gy._data if isinstance(gy, Tensor) else gy
    ydata = y._data if isinstance(y, Tensor) else y
    # where y_k = -inf every x_j (j <= k) is -inf: their terms are 0 for any finite stand-in
    y = fns.where(ydata == -np.inf, 0.0, y)
    out = None
    with np.errstate(invalid="ignore", over="ignore"):
        for part in (data > 0, data < 0):
            mag = fns.where(part, gy, 1.0)
            logs = fns.where(part, fns.log(fns.abs(mag)), -np.inf)
            acc = flip(fns.logcumsumexp(flip(logs - y, axis), axis), axis)
            term = fns.exp(x + acc)
            out = term if out is None else out - term
    return out


class _ArrayFns:
    """The array module with ``logcumsumexp`` added (the helpers above on arrays)."""

    def __init__(self, xp: Any) -> None:
        self.xp = xp

    def __getattr__(self, name: str) -> Any:
        return getattr(self.xp, name)

    def logcumsumexp(self, a, axis):
        return _lcse(self.xp, a, axis)


class _TensorFns:
    """Differentiable gpugrad functions under the names the helpers call (on Tensors)."""

    where = staticmethod(compare.where)

    @staticmethod
    def cumsum(a, axis):
        return cumsum(a, axis)

    @staticmethod
    def cumprod(a, axis):
        return cumprod(a, axis)

    @staticmethod
    def prod(a, axis, keepdims=False):
        return _prod(a, axis, keepdims)

    @staticmethod
    def concatenate(seq, axis=0):
        return shape.cat(list(seq), axis)

    @staticmethod
    def ones_like(a):
        return creation.ones_like(a)

    @staticmethod
    def logcumsumexp(a, axis):
        return logcumsumexp(a, axis)

    exp, log, abs = (staticmethod(f) for f in (unary.exp, unary.log, unary.abs))


TENSOR_FNS = _TensorFns()


CummaxResult = return_types.cummax
CumminResult = return_types.cummin


def _int_result(input: Tensor, dtype: DTypeLike | None) -> Tensor:
    from .reduce import _with_dtype

    input = _with_dtype(input, dtype)
    if dtype is None and input._data.dtype.kind in "biu":
        input = Tensor._wrap(input._data.astype(np.int64))
    return input


@method()
def cumsum(input: Tensor, dim: int | None = None, *, dtype: DTypeLike | None = None,
           axis: int | None = None) -> Tensor:
    """Running sum along ``dim``; integer and bool tensors give int64."""
    dim, _ = dim_args("cumsum", dim, axis, False, None)
    ax = _axis("cumsum", input, dim)
    input = _int_result(input, dtype)
    if input._data.dtype.kind != "f":
        return Tensor._wrap(_dev.array_module(input._data).cumsum(_flat(input._data), axis=ax)
                            .reshape(input.shape))
    return Cumsum.apply(input, axis=ax)


@method()
def cumprod(input: Tensor, dim: int | None = None, *, dtype: DTypeLike | None = None,
            axis: int | None = None) -> Tensor:
    """Running product along ``dim``; integer and bool tensors give int64. The gradient is
    exact where elements are zero."""
    dim, _ = dim_args("cumprod", dim, axis, False, None)
    ax = _axis("cumprod", input, dim)
    input = _int_result(input, dtype)
    if input._data.dtype.kind != "f":
        return Tensor._wrap(_dev.array_module(input._data).cumprod(_flat(input._data), axis=ax)
                            .reshape(input.shape))
    return Cumprod.apply(input, axis=ax)


def _cumext(fn: str, input: Tensor, dim: Any, axis: Any, largest: bool) -> Any:
    from .sort import take_along

    dim, _ = dim_args(fn, dim, axis, False, None)
    ax = _axis(fn, input, dim)
    a = _flat(input._data)
    _, idx = scan_pairs(_dev.array_module(a), a, ax, largest)
    values = take_along(input.reshape(a.shape) if input.ndim == 0 else input, idx, ax)
    if input.ndim == 0:
        values, idx = values.reshape(()), idx.reshape(())
    result = CummaxResult if largest else CumminResult
    return result(values, Tensor._wrap(idx.astype(np.int64, copy=False)))


@method()
def cummax(input: Tensor, dim: int | None = None, *, axis: int | None = None) -> CummaxResult:
    """``(values, indices)``: the running maximum along ``dim`` and where it was taken (the
    latest of equal values; NaN counts as the largest). The gradient goes to those indices."""
    return _cumext("cummax", input, dim, axis, True)


@method()
def cummin(input: Tensor, dim: int | None = None, *, axis: int | None = None) -> CumminResult:
    """``(values, indices)``: the running minimum along ``dim`` (as ``cummax``)."""
    return _cumext("cummin", input, dim, axis, False)


@method()
def logcumsumexp(input: Tensor, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """``log(cumsum(exp(input), dim))``, computed stably (floating tensors)."""
    dim, _ = dim_args("logcumsumexp", dim, axis, False, None)
    ax = _axis("logcumsumexp", input, dim)
    if input._data.dtype.kind != "f":
        raise NotImplementedError("logcumsumexp: floating tensors only (got "
                                  f"{input.dtype})")
    return LogCumSumExp.apply(input, axis=ax)


method("cumsum_")(unary.inplace_method(cumsum))
