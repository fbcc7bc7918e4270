"""The dtypes a Tensor can hold, named as in PyTorch (``gpugrad.float32``, ``gpugrad.long``...)."""

from __future__ import annotations

import builtins

import numpy as np


class dtype:  # noqa: N801  (PyTorch's name)
    """A tensor element type: a thin, printable face over a NumPy dtype."""

    __slots__ = ("name", "np", "is_floating_point", "itemsize")

    def __init__(self, name: str, np_dtype) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"gpugrad.{self.name}"

    def __reduce__(self):
        return (to_dtype, (self.name,))


float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
bool_ = dtype("bool", np.bool_)

ALL = (float16, float32, float64, int32, int64, bool_)
_FROM_NP = {d.np: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}
_BY_NAME.update(half=float16, float=float32, double=float64, int=int32, long=int64)

#: The dtype of new floating tensors (PyTorch's default); read and set it through
#: ``get_default_dtype`` / ``set_default_dtype``.
default_float = float32


def get_default_dtype() -> dtype:
    """The floating dtype of new tensors made from Python floats, and of ``zeros``, ``randn``...
    when no ``dtype`` is given (``float32`` unless changed with ``set_default_dtype``)."""
    return default_float


def set_default_dtype(d) -> None:
    """Set the default floating dtype: ``float16``, ``float32`` or ``float64`` (as PyTorch,
    other dtypes raise TypeError)."""
    global default_float
    dt = to_dtype(d)
    if not dt.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {dt}")
    default_float = dt


def to_dtype(spec) -> dtype:
    """Resolve ``spec`` (a gpugrad dtype, NumPy dtype, Python type or name) to a gpugrad dtype."""
    if isinstance(spec, dtype):
        return spec
    if spec is builtins.float:
        return float64  # as in PyTorch, dtype=float means float64
    if spec is builtins.int:
        return int64
    if spec is builtins.bool:
        return bool_
    if isinstance(spec, str) and spec in _BY_NAME:
        return _BY_NAME[spec]
    try:
        return _FROM_NP[np.dtype(spec)]
    except (TypeError, KeyError):
        names = ", ".join(d.name for d in ALL)
        raise TypeError(f"unsupported dtype {spec!r}; gpugrad supports {names}") from None


def from_numpy_dtype(np_dtype) -> dtype:
    """The gpugrad dtype of an array's NumPy dtype; TypeError if gpugrad has no such dtype."""
    d = _FROM_NP.get(np_dtype)
    if d is None:
        return to_dtype(np_dtype)
    return d

# PyTorch's aliases.
half = float16
float_ = float32
double = float64
int_ = int32
long = int64
