"""Elementwise math functions: abs, the exp/log families, erf/erfc, powers (sqrt, rsqrt,
reciprocal, square), rounding (floor, ceil, round, trunc, frac, sign) and nan_to_num; and the
in-place ``op_`` form of each (``inplace``, shared with the other elementwise modules), as Tensor
methods. Trigonometric and hyperbolic functions are in ``trig.py``.

Each op saves what its backward reads: the input x, or the output y where the derivative is
cheaper from it (exp, sqrt, rsqrt). Backward rules use only arithmetic and the array
functions that also exist as differentiable gpugrad functions, so they run on Tensors as well.
Rounding ops are piecewise constant: their gradient is zero (as PyTorch's).

Functions whose result is floating take integer and bool tensors too: those are first converted
to the default floating dtype (``sin(int tensor)`` is float32, as in PyTorch).
"""

from __future__ import annotations

import functools
import math
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _device as _dev
from .. import autograd as _ag
from .. import dtypes as _dt
from ..autograd import Op
from ..tensor import Tensor
from ._registry import method
from .convert import Cast

__all__ = ["abs", "absolute", "exp", "exp2", "log", "log2", "log10", "sqrt", "rsqrt", "log1p",
           "expm1", "erf", "erfc", "reciprocal", "square", "sign", "sgn", "floor", "ceil",
           "round", "trunc", "fix", "frac", "nan_to_num"]

_IGNORE = dict(divide="ignore", invalid="ignore", over="ignore")  # PyTorch computes silently


def _check_tensor(input: object, fn: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")


def floating(input: Tensor, fn: str) -> Tensor:
    """``input`` itself if floating, else its values in the default floating dtype (the input
    of an op whose result is floating: ``exp``, ``sin``, ``erf``...)."""
    if input.__class__ is not Tensor:
        _check_tensor(input, fn)
    dt = input._data.dtype
    if dt is _F32 or dt is _F64 or dt.kind == "f":  # the identity tests are the cheap ones
        return input
    return Tensor._wrap(input._data.astype(_dt.default_float.np))


_F32, _F64 = _dev.F32, _dev.F64


_TORCH_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
                "uint8": "Byte", "int16": "Short", "int32": "Int", "int64": "Long",
                "bool": "Bool"}


def torch_type_name(dtype: Any) -> str:
    """PyTorch's scalar type name of a NumPy dtype (Float, Double, Long...), for messages."""
    return _TORCH_NAMES.get(np.dtype(dtype).name, np.dtype(dtype).name)


_C_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double", "int8": "signed char",
            "uint8": "unsigned char", "int16": "short int", "int32": "int", "int64": "long int",
            "bool": "bool"}


def c_type_name(dtype: Any) -> str:
    """The C type name some PyTorch messages use instead (float, double, long int...)."""
    return _C_NAMES.get(np.dtype(dtype).name, np.dtype(dtype).name)


def _not_for(input: Tensor, fn: str, kinds: str) -> None:
    """PyTorch's error for a dtype an op has no kernel for."""
    if input._data.dtype.kind in kinds:
        raise NotImplementedError(f'"{fn}" not implemented for '
                                  f"'{torch_type_name(input._data.dtype)}'")


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
        return self.xp.exp(x)

    def backward(self, gy):
        return (gy * self._out,)


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
            return self.xp.sqrt(x)

    def backward(self, gy):
        with np.errstate(divide="ignore"):
            return (gy / (2.0 * self._out),)


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
        return self.xp.expm1(x)

    def backward(self, gy):
        return (gy * (self._out + 1.0),)


class Erfc(Op):
    """1 - erf(x), accurate where erf(x) is near 1; d/dx = -2/sqrt(pi) exp(-x^2)."""

    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return _dev.erfc(x).astype(x.dtype, copy=False)

    def backward(self, gy):
        x = self.x
        return (gy * (-_TWO_OVER_SQRT_PI * self.xp.exp(-(x * x))),)


_LN2, _LN10 = math.log(2.0), math.log(10.0)


class Exp2(Op):
    """2 ** x; d/dx = y ln 2."""

    saved_output = True

    def forward(self, x):
        with np.errstate(over="ignore"):
            return self.xp.exp2(x)

    def backward(self, gy):
        return (gy * (self._out * _LN2),)


