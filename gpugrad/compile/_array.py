"""The recording array: what a tensor hands out instead of its array while a call is captured.

A ``Rec`` holds the real array (``a``) and computes exactly what it would: the capture is a
real step. Each operation is also reported to the recorder (``r``): NumPy functions reach it
through ``__array_ufunc__`` / ``__array_function__``, operators and methods through its own
dunders, creation functions through ``Namespace``, the array module that
``_device.array_module`` hands ops for it. Every way to reach the data from Python goes through
a method here that tells the recorder (``read``: a guard or a taint; ``escape``: a taint).
"""

from __future__ import annotations

import functools
import operator
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _device as _dev

if TYPE_CHECKING:
    from ._record import Recorder

_tls = threading.local()
_MISSING = object()


def active() -> Any:
    """The recorder capturing in this thread, if any."""
    return getattr(_tls, "rec", None)


class CaptureError(RuntimeError):
    """Raised (with ``fullgraph=True``) where a call cannot be captured."""


# --- the recording array ---------------------------------------------------------------------

_VIEW_BASE = object()  # what ``Rec.base`` answers for a view (only ``is None`` is ever asked)

# Functions and methods that write into an argument (position of the written argument).
_INPLACE_FUNCS = {np.copyto: 0, np.put: 0, np.place: 0, np.putmask: 0, np.fill_diagonal: 0,
                  np.put_along_axis: 0}
_INPLACE_METHODS = {"fill", "sort", "partition", "put", "itemset", "setfield"}
# Results that depend on the shapes and dtypes only, never on values.
_STRUCTURAL = {np.shape, np.ndim, np.size, np.result_type, np.may_share_memory,
               np.shares_memory, np.iscomplexobj, np.isrealobj, np.isscalar,
               np.broadcast_shapes, np.min_scalar_type, np.can_cast}
# Results whose shape depends on the values: a replay could not reuse the capture's shapes.
_DATA_SHAPED = {np.nonzero, np.argwhere, np.flatnonzero, np.unique, np.compress, np.extract,
                np.trim_zeros}
_DATA_SHAPED_METHODS = {"nonzero", "compress"}
# Functions with ``out=`` (besides ufuncs, whose calls and reductions all take one).
_OUT_FUNCS = {np.sum, np.mean, np.max, np.amax, np.min, np.amin, np.prod, np.any, np.all,
              np.cumsum, np.cumprod, np.clip, np.concatenate, np.take, np.dot, np.round,
              np.around, np.var, np.std, np.matmul}
_OUT_METHODS = {"sum", "mean", "max", "min", "prod", "any", "all", "cumsum", "cumprod", "clip",
                "take", "round", "var", "std", "dot", "argmax", "argmin"}
_CREATE = {"zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like",
           "full_like", "arange", "linspace", "eye", "identity", "tri"}
_EMPTY = {"empty", "empty_like"}


def _t(a: Any) -> Any:
    return a.T


def _mt(a: Any) -> Any:
    return a.mT


def _attr(name: str) -> Any:
    """``a.name`` as a recordable function of ``a``."""
    f = operator.attrgetter(name)
    return f


