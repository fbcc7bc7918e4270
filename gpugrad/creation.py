"""Tensor factories with PyTorch's arguments: ``tensor``, ``zeros``, ``full``, ``arange``,
``linspace``..., and the ``*_like`` and ``Tensor.new_*`` families (the random factories are in
``gpugrad.random``).

A factory without ``device=`` builds on the default device (``set_default_device``); one without
``dtype=`` gives floating tensors the default dtype (``set_default_dtype``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _device as _dev
from . import dtypes as _dt
from ._typing import DeviceLike, DTypeLike, ShapeLike
from .ops import _registry
from .ops._registry import method
from .tensor import Tensor, _as_array, _host_dtype, _wrap

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like",
           "ones_like", "empty_like", "full_like", "arange", "linspace", "logspace", "eye",
           "set_default_device", "get_default_device", "is_tensor", "is_floating_point", "numel"]


def set_default_device(device: DeviceLike | None) -> None:
    """Make factories and ``tensor(...)`` called without ``device=`` build on ``device``
    (``None`` restores the CPU). Asking for CUDA where it is unavailable raises here."""
    _dev.set_default_device(device)


def get_default_device() -> _dev.Device:
    """The device factories build on when given no ``device=`` (``device(type='cpu')`` unless
    changed by ``set_default_device``)."""
    return _dev.get_default_device()


# --- from data -------------------------------------------------------------------------------


def tensor(data: Any, dtype: DTypeLike | None = None, device: DeviceLike | None = None,
           requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, arrays, or a Tensor).

    Python floats become the default dtype; without ``device=`` the result is on the default
    device once one was set, else where ``data`` is (the CPU for Python data)."""
    t = _wrap(_as_array(data, dtype, _dev.factory_device(device)), None)
    if requires_grad:
        t.requires_grad = True
    return t


def as_tensor(data: Any, dtype: DTypeLike | None = None,
              device: DeviceLike | None = None) -> Tensor:
    """``data`` as a tensor, without a copy when it already is one of this dtype and device."""
    dev = _dev.factory_device(device)
    if isinstance(data, Tensor) and (dtype is None or _dt.to_dtype(dtype) == data.dtype) and (
            dev is None or _dev.resolve(dev) == data.device):
        return data
    return tensor(data, dtype=dtype, device=dev)


def from_numpy(array: np.ndarray) -> Tensor:
    """A CPU tensor sharing memory with ``array``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    _host_dtype(array, None)
    if array.dtype not in (d.np for d in _dt.ALL):
        raise TypeError(f"can't convert np.ndarray of type {array.dtype}; supported: "
                        + ", ".join(d.name for d in _dt.ALL))
    return _wrap(array, None)


def is_tensor(obj: Any) -> bool:
    """Whether ``obj`` is a gpugrad Tensor (Parameters included)."""
    return isinstance(obj, Tensor)


def _need_tensor(input: Any, name: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    return input


def is_floating_point(input: Tensor) -> bool:
    """Whether ``input``'s dtype is a floating type."""
    return _need_tensor(input, "is_floating_point").is_floating_point()


def numel(input: Tensor) -> int:
    """The number of elements of ``input``."""
    return _need_tensor(input, "numel").numel()


# --- sizes, dtypes, devices ------------------------------------------------------------------


