"""Tensor: an array on a device (NumPy on the CPU, CuPy on CUDA) with reverse-mode autograd.

This module holds what a tensor *is* (storage, dtype, device, autograd state, conversions to
Python and NumPy, printing). What a tensor *does* — every op, operator and op method — is
written once in ``gpugrad/ops`` beside its backward rule and bound onto ``Tensor`` from there;
``_tensor_ops.pyi`` (generated from the same place by ``python -m gpugrad.ops.stubgen``) lets
type checkers see those methods.
"""

from __future__ import annotations

import numbers
import operator
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _device as _dev
from . import _printing
from . import autograd as _ag
from . import dtypes as _dt
from ._typing import DeviceLike, DTypeLike

if TYPE_CHECKING:
    from ._tensor_ops import TensorOps as _TensorOps
else:
    _TensorOps = object


class Size(tuple):
    """A tensor's shape, as ``torch.Size``: a tuple of ints that prints as
    ``gpugrad.Size([2, 3])``; slicing, ``+`` and ``*`` give Sizes again."""

    __slots__ = ()

    def __new__(cls, sizes: Any = ()) -> Size:
        items = []
        for i, s in enumerate(sizes):
            if isinstance(s, bool) or not hasattr(s, "__index__"):
                raise TypeError(f"gpugrad.Size() takes an iterable of 'int' (item {i} is "
                                f"'{type(s).__name__}')")
            items.append(operator.index(s))
        return tuple.__new__(cls, items)

    def numel(self) -> int:
        """The number of elements of a tensor of this shape."""
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"gpugrad.Size({list(self)})"

    def __getitem__(self, index: Any) -> Any:
        out = tuple.__getitem__(self, index)
        return _tuple_new(Size, out) if isinstance(index, slice) else out

    def __add__(self, other: Any) -> Any:
        if not isinstance(other, tuple):
            return NotImplemented
        return _tuple_new(Size, tuple.__add__(self, other))

    def __radd__(self, other: Any) -> Any:
        if not isinstance(other, tuple):
            return NotImplemented
        return _tuple_new(Size, tuple.__add__(other, self))

    def __mul__(self, n: Any) -> Any:
        return _tuple_new(Size, tuple.__mul__(self, n))

    __rmul__ = __mul__

    def __reduce__(self) -> Any:
        return (Size, (tuple(self),))


_tuple_new = tuple.__new__
Size.__module__ = "gpugrad"  # printed as <class 'gpugrad.Size'>, as torch.Size


