"""Tensor: an array on a device (NumPy on the CPU, CuPy on CUDA) with reverse-mode autograd."""

from __future__ import annotations

import numbers
import weakref

import numpy as np

from . import _device as _dev
from . import autograd as _ag
from . import dtypes as _dt


class Tensor:
    """An n-dimensional array on a device, recording ops for backward when it requires grad.

    Build tensors with ``gpugrad.tensor``, ``zeros``, ``randn``... ``Tensor(data)`` also works
    and, like ``torch.Tensor(data)``, gives float32.
    """

    __slots__ = ("_data", "_requires_grad", "_grad", "_grad_fn", "_version", "_accum",
                 "__weakref__")
    __array_ufunc__ = None  # NumPy defers `ndarray op tensor` to our reflected methods
    __array_priority__ = 1000

    def __init__(self, data=(), *, dtype=None, device=None, requires_grad=False) -> None:
        from .creation import _as_array

        arr = _as_array(data, dtype if dtype is not None else _dt.float32, device)
        self._data = arr
        self._grad = None
        self._grad_fn = None
        self._version = _ag.VersionCounter()
        self._accum = None
        self._requires_grad = False
        self.requires_grad = requires_grad

    # --- attributes -------------------------------------------------------------------------

    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def dtype(self) -> _dt.dtype:
        return _dt.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> _dev.Device:
        return _dev.device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return not isinstance(self._data, np.ndarray)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def size(self, dim: int | None = None):
        if dim is None:
            return self._data.shape
        return self._data.shape[dim]

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def __len__(self) -> int:
        if not self._data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    @property
    def T(self) -> Tensor:  # noqa: N802  (PyTorch's name)
        return self.permute(*reversed(range(self.ndim))) if self.ndim > 1 else self

    # --- autograd state ---------------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
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
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def grad(self) -> Tensor | None:
        g = self._grad
        return None if g is None else _wrap(g, None)

    @grad.setter
    def grad(self, value) -> None:
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
        t = _wrap(self._data, None)
        t._version = self._version
        return t

    def detach_(self) -> Tensor:
        self._grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is not None:
            self._grad_fn.retain = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        return self._grad_fn is not None and self._grad_fn.retain is not None

    def backward(self, gradient=None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (weighted by ``gradient``)."""
        if create_graph:
            raise NotImplementedError("create_graph=True (higher-order gradients) is not supported")
        if not self._requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs (this tensor has "
                    f"shape {list(self.shape)}); pass gradient= to backward()"
                )
            g = _dev.array_module(self._data).ones(self.shape, self._data.dtype)
        else:
            g = gradient._data if isinstance(gradient, Tensor) else gradient
            g = _dev.array_module(self._data).asarray(g, dtype=self._data.dtype)
            if g.shape != self.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output has a shape of "
                                   f"{list(g.shape)} and output has a shape of {list(self.shape)}")
            if isinstance(gradient, Tensor):
                _dev.same_device_or_raise(self._data, gradient._data)
        _ag.run_backward(self, g, bool(retain_graph))

    # --- conversions ------------------------------------------------------------------------

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def numpy(self) -> np.ndarray:
        """A host copy of the data as a NumPy array."""
        d = self._data
        return d.copy() if isinstance(d, np.ndarray) else d.get()

    def __array__(self, dtype=None, copy=None):
        if not isinstance(self._data, np.ndarray):
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        return self._data if dtype is None else self._data.astype(dtype)

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} elements is "
                               "ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __format__(self, spec: str) -> str:
        if spec and self._data.size == 1:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __iter__(self):
        if not self._data.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __repr__(self) -> str:
        a = self.numpy()
        opts = dict(separator=", ", prefix="tensor(", threshold=1000, edgeitems=3)
        if a.dtype.kind == "f":
            finite = a[np.isfinite(a)]
            whole = finite.size == 0 or bool(np.all(finite == np.round(finite)))
            opts.update(precision=4, floatmode="maxprec" if whole else "fixed", suppress_small=True)
        body = np.array2string(a, **opts) if a.size else "[]"
        extras = []
        if self.is_cuda:
            extras.append(f"device='{self.device}'")
        if self.dtype not in (_dt.float32, _dt.int64, _dt.bool_) or a.size == 0:
            extras.append(f"dtype={self.dtype}" if a.size else f"size={tuple(a.shape)}")
        if self._grad_fn is not None:
            extras.append(f"grad_fn={self._grad_fn!r}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    __str__ = __repr__

    def to(self, *args, **kwargs) -> Tensor:
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(other)``; differentiable."""
        device, dtype, copy = parse_to_args(args, kwargs)
        out = self
        if device is not None:
            d = _dev.resolve(device)
            if d != self.device:
                out = _F.E.ToDevice.apply(out, device=d)
        if dtype is not None:
            dt = _dt.to_dtype(dtype)
            if dt.np != out._data.dtype:
                out = _F.E.Cast.apply(out, dtype=dt.np)
        if copy and out is self:
            out = _F.clone(self)
        return out

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, device=None) -> Tensor:
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(device)

    def float(self) -> Tensor:
        return self.to(_dt.float32)

    def double(self) -> Tensor:
        return self.to(_dt.float64)

    def half(self) -> Tensor:
        return self.to(_dt.float16)

    def long(self) -> Tensor:
        return self.to(_dt.int64)

    def int(self) -> Tensor:
        return self.to(_dt.int32)

    def bool(self) -> Tensor:
        return self.to(_dt.bool_)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def contiguous(self) -> Tensor:
        return self

    # --- in place ---------------------------------------------------------------------------

    def _check_inplace_leaf(self) -> None:
        if self._requires_grad and self._grad_fn is None and _ag._mode.enabled:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation. "
                "Wrap the update in `with gpugrad.no_grad():` or update `.data`."
            )

    def _inplace(self, op, ufunc, other) -> Tensor:
        """``self op= other``: in storage when no graph is recorded, else rebinding self."""
        other_grad = isinstance(other, Tensor) and other._requires_grad
        if (self._requires_grad or other_grad) and _ag._mode.enabled:
            self._check_inplace_leaf()
            out = op(self, other)
            if out.shape != self.shape:
                raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the "
                                   f"broadcast shape {list(out.shape)}")
            if out._data.dtype != self._data.dtype:
                out = _F.E.Cast.apply(out, dtype=self._data.dtype)
            self._data, self._grad_fn = out._data, out._grad_fn
            self._requires_grad, self._version = True, out._version
            if out._grad_fn is not None and out._grad_fn.retain is not None:
                out._grad_fn.retain = weakref.ref(self)
            return self
        b = other
        if isinstance(other, Tensor):
            _dev.same_device_or_raise(self._data, other._data)
            b = other._data
        elif isinstance(other, np.generic):
            b = other.item()
        try:
            ufunc(self._data, b, out=self._data)
        except (TypeError, ValueError) as e:
            raise RuntimeError(f"in-place {ufunc.__name__} on a {self.dtype} tensor of shape "
                               f"{list(self.shape)} failed: {e}") from None
        self._version.v += 1
        return self

    def __iadd__(self, other):
        return self._inplace(_F.add, np.add, other)

    def __isub__(self, other):
        return self._inplace(_F.sub, np.subtract, other)

    def __imul__(self, other):
        return self._inplace(_F.mul, np.multiply, other)

    def __itruediv__(self, other):
        return self._inplace(_F.div, np.true_divide, other)

    def add_(self, other, *, alpha=1):
        return self.__iadd__(other if alpha == 1 else other * alpha)

    def sub_(self, other, *, alpha=1):
        return self.__isub__(other if alpha == 1 else other * alpha)

    def mul_(self, other):
        return self.__imul__(other)

    def div_(self, other):
        return self.__itruediv__(other)

    def _write(self, fn) -> Tensor:
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
        return self._write(lambda a: a.fill(0))

    def fill_(self, value) -> Tensor:
        return self._write(lambda a: a.fill(value.item() if isinstance(value, Tensor) else value))

    def copy_(self, src) -> Tensor:
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

    def clamp_(self, min=None, max=None) -> Tensor:  # noqa: A002
        return self._write(lambda a: _dev.array_module(a).clip(a, min, max, out=a))

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor:
        def write(arr):
            u = _dev.random_uniform(self.device, arr.shape, arr.dtype)
            arr[...] = u * (b - a) + a

        return self._write(write)

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        def write(arr):
            arr[...] = _dev.random_normal(self.device, arr.shape, arr.dtype) * std + mean

        return self._write(write)

    def __setitem__(self, key, value) -> None:
        if isinstance(value, Tensor):
            _dev.same_device_or_raise(self._data, value._data)
            if value._requires_grad and _ag._mode.enabled:
                raise RuntimeError("assigning a tensor that requires grad into another tensor is "
                                   "not supported; use gpugrad.where or gpugrad.cat")
            value = value._data
        k, _ = _F._index_key(self, key)

        def write(a):
            a[k] = value

        self._write(write)


