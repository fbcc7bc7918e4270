"""Logical and bitwise ops: ``& | ^ ~ << >>``, ``logical_and/or/xor/not`` and
``bitwise_and/or/xor/not/left_shift/right_shift``, with their in-place forms (no gradient).

Logical ops take any dtype and give bool. Bitwise ops take bool and integer operands (a float
operand raises NotImplementedError, as PyTorch's kernels do) and give PyTorch's result dtype:
bool with bool stays bool, integers promote (``int32 & 5`` stays int32, ``bool & 1`` is int64).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _device as _dev
from .._typing import TensorOrNumber
from ..tensor import Tensor
from ._registry import method
from .arith import result_dtype
from .unary import inplace, inplace_method, torch_type_name

__all__ = ["logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
           "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
           "bitwise_right_shift"]

_NUMBER = (bool, int, float, np.bool_, np.number)


def _raw_pair(fn: str, input: Any, other: Any) -> tuple[Any, Any, Any]:
    """(array module, input, other) as raw arrays or numbers, one of them a Tensor; checked."""
    for pos, name, x in ((1, "input", input), (2, "other", other)):
        if not isinstance(x, (Tensor, *_NUMBER)):
            raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor or a "
                            f"number, not {type(x).__name__}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{fn}(): expected a Tensor operand, got {type(input).__name__} and "
                        f"{type(other).__name__}")
    a = input._data if isinstance(input, Tensor) else input
    b = other._data if isinstance(other, Tensor) else other
    if isinstance(input, Tensor) and isinstance(other, Tensor):
        _dev.same_device_or_raise(a, b)
    like = a if isinstance(input, Tensor) else b
    return _dev.array_module(like), a, b


def _as(xp: Any, x: Any, dt: np.dtype) -> Any:
    """``x`` (an array or a Python number) as an array of dtype ``dt``."""
    if hasattr(x, "dtype") and x.dtype == dt:
        return x
    return xp.asarray(x).astype(dt, copy=False) if hasattr(x, "dtype") else xp.asarray(x, dt)


def _logical(fn: str, ufunc: str, input: Tensor, other: Tensor) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if not isinstance(other, Tensor):
        raise TypeError(f"{fn}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    xp, a, b = _raw_pair(fn, input, other)
    return Tensor._wrap(getattr(xp, ufunc)(a, b))


@method()
def logical_and(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise ``input and other`` of the truth values (nonzero is True), as bool."""
    return _logical("logical_and", "logical_and", input, other)


