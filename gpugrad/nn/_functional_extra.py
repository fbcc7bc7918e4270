"""More of ``nn.functional``: padding, distances, the remaining elementwise activations,
Gumbel-softmax and scaled dot-product attention; re-exported by ``nn.functional``.

Every function is a composite of differentiable gpugrad ops (slicing, ``cat``,
``index_select``, ``where``, reductions, ``matmul``), so gradients of any order follow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .. import _device as _dev
from .. import autograd as _ag
from ..creation import full, ones
from ..ops import nn as _N
from ..ops.activation import sigmoid, softplus
from ..ops.compare import clamp, where
from ..ops.extra import cosine_similarity as cosine_similarity
from ..ops.extra import pairwise_distance as pairwise_distance
from ..ops.shape import cat
from ..ops.unary import expm1
from ..ops.unary import inplace as _write_inplace
from ..sampling import exponential_
from ..tensor import Tensor, _wrap

__all__ = [
    "pad", "cosine_similarity", "pairwise_distance", "logsigmoid", "selu", "celu", "hardswish",
    "hardsigmoid", "glu", "threshold", "gumbel_softmax", "scaled_dot_product_attention",
]

_MODES = ("constant", "reflect", "replicate", "circular")


def _pad_index(n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """Source positions (along one dimension of size ``n``) of the padded dimension."""
    pos = np.arange(-lo, n + hi)
    if mode == "replicate":
        return np.clip(pos, 0, n - 1)
    if mode == "circular":
        return pos % n
    period = 2 * (n - 1)  # reflect: mirror about the edge elements, which are not repeated
    pos = np.abs(pos) % period if period else np.zeros_like(pos)
    return np.where(pos >= n, period - pos, pos)


def _pad_constant(x: Tensor, pads: list[tuple[int, int]], value: float) -> Tensor:
    for k, (lo, hi) in enumerate(pads):
        d = x.ndim - 1 - k
        n = x.shape[d]
        start, stop = max(-lo, 0), n - max(-hi, 0)
        if start or stop != n:
            x = x.narrow(d, start, max(stop - start, 0))
        parts = []
        for amount, side in ((lo, 0), (hi, 1)):
            if amount > 0:
                shape = list(x.shape)
                shape[d] = amount
                parts.append((side, full(shape, value, dtype=x.dtype, device=x.device)))
        if parts:
            x = cat([p for s, p in parts if s == 0] + [x] + [p for s, p in parts if s == 1], d)
    return x


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pad ``input``: ``pad = (left, right)`` for the last dimension, then ``(left, right)``
    for the one before, and so on. ``mode='constant'`` fills with ``value`` (default 0) and
    pads any number of dimensions (negative amounts crop); ``'reflect'``, ``'replicate'`` and
    ``'circular'`` pad the last 1, 2 or 3 dimensions of a batched input (as PyTorch)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pad(): argument 'input' must be Tensor, not {type(input).__name__}")
    amounts = [int(p) for p in pad]
    if len(amounts) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(amounts) // 2 > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(amounts)} and input of "
                           f"dimension {input.ndim}")
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    pairs = [(amounts[2 * k], amounts[2 * k + 1]) for k in range(len(amounts) // 2)]
    if mode == "constant":
        return _pad_constant(input, pairs, 0.0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    k = len(pairs)
    if k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(amounts)} is not supported for {input.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    x = input
    for j, (lo, hi) in enumerate(pairs):
        d = x.ndim - 1 - j
        n = x.shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({lo}, {hi}) at dimension "
                               f"{d} of input {list(input.shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if mode != "circular" and n == 0 and lo + hi > 0:
            raise RuntimeError(f"{mode} padding of an empty dimension {d}")
        if lo < 0 or hi < 0:  # negative amounts crop first, as PyTorch does
            x = x.narrow(d, max(-lo, 0), n - max(-lo, 0) - max(-hi, 0))
            n, lo, hi = x.shape[d], max(lo, 0), max(hi, 0)
        if lo or hi:
            idx = _dev.to_device(_pad_index(n, lo, hi, mode), x.device)
            x = x.index_select(d, _wrap(idx, None))
    return x


# --- elementwise activations -----------------------------------------------------------------


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, computed stably."""
    return -softplus(-input)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _celu(input: Tensor, alpha: float, scale: float = 1.0, inv_alpha: bool = True) -> Tensor:
    z = clamp(input, max=0.0)  # no exp overflow for x > 0
    neg = expm1(z / alpha if inv_alpha else z) * (alpha * scale)
    return where(input > 0, input * scale, neg)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * (x if x > 0 else alpha * (exp(x) - 1))`` with SELU's fixed alpha and
    scale."""
    if inplace:
        return _write_inplace(input, _celu, _SELU_ALPHA, _SELU_SCALE, False)
    return _celu(input, _SELU_ALPHA, _SELU_SCALE, False)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` for ``x > 0``, else ``alpha * (exp(x / alpha) - 1)``."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    if inplace:
        return _write_inplace(input, _celu, float(alpha))
    return _celu(input, float(alpha))


def _hardsigmoid(input: Tensor) -> Tensor:
    return clamp(input + 3.0, 0.0, 6.0) / 6.0


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between."""
    return _write_inplace(input, _hardsigmoid) if inplace else _hardsigmoid(input)


