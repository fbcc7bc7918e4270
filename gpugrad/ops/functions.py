"""The user-facing op functions: ``gpugrad.NAME`` and the matching ``Tensor`` methods.

Each is a thin layer over an op class: argument handling in PyTorch's style, then ``apply``.
"""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from .. import _device as _dev
from ..tensor import Tensor, _wrap
from . import elementwise as E
from . import linalg as L
from . import nn as N
from . import reduce as R
from . import shape as S

# --- elementwise -----------------------------------------------------------------------------


def add(input, other, *, alpha=1):
    """``input + alpha * other``."""
    return E.Add.apply(input, other if alpha == 1 else other * alpha)


def sub(input, other, *, alpha=1):
    """``input - alpha * other``."""
    return E.Sub.apply(input, other if alpha == 1 else other * alpha)


def mul(input, other):
    return E.Mul.apply(input, other)


def div(input, other):
    return E.Div.apply(input, other)


def pow(input, exponent):  # noqa: A001
    return E.Pow.apply(input, exponent)


def rsub(input, other):
    return E.Sub.apply(other, input)


def rdiv(input, other):
    return E.Div.apply(other, input)


def rpow(input, other):
    return E.Pow.apply(other, input)


def rmatmul(input, other):
    return L.MatMul.apply(other, input)


def neg(input):
    return E.Neg.apply(input)


def abs(input):  # noqa: A001
    return E.Abs.apply(input)


def exp(input):
    return E.Exp.apply(input)


def log(input):
    return E.Log.apply(input)


def sqrt(input):
    return E.Sqrt.apply(input)


def sin(input):
    return E.Sin.apply(input)


def cos(input):
    return E.Cos.apply(input)


def tanh(input):
    return E.Tanh.apply(input)


def sigmoid(input):
    return E.Sigmoid.apply(input)


def relu(input):
    return E.Relu.apply(input)


def leaky_relu(input, negative_slope=0.01):
    return E.LeakyRelu.apply(input, slope=float(negative_slope))


def gelu(input, approximate="none"):
    if approximate == "none":
        return E.Gelu.apply(input)
    if approximate == "tanh":
        return E.GeluTanh.apply(input)
    raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")


def softplus(input, beta=1.0, threshold=20.0):
    return E.Softplus.apply(input, beta=float(beta), threshold=float(threshold))


