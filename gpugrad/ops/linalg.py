"""Linear algebra: matmul (1-d, 2-d, batched, broadcast batches) and its fixed-rank forms mm,
bmm, mv, dot, inner, outer; addmm, addmv, baddbmm; vector and matrix norms (``norm``, and
``gpugrad.linalg``'s ``vector_norm``/``matrix_norm``, built here). Operands of different dtypes
raise as in PyTorch (no promotion), with PyTorch's messages.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _device as _dev
from .._typing import DimLike, DTypeLike, Number
from ..autograd import Op
from ..tensor import Tensor
from ._registry import method
from .compare import where
from .reduce import amax, amin, dim_args, kept, norm_dims
from .reduce import sum as _sum
from .unary import abs as _abs
from .unary import c_type_name, torch_type_name

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "inner", "outer", "ger", "addmm", "addmv",
           "baddbmm", "norm"]


def _batch_error(a: tuple[int, ...], b: tuple[int, ...]) -> RuntimeError | None:
    """PyTorch's error for batch shapes that do not broadcast (None when they do)."""
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and 1 not in (pa[i], pb[i]):
            return RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor "
                                f"b ({pb[i]}) at non-singleton dimension {i}")
    return None


def _shape_check(a, b) -> None:
    """matmul's shape errors, worded as PyTorch's for each rank combination."""
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    k = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if a.ndim == 1 and b.ndim == 1:
        if a.shape[0] != b.shape[0]:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                               f"[{b.shape[0]}] to have the same number of elements, but got "
                               f"{a.shape[0]} and {b.shape[0]} elements respectively")
        return
    if b.ndim == 1:
        if a.shape[-1] != k:
            m = math.prod(a.shape[:-1])
            raise RuntimeError(f"size mismatch, got input ({m}), mat ({m}x{a.shape[-1]}), vec "
                               f"({k})")
        return
    if b.ndim == 2:
        if a.shape[-1] != k:
            m = math.prod(a.shape[:-1]) if a.ndim > 1 else 1
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({m}x{a.shape[-1]} "
                               f"and {b.shape[0]}x{b.shape[1]})")
        return
    err = _batch_error(a.shape[:-2], b.shape[:-2])
    if err is not None:
        raise RuntimeError(f"{err} (matmul: the batch dimensions of {list(a.shape)} and "
                           f"{list(b.shape)} do not broadcast)")
    if a.shape[-1] != k:
        batch = math.prod(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{batch}, {a.shape[-1]}] but got: [{batch}, {k}].")


def _dtype_check(a: Tensor, b: Tensor) -> None:
    """matmul's dtype errors (no promotion between operands), worded as PyTorch's."""
    da, db = a._data.dtype, b._data.dtype
    if da != db:
        if a.ndim == 1 and b.ndim == 1:
            raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                               f"{torch_type_name(da)} and {torch_type_name(db)}")
        if b.ndim == 1:
            raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                               f"{torch_type_name(db)}, {torch_type_name(da)}, and "
                               f"{torch_type_name(db)}")
        if b.ndim == 2:
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                               f"{c_type_name(da)} != {c_type_name(db)}")
        raise RuntimeError(f"expected scalar type {torch_type_name(da)} but found "
                           f"{torch_type_name(db)}")
    if da.kind == "b":
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")