def _shape(size: Any, name: str) -> tuple[int, ...]:
    """A size given as one argument: a tuple, list or Size of ints."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"{name}(): argument 'size' must be tuple of ints, not "
                        f"{type(size).__name__}")
    for s in size:
        if s.__class__ is not int or s < 0:
            break
    else:  # the common case: non-negative Python ints
        return tuple(size)
    dims = []
    for s in size:
        if isinstance(s, bool) or not hasattr(s, "__index__"):
            raise TypeError(f"{name}(): size must be a tuple of ints, but got {s!r} "
                            f"({type(s).__name__}) in {tuple(size)}")
        dims.append(s.__index__())
    if any(s < 0 for s in dims):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{min(dims)}: {dims}")
    return tuple(dims)


def _size_args(args: tuple[Any, ...], size: Any, name: str) -> tuple[int, ...]:
    """A size given as ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` or ``f(size=(2, 3))``."""
    if size is not None:
        if args:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        return _shape(size, name)
    if not args:
        raise TypeError(f"{name}() missing 1 required positional argument: 'size'")
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return _shape(args[0], name)
    return _shape(args, name)


def _dtype(dtype: DTypeLike | None, default: _dt.dtype | None = None) -> _dt.dtype:
    """``dtype`` resolved, else ``default``, else the default floating dtype."""
    if dtype is not None:
        return _dt.to_dtype(dtype)
    return default if default is not None else _dt.get_default_dtype()


def _new(fill, dev: _dev.Device, dt: _dt.dtype, requires_grad: bool, *args: Any) -> Tensor:
    """A leaf tensor from ``fill(xp, *args, np_dtype)`` run with ``dev`` current."""
    t = _wrap(_dev.call_on(dev, fill, *args, dt.np), None)
    if requires_grad:
        t.requires_grad = True
    return t


def _filled(fill, size: tuple[int, ...], dtype, device, requires_grad, default=None) -> Tensor:
    """A leaf of ``size`` from ``fill(xp, size, np_dtype)``."""
    return _new(fill, _dev.target_device(device), _dtype(dtype, default), requires_grad, size)


def _zeros(xp, s, d):
    return xp.zeros(s, d)


def _ones(xp, s, d):
    return xp.ones(s, d)


def _empty(xp, s, d):
    return xp.empty(s, d)


# --- constant fills --------------------------------------------------------------------------


def zeros(*args: ShapeLike, size: Sequence[int] | None = None, dtype: DTypeLike | None = None,
          device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """Zeros of the given size: ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``."""
    return _filled(_zeros, _size_args(args, size, "zeros"), dtype,
                   device, requires_grad)


def ones(*args: ShapeLike, size: Sequence[int] | None = None, dtype: DTypeLike | None = None,
         device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """Ones of the given size."""
    return _filled(_ones, _size_args(args, size, "ones"), dtype,
                   device, requires_grad)


def empty(*args: ShapeLike, size: Sequence[int] | None = None, dtype: DTypeLike | None = None,
          device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor of the given size (its values are arbitrary)."""
    return _filled(_empty, _size_args(args, size, "empty"), dtype,
                   device, requires_grad)


def _scalar(value: Any) -> Any:
    """A fill value as a Python number (one-element tensors and NumPy scalars unwrapped)."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise RuntimeError(f"a fill value must be a number or a one-element tensor, got a "
                               f"tensor of shape {list(value.shape)}")
        return value.item()
    if isinstance(value, np.generic):
        return value.item()
    if not isinstance(value, numbers.Number):
        raise TypeError(f"fill_value must be a number, not {type(value).__name__}")
    return value


def _fill_dtype(value: Any) -> _dt.dtype:
    """PyTorch's dtype for a fill value: bool, int64, or the default floating dtype."""
    if isinstance(value, bool):
        return _dt.bool_
    if isinstance(value, numbers.Integral):
        return _dt.int64
    return _dt.get_default_dtype()


def _cast_fill(value: Any, np_dtype: np.dtype) -> Any:
    """``value`` as an element of ``np_dtype``; RuntimeError if it does not fit."""
    if np_dtype.kind in "iu" and not isinstance(value, bool):
        info = np.iinfo(np_dtype)
        whole = int(float(value)) if isinstance(value, float) and math.isfinite(value) else value
        if not (isinstance(whole, int) and info.min <= whole <= info.max):
            raise RuntimeError(f"value cannot be converted to type {np_dtype} without "
                               f"overflow: {value}")
        return whole
    if np_dtype.kind == "b":
        return bool(value)
    return value


def full(size: Sequence[int], fill_value: Any, *, dtype: DTypeLike | None = None,
         device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` everywhere; the dtype follows the value as in PyTorch (bool, int64, or
    the default floating dtype) unless ``dtype`` is given."""
    shape = _shape(size, "full")
    value = _scalar(fill_value)
    return _filled(lambda xp, s, d: xp.full(s, _cast_fill(value, np.dtype(d)), d), shape, dtype,
                   device, requires_grad, default=_fill_dtype(value))


def eye(n: int, m: int | None = None, *, dtype: DTypeLike | None = None,
        device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """The identity matrix of ``n`` rows (and ``m`` columns, default ``n``)."""
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    return _new(lambda xp, d: xp.eye(n, m, dtype=d), _dev.target_device(device), _dtype(dtype),
                requires_grad)


# --- like another tensor ---------------------------------------------------------------------


def _like(fn, t: Tensor, dtype, device, requires_grad, *args, **kwargs) -> Tensor:
    return fn(t.shape, *args, dtype=dtype if dtype is not None else t.dtype,
              device=device if device is not None else t.device, requires_grad=requires_grad,
              **kwargs)


def zeros_like(input: Tensor, *, dtype: DTypeLike | None = None,
               device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and, unless given, dtype and device) of ``input``."""
    return _like(zeros, input, dtype, device, requires_grad)


def ones_like(input: Tensor, *, dtype: DTypeLike | None = None,
              device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and, unless given, dtype and device) of ``input``."""
    return _like(ones, input, dtype, device, requires_grad)


def empty_like(input: Tensor, *, dtype: DTypeLike | None = None,
               device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor with the shape (and, unless given, dtype and device) of
    ``input``."""
    return _like(empty, input, dtype, device, requires_grad)


