"""``Value``: micrograd's scalar, as a thin face over a float64 0-d Tensor on the same engine.

``data`` and ``grad`` are Python floats; ``_prev`` and ``_op`` describe the graph as micrograd
does; ``backward()`` runs gpugrad's engine (its graph is retained, so, as in micrograd, calling
it again accumulates). Subtraction, negation and division are built as micrograd builds them
(``a + (-b)``, ``a * -1``, ``a * b**-1``), so graphs and numbers match micrograd's.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import autograd as _ag
from . import ops as _ops
from .creation import tensor as _tensor
from .dtypes import float64
from .tensor import Tensor


class Value:
    """A scalar with a gradient: ``Value(data, label="")``."""

    __slots__ = ("_t", "_prev", "_kids", "_op", "label", "__weakref__")
    __array_ufunc__ = None  # `np.float64(2) * v` defers to Value.__rmul__

    def __init__(self, data, _children=(), _op: str = "", label: str = "") -> None:
        if isinstance(data, Value):
            data = data.data
        if not isinstance(data, numbers.Real):
            raise TypeError(f"Value data must be a real number, got {type(data).__name__}")
        self._t = _tensor(float(data), dtype=float64, requires_grad=True)
        self._prev = set(_children)
        self._kids = tuple(dict.fromkeys(_children))  # _prev in creation order (for drawing)
        self._op = _op
        self.label = label

    @classmethod
    def _result(cls, t: Tensor, children, op: str) -> Value:
        v = cls.__new__(cls)
        if t.requires_grad and not t.is_leaf:
            t.retain_grad()
        v._t, v._prev, v._op, v.label = t, set(children), op, ""
        v._kids = tuple(dict.fromkeys(children))
        return v

    # --- the scalar face --------------------------------------------------------------------

    @property
    def data(self) -> float:
        return float(self._t._data)

    @data.setter
    def data(self, value: float) -> None:
        self._t._data[...] = float(value)
        self._t._version.v += 1

    @property
    def grad(self) -> float:
        g = self._t._grad
        return 0.0 if g is None else float(g)

    @grad.setter
    def grad(self, value: float) -> None:
        self._t._grad = np.asarray(float(value))

    @property
    def tensor(self) -> Tensor:
        """The 0-d float64 Tensor behind this Value."""
        return self._t

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    __hash__ = object.__hash__

    # --- arithmetic -------------------------------------------------------------------------

    @staticmethod
    def _coerce(other) -> Value:
        if isinstance(other, Value):
            return other
        if isinstance(other, numbers.Real):
            return Value(other)
        return NotImplemented

    def __add__(self, other):
        other = self._coerce(other)
        if other is NotImplemented:
            return other
        return Value._result(_ops.arith.add(self._t, other._t), (self, other), "+")

    def __mul__(self, other):
        other = self._coerce(other)
        if other is NotImplemented:
            return other
        return Value._result(_ops.arith.mul(self._t, other._t), (self, other), "*")

    def __pow__(self, other):
        if not isinstance(other, numbers.Real) or isinstance(other, bool):
            raise TypeError("Value ** supports int/float exponents only")
        return Value._result(_ops.arith.pow(self._t, float(other)), (self,), f"**{other}")

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other**-1

    def __rtruediv__(self, other):
        return other * self**-1

    def exp(self) -> Value:
        return Value._result(_ops.unary.exp(self._t), (self,), "exp")

    def log(self) -> Value:
        return Value._result(_ops.unary.log(self._t), (self,), "log")

    def tanh(self) -> Value:
        return Value._result(_ops.activation.tanh(self._t), (self,), "tanh")

    def sigmoid(self) -> Value:
        return Value._result(_ops.activation.sigmoid(self._t), (self,), "sigmoid")

    def relu(self) -> Value:
        return Value._result(_ops.activation.relu(self._t), (self,), "ReLU")

    def backward(self) -> None:
        """Fill ``grad`` of every Value this one depends on (d self / d v), micrograd style."""
        if not self._t.requires_grad:
            raise RuntimeError("this Value was computed without grad (inside no_grad)")
        self._t._grad = None  # the root's grad is set to 1, as micrograd does
        _ag.run_backward(self._t, np.ones((), np.float64), True)
