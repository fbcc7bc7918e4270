"""Reductions: sum, mean, prod, var/std (and with the mean), max/min (with indices), amax/amin,
aminmax, argmax/argmin, logsumexp, any/all, count_nonzero.

Every reduction takes PyTorch's ``dim``/``keepdim`` and NumPy's ``axis``/``keepdims`` spellings
(as PyTorch does); giving both spellings of one argument raises TypeError. Backward rules run on
Tensors too: where one needs more than arithmetic and NumPy's basic array functions, the op has a
``graph_backward`` written with gpugrad functions.
"""

from __future__ import annotations

import builtins
from typing import Any, overload

import numpy as np

from .. import _device as _dev
from .. import dtypes as _dt
from .. import return_types
from .._typing import DimLike, DTypeLike
from ..autograd import Op
from ..tensor import Tensor
from ._registry import method
from .compare import isnan, maximum, minimum, where
from .convert import Cast

__all__ = ["sum", "mean", "prod", "var", "std", "var_mean", "std_mean", "amax", "amin",
           "aminmax", "max", "min", "argmax", "argmin", "logsumexp", "any", "all",
           "count_nonzero", "nansum", "nanmean"]


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


def dim_args(fn: str, dim: Any, axis: Any, keepdim: bool, keepdims: bool | None,
             unset: Any = None) -> tuple[Any, bool]:
    """``(dim, keepdim)`` from PyTorch's and NumPy's spellings (``axis``, ``keepdims``);
    ``unset`` is ``dim``'s default. Both spellings of one argument raise TypeError."""
    if axis is not None:
        if dim is not unset and dim != unset:
            raise TypeError(f"{fn}() got multiple values for argument 'dim' (also given as "
                            "'axis')")
        dim = axis
    if keepdims is not None:
        if keepdim:
            raise TypeError(f"{fn}() got multiple values for argument 'keepdim' (also given as "
                            "'keepdims')")
        keepdim = keepdims
    return dim, bool(keepdim)


def one_dim(fn: str, dim: Any) -> int:
    """``dim`` checked to be one int (the ops that take one dimension: prod, cumsum, sort...)."""
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{fn}(): argument 'dim' must be int, not {type(dim).__name__}")
    return int(dim)


def _expand(xp, g, shape):
    """``g`` broadcast to ``shape`` as a new array (cheaper than a broadcast view for small
    shapes, and a leaf may keep it without a copy)."""
    if isinstance(g, Tensor):  # a create_graph backward
        return xp.broadcast_to(g, shape)
    out = xp.empty(shape, g.dtype)
    out[...] = g
    return out


def kept(gy, shape, axes, keepdim):
    """``gy`` reshaped so it broadcasts against the input ``shape`` (the reduced axes as 1)."""
    if keepdim or gy.ndim == 0:  # a 0-d gradient (a full reduction) broadcasts as it is
        return gy
    return gy.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))


def _numel(shape, axes) -> int:
    return int(np.prod([shape[a] for a in axes])) if axes else 1


_F32, _F64 = _dev.F32, _dev.F64


def _with_dtype(input: Tensor, dtype: DTypeLike | None) -> Tensor:
    """``input`` converted to ``dtype`` (the ``dtype=`` argument of sum, prod, cumsum...)."""
    if dtype is None:
        return input
    target = _dt.to_dtype(dtype).np
    if input._data.dtype == target:
        return input
    if input._requires_grad and target.kind == "f":
        return Cast.apply(input, dtype=target)
    return Tensor._wrap(input._data.astype(target))


