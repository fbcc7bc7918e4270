"""Elementwise math functions: abs, exp, log, sqrt, sin, cos, log1p, expm1, erf.

Each op saves what its backward reads: the input x, or the output y where the derivative is
cheaper from it (exp, sqrt, expm1). Backward rules use only arithmetic and the array functions
that also exist as differentiable gpugrad functions, so they run on Tensors as well.

Functions whose result is floating take integer and bool tensors too: those are first converted
to the default floating dtype (``sin(int tensor)`` is float32, as in PyTorch).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _device as _dev
from .. import dtypes as _dt
from ..autograd import Op
from ..tensor import Tensor
from ._registry import method

__all__ = ["abs", "absolute", "exp", "log", "sqrt", "sin", "cos", "log1p", "expm1", "erf"]


def _check_tensor(input: object, fn: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")


def floating(input: Tensor, fn: str) -> Tensor:
    """``input`` itself if floating, else its values in the default floating dtype (the input
    of an op whose result is floating: ``exp``, ``sin``, ``erf``...)."""
    _check_tensor(input, fn)
    d = input._data
    if d.dtype.kind == "f":
        return input
    return Tensor._wrap(d.astype(_dt.default_float.np))


class Abs(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return self.xp.abs(x)

    def backward(self, gy):
        return (gy * self.xp.sign(self.x),)


class Exp(Op):
    saved_output = True

    def forward(self, x):
        self.y = y = self.xp.exp(x)
        return y

    def backward(self, gy):
        return (gy * self.y,)


class Log(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.xp.log(x)

    def backward(self, gy):
        return (gy / self.x,)


class Sqrt(Op):
    saved_output = True

    def forward(self, x):
        with np.errstate(invalid="ignore"):
            self.y = y = self.xp.sqrt(x)
        return y

    def backward(self, gy):
        with np.errstate(divide="ignore"):
            return (gy / (2.0 * self.y),)


class Sin(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return self.xp.sin(x)

    def backward(self, gy):
        return (gy * self.xp.cos(self.x),)


class Cos(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return self.xp.cos(x)

    def backward(self, gy):
        return (-gy * self.xp.sin(self.x),)


class Log1p(Op):
    """log(1 + x), accurate for small x; d/dx = 1 / (1 + x)."""

    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.xp.log1p(x)

    def backward(self, gy):
        return (gy / (self.x + 1.0),)


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class Erf(Op):
    """The error function; d/dx = 2/sqrt(pi) exp(-x^2)."""

    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return _dev.erf(x).astype(x.dtype, copy=False)

    def backward(self, gy):
        x = self.x
        return (gy * (_TWO_OVER_SQRT_PI * self.xp.exp(-(x * x))),)


class Expm1(Op):
    """exp(x) - 1, accurate for small x; d/dx = exp(x) = y + 1."""

    saved_output = True

    def forward(self, x):
        self.y = y = self.xp.expm1(x)
        return y

    def backward(self, gy):
        return (gy * (self.y + 1.0),)


@method("abs", "absolute", "__abs__")
def abs(input: Tensor) -> Tensor:  # noqa: A001
    """Absolute value, elementwise (gradient ``sign(x)``, 0 at 0)."""
    return Abs.apply(input)


absolute = abs


@method()
def exp(input: Tensor) -> Tensor:
    """``e ** input``, elementwise."""
    return Exp.apply(floating(input, "exp"))


@method()
def log(input: Tensor) -> Tensor:
    """Natural logarithm, elementwise (``-inf`` at 0, NaN below)."""
    return Log.apply(floating(input, "log"))


@method()
def sqrt(input: Tensor) -> Tensor:
    """Square root, elementwise (NaN below 0)."""
    return Sqrt.apply(floating(input, "sqrt"))


@method()
def sin(input: Tensor) -> Tensor:
    """Sine, elementwise (radians)."""
    return Sin.apply(floating(input, "sin"))


@method()
def cos(input: Tensor) -> Tensor:
    """Cosine, elementwise (radians)."""
    return Cos.apply(floating(input, "cos"))


@method()
def log1p(input: Tensor) -> Tensor:
    """``log(1 + input)``, elementwise, accurate where ``input`` is small."""
    return Log1p.apply(floating(input, "log1p"))


@method()
def expm1(input: Tensor) -> Tensor:
    """``exp(input) - 1``, elementwise, accurate where ``input`` is small."""
    return Expm1.apply(floating(input, "expm1"))


@method()
def erf(input: Tensor) -> Tensor:
    """The error function ``2/sqrt(pi) * integral of exp(-t^2) from 0 to input``, elementwise."""
    return Erf.apply(floating(input, "erf"))
