"""The loss functions of ``gpugrad.nn.functional`` (re-exported there), PyTorch's definitions.

Each is a composite of differentiable gpugrad ops except unweighted class-index
``cross_entropy``, which is one fused op. ``reduction`` is 'none', 'mean' or 'sum' everywhere
('batchmean' too for ``kl_div``); the deprecated ``size_average``/``reduce`` pair still works.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _device as _dev
from ..ops import nn as _N
from ..ops.activation import softplus
from ..ops.compare import where
from ..ops.nn import log_softmax
from ..ops.unary import log
from ..tensor import Tensor, _wrap

_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction: str, allowed: tuple[str, ...] = _REDUCTIONS) -> None:
    if reduction not in allowed:
        raise ValueError(f"{reduction!r} is not a valid value for reduction; "
                         f"expected one of {allowed}")


def _legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """PyTorch's mapping of the deprecated ``size_average``/``reduce`` to ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  "reduction='mean', 'sum' or 'none' instead.", UserWarning, stacklevel=3)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _as_tensor(value: Any, like: Tensor, name: str) -> Tensor:
    """``value`` as a Tensor on ``like``'s device (numbers and arrays take ``like``'s dtype)."""
    if isinstance(value, Tensor):
        _dev.same_device_or_raise(like._data, value._data)
        return value
    arr = np.asarray(value)
    if arr.dtype.kind in "fc" or arr.dtype.kind == "O":
        arr = arr.astype(like._data.dtype)
    return _wrap(_dev.to_device(arr, like.device), None)


def _float_target(input: Tensor, target: Any, fn: str, message: str) -> Tensor:
    """``target`` as a floating Tensor of ``input``'s shape (the binary cross-entropies):
    ValueError ``message`` on another shape, as in PyTorch."""
    target = _as_tensor(target, input, "target")
    if not target.is_floating_point():
        raise TypeError(f"{fn}: target must be a floating point tensor, got {target.dtype}")
    if target.shape != input.shape:
        raise ValueError(message)
    return target


def _regression_target(input: Tensor, target: Any) -> Tensor:
    """``target`` as a Tensor for the elementwise regression losses (MSE, L1, smooth L1, Huber).

    As in PyTorch, a target of another size warns and broadcasts (shapes that do not broadcast
    raise the arithmetic's RuntimeError), and an integer target is promoted with the input.
    """
    target = _as_tensor(target, input, "target")
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the "
                      f"input size ({input.shape}). This will likely lead to incorrect "
                      "results due to broadcasting. Please ensure they have the same size.",
                      UserWarning, stacklevel=3)
    return target


