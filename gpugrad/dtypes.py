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
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
bool_ = dtype("bool", np.bool_)

ALL = (float16, float32, float64, uint8, int8, int16, int32, int64, bool_)
_FROM_NP = {d.np: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}
_BY_NAME.update(half=float16, float=float32, double=float64, short=int16, int=int32, long=int64)

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
    if spec.__class__ is dtype:
        return spec
    if isinstance(spec, dtype):  # a legacy tensor type (gpugrad.LongTensor): its dtype
        return _FROM_NP[spec.np]
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


# --- type promotion (PyTorch's rules, written once) -----------------------------------------
#
# Each dtype has a category: bool < integer < floating. Within a category the wider type wins
# (int32 with int64 is int64, float16 with float32 is float32); across categories the higher
# category's type wins (int64 with float16 is float16). ``result_type`` ranks its operands:
# tensors with dimensions first, then 0-d tensors, then Python numbers (a float counts as the
# default float dtype, an int as int64, a bool as bool). A lower-ranked operand changes the
# result only when its category is higher: float32 tensor + float64 0-d tensor is float32,
# int32 tensor + 1.5 is the default float dtype, int32 tensor + 2**40 is int32.

#: PyTorch's scalar type names, as in ``'torch.FloatTensor'`` and in casting errors.
TYPE_NAMES = {float16: "Half", float32: "Float", float64: "Double", uint8: "Byte", int8: "Char",
              int16: "Short", int32: "Int", int64: "Long", bool_: "Bool"}
_BY_TYPE_NAME = {v: k for k, v in TYPE_NAMES.items()}


def _category(d: dtype) -> int:
    return 2 if d.is_floating_point else 0 if d is bool_ else 1


def promote_types(type1, type2) -> dtype:
    """The smallest dtype to which both ``type1`` and ``type2`` can be cast without moving to a
    lower category (bool < integer < floating), as ``torch.promote_types``."""
    a, b = to_dtype(type1), to_dtype(type2)
    if a is b:
        return a
    ca, cb = _category(a), _category(b)
    if ca != cb:
        return a if ca > cb else b
    if a is uint8 or b is uint8:  # uint8 with a signed type: a signed type holding both
        other = b if a is uint8 else a
        return int16 if other is int8 else other
    return a if a.itemsize >= b.itemsize else b


def can_cast(from_, to) -> bool:
    """Whether PyTorch's casting rules allow writing a ``from_`` result into a ``to`` tensor
    (in-place ops, ``out=``): never floating to integer or bool, nor integer to bool."""
    f, t = to_dtype(from_), to_dtype(to)
    return _category(f) <= _category(t)


def _ranked(x) -> tuple[int, dtype]:
    """(rank, dtype) of an operand: 2 for a tensor (or array) with dimensions, 1 for a 0-d one,
    0 for a Python (or NumPy scalar) number."""
    if isinstance(x, (builtins.bool, np.bool_)):
        return 0, bool_
    if isinstance(x, (builtins.int, np.integer)):
        return 0, int64
    if isinstance(x, (builtins.float, np.floating)):
        return 0, default_float
    dt, ndim = getattr(x, "dtype", None), getattr(x, "ndim", None)
    if dt is None or ndim is None:
        raise TypeError(f"result_type: expected a Tensor or a Python number, got "
                        f"{type(x).__name__}")
    return (2 if ndim else 1), to_dtype(dt)


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    """The result of a higher-ranked and a lower-ranked group: the lower one counts only when its
    category is higher (or the higher group is bool)."""
    if higher is None:
        return lower
    if lower is None or higher.is_floating_point:
        return higher
    if higher is bool_ or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def result_type(tensor1, tensor2) -> dtype:
    """The dtype of an arithmetic op on ``tensor1`` and ``tensor2`` (Tensors or Python numbers),
    as ``torch.result_type``: see the rules above."""
    best: list[dtype | None] = [None, None, None]
    for x in (tensor1, tensor2):
        rank, d = _ranked(x)
        prev = best[rank]
        best[rank] = d if prev is None else promote_types(prev, d)
    out = _combine(best[2], _combine(best[1], best[0]))
    assert out is not None
    return out


