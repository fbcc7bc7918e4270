"""Conversions: dtype casts, device moves, ``clone``, ``Tensor.to`` / ``Tensor.type`` with their
shorthands, and the operand promotion of binary ops (PyTorch's rules, from ``gpugrad.dtypes``)."""

from __future__ import annotations

from typing import Any, overload

import numpy as np

from .. import _device as _dev
from .. import dtypes as _dt
from .._typing import DeviceLike, DTypeLike
from ..autograd import Op
from ..tensor import Tensor
from ._registry import method

__all__ = ["clone", "result_type", "promote_types", "can_cast", "memory_format"]

result_type = _dt.result_type
promote_types = _dt.promote_types
can_cast = _dt.can_cast


class memory_format:  # noqa: N801  (PyTorch's name)
    """A memory layout name (``gpugrad.contiguous_format``...). gpugrad accepts them where
    PyTorch does (``clone``, ``contiguous``, ``to``) and always lays tensors out row-major."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"gpugrad.{self.name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")


class Cast(Op):
    """A dtype conversion; the engine casts the gradient back to the input's dtype."""

    def forward(self, x, dtype):
        return x.astype(dtype)

    def backward(self, gy):
        return (gy,)


class Clone(Op):
    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return (gy,)


class ToDevice(Op):
    """A copy to another device; the gradient goes back to the source device."""

    def forward(self, x, device):
        self.src = _dev.device_of(x)
        return _dev.to_device(x, device)

    def backward(self, gy):
        return (_dev.to_device(gy, self.src),)

    def graph_backward(self, gy):
        return (gy.to(self.src),)


@method()
def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy of ``input`` with its own (row-major) storage; differentiable. ``memory_format``
    is accepted and ignored."""
    return Clone.apply(input)


# --- operand promotion -----------------------------------------------------------------------


def is_array(x: Any) -> bool:
    """Whether ``x`` is a NumPy or CuPy array (an operand a Tensor combines with; PyTorch
    refuses lists and tuples there)."""
    return hasattr(x, "__array__") or hasattr(x, "__cuda_array_interface__")


_INT_RANGES: dict[Any, tuple[int, int]] = {}


def _wrapped(n: int, np_dtype: Any) -> Any:
    """Python int ``n`` as an operand of an integer tensor: itself where it fits the dtype,
    else wrapped around into it, as PyTorch computes (``uint8 + (-1)`` subtracts 1 modulo 256;
    NumPy would raise OverflowError)."""
    lo_hi = _INT_RANGES.get(np_dtype)
    if lo_hi is None:
        info = np.iinfo(np_dtype)
        lo_hi = _INT_RANGES[np_dtype] = (int(info.min), int(info.max))
    if lo_hi[0] <= n <= lo_hi[1]:
        return n
    bits = np.dtype(np_dtype).itemsize * 8
    n &= (1 << bits) - 1
    if lo_hi[0] < 0 and n > lo_hi[1]:
        n -= 1 << bits
    return np.dtype(np_dtype).type(n)


def promote(t: Tensor, other: Any, floating: bool = False) -> tuple[Any, Any]:
    """``t`` and ``other`` (the operands of a binary op, in either order: a Tensor and a Tensor
    or Python number) with each Tensor cast to the result dtype (``gpugrad.result_type``)
    where its own differs; ``floating``: the op gives a floating result (true division), so an
    integer or bool result becomes the default float dtype. Numbers stay numbers: NumPy's rules
    for them (NEP 50) then keep the cast tensor's dtype. Other operands (arrays) pass
    unchanged. Callers skip this when both operands are Tensors of one dtype."""
    c = other.__class__
    if c is float or c is int:  # the common case first: a number never changes the dtype of a
        kind = t._data.dtype.kind  # tensor of its category
        if kind == "f":
            return t, other
        if c is int and not floating:
            if kind in "iu":
                other = _wrapped(other, t._data.dtype)
            return t, other
    elif isinstance(other, Tensor):
        if (t._data.dtype is other._data.dtype
                and (not floating or t._data.dtype.kind == "f")):
            return t, other
    elif not isinstance(other, (int, float, np.number, np.bool_)):
        if not is_array(other):
            raise TypeError(f"unsupported operand type(s): 'Tensor' and '{type(other).__name__}'"
                            " (a Tensor, a number or an array was expected)")
        return t, other  # an array constant: it follows NumPy's rules
    elif t._data.dtype.kind == "f" or not (floating or isinstance(other, (float, np.floating))):
        return t, other
    r = _dt.result_type(t, other)
    if floating and not r.is_floating_point:
        r = _dt.get_default_dtype()
    return _cast(t, r.np), _cast(other, r.np)


def _cast(x: Any, np_dtype: Any) -> Any:
    if isinstance(x, Tensor) and x._data.dtype != np_dtype:
        return Cast.apply(x, dtype=np_dtype)
    return x


def parse_to_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any, bool]:
    """(device, dtype, copy) from the arguments of ``to()``: ``to(device, dtype, non_blocking,
    copy)``, ``to(dtype, non_blocking, copy)``, ``to(tensor, non_blocking, copy)`` and the
    keywords device=, dtype=, non_blocking=, copy=, memory_format=. A device may be a name,
    a ``gpugrad.device`` or a CUDA index; a dtype a gpugrad dtype, NumPy dtype or Python type."""
    kwargs = dict(kwargs)
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    flags = []
    for a in args:
        if isinstance(a, bool):
            flags.append(a)  # non_blocking, then copy
        elif isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, (_dt.dtype, np.dtype, type)):
            dtype = a
        elif isinstance(a, memory_format):
            pass
        elif isinstance(a, int):
            device = f"cuda:{a}"
        elif isinstance(a, (str, _dev.Device)):
            device = a
        else:
            raise TypeError(f"to() received an invalid argument {a!r} ({type(a).__name__}): "
                            "expected a device, a dtype, a Tensor or a bool")
    if len(flags) > 2:
        raise TypeError(f"to() takes at most two bool arguments (non_blocking, copy), got "
                        f"{len(flags)}")
    if len(flags) == 2:
        copy = flags[1]
    return device, dtype, bool(copy)


@method()
def to(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(other)``: the tensor on
    that device with that dtype (itself when nothing changes, unless ``copy=True``);
    differentiable."""
    device, dtype, copy = parse_to_args(args, kwargs)
    out = input
    if device is not None:
        d = _dev.resolve(device)
        if d != input.device:
            out = ToDevice.apply(out, device=d)
    if dtype is not None:
        dt = _dt.to_dtype(dtype)
        if dt.np != out._data.dtype:
            out = Cast.apply(out, dtype=dt.np)
    if copy and out is input:
        out = clone(input)
    return out


