"""Reductions: sum, mean, var/std, max/min (with indices), amax/amin, argmax/argmin, logsumexp."""

from __future__ import annotations

import builtins
from typing import Any, NamedTuple, overload

import numpy as np

from .. import _device as _dev
from .._typing import DimLike
from ..autograd import Op, raw
from ..tensor import Tensor
from ._registry import method
from .compare import maximum, minimum

__all__ = ["sum", "mean", "var", "std", "amax", "amin", "max", "min", "argmax", "argmin",
           "logsumexp"]


def norm_dims(dim, ndim: int):
    """``dim`` (None, int or tuple, negatives allowed) as a sorted tuple of axes, checked."""
    if dim is None:
        return _ALL[ndim] if ndim < 8 else tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        dims: tuple[Any, ...] = (dim,)
    elif isinstance(dim, (tuple, list)):
        dims = tuple(dim)
    else:
        raise TypeError(f"dim must be an int or a tuple of ints, got {type(dim).__name__}: "
                        f"{dim!r}")
    out = []
    for d in dims:
        if not isinstance(d, (int, np.integer)):
            raise TypeError(f"dim must be an int or a tuple of ints, got {dim!r}")
        d = int(d)
        if not -builtins.max(ndim, 1) <= d < builtins.max(ndim, 1):
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-builtins.max(ndim, 1)}, "
                f"{builtins.max(ndim, 1) - 1}], but got {d})"
            )
        out.append(d % builtins.max(ndim, 1))
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {dim} appears multiple times in the list of dims")
    return tuple(sorted(out)) if ndim else ()


_ALL = [tuple(range(n)) for n in range(8)]


def check_reducible(name: str, x: Any, dim: Any, axes: tuple[int, ...]) -> None:
    """max, min and their arg- forms have no identity: refuse to reduce an empty axis (an
    empty tensor reduced over non-empty axes is fine), with PyTorch's error types."""
    if x.size:
        return
    if dim is None:
        raise (IndexError if name.startswith("arg") else RuntimeError)(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
            "Specify the reduction dim with the 'dim' argument.")
    for a in axes:
        if x.shape[a] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {a} to have non-zero size.")


def _expand(xp, g, shape):
    """``g`` broadcast to ``shape`` as a new array (cheaper than a broadcast view for small
    shapes, and a leaf may keep it without a copy)."""
    if isinstance(g, Tensor):  # a create_graph backward
        return xp.broadcast_to(g, shape)
    out = xp.empty(shape, g.dtype)
    out[...] = g
    return out


def _kept(gy, shape, axes, keepdim):
    """``gy`` reshaped so it broadcasts against the input ``shape`` (the reduced axes as 1)."""
    if keepdim:
        return gy
    return gy.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))


class Sum(Op):
    def forward(self, x, dim=None, keepdim=False):
        self.axes = axes = norm_dims(dim, x.ndim)
        self.keepdim = keepdim
        return x.sum(axis=None if dim is None else axes, keepdims=keepdim)

    def backward(self, gy):
        shape = self.meta[0][0]
        return (_expand(self.xp, _kept(gy, shape, self.axes, self.keepdim), shape),)


class Mean(Op):
    def forward(self, x, dim=None, keepdim=False):
        self.axes = axes = norm_dims(dim, x.ndim)
        self.keepdim = keepdim
        self.n = int(np.prod([x.shape[a] for a in axes])) if axes else 1
        return x.mean(axis=axes, keepdims=keepdim)

    def backward(self, gy):
        shape = self.meta[0][0]
        g = _kept(gy, shape, self.axes, self.keepdim) / float(self.n)
        return (_expand(self.xp, g, shape),)


