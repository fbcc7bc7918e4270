"""Tensor factories: ``tensor``, ``zeros``, ``arange``, ``randn``..., with PyTorch's arguments."""

from __future__ import annotations

import numbers

import numpy as np

from . import _device as _dev
from . import dtypes as _dt
from .tensor import Tensor, _as_array, _host_dtype, _wrap

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like",
           "ones_like", "empty_like", "full_like", "arange", "linspace", "eye", "randn", "rand",
           "randn_like", "rand_like", "randint", "randperm", "manual_seed"]


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, arrays, or a Tensor)."""
    t = _wrap(_as_array(data, dtype, device), None)
    if requires_grad:
        t.requires_grad = True
    return t


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """``data`` as a tensor, sharing nothing but avoiding a copy when it already is one with
    this dtype and device."""
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A CPU tensor sharing memory with ``array``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    _host_dtype(array, None)
    if array.dtype not in (d.np for d in _dt.ALL):
        raise TypeError(f"can't convert np.ndarray of type {array.dtype}; supported: "
                        + ", ".join(d.name for d in _dt.ALL))
    return _wrap(array, None)


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if isinstance(s, bool) or not hasattr(s, "__index__"):
            raise TypeError(f"size must be a tuple of ints, but got {s!r} ({type(s).__name__}) "
                            f"in {tuple(size)}")
    size = tuple(s.__index__() for s in size)
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(size)}")
    return size


def _new(fill, size, dtype, device, requires_grad, default=None):
    dev = _dev.resolve(device if device is not None else "cpu")
    dt = _dt.to_dtype(dtype) if dtype is not None else (default or _dt.default_float)
    xp = _dev.xp_of(dev)
    if dev.type == "cuda":
        with xp.cuda.Device(dev.index):
            arr = fill(xp, size, dt.np)
    else:
        arr = fill(xp, size, dt.np)
    t = _wrap(arr, None)
    if requires_grad:
        t.requires_grad = True
    return t


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros of the given size (``zeros(2, 3)`` or ``zeros((2, 3))``)."""
    return _new(lambda xp, s, d: xp.zeros(s, d), _size(size), dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones of the given size."""
    return _new(lambda xp, s, d: xp.ones(s, d), _size(size), dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An uninitialised tensor of the given size (its values are arbitrary)."""
    return _new(lambda xp, s, d: xp.empty(s, d), _size(size), dtype, device, requires_grad)


def _fill_dtype(value):
    if isinstance(value, (bool, np.bool_)):
        return _dt.bool_
    if isinstance(value, numbers.Integral):
        return _dt.int64
    return _dt.default_float


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of the given size filled with ``fill_value`` (its dtype follows the value)."""
    size = _size((size,) if isinstance(size, int) else (size,))
    return _new(lambda xp, s, d: xp.full(s, fill_value, d), size, dtype, device, requires_grad,
                default=_fill_dtype(fill_value))


def _like(fn, t: Tensor, dtype, device, requires_grad, *args):
    return fn(t.shape, *args, dtype=dtype if dtype is not None else t.dtype,
              device=device if device is not None else t.device, requires_grad=requires_grad)


def zeros_like(input, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Zeros with the shape (and, unless given, dtype and device) of ``input``."""
    return _like(zeros, input, dtype, device, requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Ones with the shape (and, unless given, dtype and device) of ``input``."""
    return _like(ones, input, dtype, device, requires_grad)


def empty_like(input, dtype=None, device=None, requires_grad=False) -> Tensor:
    """An uninitialised tensor shaped like ``input``."""
    return _like(empty, input, dtype, device, requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``fill_value`` everywhere, shaped like ``input``."""
    return _like(full, input, dtype, device, requires_grad, fill_value)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` (default 0) to ``end`` (exclusive) by ``step``; int64 when all
    three are integers, else the default float dtype."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    ints = all(isinstance(v, numbers.Integral) for v in (start, end, step))
    default = _dt.int64 if ints else _dt.default_float
    return _new(lambda xp, s, d: xp.arange(start, end, step).astype(d), None, dtype, device,
                requires_grad, default=default)


def linspace(start, end, steps: int, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    return _new(lambda xp, s, d: xp.linspace(start, end, int(steps)).astype(d), None, dtype,
                device, requires_grad)


def eye(n: int, m: int | None = None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """The identity matrix of ``n`` rows (and ``m`` columns)."""
    return _new(lambda xp, s, d: xp.eye(n, m, dtype=d), None, dtype, device, requires_grad)


def _random(sample, size, dtype, device, requires_grad, default=None):
    dev = _dev.resolve(device if device is not None else "cpu")
    dt = _dt.to_dtype(dtype) if dtype is not None else (default or _dt.default_float)
    t = _wrap(sample(dev, size, dt.np), None)
    if requires_grad:
        t.requires_grad = True
    return t


def randn(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples; reproducible after ``gpugrad.manual_seed``."""
    return _random(_dev.random_normal, _size(size), dtype, device, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples on [0, 1)."""
    return _random(_dev.random_uniform, _size(size), dtype, device, requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples shaped like ``input``."""
    return _like(randn, input, dtype, device, requires_grad)


def rand_like(input, dtype=None, device=None, requires_grad=False) -> Tensor:
    """U[0, 1) samples shaped like ``input``."""
    return _like(rand, input, dtype, device, requires_grad)


def randint(low, high=None, size=None, *, dtype=None, device=None,
            requires_grad=False) -> Tensor:
    """Integers uniform on [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        if high is None:
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    if high is None:
        raise TypeError("randint() missing required argument 'high'")
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    size = _size((size,) if isinstance(size, int) else (size,))
    return _random(lambda d, s, dt: _dev.random_integers(d, int(low), int(high), s, dt), size,
                   dtype, device, requires_grad, default=_dt.int64)


def randperm(n: int, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64)."""
    return _random(lambda d, s, dt: _dev.random_permutation(d, int(n)).astype(dt), None, dtype,
                   device, requires_grad, default=_dt.int64)


def manual_seed(seed: int) -> None:
    """Seed the random generators of every device."""
    _dev.manual_seed(seed)