def full_like(input: Tensor, fill_value: Any, *, dtype: DTypeLike | None = None,
              device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` everywhere, with the shape (and, unless given, dtype and device) of
    ``input``."""
    return _like(full, input, dtype, device, requires_grad, fill_value)


def _of(t: Tensor, dtype: DTypeLike | None, device: DeviceLike | None) -> dict[str, Any]:
    """``dtype`` and ``device``, defaulting to ``t``'s."""
    return {"dtype": t.dtype if dtype is None else dtype,
            "device": t.device if device is None else device}


@method()
def new_zeros(self: Tensor, *args: ShapeLike, size: Sequence[int] | None = None,
              dtype: DTypeLike | None = None, device: DeviceLike | None = None,
              requires_grad: bool = False) -> Tensor:
    """Zeros of the given size, with this tensor's dtype and device unless given."""
    return zeros(_size_args(args, size, "new_zeros"), **_of(self, dtype, device),
                 requires_grad=requires_grad)


@method()
def new_ones(self: Tensor, *args: ShapeLike, size: Sequence[int] | None = None,
             dtype: DTypeLike | None = None, device: DeviceLike | None = None,
             requires_grad: bool = False) -> Tensor:
    """Ones of the given size, with this tensor's dtype and device unless given."""
    return ones(_size_args(args, size, "new_ones"), **_of(self, dtype, device),
                requires_grad=requires_grad)


@method()
def new_empty(self: Tensor, *args: ShapeLike, size: Sequence[int] | None = None,
              dtype: DTypeLike | None = None, device: DeviceLike | None = None,
              requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor of the given size, with this tensor's dtype and device unless
    given."""
    return empty(_size_args(args, size, "new_empty"), **_of(self, dtype, device),
                 requires_grad=requires_grad)


@method()
def new_full(self: Tensor, size: Sequence[int], fill_value: Any, *,
             dtype: DTypeLike | None = None, device: DeviceLike | None = None,
             requires_grad: bool = False) -> Tensor:
    """``fill_value`` everywhere, with this tensor's dtype (not the value's) and device unless
    given."""
    return full(size, fill_value, **_of(self, dtype, device), requires_grad=requires_grad)


@method()
def new_tensor(self: Tensor, data: Any, *, dtype: DTypeLike | None = None,
               device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """A copy of ``data`` with this tensor's dtype and device unless given."""
    return tensor(data, **_of(self, dtype, device), requires_grad=requires_grad)


# --- ranges ----------------------------------------------------------------------------------


def _number(x: Any, what: str) -> Any:
    if isinstance(x, Tensor):
        x = x.item()
    elif isinstance(x, np.generic):
        x = x.item()
    if not isinstance(x, numbers.Real):
        raise TypeError(f"{what} must be a real number, not {type(x).__name__}")
    return x


def arange(start: Any = 0, end: Any = None, step: Any = 1, *, dtype: DTypeLike | None = None,
           device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` (default 0) up to ``end`` (exclusive) by ``step``: int64 when all
    three are integers, else the default floating dtype. For an integer ``dtype`` the bounds
    and step are truncated to integers first, as in PyTorch."""
    if end is None:
        start, end = 0, start
    start, end, step = (_number(v, n) for v, n in ((start, "start"), (end, "end"),
                                                   (step, "step")))
    ints = all(isinstance(v, numbers.Integral) for v in (start, end, step))
    dt = _dtype(dtype, _dt.int64 if ints else None)
    if dt == _dt.bool_:
        raise NotImplementedError("arange is not implemented for bool")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not all(math.isfinite(v) for v in (start, end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if dt.np.kind in "iu":
        start, end, step = int(start), int(end), int(step)
        if step == 0:
            raise ValueError("step must be nonzero (after truncation to an integer)")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if isinstance(start, int) and isinstance(end, int) and isinstance(step, int):
        n = max(0, -((start - end) // step))  # ceil((end - start) / step), exactly

        def fill(xp, d):
            return (xp.arange(n, dtype=np.int64) * step + start).astype(d)
    else:
        n = max(0, math.ceil((end - start) / step))

        def fill(xp, d):
            return (xp.arange(n, dtype=np.float64) * float(step) + float(start)).astype(d)
    return _new(fill, _dev.target_device(device), dt, requires_grad)


def _steps(steps: Any) -> int:
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral):
        raise TypeError(f"steps must be an int, not {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return int(steps)


def _linspace_f64(xp, start: float, end: float, n: int):
    """PyTorch's linspace in float64: the first half counted from ``start``, the second from
    ``end``, so both ends are exact and the spacing symmetric."""
    if n == 1:
        return xp.full((1,), start, dtype=np.float64)
    step = (end - start) / (n - 1)
    i = xp.arange(n, dtype=np.float64)
    return xp.where(i < n // 2, start + step * i, end - step * (n - 1 - i))


def linspace(start: Any, end: Any, steps: int, *, dtype: DTypeLike | None = None,
             device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included."""
    a, b, n = float(_number(start, "start")), float(_number(end, "end")), _steps(steps)
    return _new(lambda xp, d: _linspace_f64(xp, a, b, n).astype(d), _dev.target_device(device),
                _dtype(dtype), requires_grad)


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *,
             dtype: DTypeLike | None = None, device: DeviceLike | None = None,
             requires_grad: bool = False) -> Tensor:
    """``base ** linspace(start, end, steps)``: ``steps`` values spaced evenly on a log scale."""
    a, b, n = float(_number(start, "start")), float(_number(end, "end")), _steps(steps)
    base = float(_number(base, "base"))
    return _new(lambda xp, d: (base ** _linspace_f64(xp, a, b, n)).astype(d),
                _dev.target_device(device), _dtype(dtype), requires_grad)


_registry.bind(Tensor)  # this module's methods (gpugrad.ops bound its own before)