class Var(Op):
    """Variance with Bessel's correction ``correction`` (1: unbiased, PyTorch's default)."""

    saved_inputs = (0,)

    def forward(self, x, dim=None, correction=1, keepdim=False):
        self.axes = axes = norm_dims(dim, x.ndim)
        self.keepdim = keepdim
        n = int(np.prod([x.shape[a] for a in axes])) if axes else 1
        self.denom = denom = builtins.max(n - correction, 0)
        self.diff = d = x - x.mean(axis=axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (d * d).sum(axis=axes, keepdims=keepdim) / x.dtype.type(denom)

    def backward(self, gy):
        g = _kept(gy, self.diff.shape, self.axes, self.keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g * self.diff * (2.0 / self.denom if self.denom else float("nan")),)

    def _graph_diff(self):
        x = self.saved_input(0)
        return x - mean(x, self.axes, keepdim=True)

    def graph_backward(self, gy):
        d = self._graph_diff()
        g = _kept(gy, d.shape, self.axes, self.keepdim)
        return (g * d * (2.0 / self.denom if self.denom else float("nan")),)


class Std(Var):
    """Standard deviation: sqrt(Var); the gradient is 0 where the deviation is 0 (a constant
    slice), as PyTorch's, instead of 0 * inf."""

    saved_output = True

    def forward(self, x, dim=None, correction=1, keepdim=False):
        with np.errstate(invalid="ignore"):
            self.y = y = self.xp.sqrt(Var.forward(self, x, dim, correction, keepdim))
        return y

    def backward(self, gy):
        xp = self.xp
        y = _kept(self.y, self.diff.shape, self.axes, self.keepdim)
        g = _kept(gy, self.diff.shape, self.axes, self.keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = g / (y * self.denom) if self.denom else g * float("nan")
            g = xp.where(y == 0, 0.0, scale * self.diff)
        return (g.astype(self.diff.dtype, copy=False),)

    def graph_backward(self, gy):
        d = self._graph_diff()
        y = _kept(self._out, d.shape, self.axes, self.keepdim)
        g = _kept(gy, d.shape, self.axes, self.keepdim)
        scale = g / (y * self.denom) if self.denom else g * float("nan")
        return (self.xp.where(raw(y) == 0, 0.0, scale * d),)


class AMax(Op):
    """Max over ``dim`` (all by default); ties share the gradient evenly."""

    saved_inputs = (0,)
    saved_output = True
    largest = True

    def forward(self, x, dim=None, keepdim=False):
        self.axes = axes = norm_dims(dim, x.ndim)
        check_reducible("amax" if self.largest else "amin", x, dim, axes)
        self.keepdim = keepdim
        self.x = x
        red = x.max if self.largest else x.min
        self.y = y = red(axis=axes, keepdims=keepdim)
        return y

    def backward(self, gy):
        x = raw(self.x)
        y = _kept(raw(self.y), x.shape, self.axes, self.keepdim)
        mask = x == y
        if x.dtype.kind == "f":  # a NaN result: the gradient goes to the NaNs (PyTorch's rule)
            xp = self.xp
            mask |= xp.isnan(x) & xp.isnan(y)
        count = mask.sum(axis=self.axes, keepdims=True)
        return (mask * (_kept(gy, x.shape, self.axes, self.keepdim) / count),)


class AMin(AMax):
    largest = False


class MaxDim(Op):
    """The values of ``max(dim)``; the indices come from ``argmax`` and carry no gradient."""

    largest = True

    def forward(self, x, dim, keepdim=False):
        (axis,) = norm_dims(dim, x.ndim) or (0,)
        check_reducible("max" if self.largest else "min", x, dim, (axis,))
        arg = x.argmax if self.largest else x.argmin
        idx = arg(axis=axis, keepdims=True) if x.ndim else self.xp.zeros((), np.int64)
        self.axis, self.keepdim = axis, keepdim
        self.idx = idx
        y = self.xp.take_along_axis(x, idx, axis=axis) if x.ndim else x.copy()
        self.indices = idx if keepdim or not x.ndim else idx.squeeze(axis)
        return y if keepdim or not x.ndim else y.squeeze(axis)

    def backward(self, gy):
        shape = self.meta[0][0]
        if not shape:
            return (gy,)
        axis = self.axis
        pos = _dev.array_module(self.idx).arange(shape[axis])
        pos = pos.reshape((-1,) + (1,) * (len(shape) - axis - 1))
        g = _kept(gy, shape, (axis,), self.keepdim)
        return ((pos == self.idx) * g,)


class MinDim(MaxDim):
    largest = False


class LogSumExp(Op):
    saved_inputs = (0,)
    saved_output = True

    def forward(self, x, dim=None, keepdim=False):
        xp = self.xp
        self.axes = axes = norm_dims(dim, x.ndim)
        self.keepdim = keepdim
        m = x.max(axis=axes, keepdims=True) if x.size else x.sum(axis=axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0.0).astype(x.dtype, copy=False)
        with np.errstate(divide="ignore"):
            y = xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True)) + m
        self.x, self.yk = x, y
        return y if keepdim else y.reshape(tuple(n for i, n in enumerate(y.shape) if i not in axes))

    def backward(self, gy):
        g = _kept(gy, self.x.shape, self.axes, self.keepdim)
        return (g * self.xp.exp(self.x - self.yk),)

    def graph_backward(self, gy):
        x = self.saved_input(0)
        g = _kept(gy, x.shape, self.axes, self.keepdim)
        return (g * (x - logsumexp(x, self.axes, keepdim=True)).exp(),)


# --- the public functions --------------------------------------------------------------------


class MaxResult(NamedTuple):
    """``max(dim=...)``: the values and the indices where they are (``min`` likewise)."""

    values: Tensor
    indices: Tensor


@method()
def sum(input: Tensor, dim: DimLike = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (an int or a tuple; all dimensions by default)."""
    dim = _all_if_empty(dim)
    if input._data.dtype.kind != "f":
        return Tensor._wrap(input._data.sum(axis=norm_dims(dim, input.ndim), keepdims=keepdim))
    return Sum.apply(input, dim=dim, keepdim=keepdim)


@method()
def mean(input: Tensor, dim: DimLike = None, keepdim: bool = False) -> Tensor:
    """Mean over ``dim`` (all dimensions by default); floating tensors only."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be floating point, "
            f"but got {input.dtype}"
        )
    return Mean.apply(input, dim=_all_if_empty(dim), keepdim=keepdim)


