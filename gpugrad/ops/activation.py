"""Activations. The fused ones come from the activation record (``kernels.ACTIVATIONS``): one op
class each, generated here, whose forward and backward are that activation's kernel rows (a CUDA
kernel on the GPU, its NumPy twin on the CPU). Softplus is written out (it has no kernel).
"""

from __future__ import annotations

import math
from typing import Any

from .. import kernels as K
from ..autograd import Op, raw
from ..tensor import Tensor
from ._registry import method
from .unary import inplace_method

__all__ = ["tanh", "sigmoid", "relu", "tanh_", "sigmoid_", "relu_"]


class Activation(Op):
    """Base of the fused activation ops; ``spec`` is the activation's record.

    Saves y where backward needs only the output (tanh, sigmoid, relu), else x.
    """

    spec: K.Activation
    #: The record's forward and backward kernel rows.
    fwd: K.Kernel
    bwd: K.Kernel

    def forward(self, x, *params):
        y = self.fwd(x, *params)
        self.saved = y if self.saved_output else x
        self.params = params
        return y

    def backward(self, gy):
        return (self.bwd(self.saved, gy, *self.params),)

    def graph_backward(self, gy):
        return (gy * DERIVATIVES[self.spec.name](self.xp, self.saved, *self.params),)


def _op_class(spec: K.Activation) -> type[Activation]:
    """The op class of one activation: named after it (``gelu_tanh`` -> ``GeluTanh``), saving
    (and version-checking) the output or the input as the record says."""
    name = "".join(part.capitalize() for part in spec.name.split("_"))
    attrs: dict[str, Any] = {"spec": spec, "__module__": __name__,
                             "fwd": K.TABLE[spec.name + "_fwd"],
                             "bwd": K.TABLE[spec.name + "_bwd"],
                             "__doc__": f"The {spec.name} activation (fused)."}
    if spec.saves_output:
        attrs["saved_output"] = True
    else:
        attrs["saved_inputs"] = (0,)
    return type(name, (Activation,), attrs)


_RSQRT2 = 1.0 / math.sqrt(2.0)
_RSQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)
_K = math.sqrt(2.0 / math.pi)


def _gelu_tanh_deriv(xp, x):
    u = _K * (x + 0.044715 * x * x * x)
    t = xp.tanh(u)
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _K * (1.0 + 3 * 0.044715 * x * x)


#: Activation name -> its derivative act'(.) as a function ``(xp, saved, *params)`` of what the
#: record saves (the output y or the input x), written with ``xp`` functions: the composite
#: that differentiates a fused backward again (``create_graph``). Masks are constants.
DERIVATIVES: dict[str, Any] = {
    "tanh": lambda xp, y: 1.0 - y * y,
    "sigmoid": lambda xp, y: y * (1.0 - y),
    "relu": lambda xp, y: raw(y) > 0,
    "leaky_relu": lambda xp, x, slope: xp.where(raw(x) > 0, 1.0, slope) * xp.ones_like(x),
    "gelu": lambda xp, x: (0.5 * (1.0 + xp.erf(x * _RSQRT2))
                           + x * xp.exp(-0.5 * x * x) * _RSQRT2PI),
    "gelu_tanh": _gelu_tanh_deriv,
    "softsign": lambda xp, x: 1.0 / ((1.0 + xp.abs(x)) * (1.0 + xp.abs(x))),
}

#: Activation name -> its op class, for every record.
OPS: dict[str, type[Activation]] = {n: _op_class(s) for n, s in K.ACTIVATIONS.items()}
_Tanh, _Sigmoid, _Relu = OPS["tanh"], OPS["sigmoid"], OPS["relu"]


@method()
def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent, elementwise."""
    return _Tanh.apply(input)


@method()
def sigmoid(input: Tensor) -> Tensor:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, elementwise; finite for every input."""
    return _Sigmoid.apply(input)


@method()
def relu(input: Tensor) -> Tensor:
    """``max(x, 0)``, elementwise."""
    return _Relu.apply(input)


tanh_ = method("tanh_")(inplace_method(tanh))
sigmoid_ = method("sigmoid_")(inplace_method(sigmoid))
relu_ = method("relu_")(inplace_method(relu))


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``x`` where ``x > 0``, else ``negative_slope * x``."""
    return OPS["leaky_relu"].apply(input, float(negative_slope))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """GELU ``x * Phi(x)``: exact (``approximate="none"``, erf) or the tanh approximation."""
    if approximate == "none":
        return OPS["gelu"].apply(input)
    if approximate == "tanh":
        return OPS["gelu_tanh"].apply(input)
    raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``, elementwise."""
    return OPS["softsign"].apply(input)


class Softplus(Op):
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

    def graph_backward(self, gy):
        bx = self.x * self.beta
        return (gy * self.xp.where(raw(bx) > self.threshold, 1.0, sigmoid(bx)),)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold``."""
    return Softplus.apply(input, beta=float(beta), threshold=float(threshold))
