"""Shape ops: reshape/view (and ``*_as``), flatten/unflatten, permute/transpose/movedim,
squeeze/unsqueeze, expand/broadcast, narrow/select, the diagonal family, cat and stack."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _device as _dev
from .. import autograd as _ag
from .. import dtypes as _dt
from .._typing import ShapeLike
from ..autograd import Op
from ..tensor import Tensor
from ._registry import method, tensor_property
from .convert import Cast, clone
from .indexing import Index
from .reduce import norm_dims

__all__ = ["reshape", "flatten", "unflatten", "ravel", "permute", "transpose", "swapaxes",
           "swapdims", "movedim", "moveaxis", "t", "squeeze", "unsqueeze", "broadcast_to",
           "broadcast_tensors", "broadcast_shapes", "narrow", "select", "diagonal", "diag",
           "diag_embed", "diagonal_scatter", "cat", "concat", "concatenate", "stack"]


class Reshape(Op):
    is_view = True
    backward_name = "ViewBackward0"

    def forward(self, x, shape):
        return x.reshape(shape)

    def backward(self, gy):
        return (gy.reshape(self.meta[0][0]),)


class Permute(Op):
    is_view = True

    def forward(self, x, dims):
        self.dims = dims
        return x.transpose(dims)

    def backward(self, gy):
        return (self.xp.transpose(gy, np.argsort(self.dims)),)


class Transpose(Permute):
    """``transpose``: two dimensions swapped."""


class MatrixT(Permute):
    """``t``: a matrix transposed (a vector or scalar: a view of itself)."""

    backward_name = "TBackward0"


class Squeeze(Reshape):
    """``squeeze()``: every dimension of size 1 removed."""

    backward_name = "SqueezeBackward0"


class SqueezeDim(Reshape):
    """``squeeze(dim)``: the dimension ``dim`` removed if of size 1."""

    backward_name = "SqueezeBackward1"


class SqueezeDims(Reshape):
    """``squeeze(dims)``: those of ``dims`` of size 1 removed."""

    backward_name = "SqueezeBackward2"


class Unsqueeze(Reshape):
    """``unsqueeze``: a dimension of size 1 inserted."""

    backward_name = "UnsqueezeBackward0"


class Expand(Op):
    """broadcast_to / expand: the engine sums the gradient back to the input's shape."""

    is_view = True

    def forward(self, x, shape):
        return self.xp.broadcast_to(x, shape)

    def backward(self, gy):
        return (gy,)


class Cat(Op):
    def forward(self, *xs, dim=0):
        self.dim = dim
        self.bounds = np.cumsum([x.shape[dim] for x in xs])[:-1]
        return self.xp.concatenate(xs, axis=dim)

    def backward(self, gy):
        return tuple(self.xp.split(gy, self.bounds, axis=self.dim))


class Stack(Op):
    def forward(self, *xs, dim=0):
        self.dim = dim
        return self.xp.stack(xs, axis=dim)

    def backward(self, gy):
        n = gy.shape[self.dim]
        return tuple(self.xp.take(gy, i, axis=self.dim) for i in range(n))


def _diagonal_view(xp, a, offset, dim1, dim2):
    """The diagonal of ``a`` as a writable view (NumPy's is read-only unless asked)."""
    d = xp.diagonal(a, offset, dim1, dim2)
    if not getattr(d.flags, "writeable", True) and getattr(a.flags, "writeable", False):
        d.flags.writeable = True
    return d


class Diagonal(Op):
    """``diagonal``: a view; its gradient writes gy on the diagonal of zeros."""

    is_view = True

    def forward(self, x, offset, dim1, dim2):
        self.args = (offset, dim1, dim2)
        return _diagonal_view(self.xp, x, offset, dim1, dim2)

    def backward(self, gy):
        shape, dt = self.meta[0]
        g = self.xp.zeros(shape, dt)
        _diagonal_view(self.xp, g, *self.args)[...] = gy
        return (g,)

    def graph_backward(self, gy):
        shape, dt = self.meta[0]
        zeros = _dev.array_module(gy._data).zeros(shape, dt)
        offset, dim1, dim2 = self.args
        return (DiagonalScatter.apply(zeros, gy, offset=offset, dim1=dim1, dim2=dim2),)