def _check_tensor(input: Any, fn: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")


class Sum(Op):
    per_call_name = True
    backward_name = "SumBackward0"  # after release

    def _call_name(self) -> str:  # SumBackward1 names a sum over given dims
        return "SumBackward0" if self.axes is _ALL[len(self.axes)] else "SumBackward1"

    def forward(self, x, dim=None, keepdim=False):
        self.keepdim = keepdim
        if dim is None:  # the common case (a loss), without a call
            self.axes = _ALL[x.ndim] if x.ndim < 8 else tuple(range(x.ndim))
            return x.sum(keepdims=keepdim)
        self.axes = axes = norm_dims(dim, x.ndim)
        return x.sum(axis=axes, keepdims=keepdim)

    def backward(self, gy):
        shape = self.meta[0][0]
        return (_expand(self.xp, kept(gy, shape, self.axes, self.keepdim), shape),)

    def graph_backward(self, gy):
        shape = self.meta[0][0]
        return (self.xp.broadcast_to(kept(gy, shape, self.axes, self.keepdim), shape),)


class Mean(Op):
    per_call_name = True
    backward_name = "MeanBackward0"  # after release

    def _call_name(self) -> str:  # as Sum's
        return "MeanBackward0" if self.axes is _ALL[len(self.axes)] else "MeanBackward1"

    def forward(self, x, dim=None, keepdim=False):
        self.axes = axes = norm_dims(dim, x.ndim)
        self.keepdim = keepdim
        self.n = _numel(x.shape, axes)
        return x.mean(axis=axes, keepdims=keepdim)

    def backward(self, gy):
        shape = self.meta[0][0]
        g = kept(gy, shape, self.axes, self.keepdim) / float(self.n)
        return (_expand(self.xp, g, shape),)

    def graph_backward(self, gy):
        shape = self.meta[0][0]
        g = kept(gy, shape, self.axes, self.keepdim) / float(self.n)
        return (self.xp.broadcast_to(g, shape),)


class Var(Op):
    """Variance dividing by ``N - correction`` (1: Bessel's correction, PyTorch's default)."""

    saved_inputs = (0,)

    def forward(self, x, dim=None, correction=1, keepdim=False):
        self.axes = axes = norm_dims(dim, x.ndim)
        self.keepdim = keepdim
        self.denom = denom = builtins.max(_numel(x.shape, axes) - correction, 0)
        self.x = x
        d = x - x.mean(axis=axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (d * d).sum(axis=axes, keepdims=keepdim) / x.dtype.type(denom)

    def _centered(self):
        x = self.x
        return x - self.xp.mean(x, axis=self.axes, keepdims=True)

    def backward(self, gy):
        g = kept(gy, self.meta[0][0], self.axes, self.keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g * self._centered() * (2.0 / self.denom if self.denom else float("nan")),)


class Std(Var):
    """Standard deviation: sqrt(Var); the gradient is 0 where the deviation is 0 (a constant
    slice), as PyTorch's, instead of 0 * inf."""

    saved_output = True

    def forward(self, x, dim=None, correction=1, keepdim=False):
        with np.errstate(invalid="ignore"):
            return self.xp.sqrt(Var.forward(self, x, dim, correction, keepdim))

    def backward(self, gy):
        shape = self.meta[0][0]
        y = kept(self._out, shape, self.axes, self.keepdim)
        g = kept(gy, shape, self.axes, self.keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            if not self.denom:
                return (g * self._centered() * float("nan"),)
            safe = self.xp.where(y == 0, 1.0, y)  # no 0/0, in either order of derivative
            return (self.xp.where(y == 0, 0.0, g / (safe * float(self.denom))) * self._centered(),)


class Prod(Op):
    """Product over one dimension (or all). The gradient is the product of the other elements:
    ``y / x`` where no element is zero, else built from exclusive products (exact with zeros)."""

    saved_inputs = (0,)
    saved_output = True

    def forward(self, x, dim=None, keepdim=False):
        self.axis = None if dim is None or not x.ndim else norm_dims(dim, x.ndim)[0]
        self.keepdim = keepdim
        self.x = x
        return x.prod(axis=self.axis, keepdims=keepdim)

    def _parts(self, gy):
        shape = self.meta[0][0]
        axes = tuple(range(len(shape))) if self.axis is None else (self.axis,)
        keep = self.keepdim or self.axis is None and not shape
        return kept(gy, shape, axes, keep), kept(self._out, shape, axes, keep)

    def _zero_free(self, x) -> bool:
        data = x._data if isinstance(x, Tensor) else x
        return not bool((data == 0).any())

    def backward(self, gy):
        g, y = self._parts(gy)
        x = self.x
        if self._zero_free(x):
            return (g * y / x,)
        return (g * others_product(self.xp, x, self.axis),)

    def graph_backward(self, gy):
        from .scan import TENSOR_FNS

        g, y = self._parts(gy)
        x = self.x
        if self._zero_free(x):
            return (g * y / x,)
        return (g * others_product(TENSOR_FNS, x, self.axis),)


def flip(a, axis: int):
    """``a`` reversed along ``axis`` (an array or a Tensor: a slice with step -1)."""
    return a[(slice(None),) * axis + (slice(None, None, -1),)]


def exclusive_cumprod(fns, x, axis: int):
    """``prod(x[:k])`` at each ``k`` along ``axis`` (1 at 0), with ``fns``' functions."""
    first = x[(slice(None),) * axis + (slice(0, 1),)]
    rest = x[(slice(None),) * axis + (slice(0, -1),)]
    return fns.cumprod(fns.concatenate([fns.ones_like(first), rest], axis), axis=axis)


def others_product(fns, x, axis: int | None):
    """At each element, the product of the other elements of its slice along ``axis`` (all
    elements when None), with no division (exact where elements are zero)."""
    if axis is None:
        return others_product(fns, x.reshape((-1,)), 0).reshape(x.shape) if x.ndim else \
            fns.ones_like(x)
    left = exclusive_cumprod(fns, x, axis)
    right = flip(exclusive_cumprod(fns, flip(x, axis), axis), axis)
    return left * right


class AMax(Op):
    """Max over ``dim`` (all by default); ties share the gradient evenly (NaN results send it to
    the NaNs). The tie mask is piecewise constant: it is computed here and saved."""

    largest = True
    nondiff = ("share",)

    def forward(self, x, dim=None, keepdim=False):
        self.axes = axes = norm_dims(dim, x.ndim)
        check_reducible("amax" if self.largest else "amin", x, dim, axes)
        self.keepdim = keepdim
        red = x.max if self.largest else x.min
        y = red(axis=axes, keepdims=keepdim)
        if self.needs[0]:
            yk = y if keepdim else y.reshape(tuple(1 if i in axes else n
                                                   for i, n in enumerate(x.shape)))
            mask = x == yk
            if x.dtype.kind == "f":
                xp = self.xp
                mask |= xp.isnan(x) & xp.isnan(yk)
            self.share = mask / mask.sum(axis=axes, keepdims=True).astype(x.dtype)
        return y

    def backward(self, gy):
        return (kept(gy, self.share.shape, self.axes, self.keepdim) * self.share,)


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
        ar = _dev.array_module(self.idx)  # the mask is built from saved indices, on any pass
        pos = ar.arange(shape[axis]).reshape((-1,) + (1,) * (len(shape) - axis - 1))
        g = kept(gy, shape, (axis,), self.keepdim)
        return (self.xp.where(pos == self.idx, g, 0.0),)


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
        self.x = x
        if not keepdim:
            y = y.reshape(tuple(n for i, n in enumerate(y.shape) if i not in axes))
        return y

    def backward(self, gy):
        shape = self.meta[0][0]
        g = kept(gy, shape, self.axes, self.keepdim)
        return (g * self.xp.exp(self.x - kept(self._out, shape, self.axes, self.keepdim)),)


# --- the public functions --------------------------------------------------------------------


MaxResult = return_types.max
MinResult = return_types.min
AminmaxResult = return_types.aminmax


@method()
def sum(input: Tensor, dim: DimLike = None, keepdim: bool = False, *,  # noqa: A001
        dtype: DTypeLike | None = None, axis: DimLike = None,
        keepdims: bool | None = None) -> Tensor:
    """Sum over ``dim`` (an int or a tuple; all dimensions by default); integer and bool
    tensors sum to int64."""
    if input.__class__ is not Tensor:
        _check_tensor(input, "sum")
    if axis is not None or keepdims is not None or dtype is not None:
        dim, keepdim = dim_args("sum", dim, axis, keepdim, keepdims)
        input = _with_dtype(input, dtype)
    if dim is not None and dim.__class__ is not int:
        dim = _all_if_empty(dim)
    dt = input._data.dtype
    if dt is not _F32 and dt is not _F64 and dt.kind != "f":
        a = input._data
        out = a.sum(axis=norm_dims(dim, input.ndim), keepdims=keepdim)
        return Tensor._wrap(out.astype(np.int64 if dtype is None else a.dtype, copy=False))
    return Sum.apply(input, dim=dim, keepdim=keepdim)


@method()
def mean(input: Tensor, dim: DimLike = None, keepdim: bool = False, *,
         dtype: DTypeLike | None = None, axis: DimLike = None,
         keepdims: bool | None = None) -> Tensor:
    """Mean over ``dim`` (all dimensions by default); floating tensors only (or ``dtype=``)."""
    _check_tensor(input, "mean")
    dim, keepdim = dim_args("mean", dim, axis, keepdim, keepdims)
    input = _with_dtype(input, dtype)
    if not input.dtype.is_floating_point:
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be floating point, "
            f"but got {input.dtype}"
        )
    return Mean.apply(input, dim=_all_if_empty(dim), keepdim=keepdim)


@method()
def nansum(input: Tensor, dim: DimLike = None, keepdim: bool = False, *,
           dtype: DTypeLike | None = None) -> Tensor:
    """``sum`` with NaNs counted as zero (they get zero gradients)."""
    _check_tensor(input, "nansum")
    if input._data.dtype.kind == "f":
        input = where(isnan(input), 0.0, input)
    return sum(input, dim, keepdim, dtype=dtype)


@method()
def nanmean(input: Tensor, dim: DimLike = None, keepdim: bool = False, *,
            dtype: DTypeLike | None = None) -> Tensor:
    """``mean`` of the elements that are not NaN (NaN where all are); floating tensors only
    (or ``dtype=``)."""
    _check_tensor(input, "nanmean")
    x = _with_dtype(input, dtype)
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {_dt.TYPE_NAMES[x.dtype]}")
    keep = ~isnan(x)
    count = sum(keep, dim, keepdim)
    with np.errstate(invalid="ignore", divide="ignore"):  # all NaN: 0 / 0 gives NaN
        return nansum(x, dim, keepdim) / count.to(x.dtype)


def _all_if_empty(dim: DimLike) -> DimLike:
    """PyTorch reduces over every dimension when ``dim`` is an empty tuple or list."""
    return None if isinstance(dim, (tuple, list)) and not dim else dim


@method()
def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
         dtype: DTypeLike | None = None, axis: int | None = None,
         keepdims: bool | None = None) -> Tensor:
    """Product over one dimension ``dim`` (all elements by default); integer and bool tensors
    give int64. The gradient is exact where elements are zero."""
    _check_tensor(input, "prod")
    dim, keepdim = dim_args("prod", dim, axis, keepdim, keepdims)
    if dim is not None:
        dim = one_dim("prod", dim)
    input = _with_dtype(input, dtype)
    a = input._data
    if a.dtype.kind != "f":
        axes = None if dim is None else norm_dims(dim, a.ndim)
        out = a.astype(np.int64).prod(axis=axes, keepdims=keepdim and dim is not None)
        return Tensor._wrap(out.astype(np.int64 if dtype is None else a.dtype, copy=False))
    return Prod.apply(input, dim=dim, keepdim=keepdim and dim is not None)


def _correction(fn: str, unbiased: bool | None, correction: float | None) -> float:
    if correction is not None:
        if unbiased is not None:
            raise TypeError(f"{fn}(): give either 'unbiased' or 'correction', not both")
        return correction
    return 1 if unbiased is None or unbiased else 0


def _var_args(fn: str, input: Any, dim: Any, unbiased: Any, keepdim: bool, correction: Any,
              axis: Any, keepdims: Any) -> tuple[Any, float, bool]:
    _check_tensor(input, fn)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{fn}(): std and var only support floating point and complex "
                           f"dtypes, got {input.dtype.name}")
    if isinstance(dim, (bool, np.bool_)):  # var(False): PyTorch's var(input, unbiased)
        if unbiased is not None:
            raise TypeError(f"{fn}(): 'unbiased' given twice")
        dim, unbiased = None, bool(dim)
    dim, keepdim = dim_args(fn, dim, axis, keepdim, keepdims)
    return _all_if_empty(dim), _correction(fn, unbiased, correction), keepdim


