"""Arranging tensors: into pieces (``split``, ``chunk``, ``tensor_split``, ``unbind``: views),
joined in NumPy's ways (``hstack``, ``vstack``, ``column_stack``, ``dstack``,
``atleast_*d``), repeated (``repeat``, ``tile``) and reordered (``flip``, ``roll``)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _device as _dev
from .._typing import ShapeLike
from ..autograd import Op
from ..tensor import Tensor
from ._registry import method
from .indexing import Gather, Index
from .reduce import norm_dims
from .shape import _shape_args, cat, reshape, select

__all__ = ["split", "chunk", "tensor_split", "unbind", "hstack", "vstack", "column_stack",
           "dstack", "atleast_1d", "atleast_2d", "atleast_3d", "tile", "flip", "fliplr",
           "flipud", "roll", "repeat_interleave", "diff"]


class Repeat(Op):
    """``repeat``: input tiled ``reps`` times per dimension; the gradient sums the tiles."""

    def forward(self, x, reps):
        self.reps = reps
        shape = (1,) * (len(reps) - x.ndim) + x.shape
        self.padded = shape
        return self.xp.tile(x.reshape(shape), reps)

    def backward(self, gy):
        # gy's dimension i is (reps[i], padded[i]) flattened: sum over every reps axis
        split = builtins.sum(((r, n) for r, n in zip(self.reps, self.padded)), ())
        g = gy.reshape(split).sum(tuple(range(0, len(split), 2)))  # positional: Tensors too
        return (g.reshape(self.meta[0][0]),)


class Flip(Op):
    """``flip`` (a copy, as in PyTorch); the gradient is flipped back."""

    def forward(self, x, dims):
        self.dims = dims
        return self.xp.flip(x, dims).copy()

    def backward(self, gy):
        return (self.xp.flip(gy, self.dims),)


def _roll(xp: Any, a: Any, shift: int, axis: int) -> Any:
    """``a`` rolled by ``shift`` along ``axis``, by slicing and concatenating only."""
    n = a.shape[axis]
    s = shift % n if n else 0
    if not s:
        return a
    head = (slice(None),) * axis
    return xp.concatenate((a[head + (slice(n - s, None),)], a[head + (slice(0, n - s),)]), axis)


class Roll(Op):
    """``roll``: elements shifted along dimensions (or the flattened tensor), wrapping
    around; the gradient is rolled back."""

    def forward(self, x, shifts, dims):
        self.shifts, self.dims = shifts, dims
        if dims is None:
            return self.xp.roll(x.reshape(-1), shifts[0]).reshape(x.shape)
        return self.xp.roll(x, shifts, dims)

    def backward(self, gy):
        if self.dims is None:
            return (_roll(self.xp, gy.reshape(-1), -self.shifts[0], 0).reshape(gy.shape),)
        for s, d in zip(self.shifts, self.dims):
            gy = _roll(self.xp, gy, -s, d)
        return (gy,)


# --- pieces ----------------------------------------------------------------------------------


def _pieces(input: Tensor, d: int, sizes: Sequence[int]) -> tuple[Tensor, ...]:
    """Views of consecutive blocks of ``sizes`` along dimension ``d``."""
    out, start = [], 0
    for n in sizes:
        out.append(Index.apply(input, key=(slice(None),) * d + (slice(start, start + n),)))
        start += n
    return tuple(out)


def _dim_1d(input: Tensor, dim: int, name: str) -> int:
    if not input.ndim:
        raise RuntimeError(f"{name} expects at least a 1-dimensional tensor")
    return norm_dims(dim, input.ndim)[0]


def split(tensor: Tensor, split_size_or_sections: int | Sequence[int],
          dim: int = 0) -> tuple[Tensor, ...]:
    """Views of blocks along ``dim``: each ``split_size_or_sections`` long (the last maybe
    shorter), or of the sizes listed (which must add up to the dimension's size)."""
    d = _dim_1d(tensor, dim, "split")
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, (builtins.int, np.integer)):
        size = builtins.int(split_size_or_sections)
        if size < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got "
                               f"split_size={size}")
        if size == 0 and n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        count = builtins.max(-(-n // size) if size else 1, 1)
        sizes = [size] * (count - 1) + [n - size * (count - 1)]
    else:
        sizes = list(_shape_args((split_size_or_sections,)))
        if builtins.any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative "
                               f"entries, but got split_sizes={sizes}")
        if builtins.sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got "
                               f"split_sizes={sizes}")
    return _pieces(tensor, d, sizes)