@method()
def logical_or(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise ``input or other`` of the truth values (nonzero is True), as bool."""
    return _logical("logical_or", "logical_or", input, other)


@method()
def logical_xor(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise exclusive or of the truth values (nonzero is True), as bool."""
    return _logical("logical_xor", "logical_xor", input, other)


@method()
def logical_not(input: Tensor) -> Tensor:
    """Elementwise ``not input`` (zero is True), as bool."""
    if not isinstance(input, Tensor):
        raise TypeError(f"logical_not(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    return Tensor._wrap(_dev.array_module(input._data).logical_not(input._data))


def _bitwise(fn: str, kernel: str, op: Callable[[Any, Any, Any], Any], input: Any,
             other: Any) -> Tensor:
    """``op(xp, a, b)`` on the operands in their result dtype, which must be bool or integer."""
    xp, a, b = _raw_pair(fn, input, other)
    dt = result_dtype(input, other)
    if dt.kind not in "biu":
        raise NotImplementedError(f'"{kernel}_cpu" not implemented for '
                                  f"'{torch_type_name(dt)}'")
    return Tensor._wrap(xp.asarray(op(xp, _as(xp, a, dt), _as(xp, b, dt))).astype(dt,
                                                                               copy=False))


@method("bitwise_and", "__and__", "__rand__")
def bitwise_and(input: TensorOrNumber, other: TensorOrNumber) -> Tensor:
    """Elementwise bitwise AND of bool or integer operands (bool & bool is bool)."""
    return _bitwise("bitwise_and", "bitwise_and", lambda xp, a, b: xp.bitwise_and(a, b),
                    input, other)


@method("bitwise_or", "__or__", "__ror__")
def bitwise_or(input: TensorOrNumber, other: TensorOrNumber) -> Tensor:
    """Elementwise bitwise OR of bool or integer operands (bool | bool is bool)."""
    return _bitwise("bitwise_or", "bitwise_or", lambda xp, a, b: xp.bitwise_or(a, b),
                    input, other)


@method("bitwise_xor", "__xor__", "__rxor__")
def bitwise_xor(input: TensorOrNumber, other: TensorOrNumber) -> Tensor:
    """Elementwise bitwise XOR of bool or integer operands (bool ^ bool is bool)."""
    return _bitwise("bitwise_xor", "bitwise_xor", lambda xp, a, b: xp.bitwise_xor(a, b),
                    input, other)


@method()
def bitwise_not(input: Tensor) -> Tensor:
    """Elementwise bitwise NOT of a bool or integer tensor (``~``; on bool: logical not)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bitwise_not(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input._data.dtype.kind not in "biu":
        raise NotImplementedError(f'"bitwise_not_cpu" not implemented for '
                                  f"'{torch_type_name(input._data.dtype)}'")
    return Tensor._wrap(_dev.array_module(input._data).invert(input._data))


@method("__invert__")
def _invert(input: Tensor) -> Tensor:
    """``~input``: bitwise NOT of a bool or integer tensor."""
    if input._data.dtype.kind not in "biu":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return bitwise_not(input)


def _shift(xp: Any, a: Any, s: Any, left: bool) -> Any:
    """``a << s`` or ``a >> s`` with PyTorch's results for shifts outside ``[0, bits)``: 0 to
    the left, the sign fill (0 or -1) to the right."""
    bits = a.dtype.itemsize * 8
    out_of_range = (s < 0) | (s >= bits)
    s_ok = xp.where(out_of_range, 0, s).astype(a.dtype, copy=False)
    if left:
        return xp.where(out_of_range, 0, xp.left_shift(a, s_ok)).astype(a.dtype, copy=False)
    fill = xp.right_shift(a, bits - 1) if a.dtype.kind == "i" else xp.zeros_like(a)
    return xp.where(out_of_range, fill, xp.right_shift(a, s_ok)).astype(a.dtype, copy=False)


def _shift_op(fn: str, kernel: str, left: bool, input: Any, other: Any) -> Tensor:
    def op(xp: Any, a: Any, b: Any) -> Any:
        if a.dtype.kind == "b":  # bool shifts compute in integers; bool << bool gives int64
            a, b = a.astype(np.int64), b.astype(np.int64)
        return _shift(xp, a, b, left)

    return _bitwise(fn, kernel, op, input, other)


@method("bitwise_left_shift", "__lshift__")
def bitwise_left_shift(input: TensorOrNumber, other: TensorOrNumber) -> Tensor:
    """``input << other``, elementwise, on bool or integer operands; shifts by a negative
    amount or by the bit width or more give 0."""
    return _shift_op("bitwise_left_shift", "lshift", True, input, other)


@method("bitwise_right_shift", "__rshift__")
def bitwise_right_shift(input: TensorOrNumber, other: TensorOrNumber) -> Tensor:
    """``input >> other`` (arithmetic shift), elementwise, on bool or integer operands;
    shifts by a negative amount or by the bit width or more give the sign fill (0 or -1)."""
    return _shift_op("bitwise_right_shift", "rshift", False, input, other)


@method("__rlshift__")
def _rlshift(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``other << input``."""
    return bitwise_left_shift(other, input)


@method("__rrshift__")
def _rrshift(input: Tensor, other: TensorOrNumber) -> Tensor:
    """``other >> input``."""
    return bitwise_right_shift(other, input)


def _inplace_of(fn: Callable[..., Tensor], name: str) -> Callable[..., Tensor]:
    """The in-place form of a binary op ``fn``, named ``name``."""

    def op_(input: Tensor, other: TensorOrNumber) -> Tensor:
        return inplace(input, fn, other)

    op_.__name__ = op_.__qualname__ = name
    op_.__doc__ = f"``{fn.__name__}`` in place: its result written into ``input``."
    return op_


_unary: list[Callable[..., Tensor]] = [logical_and, logical_or, logical_xor, logical_not,
                                      bitwise_not]
for _fn in _unary:
    method(_fn.__name__ + "_")(inplace_method(_fn))
_binary: list[tuple[tuple[str, ...], Callable[..., Tensor]]] = [
    (("bitwise_and_", "__iand__"), bitwise_and), (("bitwise_or_", "__ior__"), bitwise_or),
    (("bitwise_xor_", "__ixor__"), bitwise_xor),
    (("bitwise_left_shift_", "__ilshift__"), bitwise_left_shift),
    (("bitwise_right_shift_", "__irshift__"), bitwise_right_shift),
]
for _names, _bfn in _binary:
    method(*_names)(_inplace_of(_bfn, _names[0]))
del _unary, _binary, _names, _fn, _bfn
