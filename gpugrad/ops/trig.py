"""Trigonometric and hyperbolic functions and their inverses, elementwise (radians), with the
numpy-style aliases (``arcsin``...) and the in-place ``op_`` forms as Tensor methods.

Backward rules use only arithmetic and functions that are differentiable gpugrad functions too
(``sqrt``, ``exp``, ``expm1``, ``sin``, ``cos``), so they run on Tensors as well.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Op
from ..tensor import Tensor
from ._registry import method
from .unary import floating, inplace_method

__all__ = ["sin", "cos", "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh",
           "cosh", "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh"]

_IGNORE = dict(divide="ignore", invalid="ignore", over="ignore")  # PyTorch computes silently


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


class Tan(Op):
    """tan x; d/dx = 1 + y^2."""

    saved_output = True

    def forward(self, x):
        return self.xp.tan(x)

    def backward(self, gy):
        y = self._out
        return (gy * (y * y + 1.0),)


class Asin(Op):
    """arcsin x on [-1, 1]; d/dx = 1 / sqrt(1 - x^2)."""

    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with np.errstate(**_IGNORE):
            return self.xp.arcsin(x)

    def backward(self, gy):
        x = self.x
        with np.errstate(**_IGNORE):
            return (gy / self.xp.sqrt(1.0 - x * x),)


class Acos(Asin):
    """arccos x on [-1, 1]; d/dx = -1 / sqrt(1 - x^2)."""

    def forward(self, x):
        self.x = x
        with np.errstate(**_IGNORE):
            return self.xp.arccos(x)

    def backward(self, gy):
        x = self.x
        with np.errstate(**_IGNORE):
            return (-gy / self.xp.sqrt(1.0 - x * x),)


class Atan(Op):
    """arctan x; d/dx = 1 / (1 + x^2)."""

    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return self.xp.arctan(x)

    def backward(self, gy):
        x = self.x
        return (gy / (x * x + 1.0),)


class Sinh(Op):
    """sinh x; d/dx = cosh x = (e^x + e^-x) / 2."""

    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with np.errstate(over="ignore"):
            return self.xp.sinh(x)

    def backward(self, gy):
        xp, x = self.xp, self.x
        with np.errstate(over="ignore"):
            return (gy * (0.5 * (xp.exp(x) + xp.exp(-x))),)


class Cosh(Op):
    """cosh x; d/dx = sinh x, as (expm1(x) - expm1(-x)) / 2 (no cancellation near 0)."""

    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with np.errstate(over="ignore"):
            return self.xp.cosh(x)

    def backward(self, gy):
        xp, x = self.xp, self.x
        with np.errstate(over="ignore", invalid="ignore"):
            return (gy * (0.5 * (xp.expm1(x) - xp.expm1(-x))),)


class Asinh(Op):
    """arsinh x; d/dx = 1 / sqrt(x^2 + 1)."""

    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return self.xp.arcsinh(x)

    def backward(self, gy):
        x = self.x
        with np.errstate(over="ignore"):
            return (gy / self.xp.sqrt(x * x + 1.0),)


class Acosh(Op):
    """arcosh x for x >= 1; d/dx = 1 / sqrt((x - 1)(x + 1))."""

    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with np.errstate(**_IGNORE):
            return self.xp.arccosh(x)

    def backward(self, gy):
        x = self.x
        with np.errstate(**_IGNORE):
            return (gy / self.xp.sqrt((x - 1.0) * (x + 1.0)),)


class Atanh(Op):
    """artanh x on (-1, 1); d/dx = 1 / (1 - x^2)."""

    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with np.errstate(**_IGNORE):
            return self.xp.arctanh(x)

    def backward(self, gy):
        x = self.x
        with np.errstate(**_IGNORE):
            return (gy / (1.0 - x * x),)


@method()
def sin(input: Tensor) -> Tensor:
    """Sine, elementwise (radians)."""
    return Sin.apply(floating(input, "sin"))


@method()
def cos(input: Tensor) -> Tensor:
    """Cosine, elementwise (radians)."""
    return Cos.apply(floating(input, "cos"))


@method()
def tan(input: Tensor) -> Tensor:
    """Tangent, elementwise (radians)."""
    return Tan.apply(floating(input, "tan"))


@method("asin", "arcsin")
def asin(input: Tensor) -> Tensor:
    """Arcsine, elementwise (NaN outside [-1, 1])."""
    return Asin.apply(floating(input, "asin"))


@method("acos", "arccos")
def acos(input: Tensor) -> Tensor:
    """Arccosine, elementwise (NaN outside [-1, 1])."""
    return Acos.apply(floating(input, "acos"))


@method("atan", "arctan")
def atan(input: Tensor) -> Tensor:
    """Arctangent, elementwise."""
    return Atan.apply(floating(input, "atan"))


arcsin, arccos, arctan = asin, acos, atan


@method()
def sinh(input: Tensor) -> Tensor:
    """Hyperbolic sine, elementwise."""
    return Sinh.apply(floating(input, "sinh"))


@method()
def cosh(input: Tensor) -> Tensor:
    """Hyperbolic cosine, elementwise."""
    return Cosh.apply(floating(input, "cosh"))


@method("asinh", "arcsinh")
def asinh(input: Tensor) -> Tensor:
    """Inverse hyperbolic sine, elementwise."""
    return Asinh.apply(floating(input, "asinh"))


@method("acosh", "arccosh")
def acosh(input: Tensor) -> Tensor:
    """Inverse hyperbolic cosine, elementwise (NaN below 1)."""
    return Acosh.apply(floating(input, "acosh"))


@method("atanh", "arctanh")
def atanh(input: Tensor) -> Tensor:
    """Inverse hyperbolic tangent, elementwise (``±inf`` at ±1, NaN beyond)."""
    return Atanh.apply(floating(input, "atanh"))


arcsinh, arccosh, arctanh = asinh, acosh, atanh


for _names, _fn in [
    (("sin_",), sin), (("cos_",), cos), (("tan_",), tan), (("asin_", "arcsin_"), asin),
    (("acos_", "arccos_"), acos), (("atan_", "arctan_"), atan), (("sinh_",), sinh),
    (("cosh_",), cosh), (("asinh_", "arcsinh_"), asinh), (("acosh_", "arccosh_"), acosh),
    (("atanh_", "arctanh_"), atanh),
]:
    method(*_names)(inplace_method(_fn))
del _names, _fn
