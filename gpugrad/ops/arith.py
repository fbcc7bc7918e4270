"""Arithmetic: ``+ - * / **`` and negation, their reflected forms, and ``+= -= *= /=``.

Binary ops take Tensors or constants (Python numbers, arrays) in either position; a constant's
gradient is never computed (``self.needs``). Broadcast gradients are summed back to each input's
shape by the engine, not here. Operands of different dtypes are first cast to PyTorch's result
dtype (``convert.promote``); the check costs one identity test when both are one dtype.
"""

from __future__ import annotations

import math
import weakref
from typing import Any

import numpy as np

from .. import _device as _dev
from .. import autograd as _ag
from .. import dtypes as _dt
from .._typing import Number, TensorOrNumber
from ..autograd import Op
from ..tensor import Tensor
from ._registry import method
from .convert import Cast, promote

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "pow",
           "neg", "negative"]


class Add(Op):
    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy, gy


class Sub(Op):
    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        return gy, (-gy if self.needs[1] else None)


class Mul(Op):
    saved_inputs = (0, 1)

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        n = self.needs
        return (gy * self.b if n[0] else None), (gy * self.a if n[1] else None)


class Div(Op):
    saved_inputs = (1,)
    saved_output = True

    def forward(self, a, b):
        self.b = b
        self.y = y = a / b
        return y

    def backward(self, gy):
        ga = gy / self.b
        return ga, (-ga * self.y if self.needs[1] else None)


def _log(a, xp):
    return math.log(a) if isinstance(a, (int, float)) else xp.log(a)


class Pow(Op):
    saved_inputs = (0, 1)
    saved_output = True

    def forward(self, a, b):
        self.a, self.b = a, b
        with np.errstate(divide="ignore", invalid="ignore"):
            self.y = y = a**b
        return y

    def backward(self, gy):
        a, b, xp = self.a, self.b, self.xp
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs[0]:
                if isinstance(b, (int, float)):
                    if b == 0:  # d(a^0)/da = 0 everywhere, a = 0 included (not 0 * inf)
                        ga = xp.zeros_like(gy)
                    else:
                        ga = gy * (2.0 * a) if b == 2 else gy * (b * a ** (b - 1))
                else:
                    ga = gy * xp.where(b == 0, 0.0, b * a ** (b - 1))
            if self.needs[1]:
                # d(a^b)/db = a^b log a, taken as 0 where a == 0 (PyTorch's convention)
                gb = gy * xp.where(a == 0, 0.0, self.y * _log(a, xp))
        return ga, gb


class Neg(Op):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return (-gy,)


def _check_bool_sub(a: Tensor, b: Any) -> None:
    """PyTorch refuses subtraction where an operand is a bool tensor (or a bool beside one);
    ``a`` is the Tensor operand."""
    if not (a._data.dtype.kind == "b" or b.__class__ is bool or b.__class__ is np.bool_
            or isinstance(b, Tensor) and b._data.dtype.kind == "b"):
        return
    b_is_bool = (isinstance(b, (bool, np.bool_))
                 or isinstance(b, Tensor) and b._data.dtype.kind == "b")
    if a._data.dtype.kind == "b" and b_is_bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                       "If you are trying to invert a mask, use the `~` or `logical_not()` "
                       "operator instead.")


@method("add")
def add(input: Tensor, other: TensorOrNumber, *, alpha: Number = 1) -> Tensor:
    """``input + alpha * other``, broadcasting."""
    if alpha != 1:
        other = other * alpha
    if other.__class__ is not Tensor or other._data.dtype is not input._data.dtype:
        input, other = promote(input, other)
    return Add.apply(input, other)


@method("sub")
def sub(input: Tensor, other: TensorOrNumber, *, alpha: Number = 1) -> Tensor:
    """``input - alpha * other``, broadcasting."""
    if alpha != 1:
        other = other * alpha
    if other.__class__ is not Tensor or other._data.dtype is not input._data.dtype:
        _check_bool_sub(input, other)
        input, other = promote(input, other)
    try:
        return Sub.apply(input, other)
    except TypeError:
        _check_bool_sub(input, other)
        raise


subtract = sub