class Tensor(_ag.TensorBase, _TensorOps):
    """An n-dimensional array on a device, recording ops for backward when it requires grad.

    Build tensors with ``gpugrad.tensor``, ``zeros``, ``randn``... The constructor follows
    PyTorch's legacy ``torch.Tensor(...)``: ``Tensor(2, 3)`` or ``Tensor(gpugrad.Size([2, 3]))``
    is an uninitialised tensor of that size in the default float dtype (``Tensor(3)`` has shape
    ``[3]``), ``Tensor(data)`` (a list, tuple or array) a copy of the data in the default float
    dtype, ``Tensor(tensor)`` a tensor sharing ``tensor``'s storage (and dtype, and graph), and
    ``Tensor()`` an empty one of shape ``[0]``.
    """

    __slots__ = ()
    __array_ufunc__ = None  # NumPy defers `ndarray op tensor` to our reflected methods
    __array_priority__ = 1000
    __hash__ = object.__hash__  # by identity (``==`` is elementwise, as in PyTorch)

    def __init__(self, *args: Any, dtype: DTypeLike | None = None,
                 device: DeviceLike | None = None, requires_grad: bool = False) -> None:
        """``Tensor(*sizes)``, ``Tensor(size)``, ``Tensor(data)``, ``Tensor(tensor)`` or
        ``Tensor()``, as ``torch.Tensor``; ``dtype`` (instead of the default float dtype),
        ``device`` and ``requires_grad`` may be given too (a ``Tensor(tensor)`` with ``dtype`` or
        ``device`` is a converted copy)."""
        _legacy_init(self, args, dtype, device, None)
        if requires_grad:
            self.requires_grad = True

    @staticmethod
    def _wrap(data: Any, grad_fn: Any = None) -> Tensor:
        """A Tensor around ``data`` (no copy), produced by ``grad_fn`` (None for a leaf)."""
        if data.__class__ is not _ndarray:  # the common case skips the call
            data = _dev.fix_scalar(data)
        t = _new(Tensor)
        t._data = data
        t._requires_grad = grad_fn is not None
        t._grad = None
        t._grad_fn = grad_fn
        t._version = vc = _new(_VersionCounter)
        vc.v = 0
        t._accum = None
        return t

    # --- attributes -------------------------------------------------------------------------

    @property
    def shape(self) -> Size:
        """The size of each dimension, as a ``gpugrad.Size``."""
        return _tuple_new(Size, self._data.shape)

    @property
    def dtype(self) -> _dt.dtype:
        """The element type (``gpugrad.float32``...)."""
        return _dt.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> _dev.Device:
        """Where the storage lives: ``device(type='cpu')`` or ``device(type='cuda', index=N)``."""
        return _dev.device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        """Whether the storage is on a CUDA device."""
        return _dev.device_of(self._data).type == "cuda"

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    def dim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    def size(self, dim: int | None = None) -> Any:
        """The shape (a ``gpugrad.Size``), or the size of dimension ``dim`` (negative counts
        from the end) as an int."""
        shape = self._data.shape
        if dim is None:
            return _tuple_new(Size, shape)
        return shape[_check_dim(dim, len(shape))]

    def numel(self) -> int:
        """The number of elements."""
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes of the elements (``numel() * itemsize``)."""
        return int(self._data.nbytes)

    def is_contiguous(self, memory_format: Any = None) -> bool:
        """Whether the elements lie in row-major order without gaps (``contiguous()`` makes a
        tensor so); ``memory_format`` is accepted and ignored."""
        return bool(self._data.flags.c_contiguous)

    def data_ptr(self) -> int:
        """The address of the first element (host or device memory)."""
        return _address(self._data)

    def storage_offset(self) -> int:
        """The offset, in elements, of the first element from the start of the storage that
        this tensor views (0 unless it is a view into another tensor's storage)."""
        a = root = self._data
        while isinstance(root.base, type(a)):
            root = root.base
        return (_address(a) - _address(root)) // a.itemsize

    def is_floating_point(self) -> bool:
        """Whether the dtype is a floating type."""
        return self._data.dtype.kind == "f"

    def __len__(self) -> int:
        if not self._data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # --- autograd state ---------------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        """Whether ops on this tensor are recorded for backward."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if self._grad_fn is not None:
            if not flag:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach()."
                )
            return
        if flag and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"Only Tensors of floating point dtype can require gradients (got {self.dtype})"
            )
        self._requires_grad = bool(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (leaves only); returns the tensor."""
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (gradients accumulate in leaves)."""
        return self._grad_fn is None

    @property
    def grad_fn(self) -> Any:
        """The graph node that produced this tensor (None for leaves)."""
        return self._grad_fn

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient (None until a backward reaches this leaf)."""
        g = self._grad
        if g is None:
            return None
        gt = getattr(self, "_grad_graph", None)  # a create_graph gradient keeps its graph
        if gt is not None and gt._data is g:
            return gt
        return _wrap(g, None)

    @grad.setter
    def grad(self, value: Tensor | float | None) -> None:
        if value is None:
            self._grad = None
            return
        if isinstance(value, Tensor):
            g = value._data
            if g.shape != self.shape:
                raise RuntimeError(f"assigned grad has data of a different size: "
                                   f"{list(g.shape)} vs the tensor's {list(self.shape)}")
            _dev.same_device_or_raise(self._data, g)
            if g.dtype != self._data.dtype:
                raise RuntimeError(f"assigned grad has dtype {value.dtype}, but the tensor has "
                                   f"{self.dtype}")
            self._grad = g
        elif isinstance(value, numbers.Number):
            xp = _dev.array_module(self._data)
            self._grad = xp.full(self.shape, value, dtype=self._data.dtype)
        else:
            raise TypeError(f"grad must be a Tensor, a number or None, not {type(value).__name__}")

    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's storage, outside the graph; assigning replaces storage."""
        t = _wrap(self._data, None)
        t._version = self._version
        return t

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, not {type(value).__name__}")
        self._data = value._data

    def detach(self) -> Tensor:
        """A tensor sharing this storage, outside the graph (requires_grad False)."""
        t = _wrap(self._data, None)
        t._version = self._version
        return t

    def detach_(self) -> Tensor:
        """Detach in place: make this tensor a leaf that does not require grad."""
        self._grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is not None:
            self._grad_fn.retain = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        """Whether ``retain_grad()`` was called on this non-leaf tensor."""
        return self._grad_fn is not None and self._grad_fn.retain is not None

    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (weighted by ``gradient``).

        ``retain_graph`` keeps the graph for another backward (default: ``create_graph``);
        ``create_graph`` records the backward pass itself, so the gradients can be
        differentiated again; ``inputs`` (tensors) limits accumulation to those tensors.
        """
        _ag.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook: Any) -> Any:
        """Call ``hook(grad)`` each time the gradient of this tensor is computed; a hook that
        returns a Tensor replaces the gradient. Returns a handle with ``remove()``."""
        return _ag.register_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook: Any) -> Any:
        """Call ``hook(tensor)`` on this leaf after its ``.grad`` has been accumulated."""
        return _ag.register_post_accumulate_grad_hook(self, hook)

    # --- conversions ------------------------------------------------------------------------

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        return self._data.reshape(()).item()

    def tolist(self) -> Any:
        """The data as (nested) Python lists of numbers."""
        return _dev.to_host(self._data).tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The data as a NumPy array sharing memory with this CPU tensor (writes to either show
        in both), as PyTorch's: a tensor that requires grad raises RuntimeError while grad mode
        is on (call ``detach()`` first) and a CUDA tensor raises TypeError (call ``cpu()``
        first). ``force=True`` does both: ``detach().cpu().numpy()``."""
        d = self._data
        if force:
            return _dev.to_host(d).view()
        if not isinstance(d, _dev._HOST_ARRAYS):  # (gpugrad.compile's host arrays count)
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        if self._requires_grad and _ag._mode.enabled:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if d.__class__ is not np.ndarray:  # a gpugrad.compile recording: the data leaves
            return np.asarray(d)
        return d.view()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        a = self.numpy()
        if dtype is not None:
            a = a.astype(dtype, copy=bool(copy))
        elif copy:
            a = a.copy()
        return a

    def __bool__(self) -> bool:
        n = self._data.size
        if n != 1:
            raise RuntimeError("Boolean value of Tensor with "
                               f"{'no values' if n == 0 else 'more than one value'} is ambiguous")
        return bool(self._data.reshape(()).item())

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def _scalar(self) -> Any:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.reshape(()).item()

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self._data.reshape(()).item())

    def __format__(self, spec: str) -> str:
        # As PyTorch: a 0-d tensor formats as its value (f"{loss:.4f}"); any other tensor
        # only with an empty spec (as str(t)), and a spec raises TypeError.
        if self._data.ndim == 0 and type(self) is Tensor:
            return format(self._data.item(), spec)
        return object.__format__(self, spec)

    def __iter__(self) -> Iterator[Tensor]:
        if not self._data.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __repr__(self) -> str:
        return _printing.tensor_repr(self)

    __str__ = __repr__

    # --- casts to the small integer dtypes ---------------------------------------------------

    def byte(self, memory_format: Any = None) -> Tensor:
        """The tensor as uint8 (itself if it already is); ``memory_format`` is ignored."""
        return self.to(_dt.uint8)

    def char(self, memory_format: Any = None) -> Tensor:
        """The tensor as int8 (itself if it already is); ``memory_format`` is ignored."""
        return self.to(_dt.int8)

    def short(self, memory_format: Any = None) -> Tensor:
        """The tensor as int16 (itself if it already is); ``memory_format`` is ignored."""
        return self.to(_dt.int16)

    # --- in place, outside the graph ------------------------------------------------------

    def _check_inplace_leaf(self) -> None:
        if self._requires_grad and self._grad_fn is None and _ag._mode.enabled:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation. "
                "Wrap the update in `with gpugrad.no_grad():` or update `.data`."
            )

    def _write(self, fn: Callable[[Any], Any]) -> Tensor:
        """Run ``fn(array)``, which writes into self's storage, outside any graph."""
        if _ag._mode.enabled and self._requires_grad:
            self._check_inplace_leaf()
            if self._grad_fn is not None:
                raise RuntimeError("in-place writes into a non-leaf tensor that requires grad "
                                   "are not supported; build a new tensor (gpugrad.where, cat)")
        fn(self._data)
        self._version.v += 1
        return self

    def zero_(self) -> Tensor:
        """Fill with zeros, in place."""
        return self._write(lambda a: a.fill(0))

    def fill_(self, value: float | Tensor) -> Tensor:
        """Fill with ``value``, in place."""
        return self._write(lambda a: a.fill(value.item() if isinstance(value, Tensor) else value))

    def copy_(self, src: Any) -> Tensor:
        """Copy ``src`` (broadcast, from any device) into this tensor, in place."""
        s = src._data if isinstance(src, Tensor) else src
        s = _dev.to_device(s, self.device) if not isinstance(s, numbers.Number) else s

        def write(a):
            xp = _dev.array_module(a)
            try:
                a[...] = xp.broadcast_to(xp.asarray(s), a.shape)
            except ValueError:
                raise RuntimeError(f"copy_: the source of shape {list(np.shape(s))} does not "
                                   f"broadcast to {list(a.shape)}") from None

        return self._write(write)

    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        """Clamp to ``[min, max]``, in place."""
        return self._write(lambda a: _dev.array_module(a).clip(a, min, max, out=a))


