"""Tensors shaped from others: the triangles ``tril``/``triu`` (and in place) and the coordinate
grids of ``meshgrid``; all differentiable (built from ``where``, ``reshape`` and
``broadcast_to``)."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from . import _device as _dev
from . import autograd as _ag
from . import dtypes as _dt
from .creation import _need_tensor
from .ops import _registry
from .ops._registry import method
from .ops.compare import where
from .ops.shape import broadcast_to, reshape
from .tensor import Tensor, _wrap

__all__ = ["tril", "triu", "meshgrid"]


def _triangle_mask(input: Tensor, diagonal: int, lower: bool, name: str) -> Tensor:
    """True where ``tril`` (``lower``) or ``triu`` keeps the element, over the last two dims."""
    if isinstance(diagonal, bool) or not isinstance(diagonal, numbers.Integral):
        raise TypeError(f"{name}(): argument 'diagonal' must be int, not "
                        f"{type(diagonal).__name__}")
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    rows, cols = input.shape[-2:]
    xp = _dev.xp_of(input.device)
    with _dev.on_device(input.device):
        keep = xp.tri(rows, cols, k=int(diagonal) if lower else int(diagonal) - 1, dtype=bool)
        if not lower:
            keep = ~keep
    return _wrap(keep, None)


def _zero_of(t: Tensor) -> Any:
    return False if t.dtype == _dt.bool_ else 0


def _triangle(input: Tensor, diagonal: int, lower: bool, name: str) -> Tensor:
    return where(_triangle_mask(input, diagonal, lower, name), input, _zero_of(input))


def _triangle_(input: Tensor, diagonal: int, lower: bool, name: str) -> Tensor:
    """In place: in storage when no graph is recorded, else ``input`` is rebound to the
    recorded result (as the in-place arithmetic operators do)."""
    mask = _triangle_mask(input, diagonal, lower, name)
    if input.requires_grad and _ag.is_grad_enabled():
        input._check_inplace_leaf()
        out = where(mask, input, _zero_of(input))
        input._data, input._grad_fn = out._data, out._grad_fn
        input._requires_grad, input._version = True, out._version
        return input
    zero = _zero_of(input)
    return input._write(lambda a: a.__setitem__(..., _dev.array_module(a).where(
        mask._data, a, zero)))


@method()
def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dimensions (elements with ``j <= i + diagonal``),
    zeros elsewhere; the gradient flows to the kept elements."""
    return _triangle(input, diagonal, True, "tril")


@method()
def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dimensions (elements with ``j >= i + diagonal``),
    zeros elsewhere."""
    return _triangle(input, diagonal, False, "triu")


@method()
def tril_(input: Tensor, diagonal: int = 0) -> Tensor:
    """``tril`` in place."""
    return _triangle_(input, diagonal, True, "tril")


@method()
def triu_(input: Tensor, diagonal: int = 0) -> Tensor:
    """``triu`` in place."""
    return _triangle_(input, diagonal, False, "triu")


def meshgrid(*tensors: Tensor | Sequence[Tensor],
             indexing: str | None = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids from 1-d (or 0-d) tensors: output ``i`` varies along dimension ``i``
    (``indexing="ij"``, the default, without PyTorch's warning) or, with ``"xy"``, the first two
    dimensions swapped (Cartesian: ``x`` varies along columns). Differentiable."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f"{indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    ts = [_need_tensor(t, "meshgrid") for t in tensors]
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: expected 0-d or 1-d tensors, got one of shape "
                               f"{list(t.shape)}")
        if t.dtype != ts[0].dtype:
            raise RuntimeError(f"meshgrid expects all tensors to have the same dtype, got "
                               f"{ts[0].dtype} and {t.dtype}")
        if t.device != ts[0].device:
            raise RuntimeError(f"meshgrid expects all tensors to be on the same device, got "
                               f"{ts[0].device} and {t.device}")
    axes = list(range(len(ts)))
    if indexing == "xy" and len(ts) > 1:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(ts)
    for t, ax in zip(ts, axes):
        shape[ax] = t.numel()
    out = []
    for t, ax in zip(ts, axes):
        col = [1] * len(ts)
        col[ax] = -1
        out.append(broadcast_to(reshape(t, tuple(col)), tuple(shape)))
    return tuple(out)


_registry.bind(Tensor)  # this module's methods
