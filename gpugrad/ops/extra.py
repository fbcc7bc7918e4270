"""Distances, contractions and counting: ``cdist``, ``dist``, ``cosine_similarity``,
``pairwise_distance``, ``tensordot``, ``trace``, ``cross``, ``logit``, the triangle index
pairs, ``searchsorted`` / ``bucketize`` and ``bincount``.

The differentiable ones are composites of differentiable ops (norms, products, slicing,
``clamp``, ``log``), so their gradients of any order follow from those; the index-valued ones
(``tril_indices``, ``searchsorted``, ``bucketize``, ``bincount``) compute on the device's array
module and are not differentiable (as in PyTorch).
"""

from __future__ import annotations

import numbers
from collections import namedtuple
from typing import Any

import numpy as np

from .. import _device as _dev
from .. import dtypes as _dt
from .._typing import DeviceLike, DTypeLike
from ..autograd import Op
from ..tensor import Tensor
from ._registry import method
from .compare import clamp, where
from .linalg import vector_norm
from .shape import diagonal, stack
from .unary import floating, log, log1p

__all__ = ["cdist", "dist", "cosine_similarity", "pairwise_distance", "tensordot", "trace",
           "cross", "logit", "tril_indices", "triu_indices", "searchsorted", "bucketize",
           "bincount", "inverse", "det", "logdet", "slogdet"]


def _need(x: Any, fn: str, arg: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' must be Tensor, not {type(x).__name__}")
    return x


# --- distances -------------------------------------------------------------------------------


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The ``p``-norm distance between each row of ``x1`` (..., P, M) and each row of ``x2``
    (..., R, M): shape (..., P, R), the batch dimensions broadcast."""
    _need(x1, "cdist", "x1"), _need(x2, "cdist", "x2")
    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    for x in (x1, x2):
        if x._data.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, X{1 + (x is x2)} got: "
                               f"{x.dtype}")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return vector_norm(diff, float(p), -1)


@method()
def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The ``p``-norm of ``input - other`` (broadcast), over all elements."""
    return vector_norm(_need(input, "dist", "input") - other, float(p))


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 * x2, dim) / (max(||x1||, eps) * max(||x2||, eps))``, the inputs broadcast
    against each other."""
    _need(x1, "cosine_similarity", "x1"), _need(x2, "cosine_similarity", "x2")
    n1 = clamp(vector_norm(x1, 2, dim, keepdim=True), min=float(eps))
    n2 = clamp(vector_norm(x2, 2, dim, keepdim=True), min=float(eps))
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """The ``p``-norm of ``x1 - x2 + eps`` along the last dimension (the inputs broadcast)."""
    _need(x1, "pairwise_distance", "x1"), _need(x2, "pairwise_distance", "x2")
    dim = max(x1.ndim, x2.ndim) - 1
    diff = x1 - x2 + float(eps)
    if dim < 0:
        return vector_norm(diff, float(p))
    return vector_norm(diff, float(p), dim, keepdim=keepdim)


# --- contractions ----------------------------------------------------------------------------


def tensordot(a: Tensor, b: Tensor, dims: Any = 2, out: Any = None) -> Tensor:
    """Sum the products of ``a`` and ``b`` over the dimensions ``dims`` names: an int ``n``
    (``a``'s last ``n`` with ``b``'s first ``n``) or a pair of lists ``(dims_a, dims_b)``."""
    if out is not None:
        raise NotImplementedError("tensordot: out= is not supported")
    _need(a, "tensordot", "a"), _need(b, "tensordot", "b")
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, numbers.Integral):
        n = int(dims)
        if n < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={n}")
        if n > a.ndim or n > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={n}")
        da, db = list(range(a.ndim - n, a.ndim)), list(range(n))
    else:
        if len(dims) != 2:
            raise RuntimeError("tensordot expects dims to be an int or a pair of lists")
        da, db = ([int(d)] if isinstance(d, numbers.Integral) else [int(i) for i in d]
                  for d in dims)
        if len(da) != len(db):
            raise RuntimeError(f"both dimension lists should have same length, got {len(da)} "
                               f"and {len(db)}")
        da = [d + a.ndim if d < 0 else d for d in da]
        db = [d + b.ndim if d < 0 else d for d in db]
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[i]} in dim {i} and second has size {b.shape[j]} in "
                               f"dim {j}")
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    k = int(np.prod([a.shape[d] for d in da], dtype=np.int64))
    sa = [a.shape[d] for d in free_a]
    sb = [b.shape[d] for d in free_b]
    am = a.permute(*free_a, *da).reshape(int(np.prod(sa, dtype=np.int64)), k)
    bm = b.permute(*db, *free_b).reshape(k, int(np.prod(sb, dtype=np.int64)))
    return (am @ bm).reshape(*sa, *sb)


@method()
def trace(input: Tensor) -> Tensor:
    """The sum of a matrix's main diagonal (integer inputs sum to int64, as ``sum``)."""
    _need(input, "trace", "input")
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return diagonal(input).sum()