_new = object.__new__
_ndarray = np.ndarray
_VersionCounter = _ag.VersionCounter
_wrap = Tensor._wrap


def _check_dim(dim: Any, ndim: int) -> int:
    """``dim`` as an index into a shape of ``ndim`` dimensions, negative counting from the end;
    IndexError as PyTorch words it."""
    d = operator.index(dim)
    if ndim == 0:
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    if not -ndim <= d < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, "
                         f"{ndim - 1}], but got {d})")
    return d


def _address(a: Any) -> int:
    """The address of array ``a``'s first element, on the host or a device."""
    iface = getattr(a, "__cuda_array_interface__", None) or a.__array_interface__
    return int(iface["data"][0])


_INTS = (np.dtype(np.uint8), np.dtype(np.int8), np.dtype(np.int16), np.dtype(np.int32),
         np.dtype(np.int64))


def _host_dtype(arr: np.ndarray, explicit) -> np.dtype:
    """The storage dtype: ``explicit`` if given, else inferred as PyTorch does."""
    if explicit is not None:
        return _dt.to_dtype(explicit).np
    k = arr.dtype.kind
    if k == "b":
        return np.dtype(np.bool_)
    if k in "iu":
        return arr.dtype if arr.dtype in _INTS else np.dtype(np.int64)
    if k == "f":
        return arr.dtype if arr.dtype in (np.float16, np.float32, np.float64) else np.dtype(
            np.float64)
    raise TypeError(f"can't convert data of dtype {arr.dtype} to a tensor; only numbers and "
                    "booleans are supported")