def parse_to_args(args, kwargs):
    """(device, dtype, copy) from the arguments of ``to()``: ``to(device)``, ``to(dtype)``,
    ``to(device, dtype)``, ``to(tensor)`` and the keywords device=, dtype=, copy=."""
    kwargs = dict(kwargs)
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, (_dt.dtype, np.dtype, type)):
            dtype = a
        else:
            device = a
    return device, dtype, copy


def _wrap(data, grad_fn) -> Tensor:
    """A Tensor around ``data`` (no copy), produced by ``grad_fn`` (None for a leaf).

    The one place where NumPy's 0-d results, which are scalars, become 0-d arrays again.
    """
    if data.__class__ is not np.ndarray and isinstance(data, np.generic):
        data = np.asarray(data)
    t = _new(Tensor)
    t._data = data
    t._requires_grad = grad_fn is not None
    t._grad = None
    t._grad_fn = grad_fn
    t._version = _ag.VersionCounter()
    t._accum = None
    return t


_new = object.__new__
_ag.Tensor = Tensor
_ag._wrap = _wrap

from .ops import functions as _F  # noqa: E402  (the op functions import Tensor from here)

# Methods that are the op functions themselves (first argument: the tensor).
for _name in (
    "add sub mul div pow neg abs exp log sqrt sin cos tanh sigmoid relu clamp maximum minimum "
    "sum mean var std max min amax amin argmax argmin logsumexp softmax log_softmax "
    "reshape view flatten permute transpose t squeeze unsqueeze expand broadcast_to matmul "
    "clone eq ne lt le gt ge isclose allclose equal"
).split():
    setattr(Tensor, _name, getattr(_F, _name))

Tensor.clip = _F.clamp
Tensor.__add__ = Tensor.__radd__ = _F.add
Tensor.__sub__ = _F.sub
Tensor.__rsub__ = _F.rsub
Tensor.__mul__ = Tensor.__rmul__ = _F.mul
Tensor.__truediv__ = _F.div
Tensor.__rtruediv__ = _F.rdiv
Tensor.__pow__ = _F.pow
Tensor.__rpow__ = _F.rpow
Tensor.__matmul__ = _F.matmul
Tensor.__rmatmul__ = _F.rmatmul
Tensor.__neg__ = _F.neg
Tensor.__abs__ = _F.abs
Tensor.__getitem__ = _F.getitem
Tensor.__eq__ = _F.eq
Tensor.__ne__ = _F.ne
Tensor.__lt__ = _F.lt
Tensor.__le__ = _F.le
Tensor.__gt__ = _F.gt
Tensor.__ge__ = _F.ge
Tensor.__hash__ = object.__hash__  # by identity (``==`` is elementwise, as in PyTorch)