@method()
def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (the inputs broadcast); ``dim=None``: the
    first dimension of size 3 (PyTorch's deprecated default; ``linalg.cross`` uses -1)."""
    _need(input, "cross", "input"), _need(other, "cross", "other")
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    nd = input.ndim
    shape = tuple(np.broadcast_shapes(tuple(input.shape), tuple(other.shape)))
    if dim is None:
        dim = next((d for d in range(nd) if shape[d] == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    d = dim + nd if dim < 0 else dim
    if not 0 <= d < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, "
                         f"{nd - 1}], but got {dim})")
    return _cross(input, other, d, nd, "linalg.cross")


def _cross(a: Tensor, b: Tensor, d: int, nd: int, fn: str) -> Tensor:
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    da, db = d - (nd - a.ndim), d - (nd - b.ndim)
    sa = a.shape[da] if da >= 0 else 1
    sb = b.shape[db] if db >= 0 else 1
    if sa != 3 or sb != 3:
        raise RuntimeError(f"{fn}: inputs dimension {d - nd} must have length 3. Got {sa} and "
                           f"{sb}")
    a0, a1, a2 = (a.select(da, i) for i in range(3))
    b0, b1, b2 = (b.select(db, i) for i in range(3))
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


@method()
def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """``log(x / (1 - x))``; with ``eps``, ``x`` is first clamped to ``[eps, 1 - eps]`` (and
    gets no gradient outside it)."""
    x = floating(_need(input, "logit", "input"), "logit")
    if eps is not None:
        x = clamp(x, float(eps), 1.0 - float(eps))
    return log(x) - log1p(-x)


# --- index-valued ----------------------------------------------------------------------------


def _tri_indices(row: int, col: int, offset: int, dtype: DTypeLike | None,
                 device: DeviceLike | None, lower: bool) -> Tensor:
    from ..creation import tensor

    for name, v in (("row", row), ("col", col), ("offset", offset)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            fn = "tril_indices" if lower else "triu_indices"
            raise TypeError(f"{fn}(): argument '{name}' must be int, not {type(v).__name__}")
    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got{row}" if row < 0
                           else f"col must be non-negative, got{col}")
    keep = np.tri(row, col, offset, dtype=bool) if lower else ~np.tri(row, col, offset - 1,
                                                                       dtype=bool)
    dt = _dt.int64 if dtype is None else dtype
    return tensor(np.stack(np.nonzero(keep)).reshape(2, -1), dtype=dt, device=device)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: DTypeLike | None = None,
                 device: DeviceLike | None = None, layout: Any = None) -> Tensor:
    """The (2, N) row and column indices of the lower triangle of a ``row`` x ``col`` matrix
    (diagonal ``offset`` and below), row by row."""
    return _tri_indices(row, col, offset, dtype, device, True)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: DTypeLike | None = None,
                 device: DeviceLike | None = None, layout: Any = None) -> Tensor:
    """The (2, N) row and column indices of the upper triangle of a ``row`` x ``col`` matrix
    (diagonal ``offset`` and above), row by row."""
    return _tri_indices(row, col, offset, dtype, device, False)