@method("split")
def _split(input: Tensor, split_size: int | Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
    """``gpugrad.split(self, split_size, dim)``."""
    return split(input, split_size, dim)


@method()
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most ``chunks`` views along ``dim``, each ``ceil(size / chunks)`` long (the last
    maybe shorter)."""
    d = _dim_1d(input, dim, "chunk")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input.shape[d]
    if n == 0:
        return _pieces(input, d, [0] * chunks)
    return split(input, -(-n // chunks), d)


@method()
def tensor_split(input: Tensor, indices_or_sections: int | Sequence[int] | Tensor,
                 dim: int = 0) -> tuple[Tensor, ...]:
    """Views along ``dim``: ``sections`` nearly equal parts (the first ``size % sections``
    one longer), or the parts between the listed ``indices`` (as Python slices cut)."""
    d = _dim_1d(input, dim, "tensor_split")
    arg: Any = indices_or_sections
    if isinstance(arg, Tensor):
        if arg._data.dtype.kind not in "iu" or arg.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a 0-d or "
                               f"1-d integer tensor, but got a {arg.ndim}-d {arg.dtype.name} "
                               "tensor")
        arg = arg.item() if arg.ndim == 0 else arg.tolist()
    n = input.shape[d]
    if isinstance(arg, (builtins.int, np.integer)):
        k = builtins.int(arg)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        q, r = divmod(n, k)
        return _pieces(input, d, [q + 1] * r + [q] * (k - r))
    cuts = [0, *_shape_args((arg,)), None]
    head = (slice(None),) * d
    return tuple(Index.apply(input, key=head + (slice(a, b),)) for a, b in zip(cuts, cuts[1:]))


@method()
def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The views along ``dim``, that dimension removed."""
    if not input.ndim:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = norm_dims(dim, input.ndim)[0]
    return tuple(select(input, d, i) for i in range(input.shape[d]))


# --- NumPy's stacking ------------------------------------------------------------------------


def _grown(shape: tuple[int, ...], n: int) -> tuple[int, ...]:
    """``shape`` with at least ``n`` dimensions, as NumPy's ``atleast_{n}d`` grows it."""
    if len(shape) >= n:
        return shape
    if n == 3 and len(shape) == 1:
        return (1, shape[0], 1)
    if n == 3 and len(shape) == 2:
        return (*shape, 1)
    return (1,) * (n - len(shape)) + shape


def _at_least(tensors: tuple[Any, ...], n: int) -> Any:
    """One tensor in, one out; several (or one list/tuple of them) in, a tuple out."""
    seq = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    out = tuple(t if t.ndim >= n else reshape(t, _grown(t.shape, n)) for t in seq)
    return out[0] if len(tensors) == 1 and isinstance(tensors[0], Tensor) else out


def atleast_1d(*tensors: Any) -> Any:
    """Each tensor with at least 1 dimension (a 0-d one becomes shape (1,)); one tensor in,
    one out, else a tuple."""
    return _at_least(tensors, 1)


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor with at least 2 dimensions (leading dimensions of size 1 added)."""
    return _at_least(tensors, 2)


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor with at least 3 dimensions: (n,) becomes (1, n, 1), (m, n) (m, n, 1)."""
    return _at_least(tensors, 3)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join column-wise: along dimension 1, or 0 for 1-d tensors (0-d count as 1-d)."""
    seq = atleast_1d(list(tensors))
    return cat(seq, 0 if builtins.all(t.ndim == 1 for t in seq) else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join row-wise: 1-d (and 0-d) tensors become rows, then ``cat`` along dimension 0."""
    return cat(atleast_2d(list(tensors)), 0)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Join as columns: 0-d and 1-d tensors become columns, then ``cat`` along dimension 1."""
    seq = [reshape(t, (t.numel(), 1)) if t.ndim < 2 else t for t in tensors]
    return cat(seq, 1)


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join depth-wise: ``atleast_3d`` each, then ``cat`` along dimension 2."""
    return cat(atleast_3d(list(tensors)), 2)


# --- repeat, tile, flip, roll ----------------------------------------------------------------


@method()
def repeat(input: Tensor, *sizes: ShapeLike) -> Tensor:
    """The tensor tiled ``sizes[i]`` times along dimension i (more sizes than dimensions add
    leading dimensions)."""
    reps = _shape_args(sizes)
    if len(reps) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           f"of dimensions of tensor ({list(reps)} for shape "
                           f"{list(input.shape)})")
    if builtins.any(r < 0 for r in reps):
        raise RuntimeError(f"Trying to create tensor with negative dimension: repeats "
                           f"{list(reps)}")
    return Repeat.apply(input, reps=reps)


@method()
def tile(input: Tensor, dims: ShapeLike) -> Tensor:
    """``repeat`` with ``dims`` padded with leading 1s to the tensor's dimensions."""
    reps = _shape_args((dims,)) if not isinstance(dims, builtins.int) else (dims,)
    return repeat(input, (1,) * (input.ndim - len(reps)) + reps)