class MatMul(Op):
    saved_inputs = (0, 1)
    per_call_name = True
    backward_name = "MmBackward0"  # after release

    def forward(self, a, b):
        try:
            y = a @ b
        except ValueError:
            y = None
        if y is None:
            _shape_check(a, b)  # raises with PyTorch's wording for the mismatch
            y = a @ b  # or the array module's own error, for anything else
        self.a, self.b = a, b
        return y

    def _call_name(self) -> str:
        # PyTorch's matmul dispatches on the operands' dims; batched products end in a view
        return _MATMUL_NAMES.get((self.a.ndim, self.b.ndim), "UnsafeViewBackward0")

    def backward(self, gy):
        a, b = self.a, self.b
        xp = self.xp
        if a.ndim == 1 and b.ndim == 1:
            return gy * b, gy * a
        a2 = xp.expand_dims(a, 0) if a.ndim == 1 else a
        b2 = xp.expand_dims(b, -1) if b.ndim == 1 else b
        g2 = gy
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        ga = gb = None
        if self.needs[0]:
            ga = xp.matmul(g2, xp.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                ga = ga[..., 0, :]
        if self.needs[1]:
            gb = xp.matmul(xp.swapaxes(a2, -1, -2), g2)
            if b.ndim == 1:
                gb = gb[..., :, 0]
        return ga, gb


_MATMUL_NAMES = {(2, 2): "MmBackward0", (2, 1): "MvBackward0", (1, 1): "DotBackward0",
                 (1, 2): "SqueezeBackward4"}


class Bmm(MatMul):
    """``bmm``: a batch of matrix products."""

    per_call_name = False
    backward_name = "BmmBackward0"


def _tensors(fn: str, *args: Any) -> None:
    for i, a in enumerate(args):
        if not isinstance(a, Tensor):
            raise TypeError(f"{fn}(): argument {i + 1} must be Tensor, not {type(a).__name__}")


@method("matmul", "__matmul__")
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy's rules: 1-d operands, batches, broadcast batch dimensions.
    Both operands must have one dtype (PyTorch does not promote here)."""
    if input.__class__ is not Tensor or other.__class__ is not Tensor:
        _tensors("matmul", input, other)
    da = input._data.dtype
    if da is not other._data.dtype or da.kind == "b":
        _dtype_check(input, other)
    return MatMul.apply(input, other)


@method("__rmatmul__")
def _rmatmul(input: Tensor, other: Tensor) -> Tensor:
    """``other @ input``."""
    if isinstance(other, Tensor):
        _dtype_check(other, input)
    return MatMul.apply(other, input)


@method()
def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """The product of two matrices (2-d only; ``matmul`` broadcasts)."""
    _tensors("mm", input, mat2)
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _dtype_check(input, mat2)
    return MatMul.apply(input, mat2)


@method()
def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of ``(b, n, m)`` and ``(b, m, p)`` tensors (3-d only, no
    broadcasting)."""
    _tensors("bmm", input, mat2)
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    b, _, k = input.shape
    if mat2.shape[:2] != (b, k):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b}, {k}] but got: [{mat2.shape[0]}, {mat2.shape[1]}].")
    _dtype_check(input, mat2)
    return Bmm.apply(input, mat2)


@method()
def mv(input: Tensor, vec: Tensor) -> Tensor:
    """The product of a matrix and a vector."""
    _tensors("mv", input, vec)
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    _dtype_check(input, vec)
    return MatMul.apply(input, vec)


@method()
def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """The dot product of two 1-d tensors."""
    _tensors("dot", input, tensor)
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D "
                           "tensors")
    _dtype_check(input, tensor)
    return MatMul.apply(input, tensor)


@method()
def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum of products over the last dimension of both: ``out[i..., j...] = sum_k
    input[i..., k] * other[j..., k]`` (the dot product for 1-d; a 0-d operand scales)."""
    from .einsum import einsum

    _tensors("inner", input, other)
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(input.shape)} and {list(other.shape)}")
    la = "abcdefghijklmnopqrstuvwxy"[:input.ndim - 1]
    lb = "ABCDEFGHIJKLMNOPQRSTUVWXY"[:other.ndim - 1]
    return einsum(f"{la}z,{lb}z->{la}{lb}", input, other)


@method("outer", "ger")
def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """The outer product ``input[i] * vec2[j]`` of two 1-d tensors (dtypes promote)."""
    _tensors("outer", input, vec2)
    for name, v in (("self", input), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
    return input.reshape((-1, 1)) * vec2


ger = outer


def _scaled_sum(input: Tensor, product: Tensor, beta: Number, alpha: Number) -> Tensor:
    """``beta * input + alpha * product``; with beta == 0 ``input`` is ignored (NaN too)."""
    out = product if alpha == 1 else product * alpha
    if beta == 0:  # zeros that broadcast like input and give it a zero gradient (PyTorch's)
        never = Tensor._wrap(_dev.array_module(input._data).zeros(input.shape, bool))
        return out + where(never, input, 0.0)
    return out + (input if beta == 1 else input * beta)


@method()
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Number = 1,
          alpha: Number = 1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)`` for matrices; ``input`` broadcasts (ignored
    when ``beta`` is 0)."""
    _tensors("addmm", input, mat1, mat2)
    for name, m in (("mat1", mat1), ("mat2", mat2)):
        if m.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {m.ndim}-D tensor")
    if input._data.dtype != mat2._data.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{torch_type_name(input._data.dtype)} and "
                           f"{torch_type_name(mat2._data.dtype)}")
    if mat1._data.dtype != mat2._data.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{torch_type_name(mat1._data.dtype)} and "
                           f"{torch_type_name(mat2._data.dtype)}")
    return _scaled_sum(input, mm(mat1, mat2), beta, alpha)


