"""Arithmetic: ``+ - * / **`` and negation, their reflected forms, and ``+= -= *= /=``.

Binary ops take Tensors or constants (Python numbers, arrays) in either position; a constant's
gradient is never computed (``self.needs``). Broadcast gradients are summed back to each input's
shape by the engine, not here. Operands of different dtypes are first cast to PyTorch's result
dtype (``convert.promote``); the check costs one identity test when both are one dtype.
"""

from __future__ import annotations

import math
import weakref
from typing import Any, overload

import numpy as np

from .. import _device as _dev
from .. import autograd as _ag
from .. import dtypes as _dt
from .._typing import Number, TensorOrNumber
from ..autograd import Op
from ..tensor import Tensor
from ._registry import method
from .convert import Cast, promote
from .unary import c_type_name, inplace, inplace_method, torch_type_name

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "pow",
           "neg", "negative", "atan2", "arctan2", "hypot", "logaddexp", "logaddexp2", "fmod",
           "remainder", "floor_divide", "lerp", "addcmul", "addcdiv"]


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
        return a / b

    def backward(self, gy):
        ga = gy / self.b
        return ga, (-ga * self._out if self.needs[1] else None)


def _log(a, xp):
    return math.log(a) if isinstance(a, (int, float)) else xp.log(a)


class Pow(Op):
    saved_inputs = (0, 1)
    saved_output = True

    def forward(self, a, b):
        self.a, self.b = a, b
        with np.errstate(divide="ignore", invalid="ignore"):
            return a**b

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
                gb = gy * xp.where(a == 0, 0.0, self._out * _log(a, xp))
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
    """``input + alpha * other``, broadcasting; ``input`` may be a number."""
    if alpha != 1:
        other = other * alpha
    return _either_order("add", input, other, _add, _add)


@method("sub", "subtract")
def sub(input: Tensor, other: TensorOrNumber, *, alpha: Number = 1) -> Tensor:
    """``input - alpha * other``, broadcasting; ``input`` may be a number."""
    if alpha != 1:
        other = other * alpha
    return _either_order("sub", input, other, _sub, _rsub)


def _subtract(input: Tensor, other: TensorOrNumber, reflected: bool) -> Tensor:
    """``input - other`` (``other - input`` when ``reflected``) in the promoted dtype; bool
    operands raise PyTorch's errors."""
    if other.__class__ is not Tensor or other._data.dtype is not input._data.dtype:
        _check_bool_sub(input, other)
        input, other = promote(input, other)
    try:
        return Sub.apply(other, input) if reflected else Sub.apply(input, other)
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
    return _subtract(input, other, False)


