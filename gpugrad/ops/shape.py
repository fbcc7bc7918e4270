"""Shape ops: reshape/view, flatten, permute/transpose, squeeze/unsqueeze, expand, cat, stack."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._typing import ShapeLike
from ..autograd import Op
from ..tensor import Tensor
from ._registry import method, tensor_property
from .reduce import norm_dims

__all__ = ["reshape", "flatten", "permute", "transpose", "swapaxes", "t", "squeeze",
           "unsqueeze", "broadcast_to", "cat", "concat", "concatenate", "stack"]


class Reshape(Op):
    is_view = True

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
    if free > 1 or builtins.any(d < -1 for d in new) or (
        known != n if not free else (known == 0 or n % known)
    ):
        raise RuntimeError(f"shape '{list(new)}' is invalid for input of size {n}")
    return Reshape.apply(input, shape=new)


@method()
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim`` to ``end_dim`` into one."""
    shape = input.shape
    if not shape:
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


@method("transpose", "swapaxes")
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Dimensions ``dim0`` and ``dim1`` swapped."""
    n = input.ndim
    if n < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return input
    a, b = norm_dims(dim0, n)[0], norm_dims(dim1, n)[0]
    dims = list(range(n))
    dims[a], dims[b] = b, a
    return Permute.apply(input, dims=tuple(dims))


swapaxes = transpose


@method()
def t(input: Tensor) -> Tensor:
    """The transpose of a tensor of at most 2 dimensions."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, -1) if input.ndim == 2 else input


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
    return reshape(input, new) if new != shape else input


@method()
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """A dimension of size 1 inserted at ``dim``."""
    n = input.ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    d = dim % n
    shape = input.shape
    return reshape(input, shape[:d] + (1,) + shape[d:])


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


def _check_seq(tensors: Sequence[Tensor], name: str) -> list[Tensor]:
    seq = list(tensors)
    if not seq:
        raise RuntimeError(f"{name}(): expected a non-empty list of Tensors")
    return seq


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
    return Cat.apply(*seq, dim=d)


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
    return Stack.apply(*seq, dim=d)
