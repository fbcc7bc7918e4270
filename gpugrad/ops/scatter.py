"""Along one dimension: ``gather``, ``take_along_dim``, ``index_select``; and the writes
``scatter``, ``scatter_add``, ``scatter_reduce``, ``index_add``, ``index_fill``,
``index_copy`` with their in-place forms.

Each is an advanced index into the input: ``gather(x, d, i)`` is ``x[k]`` where ``k`` holds
``i`` at dimension ``d`` and ``arange`` grids elsewhere. So they reuse ``Gather`` and
``IndexPut`` (each the other's gradient); ``ScatterReduce`` adds max, min and product.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _device as _dev
from .. import autograd as _ag
from .._typing import Number
from ..autograd import Op
from ..tensor import Tensor
from ._registry import method
from .compare import where
from .indexing import (
    Gather,
    GatherAlong,
    IndexPut,
    IndexSelect,
    assign,
    check_bounds,
    inplace,
    put_,
)
from .reduce import norm_dims

__all__ = ["gather", "take_along_dim", "index_select", "scatter", "scatter_add",
           "scatter_reduce", "index_add", "index_fill", "index_copy"]


def _dim(input: Tensor, dim: int) -> int:
    """``dim`` checked and made non-negative (a 0-d input takes 0 or -1)."""
    d = norm_dims(dim, input.ndim)
    return d[0] if d else 0


def _grid_key(xp: Any, index: Any, dim: int, sizes: tuple[int, ...]) -> tuple[Any, ...]:
    """The advanced key that reads ``index`` at dimension ``dim`` and position ``j`` along
    every other dimension ``d`` (``j < sizes[d]``): broadcasting ``arange`` grids."""
    n = len(sizes)
    return tuple(index if d == dim else
                 xp.arange(sizes[d]).reshape((1,) * d + (sizes[d],) + (1,) * (n - d - 1))
                 for d in range(n))


def _shaped(out: Tensor, input: Tensor) -> Tensor:
    """The result of an op run on input's 1-d view (when input is 0-d) in input's shape."""
    return out if out.ndim == input.ndim else out.reshape(input.shape)


def _index_arg(input: Tensor, index: Any, name: str, argpos: int = 3) -> Any:
    """``index``'s array, checked: a Tensor of int32/int64 on input's device."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' (position {argpos}) must be Tensor, not "
                        f"{type(index).__name__}")
    if index._data.dtype not in (np.int32, np.int64):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index (got "
                           f"{index.dtype.name})")
    _dev.same_device_or_raise(input._data, index._data)
    return index._data.copy()  # backward reads it: later changes to the index tensor are not


def _as_1d(input: Tensor, index: Any) -> tuple[Tensor, Any, bool]:
    """A 0-d input (and index) seen as 1-d, as PyTorch's dimension ops do."""
    if input.ndim == 0:
        return input.reshape(1), index.reshape(max(index.size, 1) if index.ndim else 1), True
    return input, index, False


def _scatter_key(input: Tensor, dim: int, index: Any, name: str,
                 src: Tensor | None = None) -> tuple[tuple[Any, ...], int]:
    """The checked key of ``scatter``-like ops (and ``gather``): index has input's number of
    dimensions, fits in input (apart from ``dim``) and in src, and holds in-range values."""
    d = _dim(input, dim)
    if index.ndim != max(input.ndim, 1) and not (index.ndim == 0 and input.ndim <= 1):
        raise RuntimeError(f"{name}(): Index tensor must have the same number of dimensions as "
                           f"input tensor (index {list(index.shape)}, input "
                           f"{list(input.shape)})")
    shape = input.shape or (1,)
    ishape = index.shape or (1,)
    for k, (i, s) in enumerate(zip(ishape, shape)):
        if k != d and i > s:
            raise RuntimeError(f"{name}(): Size does not match at dimension {k} expected index "
                               f"{list(index.shape)} to be no larger than self "
                               f"{list(input.shape)} apart from dimension {d}")
    if src is not None:
        sshape = src.shape or (1,)
        if len(sshape) != len(ishape) or any(i > s for i, s in zip(ishape, sshape)):
            raise RuntimeError(f"{name}(): Expected index {list(index.shape)} to be no larger "
                               f"size than src {list(src.shape)}")
    check_bounds(index, shape[d], d, negative=False, error=RuntimeError)
    xp = _dev.array_module(index)
    return _grid_key(xp, index.reshape(ishape), d, ishape), d