@method("__add__", "__radd__")
def _add(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``input + other``."""
    if other.__class__ is not Tensor or other._data.dtype is not input._data.dtype:
        input, other = promote(input, other)
    return Add.apply(input, other)


@method("__sub__")
def _sub(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``input - other``."""
    if other.__class__ is not Tensor or other._data.dtype is not input._data.dtype:
        _check_bool_sub(input, other)
        input, other = promote(input, other)
    try:
        return Sub.apply(input, other)
    except TypeError:
        _check_bool_sub(input, other)
        raise


@method("__rsub__")
def _rsub(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``other - input``."""
    if other.__class__ is not Tensor or other._data.dtype is not input._data.dtype:
        _check_bool_sub(input, other)
        input, other = promote(input, other)
    try:
        return Sub.apply(other, input)
    except TypeError:
        _check_bool_sub(input, other)
        raise


@method("mul", "__mul__", "__rmul__")
def mul(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``input * other``, elementwise, broadcasting."""
    if other.__class__ is not Tensor or other._data.dtype is not input._data.dtype:
        input, other = promote(input, other)
    return Mul.apply(input, other)


multiply = mul


@method("div", "__truediv__")
def div(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``input / other`` (true division), broadcasting; integers divide to the default float
    dtype."""
    if (other.__class__ is not Tensor or other._data.dtype is not input._data.dtype
            or input._data.dtype.kind != "f"):
        input, other = promote(input, other, floating=True)
    return Div.apply(input, other)


divide = true_divide = div


@method("__rtruediv__")
def _rdiv(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``other / input``."""
    if (other.__class__ is not Tensor or other._data.dtype is not input._data.dtype
            or input._data.dtype.kind != "f"):
        input, other = promote(input, other, floating=True)
    return Div.apply(other, input)


def _power(base: TensorOrNumber, exponent: TensorOrNumber) -> Tensor:
    """``base ** exponent``, one of them a Tensor, after promotion. Integer powers follow
    PyTorch: a negative number exponent raises; negative tensor exponents give 1 for base 1,
    +-1 for base -1 and 0 otherwise."""
    t = base if isinstance(base, Tensor) else exponent
    assert isinstance(t, Tensor)
    if t._data.dtype.kind == "f":
        return Pow.apply(base, exponent)
    # an integer (or bool) result carries no gradient: computed outside the graph
    if isinstance(exponent, (int, np.integer)) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    r = _dt.result_type(base, exponent).np
    a = base._data if isinstance(base, Tensor) else base
    e = exponent._data if isinstance(exponent, Tensor) else exponent
    if isinstance(base, Tensor) and isinstance(exponent, Tensor):
        _dev.same_device_or_raise(a, e)
    xp = _dev.array_module(t._data)
    if isinstance(e, (int, np.integer)):
        y = a ** e
    else:
        neg = e < 0
        at_neg = xp.where(a == 1, 1, xp.where(a == -1, xp.where(e % 2 != 0, -1, 1), 0))
        y = xp.where(neg, at_neg, a ** xp.where(neg, 0, e))
    return Tensor._wrap(xp.asarray(y).astype(r, copy=False))


@method("pow", "__pow__")
def pow(input: Tensor, exponent: TensorOrNumber) -> Tensor:  # noqa: A001
    """``input ** exponent``, elementwise; the exponent may be a tensor or a number."""
    if exponent.__class__ is not Tensor or exponent._data.dtype is not input._data.dtype:
        input, exponent = promote(input, exponent)
    if input._data.dtype.kind != "f":
        return _power(input, exponent)
    return Pow.apply(input, exponent)


@method("__rpow__")
def _rpow(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``other ** input``."""
    if other.__class__ is not Tensor or other._data.dtype is not input._data.dtype:
        input, other = promote(input, other)
    return _power(other, input)


@method("neg", "negative", "__neg__")
def neg(input: Tensor) -> Tensor:
    """``-input`` (a bool tensor raises, as in PyTorch: use ``~`` or ``logical_not``)."""
    try:
        return Neg.apply(input)
    except TypeError:
        if input._data.dtype.kind == "b":
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.") from None
        raise


negative = neg


@method("__pos__")
def _pos(input: Tensor) -> Tensor:
    """``+input``: the tensor itself."""
    return input


# --- in place --------------------------------------------------------------------------------


def _inplace(self: Tensor, op, ufunc, other: TensorOrNumber) -> Tensor:
    """``self op= other``: in storage when no graph is recorded, else rebinding ``self`` to the
    op's result (the graph node then produces ``self``)."""
    other_grad = isinstance(other, Tensor) and other._requires_grad
    if self._data.dtype.kind != "f" and isinstance(other, (Tensor, int, float, np.number)):
        r = _dt.result_type(self, other)
        if ufunc is np.true_divide and not r.is_floating_point:
            r = _dt.get_default_dtype()
        if not _dt.can_cast(r, self.dtype):
            raise RuntimeError(f"result type {_dt.TYPE_NAMES[r]} can't be cast to the desired "
                               f"output type {_dt.TYPE_NAMES[self.dtype]}")
    if (self._requires_grad or other_grad) and _ag.is_grad_enabled():
        self._check_inplace_leaf()
        out = op(self, other)
        if out.shape != self.shape:
            raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the "
                               f"broadcast shape {list(out.shape)}")
        if out._data.dtype != self._data.dtype:
            out = Cast.apply(out, dtype=self._data.dtype)
        self._data, self._grad_fn = out._data, out._grad_fn
        self._requires_grad, self._version = True, out._version
        if out._grad_fn is not None and out._grad_fn.retain is not None:
            out._grad_fn.retain = weakref.ref(self)
        return self
    b = other
    if isinstance(other, Tensor):
        _dev.same_device_or_raise(self._data, other._data)
        b = other._data
        if b.dtype is not self._data.dtype:
            b = b.astype(_dt.result_type(self, other).np, copy=False)  # PyTorch's compute type
    elif isinstance(other, np.generic):
        b = other.item()
    try:
        ufunc(self._data, b, out=self._data)
    except (TypeError, ValueError) as e:
        raise RuntimeError(f"in-place {ufunc.__name__} on a {self.dtype} tensor of shape "
                           f"{list(self.shape)} failed: {e}") from None
    self._version.v += 1
    return self


@method("add_", "__iadd__")
def add_(input: Tensor, other: TensorOrNumber, *, alpha: Number = 1) -> Tensor:
    """In place: ``input += alpha * other``."""
    return _inplace(input, add, np.add, other if alpha == 1 else other * alpha)


@method("sub_", "__isub__")
def sub_(input: Tensor, other: TensorOrNumber, *, alpha: Number = 1) -> Tensor:
    """In place: ``input -= alpha * other``."""
    if other.__class__ is not Tensor or other._data.dtype is not input._data.dtype:
        _check_bool_sub(input, other)
    return _inplace(input, sub, np.subtract, other if alpha == 1 else other * alpha)


@method("mul_", "__imul__")
def mul_(input: Tensor, other: TensorOrNumber) -> Tensor:
    """In place: ``input *= other``."""
    return _inplace(input, mul, np.multiply, other)


@method("div_", "__itruediv__")
def div_(input: Tensor, other: TensorOrNumber) -> Tensor:
    """In place: ``input /= other``."""
    return _inplace(input, div, np.true_divide, other)