@method()
def var(input: Tensor, dim: DimLike = None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: float | None = None, axis: DimLike = None,
        keepdims: bool | None = None) -> Tensor:
    """Variance over ``dim``, dividing by ``N - correction`` (default 1: unbiased;
    ``unbiased=False`` is ``correction=0``); ``var(False)`` is ``var(unbiased=False)``."""
    dim, c, keepdim = _var_args("var", input, dim, unbiased, keepdim, correction, axis, keepdims)
    return Var.apply(input, dim=dim, correction=c, keepdim=keepdim)


@method()
def std(input: Tensor, dim: DimLike = None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: float | None = None, axis: DimLike = None,
        keepdims: bool | None = None) -> Tensor:
    """Standard deviation over ``dim`` (the square root of ``var``, same arguments)."""
    dim, c, keepdim = _var_args("std", input, dim, unbiased, keepdim, correction, axis, keepdims)
    return Std.apply(input, dim=dim, correction=c, keepdim=keepdim)


def var_mean(input: Tensor, dim: DimLike = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: float | None = None, axis: DimLike = None,
             keepdims: bool | None = None) -> tuple[Tensor, Tensor]:
    """``(var(input, ...), mean(input, ...))`` over the same dimensions."""
    dim, c, keepdim = _var_args("var_mean", input, dim, unbiased, keepdim, correction, axis,
                                keepdims)
    return (Var.apply(input, dim=dim, correction=c, keepdim=keepdim),
            Mean.apply(input, dim=dim, keepdim=keepdim))


