"""``gpugrad.nn.init``: in-place initialisers with PyTorch's names, formulas and defaults.

Every random initialiser takes ``generator=``: None draws from the default generator of the
tensor's device (``gpugrad.manual_seed``); a ``gpugrad.Generator`` (of the tensor's device type)
draws from that generator, as in PyTorch; a ``numpy.random.Generator`` draws on the host from
that generator and copies the values to the tensor's device (reproducible across devices).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import _device as _dev
from .. import autograd as _ag
from .. import random as _random
from .. import sampling as _sampling
from ..tensor import Tensor

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for ``nonlinearity`` (PyTorch's table): 1 for linear, identity,
    conv*, conv_transpose* and sigmoid; 5/3 for tanh; sqrt(2) for relu;
    sqrt(2 / (1 + slope**2)) for leaky_relu (``param`` = negative slope, default 0.01);
    3/4 for selu."""
    if nonlinearity in _LINEAR or nonlinearity == "identity":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _check_generator(generator: Any) -> None:
    if generator is not None and not isinstance(generator, (_random.Generator,
                                                            np.random.Generator)):
        raise TypeError("generator must be None, a gpugrad.Generator or a "
                        f"numpy.random.Generator, got {type(generator).__name__}")


def _write(tensor: Tensor, values: Any) -> Tensor:
    """Copy ``values`` (array of the tensor's shape, any device) into ``tensor``, untracked."""
    with _ag.no_grad():
        return tensor.copy_(values)  # casts to the tensor's dtype, moves to its device


def _host_draw(tensor: Tensor, kind: str, generator: Any) -> np.ndarray:
    """Standard normal or U[0, 1) float64 samples of the tensor's shape, on the host."""
    shape = tuple(tensor.shape)
    if isinstance(generator, np.random.Generator):
        out = generator.standard_normal(shape) if kind == "normal" else generator.random(shape)
    else:  # None or a gpugrad.Generator: drawn on the tensor's device
        draw = _dev.random_normal if kind == "normal" else _dev.random_uniform
        out = _dev.to_device(draw(tensor.device, shape, np.float64, generator), _dev.CPU)
    return np.asarray(out, dtype=np.float64)


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with U(a, b)."""
    _check_generator(generator)
    if not isinstance(generator, np.random.Generator):
        with _ag.no_grad():
            return _sampling.uniform_(tensor, a, b, generator=generator)
    return _write(tensor, _host_draw(tensor, "uniform", generator) * (b - a) + a)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with N(mean, std**2)."""
    _check_generator(generator)
    if not isinstance(generator, np.random.Generator):
        with _ag.no_grad():
            return _sampling.normal_(tensor, mean, std, generator=generator)
    return _write(tensor, _host_draw(tensor, "normal", generator) * std + mean)


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: Any = None) -> Tensor:
    """Fill with N(mean, std**2) truncated to [a, b] (bounds in absolute values, not in stds),
    by inverting the normal CDF on U(cdf(a), cdf(b)) in float64."""
    from scipy.special import ndtr, ndtri  # type: ignore[import-untyped]

    _check_generator(generator)
    if not a < b:
        raise ValueError(f"trunc_normal_: a must be smaller than b, got a={a}, b={b}")
    if not std > 0:
        raise ValueError(f"trunc_normal_: std must be positive, got {std}")
    lo, hi = (a - mean) / std, (b - mean) / std
    flip = lo > 0  # sample the mirrored interval: ndtr keeps its precision in the lower tail
    if flip:
        lo, hi = -hi, -lo
    plo, phi = ndtr(lo), ndtr(hi)
    z = ndtri(plo + _host_draw(tensor, "uniform", generator) * (phi - plo))
    return _write(tensor, np.clip(mean + std * (-z if flip else z), a, b))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    with _ag.no_grad():
        return tensor.fill_(val)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return constant_(tensor, 1.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-d tensor with the identity (ones on the diagonal, zeros elsewhere)."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    return _write(tensor, np.eye(rows, cols))


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    return calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator: Any = None) -> Tensor:
    """U(-bound, bound) with bound = gain * sqrt(3 / fan) (He et al., 2015); the gain comes
    from ``nonlinearity`` and ``a`` (the negative slope of leaky_relu), fan from ``mode``."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator: Any = None) -> Tensor:
    """N(0, std**2) with std = gain / sqrt(fan) (He et al., 2015)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2013): the Q of a normal
    matrix's QR decomposition, with signs fixed by R's diagonal. Dimensions after the first
    are flattened."""
    _check_generator(generator)
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _host_draw(tensor, "normal", generator).reshape(rows, cols)
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _write(tensor, (q * gain).reshape(tensor.shape))
