"""``gpugrad.nn.utils``: gradient clipping and parameter/vector conversion, as in
``torch.nn.utils``."""

from __future__ import annotations

import math
from collections.abc import Iterable

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


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and concatenated into one 1-D tensor (differentiable: its
    gradient flows back to each parameter). They must share a device."""
    from ..ops.shape import cat

    return cat([p.reshape(-1) for p in _on_one_device(parameters)])


def _on_one_device(parameters: Iterable[Tensor]) -> list[Tensor]:
    """The parameters as a list; TypeError (PyTorch's) if they are on several devices."""
    params = list(parameters)
    for p in params[1:]:
        if p.device != params[0].device:
            raise TypeError("Found two parameters on different devices, this is currently not "
                            "supported.")
    return params


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters' data, in order (as
    ``param.data = ...``: no graph is recorded)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected gpugrad.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for p in _on_one_device(parameters):
        n = p.numel()
        p.data = vec[pointer:pointer + n].detach().reshape(p.shape)
        pointer += n