def std_mean(input: Tensor, dim: DimLike = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: float | None = None, axis: DimLike = None,
             keepdims: bool | None = None) -> tuple[Tensor, Tensor]:
    """``(std(input, ...), mean(input, ...))`` over the same dimensions."""
    dim, c, keepdim = _var_args("std_mean", input, dim, unbiased, keepdim, correction, axis,
                                keepdims)
    return (Std.apply(input, dim=dim, correction=c, keepdim=keepdim),
            Mean.apply(input, dim=dim, keepdim=keepdim))


@method()
def amax(input: Tensor, dim: DimLike = (), keepdim: bool = False, *, axis: DimLike = None,
         keepdims: bool | None = None) -> Tensor:
    """Maximum over ``dim`` (all dimensions by default); ties share the gradient evenly."""
    dim, keepdim = dim_args("amax", dim, axis, keepdim, keepdims, unset=())
    return AMax.apply(input, dim=None if dim == () else dim, keepdim=keepdim)


@method()
def amin(input: Tensor, dim: DimLike = (), keepdim: bool = False, *, axis: DimLike = None,
         keepdims: bool | None = None) -> Tensor:
    """Minimum over ``dim`` (all dimensions by default); ties share the gradient evenly."""
    dim, keepdim = dim_args("amin", dim, axis, keepdim, keepdims, unset=())
    return AMin.apply(input, dim=None if dim == () else dim, keepdim=keepdim)