def type_name(d: dtype, cuda: bool = False) -> str:
    """PyTorch's tensor type name of ``d``: ``'torch.FloatTensor'``, ``'torch.cuda.LongTensor'``."""
    return ("torch.cuda." if cuda else "torch.") + TYPE_NAMES[d] + "Tensor"


def parse_type_name(name: str) -> tuple[dtype, bool]:
    """(dtype, on CUDA) of a tensor type name: ``'torch.FloatTensor'``, ``'gpugrad.cuda.
    LongTensor'`` or the bare ``'DoubleTensor'``; ValueError for anything else."""
    rest = name
    for prefix in ("torch.", "gpugrad."):
        if rest.startswith(prefix):
            rest = rest[len(prefix):]
            break
    cuda = rest.startswith("cuda.")
    if cuda:
        rest = rest[len("cuda."):]
    d = _BY_TYPE_NAME.get(rest[:-len("Tensor")]) if rest.endswith("Tensor") else None
    if d is None:
        raise ValueError(f"invalid type: {name!r}")
    return d, cuda

# PyTorch's aliases.
short = int16
half = float16
float_ = float32
double = float64
int_ = int32
long = int64


# --- numeric limits --------------------------------------------------------------------------


_DType = dtype  # (finfo and iinfo have a ``dtype`` attribute of their own)


class finfo:  # noqa: N801  (PyTorch's name)
    """The limits of a floating dtype (the default float dtype when none is given), as
    ``torch.finfo``: ``bits``, ``eps`` (the gap between 1.0 and the next number), ``max``,
    ``min``, ``tiny`` and ``smallest_normal`` (the smallest positive normal number),
    ``resolution`` (10 to the minus the number of exact decimal digits) and ``dtype`` (the
    dtype's name). A non-floating dtype raises TypeError."""

    bits: int
    eps: float
    max: float
    min: float
    tiny: float
    smallest_normal: float
    resolution: float
    dtype: str

    def __init__(self, type: _DType | None = None) -> None:  # noqa: A002  (PyTorch's name)
        d = default_float if type is None else _need_dtype(type, "finfo")
        if not d.is_floating_point:
            raise TypeError("gpugrad.finfo() requires a floating point input type. Use "
                            "gpugrad.iinfo to handle 'gpugrad.finfo'")
        info = np.finfo(d.np)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = float(f"1e-{int(info.precision)}")  # (NumPy's is rounded to d)
        self.dtype = d.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    # unhashable, as PyTorch's
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:  # noqa: N801  (PyTorch's name)
    """The limits of an integer dtype, as ``torch.iinfo``: ``bits``, ``max``, ``min`` and
    ``dtype`` (the dtype's name). A floating dtype or bool raises TypeError."""

    bits: int
    max: int
    min: int
    dtype: str

    def __init__(self, type: _DType) -> None:  # noqa: A002  (PyTorch's name)
        d = _need_dtype(type, "iinfo")
        if d is bool_:
            raise TypeError("gpugrad.bool is not supported by gpugrad.iinfo")
        if d.is_floating_point:
            raise TypeError("gpugrad.iinfo() requires an integer input type. Use "
                            "gpugrad.finfo to handle 'gpugrad.iinfo'")
        info = np.iinfo(d.np)
        self.bits = int(info.bits)
        self.max = int(info.max)
        self.min = int(info.min)
        self.dtype = d.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def _need_dtype(spec: object, fn: str) -> dtype:
    """``spec`` as a gpugrad dtype; TypeError (as PyTorch's) for anything that is not one."""
    if not isinstance(spec, dtype):
        raise TypeError(f"{fn}(): argument 'type' (position 1) must be gpugrad.dtype, not "
                        f"{type(spec).__name__}")
    return to_dtype(spec)
