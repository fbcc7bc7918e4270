"""Conversions: dtype casts, device moves, ``clone`` and ``Tensor.to`` with its shorthands."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _device as _dev
from .. import dtypes as _dt
from .._typing import DeviceLike
from ..autograd import Op
from ..tensor import Tensor
from ._registry import method

__all__ = ["clone"]


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
def clone(input: Tensor) -> Tensor:
    """A copy of ``input`` with its own storage; differentiable."""
    return Clone.apply(input)


def parse_to_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any, bool]:
    """(device, dtype, copy) from the arguments of ``to()``: ``to(device)``, ``to(dtype)``,
    ``to(device, dtype)``, ``to(tensor)`` and the keywords device=, dtype=, copy=."""
    kwargs = dict(kwargs)
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, (_dt.dtype, np.dtype, type)):
            dtype = a
        else:
            device = a
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
    def cast(input: Tensor) -> Tensor:
        return to(input, dt)

    cast.__name__ = cast.__qualname__ = name
    cast.__doc__ = f"The tensor as {dt.name} (itself if it already is)."
    return cast


for _dt_, _name in ((_dt.float32, "float"), (_dt.float64, "double"), (_dt.float16, "half"),
                   (_dt.int64, "long"), (_dt.int32, "int"), (_dt.bool_, "bool")):
    method(_name)(_caster(_dt_, _name))


@method()
def type_as(input: Tensor, other: Tensor) -> Tensor:
    """The tensor cast to ``other``'s dtype."""
    return to(input, other.dtype)


@method()
def contiguous(input: Tensor) -> Tensor:
    """The tensor itself (every gpugrad tensor is usable as contiguous)."""
    return input