class DiagonalScatter(Op):
    """``diagonal_scatter``: x with src on a diagonal (a copy). The gradient of x is gy with
    that diagonal zeroed, that of src the diagonal of gy."""

    def forward(self, x, src, offset, dim1, dim2):
        self.args = (offset, dim1, dim2)
        out = x.copy()
        _diagonal_view(self.xp, out, offset, dim1, dim2)[...] = src
        return out

    def backward(self, gy):
        gx = gsrc = None
        if self.needs[0]:
            gx = gy.copy()
            _diagonal_view(self.xp, gx, *self.args)[...] = 0
        if self.needs[1]:
            gsrc = self.xp.diagonal(gy, *self.args)
        return gx, gsrc

    def graph_backward(self, gy):
        offset, dim1, dim2 = self.args
        gx = gsrc = None
        if self.needs[0]:
            xp = _dev.array_module(gy._data)
            zeros = xp.zeros(xp.diagonal(gy._data, offset, dim1, dim2).shape, gy._data.dtype)
            gx = DiagonalScatter.apply(gy, zeros, offset=offset, dim1=dim1, dim2=dim2)
        if self.needs[1]:
            gsrc = Diagonal.apply(gy, offset=offset, dim1=dim1, dim2=dim2)
        return gx, gsrc


# --- the public functions --------------------------------------------------------------------