class Rec:
    """An array being recorded: ``a`` is the real array, ``vid`` its value number."""

    __slots__ = ("a", "vid", "r", "__weakref__")
    __array_priority__ = 1e6
    __hash__ = None  # type: ignore[assignment]  # like an ndarray

    def __init__(self, a: Any, vid: int, r: Recorder) -> None:
        self.a, self.vid, self.r = a, vid, r

    # -- what is free to ask (shapes, dtypes, the namespace) --------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self.a.shape

    @property
    def ndim(self) -> int:
        return self.a.ndim

    @property
    def dtype(self) -> Any:
        return self.a.dtype

    @property
    def size(self) -> int:
        return self.a.size

    @property
    def itemsize(self) -> int:
        return self.a.itemsize

    @property
    def nbytes(self) -> int:
        return self.a.nbytes

    @property
    def strides(self) -> tuple[int, ...]:
        return self.a.strides

    @property
    def flags(self) -> Any:
        return self.a.flags

    @property
    def device(self) -> Any:
        return self.a.device

    @property
    def xp(self) -> Any:
        return self.r.namespace(self.a)

    @property
    def base(self) -> Any:
        return None if self.a.base is None else _VIEW_BASE

    @property
    def T(self) -> Any:  # noqa: N802
        return self.r.call(_t, (self,), {})

    @property
    def mT(self) -> Any:  # noqa: N802
        return self.r.call(_mt, (self,), {})

    @property
    def real(self) -> Any:
        return self.r.call(_attr("real"), (self,), {})

    @property
    def imag(self) -> Any:
        return self.r.call(_attr("imag"), (self,), {})

    def __len__(self) -> int:
        return len(self.a)

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self.a)))

    def __getattr__(self, name: str) -> Any:
        cls = type(self.a)
        meth = getattr(cls, name, _MISSING)
        if meth is _MISSING or name.startswith("__"):
            raise AttributeError(f"{cls.__name__} has no attribute {name!r}")
        if not callable(meth):
            return self.r.escape_attr(self, name)
        return functools.partial(self.r.method, name, meth, self)

    # -- values read into Python: guards where they are bools or integers -----------------

    def __bool__(self) -> bool:
        return self.r.read(self, bool, "bool(tensor)")

    def __int__(self) -> int:
        return self.r.read(self, int, "int(tensor)")

    def __index__(self) -> int:
        return self.r.read(self, operator.index, "a tensor used as an index")

    def __float__(self) -> float:
        return self.r.read(self, float, "float(tensor)")

    def __complex__(self) -> complex:
        return self.r.read(self, complex, "complex(tensor)")

    def item(self, *args: Any) -> Any:
        return self.r.read(self, functools.partial(_item, args=args), ".item()")

    # -- the whole array into Python or another library: taint ------------------------------

    def tolist(self) -> Any:
        return self.r.escape(self, ".tolist()").tolist()

    def get(self, *args: Any, **kwargs: Any) -> Any:
        a = self.r.escape(self, ".numpy() / a host copy")
        return a.get(*args, **kwargs) if hasattr(a, "get") else np.array(a)

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        a = self.r.escape(self, "conversion to a NumPy array")
        a = _dev.to_host(a)
        return a if dtype is None else a.astype(dtype)

    @property
    def __cuda_array_interface__(self) -> Any:
        return self.r.escape(self, "the CUDA array interface").__cuda_array_interface__

    @property
    def __array_interface__(self) -> Any:
        return self.r.escape(self, "the array interface").__array_interface__

    def tobytes(self, *args: Any, **kwargs: Any) -> bytes:
        return self.r.escape(self, ".tobytes()").tobytes(*args, **kwargs)

    def __repr__(self) -> str:
        return repr(self.r.escape(self, "printing a value"))

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return format(self.r.escape(self, "formatting a value"), spec)

    def __contains__(self, x: Any) -> bool:
        return x in self.r.escape(self, "`in` on a tensor")

    def __reduce_ex__(self, protocol: Any) -> Any:
        return self.r.escape(self, "pickling a value").__reduce_ex__(protocol)

    def __copy__(self) -> Any:
        return self.r.method("copy", type(self.a).copy, self)

    def __deepcopy__(self, memo: Any) -> Any:
        return self.r.method("copy", type(self.a).copy, self)

    # -- indexing -------------------------------------------------------------------------

    def __getitem__(self, key: Any) -> Any:
        return self.r.call(operator.getitem, (self, key), {})

    def __setitem__(self, key: Any, value: Any) -> None:
        self.r.call(operator.setitem, (self, key, value), {}, writes=(0,))

    # -- NumPy's protocols ----------------------------------------------------------------

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        for x in inputs + tuple(kwargs.get("out", ()) or ()):
            if getattr(type(x), "__array_ufunc__", 0) is None:  # a Tensor: let it answer
                return NotImplemented
        return self.r.ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return self.r.function(func, args, kwargs)


class HostRec(Rec):
    """A recorded NumPy array (counts as a host array in every device question)."""

    __slots__ = ()


class DeviceRec(Rec):
    """A recorded CuPy array."""

    __slots__ = ()


RECS = (HostRec, DeviceRec)


def _item(a: Any, args: tuple) -> Any:
    return a.item(*args)