def _all_if_empty(dim: DimLike) -> DimLike:
    """PyTorch reduces over every dimension when ``dim`` is an empty tuple or list."""
    return None if isinstance(dim, (tuple, list)) and not dim else dim


def _floating_only(input: Tensor, name: str) -> None:
    if not input.is_floating_point():
        raise RuntimeError(f"{name}(): std and var only support floating point dtypes, got "
                           f"{input.dtype}")


def _correction(unbiased: bool | None, correction: float | None) -> float:
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


@method()
def var(input: Tensor, dim: DimLike = None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: float | None = None) -> Tensor:
    """Variance over ``dim``, dividing by ``N - correction`` (default 1: unbiased)."""
    _floating_only(input, "var")
    return Var.apply(input, dim=_all_if_empty(dim), correction=_correction(unbiased, correction),
                     keepdim=keepdim)


@method()
def std(input: Tensor, dim: DimLike = None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: float | None = None) -> Tensor:
    """Standard deviation over ``dim`` (the square root of ``var``)."""
    _floating_only(input, "std")
    return Std.apply(input, dim=_all_if_empty(dim), correction=_correction(unbiased, correction),
                     keepdim=keepdim)


@method()
def amax(input: Tensor, dim: DimLike = (), keepdim: bool = False) -> Tensor:
    """Maximum over ``dim`` (all dimensions by default); ties share the gradient evenly."""
    return AMax.apply(input, dim=None if dim == () else dim, keepdim=keepdim)


@method()
def amin(input: Tensor, dim: DimLike = (), keepdim: bool = False) -> Tensor:
    """Minimum over ``dim`` (all dimensions by default); ties share the gradient evenly."""
    return AMin.apply(input, dim=None if dim == () else dim, keepdim=keepdim)


def _arg(input: Tensor, dim: Any, keepdim: bool, largest: bool) -> Tensor:
    a = input._data
    f = a.argmax if largest else a.argmin
    name = "argmax" if largest else "argmin"
    check_reducible(name, a, dim, norm_dims(dim, a.ndim) if dim is not None else ())
    if dim is None:
        idx = f()
        if keepdim:
            idx = idx.reshape((1,) * a.ndim)
    else:
        (axis,) = norm_dims(dim, a.ndim) or (0,)
        idx = f(axis=axis, keepdims=keepdim) if a.ndim else f()
    return Tensor._wrap(_dev.array_module(a).asarray(idx, dtype=np.int64))


@method()
def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Indices of the maximum over ``dim`` (of the flattened tensor by default)."""
    return _arg(input, dim, keepdim, True)


@method()
def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Indices of the minimum over ``dim`` (of the flattened tensor by default)."""
    return _arg(input, dim, keepdim, False)


def _max_min(input: Tensor, dim: Any, keepdim: bool, largest: bool) -> Any:
    if isinstance(dim, Tensor):  # torch.max(a, b) is the elementwise maximum
        return maximum(input, dim) if largest else minimum(input, dim)
    if dim is None:
        return amax(input) if largest else amin(input)
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{'max' if largest else 'min'}(): dim must be an int, got "
                        f"{type(dim).__name__}: {dim!r} (amax/amin reduce several dims)")
    cls = MaxDim if largest else MinDim
    values = cls.apply(input, dim=dim, keepdim=keepdim)
    return MaxResult(values, _arg(input, dim, keepdim, largest))


@overload
def max(input: Tensor, dim: None = None, keepdim: bool = False) -> Tensor: ...  # noqa: A001
@overload
def max(input: Tensor, dim: int, keepdim: bool = False) -> MaxResult: ...  # noqa: A001
@overload
def max(input: Tensor, dim: Tensor, keepdim: bool = False) -> Tensor: ...  # noqa: A001
@method()
def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """``max()``: the largest element; ``max(dim)``: ``(values, indices)`` over ``dim``;
    ``max(other)``: the elementwise maximum."""
    return _max_min(input, dim, keepdim, True)


@overload
def min(input: Tensor, dim: None = None, keepdim: bool = False) -> Tensor: ...  # noqa: A001
@overload
def min(input: Tensor, dim: int, keepdim: bool = False) -> MaxResult: ...  # noqa: A001
@overload
def min(input: Tensor, dim: Tensor, keepdim: bool = False) -> Tensor: ...  # noqa: A001
@method()
def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """``min()``: the smallest element; ``min(dim)``: ``(values, indices)`` over ``dim``;
    ``min(other)``: the elementwise minimum."""
    return _max_min(input, dim, keepdim, False)


@method()
def logsumexp(input: Tensor, dim: DimLike, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(input), dim))``, computed stably."""
    return LogSumExp.apply(input, dim=dim, keepdim=keepdim)
