"""``gpugrad.nn.functional``: activations, linear maps, normalization, embeddings, losses and
dropout as functions.

Everything here is a composite of differentiable gpugrad ops (so it runs and trains on every
device) unless it calls an op class from ``gpugrad.ops`` directly (linear, linear_act, the
fused cross-entropy). Losses live in ``_functional_loss`` and are re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _device as _dev
from .. import autograd as _ag
from .. import kernels as _K
from ..ops import activation as _A
from ..ops import compare as _C
from ..ops import nn as _N
from ..ops.activation import gelu as gelu
from ..ops.activation import sigmoid as sigmoid
from ..ops.activation import softplus as softplus
from ..ops.activation import softsign as softsign
from ..ops.activation import tanh as tanh
from ..ops.arith import Mul
from ..ops.compare import clamp, where
from ..ops.reduce import amax
from ..ops.unary import c_type_name, expm1, sqrt, torch_type_name
from ..ops.unary import inplace as _write_inplace
from ..tensor import Tensor, _wrap
from ._functional_extra import (  # noqa: F401  (re-exported)
    celu,
    cosine_similarity,
    glu,
    gumbel_softmax,
    hardsigmoid,
    hardswish,
    logsigmoid,
    pad,
    pairwise_distance,
    scaled_dot_product_attention,
    selu,
    threshold,
)
from ._functional_loss import (  # noqa: F401  (re-exported)
    _check_reduction,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)


def _check_linear_dtypes(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    """PyTorch's errors for operands of different dtypes (no promotion in a linear map)."""
    di, dw = input._data.dtype, weight._data.dtype
    if bias is None:
        if di != dw:
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                               f"{c_type_name(di)} != {c_type_name(dw)}")
        return
    db = bias._data.dtype
    if db != dw:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{torch_type_name(db)} and {torch_type_name(dw)}")
    if di != dw:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{torch_type_name(di)} and {torch_type_name(dw)}")


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``; all operands of one dtype (as PyTorch, no promotion)."""
    _check_linear_dtypes(input, weight, bias)
    if bias is None:
        return _N.Linear.apply(input, weight)
    return _N.Linear.apply(input, weight, bias)


def linear_act(input: Tensor, weight: Tensor, bias: Tensor, activation: str,
               negative_slope: float = 0.01) -> Tensor:
    """``activation(input @ weight.T + bias)`` with the bias-add and activation fused.

    ``activation``: a name of ``gpugrad.kernels.ACTIVATIONS`` (tanh, sigmoid, relu, gelu,
    gelu_tanh, leaky_relu — then with ``negative_slope`` —, softsign).
    """
    _check_linear_dtypes(input, weight, bias)
    spec = _K.ACTIVATIONS.get(activation)
    if spec is None:
        raise ValueError(f"unknown activation {activation!r}; expected one of "
                         f"{sorted(_K.ACTIVATIONS)}")
    params = (float(negative_slope),) if spec.params else ()
    return _N.LinearAct.apply(input, weight, bias, act=activation, params=params)


def _dropout(input: Tensor, p: float) -> Tensor:
    d = input._data
    if p == 1.0:
        return input * 0.0
    keep = _dev.random_uniform(input.device, d.shape, d.dtype) >= p
    mask = keep.astype(d.dtype) * (1.0 / (1.0 - p))
    return Mul.apply(input, mask)


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) (when training).

    ``inplace=True`` writes the result into ``input`` and returns it (PyTorch's in-place
    semantics: a leaf that requires grad is refused).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if inplace:
        return _write_inplace(input, _dropout, p)
    return _dropout(input, p)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)``, elementwise; ``inplace=True`` writes it into ``input`` and returns
    ``input`` (a leaf that requires grad is refused, as in PyTorch)."""
    return _write_inplace(input, _A.relu) if inplace else _A.relu(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` where ``x > 0``, else ``negative_slope * x``; ``inplace=True`` writes the result
    into ``input`` and returns ``input``."""
    if inplace:
        return _write_inplace(input, _A.leaky_relu, negative_slope)
    return _A.leaky_relu(input, negative_slope)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """``exp(x) / sum(exp(x), dim)``, computed stably; ``dtype`` casts the input first."""
    return _N.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """``x - logsumexp(x, dim)``, computed stably; ``dtype`` casts the input first."""
    return _N.log_softmax(input, dim, dtype=dtype)


__all__ = [
    "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "dropout", "elu", "embedding", "gelu", "hardtanh", "huber_loss", "kl_div", "layer_norm",
    "leaky_relu", "linear", "linear_act", "log_softmax", "l1_loss", "mish", "mse_loss",
    "nll_loss", "normalize", "one_hot", "prelu", "relu", "relu6", "sigmoid", "silu",
    "smooth_l1_loss", "softmax", "softmin", "softplus", "softsign", "tanh",
    "pad", "cosine_similarity", "pairwise_distance", "logsigmoid", "selu", "celu", "hardswish",
    "hardsigmoid", "glu", "threshold", "gumbel_softmax", "scaled_dot_product_attention",
]


# --- activations (composites) ----------------------------------------------------------------


# ``inplace=True`` on these writes the result into ``input`` and returns ``input``, as
# PyTorch does (a leaf that requires grad is refused).


def _silu(input: Tensor) -> Tensor:
    return input * sigmoid(input)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """SiLU (swish): ``x * sigmoid(x)``."""
    return _write_inplace(input, _silu) if inplace else _silu(input)


def _mish(input: Tensor) -> Tensor:
    return input * tanh(softplus(input))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """Mish: ``x * tanh(softplus(x))``."""
    return _write_inplace(input, _mish) if inplace else _mish(input)


def _elu(input: Tensor, alpha: float) -> Tensor:
    neg = expm1(clamp(input, max=0.0)) * alpha  # no exp overflow for x > 0
    return where(input > 0, input, neg)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """ELU: ``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    if inplace:
        return _write_inplace(input, _elu, float(alpha))
    return _elu(input, float(alpha))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``x`` clamped to ``[min_val, max_val]``."""
    if min_val > max_val:
        raise ValueError(f"min_val cannot be greater than max_val, got {min_val} > {max_val}")
    if inplace:
        return _write_inplace(input, _hardtanh, float(min_val), float(max_val))
    return _hardtanh(input, float(min_val), float(max_val))


def _hardtanh(input: Tensor, lo: float, hi: float) -> Tensor:
    if isinstance(input, Tensor) and input.dtype.is_floating_point:
        return _C.Hardtanh.apply(input, min=lo, max=hi)
    return clamp(input, lo, hi)  # its checks and dtype rules for anything else


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` where ``x > 0``, else ``weight * x``; ``weight`` has 1 element or one per channel
    (dimension 1 of the input)."""
    n = weight.numel()
    if n != 1:
        if input.ndim < 2 or input.shape[1] != n:
            channels = input.shape[1] if input.ndim >= 2 else 1
            raise RuntimeError(f"prelu: mismatch in parameter count: weight has {n} elements, "
                               f"the input has {channels} channels (dimension 1)")
        weight = weight.reshape((n,) + (1,) * (input.ndim - 2))
    elif weight.ndim:
        weight = weight.reshape(())
    return where(input > 0, input, input * weight)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """``softmax(-x, dim)``; ``dtype`` casts the input first."""
    if dtype is not None:
        input = input.to(dtype)
    return softmax(-input, dim)


# --- normalization and embeddings ------------------------------------------------------------


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Any = None) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim``."""
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported")
    p = float(p)
    if p <= 0:
        raise ValueError(f"normalize: p must be positive, got {p}")
    a = input.abs()
    if math.isinf(p):
        norm = amax(a, dim, keepdim=True)
    else:
        s = (a * a if p == 2.0 else a if p == 1.0 else a ** p).sum(dim, keepdim=True)
        nz = _wrap(s._data > 0, None)
        root = sqrt if p == 2.0 else (lambda v: v) if p == 1.0 else (lambda v: v ** (1.0 / p))
        norm = where(nz, root(where(nz, s, 1.0)), 0.0)  # finite gradient at a zero vector
    return input / clamp(norm, min=float(eps))


def _norm_shape(normalized_shape: int | Sequence[int]) -> tuple[int, ...]:
    if isinstance(normalized_shape, (int, np.integer)):
        return (int(normalized_shape),)
    return tuple(int(n) for n in normalized_shape)


def layer_norm(input: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize over the last ``len(normalized_shape)`` dimensions (biased variance), then
    scale by ``weight`` and shift by ``bias`` (both of ``normalized_shape``).

    One graph node: the statistics are reductions, the normalization and affine map one fused
    pass (the ``norm_fwd`` kernel row), and so is the input gradient's final step
    (``norm_bwd``).
    """
    shape = _norm_shape(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[-k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size "
                           f"{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(t.shape)} and normalized_shape = "
                               f"{list(shape)}")
    return _N.LayerNorm.apply(input, 1.0 if weight is None else weight,
                              0.0 if bias is None else bias, k=k, eps=float(eps))


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel (dimension 1) of an (N, C) or (N, C, L, ...) input.

    Training: with the batch's mean and biased variance; the running statistics (when given)
    are updated in place, ``r = (1 - momentum) r + momentum s``, with the UNBIASED batch
    variance for ``running_var``. Evaluation: with the running statistics. One graph node
    (the fused ``norm_fwd`` / ``norm_bwd`` kernel rows); the running statistics are not
    differentiable.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected an input with at least 2 dimensions (N, C, ...), "
                         f"got {list(input.shape)}")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.requires_grad and _ag.is_grad_enabled():
            raise RuntimeError(f"batch_norm is not differentiable with respect to {name}; it "
                               "cannot have requires_grad=True")
    view = (1, c) + (1,) * (input.ndim - 2)
    x = input._data
    if training:
        count = input.numel() // max(c, 1)
        if count <= 1:
            raise ValueError("Expected more than 1 value per channel when training, got input "
                             f"size {list(input.shape)}")
        mean, var, _ = _N.moments(x, (0,) + tuple(range(2, input.ndim)), float(eps))
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed when not "
                             "training")
        _dev.same_device_or_raise(x, running_mean._data)
        dt = np.float32 if x.dtype == np.float16 else x.dtype  # float16 computes in float32
        mean, var = (t._data.reshape(view).astype(dt) for t in (running_mean, running_var))
    w, b = (p if p is None or p.ndim == 1 else p.reshape(c) for p in (weight, bias))
    y = _N.BatchNorm.apply(input, 1.0 if w is None else w, 0.0 if b is None else b, mean=mean,
                           var=var, batch_stats=training, eps=float(eps))
    if training and running_mean is not None and running_var is not None:
        m = float(momentum)
        with _ag.no_grad():
            bm = _wrap(mean.reshape(c), None)
            bv = _wrap(var.reshape(c), None) * (count / (count - 1))
            running_mean.copy_(running_mean * (1.0 - m) + bm * m)
            running_var.copy_(running_var * (1.0 - m) + bv * m)
    return y


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight`` (V, D) at the integer indices ``input``: shape ``input.shape + (D,)``.

    The row at ``padding_idx`` gets no gradient. ``max_norm``, ``scale_grad_by_freq`` and
    ``sparse`` are not supported.
    """
    if max_norm is not None:
        raise NotImplementedError("embedding: max_norm (renormalizing rows in place) is not "
                                  "supported")
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: scale_grad_by_freq and sparse gradients are not "
                                  "supported")
    if not isinstance(input, Tensor):
        input = _wrap(_dev.to_device(np.asarray(input), weight.device), None)
    idx = input._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"embedding: indices must be an integer tensor (Long, Int), got "
                           f"{input.dtype}")
    _dev.same_device_or_raise(weight._data, idx)
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: weight must be 2-d (num_embeddings, embedding_dim), got "
                           f"{list(weight.shape)}")
    v = weight.shape[0]
    if idx.size and bool(((idx < 0) | (idx >= v)).any()):  # one host sync (CuPy would wrap)
        bad = int(idx[(idx < 0) | (idx >= v)].reshape(-1)[0])
        raise IndexError(f"embedding: index {bad} is out of range for {v} embeddings")
    rows = weight[input]
    if padding_idx is None:
        return rows
    if padding_idx < 0:
        padding_idx += v
    keep = _wrap((idx != padding_idx)[..., None], None)
    return where(keep, rows, rows.detach())


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """An int64 tensor of shape ``tensor.shape + (num_classes,)`` with a 1 at each index
    (``num_classes=-1``: one more than the largest index)."""
    t = tensor._data
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensors, got {tensor.dtype}")
    xp = _dev.array_module(t)
    if t.size and bool((t < 0).any()):
        raise RuntimeError("one_hot: Class values must be non-negative.")
    if num_classes == -1:
        if not t.size:
            raise RuntimeError("one_hot: can not infer total number of classes from an empty "
                               "tensor")
        num_classes = int(t.max()) + 1
    elif t.size and int(t.max()) >= num_classes:
        raise RuntimeError("one_hot: Class values must be smaller than num_classes.")
    return _wrap((t[..., None] == xp.arange(num_classes)).astype(np.int64), None)