def _operand(x: Any) -> bool:
    """Whether ``x`` meets an ndarray operator as an array or a number (the ufunc path)."""
    c = x.__class__
    return (c in RECS or c is float or c is int or c is bool or isinstance(x, np.generic)
            or is_array(x))


def _binary(fn: Any) -> Any:
    u = _OP_UFUNC.get(fn)

    def op(self: Rec, other: Any) -> Any:
        if getattr(type(other), "__array_ufunc__", 0) is None:
            return NotImplemented
        if u is not None and _operand(other):
            return self.r.ufunc(u, "__call__", (self, other), {})
        return self.r.call(fn, (self, other), {})
    return op


def _reflected(fn: Any) -> Any:
    u = _OP_UFUNC.get(fn)

    def op(self: Rec, other: Any) -> Any:
        if getattr(type(other), "__array_ufunc__", 0) is None:
            return NotImplemented
        if u is not None and _operand(other):
            return self.r.ufunc(u, "__call__", (other, self), {})
        return self.r.call(fn, (other, self), {})
    return op


def _inplace(fn: Any) -> Any:
    u = _IOP_UFUNC.get(fn)

    def op(self: Rec, other: Any) -> Any:
        if getattr(type(other), "__array_ufunc__", 0) is None:
            return NotImplemented
        if u is not None and _operand(other):
            self.r.ufunc(u, "__call__", (self, other), {"out": self})
        else:
            self.r.call(fn, (self, other), {}, writes=(0,))
        return self
    return op


def _unary(fn: Any) -> Any:
    u = _OP_UFUNC[fn]

    def op(self: Rec) -> Any:
        return self.r.ufunc(u, "__call__", (self,), {})
    return op


# The operators as the ufuncs they call on ndarrays (so that replays can pass ``out=``). Power
# keeps ndarray's own dispatch, which has fast paths (x ** 2 squares, x ** 0.5 is sqrt).
_OP_UFUNC = {operator.add: np.add, operator.sub: np.subtract, operator.mul: np.multiply,
             operator.truediv: np.true_divide, operator.floordiv: np.floor_divide,
             operator.mod: np.remainder, operator.matmul: np.matmul,
             operator.and_: np.bitwise_and, operator.or_: np.bitwise_or,
             operator.xor: np.bitwise_xor, operator.lshift: np.left_shift,
             operator.rshift: np.right_shift, operator.eq: np.equal,
             operator.ne: np.not_equal, operator.lt: np.less, operator.le: np.less_equal,
             operator.gt: np.greater, operator.ge: np.greater_equal,
             operator.neg: np.negative, operator.pos: np.positive,
             operator.abs: np.absolute, operator.invert: np.invert}
_IOP_UFUNC = {operator.iadd: np.add, operator.isub: np.subtract, operator.imul: np.multiply,
              operator.itruediv: np.true_divide, operator.ifloordiv: np.floor_divide,
              operator.imod: np.remainder, operator.imatmul: np.matmul,
              operator.iand: np.bitwise_and, operator.ior: np.bitwise_or,
              operator.ixor: np.bitwise_xor, operator.ilshift: np.left_shift,
              operator.irshift: np.right_shift}

for _name, _fn in [("add", operator.add), ("sub", operator.sub), ("mul", operator.mul),
                   ("truediv", operator.truediv), ("floordiv", operator.floordiv),
                   ("mod", operator.mod), ("pow", operator.pow), ("matmul", operator.matmul),
                   ("and", operator.and_), ("or", operator.or_), ("xor", operator.xor),
                   ("lshift", operator.lshift), ("rshift", operator.rshift)]:
    setattr(Rec, f"__{_name}__", _binary(_fn))
    setattr(Rec, f"__r{_name}__", _reflected(_fn))
    setattr(Rec, f"__i{_name}__", _inplace(getattr(operator, f"i{_name}")))
_COMPARE: list[tuple[str, Any]] = [("eq", operator.eq), ("ne", operator.ne),
                                    ("lt", operator.lt), ("le", operator.le),
                                    ("gt", operator.gt), ("ge", operator.ge),
                                    ("divmod", divmod)]