def _as_array(data, dtype, device):
    """``data`` as a new array of the right dtype on the right device."""
    dev = _dev.resolve(device) if device is not None else None
    if isinstance(data, Tensor):
        arr = data._data
        dev = dev or data.device
        target = _dt.to_dtype(dtype).np if dtype is not None else arr.dtype
        return _dev.to_device(arr, dev).astype(target, copy=True)
    if not isinstance(data, np.ndarray) and hasattr(data, "__cuda_array_interface__"):
        arr = data  # a CuPy array
        dev = dev or _dev.device_of(arr)
        target = _host_dtype(np.empty(0, arr.dtype), dtype)
        return _dev.to_device(arr, dev).astype(target, copy=True)
    from_python = not isinstance(data, (np.ndarray, np.generic))
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
        if any(isinstance(x, Tensor) and x.numel() != 1 for x in data):
            raise ValueError("only one element tensors can be converted to Python scalars: "
                             "tensor() of a list of multi-element Tensors; use gpugrad.stack")
        data = [x.item() if isinstance(x, Tensor) else x for x in data]
    try:
        arr = np.array(data)
    except ValueError as e:
        raise ValueError(f"can't build a tensor from {type(data).__name__}: {e}") from None
    if arr.dtype == object:
        raise TypeError(f"can't build a tensor from {type(data).__name__}: the data must be "
                        "numbers, nested lists of numbers, or an array")
    target = _host_dtype(arr, dtype)
    if from_python and dtype is None and arr.dtype.kind == "f":
        target = _dt.default_float.np  # Python floats become the default float dtype
    if target.kind in "iu" and arr.dtype.kind in "iuf" and arr.size:
        info = np.iinfo(target)
        lo, hi = arr.min(), arr.max()
        if not (info.min <= lo and hi <= info.max):  # NaN compares False: refused too
            bad = lo if not info.min <= lo else hi
            raise RuntimeError(f"value cannot be converted to type {target} without overflow: "
                               f"{bad}")
    arr = arr.astype(target, copy=False)
    return _dev.to_device(arr, dev or _dev.CPU)