def _as_values(v: Any, like: Tensor) -> Any:
    if isinstance(v, Tensor):
        _dev.same_device_or_raise(like._data, v._data)
        return v._data
    if isinstance(v, (bool, numbers.Number)):
        return _dev.to_device(np.asarray(v), like.device)
    raise TypeError(f"expected a Tensor or a number, got {type(v).__name__}")


def searchsorted(sorted_sequence: Tensor, input: Tensor | float, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None,
                 sorter: Tensor | None = None) -> Tensor:
    """Where each value of ``input`` would be inserted into ``sorted_sequence`` (sorted along
    its last dimension) to keep it sorted: the first such index, or the last with
    ``right=True`` / ``side='right'``. A 1-d sequence serves every value; an N-d one pairs its
    rows with ``input``'s (same leading dimensions). int64 (int32 with ``out_int32``)."""
    seq = _need(sorted_sequence, "searchsorted", "sorted_sequence")
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to "
                               "opposites, got side of left while right was True")
        right = side == "right"
    s = seq._data
    v = _as_values(input, seq)
    if sorter is not None:
        _need(sorter, "searchsorted", "sorter")
        if tuple(sorter.shape) != tuple(seq.shape):
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same "
                               f"size, but got boundary tensor {list(seq.shape)}and got sorter "
                               f"tensor {list(sorter.shape)}")
        xp0 = _dev.array_module(s)
        s = xp0.take_along_axis(s, sorter._data, axis=-1)
    if s.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or "
                           "the first N-1 dimensions of boundaries tensor and input value "
                           "tensor must match, but we got boundaries tensor [] and input value "
                           f"tensor {list(v.shape)}")
    if s.ndim > 1 and (v.ndim != s.ndim or v.shape[:-1] != s.shape[:-1]):
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or "
                           "the first N-1 dimensions of boundaries tensor and input value "
                           f"tensor must match, but we got boundaries tensor {list(s.shape)} and "
                           f"input value tensor {list(v.shape)}")
    xp = _dev.array_module(s)
    how = "right" if right else "left"
    if s.ndim == 1:
        out = xp.searchsorted(s, v, side=how)
    else:
        rows_s = s.reshape(-1, s.shape[-1])
        rows_v = v.reshape(-1, v.shape[-1])
        out = xp.stack([xp.searchsorted(rows_s[i], rows_v[i], side=how)
                        for i in range(rows_s.shape[0])]).reshape(v.shape) if rows_s.shape[0] \
            else xp.zeros(v.shape, dtype=np.int64)
    return Tensor._wrap(xp.asarray(out).astype(np.int32 if out_int32 else np.int64))


def bucketize(input: Tensor | float, boundaries: Tensor, *, out_int32: bool = False,
              right: bool = False) -> Tensor:
    """The bucket of each value of ``input`` among the 1-d sorted ``boundaries``: the index
    ``i`` with ``boundaries[i-1] < x <= boundaries[i]`` (``right=True``:
    ``boundaries[i-1] <= x < boundaries[i]``)."""
    b = _need(boundaries, "bucketize", "boundaries")
    if b.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({b.ndim})")
    return searchsorted(b, input, out_int32=out_int32, right=right)