for _name, _cmp in _COMPARE:
    setattr(Rec, f"__{_name}__", _binary(_cmp))
Rec.__rdivmod__ = _reflected(divmod)  # type: ignore[attr-defined]
_UNARY: list[tuple[str, Any]] = [("neg", operator.neg), ("pos", operator.pos),
                                 ("abs", operator.abs), ("invert", operator.invert)]
for _name, _un in _UNARY:
    setattr(Rec, f"__{_name}__", _unary(_un))


# --- the array namespace handed to ops while recording ----------------------------------------


class _UfuncProxy:
    """A ufunc whose calls and methods are recorded."""

    def __init__(self, r: Recorder, u: Any) -> None:
        self._r, self._u = r, u

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._r.ufunc(self._u, "__call__", args, kwargs)

    def __getattr__(self, name: str) -> Any:
        if name in ("reduce", "accumulate", "reduceat", "outer", "at"):
            return functools.partial(self._r.ufunc, self._u, name)
        return getattr(self._u, name)


class Namespace:
    """``numpy`` (or ``cupy``) as ops see it while recording: creations make recorded values,
    conversions keep them, every other function is recorded."""

    def __init__(self, r: Recorder, xp: Any) -> None:
        self._r, self._xp = r, xp
        self.ndarray = Rec

    def __getattr__(self, name: str) -> Any:
        xp, r = self._xp, self._r
        v = getattr(xp, name)
        if name in _CREATE:
            out: Any = functools.partial(r.create, name, v)
        elif name in ("asarray", "asanyarray", "ascontiguousarray", "array"):
            out = functools.partial(r.convert, name, v)
        elif isinstance(v, (np.ufunc, getattr(xp, "ufunc", np.ufunc))):
            out = _UfuncProxy(r, v)
        elif callable(v) and not isinstance(v, type):
            def out(*args: Any, _f: Any = v, **kwargs: Any) -> Any:
                return r.function(_f, args, kwargs)
        else:
            out = v
        self.__dict__[name] = out
        return out

    def run_kernel(self, kernel: Any, args: tuple) -> Any:
        """A kernel-table row called on device arrays: one recorded kernel launch."""
        return self._r.kernel(kernel, args)

    def erf(self, x: Any, out: Any = None) -> Any:
        """``_device.erf`` of a recorded device array."""
        from cupyx.scipy.special import erf

        return self._r.ufunc(erf, "__call__", (x,), {} if out is None else {"out": out})

    def scatter_add(self, target: Any, index: Any, values: Any) -> None:
        """``_device.scatter_add`` into a recorded device array."""
        import cupyx

        self._r.call(cupyx.scatter_add, (target, index, values), {}, writes=(0,))


def _c_contiguous(a: Any) -> bool:
    return bool(a.flags.c_contiguous)


def _root(a: Any) -> Any:
    while a.base is not None and hasattr(a.base, "shape"):
        a = a.base
    return a


def is_array(x: Any) -> bool:
    """Whether ``x`` is a NumPy or CuPy array (not a scalar, not a recorded array)."""
    return isinstance(x, np.ndarray) or (
        not isinstance(x, (np.generic, Rec)) and hasattr(x, "__cuda_array_interface__")
        and hasattr(x, "shape"))


def _unwrap(x: Any) -> Any:
    c = x.__class__
    if c in RECS:
        return x.a
    if c is tuple or c is list:
        return c(_unwrap(y) for y in x)
    if c is dict:
        return {k: _unwrap(y) for k, y in x.items()}
    if c is slice:
        return slice(_unwrap(x.start), _unwrap(x.stop), _unwrap(x.step))
    return x


def _contains_rec(x: Any) -> bool:
    if x.__class__ in RECS:
        return True
    if isinstance(x, (tuple, list)):
        return any(_contains_rec(y) for y in x)
    return False


def _collect_recs(x: Any, out: dict[int, Rec], r: Recorder) -> None:
    c = x.__class__
    if c in RECS:
        if x.r is r:
            out[x.vid] = x
    elif c is tuple or c is list:
        for y in x:
            _collect_recs(y, out, r)
    elif c is dict:
        for y in x.values():
            _collect_recs(y, out, r)