@method()
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Number = 1,
          alpha: Number = 1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``; ``input`` broadcasts (ignored when ``beta`` is
    0)."""
    _tensors("addmv", input, mat, vec)
    if len({input._data.dtype, mat._data.dtype, vec._data.dtype}) > 1:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{torch_type_name(input._data.dtype)}, "
                           f"{torch_type_name(mat._data.dtype)}, and "
                           f"{torch_type_name(vec._data.dtype)}")
    return _scaled_sum(input, mv(mat, vec), beta, alpha)


@method()
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Number = 1,
            alpha: Number = 1) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``; ``input`` broadcasts (ignored when
    ``beta`` is 0)."""
    _tensors("baddbmm", input, batch1, batch2)
    for t in (batch1, batch2):
        if t._data.dtype != input._data.dtype:
            raise RuntimeError(f"expected scalar type {torch_type_name(input._data.dtype)} but "
                               f"found {torch_type_name(t._data.dtype)}")
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)


# --- norms ------------------------------------------------------------------------------------


class VectorNorm(Op):
    """``sum(|x|^ord) ^ (1/ord)`` over ``dim`` (max |x| for inf, min for -inf, the count of
    nonzeros for 0). Gradients as PyTorch's: 0 where the norm is 0 (and, for ord < 1, where
    x is 0); for ±inf shared by the elements attaining it."""

    saved_inputs = (0,)
    saved_output = True
    nondiff = ("share",)  # the tie shares of the inf norms: piecewise constant

    def forward(self, x, ord=2.0, dim=None, keepdim=False):  # noqa: A002  (PyTorch's name)
        xp = self.xp
        self.axes = axes = norm_dims(dim, x.ndim)
        self.keepdim, self.ord, self.x = keepdim, ord, x
        a = xp.abs(x)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            if ord == math.inf or ord == -math.inf:
                if x.size == 0:
                    raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an "
                                       "empty tensor because the operation does not have an "
                                       "identity")
                y = a.max(axis=axes, keepdims=keepdim) if ord > 0 else \
                    a.min(axis=axes, keepdims=keepdim)
                if self.needs[0]:
                    yk = kept(y, x.shape, axes, keepdim)
                    mask = a == yk
                    self.share = mask / mask.sum(axis=axes, keepdims=True).astype(x.dtype)
            elif ord == 0:
                y = (x != 0).sum(axis=axes, keepdims=keepdim).astype(x.dtype)
            elif ord == 1:
                y = a.sum(axis=axes, keepdims=keepdim)
            elif ord == 2:
                y = xp.sqrt((x * x).sum(axis=axes, keepdims=keepdim))
            else:
                y = (a ** ord).sum(axis=axes, keepdims=keepdim) ** (1.0 / ord)
        return xp.asarray(y, dtype=x.dtype)

    def backward(self, gy):
        xp, x, p = self.xp, self.x, self.ord
        shape = self.meta[0][0]
        g = kept(gy, shape, self.axes, self.keepdim)
        y = kept(self._out, shape, self.axes, self.keepdim)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            if p == 0:
                return (xp.zeros_like(x),)
            if p == 1:
                return (g * xp.sign(x),)
            if p == math.inf or p == -math.inf:
                return (g * xp.sign(x) * self.share,)
            safe = xp.where(y == 0, 1.0, y)  # no 0/0 (in this or a higher derivative)
            if p == 2:
                return (g * (x / safe),)
            a = xp.abs(x)
            scaled = xp.sign(x) * xp.where(x == 0, 0.0, xp.where(x == 0, 1.0, a) ** (p - 1))
            return (xp.where(y == 0, 0.0, g * scaled / safe ** (p - 1)),)


def _ord_value(ord: Any) -> float:  # noqa: A002
    if isinstance(ord, str) or isinstance(ord, bool) or not isinstance(ord, (int, float)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
                        f"{type(ord).__name__}")
    return float(ord)