def _shape_args(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """``f(2, 3)`` and ``f((2, 3))`` alike, as a tuple of ints (a float is an error)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    out = []
    for s in shape:
        if isinstance(s, builtins.bool) or not hasattr(s, "__index__"):
            raise TypeError(f"sizes and dims must be integers, got {s!r} "
                            f"({type(s).__name__}) in {tuple(shape)}")
        out.append(s.__index__())
    return tuple(out)


def norm_dims_list(dims: tuple[int, ...], ndim: int) -> list[int]:
    """Each dim of ``dims`` in [0, ndim), negatives counted from the end; IndexError otherwise."""
    lo, hi = -builtins.max(ndim, 1), builtins.max(ndim, 1)
    out = []
    for d in dims:
        if not lo <= d < hi:
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, "
                             f"{hi - 1}], but got {d})")
        out.append(d % hi)
    return out


@method("reshape", "view")
def reshape(input: Tensor, *shape: ShapeLike) -> Tensor:
    """The same elements in a new shape (one dimension may be -1: inferred)."""
    new = _shape_args(shape)
    if new == input._data.shape:
        return input if not input.requires_grad else Reshape.apply(input, shape=new)
    n = input.numel()
    known = builtins.int(np.prod([d for d in new if d != -1]))
    free = new.count(-1)
    if free > 1:
        raise RuntimeError(f"shape '{list(new)}': only one dimension can be inferred")
    for d in new:
        if d < -1:
            raise RuntimeError(f"shape '{list(new)}': invalid shape dimension {d}")
    if known != n if not free else (known == 0 or n % known):
        raise RuntimeError(f"shape '{list(new)}' is invalid for input of size {n}")
    return Reshape.apply(input, shape=new)


@method()
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim`` to ``end_dim`` into one."""
    shape = input.shape
    if not shape:
        norm_dims(start_dim, 0), norm_dims(end_dim, 0)  # each must be 0 or -1
        return reshape(input, 1)
    s, e = norm_dims(start_dim, len(shape))[0], norm_dims(end_dim, len(shape))[0]
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    n = builtins.int(np.prod(shape[s:e + 1]))
    return reshape(input, shape[:s] + (n,) + shape[e + 1:])


@method()
def permute(input: Tensor, *dims: ShapeLike) -> Tensor:
    """The dimensions reordered: output dimension i is input dimension ``dims[i]``."""
    n = input.ndim
    given = _shape_args(dims)
    if len(given) != n:
        raise RuntimeError(f"permute(): number of dimensions in the tensor input does not match "
                           f"the length of the desired ordering of dimensions i.e. input.dim() "
                           f"= {n} is not equal to len(dims) = {len(given)}")
    order = norm_dims_list(given, n)
    if sorted(order) != list(range(n)):
        raise RuntimeError(f"permute(): duplicate dims in {list(given)}")
    return Permute.apply(input, dims=order)


@method()
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Dimensions ``dim0`` and ``dim1`` swapped."""
    n = input.ndim
    if n < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return input
    a, b = norm_dims(dim0, n)[0], norm_dims(dim1, n)[0]
    dims = list(range(n))
    dims[a], dims[b] = b, a
    return Transpose.apply(input, dims=tuple(dims))


@method()
def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """``transpose(input, axis0, axis1)`` (NumPy's name)."""
    return transpose(input, axis0, axis1)


@method()
def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """``transpose(input, dim0, dim1)``."""
    return transpose(input, dim0, dim1)


@method()
def t(input: Tensor) -> Tensor:
    """The transpose of a tensor of at most 2 dimensions."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return MatrixT.apply(input, dims=(1, 0) if input.ndim == 2 else tuple(range(input.ndim)))


@tensor_property
def T(input: Tensor) -> Tensor:  # noqa: N802  (PyTorch's name)
    """The tensor with its dimensions reversed."""
    return permute(input, *reversed(range(input.ndim))) if input.ndim > 1 else input


@method()
def squeeze(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """Dimensions of size 1 removed (all of them, or those in ``dim``)."""
    shape = input.shape
    if dim is None:
        new = tuple(n for n in shape if n != 1)
    else:
        axes = norm_dims(dim, len(shape))
        new = tuple(n for i, n in enumerate(shape) if not (i in axes and n == 1))
    if new == shape:
        return input
    op = Squeeze if dim is None else SqueezeDims if isinstance(dim, (tuple, list)) else SqueezeDim
    return op.apply(input, shape=new)


@method()
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """A dimension of size 1 inserted at ``dim``."""
    n = input.ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    d = dim % n
    shape = input.shape
    return Unsqueeze.apply(input, shape=shape[:d] + (1,) + shape[d:])


@method()
def broadcast_to(input: Tensor, size: ShapeLike) -> Tensor:
    """The tensor broadcast to ``size`` (a view; the gradient is summed back)."""
    shape = _shape_args((size,)) if not isinstance(size, builtins.int) else (size,)
    try:
        ok = np.broadcast_shapes(input.shape, shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(
            f"The expanded size of the tensor {list(shape)} is not compatible with the existing "
            f"size {list(input.shape)}"
        )
    return Expand.apply(input, shape=shape)


@method()
def expand(input: Tensor, *sizes: ShapeLike) -> Tensor:
    """``broadcast_to`` with -1 meaning "keep this dimension's size"."""
    new = _shape_args(sizes)
    lead = len(new) - input.ndim
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes ({len(new)}) must be at least the "
                           f"tensor's dimensions ({input.ndim})")
    for i, s in enumerate(new):
        if s == -1 and i < lead:
            raise RuntimeError(f"expand: the expanded size -1 isn't allowed in a leading, "
                               f"non-existing dimension {i} (sizes {list(new)})")
        if s < -1:
            raise RuntimeError(f"expand: invalid size {s} in {list(new)}")
    shape = tuple(input.shape[i - lead] if s == -1 else s for i, s in enumerate(new))
    return broadcast_to(input, shape)


@method()
def view_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.view(other.shape)``."""
    return reshape(input, other.shape)


@method()
def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.reshape(other.shape)``."""
    return reshape(input, other.shape)


@method()
def ravel(input: Tensor) -> Tensor:
    """The elements as a 1-d tensor."""
    return reshape(input, -1)


@method()
def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Dimension ``dim`` split into dimensions of ``sizes`` (one of them may be -1)."""
    dims = norm_dims(dim, input.ndim)
    d = dims[0] if dims else 0  # a 0-d input counts as one element
    new = _shape_args((sizes,)) if not isinstance(sizes, builtins.int) else (sizes,)
    if not new:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = input.shape[d] if input.ndim else 1
    known = builtins.int(np.prod([k for k in new if k != -1]))
    if new.count(-1) > 1 or (known != n if -1 not in new else (known == 0 or n % known)):
        raise RuntimeError(f"unflatten: Provided sizes {list(new)} don't multiply up to the size "
                           f"of dim {dim} ({n}) in the input tensor")
    new = tuple(n // known if k == -1 else k for k in new)
    return reshape(input, input.shape[:d] + new + input.shape[d + 1:])


def _dims_arg(dims: int | Sequence[int], ndim: int, what: str) -> list[int]:
    given = (dims,) if isinstance(dims, (builtins.int, np.integer)) else tuple(dims)
    out = norm_dims_list(_shape_args(given), ndim)
    if len(set(out)) != len(out):
        raise RuntimeError(f"movedim: repeated dim in `{what}` ({list(given)})")
    return out


@method()
def movedim(input: Tensor, source: int | Sequence[int],
            destination: int | Sequence[int]) -> Tensor:
    """Dimensions ``source`` moved to positions ``destination``; the others keep their order."""
    n = input.ndim
    src, dst = _dims_arg(source, n, "source"), _dims_arg(destination, n, "destination")
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} dims)")
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Permute.apply(input, dims=tuple(order)) if order != list(range(n)) else input


@method()
def moveaxis(input: Tensor, source: int | Sequence[int],
             destination: int | Sequence[int]) -> Tensor:
    """``movedim`` (NumPy's name)."""
    return movedim(input, source, destination)


@method()
def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.expand(other.shape)``."""
    return broadcast_to(input, other.shape)


def broadcast_shapes(*shapes: ShapeLike) -> tuple[int, ...]:
    """The shape that tensors of ``shapes`` broadcast to (a RuntimeError if they do not)."""
    norm = [(s,) if isinstance(s, builtins.int) else tuple(s) for s in shapes]
    out: list[int] = []
    for i in range(1, builtins.max((len(s) for s in norm), default=0) + 1):
        sizes = [s[-i] for s in norm if len(s) >= i and s[-i] != 1]
        if builtins.any(k != sizes[0] for k in sizes):
            b = next(k for k in sizes if k != sizes[0])
            n = builtins.max(len(s) for s in norm)
            raise RuntimeError(f"The size of tensor a ({sizes[0]}) must match the size of "
                               f"tensor b ({b}) at non-singleton dimension {n - i}")
        out.insert(0, sizes[0] if sizes else 1)
    return tuple(out)


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors broadcast to their common shape (views; gradients are summed back)."""
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t if t.shape == shape else Expand.apply(t, shape=shape) for t in tensors)