@method("__rsub__")
def _rsub(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``other - input``."""
    return _subtract(input, other, True)


@method("mul", "multiply")
def mul(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``input * other``, elementwise, broadcasting; ``input`` may be a number."""
    return _either_order("mul", input, other, _mul, _mul)


@method("__mul__", "__rmul__")
def _mul(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``input * other``."""
    if other.__class__ is not Tensor or other._data.dtype is not input._data.dtype:
        input, other = promote(input, other)
    return Mul.apply(input, other)


multiply = mul


@method("div", "divide")
def div(input: Tensor, other: TensorOrNumber, *, rounding_mode: str | None = None) -> Tensor:
    """``input / other``, broadcasting; ``input`` may be a number. ``rounding_mode=None``:
    true division (integers divide to the default float dtype); ``"trunc"`` / ``"floor"``: the
    quotient rounded toward zero / down, in the operands' promoted dtype (integers stay
    integers, and integer division by zero raises); the gradient of a rounded quotient is 0."""
    if rounding_mode is not None:
        return _rounded_div(input, other, rounding_mode)
    return _either_order("div", input, other, _truediv, _rdiv)


@method("__truediv__")
def _truediv(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``input / other``."""
    if (other.__class__ is not Tensor or other._data.dtype is not input._data.dtype
            or input._data.dtype.kind != "f"):
        input, other = promote(input, other, floating=True)
    return Div.apply(input, other)


divide = div


@method()
def true_divide(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``input / other``: ``div`` with no rounding."""
    return div(input, other)


class RoundedDiv(Op):
    """``a / b`` rounded toward zero (``trunc``) or down (``floor``): piecewise constant, so
    its gradient is 0 (as PyTorch's)."""

    def forward(self, a, b, mode="trunc"):
        xp = self.xp
        dt = a.dtype if hasattr(a, "dtype") else b.dtype
        with np.errstate(divide="ignore", invalid="ignore"):
            if dt.kind in "iu":
                q = xp.floor_divide(a, b)
                if mode == "trunc":  # floor is one below trunc where the remainder is nonzero
                    q = q + ((q < 0) & (q * b != a))  # and the quotient negative
                return q
            return xp.floor_divide(a, b) if mode == "floor" else xp.trunc(a / b)

    def backward(self, gy):
        zero = self.xp.zeros_like(gy)
        return (zero if self.needs[0] else None), (zero if self.needs[1] else None)


def _rounded_div(input: Any, other: Any, mode: Any) -> Tensor:
    if mode not in ("trunc", "floor"):
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{mode}'")
    a, b = _operands("div", input, other)
    like = a if isinstance(a, Tensor) else b
    if like._data.dtype.kind == "b":
        raise NotImplementedError(f'"div_{mode}_cpu" not implemented for \'Bool\'')
    _no_zero_division(a, b)
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        _dev.same_device_or_raise(a._data, b._data)
    return RoundedDiv.apply(a, b, mode=mode)


def _either_order(fn: str, input: Any, other: Any, op: Any, reflected: Any) -> Tensor:
    """``op(input, other)`` for the function ``fn`` whose first operand may be a number:
    ``reflected(other, input)`` when only ``other`` is a Tensor, and ``op`` on the number as a
    0-d tensor when neither is."""
    if input.__class__ is not Tensor and not isinstance(input, Tensor):  # Parameters too
        if isinstance(other, Tensor):
            return reflected(other, input)
        input = _number_tensor(fn, input)
    return op(input, other)


def _number_tensor(fn: str, x: Any) -> Tensor:
    """A Python number given as the first operand of ``fn`` beside another number, as a 0-d
    tensor of its default dtype (bool, int64 or the default float)."""
    dt: np.dtype
    if isinstance(x, (bool, np.bool_)):
        dt = np.dtype(np.bool_)
    elif isinstance(x, (int, np.integer)):
        dt = np.dtype(np.int64)
    elif isinstance(x, (float, np.floating)):
        dt = _dt.default_float.np
    else:
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor or a number, "
                        f"not {type(x).__name__}")
    return Tensor._wrap(np.asarray(x, dtype=dt))


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


@method("pow")
def pow(input: Tensor, exponent: TensorOrNumber) -> Tensor:  # noqa: A001
    """``input ** exponent``, elementwise; the exponent may be a tensor or a number, and the
    base a number when the exponent is a tensor (``pow(2, t)``)."""
    if not isinstance(input, Tensor):
        if isinstance(exponent, Tensor) and isinstance(input, (int, float, np.number)):
            return _rpow(exponent, input)
        raise TypeError(f"pow(): expected a Tensor base or exponent, got "
                        f"{type(input).__name__} and {type(exponent).__name__}")
    return _pow(input, exponent)


@method("__pow__")
def _pow(input: Tensor, exponent: TensorOrNumber) -> Tensor:
    """``input ** exponent``."""
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


@method("sub_", "subtract_", "__isub__")
def sub_(input: Tensor, other: TensorOrNumber, *, alpha: Number = 1) -> Tensor:
    """In place: ``input -= alpha * other``."""
    if other.__class__ is not Tensor or other._data.dtype is not input._data.dtype:
        _check_bool_sub(input, other)
    return _inplace(input, sub, np.subtract, other if alpha == 1 else other * alpha)


@method("mul_", "multiply_", "__imul__")
def mul_(input: Tensor, other: TensorOrNumber) -> Tensor:
    """In place: ``input *= other``."""
    return _inplace(input, mul, np.multiply, other)


@method("div_", "divide_")
def div_(input: Tensor, other: TensorOrNumber, *, rounding_mode: str | None = None) -> Tensor:
    """In place: ``input /= other``, or the quotient rounded by ``rounding_mode`` (``div``)."""
    if rounding_mode is not None:
        return inplace(input, div, other, rounding_mode=rounding_mode)
    return _inplace(input, div, np.true_divide, other)


@method("__itruediv__")
def _itruediv(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``input /= other``."""
    return _inplace(input, div, np.true_divide, other)


method("true_divide_")(inplace_method(true_divide))


# --- more binary ops: atan2, hypot, logaddexp, fmod, remainder, floor_divide, lerp ------------

_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2}


def result_dtype(*operands: Any) -> np.dtype:
    """PyTorch's result dtype of an elementwise op: tensors with dimensions first, then 0-d
    tensors, then Python numbers, each group changing the dtype only when it is of a higher
    category (bool < integer < floating); a Python float gives the default float dtype, and
    within a category the wider dtype wins (float32 + float64 -> float64)."""

    def join(a: np.dtype | None, b: np.dtype) -> np.dtype:
        if a is None:
            return b
        ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
        if ca != cb:
            return a if ca > cb else b
        return np.promote_types(a, b)

    dims = zero = None
    for t in operands:
        if isinstance(t, Tensor):
            if t._data.ndim:
                dims = join(dims, t._data.dtype)
            else:
                zero = join(zero, t._data.dtype)
    out = dims
    if zero is not None and (out is None or _CATEGORY[zero.kind] > _CATEGORY[out.kind]):
        out = zero
    assert out is not None, "result_dtype needs a Tensor operand"
    for n in operands:
        if isinstance(n, Tensor) or n is None:
            continue
        kind = "b" if isinstance(n, (bool, np.bool_)) else (
            "f" if isinstance(n, (float, np.floating)) else "i")
        if _CATEGORY[kind] > _CATEGORY[out.kind]:
            out = _dt.default_float.np if kind == "f" else np.dtype(np.int64)
    return out


@overload
def as_dtype(x: Tensor, dtype: np.dtype) -> Tensor: ...
@overload
def as_dtype(x: TensorOrNumber, dtype: np.dtype) -> TensorOrNumber: ...
def as_dtype(x: TensorOrNumber, dtype: np.dtype) -> TensorOrNumber:
    """``x`` converted to ``dtype`` if it is a Tensor (differentiably, when it requires grad)."""
    if not isinstance(x, Tensor) or x._data.dtype == dtype:
        return x
    if x._requires_grad and dtype.kind == "f":
        return Cast.apply(x, dtype=dtype)
    return Tensor._wrap(x._data.astype(dtype))


def _operands(fn: str, input: Any, other: Any, *, floating: bool = False,
              tensor_other: bool = False, no_bool: bool = False) -> tuple[Any, Any]:
    """``input`` and ``other`` in their common dtype (floating if ``floating``), checked."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if tensor_other and not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if tensor_other and not isinstance(other, Tensor):
        raise TypeError(f"{fn}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    for x in (input, other):
        if not isinstance(x, (Tensor, int, float, bool, np.number, np.bool_)):
            raise TypeError(f"{fn}(): expected a Tensor or a number, got {type(x).__name__}")
    dt = result_dtype(input, other)
    if no_bool and dt.kind == "b":
        raise NotImplementedError(f'"{fn}_cpu" not implemented for \'Bool\'')
    if floating and dt.kind != "f":
        dt = _dt.default_float.np
    return as_dtype(input, dt), as_dtype(other, dt)


def _no_zero_division(input: Any, other: Any) -> None:
    """Integer division by zero raises (PyTorch's rule; NumPy would give 0 and a warning)."""
    like = input if isinstance(input, Tensor) else other
    if like._data.dtype.kind not in "iu":
        return
    d = other._data if isinstance(other, Tensor) else other
    if not (d.all() if isinstance(other, Tensor) else d):
        raise RuntimeError("ZeroDivisionError")


class Atan2(Op):
    """atan2(a, b), the angle of the point (b, a); d/da = b / r^2, d/db = -a / r^2."""

    saved_inputs = (0, 1)

    def forward(self, a, b):
        self.a, self.b = a, b
        return self.xp.arctan2(a, b)

    def backward(self, gy):
        a, b = self.a, self.b
        with np.errstate(divide="ignore", invalid="ignore"):
            s = gy / (a * a + b * b)
        return (s * b if self.needs[0] else None), (-s * a if self.needs[1] else None)


class Hypot(Op):
    """sqrt(a^2 + b^2) without overflow; d/da = a / y."""

    saved_inputs = (0, 1)
    saved_output = True

    def forward(self, a, b):
        self.a, self.b = a, b
        with np.errstate(over="ignore"):
            return self.xp.hypot(a, b)

    def backward(self, gy):
        with np.errstate(divide="ignore", invalid="ignore"):
            s = gy / self._out
        return (s * self.a if self.needs[0] else None), (s * self.b if self.needs[1] else None)


class LogAddExp(Op):
    """log(e^a + e^b), computed stably; d/da = e^(a - y)."""

    saved_inputs = (0, 1)
    saved_output = True
    base_log = 1.0  # ln(base): 1 for e, ln 2 for logaddexp2

    def forward(self, a, b):
        self.a, self.b = a, b
        f = self.xp.logaddexp if self.base_log == 1.0 else self.xp.logaddexp2
        return f(a, b)

    def backward(self, gy):
        xp, y, k = self.xp, self._out, self.base_log
        with np.errstate(invalid="ignore"):
            ga = gy * xp.exp((self.a - y) * k) if self.needs[0] else None
            gb = gy * xp.exp((self.b - y) * k) if self.needs[1] else None
        return ga, gb


class LogAddExp2(LogAddExp):
    """log2(2^a + 2^b); d/da = 2^(a - y)."""

    base_log = math.log(2.0)


class Fmod(Op):
    """C's fmod: a - trunc(a / b) * b, with the sign of a; d/da = 1, d/db = -trunc(a / b)."""

    floor = False
    nondiff = ("q",)

    def forward(self, a, b):
        xp = self.xp
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs[1]:  # piecewise constant: saved as a constant array
                q = a / b
                self.q = xp.floor(q) if self.floor else xp.trunc(q)
            return xp.remainder(a, b) if self.floor else xp.fmod(a, b)

    def backward(self, gy):
        return (gy if self.needs[0] else None), (-gy * self.q if self.needs[1] else None)


class Remainder(Fmod):
    """Python's modulo: a - floor(a / b) * b, with the sign of b; d/db = -floor(a / b)."""

    floor = True


class Lerp(Op):
    """start + weight * (end - start); the weight may be a number or a tensor."""

    saved_inputs = (0, 1, 2)

    def forward(self, start, end, weight):
        self.start, self.end, self.weight = start, end, weight
        d = end - start
        # as PyTorch: exact at weight 0 (start) and weight 1 (end)
        if isinstance(weight, float):
            return start + weight * d if abs(weight) < 0.5 else end - d * (1.0 - weight)
        return self.xp.where(abs(weight) < 0.5, start + weight * d, end - d * (1.0 - weight))

    def backward(self, gy):
        n, w = self.needs, self.weight
        return ((gy * (1.0 - w) if n[0] else None), (gy * w if n[1] else None),
                (gy * (self.end - self.start) if n[2] else None))


@method("atan2", "arctan2")
def atan2(input: Tensor, other: Tensor) -> Tensor:
    """The angle of the point ``(other, input)`` in radians, in ``[-pi, pi]``, elementwise."""
    a, b = _operands("atan2", input, other, floating=True, tensor_other=True)
    return Atan2.apply(a, b)


arctan2 = atan2


@method()
def hypot(input: Tensor, other: Tensor) -> Tensor:
    """``sqrt(input**2 + other**2)``, elementwise, without intermediate overflow."""
    return Hypot.apply(*_float_operands("hypot", input, other))


@method()
def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """``log(exp(input) + exp(other))``, elementwise, computed stably."""
    return LogAddExp.apply(*_float_operands("logaddexp", input, other))


@method()
def logaddexp2(input: Tensor, other: Tensor) -> Tensor:
    """``log2(2**input + 2**other)``, elementwise, computed stably."""
    return LogAddExp2.apply(*_float_operands("logaddexp2", input, other))


def _float_operands(fn: str, input: Any, other: Any) -> tuple[Any, Any]:
    """The operands of a floating-only binary op in their common dtype; integer operands raise
    NotImplementedError as PyTorch's kernels do."""
    a, b = _operands(fn, input, other, tensor_other=True)
    if isinstance(a, Tensor) and a._data.dtype.kind != "f":
        raise NotImplementedError(f'"{fn}_cpu" not implemented for \'{_type_name(a)}\'')
    return a, b


def _type_name(t: Tensor) -> str:
    return torch_type_name(t._data.dtype)


@method()
def fmod(input: Tensor, other: TensorOrNumber) -> Tensor:
    """C's remainder ``input - trunc(input / other) * other``: it has the sign of ``input``
    (integer division by zero raises)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"fmod(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    a, b = _operands("fmod", input, other, no_bool=True)
    _no_zero_division(a, b)
    return Fmod.apply(a, b)


@method("remainder", "__mod__")
def remainder(input: TensorOrNumber, other: TensorOrNumber) -> Tensor:
    """Python's modulo ``input - floor(input / other) * other``: it has the sign of ``other``
    (``input`` may be a number; integer division by zero raises)."""
    a, b = _operands("remainder", input, other, no_bool=True)
    _no_zero_division(a, b)
    return Remainder.apply(a, b)


@method("__rmod__")
def _rmod(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``other % input``."""
    return remainder(other, input)


@method("floor_divide", "__floordiv__")
def floor_divide(input: TensorOrNumber, other: TensorOrNumber) -> Tensor:
    """``floor(input / other)``, elementwise (Python's ``//``); integer tensors stay integer.
    Not differentiable (as in PyTorch): the result is outside the graph."""
    a, b = _operands("floor_divide", input, other, no_bool=True)
    _no_zero_division(a, b)
    like = a if isinstance(a, Tensor) else b
    da = a._data if isinstance(a, Tensor) else a
    db = b._data if isinstance(b, Tensor) else b
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        _dev.same_device_or_raise(da, db)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = _dev.array_module(like._data).floor_divide(da, db)
    return Tensor._wrap(out.astype(like._data.dtype, copy=False))


@method("__rfloordiv__")
def _rfloordiv(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``other // input``."""
    return floor_divide(other, input)


@method()
def lerp(input: Tensor, end: Tensor, weight: TensorOrNumber) -> Tensor:
    """Linear interpolation ``input + weight * (end - input)``; ``weight`` a number or a
    tensor (broadcasting), of ``input``'s floating dtype."""
    if not isinstance(input, Tensor) or not isinstance(end, Tensor):
        raise TypeError(f"lerp(): expected Tensor input and end, got {type(input).__name__} "
                        f"and {type(end).__name__}")
    dt = input._data.dtype
    if dt.kind != "f":
        raise NotImplementedError(f'"lerp_kernel" not implemented for \'{_type_name(input)}\'')
    for name, x in (("end", end), ("weight", weight)):
        if isinstance(x, Tensor) and x._data.dtype != dt and (name == "end" or x.ndim):
            raise RuntimeError(f"expected dtype {c_type_name(dt)} for `{name}` but got dtype "
                               f"{c_type_name(x._data.dtype)}")
    if isinstance(weight, Tensor) and weight._data.dtype != dt:
        weight = as_dtype(weight, dt)
    elif not isinstance(weight, Tensor):
        weight = float(weight)
    return Lerp.apply(input, end, weight)


method("atan2_", "arctan2_")(inplace_method(atan2))
method("hypot_")(inplace_method(hypot))
method("fmod_")(inplace_method(fmod))
method("remainder_", "__imod__")(inplace_method(remainder))
method("floor_divide_", "__ifloordiv__")(inplace_method(floor_divide))
method("lerp_")(inplace_method(lerp))
method("neg_", "negative_")(inplace_method(neg))
method("pow_")(inplace_method(pow))


@method()
def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Number = 1) -> Tensor:
    """``input + value * tensor1 * tensor2``, broadcasting (an integer result takes ``value``
    as an integer, as PyTorch)."""
    for pos, name, x in ((1, "input", input), (2, "tensor1", tensor1), (3, "tensor2", tensor2)):
        if not isinstance(x, Tensor):
            raise TypeError(f"addcmul(): argument '{name}' (position {pos}) must be Tensor, "
                            f"not {type(x).__name__}")
    p = _mul(tensor1, tensor2)
    if value != 1:
        p = _mul(p, int(value) if result_dtype(input, p).kind in "biu" else value)
    return _add(input, p)


@method()
def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Number = 1) -> Tensor:
    """``input + value * tensor1 / tensor2``, broadcasting; two integer tensors raise, as in
    PyTorch."""
    for pos, name, x in ((1, "input", input), (2, "tensor1", tensor1), (3, "tensor2", tensor2)):
        if not isinstance(x, Tensor):
            raise TypeError(f"addcdiv(): argument '{name}' (position {pos}) must be Tensor, "
                            f"not {type(x).__name__}")
    if tensor1._data.dtype.kind in "biu" and tensor2._data.dtype.kind in "biu":
        raise RuntimeError("Integer division with addcdiv is no longer supported; use "
                           "(input + value * trunc(tensor1 / tensor2)).to(input.dtype) for the "
                           "historic behaviour, or floating tensors")
    q = _truediv(tensor1, tensor2)
    return _add(input, q if value == 1 else _mul(q, value))


method("addcmul_")(inplace_method(addcmul))
method("addcdiv_")(inplace_method(addcdiv))
