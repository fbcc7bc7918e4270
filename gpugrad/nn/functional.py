"""``gpugrad.nn.functional``: activations, linear maps, losses and dropout as functions."""

from __future__ import annotations

import numpy as np

from .. import _device as _dev
from .. import kernels as _K
from ..ops import nn as _N
from ..ops.activation import gelu as gelu
from ..ops.activation import leaky_relu as leaky_relu
from ..ops.activation import relu as relu
from ..ops.activation import sigmoid as sigmoid
from ..ops.activation import softplus as softplus
from ..ops.activation import softsign as softsign
from ..ops.activation import tanh as tanh
from ..ops.arith import Mul
from ..ops.nn import log_softmax as log_softmax
from ..ops.nn import softmax as softmax
from ..tensor import Tensor, _wrap

_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction!r} is not a valid value for reduction; "
                         f"expected one of {_REDUCTIONS}")


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``."""
    if bias is None:
        return _N.Linear.apply(input, weight)
    return _N.Linear.apply(input, weight, bias)


def linear_act(input: Tensor, weight: Tensor, bias: Tensor, activation: str,
               negative_slope: float = 0.01) -> Tensor:
    """``activation(input @ weight.T + bias)`` with the bias-add and activation fused.

    ``activation``: a name of ``gpugrad.kernels.ACTIVATIONS`` (tanh, sigmoid, relu, gelu,
    gelu_tanh, leaky_relu — then with ``negative_slope`` —, softsign).
    """
    spec = _K.ACTIVATIONS.get(activation)
    if spec is None:
        raise ValueError(f"unknown activation {activation!r}; expected one of "
                         f"{sorted(_K.ACTIVATIONS)}")
    params = (float(negative_slope),) if spec.params else ()
    return _N.LinearAct.apply(input, weight, bias, act=activation, params=params)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    _check_reduction(reduction)
    if isinstance(target, Tensor) and target.shape != input.shape:
        raise ValueError(f"mse_loss: input shape {list(input.shape)} and target shape "
                         f"{list(target.shape)} differ")
    d = input - target
    sq = d * d
    if reduction == "none":
        return sq
    return sq.mean() if reduction == "mean" else sq.sum()


def _class_targets(input: Tensor, target, fn: str):
    """(input as (N, C), target as (N,), output shape for reduction='none') with checks."""
    if not isinstance(target, Tensor):
        target = _wrap(_dev.to_device(np.asarray(target), input.device), None)
    if target._data.dtype.kind not in "iu":
        raise TypeError(f"{fn}: target must hold class indices (an integer tensor), got "
                        f"{target.dtype}; probability targets are not supported")
    _dev.same_device_or_raise(input._data, target._data)
    if input.ndim == 0:
        raise ValueError(f"{fn}: input must have a class dimension, got a 0-d tensor")
    if input.ndim == 1:
        if target.ndim != 0:
            raise ValueError(f"{fn}: 1-d input (C,) needs a 0-d target, got {list(target.shape)}")
        return input.unsqueeze(0), target.reshape(1), ()
    if target.shape != (input.shape[0],) + input.shape[2:]:
        raise ValueError(f"{fn}: expected target of shape {[input.shape[0], *input.shape[2:]]} "
                         f"for input of shape {list(input.shape)}, got {list(target.shape)}")
    out_shape = target.shape
    if input.ndim > 2:  # (N, C, d1, ...) -> (N * d1 * ..., C)
        dims = (0, *range(2, input.ndim), 1)
        input = input.permute(*dims).reshape(-1, input.shape[1])
        target = target.reshape(-1)
    return input, target, out_shape


def _check_range(target: Tensor, c: int, ignore_index: int, fn: str) -> bool:
    """Raise IndexError for a class index outside [0, c) (other than ignore_index); return
    whether any target is ignore_index."""
    t = target._data
    if not t.size:
        return False
    outside = (t < 0) | (t >= c)
    if bool(outside.any()):  # the one host sync on CUDA (CuPy would wrap bad indices silently)
        bad = outside & (t != ignore_index)
        if bool(bad.any()):
            v = int(t[bad].reshape(-1)[0])
            raise IndexError(f"{fn}: Target {v} is out of bounds for {c} classes")
        return True
    return 0 <= ignore_index < c and bool((t == ignore_index).any())


def cross_entropy(input: Tensor, target, weight=None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy over class-index targets, as one fused, stable op."""
    _check_reduction(reduction)
    if weight is not None:
        raise NotImplementedError("cross_entropy: class weights are not supported yet")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    x, t, out_shape = _class_targets(input, target, "cross_entropy")
    ignored = _check_range(t, x.shape[1], ignore_index, "cross_entropy")
    loss = _N.CrossEntropy.apply(x, t._data.astype(np.int64, copy=False), reduction=reduction,
                                 label_smoothing=label_smoothing,
                                 ignore_index=ignore_index if ignored else None)
    return loss.reshape(out_shape) if reduction == "none" else loss


def nll_loss(input: Tensor, target, ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` at class indices ``target``."""
    _check_reduction(reduction)
    x, t, out_shape = _class_targets(input, target, "nll_loss")
    _check_range(t, x.shape[1], ignore_index, "nll_loss")
    xp = _dev.array_module(t._data)
    valid = t._data != ignore_index
    rows = xp.arange(x.shape[0])
    picked = x[rows, xp.where(valid, t._data, 0)]
    loss = -picked * valid.astype(x._data.dtype)
    if reduction == "none":
        return loss.reshape(out_shape)
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / float(valid.sum())


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) (when training)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    d = input._data
    if p == 1.0:
        return input * 0.0
    keep = _dev.random_uniform(input.device, d.shape, d.dtype) >= p
    mask = keep.astype(d.dtype) * (1.0 / (1.0 - p))
    return Mul.apply(input, mask)