@method()
def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """``out[i][j][k] = input[index[i][j][k]][j][k]`` for ``dim == 0`` (likewise for the
    other dimensions): index has input's number of dimensions and values in
    ``[0, input.size(dim))``; the result has index's shape."""
    idx = _index_arg(input, index, "gather")
    x, idx1, flat = _as_1d(input, idx)
    key, _ = _scatter_key(x, dim, idx1, "gather")
    out = GatherAlong.apply(x, key=key)
    return out.reshape(idx.shape) if flat else out


@method()
def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """The values of input at ``indices`` along ``dim`` (input and indices broadcast apart
    from ``dim``; negative indices count from the end); with ``dim=None`` both are flattened
    first. Pairs with ``argsort``/``argmax(keepdim=True)``."""
    if not isinstance(indices, Tensor):
        raise TypeError(f"take_along_dim(): argument 'indices' (position 2) must be Tensor, not "
                        f"{type(indices).__name__}")
    if indices._data.dtype.kind not in "iu":
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be int64 but got "
                           f"{indices.dtype.name}")
    _dev.same_device_or_raise(input._data, indices._data)
    if dim is None:
        x, idx, d = input.reshape(-1), indices._data.reshape(-1), 0
    else:
        if input.ndim != indices.ndim:
            raise RuntimeError(f"torch.take_along_dim(): input and indices should have the "
                               f"same number of dimensions, but got {input.ndim} dimensions for "
                               f"input, and {indices.ndim} dimensions for indices")
        x, idx = input, indices._data
        if not x.ndim:
            x, idx = x.reshape(1), idx.reshape(1)
        d = _dim(input, dim)
    check_bounds(idx, x.shape[d], d, error=RuntimeError)
    key = _grid_key(_dev.array_module(idx), idx.copy(), d, x.shape)
    try:
        out = GatherAlong.apply(x, key=key)
    except IndexError:  # the grids do not broadcast with indices
        raise RuntimeError(f"take_along_dim(): the shapes of input {list(input.shape)} and "
                           f"indices {list(indices.shape)} do not broadcast apart from "
                           f"dimension {d}") from None
    return out.reshape(indices.shape) if dim is not None and not input.ndim else out


@method()
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of input at positions ``index`` (1-d, values in ``[0, size)``) along
    ``dim``."""
    idx = _index_arg(input, index, "index_select")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    x = input.reshape(1) if not input.ndim else input
    d = _dim(input, dim)
    idx = idx.reshape(-1)
    check_bounds(idx, x.shape[d], d, negative=False, error=RuntimeError)
    out = IndexSelect.apply(x, key=(slice(None),) * d + (idx,))
    return out.reshape(()) if not input.ndim and index.ndim == 0 else out


# --- writes along a dimension ----------------------------------------------------------------


def _src_part(src: Tensor, index: Any) -> Tensor:
    """The leading block of src with index's shape (what scatter reads)."""
    shape = index.shape or (1,)
    s = src.reshape(1) if not src.ndim else src
    if s.shape != shape:
        s = s[tuple(slice(0, n) for n in shape)]
    return s


def _scatter_args(input: Tensor, dim: int, index: Tensor, src: Any, name: str,
                  number_ok: bool = True) -> tuple[Tensor, tuple[Any, ...], Any]:
    """(input seen as >= 1-d, the key, the value written: src's leading block or a number)."""
    idx = _index_arg(input, index, name)
    if isinstance(src, Tensor):
        _dev.same_device_or_raise(input._data, src._data)
        if src._data.dtype != input._data.dtype:
            raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype (got "
                               f"{input.dtype.name} and {src.dtype.name})")
        x, idx1, _ = _as_1d(input, idx)
        key, _ = _scatter_key(x, dim, idx1, name, src)
        return x, key, _src_part(src, idx1)
    if not number_ok or isinstance(src, bool) or not isinstance(src, (int, float, np.number)):
        raise TypeError(f"{name}(): argument 'src' must be Tensor{' or a number' * number_ok}, "
                        f"not {type(src).__name__}")
    x, idx1, _ = _as_1d(input, idx)
    key, _ = _scatter_key(x, dim, idx1, name)
    return x, key, src.item() if isinstance(src, np.generic) else src


_REDUCE = {"add": "sum", "multiply": "prod"}