@method()
def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False,
            axis: int | None = None, keepdims: bool | None = None) -> AminmaxResult:
    """``(min, max)`` over ``dim`` (all elements by default), as ``amin`` and ``amax``."""
    dim, keepdim = dim_args("aminmax", dim, axis, keepdim, keepdims)
    if dim is not None:
        dim = one_dim("aminmax", dim)
    return AminmaxResult(amin(input, () if dim is None else dim, keepdim),
                         amax(input, () if dim is None else dim, keepdim))


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
def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
           axis: int | None = None, keepdims: bool | None = None) -> Tensor:
    """Indices of the maximum over ``dim`` (of the flattened tensor by default)."""
    dim, keepdim = dim_args("argmax", dim, axis, keepdim, keepdims)
    return _arg(input, dim, keepdim, True)


@method()
def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
           axis: int | None = None, keepdims: bool | None = None) -> Tensor:
    """Indices of the minimum over ``dim`` (of the flattened tensor by default)."""
    dim, keepdim = dim_args("argmin", dim, axis, keepdim, keepdims)
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
    return (MaxResult if largest else MinResult)(values, _arg(input, dim, keepdim, largest))


@overload
def max(input: Tensor, dim: None = None, keepdim: bool = False, *,  # noqa: A001
        axis: None = None, keepdims: bool | None = None) -> Tensor: ...
@overload
def max(input: Tensor, dim: int, keepdim: bool = False, *,  # noqa: A001
        axis: None = None, keepdims: bool | None = None) -> MaxResult: ...
