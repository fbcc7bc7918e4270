"""Arithmetic: ``+ - * / **`` and negation, their reflected forms, and ``+= -= *= /=``.

Binary ops take Tensors or constants (Python numbers, arrays) in either position; a constant's
gradient is never computed (``self.needs``). Broadcast gradients are summed back to each input's
shape by the engine, not here.
"""

from __future__ import annotations

import math
import weakref

import numpy as np

from .. import _device as _dev
from .. import autograd as _ag
from .._typing import Number, TensorOrNumber
from ..autograd import Op
from ..tensor import Tensor
from ._registry import method
from .convert import Cast

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


@method("add")
def add(input: Tensor, other: TensorOrNumber, *, alpha: Number = 1) -> Tensor:
    """``input + alpha * other``, broadcasting."""
    return Add.apply(input, other if alpha == 1 else other * alpha)


@method("sub")
def sub(input: Tensor, other: TensorOrNumber, *, alpha: Number = 1) -> Tensor:
    """``input - alpha * other``, broadcasting."""
    return Sub.apply(input, other if alpha == 1 else other * alpha)


subtract = sub


@method("__add__", "__radd__")
def _add(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``input + other``."""
    return Add.apply(input, other)


@method("__sub__")
def _sub(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``input - other``."""
    return Sub.apply(input, other)


@method("__rsub__")
def _rsub(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``other - input``."""
    return Sub.apply(other, input)


@method("mul", "__mul__", "__rmul__")
def mul(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``input * other``, elementwise, broadcasting."""
    return Mul.apply(input, other)


multiply = mul


@method("div", "__truediv__")
def div(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``input / other`` (true division), broadcasting."""
    return Div.apply(input, other)


divide = true_divide = div


@method("__rtruediv__")
def _rdiv(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``other / input``."""
    return Div.apply(other, input)


@method("pow", "__pow__")
def pow(input: Tensor, exponent: TensorOrNumber) -> Tensor:  # noqa: A001
    """``input ** exponent``, elementwise; the exponent may be a tensor or a number."""
    return Pow.apply(input, exponent)


@method("__rpow__")
def _rpow(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``other ** input``."""
    return Pow.apply(other, input)


@method("neg", "negative", "__neg__")
def neg(input: Tensor) -> Tensor:
    """``-input``."""
    return Neg.apply(input)


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
    if self._data.dtype.kind != "f" and (
            ufunc is np.true_divide or isinstance(other, float)
            or isinstance(other, Tensor) and other.is_floating_point()):
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{self.dtype.name} (in-place {ufunc.__name__} on an integer tensor)")
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
    return _inplace(input, sub, np.subtract, other if alpha == 1 else other * alpha)


@method("mul_", "__imul__")
def mul_(input: Tensor, other: TensorOrNumber) -> Tensor:
    """In place: ``input *= other``."""
    return _inplace(input, mul, np.multiply, other)


@method("div_", "__itruediv__")
def div_(input: Tensor, other: TensorOrNumber) -> Tensor:
    """In place: ``input /= other``."""
    return _inplace(input, div, np.true_divide, other)