@method()
def scatter(input: Tensor, dim: int, index: Tensor, src: Tensor | Number | None = None, *,
            value: Number | None = None, reduce: str | None = None) -> Tensor:
    """A copy of input with ``out[index[i][j]][j] = src[i][j]`` for ``dim == 0`` (likewise
    for the other dimensions), or ``value`` there; ``reduce="add"``/``"multiply"`` combines
    instead of replacing. ``src`` is read in index's shape; repeated indices keep one value."""
    v = src if src is not None else value
    if v is None:
        raise TypeError("scatter(): expected a src tensor or a value")
    x, key, v = _scatter_args(input, dim, index, v, "scatter")
    if reduce is None:
        out = IndexPut.apply(x, v, key=key)
    elif reduce in _REDUCE:
        out = _scatter_reduce(x, key, v, _REDUCE[reduce], True)
    else:
        raise RuntimeError(f"reduce argument must be either add or multiply (got {reduce!r}).")
    return _shaped(out, input)


@method()
def scatter_(input: Tensor, dim: int, index: Tensor, src: Tensor | Number | None = None, *,
             value: Number | None = None, reduce: str | None = None) -> Tensor:
    """In-place ``scatter``."""
    v = src if src is not None else value
    if v is None:
        raise TypeError("scatter_(): expected a src tensor or a value")
    if reduce is not None and reduce not in _REDUCE:
        raise RuntimeError(f"reduce argument must be either add or multiply (got {reduce!r}).")
    x, key, part = _scatter_args(input, dim, index, v, "scatter_")
    if reduce == "multiply":
        return _write_reduced(input, lambda: scatter(input, dim, index, v, reduce=reduce),
                              key, part, "prod", True)
    return _put_shaped(input, x, key, part, reduce == "add")


def _put_shaped(input: Tensor, x: Tensor, key: tuple[Any, ...], v: Any,
                accumulate: bool) -> Tensor:
    """``put_`` into input (0-d inputs through their 1-d view)."""
    if x is input:
        return put_(input, key, True, v, accumulate)

    def compute() -> Tensor:
        return IndexPut.apply(input.reshape(1), v, key=key, accumulate=accumulate).reshape(())

    def write(a: Any) -> None:
        assign(a.reshape(1), key, v._data if isinstance(v, Tensor) else v, True, accumulate)

    return inplace(input, compute, write, v)


@method()
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of input with ``src`` added at ``index`` along ``dim`` (as in ``scatter``),
    repeated indices accumulating."""
    x, key, v = _scatter_args(input, dim, index, src, "scatter_add", number_ok=False)
    return _shaped(IndexPut.apply(x, v, key=key, accumulate=True), input)


@method()
def scatter_add_(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """In-place ``scatter_add``."""
    x, key, v = _scatter_args(input, dim, index, src, "scatter_add_", number_ok=False)
    return _put_shaped(input, x, key, v, True)


# --- scatter_reduce --------------------------------------------------------------------------

_IDENTITY = {"prod": 1, "amax": -np.inf, "amin": np.inf}
_HOW = {"prod": "mul", "amax": "max", "amin": "min"}


def _identity(reduce: str, dtype: Any) -> Any:
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return {"prod": 1, "amax": info.min, "amin": info.max}[reduce]
    if dtype.kind == "b":
        return {"prod": True, "amax": False, "amin": True}[reduce]
    return _IDENTITY[reduce]


class ScatterReduce(Op):
    """``scatter_reduce`` with ``amax``, ``amin`` or ``prod`` (``sum`` and ``mean`` are built
    from IndexPut). At ties of amax/amin the gradient is shared evenly among the tied
    elements; the product's gradient is exact where elements are zero."""

    saved_inputs = (0, 1)
    saved_output = True

    def forward(self, x, src, key, reduce, include_self):
        self.x, self.src, self.key, self.reduce, self.incl = x, src, key, reduce, include_self
        out = x.copy()
        if not include_self:
            out[key] = _identity(reduce, x.dtype)
        _dev.scatter_reduce(out, key, src, _HOW[reduce])
        return out

    def backward(self, gy):
        return self._grads(gy, _ArrayMath(self.key))

    def graph_backward(self, gy):
        return self._grads(gy, _TensorMath(self.key))

    def _grads(self, gy, m):
        """One formula for arrays and for Tensors (``m`` reads ``a[key]``, selects, and
        makes scatter-products in the one or the other); masks and counts are arrays."""
        key, incl = self.key, self.incl
        x, src, y = m.raw(self.x), m.raw(self.src), m.raw(self._out)
        xp = _dev.array_module(x)

        def count(mask):  # how many True are sent to each place
            c = xp.zeros(x.shape, x.dtype)
            _dev.scatter_add(c, key, mask.astype(x.dtype))
            return c

        hit = count(xp.ones(src.shape, bool)) > 0  # the places something is sent to
        if self.reduce == "prod":
            zero = src == 0
            zeros_at = count(zero)
            prod_nz = m.prod(xp.ones(x.shape, x.dtype), m.where(zero, 1.0, self.src))
            gx = gsrc = None
            if self.needs[0]:  # dy/dx: the product of what is sent there (0 if not incl)
                gx = (gy * m.where(zeros_at == 0, prod_nz, 0.0) if incl
                      else m.where(hit, 0.0, gy))
            if self.needs[1]:  # dy/dsrc: the product of all the others at that place
                base = prod_nz * self.x if incl else prod_nz
                others = m.where(zero, m.where(zeros_at[key] == 1, m.take(base), 0.0),
                                 m.take(self._out) / m.where(zero, 1.0, self.src))
                gsrc = m.take(gy) * others
            return gx, gsrc
        tie_x = (x == y) & (~hit if not incl else True)
        tie_src = src == y[key]
        n = count(tie_src) + tie_x
        share = gy / xp.where(n > 0, n, 1).astype(x.dtype)
        gx = m.where(tie_x, share, 0.0) if self.needs[0] else None
        gsrc = m.where(tie_src, m.take(share), 0.0) if self.needs[1] else None
        return gx, gsrc