def vector_norm(x: Tensor, ord: float = 2, dim: DimLike = None,  # noqa: A002
                keepdim: bool = False, *, dtype: DTypeLike | None = None) -> Tensor:
    """The vector ``ord``-norm over ``dim`` (all elements by default): ``sum(|x|^ord)^(1/ord)``,
    ``max|x|`` for inf, ``min|x|`` for -inf, the number of nonzeros for 0."""
    if not isinstance(x, Tensor):
        raise TypeError(f"linalg.vector_norm(): argument 'input' must be Tensor, not "
                        f"{type(x).__name__}")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {torch_type_name(x._data.dtype)}")
    p = _ord_value(ord)
    if dtype is not None:
        from .reduce import _with_dtype

        x = _with_dtype(x, dtype)
    return VectorNorm.apply(x, ord=p, dim=dim, keepdim=keepdim)


class SingularValues(Op):
    """The singular values of (a batch of) matrices, largest first. The gradient of
    ``sum(gy * s)`` is ``U diag(gy) V^T``; on Tensors it is ``SvdValsGrad`` (differentiable
    again, for distinct nonzero singular values)."""

    saved_inputs = (0,)

    def forward(self, a):
        u, s, vh = self.xp.linalg.svd(a, full_matrices=False)
        self.a = a
        if self.needs[0]:
            self.u, self.vh = u, vh
        return s

    def backward(self, gy):
        return (self.xp.matmul(self.u * self.xp.expand_dims(gy, -2), self.vh),)

    def graph_backward(self, gy):
        return (SvdValsGrad.apply(self.a, gy),)


def _mt(x):
    return x.swapaxes(-1, -2)


class SvdValsGrad(Op):
    """``U diag(g) V^T`` of the thin SVD ``A = U S V^T``: the gradient of the singular values,
    as a function of ``A`` and ``g``. Its gradient is the SVD's (PyTorch's ``svd_backward``)
    for the cotangents ``U-bar = C V diag(g)`` and ``V-bar = C^T U diag(g)``; it needs the
    singular values to be distinct and nonzero, as PyTorch's does."""

    def forward(self, a, g):
        xp = self.xp
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        self.u, self.s, self.vh = u, s, vh
        self.g = g
        return xp.matmul(u * xp.expand_dims(g, -2), vh)

    def backward(self, c):
        xp = self.xp
        u, s, vh, g = self.u, self.s, self.vh, self.g
        v = _mt(vh)
        m, n, k = u.shape[-2], v.shape[-2], s.shape[-1]
        ut_c_v = xp.matmul(xp.matmul(_mt(u), c), v)
        gg = xp.diagonal(ut_c_v, axis1=-2, axis2=-1) if self.needs[1] else None
        ga = None
        if self.needs[0]:
            g_row = xp.expand_dims(g, -2)
            gu = xp.matmul(c, v) * g_row  # U-bar
            gv = xp.matmul(_mt(c), u) * g_row  # V-bar
            uh_gu, vh_gv = xp.matmul(_mt(u), gu), xp.matmul(_mt(v), gv)
            s2 = s * s
            e = xp.expand_dims(s2, -2) - xp.expand_dims(s2, -1)  # E_jk = s_k^2 - s_j^2
            eye = xp.eye(k, dtype=bool)
            e = xp.where(eye, 1.0, e)
            with np.errstate(divide="ignore", invalid="ignore"):
                inner = ((uh_gu - _mt(uh_gu)) / e) * xp.expand_dims(s, -2) \
                    + xp.expand_dims(s, -1) * ((vh_gv - _mt(vh_gv)) / e)
                ga = xp.matmul(xp.matmul(u, inner), vh)
                if m > k:
                    ga = ga + xp.matmul((gu - xp.matmul(u, uh_gu)) / xp.expand_dims(s, -2), vh)
                if n > k:
                    ga = ga + xp.matmul(u, _mt((gv - xp.matmul(v, vh_gv))
                                                / xp.expand_dims(s, -2)))
        return ga, gg

    def graph_backward(self, c):
        raise NotImplementedError("third derivatives of singular values (nuclear and spectral "
                                  "norms) are not implemented")


def _matrix_dims(dim: Any, ndim: int) -> tuple[int, int]:
    if isinstance(dim, (int, np.integer)) or len(tuple(dim)) != 2:
        got = " ".join(str(d) for d in ((dim,) if isinstance(dim, (int, np.integer)) else dim))
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {got}")
    d0, d1 = (int(d) for d in dim)
    for d in (d0, d1):
        norm_dims(d, ndim)
    d0, d1 = d0 % ndim, d1 % ndim
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    return d0, d1


