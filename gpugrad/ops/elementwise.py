"""Elementwise ops: arithmetic, math functions, activations, casts and device moves.

Binary ops take Tensors or constants (Python numbers, arrays) in any position; a constant's
gradient is never computed (``self.needs``). Broadcast gradients are summed back to each input's
shape by the engine, not here.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _device as _dev
from .. import kernels as K
from ..autograd import Function


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy, gy


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        return gy, (-gy if self.needs[1] else None)


class Mul(Function):
    saved_inputs = (0, 1)

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        n = self.needs
        return (gy * self.b if n[0] else None), (gy * self.a if n[1] else None)


class Div(Function):
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


class Pow(Function):
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
                    ga = gy * (2.0 * a) if b == 2 else gy * (b * a ** (b - 1))
                else:
                    ga = gy * b * a ** (b - 1)
            if self.needs[1]:
                # d(a^b)/db = a^b log a, taken as 0 where a == 0 (PyTorch's convention)
                gb = gy * xp.where(a == 0, 0.0, self.y * _log(a, xp))
        return ga, gb


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return (-gy,)


class Abs(Function):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return self.xp.abs(x)

    def backward(self, gy):
        return (gy * self.xp.sign(self.x),)


class Exp(Function):
    saved_output = True

    def forward(self, x):
        self.y = y = self.xp.exp(x)
        return y

    def backward(self, gy):
        return (gy * self.y,)


class Log(Function):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.xp.log(x)

    def backward(self, gy):
        return (gy / self.x,)


class Sqrt(Function):
    saved_output = True

    def forward(self, x):
        with np.errstate(invalid="ignore"):
            self.y = y = self.xp.sqrt(x)
        return y

    def backward(self, gy):
        with np.errstate(divide="ignore"):
            return (gy / (2.0 * self.y),)


class Sin(Function):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return self.xp.sin(x)

    def backward(self, gy):
        return (gy * self.xp.cos(self.x),)


class Cos(Function):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return self.xp.cos(x)

    def backward(self, gy):
        return (-gy * self.xp.sin(self.x),)


class Activation(Function):
    """tanh, sigmoid, relu, gelu, gelu_tanh through the kernel table (forward and backward).

    Saves y where backward needs only the output (tanh, sigmoid, relu), else x.
    """

    kind = ""

    def forward(self, x):
        y = K.TABLE[self.kind + "_fwd"](x)
        self.saved = y if self.kind in K.SAVES_OUTPUT else x
        return y

    def backward(self, gy):
        return (K.TABLE[self.kind + "_bwd"](self.saved, gy),)


class Tanh(Activation):
    kind = "tanh"
    saved_output = True


class Sigmoid(Activation):
    kind = "sigmoid"
    saved_output = True


class Relu(Activation):
    kind = "relu"
    saved_output = True


class Gelu(Activation):
    """GELU, exact (erf) form."""

    kind = "gelu"
    saved_inputs = (0,)


class GeluTanh(Activation):
    """GELU, tanh approximation."""

    kind = "gelu_tanh"
    saved_inputs = (0,)


class LeakyRelu(Function):
    saved_inputs = (0,)

    def forward(self, x, slope=0.01):
        self.x, self.slope = x, slope
        return K.TABLE["leaky_relu_fwd"](x, slope)

    def backward(self, gy):
        return (K.TABLE["leaky_relu_bwd"](self.x, gy, self.slope),)


class Softplus(Function):
    """log(1 + exp(beta x)) / beta, linear where beta x > threshold (PyTorch's definition)."""

    saved_inputs = (0,)

    def forward(self, x, beta=1.0, threshold=20.0):
        xp = self.xp
        self.x, self.beta, self.threshold = x, beta, threshold
        bx = x * beta
        y = xp.log1p(xp.exp(-xp.abs(bx))) + xp.maximum(bx, 0.0)
        if beta != 1.0:
            y = y / beta
        return xp.where(bx > threshold, x, y)

    def backward(self, gy):
        bx = self.x * self.beta
        s = K.TABLE["sigmoid_fwd"](bx)
        return (gy * self.xp.where(bx > self.threshold, 1.0, s),)


class Clamp(Function):
    saved_inputs = (0,)

    def forward(self, x, min=None, max=None):  # noqa: A002  (PyTorch's names)
        self.x, self.lo, self.hi = x, min, max
        return self.xp.clip(x, min, max)

    def backward(self, gy):
        x, lo, hi = self.x, self.lo, self.hi
        mask = None
        if lo is not None:
            mask = x >= lo
        if hi is not None:
            mask = (x <= hi) if mask is None else mask & (x <= hi)
        return (gy if mask is None else gy * mask,)


class Maximum(Function):
    """Elementwise max; at ties the gradient is split evenly (as PyTorch does)."""

    saved_inputs = (0, 1)
    pick = staticmethod(np.greater)

    def forward(self, a, b):
        self.a, self.b = a, b
        return self.xp.maximum(a, b) if self.pick is np.greater else self.xp.minimum(a, b)

    def backward(self, gy):
        a, b = self.a, self.b
        win = self.xp.greater(a, b) if self.pick is np.greater else self.xp.less(a, b)
        w = win + 0.5 * (a == b)
        return gy * w, gy * (1.0 - w)


class Minimum(Maximum):
    pick = staticmethod(np.less)


class Where(Function):
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


class Cast(Function):
    """A dtype conversion; the engine casts the gradient back to the input's dtype."""

    def forward(self, x, dtype):
        return x.astype(dtype)

    def backward(self, gy):
        return (gy,)


class Clone(Function):
    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return (gy,)


class ToDevice(Function):
    """A copy to another device; the gradient goes back to the source device."""

    def forward(self, x, device):
        self.src = _dev.device_of(x)
        return _dev.to_device(x, device)

    def backward(self, gy):
        return (_dev.to_device(gy, self.src),)