def _index_int(value: Any, what: str) -> int:
    if isinstance(value, builtins.bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{what} must be an integer, got {value!r} ({type(value).__name__})")
    return builtins.int(value.__index__())


@method()
def narrow(input: Tensor, dim: int, start: int | Tensor, length: int) -> Tensor:
    """The view of ``length`` elements from ``start`` (negative: from the end) along ``dim``."""
    d = norm_dims(dim, input.ndim)[0]
    n = input.shape[d]
    s, length = _index_int(start, "narrow(): start"), _index_int(length, "narrow(): length")
    if not -n <= s <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{s})")
    s %= builtins.max(n, 1)
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if s + length > n:
        raise RuntimeError(f"start ({s}) + length ({length}) exceeds dimension size ({n}).")
    return Index.apply(input, key=(slice(None),) * d + (slice(s, s + length),))


@method()
def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The view at position ``index`` along ``dim``, that dimension removed."""
    if not input.ndim:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = norm_dims(dim, input.ndim)[0]
    i, n = _index_int(index, "select(): index"), input.shape[d]
    if not -n <= i < n:
        raise IndexError(f"select(): index {i} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {d}")
    return Index.apply(input, key=(slice(None),) * d + (i,))


def _diag_dims(ndim: int, dim1: int, dim2: int) -> tuple[int, int]:
    a, b = norm_dims_list((dim1, dim2), ndim)
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return a, b


@method()
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The view of the diagonal of the (dim1, dim2) planes (``offset`` > 0: above it), as the
    last dimension."""
    a, b = _diag_dims(input.ndim, dim1, dim2)
    return Diagonal.apply(input, offset=offset, dim1=a, dim2=b)


@method()
def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Tensor:
    """A copy of input with ``src`` written on the diagonal ``diagonal(input, offset, dim1,
    dim2)`` names."""
    a, b = _diag_dims(input.ndim, dim1, dim2)
    _dev.same_device_or_raise(input._data, src._data)
    want = np.diagonal(np.broadcast_to(np.zeros((), bool), input.shape), offset, a, b).shape
    if src.shape != want:
        raise RuntimeError(f"diagonal_scatter(): expected src to have a size equal to the slice "
                           f"of self. src size = {list(src.shape)}, slice size = {list(want)}")
    return DiagonalScatter.apply(input, src, offset=offset, dim1=a, dim2=b)


@method()
def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices (in dimensions ``dim1``, ``dim2`` of the result) whose ``offset`` diagonal is
    input's last dimension; zeros elsewhere."""
    a, b = _diag_dims(input.ndim + 1, dim1, dim2)
    n = input.shape[-1] + builtins.abs(offset)
    shape = list(input.shape[:-1])
    for d in sorted((a, b)):
        shape.insert(d, n)
    zeros = _dev.array_module(input._data).zeros(tuple(shape), input._data.dtype)
    return DiagonalScatter.apply(zeros, input, offset=offset, dim1=a, dim2=b)