@method()
def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value ``0..max(input)`` occurs in the 1-d non-negative integer
    ``input`` (at least ``minlength`` bins); with ``weights``, the sum of the weights of each
    value's positions (float64 unless the weights are float32/float16, as PyTorch)."""
    x = _need(input, "bincount", "input")._data
    if x.dtype.kind not in "iu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for "
                                  f"'{_torch_name(x.dtype)}'")
    if x.ndim != 1 or (x.size and bool((x < 0).any())):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    xp = _dev.array_module(x)
    if weights is None:
        return Tensor._wrap(xp.bincount(x, minlength=int(minlength)).astype(np.int64))
    w = _need(weights, "bincount", "weights")
    if w.requires_grad:
        from .. import autograd as _ag

        if _ag.is_grad_enabled():
            raise RuntimeError("derivative for aten::bincount is not implemented")
    if tuple(w.shape) != tuple(x.shape):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    _dev.same_device_or_raise(x, w._data)
    dt = w._data.dtype if w._data.dtype in (np.float32, np.float16) else np.float64
    out = xp.bincount(x, weights=w._data.astype(np.float64), minlength=int(minlength))
    return Tensor._wrap(out.astype(dt))


def _torch_name(dt: np.dtype) -> str:
    from .unary import torch_type_name

    return torch_type_name(dt)


def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """``linalg.cross``: the cross product of 3-vectors along ``dim`` (default -1)."""
    _need(input, "linalg.cross", "input"), _need(other, "linalg.cross", "other")
    nd = max(input.ndim, other.ndim)
    d = dim + nd if dim < 0 else dim
    if not 0 <= d < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, "
                         f"{nd - 1}], but got {dim})")
    return _cross(input, other, d, nd, "linalg.cross")



# --- linear algebra: inverse, solve, determinants, Cholesky ------------------------------------


class LinAlgError(RuntimeError):
    """A linear-algebra routine could not finish (a singular or not positive-definite matrix);
    a ``RuntimeError``, as ``torch.linalg.LinAlgError``."""


def _square(a: Tensor, fn: str, arg: str = "A") -> Tensor:
    _need(a, fn, arg)
    if a.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor {arg} must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{fn}: {arg} must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")
    if a._data.dtype.kind != "f":
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got "
                           f"{_torch_name(a._data.dtype)}")
    return a