# --- the legacy constructors: Tensor(...), FloatTensor(...), LongTensor(...) ---------------


def _is_size(a: Any) -> bool:
    """Whether a lone constructor argument is a size: an int (not a bool), a NumPy integer or a
    0-d integer array (as PyTorch reads them), or a ``gpugrad.Size``."""
    c = a.__class__
    if c is int or c is Size or isinstance(a, np.integer):
        return True
    return c is np.ndarray and a.ndim == 0 and a.dtype.kind in "iu"


def _legacy_init(t: Tensor, args: tuple[Any, ...], dtype: Any, device: Any,
                 fixed: _dt.dtype | None) -> None:
    """Fill the fields of the new leaf ``t`` from the legacy constructor's arguments; ``fixed``
    is the dtype of a typed constructor (``LongTensor``...), None for ``Tensor``."""
    t._grad = None
    t._grad_fn = None
    t._accum = None
    t._requires_grad = False
    t._version = vc = _new(_VersionCounter)
    vc.v = 0
    n = len(args)
    if n == 1:
        a = args[0]
        if isinstance(a, Tensor):
            if fixed is not None and a._data.dtype != fixed.np:
                raise TypeError(f"expected a tensor of dtype {fixed} (got {a.dtype}): "
                                f"{_dt.TYPE_NAMES[fixed]}Tensor(tensor) shares the tensor's "
                                "storage, so the dtypes must match")
            if dtype is None and device is None:
                _alias(t, a)
                return
            t._data = _as_array(a, dtype if dtype is not None else a.dtype, device)
            return
        if not _is_size(a):
            if isinstance(a, (str, bytes)):
                raise TypeError(f"new(): invalid data type '{type(a).__name__}'")
            if isinstance(a, (numbers.Number, np.generic)):
                name = type(a).__name__
                if type(a).__module__ == "numpy":
                    name = "numpy." + name
                raise TypeError(f"new(): data must be a sequence (got {name})")
            if dtype is None:
                dtype = fixed if fixed is not None else _dt.default_float
            t._data = _as_array(a, dtype, device)
            return
        size: Any = tuple(a) if a.__class__ is Size else (a,)
    else:
        size = args  # () for Tensor(): an empty tensor of shape [0]
    dims = []
    for i, s in enumerate(size):
        if isinstance(s, Tensor) or not hasattr(s, "__index__"):
            raise TypeError(f"new(): argument 'size' must be a tuple of ints, but got "
                            f"{type(s).__name__} at position {i}")
        dims.append(operator.index(s))
    if any(d < 0 for d in dims):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(dims)}: "
                           f"{dims}")
    if not n:
        dims = [0]
    dt = _dt.to_dtype(dtype) if dtype is not None else fixed or _dt.default_float
    t._data = _dev.call_on(_dev.target_device(device), _empty, tuple(dims), dt.np)