class _ArrayMath:
    """The array side of ScatterReduce's gradient."""

    def __init__(self, key: tuple[Any, ...]) -> None:
        self.key = key

    def raw(self, a: Any) -> Any:
        return a

    def where(self, mask: Any, a: Any, b: Any) -> Any:
        return _dev.array_module(mask).where(mask, a, b)

    def take(self, a: Any) -> Any:
        return a[self.key]

    def prod(self, base: Any, v: Any) -> Any:
        out = base.copy()
        _dev.scatter_reduce(out, self.key, v, "mul")
        return out


class _TensorMath(_ArrayMath):
    """The Tensor side (differentiable) of ScatterReduce's gradient."""

    def raw(self, a: Any) -> Any:
        return a._data

    def where(self, mask: Any, a: Any, b: Any) -> Any:
        return where(Tensor._wrap(mask), a, b)

    def take(self, a: Any) -> Any:
        return Gather.apply(a, key=self.key)

    def prod(self, base: Any, v: Any) -> Any:
        return ScatterReduce.apply(base, v, key=self.key, reduce="prod", include_self=True)


def _scatter_reduce(x: Tensor, key: tuple[Any, ...], src: Any, reduce: str,
                    include_self: bool) -> Tensor:
    """The reduction of src into x at key (x and src at least 1-d; src a Tensor or number)."""
    if not isinstance(src, Tensor):  # a number: sent to every place the key names
        shape = np.broadcast_shapes(*(k.shape for k in key))
        src = Tensor._wrap(_dev.array_module(x._data).full(shape, src, x._data.dtype))
    if reduce in ("sum", "mean"):
        base = x if include_self else IndexPut.apply(x, 0, key=key)
        total = IndexPut.apply(base, src, key=key, accumulate=True)
        if reduce == "sum":
            return total
        xp = _dev.array_module(x._data)
        count = xp.zeros(x.shape, np.int64)
        _dev.scatter_add(count, key, 1)
        count += int(include_self)
        count[count == 0] = 1
        if x._data.dtype.kind == "f":
            return total / count.astype(x._data.dtype)
        return Tensor._wrap(total._data // count.astype(x._data.dtype))
    return ScatterReduce.apply(x, src, key=key, reduce=reduce, include_self=include_self)


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


@method()
def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """A copy of input where each place ``index`` points to (along ``dim``, as in
    ``scatter``) holds the reduction (``"sum"``, ``"prod"``, ``"mean"``, ``"amax"``,
    ``"amin"``) of the src values sent there, and of input's own value when
    ``include_self``. Places nothing is sent to keep input's value."""
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    x, key, v = _scatter_args(input, dim, index, src, "scatter_reduce", number_ok=False)
    return _shaped(_scatter_reduce(x, key, v, reduce, include_self), input)


def _write_reduced(input: Tensor, compute: Callable[[], Tensor], key: tuple[Any, ...], v: Any,
                   reduce: str, include_self: bool) -> Tensor:
    """An in-place reduction into input: ``compute()`` when recorded, else into storage."""
    def write(a: Any) -> None:
        with _ag.no_grad():
            x = Tensor._wrap(a.reshape(1) if not a.ndim else a)
            new = _scatter_reduce(x, key, v.detach() if isinstance(v, Tensor) else v, reduce,
                                  include_self)
        a[...] = new._data.reshape(a.shape)

    return inplace(input, compute, write, v)


@method()
def scatter_reduce_(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                    include_self: bool = True) -> Tensor:
    """In-place ``scatter_reduce``."""
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    _, key, v = _scatter_args(input, dim, index, src, "scatter_reduce_", number_ok=False)
    return _write_reduced(
        input, lambda: scatter_reduce(input, dim, index, src, reduce, include_self=include_self),
        key, v, reduce, include_self)


# --- index_add / index_fill / index_copy -----------------------------------------------------


def _index_args(input: Tensor, dim: int, index: Tensor, name: str,
                source: Tensor | None = None) -> tuple[Tensor, tuple[Any, ...]]:
    """(input seen as >= 1-d, the key ``(:, ..., index)`` at ``dim``), checked."""
    idx = _index_arg(input, index, name)
    if idx.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    x = input.reshape(1) if not input.ndim else input
    d = _dim(input, dim)
    idx = idx.reshape(-1)
    check_bounds(idx, x.shape[d], d, negative=False, error=RuntimeError)
    if source is not None:
        _dev.same_device_or_raise(input._data, source._data)
        if source._data.dtype != input._data.dtype:
            raise RuntimeError(f"{name}(): self ({input.dtype.name}) and source "
                               f"({source.dtype.name}) must have the same scalar type")
        want = x.shape[:d] + (idx.shape[0],) + x.shape[d + 1:]
        got = source.shape if source.ndim or not input.ndim else (1,)
        if got != want:
            raise RuntimeError(f"{name}(): source tensor shape must match self tensor shape, "
                               f"excluding the specified dimension, with {idx.shape[0]} "
                               f"indices along it. Got self.shape = {list(input.shape)} "
                               f"source.shape = {list(source.shape)}")
    return x, (slice(None),) * d + (idx,)


def _source(source: Any, name: str) -> Tensor:
    if not isinstance(source, Tensor):
        raise TypeError(f"{name}(): argument 'source' must be Tensor, not "
                        f"{type(source).__name__}")
    return source


def _scaled(source: Tensor, alpha: Number) -> Tensor:
    return source if alpha == 1 else source * alpha


@method()
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *,
              alpha: Number = 1) -> Tensor:
    """A copy of input with ``alpha * source`` added at positions ``index`` along ``dim``
    (repeated indices accumulate)."""
    src = _source(source, "index_add")
    x, key = _index_args(input, dim, index, "index_add", src)
    v = _scaled(src.reshape(1) if not src.ndim else src, alpha)
    return _shaped(IndexPut.apply(x, v, key=key, accumulate=True), input)