def mse_loss(input: Tensor, target: Any, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Mean squared error ``(input - target)**2``, reduced."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    d = input - _regression_target(input, target)
    return _reduce(d * d, reduction)


def l1_loss(input: Tensor, target: Any, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Mean absolute error ``|input - target|``, reduced."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    return _reduce((input - _regression_target(input, target)).abs(), reduction)


def _piecewise_quadratic(d: Tensor, beta: float) -> Tensor:
    """``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (smooth L1)."""
    ad = d.abs()
    return where(ad < beta, (d * d) * (0.5 / beta), ad - 0.5 * beta)


def smooth_l1_loss(input: Tensor, target: Any, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Smooth L1: quadratic ``0.5 d**2 / beta`` for ``|d| < beta``, else ``|d| - beta / 2``.

    ``beta=0`` is the L1 loss.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    d = input - _regression_target(input, target)
    loss = d.abs() if beta == 0 else _piecewise_quadratic(d, float(beta))
    return _reduce(loss, reduction)


def huber_loss(input: Tensor, target: Any, reduction: str = "mean",
               delta: float = 1.0) -> Tensor:
    """Huber: ``0.5 d**2`` for ``|d| < delta``, else ``delta * (|d| - delta / 2)``
    (``delta`` times the smooth L1 loss with ``beta=delta``)."""
    _check_reduction(reduction)
    if not delta > 0:
        raise ValueError(f"huber_loss does not support non-positive values for delta, got "
                         f"{delta}")
    d = input - _regression_target(input, target)
    return _reduce(_piecewise_quadratic(d, float(delta)) * float(delta), reduction)


def _log_clamped(z: Tensor) -> Tensor:
    """``max(log z, -100)`` with a finite gradient at ``z = 0`` (PyTorch clamps BCE's logs)."""
    pos = z._data > 0
    return where(_wrap(pos, None), log(where(_wrap(pos, None), z, 1.0)), -100.0).clamp(min=-100.0)


def binary_cross_entropy(input: Tensor, target: Any, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """``-w (t log x + (1 - t) log(1 - x))`` over probabilities ``x``; each log is clamped
    at -100, as in PyTorch, so the loss stays finite at x = 0 and x = 1."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    target = _float_target(
        input, target, "binary_cross_entropy",
        f"Using a target size ({list(target.shape) if hasattr(target, 'shape') else '?'}) "
        f"that is different to the input size ({list(input.shape)}) is deprecated. Please "
        "ensure they have the same size.")
    x = input._data
    if x.size and bool(((x < 0) | (x > 1) | (x != x)).any()):  # one host sync
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 "
                           "and 1")
    loss = -(target * _log_clamped(input) + (1.0 - target) * _log_clamped(1.0 - input))
    if weight is not None:
        loss = loss * _as_tensor(weight, input, "weight")
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Tensor | None = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid + binary cross-entropy in the stable form
    ``(1 - t) x + (1 + (p - 1) t) softplus(-x)``, finite and exact for logits of any size.

    ``pos_weight`` p weighs the positive term (broadcast along the last dimension, one per
    class); ``weight`` rescales each element's loss.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    target = _float_target(
        input, target, "binary_cross_entropy_with_logits",
        f"Target size ({list(target.shape) if hasattr(target, 'shape') else '?'}) must be the "
        f"same as input size ({list(input.shape)})")
    sp = softplus(-input, threshold=float("inf"))  # log(1 + exp(-x)), no linear shortcut
    if pos_weight is None:
        loss = (1.0 - target) * input + sp
    else:
        lw = (_as_tensor(pos_weight, input, "pos_weight") - 1.0) * target + 1.0
        loss = (1.0 - target) * input + lw * sp
    if weight is not None:
        loss = loss * _as_tensor(weight, input, "weight")
    return _reduce(loss, reduction)


def kl_div(input: Tensor, target: Any, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence ``t (log t - x)`` of log-probabilities ``input`` from
    ``target`` (probabilities; log-probabilities when ``log_target``); ``t log t`` is 0 at t=0.

    ``reduction='batchmean'`` divides the sum by the batch size (the mathematical KL);
    ``'mean'`` divides by the number of elements, as PyTorch does (with a warning).
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, _REDUCTIONS + ("batchmean",))
    target = _as_tensor(target, input, "target")  # broadcasts with input, as in PyTorch
    if not (input.is_floating_point() and target.is_floating_point()):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        nz = _wrap(target._data != 0, None)
        with np.errstate(invalid="ignore"):  # a negative target gives NaN, as in PyTorch
            tlogt = where(nz, target * log(where(nz, target, 1.0)), 0.0)
        loss = tlogt - target * input
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns "
                      "with the KL div math definition.", UserWarning, stacklevel=2)
    if reduction == "batchmean":
        return loss.sum() / float(input.shape[0]) if input.ndim else loss.sum()
    return _reduce(loss, reduction)


# --- class-index losses ----------------------------------------------------------------------


def _class_targets(input: Tensor, target: Any, fn: str
                   ) -> tuple[Tensor, Tensor, tuple[int, ...]]:
    """(input as (N, C), target as (N,), output shape for reduction='none') with checks."""
    if not isinstance(target, Tensor):
        target = _wrap(_dev.to_device(np.asarray(target), input.device), None)
    if target._data.dtype.kind not in "iu":
        raise RuntimeError(f"{fn}: target must hold class indices (an integer tensor), got "
                           f"{target.dtype}; probability targets must have the input's shape "
                           f"{list(input.shape)}")
    _dev.same_device_or_raise(input._data, target._data)
    if input.ndim == 0:
        raise ValueError(f"{fn}: input must have a class dimension, got a 0-d tensor")
    if input.ndim == 1:
        if target.ndim != 0:
            raise ValueError(f"{fn}: 1-d input (C,) needs a 0-d target, got {list(target.shape)}")
        return input.unsqueeze(0), target.reshape(1), ()
    shape = input._data.shape
    if target._data.shape != (shape[0],) + shape[2:]:
        raise ValueError(f"{fn}: expected target of shape {[input.shape[0], *input.shape[2:]]} "
                         f"for input of shape {list(input.shape)}, got {list(target.shape)}")
    out_shape = target.shape
    if input.ndim > 2:  # (N, C, d1, ...) -> (N * d1 * ..., C)
        input = _classes_last(input)
        target = target.reshape(-1)
    return input, target, out_shape


def _classes_last(x: Tensor) -> Tensor:
    """(N, C, d1, ...) as (N * d1 * ..., C)."""
    return x.permute(0, *range(2, x.ndim), 1).reshape(-1, x.shape[1])


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


def _class_weight(weight: Any, input: Tensor, c: int) -> Any:
    """The class weights as a raw array of shape (C,) in input's dtype, or None."""
    if weight is None:
        return None
    w = _as_tensor(weight, input, "weight")
    if w.shape != (c,):
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no "
                           f"classes but got weight tensor of shape: {list(w.shape)}")
    return w._data.astype(input._data.dtype, copy=False)


def _weighted_mean(total: Tensor, weight_sum: Any) -> Tensor:
    """``total / weight_sum``; NaN (as in PyTorch) when nothing counts, without a warning."""
    if float(weight_sum) == 0.0:
        return total * float("nan")
    return total / weight_sum


def _nll_rows(logp: Tensor, t: Tensor, w: Any, ignore_index: int) -> tuple[Tensor, Any]:
    """Per-row ``-w[t] logp[n, t]`` (0 where ignored) and the per-row weights (0 where ignored),
    over logp (N, C) and t (N,)."""
    xp = _dev.array_module(t._data)
    valid = t._data != ignore_index
    tt = xp.where(valid, t._data, 0)
    wrow = valid.astype(logp._data.dtype)
    if w is not None:
        wrow = wrow * w[tt]
    picked = logp[_wrap(xp.arange(logp.shape[0]), None), _wrap(tt, None)]
    return -picked * wrow, wrow


def nll_loss(input: Tensor, target: Any, weight: Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood ``-weight[t] input[n, t]`` of log-probabilities at class indices.

    Input (N, C), (C,) or (N, C, d1, ...); 'mean' divides by the summed weights of the targets
    that are not ``ignore_index``.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    x, t, out_shape = _class_targets(input, target, "nll_loss")
    w = _class_weight(weight, x, x.shape[1])
    _check_range(t, x.shape[1], ignore_index, "nll_loss")
    loss, wrow = _nll_rows(x, t, w, ignore_index)
    if reduction == "none":
        return loss.reshape(out_shape)
    if reduction == "sum":
        return loss.sum()
    return _weighted_mean(loss.sum(), wrow.sum())


def cross_entropy(input: Tensor, target: Any, weight: Tensor | None = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits ``input`` against class indices or class probabilities.

    Class indices (integer target of shape (N,), (), or (N, d1, ...)): with ``weight`` w and
    label smoothing e over C classes, each row's loss is
    ``(1 - e) w[t] (-log p[t]) + e / C * sum_c w[c] (-log p[c])``; 'mean' divides the sum by
    the summed ``w[t]`` of the rows whose target is not ``ignore_index``. Unweighted, it runs
    as one fused, stable op.

    Class probabilities (a float target of the input's shape): the target is smoothed to
    ``(1 - e) t + e / C`` and each row's loss is ``-sum_c w[c] t[c] log p[c]``; 'mean'
    divides by the number of rows. ``ignore_index`` must then be negative (unused).
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    eps = float(label_smoothing)
    if isinstance(target, Tensor) and target._data.dtype.kind == "f" \
            and target._data.shape == input._data.shape and input.ndim >= 1:
        return _cross_entropy_probs(input, target, weight, ignore_index, reduction, eps)
    x, t, out_shape = _class_targets(input, target, "cross_entropy")
    c = x.shape[1]
    w = _class_weight(weight, x, c)
    ignored = _check_range(t, c, ignore_index, "cross_entropy")
    if w is None:
        loss = _N.CrossEntropy.apply(x, t._data.astype(np.int64, copy=False),
                                     reduction=reduction, label_smoothing=eps,
                                     ignore_index=ignore_index if ignored else None)
        return loss.reshape(out_shape) if reduction == "none" else loss
    logp = log_softmax(x, 1)
    nll, wrow = _nll_rows(logp, t, w, ignore_index)
    if eps:
        valid = _wrap((t._data != ignore_index).astype(x._data.dtype), None)
        smooth = -(logp * _wrap(w, None)).sum(1) * valid
        loss = nll * (1.0 - eps) + smooth * (eps / c)
    else:
        loss = nll
    if reduction == "none":
        return loss.reshape(out_shape)
    if reduction == "sum":
        return loss.sum()
    return _weighted_mean(loss.sum(), wrow.sum())


def _cross_entropy_probs(input: Tensor, target: Tensor, weight: Any, ignore_index: int,
                         reduction: str, eps: float) -> Tensor:
    _dev.same_device_or_raise(input._data, target._data)
    if ignore_index >= 0:
        raise RuntimeError("cross_entropy: ignore_index is not supported for floating point "
                           "(class probability) targets")
    out_shape: tuple[int, ...]
    if input.ndim == 1:
        x, t, out_shape = input.unsqueeze(0), target.unsqueeze(0), ()
    elif input.ndim == 2:
        x, t, out_shape = input, target, (input.shape[0],)
    else:
        x, t = _classes_last(input), _classes_last(target)
        out_shape = (input.shape[0],) + input.shape[2:]
    c = x.shape[1]
    if eps:
        t = t * (1.0 - eps) + eps / c
    w = _class_weight(weight, x, c)
    prod = log_softmax(x, 1) * t
    if w is not None:
        prod = prod * _wrap(w, None)
    loss = -prod.sum(1)
    if reduction == "none":
        return loss.reshape(out_shape)
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / float(x.shape[0]) if x.shape[0] else loss.sum() * float("nan")