def _empty(xp: Any, shape: tuple[int, ...], np_dtype: Any) -> Any:
    return xp.empty(shape, np_dtype)


def _alias(t: Tensor, src: Tensor) -> None:
    """Make ``t`` share ``src``'s storage and version counter; if ``src`` is recorded, ``t`` is
    a view of it in the graph (gradients reach ``src``), as ``torch.Tensor(src)``."""
    if src._requires_grad and _ag._mode.enabled:
        v = src.view(src._data.shape)  # a differentiable view: the node holds no output
        t._data, t._grad_fn, t._requires_grad = v._data, v._grad_fn, v._requires_grad
    else:
        t._data = src._data
    t._version = src._version


class LegacyTensorType(_dt.dtype):
    """A legacy typed constructor (``gpugrad.FloatTensor``, ``LongTensor``...), as PyTorch's:
    called, it builds a tensor of its dtype with ``Tensor``'s size-or-data rules (a tensor
    argument must already have that dtype: the result shares its storage); it is also the
    dtype itself for ``x.type(gpugrad.LongTensor)`` and ``x.to(...)``, and
    ``isinstance(x, gpugrad.FloatTensor)`` tells whether ``x`` is a float32 CPU tensor."""

    __slots__ = ("__name__",)

    def __init__(self, d: _dt.dtype) -> None:
        super().__init__(d.name, d.np)
        self.__name__ = _dt.TYPE_NAMES[d] + "Tensor"

    @property
    def dtype(self) -> _dt.dtype:
        """The dtype of the tensors this constructor builds."""
        return _dt.from_numpy_dtype(self.np)

    @property
    def is_cuda(self) -> bool:
        """False: these are the CPU types."""
        return False

    def __call__(self, *args: Any, device: DeviceLike | None = None) -> Tensor:
        t = _new(Tensor)
        _legacy_init(t, args, None, device, self.dtype)
        return t

    def __instancecheck__(self, obj: Any) -> bool:
        return (isinstance(obj, Tensor) and obj._data.dtype == self.np
                and obj._data.__class__ is _ndarray)

    def __repr__(self) -> str:
        return f"<class 'gpugrad.{self.__name__}'>"

    def __reduce__(self) -> Any:
        return (_legacy_type, (self.__name__,))


def _legacy_type(name: str) -> LegacyTensorType:
    return _LEGACY[name]


FloatTensor = LegacyTensorType(_dt.float32)
DoubleTensor = LegacyTensorType(_dt.float64)
HalfTensor = LegacyTensorType(_dt.float16)
LongTensor = LegacyTensorType(_dt.int64)
IntTensor = LegacyTensorType(_dt.int32)
BoolTensor = LegacyTensorType(_dt.bool_)
ByteTensor = LegacyTensorType(_dt.uint8)
CharTensor = LegacyTensorType(_dt.int8)
ShortTensor = LegacyTensorType(_dt.int16)
_LEGACY = {t.__name__: t for t in (FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor,
                                   BoolTensor, ByteTensor, CharTensor, ShortTensor)}