def _lapack(fn: str, what: str, call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except np.linalg.LinAlgError:
        raise LinAlgError(f"{fn}: {what}") from None


_SINGULAR = "The input matrix is singular, the computation could not be completed."


def _mT(x: Any) -> Any:  # noqa: N802
    return x.swapaxes(-1, -2)


class Inverse(Op):
    """``A^-1``; the gradient ``-A^-T gy A^-T`` uses only the output."""

    saved_output = True

    def forward(self, a):
        return _lapack("linalg.inv", _SINGULAR, self.xp.linalg.inv, a)

    def backward(self, gy):
        y = self._out
        yt = y.swapaxes(-1, -2)
        return (-(self.xp.matmul(self.xp.matmul(yt, gy), yt)),)


class Solve(Op):
    """``X = A^-1 B`` for (..., n, n) ``A`` and (..., n, k) ``B`` of the same batch shape:
    ``gB = A^-T gy``, ``gA = -gB X^T``."""

    saved_inputs = (0,)
    saved_output = True

    def forward(self, a, b):
        self.a = a
        return _lapack("linalg.solve", _SINGULAR, self.xp.linalg.solve, a, b)

    def backward(self, gy):
        gb = self.xp.linalg.solve(_mT(self.a), gy)
        return (-self.xp.matmul(gb, _mT(self._out)) if self.needs[0] else None, gb)

    def graph_backward(self, gy):
        gb = Solve.apply(self.a.mT, gy)
        return (-(gb @ self._out.mT) if self.needs[0] else None, gb)


class Det(Op):
    """``det(A)``: gradient ``gy det(A) A^-T`` (``A`` invertible)."""

    saved_inputs = (0,)
    saved_output = True

    def forward(self, a):
        self.a = a
        return self.xp.linalg.det(a)

    def backward(self, gy):
        xp = self.xp
        scale = xp.expand_dims(xp.expand_dims(gy * self._out, -1), -1)
        return (scale * _mT(_lapack("linalg.det", "the gradient needs an invertible matrix",
                                    xp.linalg.inv, self.a)),)

    def graph_backward(self, gy):
        return ((gy * self._out).unsqueeze(-1).unsqueeze(-1) * Inverse.apply(self.a).mT,)


class LogAbsDet(Op):
    """``log|det(A)|``: gradient ``gy A^-T``."""

    saved_inputs = (0,)

    def forward(self, a):
        self.a = a
        return self.xp.linalg.slogdet(a)[1]

    def backward(self, gy):
        xp = self.xp
        g = xp.expand_dims(xp.expand_dims(gy, -1), -1)
        return (g * _mT(_lapack("linalg.slogdet", "the gradient needs an invertible matrix",
                                xp.linalg.inv, self.a)),)

    def graph_backward(self, gy):
        return (gy.unsqueeze(-1).unsqueeze(-1) * Inverse.apply(self.a).mT,)


def _chol_grad(el: Any, gl: Any, inv: Any, tril: Any, matmul: Any) -> Any:
    """``L^-T Phi(L^T gL) L^-1`` with ``Phi`` the lower triangle, its diagonal halved
    (Murray 2016), as PyTorch's ``cholesky_backward``."""
    phi = tril(matmul(_mT(el), gl))
    phi = (phi + _mT(tril(phi, -1))) * 0.5
    li = inv(el)
    return matmul(matmul(_mT(li), phi), li)


class Cholesky(Op):
    """The lower Cholesky factor ``L`` of a symmetric positive-definite ``A = L L^T``."""

    saved_output = True

    def forward(self, a):
        return _lapack("linalg.cholesky", "The factorization could not be completed because "
                       "the input is not positive-definite.", self.xp.linalg.cholesky, a)

    def backward(self, gy):
        xp = self.xp

        def tril(x, k=0):
            n = x.shape[-1]
            return xp.where(xp.tri(n, n, k, dtype=bool), x, 0.0)

        return (_chol_grad(self._out, gy, xp.linalg.inv, tril, xp.matmul),)

    def graph_backward(self, gy):
        xp = _dev.array_module(gy._data)

        def tril(x, k=0):
            n = x.shape[-1]
            with _dev.on_device(x.device):
                keep = xp.tri(n, n, k, dtype=bool)
            return where(Tensor._wrap(keep), x, 0.0)

        return (_chol_grad(self._out, gy, Inverse.apply, tril, lambda a, b: a @ b),)


@method("inverse")
def inverse(input: Tensor) -> Tensor:
    """The inverse of a square matrix (or of each of a batch); differentiable."""
    return Inverse.apply(_square(input, "linalg.inv"))


def linalg_solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:  # noqa: N803
    """``X`` with ``A X = B`` (``left=False``: ``X A = B``); ``B`` a matrix (..., n, k) or a
    vector (n,) / (..., n); batch dimensions broadcast. Differentiable in both."""
    _square(A, "linalg.solve")
    _need(B, "linalg.solve", "B")
    if not left:
        return linalg_solve(A.mT, B.mT).mT
    n = A.shape[-1]
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    b = B.unsqueeze(-1) if vector else B
    if b.shape[-2] != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({A.shape[-2]}x{A.shape[-1]} and {b.shape[-2]}x{b.shape[-1]})")
    if B._data.dtype != A._data.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {_torch_name(A._data.dtype)} and B of type "
                           f"{_torch_name(B._data.dtype)} instead")
    batch = tuple(np.broadcast_shapes(tuple(A.shape[:-2]), tuple(b.shape[:-2])))
    a = A if tuple(A.shape[:-2]) == batch else A.expand(*batch, n, n)
    if tuple(b.shape[:-2]) != batch:
        b = b.expand(*batch, *b.shape[-2:])
    x = Solve.apply(a, b)
    return x.squeeze(-1) if vector else x


@method()
def det(input: Tensor) -> Tensor:
    """The determinant of a square matrix (or of each of a batch); differentiable where the
    matrix is invertible."""
    return Det.apply(_square(input, "linalg.det"))


SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])


@method()
def slogdet(input: Tensor) -> Any:
    """``(sign, logabsdet)`` of the determinant; ``logabsdet`` differentiable where the
    matrix is invertible (``sign`` is not)."""
    a = _square(input, "linalg.slogdet")
    sign = Tensor._wrap(_dev.array_module(a._data).linalg.slogdet(a._data)[0])
    return SlogdetResult(sign, LogAbsDet.apply(a))


@method()
def logdet(input: Tensor) -> Tensor:
    """``log(det(A))``: NaN where the determinant is negative, -inf where it is zero."""
    sign, lad = slogdet(input)
    return where(sign < 0, float("nan"), lad)


def linalg_cholesky(A: Tensor, *, upper: bool = False) -> Tensor:  # noqa: N803
    """The Cholesky factor of a symmetric positive-definite matrix: lower ``L`` with
    ``A = L L^T`` (``upper=True``: ``L^T``); differentiable. Only the lower triangle of ``A``
    is read."""
    el = Cholesky.apply(_square(A, "linalg.cholesky"))
    return el.mT if upper else el


@method("cholesky")
def _cholesky_method(input: Tensor, upper: bool = False) -> Tensor:
    """``cholesky(upper=False)``: the Cholesky factor (PyTorch's deprecated ``torch.cholesky``
    argument order)."""
    return linalg_cholesky(input, upper=upper)


def _no_grad_input(a: Tensor, fn: str) -> None:
    from .. import autograd as _ag

    if a.requires_grad and _ag.is_grad_enabled():
        raise NotImplementedError(f"{fn}: the gradient is not implemented in gpugrad; call it "
                                  "on a detached tensor or under no_grad")


QRResult = namedtuple("QRResult", ["Q", "R"])
EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])


def linalg_qr(A: Tensor, mode: str = "reduced") -> Any:  # noqa: N803
    """``(Q, R)`` with ``A = Q R``, ``Q`` orthonormal columns, ``R`` upper triangular
    (``mode``: 'reduced', 'complete' or 'r'). Not differentiable in gpugrad."""
    _need(A, "linalg.qr", "A")
    if A.ndim < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    _no_grad_input(A, "linalg.qr")
    xp = _dev.array_module(A._data)
    if mode == "r":
        r = xp.linalg.qr(A._data, mode="r")
        return QRResult(Tensor._wrap(xp.zeros((0,), dtype=A._data.dtype)), Tensor._wrap(r))
    q, r = xp.linalg.qr(A._data, mode=mode)
    return QRResult(Tensor._wrap(q), Tensor._wrap(r))


def linalg_eigh(A: Tensor, UPLO: str = "L") -> Any:  # noqa: N803
    """``(eigenvalues, eigenvectors)`` of a symmetric matrix, eigenvalues ascending (only the
    ``UPLO`` triangle is read). Not differentiable in gpugrad."""
    a = _square(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    _no_grad_input(a, "linalg.eigh")
    w, v = _dev.array_module(a._data).linalg.eigh(a._data, UPLO=UPLO)
    return EighResult(Tensor._wrap(w), Tensor._wrap(v))


def linalg_svd(A: Tensor, full_matrices: bool = True, *, driver: str | None = None) -> Any:  # noqa: N803
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``, singular values descending. Not
    differentiable in gpugrad (``linalg.svdvals`` is)."""
    _need(A, "linalg.svd", "A")
    if A.ndim < 2:
        raise RuntimeError(f"linalg.svd: The input tensor A must have at least 2 dimensions. "
                           f"Got {A.ndim} dimensions.")
    _no_grad_input(A, "linalg.svd")
    u, s, vh = _dev.array_module(A._data).linalg.svd(A._data, full_matrices=full_matrices)
    return SVDResult(Tensor._wrap(u), Tensor._wrap(s), Tensor._wrap(vh))