def _hardswish(input: Tensor) -> Tensor:
    return input * _hardsigmoid(input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``."""
    return _write_inplace(input, _hardswish) if inplace else _hardswish(input)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """The gated linear unit: ``a * sigmoid(b)``, ``a`` and ``b`` the two halves of ``input``
    along ``dim``."""
    if not input.ndim:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim + input.ndim if dim < 0 else dim
    if not 0 <= d < input.ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-input.ndim}, {input.ndim - 1}], but got {dim})")
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    return input.narrow(d, 0, n // 2) * sigmoid(input.narrow(d, n // 2, n // 2))


def _threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    return where(input > threshold, input, value)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value``."""
    if inplace:
        return _write_inplace(input, _threshold, threshold, value)
    return _threshold(input, threshold, value)


# --- sampling and attention ------------------------------------------------------------------


def gumbel_softmax(logits: Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """A sample of the Gumbel-softmax (concrete) distribution: ``softmax((logits + g) / tau)``
    with ``g`` standard Gumbel noise from gpugrad's generator. ``hard=True`` returns the
    one-hot of the sample's argmax, with the soft sample's gradient (straight-through)."""
    with _ag.no_grad():
        noise = exponential_(logits.detach().new_empty(logits.shape)).log().neg()
    y = _N.softmax((logits + noise) / tau, dim)
    if not hard:
        return y
    index = y.detach().argmax(dim, keepdim=True)
    one = ones(index.shape, dtype=y.dtype, device=y.device)
    y_hard = y.detach().new_zeros(y.shape).scatter(dim, index, one)
    return y_hard - y.detach() + y


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """``softmax(query @ key^T * scale + bias) @ value`` over (..., L, E), (..., S, E) and
    (..., S, Ev) inputs. ``scale`` defaults to ``1/sqrt(E)``; ``attn_mask`` is a boolean mask
    (True: attend) or an additive float bias; ``is_causal`` masks positions after the query's
    own (lower triangle); ``dropout_p`` drops attention weights; ``enable_gqa`` shares each
    key/value head among a group of query heads (dimension -3)."""
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    el, s = query.shape[-2], key.shape[-2]
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        groups = query.shape[-3] // key.shape[-3]
        key = key.repeat_interleave(groups, dim=-3)
        value = value.repeat_interleave(groups, dim=-3)
    scores = (query @ key.transpose(-2, -1)) * factor
    if is_causal:
        keep = _dev.to_device(np.tri(el, s, dtype=bool), query.device)
        scores = where(_wrap(keep, None), scores, -math.inf)
    elif attn_mask is not None:
        if attn_mask.dtype.is_floating_point:
            scores = scores + attn_mask
        else:
            scores = where(attn_mask, scores, -math.inf)
    weights = _N.softmax(scores, -1)
    if dropout_p > 0.0:
        keep_w = _dev.random_uniform(weights.device, tuple(weights.shape),
                                     weights._data.dtype) >= dropout_p
        weights = weights * _wrap(keep_w.astype(weights._data.dtype) / (1.0 - dropout_p), None)
    return weights @ value

