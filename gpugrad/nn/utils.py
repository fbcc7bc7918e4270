"""``gpugrad.nn.utils``: gradient clipping, as in ``torch.nn.utils``."""

from __future__ import annotations

import math

import numpy as np

from .. import _device as _dev
from ..tensor import Tensor, _wrap


def _with_grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p._grad is not None]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so that their joint ``norm_type``-norm is at most
    ``max_norm``; returns the norm before clipping (a 0-d tensor)."""
    params = _with_grads(parameters)
    if not params:
        return _wrap(np.zeros((), np.float32), None)
    grads = [p._grad for p in params]
    xp = _dev.array_module(grads[0])
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        norms = [xp.abs(g).max() for g in grads]
        total = xp.stack([xp.asarray(n, dtype=np.float64) for n in norms]).max()
    else:
        total = sum(((xp.abs(g.astype(np.float64)) ** norm_type).sum() for g in grads),
                    xp.zeros((), np.float64)) ** (1.0 / norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients is non-finite, "
                           "so it cannot be clipped")
    coef = float(max_norm) / (total + 1e-6)
    if bool(coef < 1.0):
        for p in params:
            p._grad *= coef.astype(p._grad.dtype)
    return _wrap(xp.asarray(total, dtype=params[0]._grad.dtype), None)


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient element to [-clip_value, clip_value], in place."""
    for p in _with_grads(parameters):
        _dev.array_module(p._grad).clip(p._grad, -clip_value, clip_value, out=p._grad)
