"""Selection and comparison: clamp (number or tensor bounds), maximum/minimum, where, the
comparisons and the floating-point class tests isnan/isinf/... (no gradient)."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .. import _device as _dev
from .. import dtypes as _dt
from .._typing import TensorOrNumber
from ..autograd import Op, raw
from ..tensor import Tensor
from ._registry import method
from .arith import as_dtype, result_dtype
from .convert import Cast, is_array, promote
from .unary import inplace_method

__all__ = ["clamp", "clip", "clamp_min", "clamp_max", "maximum", "minimum", "where", "eq", "ne",
           "lt", "le", "gt", "ge", "isclose", "allclose", "equal", "isnan", "isinf", "isfinite",
           "isposinf", "isneginf", "isreal", "isin"]


class Clamp(Op):
    """Clamp to number bounds; the gradient flows where ``min <= x <= max`` (``strict``:
    where ``min < x < max``, hardtanh's rule)."""

    saved_inputs = (0,)
    strict = False

    def forward(self, x, min=None, max=None):  # noqa: A002  (PyTorch's names)
        self.x, self.lo, self.hi = x, min, max
        return self.xp.clip(x, min, max)

    def backward(self, gy):
        x, lo, hi, xp = raw(self.x), raw(self.lo), raw(self.hi), self.xp
        g = gy
        if lo is not None:
            g = xp.where((x > lo) if self.strict else (x >= lo), g, 0.0)
        if hi is not None:
            g = xp.where((x < hi) if self.strict else (x <= hi), g, 0.0)
        return (g,)


class Hardtanh(Clamp):
    """``clamp(x, min, max)`` with no gradient at the bounds themselves (PyTorch's hardtanh
    and relu6; ``clamp`` passes it there)."""

    strict = True


class ClampMin(Op):
    """max(x, lo) for a tensor bound lo: the gradient goes to x where x >= lo, else to lo."""

    saved_inputs = (0, 1)
    upper = False

    def forward(self, x, bound):
        self.x, self.bound = x, bound
        return self.xp.minimum(x, bound) if self.upper else self.xp.maximum(x, bound)

    def backward(self, gy):
        x, b, xp = raw(self.x), raw(self.bound), self.xp
        keep = (x <= b) if self.upper else (x >= b)
        return ((xp.where(keep, gy, 0.0) if self.needs[0] else None),
                (xp.where(keep, 0.0, gy) if self.needs[1] else None))


class ClampMax(ClampMin):
    """min(x, hi) for a tensor bound hi: the gradient goes to x where x <= hi, else to hi."""

    upper = True


class Maximum(Op):
    """Elementwise max; at ties the gradient is split evenly (as PyTorch does)."""

    saved_inputs = (0, 1)
    largest = True

    def forward(self, a, b):
        self.a, self.b = a, b
        return self.xp.maximum(a, b) if self.largest else self.xp.minimum(a, b)

    def backward(self, gy):
        a, b, xp = raw(self.a), raw(self.b), self.xp
        half = gy * 0.5
        a_loses, b_loses = (a < b, a > b) if self.largest else (a > b, a < b)
        n = self.needs
        # as PyTorch: ties share; where either is NaN (no order) both get the gradient
        return ((xp.where(a == b, half, xp.where(a_loses, 0.0, gy)) if n[0] else None),
                (xp.where(a == b, half, xp.where(b_loses, 0.0, gy)) if n[1] else None))


class Minimum(Maximum):
    largest = False


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
def clamp(input: Tensor, min: TensorOrNumber | None = None,  # noqa: A002
          max: TensorOrNumber | None = None) -> Tensor:  # noqa: A002
    """Limit values to ``[min, max]`` (numbers or tensors, broadcasting; where ``min > max`` the
    result is ``max``); the gradient flows to ``input`` where ``min <= input <= max`` and to a
    tensor bound where it is the result."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if not isinstance(input, Tensor):
        raise TypeError(f"clamp(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    dt = result_dtype(input, *(b for b in (min, max) if b is not None))
    x = as_dtype(input, dt)
    if not isinstance(min, Tensor) and not isinstance(max, Tensor):
        return Clamp.apply(x, min=min, max=max)
    if min is not None:
        x = ClampMin.apply(x, as_dtype(min, dt))
    if max is not None:
        x = ClampMax.apply(x, as_dtype(max, dt))
    return x


clip = clamp
method("clip_")(inplace_method(clamp))


@method()
def clamp_min(input: Tensor, min: TensorOrNumber) -> Tensor:  # noqa: A002
    """``clamp(input, min=min)``: values below ``min`` raised to it."""
    return clamp(input, min=min)


@method()
def clamp_max(input: Tensor, max: TensorOrNumber) -> Tensor:  # noqa: A002
    """``clamp(input, max=max)``: values above ``max`` lowered to it."""
    return clamp(input, max=max)


method("clamp_min_")(inplace_method(clamp_min))
method("clamp_max_")(inplace_method(clamp_max))


@method()
def maximum(input: Tensor, other: TensorOrNumber) -> Tensor:
    """Elementwise maximum, broadcasting, in the operands' promoted dtype; ties share the
    gradient evenly."""
    if input.__class__ is not Tensor and not isinstance(input, Tensor):
        raise TypeError(f"maximum(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if other.__class__ is not Tensor or other._data.dtype is not input._data.dtype:
        input, other = promote(input, other)
    return Maximum.apply(input, other)


@method()
def minimum(input: Tensor, other: TensorOrNumber) -> Tensor:
    """Elementwise minimum, broadcasting, in the operands' promoted dtype; ties share the
    gradient evenly."""
    if input.__class__ is not Tensor and not isinstance(input, Tensor):
        raise TypeError(f"minimum(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
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
        cond = Tensor._wrap(_dev.to_device(condition, like.device))
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


def _operands(input: Tensor, other: Any, name: str) -> tuple[Any, Any]:
    """The arrays (or number) to compare, on one device."""
    if isinstance(other, Tensor):
        _dev.same_device_or_raise(input._data, other._data)
        return input._data, other._data
    if not _operand_like(other):
        raise TypeError(f"{name}: unsupported operand type(s): 'Tensor' and "
                        f"'{type(other).__name__}' (a Tensor, a number or an array was "
                        "expected)")
    return input._data, other


def _operand_like(x: Any) -> bool:
    return isinstance(x, (Tensor, int, float, np.number, np.bool_)) or is_array(x)


def _compare(name: str, fn: Any, input: Tensor, other: Any) -> Tensor:
    """``fn(input, other)`` as a bool tensor; shapes that do not broadcast raise RuntimeError
    (as every other op does), not NumPy's ValueError."""
    a, b = _operands(input, other, name)
    try:
        return Tensor._wrap(fn(a, b))
    except ValueError:
        raise RuntimeError(f"{name}: shapes {list(input.shape)} and {list(np.shape(b))} do not "
                           "broadcast") from None


@method("eq", "__eq__")
def eq(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``input == other``, elementwise, as a bool tensor (``t == None``, or with a list, a
    string...: False, as Python compares unrelated objects)."""
    if other is None or not _operand_like(other):
        return False  # type: ignore[return-value]
    return _compare("eq", operator.eq, input, other)


@method("ne", "__ne__")
def ne(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``input != other``, elementwise, as a bool tensor (``t != None`` and the like: True)."""
    if other is None or not _operand_like(other):
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
    a, b = _operands(input, other, "equal")
    return a.shape == getattr(b, "shape", ()) and bool((a == b).all())



# --- floating-point classes (no gradient) ------------------------------------------------------


def _classify(input: Tensor, fn: str, test: Any, ints: bool = False) -> Tensor:
    """``test(array)`` for floating tensors; ``ints`` (a constant) for integer and bool ones."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    a = input._data
    xp = _dev.array_module(a)
    if a.dtype.kind != "f":
        return Tensor._wrap(xp.full(a.shape, ints, dtype=bool))
    return Tensor._wrap(test(xp, a))


@method()
def isnan(input: Tensor) -> Tensor:
    """Where ``input`` is NaN, as a bool tensor."""
    return _classify(input, "isnan", lambda xp, a: xp.isnan(a))


@method()
def isinf(input: Tensor) -> Tensor:
    """Where ``input`` is +inf or -inf, as a bool tensor."""
    return _classify(input, "isinf", lambda xp, a: xp.isinf(a))


@method()
def isfinite(input: Tensor) -> Tensor:
    """Where ``input`` is neither NaN nor infinite, as a bool tensor (all True for integers)."""
    return _classify(input, "isfinite", lambda xp, a: xp.isfinite(a), ints=True)


@method()
def isposinf(input: Tensor) -> Tensor:
    """Where ``input`` is +inf, as a bool tensor."""
    return _classify(input, "isposinf", lambda xp, a: a == np.inf)


@method()
def isneginf(input: Tensor) -> Tensor:
    """Where ``input`` is -inf, as a bool tensor."""
    return _classify(input, "isneginf", lambda xp, a: a == -np.inf)


@method()
def isreal(input: Tensor) -> Tensor:
    """All True: gpugrad's tensors are real (PyTorch's test for a zero imaginary part)."""
    return _classify(input, "isreal", lambda xp, a: xp.ones(a.shape, dtype=bool), ints=True)


def isin(elements: TensorOrNumber, test_elements: TensorOrNumber, *,
         assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Where each of ``elements`` is among ``test_elements`` (either may be a number), as a
    bool tensor of ``elements``' shape; ``invert=True`` for "not among"."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin(): expected a Tensor for elements or test_elements, got "
                        f"{type(elements).__name__} and {type(test_elements).__name__}")
    for x in (elements, test_elements):
        if not isinstance(x, (Tensor, int, float, bool, np.number, np.bool_)):
            raise TypeError(f"isin(): expected a Tensor or a number, got {type(x).__name__}")
    like = elements if isinstance(elements, Tensor) else test_elements
    assert isinstance(like, Tensor)
    xp = _dev.array_module(like._data)
    a = elements._data if isinstance(elements, Tensor) else xp.asarray(elements)
    b = test_elements._data if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    if isinstance(elements, Tensor) and isinstance(test_elements, Tensor):
        _dev.same_device_or_raise(a, b)
    return Tensor._wrap(xp.isin(a, b, assume_unique=assume_unique, invert=invert))
