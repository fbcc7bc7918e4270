"""Selection and comparison: clamp, maximum/minimum, where, and the comparisons (no gradient)."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .. import _device as _dev
from .. import dtypes as _dt
from .._typing import Number, TensorOrNumber
from ..autograd import Op, raw
from ..tensor import Tensor
from ._registry import method
from .convert import Cast, promote

__all__ = ["clamp", "clip", "maximum", "minimum", "where", "eq", "ne", "lt", "le", "gt", "ge",
           "isclose", "allclose", "equal"]


class Clamp(Op):
    saved_inputs = (0,)

    def forward(self, x, min=None, max=None):  # noqa: A002  (PyTorch's names)
        self.x, self.lo, self.hi = x, min, max
        return self.xp.clip(x, min, max)

    def backward(self, gy):
        x, lo, hi = raw(self.x), raw(self.lo), raw(self.hi)
        mask = None
        if lo is not None:
            mask = x >= lo
        if hi is not None:
            mask = (x <= hi) if mask is None else mask & (x <= hi)
        return (gy if mask is None else gy * mask,)


class Maximum(Op):
    """Elementwise max; at ties the gradient is split evenly (as PyTorch does)."""

    saved_inputs = (0, 1)
    pick = staticmethod(np.greater)

    def forward(self, a, b):
        self.a, self.b = a, b
        return self.xp.maximum(a, b) if self.pick is np.greater else self.xp.minimum(a, b)

    def backward(self, gy):
        a, b = raw(self.a), raw(self.b)
        win = (a > b) if self.pick is np.greater else (a < b)
        w = win + 0.5 * (a == b)
        return gy * w, gy * (1.0 - w)


class Minimum(Maximum):
    pick = staticmethod(np.less)


class Where(Op):
    saved_inputs = (0,)

    def forward(self, cond, a, b):
        self.cond = cond
        return self.xp.where(cond, a, b)

    def backward(self, gy):
        c = self.cond
        n = self.needs
        zero = 0.0
        return (None, self.xp.where(c, gy, zero) if n[1] else None,
                self.xp.where(c, zero, gy) if n[2] else None)


@method("clamp", "clip")
def clamp(input: Tensor, min: Number | None = None, max: Number | None = None) -> Tensor:  # noqa: A002
    """Limit values to ``[min, max]``; the gradient flows where ``min <= x <= max``."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    return Clamp.apply(input, min=min, max=max)


clip = clamp


@method()
def maximum(input: Tensor, other: TensorOrNumber) -> Tensor:
    """Elementwise maximum, broadcasting, in the operands' promoted dtype; ties share the
    gradient evenly."""
    if other.__class__ is not Tensor or other._data.dtype is not input._data.dtype:
        input, other = promote(input, other)
    return Maximum.apply(input, other)


@method()
def minimum(input: Tensor, other: TensorOrNumber) -> Tensor:
    """Elementwise minimum, broadcasting, in the operands' promoted dtype; ties share the
    gradient evenly."""
    if other.__class__ is not Tensor or other._data.dtype is not input._data.dtype:
        input, other = promote(input, other)
    return Minimum.apply(input, other)


def where(condition: Any, input: TensorOrNumber | None = None,
          other: TensorOrNumber | None = None) -> Any:
    """``input`` where ``condition`` holds, else ``other`` (broadcasting; numbers on either
    side), in the dtype ``gpugrad.result_type(input, other)`` (``where(c, 1, 2.5)`` is
    float32). With ``condition`` alone: ``nonzero(condition, as_tuple=True)``."""
    if input is None and other is None:
        from .indexing import nonzero

        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where() takes a condition alone, or a condition, input and other")
    cond = condition if isinstance(condition, Tensor) else None
    like = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else cond
    if like is None:
        raise TypeError("where(): at least one of condition, input, other must be a Tensor")
    if cond is None:
        cond = Tensor._wrap(_dev.to_device(np.asarray(condition), like.device))
    if cond.dtype.name != "bool":
        cond = ne(cond, 0)
    r = _dt.result_type(input, other).np
    return Where.apply(cond, _as_operand(input, r, cond), _as_operand(other, r, cond))


def _as_operand(x: Any, np_dtype: Any, like: Tensor) -> Any:
    """A ``where`` operand in dtype ``np_dtype``: a Tensor cast if needed, a number as a 0-d
    tensor on ``like``'s device."""
    if isinstance(x, Tensor):
        return x if x._data.dtype == np_dtype else Cast.apply(x, dtype=np_dtype)
    return Tensor._wrap(_dev.to_device(np.asarray(x, dtype=np_dtype), like.device))


# --- comparisons (no gradient) ---------------------------------------------------------------


def _operands(input: Tensor, other: Any) -> tuple[Any, Any]:
    """The arrays (or number) to compare, on one device."""
    if isinstance(other, Tensor):
        _dev.same_device_or_raise(input._data, other._data)
        return input._data, other._data
    return input._data, other


def _compare(name: str, fn: Any, input: Tensor, other: Any) -> Tensor:
    """``fn(input, other)`` as a bool tensor; shapes that do not broadcast raise RuntimeError
    (as every other op does), not NumPy's ValueError."""
    a, b = _operands(input, other)
    try:
        return Tensor._wrap(fn(a, b))
    except ValueError:
        raise RuntimeError(f"{name}: shapes {list(input.shape)} and {list(np.shape(b))} do not "
                           "broadcast") from None


@method("eq", "__eq__")
def eq(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``input == other``, elementwise, as a bool tensor (``t == None`` is False)."""
    if other is None:
        return False  # type: ignore[return-value]
    return _compare("eq", operator.eq, input, other)


@method("ne", "__ne__")
def ne(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``input != other``, elementwise, as a bool tensor (``t != None`` is True)."""
    if other is None:
        return True  # type: ignore[return-value]
    return _compare("ne", operator.ne, input, other)


@method("lt", "less", "__lt__")
def lt(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``input < other``, elementwise, as a bool tensor."""
    return _compare("lt", operator.lt, input, other)


@method("le", "less_equal", "__le__")
def le(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``input <= other``, elementwise, as a bool tensor."""
    return _compare("le", operator.le, input, other)


@method("gt", "greater", "__gt__")
def gt(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``input > other``, elementwise, as a bool tensor."""
    return _compare("gt", operator.gt, input, other)


@method("ge", "greater_equal", "__ge__")
def ge(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``input >= other``, elementwise, as a bool tensor."""
    return _compare("ge", operator.ge, input, other)


@method()
def isclose(input: Tensor, other: TensorOrNumber, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|`` as a bool tensor."""
    xp = _dev.array_module(input._data)
    return _compare("isclose", lambda a, b: xp.isclose(a, b, rtol=rtol, atol=atol,
                                                       equal_nan=equal_nan), input, other)


@method()
def allclose(input: Tensor, other: TensorOrNumber, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True when every element is close (``isclose``); shapes must broadcast."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


@method()
def equal(input: Tensor, other: Tensor) -> bool:
    """True when both tensors have the same shape and the same elements."""
    a, b = _operands(input, other)
    return a.shape == getattr(b, "shape", ()) and bool((a == b).all())