@method()
def index_add_(input: Tensor, dim: int, index: Tensor, source: Tensor, *,
               alpha: Number = 1) -> Tensor:
    """In-place ``index_add``."""
    src = _source(source, "index_add_")
    x, key = _index_args(input, dim, index, "index_add_", src)
    return _put_shaped(input, x, key, _scaled(src, alpha), True)


@method()
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of input with the slices at positions ``index`` along ``dim`` replaced by
    ``source``'s."""
    src = _source(source, "index_copy")
    x, key = _index_args(input, dim, index, "index_copy", src)
    return _shaped(IndexPut.apply(x, src, key=key), input)


@method()
def index_copy_(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """In-place ``index_copy``."""
    src = _source(source, "index_copy_")
    x, key = _index_args(input, dim, index, "index_copy_", src)
    return _put_shaped(input, x, key, src, False)


def _fill(input: Tensor, value: Any, name: str) -> Any:
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"{name} only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
        _dev.same_device_or_raise(input._data, value._data)
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{name}(): argument 'value' must be a number or a 0-d Tensor, not "
                        f"{type(value).__name__}")
    return value.item() if isinstance(value, np.generic) else value


@method()
def index_fill(input: Tensor, dim: int, index: Tensor, value: Tensor | Number) -> Tensor:
    """A copy of input with the slices at positions ``index`` along ``dim`` set to
    ``value`` (a number or a 0-d tensor, which receives the summed gradient)."""
    v = _fill(input, value, "index_fill")
    x, key = _index_args(input, dim, index, "index_fill")
    return _shaped(IndexPut.apply(x, v, key=key), input)


@method()
def index_fill_(input: Tensor, dim: int, index: Tensor, value: Tensor | Number) -> Tensor:
    """In-place ``index_fill``."""
    v = _fill(input, value, "index_fill_")
    x, key = _index_args(input, dim, index, "index_fill_")
    return _put_shaped(input, x, key, v, False)