@method()
def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-d input as the ``diagonal`` of a square matrix; a 2-d input's ``diagonal`` as a
    1-d tensor (a copy)."""
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return clone(Diagonal.apply(input, offset=diagonal, dim1=0, dim2=1))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


def _check_seq(tensors: Sequence[Tensor], name: str) -> list[Tensor]:
    if isinstance(tensors, Tensor):  # iterating it would join its rows
        raise TypeError(f"{name}(): expected a sequence of Tensors, got a Tensor of shape "
                        f"{list(tensors.shape)}; pass a list, e.g. {name}([a, b])")
    seq = list(tensors)
    if not seq:  # PyTorch: ValueError from cat, RuntimeError from stack
        raise (ValueError if name == "cat" else RuntimeError)(
            f"{name}(): expected a non-empty list of Tensors")
    return seq


def _same_dtype(seq: list[Tensor]) -> list[Tensor]:
    """The tensors of ``seq`` in their promoted dtype (``gpugrad.promote_types`` over all, as
    PyTorch's cat and stack); a cast input gets its gradient back in its own dtype."""
    first = seq[0]._data.dtype
    if builtins.all(x._data.dtype is first for x in seq):
        return seq
    r = seq[0].dtype
    for x in seq[1:]:
        r = _dt.promote_types(r, x.dtype)
    return [x if x._data.dtype == r.np else Cast.apply(x, dtype=r.np) for x in seq]


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension ``dim``."""
    seq = _check_seq(tensors, "cat")
    for i, x in enumerate(seq):
        if not isinstance(x, Tensor):
            raise TypeError(f"cat(): expected a sequence of Tensors, element {i} is "
                            f"{type(x).__name__}")
        if x.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated; use stack, or unsqueeze first")
    d = norm_dims(dim, seq[0].ndim)[0]
    ref = seq[0].shape
    for x in seq[1:]:
        if x.ndim != len(ref) or builtins.any(
                a != b for i, (a, b) in enumerate(zip(x.shape, ref)) if i != d):
            raise RuntimeError(f"cat(): sizes of tensors must match except in dimension {d}, "
                               f"got {list(ref)} and {list(x.shape)}")
    return Cat.apply(*_same_dtype(seq), dim=d)


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join equally shaped tensors along a new dimension ``dim``."""
    seq = _check_seq(tensors, "stack")
    ref = seq[0].shape
    for x in seq[1:]:
        if x.shape != ref:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(ref)} and {list(x.shape)}")
    d = norm_dims(dim, len(ref) + 1)[0]
    return Stack.apply(*_same_dtype(seq), dim=d)


def _restride_(input: Tensor, fn: Any, *args: Any) -> Tensor:
    """``input.op_(*args)`` for a shape op ``fn``: ``input`` becomes ``fn(input, *args)`` (a view
    of its storage; a recorded node when it requires grad, refused on a leaf that does), and
    its version counter is bumped, as PyTorch's metadata-changing in-place ops do."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn.__name__}_(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if _ag.is_grad_enabled() and input._requires_grad:
        input._check_inplace_leaf()
        out = fn(input, *args)
        if out is not input:
            input._data, input._grad_fn, input._version = out._data, out._grad_fn, out._version
    else:
        with _ag.no_grad():
            input._data = fn(input, *args)._data
    input._version.v += 1
    return input


@method()
def unsqueeze_(input: Tensor, dim: int) -> Tensor:
    """``unsqueeze`` in place: ``input`` gets a dimension of size 1 at ``dim``."""
    return _restride_(input, unsqueeze, dim)


@method()
def squeeze_(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """``squeeze`` in place: ``input`` loses its dimensions of size 1 (or those in ``dim``)."""
    return _restride_(input, squeeze, dim)


@method()
def t_(input: Tensor) -> Tensor:
    """``t`` in place: ``input`` (at most 2-d) transposed."""
    return _restride_(input, t)


@method()
def transpose_(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """``transpose`` in place: dimensions ``dim0`` and ``dim1`` of ``input`` swapped."""
    return _restride_(input, transpose, dim0, dim1)


@method("swapaxes_", "swapdims_")
def _swapaxes_(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """``transpose`` in place."""
    return _restride_(input, transpose, dim0, dim1)


@method()
def stride(input: Tensor, dim: int | None = None) -> Any:
    """The step in elements between neighbours along each dimension (a tuple), or along
    ``dim``; a transposed view has swapped strides, as in PyTorch."""
    a = input._data
    steps = tuple(n // a.itemsize for n in a.strides)
    if dim is None:
        return steps
    return steps[norm_dims(dim, max(input.ndim, 1))[0]] if input.ndim else steps[dim]


@tensor_property
def mT(input: Tensor) -> Tensor:  # noqa: N802  (PyTorch's name)
    """The last two dimensions swapped (matrices or batches of them)."""
    if input.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {input.ndim}-D tensor.")
    return transpose(input, -2, -1)


@tensor_property
def mH(input: Tensor) -> Tensor:  # noqa: N802  (PyTorch's name)
    """The conjugate transpose of the last two dimensions: ``mT`` (gpugrad tensors are real)."""
    if input.ndim < 2:
        raise RuntimeError("tensor.mH is only supported on matrices or batches of matrices. "
                           f"Got {input.ndim}-D tensor.")
    return transpose(input, -2, -1)