@overload
def max(input: Tensor, dim: None = None, keepdim: bool = False, *,  # noqa: A001
        axis: int, keepdims: bool | None = None) -> MaxResult: ...
@overload
def max(input: Tensor, dim: Tensor, keepdim: bool = False) -> Tensor: ...  # noqa: A001
@method()
def max(input: Tensor, dim: Any = None, keepdim: bool = False, *,  # noqa: A001
        axis: int | None = None, keepdims: bool | None = None) -> Any:
    """``max()``: the largest element; ``max(dim)``: ``(values, indices)`` over ``dim``;
    ``max(other)``: the elementwise maximum."""
    dim, keepdim = dim_args("max", dim, axis, keepdim, keepdims)
    return _max_min(input, dim, keepdim, True)


@overload
def min(input: Tensor, dim: None = None, keepdim: bool = False, *,  # noqa: A001
        axis: None = None, keepdims: bool | None = None) -> Tensor: ...
@overload
def min(input: Tensor, dim: int, keepdim: bool = False, *,  # noqa: A001
        axis: None = None, keepdims: bool | None = None) -> MinResult: ...
@overload
def min(input: Tensor, dim: None = None, keepdim: bool = False, *,  # noqa: A001
        axis: int, keepdims: bool | None = None) -> MinResult: ...
@overload
def min(input: Tensor, dim: Tensor, keepdim: bool = False) -> Tensor: ...  # noqa: A001
@method()
def min(input: Tensor, dim: Any = None, keepdim: bool = False, *,  # noqa: A001
        axis: int | None = None, keepdims: bool | None = None) -> Any:
    """``min()``: the smallest element; ``min(dim)``: ``(values, indices)`` over ``dim``;
    ``min(other)``: the elementwise minimum."""
    dim, keepdim = dim_args("min", dim, axis, keepdim, keepdims)
    return _max_min(input, dim, keepdim, False)


@method()
def logsumexp(input: Tensor, dim: DimLike = None, keepdim: bool = False, *,
              axis: DimLike = None, keepdims: bool | None = None) -> Tensor:
    """``log(sum(exp(input), dim))``, computed stably."""
    dim, keepdim = dim_args("logsumexp", dim, axis, keepdim, keepdims)
    if dim is None:
        raise TypeError("logsumexp() missing 1 required positional argument: 'dim'")
    return LogSumExp.apply(input, dim=dim, keepdim=keepdim)


# --- logical reductions and counting (no gradient) -------------------------------------------


def _logical(input: Tensor, fn: str, dim: Any, keepdim: bool) -> Tensor:
    _check_tensor(input, fn)
    a = input._data
    axes = norm_dims(dim, a.ndim)
    red = a.any if fn == "any" else a.all
    return Tensor._wrap(red(axis=axes, keepdims=keepdim))


@method()
def any(input: Tensor, dim: DimLike = None, keepdim: bool = False, *,  # noqa: A001
        axis: DimLike = None, keepdims: bool | None = None) -> Tensor:
    """Whether any element over ``dim`` (all by default) is nonzero, as a bool tensor."""
    dim, keepdim = dim_args("any", dim, axis, keepdim, keepdims)
    return _logical(input, "any", dim, keepdim)


@method()
def all(input: Tensor, dim: DimLike = None, keepdim: bool = False, *,  # noqa: A001
        axis: DimLike = None, keepdims: bool | None = None) -> Tensor:
    """Whether every element over ``dim`` (all by default) is nonzero, as a bool tensor."""
    dim, keepdim = dim_args("all", dim, axis, keepdim, keepdims)
    return _logical(input, "all", dim, keepdim)


@method()
def count_nonzero(input: Tensor, dim: DimLike = None, *, axis: DimLike = None) -> Tensor:
    """The number of nonzero elements over ``dim`` (all by default), as int64."""
    _check_tensor(input, "count_nonzero")
    dim, _ = dim_args("count_nonzero", dim, axis, False, None)
    a = input._data
    out = (a != 0).sum(axis=norm_dims(dim, a.ndim))
    return Tensor._wrap(_dev.array_module(a).asarray(out, dtype=np.int64))