def clamp(input, min=None, max=None):  # noqa: A002
    """Limit values to [min, max]; the gradient flows where min <= x <= max."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    return E.Clamp.apply(input, min=min, max=max)


clip = clamp


def maximum(input, other):
    return E.Maximum.apply(input, other)


def minimum(input, other):
    return E.Minimum.apply(input, other)


def where(condition, input, other):
    cond = condition if isinstance(condition, Tensor) else None
    if cond is None:
        like = input if isinstance(input, Tensor) else other
        cond = _wrap(_dev.to_device(np.asarray(condition), like.device), None)
    if cond.dtype.name != "bool":
        cond = cond != 0
    return E.Where.apply(cond, input, other)


def clone(input):
    return E.Clone.apply(input)


# --- comparisons (no gradient) ---------------------------------------------------------------


def _compare(ufunc):
    def compare(input, other):
        if other is None:
            return False
        b = other._data if isinstance(other, Tensor) else other
        if isinstance(other, Tensor):
            _dev.same_device_or_raise(input._data, b)
        return _wrap(ufunc(input._data, b), None)

    compare.__name__ = ufunc.__name__
    return compare


eq = _compare(np.equal)
ne = _compare(np.not_equal)
lt = _compare(np.less)
le = _compare(np.less_equal)
gt = _compare(np.greater)
ge = _compare(np.greater_equal)



def _pair(input, other):
    b = other._data if isinstance(other, Tensor) else other
    if isinstance(other, Tensor):
        _dev.same_device_or_raise(input._data, b)
    return input._data, b


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise ``|input - other| <= atol + rtol * |other|`` as a bool tensor."""
    a, b = _pair(input, other)
    return _wrap(_dev.array_module(a).isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan),
                 None)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """True when every element is close (``isclose``); shapes must broadcast."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other) -> bool:
    """True when both tensors have the same shape and elements."""
    a, b = _pair(input, other)
    return a.shape == getattr(b, "shape", ()) and bool((a == b).all())


# --- reductions ------------------------------------------------------------------------------

MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])


def sum(input, dim=None, keepdim=False):  # noqa: A001
    if input._data.dtype.kind != "f":
        return _wrap(input._data.sum(axis=R.norm_dims(dim, input.ndim), keepdims=keepdim), None)
    return R.Sum.apply(input, dim=dim, keepdim=keepdim)


def mean(input, dim=None, keepdim=False):
    if not input.dtype.is_floating_point:
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be floating point, "
            f"but got {input.dtype}"
        )
    return R.Mean.apply(input, dim=dim, keepdim=keepdim)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    correction = _correction(unbiased, correction)
    return R.Var.apply(input, dim=dim, correction=correction, keepdim=keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return sqrt(var(input, dim, unbiased, keepdim, correction=correction))


def amax(input, dim=(), keepdim=False):
    return R.AMax.apply(input, dim=None if dim == () else dim, keepdim=keepdim)


def amin(input, dim=(), keepdim=False):
    return R.AMin.apply(input, dim=None if dim == () else dim, keepdim=keepdim)


def _arg(input, dim, keepdim, largest):
    a = input._data
    f = a.argmax if largest else a.argmin
    if dim is None:
        idx = f()
        if keepdim:
            idx = idx.reshape((1,) * a.ndim)
    else:
        (axis,) = R.norm_dims(dim, a.ndim) or (0,)
        idx = f(axis=axis, keepdims=keepdim) if a.ndim else f()
    return _wrap(_dev.array_module(a).asarray(idx, dtype=np.int64), None)


def argmax(input, dim=None, keepdim=False):
    return _arg(input, dim, keepdim, True)


def argmin(input, dim=None, keepdim=False):
    return _arg(input, dim, keepdim, False)


def _max_min(input, dim, keepdim, largest):
    if isinstance(dim, Tensor):  # torch.max(a, b) is the elementwise maximum
        return maximum(input, dim) if largest else minimum(input, dim)
    if dim is None:
        return amax(input) if largest else amin(input)
    cls, res = (R.MaxDim, MaxResult) if largest else (R.MinDim, MinResult)
    values = cls.apply(input, dim=dim, keepdim=keepdim)
    return res(values, _arg(input, dim, keepdim, largest))


def max(input, dim=None, keepdim=False):  # noqa: A001
    return _max_min(input, dim, keepdim, True)


def min(input, dim=None, keepdim=False):  # noqa: A001
    return _max_min(input, dim, keepdim, False)


def logsumexp(input, dim, keepdim=False):
    return R.LogSumExp.apply(input, dim=dim, keepdim=keepdim)


# --- shape -----------------------------------------------------------------------------------


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def reshape(input, *shape):
    shape = _shape_args(shape)
    if shape == input._data.shape:
        return input if not input.requires_grad else S.Reshape.apply(input, shape=shape)
    n = input.numel()
    known = int(np.prod([d for d in shape if d != -1]))
    free = shape.count(-1)
    if free > 1 or builtins.any(d < -1 for d in shape) or (
        known != n if not free else (known == 0 or n % known)
    ):
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {n}")
    return S.Reshape.apply(input, shape=shape)


view = reshape


def flatten(input, start_dim=0, end_dim=-1):
    shape = input.shape
    if not shape:
        return reshape(input, 1)
    s, e = R.norm_dims(start_dim, len(shape))[0], R.norm_dims(end_dim, len(shape))[0]
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    n = int(np.prod(shape[s:e + 1]))
    return reshape(input, shape[:s] + (n,) + shape[e + 1:])


def permute(input, *dims):
    n = input.ndim
    dims = tuple(d % builtins.max(n, 1) for d in _shape_args(dims))
    if sorted(dims) != list(range(n)):
        raise RuntimeError(f"permute(): dims {dims} are not a permutation of {n} dims")
    return S.Permute.apply(input, dims=dims)


def transpose(input, dim0, dim1):
    n = input.ndim
    if n < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return input
    a, b = R.norm_dims(dim0, n)[0], R.norm_dims(dim1, n)[0]
    dims = list(range(n))
    dims[a], dims[b] = b, a
    return S.Permute.apply(input, dims=tuple(dims))


def t(input):
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, -1) if input.ndim == 2 else input


def squeeze(input, dim=None):
    shape = input.shape
    if dim is None:
        new = tuple(n for n in shape if n != 1)
    else:
        axes = R.norm_dims(dim, len(shape))
        new = tuple(n for i, n in enumerate(shape) if not (i in axes and n == 1))
    return reshape(input, new) if new != shape else input


def unsqueeze(input, dim):
    n = input.ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    d = dim % n
    shape = input.shape
    return reshape(input, shape[:d] + (1,) + shape[d:])


def broadcast_to(input, shape):
    shape = _shape_args((shape,)) if not isinstance(shape, int) else (shape,)
    try:
        ok = np.broadcast_shapes(input.shape, shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(
            f"The expanded size of the tensor {list(shape)} is not compatible with the existing "
            f"size {list(input.shape)}"
        )
    return S.Expand.apply(input, shape=shape)


def expand(input, *sizes):
    sizes = _shape_args(sizes)
    lead = len(sizes) - input.ndim
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes ({len(sizes)}) must be at least the "
                           f"tensor's dimensions ({input.ndim})")
    shape = tuple(input.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return broadcast_to(input, shape)


def _check_seq(tensors, name):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{name}(): expected a non-empty list of Tensors")
    return tensors


def cat(tensors, dim=0):
    tensors = _check_seq(tensors, "cat")
    d = R.norm_dims(dim, tensors[0].ndim)[0]
    ref = tensors[0].shape
    for t_ in tensors[1:]:
        if t_.ndim != len(ref) or any(a != b for i, (a, b) in enumerate(zip(t_.shape, ref))
                                      if i != d):
            raise RuntimeError(f"cat(): sizes of tensors must match except in dimension {d}, "
                               f"got {list(ref)} and {list(t_.shape)}")
    return S.Cat.apply(*tensors, dim=d)


concat = cat


def stack(tensors, dim=0):
    tensors = _check_seq(tensors, "stack")
    ref = tensors[0].shape
    for t_ in tensors[1:]:
        if t_.shape != ref:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(ref)} and {list(t_.shape)}")
    d = R.norm_dims(dim, len(ref) + 1)[0]
    return S.Stack.apply(*tensors, dim=d)


def _index_key(input, key):
    """The key with Tensors and lists as arrays on input's device; and whether it is advanced."""
    items = key if isinstance(key, tuple) else (key,)
    out, advanced = [], False
    for k in items:
        if isinstance(k, Tensor):
            _dev.same_device_or_raise(input._data, k._data)
            k = k._data
        elif isinstance(k, (list, np.ndarray)):
            k = _dev.to_device(np.asarray(k), input.device)
        if not (k is None or k is Ellipsis or isinstance(k, (slice, int, np.integer))):
            if getattr(k, "ndim", 1) == 0 and k.dtype.kind in "iu":
                k = int(k)
            else:
                if k.dtype.kind not in "iub":
                    raise IndexError("tensors used as indices must be long, int or bool tensors")
                advanced = True
        out.append(k)
    return (tuple(out) if isinstance(key, tuple) or len(out) != 1 else out[0]), advanced


def getitem(input, key):
    key, advanced = _index_key(input, key)
    try:
        return (S.Gather if advanced else S.Index).apply(input, key=key)
    except IndexError as e:
        raise IndexError(f"{e} (indexing a tensor of shape {list(input.shape)})") from None


# --- linear algebra and nn -------------------------------------------------------------------


def matmul(input, other):
    return L.MatMul.apply(input, other)


def _dim(dim, ndim):
    if dim is None:  # PyTorch's legacy default for softmax
        return 0 if ndim in (0, 1, 3) else 1
    return R.norm_dims(dim, ndim)[0]


def softmax(input, dim=None):
    return N.Softmax.apply(input, dim=_dim(dim, input.ndim))


def log_softmax(input, dim=None):
    return N.LogSoftmax.apply(input, dim=_dim(dim, input.ndim))