def flip(input: Tensor, dims: ShapeLike) -> Tensor:
    """The elements in reverse order along each of ``dims`` (a copy)."""
    given = (dims,) if isinstance(dims, builtins.int) else tuple(dims)
    return Flip.apply(input, dims=norm_dims(given, input.ndim) if given else ())


@method("flip")
def _flip(input: Tensor, *dims: ShapeLike) -> Tensor:
    """``gpugrad.flip(self, dims)``; the dims may be given one by one."""
    return flip(input, _shape_args(dims))


@method()
def fliplr(input: Tensor) -> Tensor:
    """Flipped along dimension 1 (left/right)."""
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


@method()
def flipud(input: Tensor) -> Tensor:
    """Flipped along dimension 0 (up/down)."""
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


@method()
def roll(input: Tensor, shifts: ShapeLike, dims: ShapeLike | None = None) -> Tensor:
    """Elements shifted by ``shifts`` along ``dims`` (wrapping around); with no dims, along
    the flattened tensor (then reshaped back)."""
    sh = (shifts,) if isinstance(shifts, builtins.int) else _shape_args((shifts,))
    if dims is None:
        if len(sh) != 1:
            raise RuntimeError(f"roll: with no dims, shifts must be one number (got {list(sh)})")
        return Roll.apply(input, shifts=sh, dims=None)
    ds = (dims,) if isinstance(dims, builtins.int) else _shape_args((dims,))
    if len(sh) != len(ds):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:"
                           f"{len(ds)}")
    lo, hi = -builtins.max(input.ndim, 1), builtins.max(input.ndim, 1)
    for d in ds:
        if not lo <= d < hi:
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, "
                             f"{hi - 1}], but got {d})")
    if not input.ndim:
        return Roll.apply(input, shifts=sh[:1], dims=None)
    return Roll.apply(input, shifts=sh, dims=tuple(d % hi for d in ds))


@method()
def repeat_interleave(input: Tensor, repeats: Tensor | int | None = None,
                      dim: int | None = None, *, output_size: int | None = None) -> Tensor:
    """Each element (or slice along ``dim``; of the flattened tensor when ``dim`` is None)
    repeated ``repeats`` times (an int, or a tensor of one count per element); with
    ``repeats`` omitted, ``input`` holds the counts and the result repeats their indices."""
    if repeats is None:
        counts = input._data
        if counts.ndim != 1 or counts.dtype.kind not in "iu":
            raise RuntimeError("repeat_interleave: repeats must be a 1-d integer tensor")
        xp = _dev.array_module(counts)
        reps = _dev.to_host(counts).tolist()  # CuPy's repeat takes host counts
        return Tensor._wrap(xp.repeat(xp.arange(counts.shape[0], dtype=np.int64), reps))
    x = input if dim is not None else reshape(input, (-1,))
    d = norm_dims(dim, x.ndim)[0] if dim is not None else 0
    n = x.shape[d]
    xp = _dev.array_module(x._data)
    if isinstance(repeats, Tensor):
        r = repeats._data
        if r.dtype.kind not in "iu" or r.ndim > 1:
            raise RuntimeError("repeat_interleave: repeats must be an int or a 0-d or 1-d "
                               "integer tensor")
        if r.ndim == 1 and r.shape[0] != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {r.shape[0]} and input.size({d}) = {n}")
        r = _dev.to_host(r).tolist()  # CuPy's repeat takes host counts
        if builtins.any(k < 0 for k in (r if isinstance(r, list) else [r])):
            raise RuntimeError("repeats can not be negative")
    else:
        r = builtins.int(repeats)
        if r < 0:
            raise RuntimeError("repeats can not be negative")
    idx = xp.repeat(xp.arange(n), r)
    if output_size is not None and idx.shape[0] != output_size:
        raise RuntimeError(f"repeat_interleave: output_size {output_size} does not match the "
                           f"{idx.shape[0]} repeated elements")
    return Gather.apply(x, key=(slice(None),) * d + (idx,))


@method()
def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The ``n``-th forward difference ``x[i + 1] - x[i]`` along ``dim``, after ``prepend``
    and ``append`` are joined on (bool tensors: ``x[i + 1] != x[i]``)."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = norm_dims(dim, input.ndim)[0]
    parts = [t for t in (prepend, input, append) if t is not None]
    x = cat(parts, d) if len(parts) > 1 else input
    head = (slice(None),) * d
    for _ in range(n):
        m = x.shape[d]
        if m == 0:
            break
        hi = Index.apply(x, key=head + (slice(1, m),))
        lo = Index.apply(x, key=head + (slice(0, m - 1),))
        x = (hi != lo) if x._data.dtype.kind == "b" else hi - lo
    return x