@method()
def cpu(input: Tensor) -> Tensor:
    """The tensor on the CPU (itself if already there)."""
    return to(input, "cpu")


@method()
def cuda(input: Tensor, device: DeviceLike | None = None) -> Tensor:
    """The tensor on a CUDA device (the current one by default, or ``device``: an index or
    a ``"cuda:N"`` name)."""
    if device is None:
        device = "cuda"
    elif isinstance(device, int):
        device = f"cuda:{device}"
    return to(input, device)


def _caster(dt: _dt.dtype, name: str) -> Any:
    def cast(input: Tensor, memory_format: Any = None) -> Tensor:
        return to(input, dt)

    cast.__name__ = cast.__qualname__ = name
    cast.__doc__ = (f"The tensor as {dt.name} (itself if it already is); ``memory_format`` is "
                    "accepted and ignored.")
    return cast


for _dt_, _name in ((_dt.float32, "float"), (_dt.float64, "double"), (_dt.float16, "half"),
                   (_dt.int64, "long"), (_dt.int32, "int"), (_dt.bool_, "bool")):
    method(_name)(_caster(_dt_, _name))


@method()
def type_as(input: Tensor, other: Tensor) -> Tensor:
    """The tensor cast to ``other``'s dtype."""
    return to(input, other.dtype)


@method()
def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:
    """The tensor itself if its elements are in row-major order without gaps, else a
    differentiable row-major copy; ``memory_format`` is accepted and ignored."""
    if input._data.flags.c_contiguous:
        return input
    return Clone.apply(input)


@overload
def type_(input: Tensor, dtype: None = None, non_blocking: bool = False,
          **kwargs: Any) -> str: ...
@overload
def type_(input: Tensor, dtype: DTypeLike, non_blocking: bool = False,
          **kwargs: Any) -> Tensor: ...
@method("type")
def type_(input: Tensor, dtype: DTypeLike | None = None, non_blocking: bool = False,
          **kwargs: Any) -> Any:
    """Without ``dtype``: PyTorch's type name (``'torch.FloatTensor'``, ``'torch.cuda.
    LongTensor'``). With one: the tensor cast to it (itself if nothing changes): a gpugrad
    dtype, or a type name (``'torch.DoubleTensor'``, ``'gpugrad.cuda.FloatTensor'``), which
    also names the device (CPU unless ``cuda.``)."""
    if dtype is None:
        return _dt.type_name(input.dtype, input.is_cuda)
    if isinstance(dtype, str):
        dt, cuda = _dt.parse_type_name(dtype)
        out = to(input, "cuda" if cuda else "cpu") if cuda != input.is_cuda else input
        return to(out, dt)
    if not isinstance(dtype, _dt.dtype):
        name = getattr(dtype, "__name__", dtype)
        raise ValueError(f"invalid type: {name!r}")
    return to(input, dtype)