def matrix_norm(A: Tensor, ord: Any = "fro", dim: tuple[int, int] = (-2, -1),  # noqa: A002,N803
                keepdim: bool = False, *, dtype: DTypeLike | None = None) -> Tensor:
    """The matrix norm over the two dimensions ``dim``: ``'fro'`` (Frobenius), ``'nuc'`` (the
    sum of singular values), ``1``/``-1`` (max/min column sum of ``|A|``), ``inf``/``-inf``
    (max/min row sum), ``2``/``-2`` (largest/smallest singular value)."""
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg.matrix_norm(): argument 'input' must be Tensor, not "
                        f"{type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    if A._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.matrix_norm: Expected a floating point or complex tensor as "
                           f"input. Got {torch_type_name(A._data.dtype)}")
    d0, d1 = _matrix_dims(dim, A.ndim)
    x = A
    if dtype is not None:
        from .reduce import _with_dtype

        x = _with_dtype(x, dtype)
    if ord == "fro":
        return VectorNorm.apply(x, ord=2.0, dim=(d0, d1), keepdim=keepdim)
    out_shape = tuple(n for i, n in enumerate(x.shape) if i not in (d0, d1))
    if ord in ("nuc", 2, -2):
        rest = [i for i in range(x.ndim) if i not in (d0, d1)]
        s = SingularValues.apply(x.permute(*rest, d0, d1))
        r = _sum(s, -1) if ord == "nuc" else (amax(s, -1) if ord == 2 else amin(s, -1))
    elif ord in (1, -1, math.inf, -math.inf):
        inner_dim, outer_dim = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = _sum(_abs(x), inner_dim, keepdim=True)
        r = amax(sums, outer_dim, keepdim=True) if ord > 0 else amin(sums, outer_dim,
                                                                       keepdim=True)
        r = r.reshape(out_shape)
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if keepdim:
        r = r.reshape(tuple(1 if i in (d0, d1) else n for i, n in enumerate(x.shape)))
    return r


def linalg_norm(A: Tensor, ord: Any = None, dim: DimLike = None,  # noqa: A002,N803
                keepdim: bool = False, *, dtype: DTypeLike | None = None) -> Tensor:
    """``torch.linalg.norm``: a vector norm (``dim`` an int, or a 1-d input) or a matrix norm
    (``dim`` a 2-tuple, or a 2-d input with ``ord`` given); with neither ``ord`` nor ``dim``,
    the 2-norm of all elements."""
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg.norm(): argument 'input' must be Tensor, not "
                        f"{type(A).__name__}")
    if dim is not None:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        if isinstance(ord, str):
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                               f"{' '.join(str(d) for d in dims)}")
        return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim == 2:
        return matrix_norm(A, ord, (0, 1), keepdim, dtype=dtype)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D "
                       f"or 2D. Got {A.ndim}D.")


@method()
def norm(input: Tensor, p: Any = "fro", dim: DimLike = None, keepdim: bool = False,
         dtype: DTypeLike | None = None, *, axis: DimLike = None,
         keepdims: bool | None = None) -> Tensor:
    """The norm of ``input``: ``p`` a number is the vector p-norm over ``dim`` (all elements by
    default; ``inf``/``-inf``: max/min of ``|x|``); ``'fro'`` the 2-norm over ``dim`` (at most
    two dimensions); ``'nuc'`` the nuclear norm of a matrix (``dim`` two dimensions)."""
    dim, keepdim = dim_args("norm", dim, axis, keepdim, keepdims)
    if not isinstance(input, Tensor):
        raise TypeError(f"norm(): argument 'input' must be Tensor, not {type(input).__name__}")
    dims = None if dim is None else ((dim,) if isinstance(dim, (int, np.integer)) else tuple(dim))
    if p is None:
        p = "fro"
    if isinstance(p, str):
        if p == "fro" and (dims is None or len(dims) <= 2):
            return vector_norm(input, 2, dims, keepdim, dtype=dtype)
        if p == "nuc" or p == "fro":
            every = dims if dims is not None else tuple(range(input.ndim))
            if len(every) != 2:
                raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                                   f"{' '.join(str(d) for d in every)}")
            return matrix_norm(input, p, every, keepdim, dtype=dtype)
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    return vector_norm(input, p, dims, keepdim, dtype=dtype)