class Log2(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with np.errstate(**_IGNORE):
            return self.xp.log2(x)

    def backward(self, gy):
        return (gy / (self.x * _LN2),)


class Log10(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        with np.errstate(**_IGNORE):
            return self.xp.log10(x)

    def backward(self, gy):
        return (gy / (self.x * _LN10),)


class Rsqrt(Op):
    """1 / sqrt(x); d/dx = -y^3 / 2."""

    saved_output = True

    def forward(self, x):
        with np.errstate(**_IGNORE):
            return 1.0 / self.xp.sqrt(x)

    def backward(self, gy):
        y = self._out
        return (gy * (-0.5 * y * y * y),)


class Reciprocal(Op):
    """1 / x; d/dx = -y^2."""

    saved_output = True

    def forward(self, x):
        with np.errstate(**_IGNORE):
            return 1.0 / x

    def backward(self, gy):
        y = self._out
        return (-gy * (y * y),)


class Square(Op):
    saved_inputs = (0,)

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        return (gy * (2.0 * self.x),)


class _Step:
    """Mixin of a piecewise-constant op: its gradient is zero (PyTorch's rule for floor, round,
    sign...)."""

    xp: Any

    def backward(self, gy):
        return (self.xp.zeros_like(gy),)


class Floor(_Step, Op):
    def forward(self, x):
        return self.xp.floor(x)


class Ceil(_Step, Op):
    def forward(self, x):
        return self.xp.ceil(x)


class Trunc(_Step, Op):
    def forward(self, x):
        return self.xp.trunc(x)


class Round(_Step, Op):
    """Round half to even, at ``decimals`` decimal places (negative: tens, hundreds...)."""

    def forward(self, x, decimals=0):
        if decimals == 0:
            return self.xp.rint(x)
        with np.errstate(**_IGNORE):
            return self.xp.round(x, decimals)


class Sign(_Step, Op):
    """-1, 0 or 1; 0 for NaN and for -0.0 (as PyTorch's)."""

    def forward(self, x):
        return ((x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)).astype(x.dtype, copy=False)


class Frac(Op):
    """x - trunc(x) (the sign of x); d/dx = 1."""

    def forward(self, x):
        return x - self.xp.trunc(x)

    def backward(self, gy):
        return (gy,)


class NanToNum(Op):
    """NaN, +inf and -inf replaced by numbers; the gradient flows where x was finite."""

    def forward(self, x, nan=0.0, posinf=None, neginf=None):
        if self.needs[0]:
            self.finite = self.xp.isfinite(x)
        return self.xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, gy):
        return (self.xp.where(self.finite, gy, 0.0),)


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


@method()
def erfc(input: Tensor) -> Tensor:
    """The complementary error function ``1 - erf(input)``, elementwise."""
    return Erfc.apply(floating(input, "erfc"))


@method()
def exp2(input: Tensor) -> Tensor:
    """``2 ** input``, elementwise."""
    return Exp2.apply(floating(input, "exp2"))


@method()
def log2(input: Tensor) -> Tensor:
    """Base-2 logarithm, elementwise."""
    return Log2.apply(floating(input, "log2"))


@method()
def log10(input: Tensor) -> Tensor:
    """Base-10 logarithm, elementwise."""
    return Log10.apply(floating(input, "log10"))


@method()
def rsqrt(input: Tensor) -> Tensor:
    """``1 / sqrt(input)``, elementwise (``inf`` at 0, NaN below)."""
    return Rsqrt.apply(floating(input, "rsqrt"))


@method()
def reciprocal(input: Tensor) -> Tensor:
    """``1 / input``, elementwise (floating for integer inputs too)."""
    return Reciprocal.apply(floating(input, "reciprocal"))


@method()
def square(input: Tensor) -> Tensor:
    """``input * input``, elementwise (integer tensors stay integer; bool gives int64)."""
    _check_tensor(input, "square")
    if input._data.dtype.kind == "b":
        input = Tensor._wrap(input._data.astype(np.int64))
    return Square.apply(input)


def _rounding(input: Tensor, fn: str, op: type[Op], **kw: Any) -> Tensor:
    """A rounding op: integer tensors are returned as a copy (they are whole already)."""
    _check_tensor(input, fn)
    _not_for(input, f"{fn}_vml_cpu", "b")
    if input._data.dtype.kind in "iu":
        return Tensor._wrap(input._data.copy())
    return op.apply(input, **kw)


@method()
def floor(input: Tensor) -> Tensor:
    """The largest integer not above each element (the dtype is kept; gradient zero)."""
    return _rounding(input, "floor", Floor)


@method()
def ceil(input: Tensor) -> Tensor:
    """The smallest integer not below each element (the dtype is kept; gradient zero)."""
    return _rounding(input, "ceil", Ceil)


@method("trunc", "fix")
def trunc(input: Tensor) -> Tensor:
    """Each element rounded toward zero (the dtype is kept; gradient zero)."""
    return _rounding(input, "trunc", Trunc)


fix = trunc


@method()
def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001
    """Round half to even, to ``decimals`` decimal places (negative: to tens, hundreds...);
    the dtype is kept; gradient zero."""
    if decimals != 0:
        _check_tensor(input, "round")
        _not_for(input, "round_cpu", "biu")
    return _rounding(input, "round", Round, decimals=int(decimals))


@method()
def frac(input: Tensor) -> Tensor:
    """The fractional part ``input - trunc(input)``, with the sign of ``input``."""
    _check_tensor(input, "frac")
    _not_for(input, "frac_cpu", "biu")
    return Frac.apply(input)


@method()
def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of each element (0 for NaN); the dtype is kept; gradient zero."""
    _check_tensor(input, "sign")
    if input._data.dtype.kind == "b":
        return Tensor._wrap(input._data.copy())
    return Sign.apply(input)


@method()
def sgn(input: Tensor) -> Tensor:
    """``sign`` (for real tensors, which are all gpugrad has, ``sgn`` and ``sign`` agree)."""
    return sign(input)


@method()
def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """NaN replaced by ``nan``, +inf by ``posinf`` and -inf by ``neginf`` (default: the largest
    and lowest finite values of the dtype); the gradient flows where ``input`` was finite."""
    _check_tensor(input, "nan_to_num")
    if input._data.dtype.kind != "f":
        return Tensor._wrap(input._data.copy())
    return NanToNum.apply(input, nan=float(nan), posinf=posinf, neginf=neginf)


# --- in place ----------------------------------------------------------------------------------


def _cast_check(result: Any, target: Any) -> None:
    if not np.can_cast(result, target, casting="same_kind"):
        raise RuntimeError(f"result type {torch_type_name(result)} can't be cast to the desired "
                           f"output type {torch_type_name(target)}")


def inplace(input: Tensor, fn: Callable[..., Tensor], *args: Any, **kwargs: Any) -> Tensor:
    """``input.op_(*args)``: the result of ``fn(input, *args)`` written into ``input``.

    When a graph is recorded (``input`` or a Tensor argument requires grad), ``input`` is rebound
    to the result and its node; a leaf that requires grad is refused, as in PyTorch. Otherwise
    the values are written into ``input``'s storage (seen by its views) and its version counter
    is bumped. A result whose dtype cannot be cast to ``input``'s (``int.sin_()``) or whose
    shape differs (a broadcast larger than ``input``) raises and leaves ``input`` unchanged.
    """
    _check_tensor(input, fn.__name__ + "_")
    others = [a for a in (*args, *kwargs.values()) if isinstance(a, Tensor)]
    if _ag.is_grad_enabled() and (input._requires_grad or any(a._requires_grad for a in others)):
        input._check_inplace_leaf()
        out = fn(input, *args, **kwargs)
    else:
        with _ag.no_grad():
            out = fn(input, *args, **kwargs)
    if out.shape != input.shape:
        raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the broadcast "
                           f"shape {list(out.shape)}")
    target = input._data.dtype
    _cast_check(out._data.dtype, target)
    if out._grad_fn is None:
        input._data[...] = out._data
        input._version.v += 1
        return input
    if out._data.dtype != target:
        out = Cast.apply(out, dtype=target)
    input._data, input._grad_fn = out._data, out._grad_fn
    input._requires_grad, input._version = True, out._version
    if out._grad_fn.retain is not None:  # retain_grad() asked on the result: it is input now
        out._grad_fn.retain = weakref.ref(input)
    return input


def inplace_method(fn: Callable[..., Tensor], doc: str | None = None) -> Callable[..., Tensor]:
    """The Tensor method ``fn.__name__ + "_"``: ``fn`` written into its input."""

    @functools.wraps(fn)
    def op_(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return inplace(input, fn, *args, **kwargs)

    op_.__name__ = op_.__qualname__ = fn.__name__ + "_"
    op_.__doc__ = doc or f"``{fn.__name__}`` in place: its result written into ``input``."
    return op_


for _names, _fn in [
    (("abs_", "absolute_"), abs), (("exp_",), exp), (("exp2_",), exp2), (("log_",), log),
    (("log2_",), log2), (("log10_",), log10), (("sqrt_",), sqrt), (("rsqrt_",), rsqrt),
    (("log1p_",), log1p), (("expm1_",), expm1),
    (("erf_",), erf), (("erfc_",), erfc), (("reciprocal_",), reciprocal),
    (("square_",), square), (("sign_",), sign), (("sgn_",), sgn), (("floor_",), floor),
    (("ceil_",), ceil), (("round_",), round), (("trunc_", "fix_"), trunc), (("frac_",), frac),
    (("nan_to_num_",), nan_to_num),
]:
    method(*_names)(inplace_method(_fn))
del _names, _fn
